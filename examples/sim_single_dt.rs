//! Single neuron with the default model's jumps: grid mode at shrinking dt converges
//! to the precise mode (a check of both integrators).
//!
//! `cargo run --release --example sim_single_dt -- [neurons] [duration_s]`

use balnet::model::SimMode;
use balnet::sim::{SingleNeuronInput, single_neuron};
use balnet::transfer::LifParams;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(1000), |s| s.parse())?;
    let dur: f64 = args.get(1).map_or(Ok(4.0), |s| s.parse())?;
    let m = balnet::presets::default_d0();
    let (nu_e, nu_i) = (11.594, 14.383);
    let sources = vec![
        (m.jump(0, 0), m.populations[0].c * m.k * nu_e),
        (m.jump(0, 1), m.populations[1].c * m.k * nu_i),
        (m.jump_ext(0), m.k_ext() * m.external.nu0),
    ];
    let lif = LifParams::of(&m, 0);
    println!("sources (jump mV, rate Hz): {sources:?}");
    for (mode, dt) in [
        (SimMode::Precise, 1e-4),
        (SimMode::Grid, 1e-4),
        (SimMode::Grid, 5e-5),
        (SimMode::Grid, 2.5e-5),
        (SimMode::Grid, 1e-5),
    ] {
        let t = std::time::Instant::now();
        let r = single_neuron(&SingleNeuronInput {
            lif,
            sources: sources.clone(),
            bias: 0.0,
            n_neurons: n,
            duration: dur,
            warmup: 0.2,
            dt,
            mode,
            seed: 42,
        })?;
        println!(
            "{mode:?} dt={dt:.1e}: rate {:.4} +- {:.4} Hz, mean V {:.4} mV, CV {:.4} ({:.1} s)",
            r.rate_hz,
            r.rate_se_hz,
            r.mean_v_mv,
            r.cv_isi,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
