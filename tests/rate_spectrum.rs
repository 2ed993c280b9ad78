//! The Welch estimator of population-rate spectra (docs/theory.md 6.5) against closed
//! forms: the flat spectrum `nu / N` of Poisson neurons and its standard error, the power
//! `A^2/4` of a sinusoid at `+-f0`, and the spectrum of a Cox process with an
//! Ornstein-Uhlenbeck rate (`lambda0 + sum 2 sigma^2 tau / (1 + (2 pi f tau)^2)`) after
//! binning, aliasing and the window's kernel ([`RateSpectrum::expected`]).

use std::f64::consts::PI;

use balnet::sim::spectrum::{RateSpectrum, band_rel_se, welch};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Bin of the spike counts (s) and segment length (samples): 0.2 ms and 0.5 s, as the
/// recorder uses at dt = 0.1 ms.
const BIN: f64 = 2e-4;
const SEG: usize = 2500;

/// Spike counts per bin of `n` independent Poisson neurons of rate `nu` over `t` s,
/// from exponential intervals of the pooled train (rate `n nu`), as the population rate
/// `counts / (n BIN)` (Hz).
fn poisson_population(n: usize, nu: f64, t: f64, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let bins = (t / BIN).round() as usize;
    let mut x = vec![0.0; bins];
    let rate = n as f64 * nu;
    let mut s = 0.0;
    loop {
        let e: f64 = Exp1.sample(&mut rng);
        s += e / rate;
        let k = (s / BIN) as usize;
        if k >= bins {
            break;
        }
        x[k] += 1.0 / (n as f64 * BIN);
    }
    x
}

#[test]
fn poisson_population_is_flat_at_nu_over_n() {
    // 1000 neurons at 10 Hz: two-sided level nu / N = 0.01 Hz at every frequency
    let (n, nu) = (1000, 10.0);
    let level = nu / n as f64;
    let mut all = Vec::new();
    let mut sum_sq_dev = 0.0;
    let mut count = 0usize;
    let mut rel_se = 0.0;
    let mut segments = 0;
    for r in 0..40 {
        let x = poisson_population(n, nu, 10.0, 100 + r);
        let w = welch(&x, BIN, SEG, f64::INFINITY).unwrap();
        assert_eq!(w.segment_len, SEG);
        assert_eq!(w.frequencies_hz[0], 2.0 / (SEG as f64 * BIN));
        rel_se = w.rel_se;
        segments = w.segments;
        for p in &w.power {
            let y = p / level;
            all.push(y);
            sum_sq_dev += (y - 1.0) * (y - 1.0);
            count += 1;
        }
    }
    let j = all.len() / 40;
    // level: the mean over frequencies and realisations, standard error from the
    // estimator's own band formula (flat spectrum) over the 40 independent runs
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let se_mean = band_rel_se(SEG, segments, j) / 40f64.sqrt();
    assert!(
        (mean - 1.0).abs() < 4.0 * se_mean,
        "mean level {mean} nu/N, expected 1 +- {se_mean}"
    );
    assert!(se_mean < 1.2e-3, "the test must resolve 0.5%: se {se_mean}");
    // scatter: the per-frequency relative variance equals rel_se^2 = (1 + 2 (1 - 1/M)
    // rho_1^2)/M with rho_1 = 1/6 for Hann at 50% overlap (Welch 1967): for 39 segments
    // 1.0541/39. Neighbouring frequencies are correlated (rho^2 = 4/9, 1/36), which leaves
    // about count/1.4 independent values: the variance is known to sqrt(2.8/count) = 0.8%;
    // the bound (3%) is below the 5.4% that the overlap adds to 1/M.
    let m = segments as f64;
    assert_eq!(segments, 39);
    let expect = (1.0 + 2.0 * (1.0 - 1.0 / m) / 36.0) / m;
    assert!((rel_se * rel_se / expect - 1.0).abs() < 1e-3);
    let var = sum_sq_dev / count as f64;
    assert!(
        (var / expect - 1.0).abs() < 0.03,
        "relative variance {var}, Welch formula {expect} (1/M alone: {})",
        1.0 / m
    );
}

