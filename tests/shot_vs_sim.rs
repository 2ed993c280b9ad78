//! The shot-noise transfer function (docs/theory.md 2.2) against the crate's own simulator in
//! precise mode (docs/theory.md section 3), driving unconnected neurons with the default
//! model's jump sizes and input rates at its operating point. Short version; the long
//! runs over biases from -15 to +10 mV are in `examples/shot_noise_accuracy.rs`.

use balnet::model::SimMode;
use balnet::presets;
use balnet::sim::{SingleNeuronInput, single_neuron};
use balnet::transfer::shot_noise::{ShotNoise, population_input, stationary};
use balnet::transfer::{LifParams, Transfer, siegert};

#[test]
fn shot_noise_matches_precise_single_neurons() {
    let model = presets::default_d0();
    let rates = [11.594, 14.383]; // operating point of docs/theory.md section 5 (fixed in-degree)
    let lif = LifParams::of(&model, 0);
    let input = population_input(&model, 0, &rates).unwrap();
    let drive = input.mean_drive(lif.tau_m);
    for (x, n_neurons, duration) in [(12.0, 400, 5.0), (6.0, 400, 10.0)] {
        let bias = x - drive;
        let theory = stationary(&lif, &input, bias).unwrap();
        let sources: Vec<(f64, f64)> = input
            .jumps_mv
            .iter()
            .copied()
            .zip(input.rates_hz.iter().copied())
            .collect();
        let sim = single_neuron(&SingleNeuronInput {
            lif,
            sources,
            bias,
            n_neurons,
            duration,
            warmup: 0.2,
            dt: 1e-4,
            mode: SimMode::Precise,
            seed: 7,
        })
        .unwrap();
        let z = (sim.rate_hz - theory.rate) / sim.rate_se_hz;
        let sieg = siegert::rate(&lif, x, input.sigma(lif.tau_m));
        println!(
            "x = {x} mV: shot noise {:.4} Hz, precise simulation {:.4} +- {:.4} Hz (z = {z:.2}), Siegert {:.4} Hz ({:+.1}%); mean V theory {:.4} sim {:.4} mV",
            theory.rate,
            sim.rate_hz,
            sim.rate_se_hz,
            sieg,
            100.0 * (sieg / theory.rate - 1.0),
            theory.mean_v,
            sim.mean_v_mv
        );
        assert!(
            z.abs() < 4.0,
            "shot-noise rate {} vs simulated {} +- {}",
            theory.rate,
            sim.rate_hz,
            sim.rate_se_hz
        );
        // the mean potential within 4 standard errors across neurons (0.015-0.017 mV);
        // its overshoot term (the crossing jump lands above threshold, docs/theory.md 2.2;
        // about 0.02 mV here) is printed but not resolved at this size: the exact Monte
        // Carlo of tests/shot_noise.rs checks it to 3 standard errors of 1e-4 mV
        let z_v = (sim.mean_v_mv - theory.mean_v) / sim.mean_v_se_mv;
        let no_overshoot = siegert::lif_mean_v(&lif, x, theory.rate);
        let z_no = (sim.mean_v_mv - no_overshoot) / sim.mean_v_se_mv;
        println!(
            "  mean V: z = {z_v:+.2} (se {:.4} mV); without the overshoot term z = {z_no:+.2}",
            sim.mean_v_se_mv
        );
        assert!(
            z_v.abs() < 4.0,
            "mean V {} vs simulated {} +- {}",
            theory.mean_v,
            sim.mean_v_mv,
            sim.mean_v_se_mv
        );
        // the simulation resolves the Siegert overestimate (several standard errors)
        assert!(
            (sieg - sim.rate_hz) / sim.rate_se_hz > 4.0,
            "Siegert {sieg} indistinguishable from simulation"
        );
        // the tabulated transfer function agrees with the direct evaluation
        let t = ShotNoise::for_population(&model, 0, &rates, (x - 5.0, x + 5.0)).unwrap();
        assert!((t.rate(x) / theory.rate - 1.0).abs() < 1e-5);
    }
}
