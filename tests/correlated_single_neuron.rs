//! Short version of examples/correlated_single_neuron.rs (docs/theory.md 6.6): a LIF
//! neuron with the default model's jumps and in-degrees, driven by gamma-renewal trains
//! (12 Hz, CV 0.7, 2 ms dead time) and Poisson external input, simulated event by event
//! (exact integration; `sim::single`), against shot noise at the `chi_2`-weighted Fano
//! factor (6.6.6). The correction is resolved: white noise of the Poisson level and of
//! the membrane-filtered level are both many standard errors off.

use balnet::sim::single::{RenewalSource, simulate_renewal_neuron};
use balnet::theory::correlated::{GammaTrainsPoint, ShapePoint, rule_c_common, rule_h_common};
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::response::second_order::chi2_fano;
use balnet::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
use balnet::transfer::{LifParams, Transfer};

#[test]
fn rate_under_renewal_input_matches_the_chi2_weighted_fano_factor() {
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let (nu_pre, cv) = (12.0, 0.7);
    let g = GammaRenewal::new(nu_pre, cv, 0.002).unwrap();
    let f_eff = g.fano_eff(tau);
    let nu = vec![nu_pre; m.p()];
    let input = population_input(&m, a, &nu).unwrap();
    let drive = input.mean_drive(tau);
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, cv, 0.002);
    let table = |f: f64, x: f64| {
        ShotNoise::with_resolution(
            lif,
            input.with_fanos(&vec![f; m.p()]).unwrap(),
            (x - 1.0, x + 1.0),
            TABLE_SPACING,
            Resolution::default(),
        )
        .unwrap()
        .rate(x)
    };
    for x in [10.0, 14.0, 21.0] {
        let (th, f_chi) =
            rule_c_common(&m, a, &nu, |w| g.spectrum(w) / nu_pre - 1.0, f_eff, x).unwrap();
        let sim = simulate_renewal_neuron(&lif, &sources, x - drive, 100, 1.0, 5.0, 7).unwrap();
        let se = sim.rate_se_hz;
        let (poisson, white) = (table(1.0, x), table(f_eff, x));
        eprintln!(
            "x {x} mV: sim {:.3} +- {se:.3} Hz, chi_2 closure {th:.3} (F {f_chi:.3}), Poisson {poisson:.3}, white F_eff {white:.3}",
            sim.rate_hz
        );
        assert!(
            (sim.rate_hz - th).abs() < 3.0 * se,
            "prediction {th} vs {} +- {se}",
            sim.rate_hz
        );
        // the references without the correction are resolved away at the lower rates
        if x < 20.0 {
            assert!((sim.rate_hz - poisson).abs() > 6.0 * se);
            assert!((sim.rate_hz - white).abs() > 6.0 * se);
        }
    }
}

/// The rule `H` (docs/theory.md 6.6.12: Hawkes sources with the trains' `S(0)/nu` and
/// membrane Fano factor, plus the shape term of the shot-noise second-order response,
/// 6.6.12b) where `C` fails: regular trains
/// (30 Hz, CV 0.5) at an output rate of 6.5 Hz, where `C` is 8% high (docs/closures.md).
#[test]
fn rule_h_matches_regular_trains_where_rule_c_does_not() {
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let (nu_pre, cv, x) = (30.0, 0.5, 8.0);
    let g = GammaRenewal::new(nu_pre, cv, 0.002).unwrap();
    let f_eff = g.fano_eff(tau);
    let nu = vec![nu_pre; m.p()];
    let rel = |w: f64| g.spectrum(w) / nu_pre - 1.0;
    let (h, hawkes, shape) =
        rule_h_common(&m, a, &nu, rel, cv * cv, f_eff, x, ShapePoint::RateMatched).unwrap();
    let (c, f_chi) = rule_c_common(&m, a, &nu, rel, f_eff, x).unwrap();
    let input = population_input(&m, a, &nu).unwrap();
    let drive = input.mean_drive(tau);
    // mean potentials (printed): the Hawkes solver's and C's shot noise at F_chi
    let v_hawkes = {
        let pt = GammaTrainsPoint::new(&m, a, nu_pre, cv).unwrap();
        balnet::transfer::shot_noise::hawkes::stationary(&lif, &pt.external, &pt.sources, x - drive)
            .unwrap()
            .mean_v
    };
    let scaled = input.with_fanos(&vec![f_chi; m.p()]).unwrap();
    let v_c = balnet::transfer::shot_noise::stationary(&lif, &scaled, x - drive)
        .unwrap()
        .mean_v;
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, cv, 0.002);
    let sim = simulate_renewal_neuron(&lif, &sources, x - drive, 150, 1.0, 4.0, 7).unwrap();
    let se = sim.rate_se_hz;
    eprintln!(
        "sim {:.3} +- {se:.3} Hz; H {h:.3} (Hawkes {hawkes:.3}, shape {shape:+.3}); C {c:.3}",
        sim.rate_hz
    );
    eprintln!(
        "mean V: sim {:.4} mV, Hawkes {v_hawkes:.4} mV, C {v_c:.4} mV",
        sim.mean_v_mv
    );
    assert!(
        (sim.rate_hz - h).abs() < 3.0 * se,
        "H {h} vs {} +- {se}",
        sim.rate_hz
    );
    // the test resolves the error of the rule it replaces
    assert!(
        (c - sim.rate_hz).abs() > 3.0 * se,
        "C {c} vs {} +- {se}",
        sim.rate_hz
    );
}

