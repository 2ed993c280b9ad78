//! Mean-field theory (docs/theory.md section 2): input statistics, stationary states,
//! latent fixed points, latent dynamics and the predictions of 2.6.

pub mod inputs;
pub mod newton;
pub mod stationary;

pub use stationary::{Limit, PopulationState, State};
pub mod closure;
pub mod dynamics;
pub mod latent;
pub mod predictions;
pub mod response;
pub mod spectral;
