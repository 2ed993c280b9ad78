//! Errors as values: each names the parameter at fault, its value and the rule.

use std::fmt::Display;

/// Everything that can go wrong in balnet on user input or in a solve.
///
/// Non-exhaustive: later versions may add variants; match with a wildcard arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// Reading or writing a file failed (a message only; see [`Error::File`] for the
    /// variant that keeps the operating-system error as its source).
    #[error("{0}")]
    Io(String),
    /// Reading or writing a file failed: what was being done (with the path) and the
    /// operating-system error, kept as the [`std::error::Error::source`].
    #[error("{what}: {source}")]
    File {
        /// What failed, e.g. `cannot read model file m.toml`.
        what: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
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
    /// A file error that keeps the I/O error as its source.
    pub fn file(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::File {
            what: what.into(),
            source,
        }
    }

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
