//! Exports of a Model to other simulators (docs/theory.md section 9).
//!
//! - [`nest`]: a self-contained PyNEST script for NEST 3.10 that builds the same network
//!   and writes spikes balnet reads back (docs/nest.md).

pub mod nest;

pub use nest::{NestOptions, nest_script};
