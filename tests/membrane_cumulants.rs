//! The free membrane's second and third cumulants under renewal trains and under linear
//! Hawkes sources (docs/theory.md 6.6.12d), against closed forms (the Poisson limit, the
//! one-pole spectrum's membrane Fano factor, the gamma train's spectrum integrated over
//! frequency) and against Monte Carlo runs of the processes themselves.

use balnet::sim::rng::{Poisson, SimRng, Stream, exp1, stream};
use balnet::sim::single::{sample_forward, sample_isi};
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::shot_noise::hawkes::HawkesSource;

const TAU: f64 = 0.02;

/// `(k2, k3, se2, se3)` of `X(t) = sum_k exp(-(t - t_k)/TAU)` sampled every `TAU/2` over
/// the sorted event times `events` after a warm-up of `20 TAU`; standard errors from 100
/// batch means.
fn sampled_cumulants(events: &[f64], t_end: f64) -> (f64, f64, f64, f64) {
    let dt = TAU / 2.0;
    let t_start = 20.0 * TAU;
    let mut xs = Vec::new();
    let (mut x, mut t_last, mut k) = (0.0f64, 0.0f64, 0usize);
    let mut t = t_start;
    while t < t_end {
        while k < events.len() && events[k] <= t {
            x = x * (-(events[k] - t_last) / TAU).exp() + 1.0;
            t_last = events[k];
            k += 1;
        }
        xs.push(x * (-(t - t_last) / TAU).exp());
        t += dt;
    }
    let cumulants = |s: &[f64]| {
        let n = s.len() as f64;
        let m = s.iter().sum::<f64>() / n;
        let c2 = s.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
        let c3 = s.iter().map(|v| (v - m).powi(3)).sum::<f64>() / n;
        (c2, c3)
    };
    let (k2, k3) = cumulants(&xs);
    let batches: Vec<(f64, f64)> = xs.chunks(xs.len() / 100).map(cumulants).collect();
    let se = |f: &dyn Fn(&(f64, f64)) -> f64, mean: f64| {
        let b = batches.len() as f64;
        (batches.iter().map(|c| (f(c) - mean).powi(2)).sum::<f64>() / (b * (b - 1.0))).sqrt()
    };
    (k2, k3, se(&|c| c.0, k2), se(&|c| c.1, k3))
}

fn gamma_events(g: &GammaRenewal, t_end: f64, rng: &mut SimRng) -> Vec<f64> {
    let mut out = Vec::new();
    let mut t = sample_forward(g, rng);
    while t < t_end {
        out.push(t);
        t += sample_isi(g, rng);
    }
    out
}

#[test]
fn renewal_cumulants_have_the_poisson_limit_and_the_spectral_variance() {
    // gamma shape 1 without dead time: a Poisson train, x/2 and x/3 exactly
    let p = GammaRenewal::new(20.0, 1.0, 0.0).unwrap();
    let (k2, k3) = p.membrane_cumulants(TAU);
    let x = 20.0 * TAU;
    approx::assert_relative_eq!(k2, x / 2.0, max_relative = 1e-12);
    approx::assert_relative_eq!(k3, x / 3.0, max_relative = 1e-12);
    // k2 = x F_eff / 2 with F_eff the spectrum's frequency integral (docs/theory.md 2.1)
    for (nu, cv) in [(70.0, 0.4), (30.0, 0.5), (5.0, 0.85), (12.0, 1.3)] {
        let g = GammaRenewal::new(nu, cv, 0.002).unwrap();
        let (k2, _) = g.membrane_cumulants(TAU);
        approx::assert_relative_eq!(
            k2,
            nu * TAU * g.fano_eff_spectral(TAU) / 2.0,
            max_relative = 1e-5
        );
    }
}

