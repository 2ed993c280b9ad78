//! Errors as values: each names the parameter at fault, its value and the rule.

use std::fmt::Display;

/// Everything that can go wrong in balnet on user input or in a solve.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Model field (or another input) breaks a rule of docs/theory.md section 1.
    #[error("invalid {field} = {value}: {rule}")]
    Invalid {
        /// The field at fault, e.g. `populations[0].tau_m`.
        field: String,
        /// Its value, as text.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A Model file could not be parsed.
    #[error("cannot parse model: {0}")]
    Parse(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
    /// The balanced limit (docs/theory.md 2.4) has no solution.
    #[error("no balanced state: {0}")]
    NoBalancedState(String),
    /// The balance matrix `W_AB = c_B J_AB` is singular.
    #[error("singular balance matrix W_AB = c_B J_AB (condition number {condition:.3e})")]
    SingularBalance {
        /// Condition number of `W` (ratio of its extreme singular values).
        condition: f64,
    },
    /// A root finder did not converge.
    #[error(
        "{what} did not converge after {iterations} iterations (final residual {residual:.3e})"
    )]
    NoConvergence {
        /// What was being solved.
        what: String,
        /// Iterations spent.
        iterations: usize,
        /// Largest residual at the end (NaN if none could be evaluated).
        residual: f64,
    },
    /// A numerical argument is outside the domain of a function.
    #[error("{0}")]
    Domain(String),
}

impl Error {
    /// An invalid-field error: `field = value: rule`.
    pub fn invalid(field: impl Into<String>, value: impl Display, rule: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

/// Result with balnet's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
