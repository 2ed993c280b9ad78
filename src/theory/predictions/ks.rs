//! Kolmogorov-Smirnov distances between a theoretical distribution and samples, or between
//! two samples (docs/theory.md section 3: rate distributions are compared by their KS distance).
//! Public so that the theory-vs-simulation comparison uses the same definitions.

use crate::error::{Error, Result};

/// A cumulative distribution function on the real line.
///
/// `cdf_left(x)` is the left limit `P(X < x)`; it differs from `cdf(x) = P(X <= x)` only at
/// atoms, e.g. for rates measured as counts over a window. Every `Fn(f64) -> f64` is a
/// continuous `Cdf`.
pub trait Cdf {
    /// `P(X <= x)`.
    fn cdf(&self, x: f64) -> f64;
    /// `P(X < x)`; the default assumes no atom at `x`.
    fn cdf_left(&self, x: f64) -> f64 {
        self.cdf(x)
    }
}

impl<F: Fn(f64) -> f64> Cdf for F {
    fn cdf(&self, x: f64) -> f64 {
        self(x)
    }
}

fn sorted(samples: &[f64], what: &str) -> Result<Vec<f64>> {
    if samples.is_empty() {
        return Err(Error::invalid(what, "[]", "needs at least one sample"));
    }
    if let Some(x) = samples.iter().find(|x| x.is_nan()) {
        return Err(Error::invalid(what, x, "samples must not be NaN"));
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// The Kolmogorov-Smirnov distance `sup_x |F_n(x) - F(x)|` between the empirical CDF `F_n`
/// of `samples` and a theoretical CDF `F` (docs/theory.md section 3). Exact for any `F` that
/// reports its atoms through [`Cdf::cdf_left`]: the supremum is attained at a sample, on
/// one side or the other, so both one-sided limits are checked at every distinct sample.
pub fn ks_distance<C: Cdf + ?Sized>(theory: &C, samples: &[f64]) -> Result<f64> {
    let v = sorted(samples, "samples")?;
    let n = v.len() as f64;
    let mut d = 0.0f64;
    let mut i = 0;
    while i < v.len() {
        let x = v[i];
        let mut j = i;
        while j < v.len() && v[j] == x {
            j += 1;
        }
        // empirical CDF just below x is i/n, at x it is j/n
        d = d.max((theory.cdf_left(x) - i as f64 / n).abs());
        d = d.max((theory.cdf(x) - j as f64 / n).abs());
        i = j;
    }
    Ok(d)
}

/// The two-sample Kolmogorov-Smirnov distance `sup_x |F_a(x) - F_b(x)|` (ties handled).
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<f64> {
    let (a, b) = (sorted(a, "samples_a")?, sorted(b, "samples_b")?);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    Ok(d)
}

/// Asymptotic p-value of a one-sample KS distance `d` with `n` samples, for a continuous
/// `F`: `Q_KS((sqrt(n) + 0.12 + 0.11/sqrt(n)) d)` with `Q_KS(t) = 2 sum_k (-1)^(k-1) exp(-2 k^2 t^2)`
/// (Stephens' finite-n correction, as in Numerical Recipes). For the two-sample test pass
/// `n = n_a n_b / (n_a + n_b)`. Conservative for distributions with atoms.
pub fn ks_p_value(d: f64, n: f64) -> f64 {
    if !(d.is_finite() && n > 0.0) {
        return f64::NAN;
    }
    let sn = n.sqrt();
    let t = (sn + 0.12 + 0.11 / sn) * d;
    if t < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let term = (-2.0 * (k * k) as f64 * t * t).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_uniform_grid() {
        let s: Vec<f64> = (0..10).map(|i| (i as f64 + 0.5) / 10.0).collect();
        let d = ks_distance(&|x: f64| x.clamp(0.0, 1.0), &s).unwrap();
        assert!((d - 0.05).abs() < 1e-12, "{d}");
        assert!((ks_two_sample(&s, &s).unwrap()).abs() < 1e-15);
        let shifted: Vec<f64> = s.iter().map(|x| x + 0.25).collect();
        assert!((ks_two_sample(&s, &shifted).unwrap() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn ks_with_atoms() {
        // a point mass at 1: F = 1{x >= 1}; samples all at 1 -> distance 0
        struct Atom;
        impl Cdf for Atom {
            fn cdf(&self, x: f64) -> f64 {
                if x >= 1.0 { 1.0 } else { 0.0 }
            }
            fn cdf_left(&self, x: f64) -> f64 {
                if x > 1.0 { 1.0 } else { 0.0 }
            }
        }
        assert_eq!(ks_distance(&Atom, &[1.0, 1.0, 1.0]).unwrap(), 0.0);
        assert!(ks_distance(&Atom, &[]).is_err());
        assert!((ks_p_value(0.0, 100.0) - 1.0).abs() < 1e-12);
        assert!(ks_p_value(0.2, 1000.0) < 1e-10);
    }
}
