//! Mean-field theory (docs/theory.md section 2): input statistics, stationary states,
//! latent fixed points, latent dynamics and the predictions of 2.6.
//!
//! Every public entry point validates its Model ([`Model::validate`]) and its arguments
//! (lengths, finiteness) before any arithmetic, and returns [`Error::Invalid`] naming the
//! argument; see docs/theory.md section 7 ("Theory input rules").

pub mod inputs;
pub mod newton;
pub mod state;
pub mod stationary;

pub use state::{Limit, PopulationState, State};
pub mod closure;
pub mod correlated;
pub mod dynamics;
pub mod latent;
pub mod predictions;
pub mod response;
pub mod shot_response;
pub mod spectral;

use crate::error::{Error, Result};
use crate::model::{MAX_MAGNITUDE, Model};

/// Check a Model and the latent state `kappa` (Hz, length `D`) and input `s`
/// (dimensionless, length `D_in`) at a public entry point of the theory
/// (docs/theory.md section 7).
///
/// # Errors
///
/// [`Error::Invalid`] if the Model breaks a rule of [`Model::validate`], if `kappa` or `s`
/// has the wrong length, or if an entry is not finite or exceeds [`MAX_MAGNITUDE`].
pub fn check_inputs(model: &Model, kappa: &[f64], s: &[f64]) -> Result<()> {
    model.validate()?;
    check_dims(model, kappa, s)
}

/// The length and finiteness part of [`check_inputs`] (the Model is trusted).
pub(crate) fn check_dims(model: &Model, kappa: &[f64], s: &[f64]) -> Result<()> {
    if kappa.len() != model.d() {
        return Err(Error::invalid(
            "kappa",
            format!("{kappa:?}"),
            format!(
                "must have length D = {} (one entry per latent dimension)",
                model.d()
            ),
        ));
    }
    if s.len() != model.d_in() {
        return Err(Error::invalid(
            "s",
            format!("{s:?}"),
            format!(
                "must have length D_in = {} (one entry per input dimension)",
                model.d_in()
            ),
        ));
    }
    check_values("kappa", kappa)?;
    check_values("s", s)
}

/// Every entry finite with magnitude at most [`MAX_MAGNITUDE`]; the error names `name[i]`.
pub(crate) fn check_values(name: &str, v: &[f64]) -> Result<()> {
    for (i, &x) in v.iter().enumerate() {
        if !x.is_finite() || x.abs() > MAX_MAGNITUDE {
            return Err(Error::invalid(
                format!("{name}[{i}]"),
                crate::model::num(x),
                format!(
                    "must be finite with magnitude <= {MAX_MAGNITUDE:e} (docs/theory.md section 7)"
                ),
            ));
        }
    }
    Ok(())
}
