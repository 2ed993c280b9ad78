//! Mixed-selectivity measures on trial responses (docs/theory.md section 11): pure
//! functions of arrays `responses[neuron][condition][trial]`, for theory samples and
//! recorded or simulated data alike.
//!
//! - [`selectivity`]: the two-way ANOVA interaction test (nonlinear mixed selectivity,
//!   Rigotti et al. 2013) and the shape of tuning over one ordered variable
//!   (tuned, non-monotonic, asymmetric; docs/theory.md 11.1-11.2).
//! - [`geometry`]: dimensionality of the condition-averaged responses: participation
//!   ratio, cross-validated decoding of dichotomies, shattering dimensionality and the
//!   Cover dimension, cross-condition generalisation performance (Bernardi et al. 2020;
//!   docs/theory.md 11.3).
//!
//! This layer imports nothing of the crate but `error` (docs/architecture.md).

pub mod geometry;
pub mod selectivity;
pub mod trajectory;

use crate::error::{Error, Result};

/// Validated trial responses `data[neuron][condition][trial]` (any unit, e.g. Hz).
///
/// Every neuron has the same number of conditions (at least 2), and condition `c` has
/// the same number of trials (at least 1) in every neuron, so that trial `t` of all
/// neurons forms one pseudo-population vector (docs/theory.md 11.3). Trial counts may
/// differ between conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Responses {
    data: Vec<Vec<Vec<f64>>>,
    trials: Vec<usize>,
}

impl Responses {
    /// Check and wrap `data[neuron][condition][trial]`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the neuron, condition or trial at fault if there are no
    /// neurons, fewer than 2 conditions, a neuron with another number of conditions, a
    /// condition without trials or with a trial count other than neuron 0's, or a
    /// non-finite response.
    pub fn new(data: Vec<Vec<Vec<f64>>>) -> Result<Self> {
        let Some(first) = data.first() else {
            return Err(Error::invalid("responses", 0, "needs at least one neuron"));
        };
        let c = first.len();
        if c < 2 {
            return Err(Error::invalid(
                "responses[0]",
                c,
                "needs at least 2 conditions",
            ));
        }
        let trials: Vec<usize> = first.iter().map(Vec::len).collect();
        for (i, nrn) in data.iter().enumerate() {
            if nrn.len() != c {
                return Err(Error::invalid(
                    format!("responses[{i}]"),
                    nrn.len(),
                    format!("every neuron needs the same number of conditions ({c})"),
                ));
            }
            for (k, tr) in nrn.iter().enumerate() {
                if tr.is_empty() || tr.len() != trials[k] {
                    return Err(Error::invalid(
                        format!("responses[{i}][{k}]"),
                        tr.len(),
                        format!(
                            "condition {k} needs the same number (>= 1) of trials in every neuron ({})",
                            trials[k]
                        ),
                    ));
                }
                if let Some(t) = tr.iter().position(|v| !v.is_finite()) {
                    return Err(Error::invalid(
                        format!("responses[{i}][{k}][{t}]"),
                        tr[t],
                        "responses must be finite",
                    ));
                }
            }
        }
        Ok(Responses { data, trials })
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.data.len()
    }

    /// Number of conditions.
    pub fn conditions(&self) -> usize {
        self.trials.len()
    }

    /// Trials of each condition.
    pub fn trials(&self) -> &[usize] {
        &self.trials
    }

    /// The responses `[neuron][condition][trial]`.
    pub fn data(&self) -> &[Vec<Vec<f64>>] {
        &self.data
    }

    /// Condition means `[neuron][condition]`.
    pub fn condition_means(&self) -> Vec<Vec<f64>> {
        self.data
            .iter()
            .map(|nrn| {
                nrn.iter()
                    .map(|tr| tr.iter().sum::<f64>() / tr.len() as f64)
                    .collect()
            })
            .collect()
    }
}

/// A two-factor design: condition `c = a * levels_b + b` has level `a` of variable A and
/// level `b` of variable B (row-major, docs/theory.md 11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Factorial {
    levels_a: usize,
    levels_b: usize,
}

impl Factorial {
    /// A design with `levels_a x levels_b` conditions.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if a factor has fewer than 2 levels or there are more than 4096
    /// conditions.
    pub fn new(levels_a: usize, levels_b: usize) -> Result<Self> {
        for (name, l) in [("levels_a", levels_a), ("levels_b", levels_b)] {
            if !(2..=4096).contains(&l) {
                return Err(Error::invalid(name, l, "a factor needs 2..=4096 levels"));
            }
        }
        if levels_a * levels_b > 4096 {
            return Err(Error::invalid(
                "levels_a * levels_b",
                levels_a * levels_b,
                "at most 4096 conditions",
            ));
        }
        Ok(Factorial { levels_a, levels_b })
    }

    /// Levels of A.
    pub fn levels_a(&self) -> usize {
        self.levels_a
    }

    /// Levels of B.
    pub fn levels_b(&self) -> usize {
        self.levels_b
    }

    /// Number of conditions `levels_a * levels_b`.
    pub fn conditions(&self) -> usize {
        self.levels_a * self.levels_b
    }

    /// The condition with levels `(a, b)`.
    pub fn condition(&self, a: usize, b: usize) -> usize {
        a * self.levels_b + b
    }

    /// The levels `(a, b)` of condition `c`.
    pub fn levels(&self, c: usize) -> (usize, usize) {
        (c / self.levels_b, c % self.levels_b)
    }

    pub(crate) fn check(&self, r: &Responses) -> Result<()> {
        if r.conditions() != self.conditions() {
            return Err(Error::invalid(
                "design",
                format!("{} x {}", self.levels_a, self.levels_b),
                format!(
                    "the design has {} conditions, the responses {}",
                    self.conditions(),
                    r.conditions()
                ),
            ));
        }
        Ok(())
    }
}

pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::invalid(
            "alpha",
            alpha,
            "significance level must be in (0, 1)",
        ));
    }
    Ok(())
}