#[test]
fn renewal_third_cumulant_matches_a_monte_carlo_of_one_train() {
    // the most regular and fastest trains of the single-neuron checks; their third
    // cumulant (-0.01) is far from the Poisson value x/3 = 0.47
    for (nu, cv, seed) in [(70.0, 0.4, 1), (30.0, 0.5, 2)] {
        let g = GammaRenewal::new(nu, cv, 0.002).unwrap();
        let t_end = 4000.0;
        let mut rng = stream(seed, Stream::Drive, 0);
        let events = gamma_events(&g, t_end, &mut rng);
        let (k2, k3, se2, se3) = sampled_cumulants(&events, t_end);
        let (e2, e3) = g.membrane_cumulants(TAU);
        assert!(
            (k2 - e2).abs() < 4.0 * se2,
            "{nu} Hz, CV {cv}: k2 {k2} +- {se2} against {e2}"
        );
        assert!(
            (k3 - e3).abs() < 4.0 * se3,
            "{nu} Hz, CV {cv}: k3 {k3} +- {se3} against {e3}"
        );
        assert!(
            8.0 * se3 < (nu * TAU / 3.0 - e3).abs(),
            "test too weak: se {se3}"
        );
    }
}

#[test]
fn hawkes_cumulants_have_the_poisson_limit_and_the_one_pole_variance() {
    let p = HawkesSource::new(0.5, 200.0, 1.0, 0.005).unwrap();
    let (k2, k3) = p.membrane_cumulants(TAU);
    approx::assert_relative_eq!(k2, 0.25 * 200.0 * TAU / 2.0, max_relative = 1e-9);
    approx::assert_relative_eq!(k3, 0.125 * 200.0 * TAU / 3.0, max_relative = 1e-9);
    // self-inhibiting and self-exciting, one of them at the merged poles tau_c = tau_m
    for (s0, tau_c) in [(0.16, 0.00293), (0.5, TAU), (2.0, 0.003), (4.0, 0.01)] {
        let s = HawkesSource::new(-0.87, 1000.0, s0, tau_c).unwrap();
        let (k2, _) = s.membrane_cumulants(TAU);
        approx::assert_relative_eq!(
            k2,
            0.87f64.powi(2) * 1000.0 * TAU * s.membrane_fano(TAU) / 2.0,
            max_relative = 1e-6
        );
    }
}

#[test]
fn hawkes_third_cumulant_matches_a_monte_carlo_of_the_cluster_process() {
    // self-exciting (branching ratio 0.5, kernel time 5 ms): immigrants at R (1 - n),
    // each event with Poisson(n) children at exponential delays
    let s = HawkesSource::new(1.0, 200.0, 4.0, 0.01).unwrap();
    let n = 1.0 - 1.0 / s.s0.sqrt();
    let theta = s.kernel_time();
    let t_end = 2000.0;
    let mut rng = stream(3, Stream::Drive, 1);
    let children = Poisson::new(n).unwrap();
    let mut events = Vec::new();
    let mut t = 0.0;
    loop {
        t += exp1(&mut rng) / (s.rate_hz * (1.0 - n));
        if t > t_end {
            break;
        }
        let mut family = vec![t];
        while let Some(parent) = family.pop() {
            events.push(parent);
            for _ in 0..children.sample(&mut rng) {
                family.push(parent + theta * exp1(&mut rng));
            }
        }
    }
    events.sort_by(f64::total_cmp);
    let (k2, k3, se2, se3) = sampled_cumulants(&events, t_end);
    let (e2, e3) = s.membrane_cumulants(TAU);
    assert!((k2 - e2).abs() < 4.0 * se2, "k2 {k2} +- {se2} against {e2}");
    assert!((k3 - e3).abs() < 4.0 * se3, "k3 {k3} +- {se3} against {e3}");
    // the clusters' share of k3 (beyond the Poisson R tau/3) is resolved
    assert!(
        8.0 * se3 < e3 - s.rate_hz * TAU / 3.0,
        "test too weak: se {se3}"
    );
}
