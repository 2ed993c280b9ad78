//! Simulation of the low-rank rate network (docs/theory.md 10.5): one realisation of
//! `J = g chi + (1/N) sum_r m^(r) n^(r)T` and the loadings, integrated by the forward
//! Euler method.
//!
//! Deterministic: the loadings come from one Xoshiro256++ stream seeded by `seed`, row
//! `i` of `chi` from its own stream seeded by `(seed, i)`, so a run is bit-identical for
//! any number of rayon threads (each row's sum is taken in one order).

use std::io::IsTerminal;

use nalgebra::DVector;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::RateNetwork;
use crate::error::{Error, Result};

/// Largest network simulated (`chi` is stored densely: `N^2` doubles, 800 MB at 10^4).
pub const MAX_UNITS: usize = 10_000;

/// Settings of [`simulate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateSimOptions {
    /// Number of units `N`.
    pub n: usize,
    /// Euler time step (s); must be `<= tau/5` (docs/theory.md 10.5 uses `tau/20`).
    pub dt: f64,
    /// Duration (s).
    pub t_end: f64,
    /// Interval between recorded samples (s; rounded to a multiple of `dt`).
    pub record_dt: f64,
    /// Number of units (the first ones) whose `x` and `phi(x)` are recorded.
    pub record_units: usize,
    /// Seed of the random number generators.
    pub seed: u64,
    /// Initial condition `x_i(0) = m_i . kappa0 + w_i . s(0) + x0_sd xi_i`, `xi_i ~ N(0, 1)`:
    /// the latent start (length `R`).
    pub kappa0: Vec<f64>,
    /// Standard deviation of the random part of the initial condition.
    pub x0_sd: f64,
    /// No progress bar.
    pub quiet: bool,
}

impl RateSimOptions {
    /// `n` units, `dt = tau/20`, `t_end = 50 tau`, a sample every `tau`, 10 recorded units,
    /// seed 1, `kappa0 = 0`, `x0_sd = 1`.
    pub fn for_network(net: &RateNetwork, n: usize) -> Self {
        RateSimOptions {
            n,
            dt: net.tau() / 20.0,
            t_end: 50.0 * net.tau(),
            record_dt: net.tau(),
            record_units: 10,
            seed: 1,
            kappa0: vec![0.0; net.rank()],
            x0_sd: 1.0,
            quiet: true,
        }
    }
}

/// Output of [`simulate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateSimResult {
    /// Number of units.
    pub n: usize,
    /// Sample times (s).
    pub t: Vec<f64>,
    /// `kappa_r(t) = (1/N) sum_j n_j^(r) phi(x_j(t))`.
    pub kappa: Vec<Vec<f64>>,
    /// Population mean of `x(t)`.
    pub mean_x: Vec<f64>,
    /// Population variance of `x(t)` (divided by `N`).
    pub var_x: Vec<f64>,
    /// `x(t)` of the recorded units (`[sample][unit]`).
    pub x: Vec<Vec<f64>>,
    /// `phi(x(t))` of the recorded units.
    pub phi: Vec<Vec<f64>>,
    /// `x` of every unit at `t_end`.
    pub x_final: Vec<f64>,
    /// Sample means of the drawn loadings `(m, n, w)` (the theory evaluated with these
    /// and [`RateSimResult::loading_cov`] removes the sampling error of the loadings).
    pub loading_mean: Vec<f64>,
    /// Sample covariance (divided by `N`) of the drawn loadings.
    pub loading_cov: Vec<Vec<f64>>,
    /// The drawn loadings (`[unit][(m, n, w)]`).
    pub loadings: Vec<Vec<f64>>,
}

