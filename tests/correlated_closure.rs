//! The correlated noise closure (docs/theory.md 6.6.6) on the default model: it solves, and
//! its Fano factors sit where the weighting implies. `chi_2(omega, -omega)` decays like
//! `omega^{-3/2}` (6.6.4), slower than the membrane filter `|H|^2 ~ omega^{-2}` of the
//! spectral closure, so the high-frequency Poisson level of the trains (`S -> nu`) weighs
//! more: `F_spectral < F_correlated < 1`, and the white noise lies between the spectral
//! and Poisson closures'.

use balnet::model::{NoiseClosure, TransferKind};
use balnet::theory::stationary::{Limit, solve};

#[test]
fn correlated_closure_lies_between_spectral_and_poisson() {
    let base = balnet::presets::default_model();
    let kappa = vec![0.0; base.d()];
    let s = vec![0.0; base.d_in()];
    let run = |noise| {
        let mut m = base.clone();
        m.transfer = TransferKind::ShotNoise;
        m.noise = noise;
        solve(&m, Limit::Finite, &kappa, &s, None).unwrap()
    };
    let (c, sp, po) = (
        run(NoiseClosure::Correlated),
        run(NoiseClosure::Spectral),
        run(NoiseClosure::Poisson),
    );
    for a in 0..c.populations.len() {
        let (pc, ps, pp) = (&c.populations[a], &sp.populations[a], &po.populations[a]);
        eprintln!(
            "{}: F correlated {:.3} spectral {:.3}; sigma {:.3} / {:.3} / {:.3} mV; rate {:.3} / {:.3} / {:.3} Hz",
            pc.name,
            pc.fano,
            ps.fano,
            pc.sigma_mv,
            ps.sigma_mv,
            pp.sigma_mv,
            pc.rate_hz,
            ps.rate_hz,
            pp.rate_hz
        );
        assert!(pc.fano > ps.fano + 0.05 && pc.fano < 0.95, "F {}", pc.fano);
        assert!(ps.sigma_mv < pc.sigma_mv && pc.sigma_mv < pp.sigma_mv);
    }
}
