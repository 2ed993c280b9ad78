//! # balnet
//!
//! Mean-field theory of balanced excitatory-inhibitory spiking networks that carry
//! low-dimensional latent variables (`../shared/MODEL.md`, reproduced in `docs/theory.md`),
//! and an embedded spiking simulator that checks it.
//!
//! Units everywhere: seconds, mV, Hz.

pub mod compare;
pub mod error;
pub mod gauss;
pub mod model;
pub mod plot;
pub mod presets;
pub mod sim;
pub mod theory;
pub mod transfer;

pub use error::{Error, Result};
pub use model::Model;