fn stream(seed: u64, k: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed ^ (k.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// Simulate the network (docs/theory.md 10.5):
/// `x_i <- x_i + dt/tau (-x_i + g sum_j chi_ij phi(x_j) + m_i . kappa + w_i . s(t))`,
/// `kappa = (1/N) sum_j n_j phi(x_j)`, with the input `s(t)` (length `D_in`) given as a
/// function of time (s).
///
/// # Errors
///
/// [`Error::Invalid`] naming the option if `n` is not in `2..=10000`, `dt` not in
/// `(0, tau/5]`, `t_end` or `record_dt` not positive, more than `10^7` steps,
/// `kappa0` of the wrong length, `x0_sd` negative, or `s(t)` returns the wrong length or a
/// non-finite value.
pub fn simulate(
    net: &RateNetwork,
    opts: &RateSimOptions,
    s: impl Fn(f64) -> Vec<f64>,
) -> Result<RateSimResult> {
    let n = opts.n;
    if !(2..=MAX_UNITS).contains(&n) {
        return Err(Error::invalid(
            "n",
            n,
            format!("must be in 2..={MAX_UNITS}"),
        ));
    }
    let tau = net.tau();
    if !(opts.dt.is_finite() && opts.dt > 0.0 && opts.dt <= tau / 5.0) {
        return Err(Error::invalid(
            "dt",
            opts.dt,
            format!("Euler step must be > 0 and <= tau/5 = {} s", tau / 5.0),
        ));
    }
    if !(opts.t_end.is_finite() && opts.t_end > 0.0) {
        return Err(Error::invalid(
            "t_end",
            opts.t_end,
            "must be finite and > 0 (s)",
        ));
    }
    if !(opts.record_dt.is_finite() && opts.record_dt > 0.0) {
        return Err(Error::invalid(
            "record_dt",
            opts.record_dt,
            "must be finite and > 0 (s)",
        ));
    }
    let steps = (opts.t_end / opts.dt).round();
    if steps > 1e7 {
        return Err(Error::invalid(
            "t_end",
            opts.t_end,
            "more than 1e7 Euler steps: raise dt or shorten t_end",
        ));
    }
    let steps = steps.max(1.0) as usize;
    net.check_kappa(&opts.kappa0)
        .map_err(|_| Error::invalid("kappa0", opts.kappa0.len(), "needs one entry per rank"))?;
    if !(opts.x0_sd.is_finite() && opts.x0_sd >= 0.0) {
        return Err(Error::invalid(
            "x0_sd",
            opts.x0_sd,
            "must be finite and >= 0",
        ));
    }
    let every = ((opts.record_dt / opts.dt).round() as usize).max(1);
    let input = |t: f64| -> Result<Vec<f64>> {
        let v = s(t);
        net.check_s(&v)?;
        Ok(v)
    };

    // loadings
    let r = net.rank();
    let din = net.inputs();
    let k = 2 * r + din;
    let mean = DVector::from_iterator(k, (0..k).map(|i| net.mean(i)));
    let mut rng = stream(opts.seed, u64::MAX);
    let loadings: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            let z = DVector::from_iterator(k, (0..k).map(|_| rng.sample::<f64, _>(StandardNormal)));
            (&mean + net.factor() * z).iter().copied().collect()
        })
        .collect();
    let (loading_mean, loading_cov) = sample_moments(&loadings, k);
    let m: Vec<f64> = loadings.iter().flat_map(|l| l[..r].to_vec()).collect();
    let nl: Vec<f64> = loadings.iter().flat_map(|l| l[r..2 * r].to_vec()).collect();
    let w: Vec<f64> = loadings.iter().flat_map(|l| l[2 * r..].to_vec()).collect();

    // random part g chi, chi_ij ~ N(0, 1/N), row i from its own stream
    let g = net.g();
    let chi: Vec<f64> = if g > 0.0 {
        let scale = g / (n as f64).sqrt();
        let mut c = vec![0.0; n * n];
        c.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            let mut rr = stream(opts.seed, i as u64);
            for v in row.iter_mut() {
                *v = scale * rr.sample::<f64, _>(StandardNormal);
            }
        });
        c
    } else {
        Vec::new()
    };

    // initial condition
    let s0 = input(0.0)?;
    let mut x: Vec<f64> = (0..n)
        .map(|i| {
            let mk: f64 = (0..r).map(|q| m[i * r + q] * opts.kappa0[q]).sum();
            let ws: f64 = (0..din).map(|q| w[i * din + q] * s0[q]).sum();
            mk + ws + opts.x0_sd * rng.sample::<f64, _>(StandardNormal)
        })
        .collect();

    let tf = net.transfer();
    let rec_units = opts.record_units.min(n);
    let mut out = RateSimResult {
        n,
        t: Vec::new(),
        kappa: Vec::new(),
        mean_x: Vec::new(),
        var_x: Vec::new(),
        x: Vec::new(),
        phi: Vec::new(),
        x_final: Vec::new(),
        loading_mean,
        loading_cov,
        loadings,
    };
    let mut phi = vec![0.0; n];
    let mut rec = vec![0.0; n];
    let a = opts.dt / tau;
    let show_bar = !opts.quiet && std::io::stderr().is_terminal();
    let t_run = std::time::Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    for step in 0..=steps {
        let t = step as f64 * opts.dt;
        phi.par_iter_mut()
            .zip(&x)
            .for_each(|(p, &xi)| *p = tf.phi(xi));
        let kappa: Vec<f64> = (0..r)
            .map(|q| (0..n).map(|j| nl[j * r + q] * phi[j]).sum::<f64>() / n as f64)
            .collect();
        if step % every == 0 || step == steps {
            let mx = x.iter().sum::<f64>() / n as f64;
            let vx = x.iter().map(|v| (v - mx).powi(2)).sum::<f64>() / n as f64;
            out.t.push(t);
            out.kappa.push(kappa.clone());
            out.mean_x.push(mx);
            out.var_x.push(vx);
            out.x.push(x[..rec_units].to_vec());
            out.phi.push(phi[..rec_units].to_vec());
        }
        if step == steps {
            break;
        }
        if g > 0.0 {
            rec.par_iter_mut()
                .zip(chi.par_chunks(n))
                .for_each(|(ri, row)| *ri = row.iter().zip(&phi).map(|(c, p)| c * p).sum());
        }
        let st = input(t)?;
        x.par_iter_mut().enumerate().for_each(|(i, xi)| {
            let mk: f64 = (0..r).map(|q| m[i * r + q] * kappa[q]).sum();
            let ws: f64 = (0..din).map(|q| w[i * din + q] * st[q]).sum();
            let rr = if g > 0.0 { rec[i] } else { 0.0 };
            *xi += a * (-*xi + rr + mk + ws);
        });
        if show_bar && step % 100 == 0 {
            if bar.is_none() && t_run.elapsed().as_secs_f64() > 1.0 {
                let b = indicatif::ProgressBar::new(steps as u64);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "rate network {bar:40} {percent}% eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar = Some(b);
            }
            if let Some(b) = &bar {
                b.set_position(step as u64);
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out.x_final = x;
    Ok(out)
}

fn sample_moments(l: &[Vec<f64>], k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = l.len() as f64;
    let mean: Vec<f64> = (0..k)
        .map(|i| l.iter().map(|v| v[i]).sum::<f64>() / n)
        .collect();
    let cov = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    l.iter()
                        .map(|v| (v[i] - mean[i]) * (v[j] - mean[j]))
                        .sum::<f64>()
                        / n
                })
                .collect()
        })
        .collect();
    (mean, cov)
}
