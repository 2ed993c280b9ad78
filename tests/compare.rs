//! The comparison pipeline (docs/theory.md section 3) end to end on a small version of the
//! default model: simulation, theory with the drawn loadings, counting-noise KS, report and
//! figures. Short run; the full comparison is `cargo run --release -- compare`.

use balnet::compare;
use balnet::model::{NoiseClosure, SignalTerm, SimMode, TransferKind};
use balnet::presets;
use balnet::sim::{RunOptions, simulate};

#[test]
fn small_default_network_compares_with_theory() {
    let mut m = presets::default_model();
    m.populations[0].n = 4000;
    m.populations[1].n = 1000;
    m.sim.mode = SimMode::Grid;
    m.sim.warmup = 0.3;
    m.sim.duration = 1.4;
    m.latent.as_mut().unwrap().signal.components[0] = vec![SignalTerm::Step {
        t0: 0.8,
        amplitude: 1.0,
    }];
    m.validate().unwrap();
    let sim = simulate(
        &m,
        &RunOptions {
            threads: 0,
            quiet: true,
            out_dir: None,
        },
    )
    .unwrap();
    let variant = compare::Variant {
        transfer: TransferKind::Siegert,
        noise: NoiseClosure::Poisson,
        trajectory: true,
    };
    let report = compare::compare(&m, &sim, &[variant]).unwrap();
    print!("{}", compare::table(&report));
    let th = &report.theories[0];
    assert_eq!(
        th.epochs.len(),
        2,
        "one epoch before and one after the step"
    );
    for e in &th.epochs {
        for p in &e.populations {
            // grid mode fires a few percent low; a 5000-neuron network adds finite-N effects
            assert!(
                p.rate_rel_err.abs() < 0.12,
                "{}: rate error {}",
                p.name,
                p.rate_rel_err
            );
            assert!(p.ks_counting < 0.2, "{}: KS {}", p.name, p.ks_counting);
            assert!(
                p.mean_v_diff_mv.abs() < 2.0,
                "{}: mean V off by {}",
                p.name,
                p.mean_v_diff_mv
            );
        }
    }
    // the input step moves kappa up in both, and the mean V down in both (docs/theory.md 2.6.1)
    let (a, b) = (&th.epochs[0], &th.epochs[1]);
    assert!(b.kappa_theory_hz[0] > a.kappa_theory_hz[0] + 3.0);
    assert!(
        b.kappa_sim_hz[0] > a.kappa_sim_hz[0] + 3.0,
        "sim kappa {:?} -> {:?}",
        a.kappa_sim_hz,
        b.kappa_sim_hz
    );
    let rel = b.kappa_rel_err.unwrap();
    assert!(rel.abs() < 0.4, "kappa relative error {rel}");
    for (p, dv) in th.dv_dkappa_mv_per_hz.iter().enumerate() {
        assert!(
            dv[0] < 0.0 && dv[1] < 0.0,
            "population {p}: d<V>/dkappa theory {} sim {}",
            dv[0],
            dv[1]
        );
    }
    let dir = std::env::temp_dir().join(format!("balnet-compare-test-{}", std::process::id()));
    compare::write_figures(&m, &sim, &report, &dir).unwrap();
    for f in [
        "kappa_t.png",
        "rates_mean_v.svg",
        "rate_distribution.png",
        "tuning.png",
        "raster.png",
    ] {
        let meta = std::fs::metadata(dir.join(f)).unwrap();
        assert!(meta.len() > 1000, "{f} is empty");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
