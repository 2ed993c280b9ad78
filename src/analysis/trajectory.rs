//! Measures on latent trajectories over trials (docs/theory.md 12.4): the RMS distance
//! between two trajectories relative to the reference's range, trial means with standard
//! errors, a logistic psychometric fit, phase unwrapping, the diffusion coefficient of an
//! angle and the frequency of a rotation. Pure functions of arrays.

use crate::error::{Error, Result};

fn check_finite(field: &str, x: &[f64]) -> Result<()> {
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            format!("{field}[{i}]"),
            x[i],
            "must be finite",
        ));
    }
    Ok(())
}

/// RMS distance between two trajectories `reference[t][d]` and `other[t][d]` on the same
/// times, relative to the range of the reference (docs/theory.md 12.4):
/// `sqrt(mean_t |reference_t - other_t|^2) / max_d (max_t reference_{t,d} - min_t reference_{t,d})`.
///
/// # Errors
///
/// [`Error::Invalid`] for empty or unequal lengths, rows of different dimension,
/// non-finite values, or a reference of zero range.
pub fn rms_relative(reference: &[Vec<f64>], other: &[Vec<f64>]) -> Result<f64> {
    if reference.is_empty() || reference.len() != other.len() {
        return Err(Error::invalid(
            "other",
            other.len(),
            format!(
                "must have as many points as the reference ({}, at least 1)",
                reference.len()
            ),
        ));
    }
    let d = reference[0].len();
    let mut sum = 0.0;
    for (t, (a, b)) in reference.iter().zip(other).enumerate() {
        if a.len() != d || b.len() != d || d == 0 {
            return Err(Error::invalid(
                format!("trajectory point {t}"),
                format!("{} / {}", a.len(), b.len()),
                format!("every point must have dimension {d} >= 1"),
            ));
        }
        check_finite("reference", a)?;
        check_finite("other", b)?;
        sum += a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    }
    let range = (0..d)
        .map(|k| {
            let (lo, hi) = reference
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                    (lo.min(p[k]), hi.max(p[k]))
                });
            hi - lo
        })
        .fold(0.0, f64::max);
    if range <= 0.0 {
        return Err(Error::invalid(
            "reference",
            range,
            "has zero range (a constant trajectory): a relative distance is undefined",
        ));
    }
    Ok((sum / reference.len() as f64).sqrt() / range)
}

/// Mean and standard error of the mean (sample standard deviation over `sqrt n`; NaN
/// for fewer than two values).
pub fn mean_sem(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (m, f64::NAN);
    }
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Unwrap a sequence of angles (rad) so that successive values differ by less than `pi`.
pub fn unwrap(angles: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(angles.len());
    let mut offset = 0.0;
    for (i, &a) in angles.iter().enumerate() {
        if i > 0 {
            let prev = angles[i - 1];
            let mut d = a - prev;
            while d > std::f64::consts::PI {
                d -= std::f64::consts::TAU;
                offset -= std::f64::consts::TAU;
            }
            while d < -std::f64::consts::PI {
                d += std::f64::consts::TAU;
                offset += std::f64::consts::TAU;
            }
        }
        out.push(a + offset);
    }
    out
}

/// Diffusion of an angle over trials (docs/theory.md 12.2).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AngleDiffusion {
    /// Lags `t - t_0` (s).
    pub lag_s: Vec<f64>,
    /// Variance over trials of `theta(t) - theta(t_0)` at each lag (rad^2), about the
    /// trial mean (so a common drift is removed).
    pub variance_rad2: Vec<f64>,
    /// Slope of the variance against the lag, least squares through the origin (rad^2/s):
    /// `2 D` for a Brownian angle of diffusion coefficient `D`.
    pub slope_rad2_per_s: f64,
    /// Its jackknife standard error over trials (rad^2/s).
    pub slope_se: f64,
    /// Number of trials.
    pub trials: usize,
}

fn variance_slope(lags: &[f64], disp: &[Vec<f64>]) -> (Vec<f64>, f64) {
    let n = disp.len() as f64;
    let var: Vec<f64> = (0..lags.len())
        .map(|t| {
            let m = disp.iter().map(|d| d[t]).sum::<f64>() / n;
            disp.iter().map(|d| (d[t] - m).powi(2)).sum::<f64>() / (n - 1.0)
        })
        .collect();
    let num: f64 = lags.iter().zip(&var).map(|(l, v)| l * v).sum();
    let den: f64 = lags.iter().map(|l| l * l).sum();
    (var, num / den)
}

