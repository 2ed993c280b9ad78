//! The Hawkes neuron's sensitivities to the free membrane's third cumulant
//! (docs/theory.md 6.6.12d): coloured probes of vanishing correlation time against
//! Poisson probes of compound jumps, an identity between two independent constructions.
//!
//! A weakly self-exciting probe of jump `a` whose correlation time tends to zero emits
//! its correlated pairs as coincident double events: its coloured third cumulant is that
//! of jumps `2a` less that of two single jumps, `8 a^3 - 2 a^3 = 6 a^3` per pair, so
//! `s3_c -> [8 s3_w(2a) - 2 s3_w(a)] / 6`. The left side uses the Hawkes probes and the
//! cluster-process cumulants, the right side only Poisson probes.

use balnet::theory::correlated::{GammaTrainsPoint, HAWKES_SHAPE_RESOLUTION};
use balnet::transfer::shot_noise::hawkes;

#[test]
fn coloured_sensitivity_at_vanishing_correlation_time_is_that_of_compound_jumps() {
    let m = balnet::presets::default_model();
    let res = HAWKES_SHAPE_RESOLUTION;
    // far below threshold and mean-driven (62.7 Hz output), where the coloured response
    // at the trains' correlation time is a fifth of the coincident one
    for (nu, cv, x) in [(70.0, 0.4, 0.0), (30.0, 0.5, 26.0)] {
        let pt = GammaTrainsPoint::new(&m, 0, nu, cv).unwrap();
        let b = pt.bias(x);
        let a = pt.sources[1].jump_mv.abs();
        let white = |j: f64| {
            hawkes::third_cumulant_sensitivity(&pt.lif, &pt.external, &pt.sources, b, j, &res)
                .unwrap()
        };
        let coloured = |tau_c: f64| {
            hawkes::coloured_third_cumulant_sensitivity(
                &pt.lif,
                &pt.external,
                &pt.sources,
                b,
                a,
                tau_c,
                &res,
            )
            .unwrap()
            .0
        };
        let compound = (8.0 * white(2.0 * a) - 2.0 * white(a)) / 6.0;
        let limit = coloured(1e-5);
        assert!(
            (limit - compound).abs() < 0.02 * compound.abs(),
            "{nu} Hz, CV {cv}, {x} mV: coloured {limit} against compound jumps {compound}"
        );
        // the trains' correlation time moves it away from the limit, by more than the
        // test's tolerance where the neuron is mean-driven
        if x > 20.0 {
            let at_trains = coloured(pt.sources[1].tau_c);
            assert!((at_trains - compound).abs() > 0.3 * compound.abs());
        }
    }
}
