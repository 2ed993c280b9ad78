//! Counting noise of a rate measured as `count / T` (docs/theory.md section 3): the one
//! implementation behind the theory's distribution of measured rates
//! ([`super::counting_noise_cdf`]) and the comparison's Kolmogorov-Smirnov distance.

/// Expected count below which a neuron's spike count in the window is taken as Poisson;
/// above it the count is Gaussian with the renewal variance (see [`count_cdf`]).
pub const POISSON_BELOW_COUNTS: f64 = 10.0;

/// `P(count <= k)` for a neuron of rate `nu` (Hz) counted over `window_s` (s), with ISI
/// coefficient of variation `cv` for large counts.
///
/// With the expected count `m = nu T` below [`POISSON_BELOW_COUNTS`] the count is Poisson
/// (exact CDF by summation; at most a few dozen terms matter). Otherwise it is Gaussian
/// with mean `m` and the renewal-process variance `m CV^2` (Cox 1962), with a continuity
/// correction: `Phi_N((k + 1/2 - m) / sqrt(m CV^2))`, mass below zero counted at zero. A
/// regular train (`cv = 0`) gives the step at `k + 1/2 = m`. `k < 0` gives 0.
pub fn count_cdf(nu: f64, window_s: f64, cv: f64, k: i64) -> f64 {
    if k < 0 {
        return 0.0;
    }
    let m = (nu * window_s).max(0.0);
    if m < POISSON_BELOW_COUNTS {
        let mut term = (-m).exp();
        let mut acc = term;
        for j in 1..=k {
            term *= m / j as f64;
            acc += term;
            if term < 1e-17 * acc && j as f64 > m {
                break;
            }
        }
        acc.min(1.0)
    } else {
        let sd = (m * cv * cv).sqrt();
        let edge = k as f64 + 0.5 - m;
        if sd > 0.0 {
            crate::transfer::closed::normal_cdf(edge / sd)
        } else if edge >= 0.0 {
            1.0
        } else {
            0.0
        }
    }
}