/// Angle diffusion from `angles[trial][t]` (rad, wrapped or not) sampled at `times`
/// (s): every trial is unwrapped, referred to its value at `times[0]`, and the variance
/// across trials of the displacement is fitted by `slope * (t - t_0)`; the standard error
/// is the jackknife over trials (leave one trial out).
///
/// # Errors
///
/// [`Error::Invalid`] for fewer than 3 trials, fewer than 2 times, times not increasing,
/// a trial of another length, or non-finite values.
pub fn angle_diffusion(times: &[f64], angles: &[Vec<f64>]) -> Result<AngleDiffusion> {
    if angles.len() < 3 {
        return Err(Error::invalid(
            "angles",
            angles.len(),
            "needs at least 3 trials",
        ));
    }
    if times.len() < 2 || times.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid(
            "times",
            times.len(),
            "needs at least 2 strictly increasing times (s)",
        ));
    }
    check_finite("times", times)?;
    let mut disp = Vec::with_capacity(angles.len());
    for (k, a) in angles.iter().enumerate() {
        if a.len() != times.len() {
            return Err(Error::invalid(
                format!("angles[{k}]"),
                a.len(),
                format!("must have one angle per time ({})", times.len()),
            ));
        }
        check_finite(&format!("angles[{k}]"), a)?;
        let u = unwrap(a);
        disp.push(u.iter().map(|x| x - u[0]).collect::<Vec<f64>>());
    }
    let lags: Vec<f64> = times.iter().map(|t| t - times[0]).collect();
    let (variance, slope) = variance_slope(&lags, &disp);
    let n = disp.len();
    let loo: Vec<f64> = (0..n)
        .map(|i| {
            let rest: Vec<Vec<f64>> = disp
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| d.clone())
                .collect();
            variance_slope(&lags, &rest).1
        })
        .collect();
    let mean_loo = loo.iter().sum::<f64>() / n as f64;
    let se = ((n as f64 - 1.0) / n as f64
        * loo.iter().map(|s| (s - mean_loo).powi(2)).sum::<f64>())
    .sqrt();
    Ok(AngleDiffusion {
        lag_s: lags,
        variance_rad2: variance,
        slope_rad2_per_s: slope,
        slope_se: se,
        trials: n,
    })
}

/// Diffusion of an angle within each trial (docs/theory.md 12.4), separating the noise
/// of one network from its quenched drift.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WithinTrialDiffusion {
    /// Lags `tau` (s).
    pub lag_s: Vec<f64>,
    /// Allan variance `A(tau)` of the unwrapped angle averaged over trials (rad^2).
    pub allan_rad2: Vec<f64>,
    /// Slope of `A(tau) = a + slope tau` per trial (rad^2/s): `2 D` of a Brownian angle.
    pub slope_per_trial: Vec<f64>,
    /// Mean of `slope_per_trial` (rad^2/s).
    pub slope_rad2_per_s: f64,
    /// Its standard error over trials (rad^2/s; NaN for one trial).
    pub slope_se: f64,
}

/// Within-trial angle diffusion from `angles[trial][t]` (rad, wrapped or not) sampled at
/// equally spaced `times` (s): per trial, the Allan variance of the unwrapped angle
/// `A(tau) = <(theta(t + 2 tau) - 2 theta(t + tau) + theta(t))^2> / 2` (all `t`), which
/// is `slope tau` for a Brownian angle with `Var[theta(t + tau) - theta(t)] = slope tau`,
/// is zero for a drift at constant velocity and of order `(v v' tau^2)^2` for a drift
/// `v(theta)` that varies slowly along the ring, and is constant for white measurement
/// noise. `A(tau) = a + slope tau` is fitted by least squares on `lags` (s, each a
/// multiple of the sampling step); the slopes are averaged over trials.
///
/// # Errors
///
/// [`Error::Invalid`] for no trials, fewer than 2 lags, times not equally spaced, a lag
/// that is not a positive multiple of the step or leaves no pair in the window, a
/// trial of another length, or non-finite values.
pub fn within_trial_diffusion(
    times: &[f64],
    angles: &[Vec<f64>],
    lags: &[f64],
) -> Result<WithinTrialDiffusion> {
    if angles.is_empty() || lags.len() < 2 {
        return Err(Error::invalid(
            "angles / lags",
            format!("{} / {}", angles.len(), lags.len()),
            "needs at least 1 trial and 2 lags",
        ));
    }
    check_finite("times", times)?;
    check_finite("lags", lags)?;
    if times.len() < 3 {
        return Err(Error::invalid(
            "times",
            times.len(),
            "needs at least 3 times",
        ));
    }
    let dt = times[1] - times[0];
    if !(dt > 0.0)
        || times
            .windows(2)
            .any(|w| ((w[1] - w[0]) - dt).abs() > 1e-6 * dt)
    {
        return Err(Error::invalid(
            "times",
            times.len(),
            "must be equally spaced and increasing (s)",
        ));
    }
    let mut steps = Vec::with_capacity(lags.len());
    for &l in lags {
        let k = (l / dt).round();
        if !(k >= 1.0 && (k * dt - l).abs() < 1e-6 * dt && 2 * (k as usize) < times.len()) {
            return Err(Error::invalid(
                "lags",
                l,
                format!(
                    "each lag must be a positive multiple of the step {dt} s and below half the window"
                ),
            ));
        }
        steps.push(k as usize);
    }
    let mut allan = vec![0.0; lags.len()];
    let mut slopes = Vec::with_capacity(angles.len());
    for (i, a) in angles.iter().enumerate() {
        if a.len() != times.len() {
            return Err(Error::invalid(
                format!("angles[{i}]"),
                a.len(),
                format!("must have one angle per time ({})", times.len()),
            ));
        }
        check_finite(&format!("angles[{i}]"), a)?;
        let u = unwrap(a);
        let av: Vec<f64> = steps
            .iter()
            .map(|&k| {
                let n = u.len() - 2 * k;
                (0..n)
                    .map(|t| (u[t + 2 * k] - 2.0 * u[t + k] + u[t]).powi(2))
                    .sum::<f64>()
                    / (2.0 * n as f64)
            })
            .collect();
        for (s, v) in allan.iter_mut().zip(&av) {
            *s += v / angles.len() as f64;
        }
        let lm = lags.iter().sum::<f64>() / lags.len() as f64;
        let am = av.iter().sum::<f64>() / av.len() as f64;
        let num: f64 = lags.iter().zip(&av).map(|(l, v)| (l - lm) * (v - am)).sum();
        let den: f64 = lags.iter().map(|l| (l - lm).powi(2)).sum();
        slopes.push(num / den);
    }
    let (mean, se) = mean_sem(&slopes);
    Ok(WithinTrialDiffusion {
        lag_s: lags.to_vec(),
        allan_rad2: allan,
        slope_per_trial: slopes,
        slope_rad2_per_s: mean,
        slope_se: se,
    })
}

