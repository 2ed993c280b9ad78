//! The second-order rate and mean-potential response of the shot-noise LIF neuron to a
//! modulation of its input rates (docs/theory.md 6.4.1), against its two limits: the
//! static limit (second derivatives of the stationary master-equation solver, a separate
//! code path) and the diffusion limit (the white-noise `chi_2` of docs/theory.md 6.6,
//! itself checked against 40-digit mpmath in `tests/second_order.rs`).

use balnet::transfer::LifParams;
use balnet::transfer::response::second_order::SecondOrder;
use balnet::transfer::shot_noise::response::second_order_with;
use balnet::transfer::shot_noise::{Resolution, ShotInput, stationary, stationary_with};

const TAU: f64 = 0.02;

fn lif() -> LifParams {
    LifParams {
        tau_m: TAU,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

/// Excitatory jumps `a`, inhibitory `-2a` (mV), with the rates that give the drive `mu_d`
/// and noise `sigma` (mV): `tau sum a R = mu_d`, `tau sum a^2 R = sigma^2` (docs/theory.md 2.1).
fn input(a: f64, mu_d: f64, sigma: f64) -> ShotInput {
    let (ae, ai) = (a, -2.0 * a);
    let det = ae * ai * ai - ai * ae * ae;
    let re = (mu_d / TAU * ai * ai - sigma * sigma / TAU * ai) / det;
    let ri = (sigma * sigma / TAU * ae - mu_d / TAU * ae * ae) / det;
    ShotInput::new(vec![ae, ai], vec![re, ri]).unwrap()
}

/// As `omega -> 0` a modulation `delta R (e^{i omega t} + c.c.)` is a slow change of the
/// rate by `2 delta R cos(omega t)`, whose time average raises the rate by
/// `(1/2) d^2 nu/d R^2 (2 delta R)^2 / 2`: `chi_2(0, 0) = (1/2) d^2 nu / d R_X^2`, and the
/// same for the mean potential. Against fourth-order central differences of the
/// stationary solver (docs/theory.md 2.2), large jumps (0.5 and -1 mV) at 12 and 1.4 Hz.
#[test]
fn static_limit_is_half_the_second_derivative() {
    for (mu_d, bias) in [(12.0, 4.0), (8.0, 2.0)] {
        let inp = input(0.5, mu_d, 5.0);
        let res = Resolution::for_input(&inp);
        let so = second_order_with(&lif(), &inp, bias, &[1e-2], &[0, 1], &res).unwrap();
        for x in 0..2 {
            let h = 0.02 * inp.rates_hz[x];
            let at = |d: f64| {
                let mut i = inp.clone();
                i.rates_hz[x] += d;
                let s = stationary(&lif(), &i, bias).unwrap();
                (s.rate, s.mean_v)
            };
            let v: Vec<(f64, f64)> = [-2.0, -1.0, 0.0, 1.0, 2.0]
                .iter()
                .map(|k| at(k * h))
                .collect();
            let d2 = |f: &dyn Fn(&(f64, f64)) -> f64| {
                (-f(&v[4]) + 16.0 * f(&v[3]) - 30.0 * f(&v[2]) + 16.0 * f(&v[1]) - f(&v[0]))
                    / (12.0 * h * h)
            };
            let (half_r, half_v) = (d2(&|p| p.0) / 2.0, d2(&|p| p.1) / 2.0);
            let (e_r, e_v) = (
                (so.chi2[0][x] / half_r - 1.0).abs(),
                (so.chi2_v[0][x] / half_v - 1.0).abs(),
            );
            eprintln!(
                "rate {:.3} Hz, source {x}: chi_2 {:.6e} vs {half_r:.6e} ({e_r:.1e}); chi_2v {:.6e} vs {half_v:.6e} ({e_v:.1e})",
                so.rate_hz, so.chi2[0][x], so.chi2_v[0][x]
            );
            assert!(e_r < 1e-4 && e_v < 1e-4, "source {x}: {e_r:.2e}, {e_v:.2e}");
        }
    }
}

/// Shrinking jumps at fixed drive and noise (`a = 0.2/k` mV, rates times `k^2`): a rate
/// modulation of source `X` moves the mean input by `tau_m a_X delta R` and its variance
/// by `tau_m a_X^2 delta R`, the latter vanishing against the former, so
/// `chi_2,X / (tau_m a_X)^2` converges to the white-noise `chi_2(omega, -omega)` of a
/// mean modulation (docs/theory.md 6.6.3), linearly in the jump (the shot-noise
/// correction is first order in it); the second-order extrapolation from `k = 2, 4, 8`
/// agrees with it to 2e-4 at 0.16, 10 and 100 Hz (5e-5 measured).
#[test]
fn diffusion_limit_of_the_second_order_response() {
    let (mu_d, sigma, bias) = (12.0, 5.0, 4.0);
    let omegas = [1.0, 60.0, 600.0];
    let ks = [1.0, 2.0, 4.0, 8.0];
    let white = SecondOrder::new(&lif(), mu_d + bias, sigma).unwrap();
    let reference: Vec<f64> = omegas.iter().map(|&w| white.chi2(w).unwrap()).collect();
    // scaled[k][omega][source]
    let scaled: Vec<Vec<[f64; 2]>> = ks
        .iter()
        .map(|k| {
            let inp = input(0.2 / k, mu_d, sigma);
            let res = Resolution::for_input(&inp);
            let so = second_order_with(&lif(), &inp, bias, &omegas, &[0, 1], &res).unwrap();
            (0..omegas.len())
                .map(|w| [0, 1].map(|x| so.chi2[w][x] / (TAU * inp.jumps_mv[x]).powi(2)))
                .collect()
        })
        .collect();
    for (w, &omega) in omegas.iter().enumerate() {
        for x in 0..2 {
            let err: Vec<f64> = (0..ks.len())
                .map(|k| scaled[k][w][x] / reference[w] - 1.0)
                .collect();
            let ext = (8.0 * scaled[3][w][x] - 6.0 * scaled[2][w][x] + scaled[1][w][x]) / 3.0;
            let e_ext = ext / reference[w] - 1.0;
            eprintln!(
                "omega {omega} rad/s, source {x}: white chi_2 {:.6e}; relative errors at k = 1, 2, 4, 8: {err:?}; extrapolated {e_ext:.1e}",
                reference[w]
            );
            let ratio = err[3] / err[2];
            assert!((0.35..0.65).contains(&ratio), "error ratio {ratio}");
            assert!(err[3].abs() < 1e-2, "{err:?}");
            assert!(e_ext.abs() < 2e-4, "extrapolated {e_ext:.2e}");
        }
    }
}

/// Rule `H`'s shape term (docs/theory.md 6.6.12b) finds its working point: with the
/// target rate that of the shot-noise neuron at the given Fano factors the scale `t` is
/// 1, with the rate at twice those Fano factors it is 2, and a zero spectral difference
/// gives no change; bad arguments are errors that name them.
#[test]
fn shape_term_working_point_and_errors() {
    use balnet::theory::correlated::{OMEGA_MAX, shape_term};
    use balnet::transfer::response::second_order::mapped_legendre_nodes;
    let inp = input(0.5, 12.0, 5.0);
    let bias = 4.0;
    let res = Resolution::fast();
    let fano = [0.6, 0.5];
    let nodes = mapped_legendre_nodes(OMEGA_MAX, 8, 3.0);
    let zero = vec![vec![0.0; nodes.len()]; 2];
    for scale in [1.0, 2.0] {
        let f: Vec<f64> = fano.iter().map(|v| v * scale).collect();
        let target = stationary_with(&lif(), &inp.with_fanos(&f).unwrap(), bias, &res)
            .unwrap()
            .rate;
        let (dnu, dv, t) =
            shape_term(&lif(), &inp, &fano, target, bias, &nodes, &zero, &res).unwrap();
        eprintln!("target {target:.4} Hz: t {t:.8} (expected {scale})");
        assert!((t / scale - 1.0).abs() < 1e-6, "t {t}");
        assert!(dnu == 0.0 && dv == 0.0);
    }
    let err = shape_term(&lif(), &inp, &fano, 5.0, bias, &nodes, &zero[..1], &res).unwrap_err();
    assert!(err.to_string().contains("diff"), "{err}");
    let err = shape_term(&lif(), &inp, &fano, -1.0, bias, &nodes, &zero, &res).unwrap_err();
    assert!(err.to_string().contains("target_hz"), "{err}");
    // no Fano scale in [1/8, 8] reaches 1 kHz
    let err = shape_term(&lif(), &inp, &fano, 1e3, bias, &nodes, &zero, &res).unwrap_err();
    assert!(err.to_string().contains("Fano scale"), "{err}");
}