/// The regularity of the output train (docs/theory.md 6.6.10): a neuron driven by
/// regular trains (12 Hz, CV 0.5) fires more regularly than the white-noise LIF at the
/// same noise, and the linear response of its train to the input's deviation from the
/// white level (`theory::correlated::output_fano`) accounts for that, against the
/// event-driven simulation's membrane Fano factor of the output trains.
#[test]
fn output_regularity_follows_the_linear_response_to_the_input_colour() {
    use balnet::theory::correlated::output_fano;
    use balnet::theory::spectral::lif_fano_eff;
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let (nu_pre, cv) = (12.0, 0.5);
    let g = GammaRenewal::new(nu_pre, cv, 0.002).unwrap();
    let nu = vec![nu_pre; m.p()];
    let kj2: f64 = (0..m.p()).map(|b| m.k_in(b) * m.jump(a, b).powi(2)).sum();
    let ext = m.k_ext() * m.external.nu0 * m.jump_ext(a).powi(2);
    let drive = population_input(&m, a, &nu).unwrap().mean_drive(tau);
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, cv, 0.002);
    let sigma_of = |f: f64| (tau * (kj2 * nu_pre * f + ext)).sqrt();
    for x in [18.0, 24.0] {
        let f_chi = chi2_fano(
            &lif,
            x,
            sigma_of,
            |w| g.spectrum(w) / nu_pre - 1.0,
            g.fano_eff(tau),
            3,
            2e4,
        )
        .unwrap();
        let sigma = sigma_of(f_chi);
        let white = lif_fano_eff(&lif, x, sigma);
        let lr = output_fano(&lif, x, sigma, |w| {
            tau * tau * kj2 * nu_pre * (g.spectrum(w) / nu_pre - f_chi)
        })
        .unwrap();
        let sim = simulate_renewal_neuron(&lif, &sources, x - drive, 100, 1.0, 10.0, 7).unwrap();
        eprintln!(
            "x {x} mV: rate {:.2} Hz, output Fano sim {:.4}, white-noise LIF {white:.4}, with the linear response {lr:.4}",
            sim.rate_hz, sim.output_fano
        );
        // the effect (white - sim, 0.10-0.11 here) is resolved, and the linear response
        // recovers it to within 0.03 (seed-to-seed spread of the simulated value: 0.005)
        assert!(
            white - sim.output_fano > 0.08,
            "effect {}",
            white - sim.output_fano
        );
        assert!(
            (lr - sim.output_fano).abs() < 0.03,
            "linear response {lr} vs simulated {}",
            sim.output_fano
        );
    }
}

/// Rule `H`'s shape term about the Hawkes-driven neuron itself (docs/theory.md 6.4.2,
/// 6.6.12b) where the rate-matched expansion point fails most: trains of 70 Hz, CV 0.4
/// (the network's most regular class) at 16 mV, 42 Hz output. Reference: the event-driven
/// simulation of `cargo run --release --example correlated_one_pole -- 70 0.4 0,8,16 300
/// 20` (300 neurons x 20 s, seed 7; docs/data/rule_h_shot_shape_out_of_sample.txt),
/// 42.4652 +- 0.0619 Hz. The two expansion points differ by 9 standard errors there.
#[test]
fn rule_h_about_the_hawkes_neuron_matches_regular_fast_trains() {
    let m = balnet::presets::default_model();
    let (nu_pre, cv, x) = (70.0, 0.4, 16.0);
    let g = GammaRenewal::new(nu_pre, cv, 0.002).unwrap();
    let f_eff = g.fano_eff(m.populations[0].tau_m);
    let nu = vec![nu_pre; m.p()];
    let rel = |w: f64| g.spectrum(w) / nu_pre - 1.0;
    let (sim, se) = (42.4652, 0.0619);
    let run = |point| rule_h_common(&m, 0, &nu, rel, cv * cv, f_eff, x, point).unwrap();
    let (h, hawkes, shape) = run(ShapePoint::Hawkes);
    let (h_rm, _, shape_rm) = run(ShapePoint::RateMatched);
    eprintln!(
        "sim {sim} +- {se} Hz; Hawkes {hawkes:.4}; about the Hawkes neuron: shape {shape:+.4}, H {h:.4}; rate-matched: shape {shape_rm:+.4}, H {h_rm:.4}"
    );
    assert!((sim - h).abs() < 3.0 * se, "H {h} vs {sim} +- {se}");
    // the check separates the two expansion points
    assert!((sim - h_rm).abs() > 3.0 * se, "rate-matched H {h_rm}");
}
