//! A network without external drive is silent (docs/theory.md 2.4): no neuron can fire at
//! zero recurrent activity, so `nu = q = 0` is the exact stationary state. Found by the
//! fuzz harness (the bistable preset with `nu0 = 1e-300`): the Newton solve in `ln nu`
//! diverged towards `-inf` for every start and took minutes to give up.

use balnet::Model;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::{Limit, stationary};

fn model() -> Model {
    Model::from_toml(include_str!("data/repro/silent_network_nu0_1e-300.toml")).unwrap()
}

#[test]
fn silent_network_is_the_silent_state() {
    let m = model();
    let st = stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], None).unwrap();
    for (p, pop) in st.populations.iter().zip(&m.populations) {
        assert_eq!(p.rate_hz, 0.0, "{}", p.name);
        // the mean input is the external drive alone, tau_m sqrt(K) c0 J_A0 nu0 (2.1)
        let want = pop.tau_m * m.k.sqrt() * m.external.c0 * pop.j_ext * m.external.nu0;
        assert!(
            (p.mu_mv - want).abs() <= 1e-12 * want,
            "{}: mu {}",
            p.name,
            p.mu_mv
        );
        assert!(p.mean_v_mv.is_finite() && p.sigma_mv.is_finite());
    }
    let all = stationary::solve_all(&m, Limit::Finite, &[0.0], &[0.0]).unwrap();
    assert_eq!(all.len(), 1);
    let sol = fixed_points(&m, Limit::Finite, &[0.0], &SearchBox::default()).unwrap();
    assert_eq!(sol.fixed_points.len(), 1, "{:?}", sol.fixed_points.len());
    assert!(
        sol.fixed_points
            .iter()
            .all(|f| f.kappa[0] == 0.0 && f.stable)
    );
}