#[test]
fn sinusoid_power_and_peak() {
    // x = A sin(2 pi f0 t + phi): two-sided power A^2/4 at +f0. On the frequency grid the
    // Hann periodogram puts A^2 L Delta / 6 at f0 and a quarter of it at f0 +- 1/(L Delta).
    let (a, phi) = (3.0, 0.7);
    let n = 20 * SEG;
    let df = 1.0 / (SEG as f64 * BIN);
    for (f0, on_grid) in [(50.0 * df, true), (123.37, false)] {
        let x: Vec<f64> = (0..n)
            .map(|k| a * (2.0 * PI * f0 * k as f64 * BIN + phi).sin())
            .collect();
        let w = welch(&x, BIN, SEG, f64::INFINITY).unwrap();
        let total: f64 = w.power.iter().sum::<f64>() * df;
        let (imax, pmax) = w
            .power
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
        assert!(
            (w.frequencies_hz[imax] - f0).abs() <= 0.5 * df,
            "peak at {} Hz, sinusoid at {f0} Hz",
            w.frequencies_hz[imax]
        );
        if on_grid {
            let peak = a * a * SEG as f64 * BIN / 6.0;
            assert!(
                (pmax / peak - 1.0).abs() < 1e-9,
                "peak {pmax}, closed form {peak}"
            );
            assert!((w.power[imax + 1] / peak - 0.25).abs() < 1e-9);
            assert!((w.power[imax - 1] / peak - 0.25).abs() < 1e-9);
            assert!((total / (a * a / 4.0) - 1.0).abs() < 1e-9, "power {total}");
        } else {
            // off the grid the segments see slightly different phases and the kernel
            // leaks; the power stays within 1% of A^2/4 (Hann main lobe holds 99.9%)
            assert!((total / (a * a / 4.0) - 1.0).abs() < 0.01, "power {total}");
        }
    }
}

#[test]
fn cox_process_matches_expected_estimate() {
    // A Poisson process of rate lambda(t) = lambda0 + xi_1(t) + xi_2(t), xi_k independent
    // Ornstein-Uhlenbeck processes (sd sigma_k, time constant tau_k), has the two-sided
    // spectrum lambda0 + sum_k 2 sigma_k^2 tau_k / (1 + (2 pi f tau_k)^2). The slow part
    // (tau = 0.3 s, half width 0.5 Hz) is narrower than the 2 Hz resolution, so that the
    // kernel matters at low frequency; the fast part (1 ms) reaches the binning filter.
    let lambda0 = 1e5;
    let comps = [(1e4, 0.3), (1.5e4, 1e-3)];
    let spectrum = |f: f64| -> f64 {
        lambda0
            + comps
                .iter()
                .map(|(s, t)| 2.0 * s * s * t / (1.0 + (2.0 * PI * f * t).powi(2)))
                .sum::<f64>()
    };
    let t = 50.0;
    let sub = 4; // fine steps per bin
    let h = BIN / sub as f64;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut xi: Vec<f64> = comps
        .iter()
        .map(|(s, _)| s * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let decay: Vec<f64> = comps.iter().map(|(_, tau)| (-h / tau).exp()).collect();
    let bins = (t / BIN).round() as usize;
    let mut x = vec![0.0; bins];
    for xb in x.iter_mut() {
        for _ in 0..sub {
            let rate: f64 = (lambda0 + xi.iter().sum::<f64>()).max(0.0);
            // clipping at 0 (5.5 sd below the mean: about 1e-3 episodes per run) would
            // add non-Gaussian bursts
            let c: f64 = if rate > 0.0 {
                Poisson::new(rate * h).unwrap().sample(&mut rng)
            } else {
                0.0
            };
            *xb += c / BIN;
            for (k, (s, _)) in comps.iter().enumerate() {
                let z: f64 = rng.sample(StandardNormal);
                xi[k] = xi[k] * decay[k] + s * (1.0 - decay[k] * decay[k]).sqrt() * z;
            }
        }
    }
    let w = welch(&x, BIN, SEG, 1000.0).unwrap();
    let rs = RateSpectrum {
        window_s: [0.0, t],
        bin_s: BIN,
        segment_s: SEG as f64 * BIN,
        segments: w.segments,
        neurons: 1,
        rate_hz: lambda0,
        frequencies_hz: w.frequencies_hz.clone(),
        power_hz: w.power.clone(),
        rel_se: w.rel_se,
    };
    let expected = rs.expected(|f| Ok(spectrum(f)), lambda0, 4).unwrap();
    // without the kernel the lowest frequency would be off by 20% (leakage from the slow
    // part's peak at 0 Hz): check that the test can see it
    let raw4 = spectrum(4.0);
    assert!((raw4 / expected[0] - 1.0).abs() > 0.15);
    for (lo, hi) in [
        (4.0, 4.0),
        (6.0, 10.0),
        (10.0, 30.0),
        (30.0, 100.0),
        (100.0, 300.0),
        (300.0, 1000.0),
    ] {
        let sim = rs.band(&rs.power_hz, lo, hi).unwrap();
        let th = rs.band(&expected, lo, hi).unwrap();
        let err = sim.mean_hz / th.mean_hz - 1.0;
        assert!(
            err.abs() < 4.0 * sim.rel_se,
            "band [{lo}, {hi}] Hz: estimate {} vs expected {} ({:+.2}%, 4 se = {:.2}%)",
            sim.mean_hz,
            th.mean_hz,
            100.0 * err,
            400.0 * sim.rel_se
        );
    }
}
