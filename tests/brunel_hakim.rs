//! Onset of the fast oscillation in the sparsely connected inhibitory network of Brunel &
//! Hakim (1999, Neural Computation 11:1621): LIF neurons (`tau = 20` ms, `theta = 20` mV,
//! `V_r = 10` mV, `tau_rp = 2` ms), each receiving `C` inhibitory inputs of strength `J`
//! with delay `delta`, plus external white noise. The asynchronous state loses stability
//! at a critical coupling through a Hopf bifurcation (docs/theory.md 6.3).
//!
//! Published reference: the small-delay limit of Brunel & Hakim (1999). For
//! `delta << tau_m` the instability frequency is high, the rate response is the
//! Brunel-Hakim high-frequency asymptote `chi_mu ~ sqrt2 nu / (sigma sqrt(i omega tau))`
//! (a 45-degree lag on top of the delay's), and `det(1 - W) = 0` with
//! `W = -C J tau chi_mu e^{-i omega delta}` gives
//!
//! ```text
//!   omega_c delta -> 3 pi / 4     (f_c -> 3 / (8 delta)),
//!   G_c = C J_c tau nu / sigma -> sqrt(omega_c tau / 2) = sqrt(3 pi tau / (8 delta)).
//! ```
//!
//! (`G` is Brunel & Hakim's ratio of the mean recurrent inhibition to the noise.) The
//! corrections are of relative order `x_T / sqrt(omega tau)` and `1 / (omega tau)`; at the
//! working point used here, `mu = theta` (`x_T = 0`), the first vanishes and the deviation
//! falls like `delta`. The published table values of the critical line at finite delay
//! (Brunel & Hakim 1999 figures, Brunel 2000 figure 2) could not be obtained for this
//! check; the limit above is what is tested.
//!
//! The network is built through the crate's `Model` (one inhibitory population, fixed
//! in-degree `C = 10^6` so that the variance modulation `J^2 C tau delta nu`, of relative
//! order `J sqrt(omega tau) / sigma < 1e-3`, does not move the critical point), the
//! external Poisson drive chosen so that the stationary state is the same
//! (`mu = 20` mV, `sigma = 5` mV) at every `J`; the critical `J` is found by bisection on
//! the real part of the leading root of `theory::response::stability`.

use std::f64::consts::PI;

use balnet::model::*;
use balnet::theory::response::{
    ClosedForm, NetworkResponse, ResponseOptions, RootBox, refine_root, stability,
};
use balnet::theory::{Limit, stationary};
use balnet::transfer::{LifParams, siegert};
use num_complex::Complex64;

const TAU: f64 = 0.02;
const THETA: f64 = 20.0;
const VR: f64 = 10.0;
const TAU_REF: f64 = 0.002;
const C_IN: f64 = 1e6;
const MU: f64 = 20.0;
const SIGMA: f64 = 5.0;

fn lif() -> LifParams {
    LifParams {
        tau_m: TAU,
        theta: THETA,
        v_reset: VR,
        tau_ref: TAU_REF,
    }
}

/// One inhibitory population, `C_IN` inputs of jump `-j` (mV), delay `d` (s), and an
/// external Poisson drive (`C_IN` trains) that puts the stationary state at `(MU, SIGMA)`:
/// `mu_ext = MU + C J tau nu`, `sigma_ext^2 = SIGMA^2 - J^2 C tau nu` (docs/theory.md 2.1).
fn network(j: f64, d: f64) -> Model {
    let nu = siegert::rate(&lif(), MU, SIGMA);
    let mu_ext = MU + C_IN * j * TAU * nu;
    let s2_ext = SIGMA * SIGMA - j * j * C_IN * TAU * nu;
    assert!(
        s2_ext > 0.0,
        "coupling {j} mV too strong for sigma = {SIGMA} mV"
    );
    let jump0 = s2_ext / mu_ext; // external jump (mV)
    let nu0 = mu_ext / (TAU * jump0 * C_IN); // rate of each external train (Hz)
    Model {
        name: "brunel-hakim-1999".into(),
        k: C_IN,
        connectivity: Connectivity::FixedIndegree,
        j: vec![vec![-j * C_IN.sqrt()]],
        external: External { c0: 1.0, nu0 },
        delay: Delay::Fixed { d },
        populations: vec![Population {
            name: "I".into(),
            n: C_IN as usize,
            c: 1.0,
            tau_m: TAU,
            theta: THETA,
            v_reset: VR,
            tau_ref: TAU_REF,
            j_ext: jump0 * C_IN.sqrt(),
            beta_ext: 0.0,
        }],
        latent: None,
        transfer: TransferKind::Siegert,
        noise: NoiseClosure::Poisson,
        sim: SimSettings::default(),
    }
}