/// Angular frequency of a rotation: the least-squares slope of the unwrapped angle
/// against time (rad/s; positive counter-clockwise).
///
/// # Errors
///
/// [`Error::Invalid`] for fewer than 2 points, unequal lengths or non-finite values.
pub fn angular_frequency(times: &[f64], angles: &[f64]) -> Result<f64> {
    if times.len() < 2 || times.len() != angles.len() {
        return Err(Error::invalid(
            "angles",
            angles.len(),
            format!("needs one angle per time and at least 2 ({})", times.len()),
        ));
    }
    check_finite("times", times)?;
    check_finite("angles", angles)?;
    let u = unwrap(angles);
    let n = times.len() as f64;
    let mt = times.iter().sum::<f64>() / n;
    let ma = u.iter().sum::<f64>() / n;
    let sxy: f64 = times.iter().zip(&u).map(|(t, a)| (t - mt) * (a - ma)).sum();
    let sxx: f64 = times.iter().map(|t| (t - mt).powi(2)).sum();
    if sxx <= 0.0 {
        return Err(Error::invalid("times", mt, "must not all be equal"));
    }
    Ok(sxy / sxx)
}

/// A logistic psychometric curve `P(choice) = 1 / (1 + exp(-(bias + slope x)))`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LogisticFit {
    /// Intercept (dimensionless).
    pub bias: f64,
    /// Slope (per unit of `x`).
    pub slope: f64,
    /// Standard errors of `bias` and `slope` from the inverse Fisher information.
    pub bias_se: f64,
    /// See `bias_se`.
    pub slope_se: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

/// Maximum-likelihood logistic fit of binary choices `y` against `x` (Newton's method
/// on the log-likelihood, at most 100 iterations, converged when the step is below
/// 1e-10; docs/theory.md 12.4).
///
/// # Errors
///
/// [`Error::Invalid`] for unequal lengths, fewer than 3 points, non-finite `x`, or
/// separable data (the slope diverges: [`Error::NoConvergence`]).
pub fn logistic_fit(x: &[f64], y: &[bool]) -> Result<LogisticFit> {
    if x.len() != y.len() || x.len() < 3 {
        return Err(Error::invalid(
            "y",
            y.len(),
            format!("needs one choice per x and at least 3 ({})", x.len()),
        ));
    }
    check_finite("x", x)?;
    let (mut b0, mut b1) = (0.0_f64, 0.0_f64);
    for it in 1..=100 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            let p = 1.0 / (1.0 + (-(b0 + b1 * xi)).exp());
            let r = f64::from(u8::from(yi)) - p;
            let w = p * (1.0 - p);
            g0 += r;
            g1 += r * xi;
            h00 += w;
            h01 += w * xi;
            h11 += w * xi * xi;
        }
        let det = h00 * h11 - h01 * h01;
        if !(det.is_finite() && det > 1e-300) {
            break;
        }
        let d0 = (h11 * g0 - h01 * g1) / det;
        let d1 = (h00 * g1 - h01 * g0) / det;
        b0 += d0;
        b1 += d1;
        if d0.abs().max(d1.abs()) < 1e-10 {
            return Ok(LogisticFit {
                bias: b0,
                slope: b1,
                bias_se: (h11 / det).sqrt(),
                slope_se: (h00 / det).sqrt(),
                iterations: it,
            });
        }
        if b1.abs() > 1e8 {
            break;
        }
    }
    Err(Error::NoConvergence {
        what: "logistic fit (are the choices separable by x?)".into(),
        iterations: 100,
        residual: f64::NAN,
    })
}
