//! Shot noise with self-inhibiting (Hawkes) sources (docs/theory.md 2.2.1): the Poisson
//! limit against the Poisson master equation, the mode expansion's convergence, the
//! rate against an independent Monte Carlo of the same input process
//! (`tools/renewal_embeddings.py`, NumPy; `tests/data/hawkes_mc.json`), and the lattice
//! bracket at which the correlated closure evaluates its corrections (docs/theory.md
//! 6.6.12a).

use balnet::transfer::LifParams;
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::shot_noise::hawkes::{self, HawkesResolution, HawkesSource};
use balnet::transfer::shot_noise::{self as shot, Resolution, ShotInput, population_input};

/// Population E of the default model with recurrent rates `nu` (Hz): the Hawkes sources
/// of levels `s0` and membrane Fano factors `f_eff` (one per population), the Poisson
/// external input, and the bias (mV) for mean input `x` (mV).
fn setup(
    nu: [f64; 2],
    s0: [f64; 2],
    f_eff: [f64; 2],
    x: f64,
) -> (LifParams, ShotInput, Vec<HawkesSource>, f64) {
    let m = balnet::presets::default_model();
    let lif = LifParams::of(&m, 0);
    let input = population_input(&m, 0, &nu).unwrap();
    let (sources, external) = hawkes::split_input(&input, &s0, &f_eff, lif.tau_m).unwrap();
    (lif, external, sources, x - input.mean_drive(lif.tau_m))
}

#[test]
fn poisson_sources_give_the_poisson_master_equation() {
    // S(0)/R = 1: no self-inhibition, every mode above 0 decouples from the density
    for (x, tau_c) in [(6.0, 0.005), (12.0, 0.02)] {
        let (lif, ext, src, b) = setup([12.0, 12.0], [0.5, 0.5], [0.9, 0.9], x);
        let src: Vec<HawkesSource> = src
            .iter()
            .map(|s| HawkesSource::new(s.jump_mv, s.rate_hz, 1.0, tau_c).unwrap())
            .collect();
        let h = hawkes::stationary(&lif, &ext, &src, b).unwrap();
        let mut all = ext.clone();
        for s in &src {
            all.jumps_mv.push(s.jump_mv);
            all.rates_hz.push(s.rate_hz);
        }
        let p = shot::stationary_with(&lif, &all, b, &Resolution::fast()).unwrap();
        eprintln!(
            "x {x}: Hawkes {} / {} mV, Poisson {} / {} mV",
            h.rate, h.mean_v, p.rate, p.mean_v
        );
        assert!(
            (h.rate / p.rate - 1.0).abs() < 1e-10,
            "{} vs {}",
            h.rate,
            p.rate
        );
        assert!((h.mean_v - p.mean_v).abs() < 1e-10);
    }
}

#[test]
fn the_mode_expansion_converges() {
    // the most regular trains of docs/closures.md (30 Hz, CV 0.5): modes 4 and 6 agree to
    // 1e-3 of the rate, far inside the Monte Carlo errors below (0.3-0.8%)
    let g = GammaRenewal::new(30.0, 0.5, 0.002).unwrap();
    let f = g.fano_eff(0.02);
    let (lif, ext, src, b) = setup([30.0, 30.0], [0.25, 0.25], [f, f], 10.0);
    let at = |modes: usize| {
        let res = HawkesResolution {
            modes,
            ..HawkesResolution::default()
        };
        hawkes::stationary_with(&lif, &ext, &src, b, &res)
            .unwrap()
            .rate
    };
    let (r2, r4, r6) = (at(2), at(4), at(6));
    eprintln!("modes 2 / 4 / 6: {r2} / {r4} / {r6} Hz");
    assert!((r4 / r6 - 1.0).abs() < 1e-3);
    assert!((r4 - r6).abs() < (r2 - r6).abs());
}

#[test]
fn rate_matches_an_independent_monte_carlo_of_the_hawkes_input() {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("data/hawkes_mc.json")).unwrap();
    let mut worst: f64 = 0.0;
    for p in data["points"].as_array().unwrap() {
        let x = p["x"].as_f64().unwrap();
        let (nu, s0, fe) = if p["model"] == "hawkes-net" {
            ([12.244, 16.017], [0.363, 0.309], [0.529, 0.488])
        } else {
            let (nu, cv) = (p["nu"].as_f64().unwrap(), p["cv"].as_f64().unwrap());
            let f = GammaRenewal::new(nu, cv, 0.002).unwrap().fano_eff(0.02);
            ([nu, nu], [cv * cv; 2], [f, f])
        };
        let (lif, ext, src, b) = setup(nu, s0, fe, x);
        let rate = hawkes::stationary(&lif, &ext, &src, b).unwrap().rate;
        let (mc, se) = (p["rate"].as_f64().unwrap(), p["se"].as_f64().unwrap());
        let z = (mc - rate) / se;
        eprintln!(
            "{} x {x}: solver {rate:.4} Hz, Monte Carlo {mc} +- {se} (z {z:+.1})",
            p["model"]
        );
        worst = worst.max(z.abs());
    }
    assert!(worst < 3.0, "largest |z| {worst}");
}

#[test]
fn the_lattice_bracket_surrounds_the_bias_and_skips_the_threshold() {
    // the two lattice biases around `bias`, one coarsest cell apart (about 0.16 mV), or
    // two apart within one spacing of the threshold (whose point is skipped); in the
    // Poisson limit (S(0)/R = 1) each point is the Poisson master equation's solution
    let (lif, ext, src, _) = setup([12.0, 12.0], [0.5, 0.5], [0.9, 0.9], 10.0);
    let src: Vec<HawkesSource> = src
        .iter()
        .map(|s| HawkesSource::new(s.jump_mv, s.rate_hz, 1.0, 0.01).unwrap())
        .collect();
    let mut all = ext.clone();
    for s in &src {
        all.jumps_mv.push(s.jump_mv);
        all.rates_hz.push(s.rate_hz);
    }
    let res = HawkesResolution::default();
    // the coarsest cell: 2^(levels - 1) finest cells (0.159 mV for this neuron)
    let cw = res.grid.cell_width(&lif) * (1u32 << (res.grid.levels - 1)) as f64;
    for offset in [-2.05, -0.1, 0.05, 0.5] {
        let bias = lif.theta + offset;
        let (t, pts) = hawkes::at_lattice_bracket(&lif, &ext, &src, bias, &res).unwrap();
        let (lo, hi) = (pts[0].0, pts[1].0);
        let width = if offset.abs() < cw { 2.0 * cw } else { cw };
        assert!(lo <= bias && bias <= hi, "{lo} <= {bias} <= {hi}");
        assert!((hi - lo - width).abs() < 1e-9, "bracket [{lo}, {hi}] mV");
        assert!((lo - lif.theta).abs() > 1e-9 && (hi - lif.theta).abs() > 1e-9);
        assert!((lo + t * (hi - lo) - bias).abs() < 1e-9, "weight {t}");
        for (b, h) in &pts {
            let p = shot::stationary_with(&lif, &all, *b, &Resolution::fast()).unwrap();
            assert!(
                (h.rate / p.rate - 1.0).abs() < 1e-10,
                "{b} mV: {} vs {}",
                h.rate,
                p.rate
            );
        }
    }
}