/// The leading root (1/s) at coupling `j`, refined from `guess`, and the state's `G`.
fn leading_root(j: f64, d: f64, guess: Complex64) -> (Complex64, f64) {
    let m = network(j, d);
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let p = &st.populations[0];
    let g = C_IN * j * TAU * p.rate_hz / p.sigma_mv;
    let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).unwrap();
    let e = refine_root(&net, guess).unwrap().expect("root lost");
    (
        Complex64::new(e.growth_rate_hz, 2.0 * PI * e.frequency_hz),
        g,
    )
}

/// Critical `(G_c, f_c)` at delay `d` (s) by bisection on the coupling.
fn critical(d: f64) -> (f64, f64) {
    let nu = siegert::rate(&lif(), MU, SIGMA);
    let g_asym = (3.0 * PI * TAU / (8.0 * d)).sqrt();
    let f_asym = 3.0 / (8.0 * d);
    let j0 = g_asym * SIGMA / (C_IN * TAU * nu);
    // locate the leading root once with the argument principle (docs/theory.md 6.3)
    let m = network(j0, d);
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).unwrap();
    let search = RootBox {
        re_min: -30.0,
        re_max: 0.2 * 2.0 * PI * f_asym,
        f_max: 1.5 * f_asym,
    };
    let sb = stability(&net, &search).unwrap();
    let lead = sb.eigenvalues[0];
    let mut guess = Complex64::new(lead.growth_rate_hz, 2.0 * PI * lead.frequency_hz);
    let (mut lo, mut hi) = (0.5 * j0, 2.0 * j0);
    let mut g_c = 0.0;
    while hi - lo > 1e-8 * hi {
        let mid = 0.5 * (lo + hi);
        let (r, g) = leading_root(mid, d, guess);
        guess = r;
        g_c = g;
        if r.re > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (g_c, guess.im / (2.0 * PI))
}

#[test]
fn critical_coupling_and_frequency_approach_the_small_delay_limit() {
    let mut dev = Vec::new();
    for (d, tol) in [(0.002, 0.025), (0.0005, 0.007), (0.0001, 0.0015)] {
        let (g_c, f_c) = critical(d);
        let g_asym = (3.0 * PI * TAU / (8.0 * d)).sqrt();
        let f_asym = 3.0 / (8.0 * d);
        let (eg, ef) = (g_c / g_asym - 1.0, f_c / f_asym - 1.0);
        eprintln!(
            "delay {:.1} ms: G_c {g_c:.5} (limit {g_asym:.5}, {eg:+.2e}), f_c {f_c:.2} Hz (limit {f_asym:.2} Hz, {ef:+.2e})",
            d * 1e3
        );
        assert!(eg.abs() < tol && ef.abs() < tol, "delay {d} s");
        dev.push((eg.abs(), ef.abs()));
    }
    // the deviation falls like delta (x_T = 0): a factor 5 in delay gives about 5 in error
    for w in dev.windows(2) {
        assert!(w[1].0 < 0.4 * w[0].0 && w[1].1 < 0.4 * w[0].1, "{dev:?}");
    }
}
