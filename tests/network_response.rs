//! Network linear response and stability (docs/theory.md 6.3) against closed forms and
//! against the latent stability of docs/theory.md 2.5.

use std::f64::consts::PI;

use balnet::model::{Connectivity, Delay};
use balnet::presets;
use balnet::theory::response::{
    NetworkResponse, NeuronResponse, ResponseOptions, RootBox, ThresholdIntegration, stability,
};
use balnet::theory::{Limit, latent, stationary};
use balnet::transfer::LifParams;
use num_complex::Complex64;

/// A threshold-linear rate neuron with a first-order low-pass: `chi_mu = g_A / (1 + lambda
/// tau)`, no response to the noise. Population `A` is recognised by its threshold.
struct LowPass {
    gains: Vec<(f64, f64)>, // (theta, gain Hz/mV)
    tau: f64,
}

impl NeuronResponse for LowPass {
    fn response(
        &self,
        lif: &LifParams,
        _mu: f64,
        _sigma: f64,
        lambda: Complex64,
    ) -> balnet::Result<(f64, Complex64, Complex64)> {
        let g = self
            .gains
            .iter()
            .find(|(t, _)| *t == lif.theta)
            .map(|x| x.1)
            .unwrap();
        Ok((1.0, g / (1.0 + lambda * self.tau), Complex64::new(0.0, 0.0)))
    }
    fn name(&self) -> &'static str {
        "low-pass test neuron"
    }
}

/// Principal and other branches of Lambert's W (`w e^w = z`) by Halley's method.
fn lambert_w(z: Complex64, k: i64) -> Complex64 {
    let l1 = z.ln() + Complex64::new(0.0, 2.0 * PI * k as f64);
    let mut w = if k == 0 && z.norm() < 1.0 {
        z
    } else {
        l1 - l1.ln()
    };
    for _ in 0..100 {
        let ew = w.exp();
        let f = w * ew - z;
        let wp1 = w + 1.0;
        let dw = f / (ew * wp1 - (w + 2.0) * f / (2.0 * wp1));
        w -= dw;
        if dw.norm() < 1e-15 * (1.0 + w.norm()) {
            break;
        }
    }
    w
}

/// Two populations (the default E-I network without latent structure, fixed in-degree so
/// that every neuron is identical), fixed delay `d`, low-pass neurons of gains `g_A`:
/// `W(lambda) = e^{-lambda d} / (1 + lambda tau) G M`, `M_AB = tau_m sqrt(K) c_B J_AB`.
/// With `m_k` the eigenvalues of `G M`, `det(I - W) = 0` is
/// `(1 + lambda tau) e^{lambda d} = m_k`, i.e. with `u = (lambda + 1/tau) d`,
/// `u e^u = (m_k d / tau) e^{d / tau}`: `lambda = W_n((m_k d/tau) e^{d/tau}) / d - 1/tau`
/// on every branch `n` of Lambert's W.
#[test]
fn two_population_low_pass_roots_are_lambert_w() {
    let mut model = presets::default_d0();
    model.connectivity = Connectivity::FixedIndegree;
    let d = 0.002;
    model.delay = Delay::Fixed { d };
    let state = stationary::solve(&model, Limit::Finite, &[], &[], None).unwrap();
    // tau small enough that the test neuron's own pole -1/tau lies outside the box
    let tau = 0.005;
    let (ge, gi) = (2.7, 1.5);
    let neuron = LowPass {
        gains: vec![
            (model.populations[0].theta, ge),
            (model.populations[1].theta, gi),
        ],
        tau,
    };
    // both populations share theta in the default model: then use one gain
    let shared = model.populations[0].theta == model.populations[1].theta;
    let g = if shared { [ge, ge] } else { [ge, gi] };
    let net = NetworkResponse::new(&model, &state, &neuron, ResponseOptions::default()).unwrap();
    // eigenvalues of G M
    let mm = |a: usize, b: usize| {
        g[a] * model.populations[a].tau_m * model.k.sqrt() * model.populations[b].c * model.j[a][b]
    };
    let (a, b, c, dd) = (mm(0, 0), mm(0, 1), mm(1, 0), mm(1, 1));
    let tr = a + dd;
    let det = a * dd - b * c;
    let disc = Complex64::new(tr * tr - 4.0 * det, 0.0).sqrt();
    let ms = [(tr + disc) / 2.0, (tr - disc) / 2.0];
    let search = RootBox {
        re_min: -150.0,
        re_max: 600.0,
        f_max: 700.0,
    };
    let mut expected = Vec::new();
    for m in ms {
        for n in -8..=8 {
            let z = m * (d / tau) * (d / tau).exp();
            let w = lambert_w(z, n);
            let lam = w / d - 1.0 / tau;
            // check it is a root of the characteristic equation
            let chk = (1.0 + lam * tau) * (lam * d).exp() - m;
            assert!(chk.norm() < 1e-8 * m.norm(), "Lambert W branch {n}: {chk}");
            if lam.re > search.re_min
                && lam.re < search.re_max
                && lam.im >= 0.0
                && lam.im < 2.0 * PI * search.f_max
            {
                expected.push(lam);
            }
        }
    }
    eprintln!("m_k = {ms:?}; closed-form roots in the box: {expected:?}");
    assert!(!expected.is_empty());
    let st = stability(&net, &search).unwrap();
    eprintln!("{st:#?}");
    assert_eq!(st.eigenvalues.len(), expected.len());
    for lam in &expected {
        let best = st
            .eigenvalues
            .iter()
            .map(|e| {
                let z = Complex64::new(e.growth_rate_hz, 2.0 * PI * e.frequency_hz);
                (z - lam).norm() / lam.norm()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            best < 1e-8,
            "root {lam}: nearest found at relative distance {best:.2e}"
        );
    }
    // the winding number counts them (no poles in this test)
    let n_both: usize = expected
        .iter()
        .map(|l| if l.im > 0.0 { 2 } else { 1 })
        .sum();
    assert_eq!(st.winding_number, n_both as i64);
}

/// The adiabatic reduction of the network response (fast part at lambda = 0, no delay on
/// the slow synapses) has exactly the latent eigenvalues of docs/theory.md 2.5
/// (`latent::fixed_points`, central differences of the reduced map): at `kappa = 0` of the
/// default model (Bernoulli: the quenched-variance channel matters) and at the nonzero
/// fixed point of the bistable preset (the Stein terms of the loadings matter).
#[test]
fn slow_eigenvalues_match_latent_stability() {
    // the default model below its bifurcation has one fixed point (kappa = 0), the
    // bistable preset three (kappa = 0 and the symmetric pair, docs/theory.md section 5)
    for (model, count) in [
        (presets::default_model(), 1),
        (presets::latent_bistable(), 3),
    ] {
        let sol = latent::fixed_points(&model, Limit::Finite, &[0.0], &Default::default()).unwrap();
        assert_eq!(sol.fixed_points.len(), count);
        for fp in &sol.fixed_points {
            let want = fp.eigenvalues[0];
            let opts = ResponseOptions {
                adiabatic: true,
                ..Default::default()
            };
            let net = NetworkResponse::new(&model, &fp.state, &ThresholdIntegration, opts).unwrap();
            let search = RootBox {
                re_min: want[0] - 5.0,
                re_max: want[0] + 5.0,
                f_max: 1.0,
            };
            let st = stability(&net, &search).unwrap();
            assert_eq!(st.eigenvalues.len(), 1, "{st:?}");
            let got = st.eigenvalues[0].growth_rate_hz;
            let rel = (got - want[0]).abs() / want[0].abs();
            // the full (non-adiabatic, delayed) slow eigenvalue, for the record
            let full =
                NetworkResponse::new(&model, &fp.state, &ThresholdIntegration, Default::default())
                    .unwrap();
            let sf = stability(&full, &search).unwrap();
            eprintln!(
                "{} kappa* = {:?}: latent {:.6} 1/s, adiabatic response {:.6} 1/s (rel {rel:.1e}); full response {:?}",
                model.name, fp.kappa, want[0], got, sf.eigenvalues
            );
            assert!(rel < 1e-4, "relative difference {rel:.2e}");
        }
    }
}

/// The shot-noise network response (docs/theory.md 6.4, "Homogeneous populations") at
/// `lambda = 0` is `W_AB = k_B d nu_A / d R_B`: checked against central differences of the
/// master equation's stationary rate in the Poisson rate of source `B` (Brunel 2000 model
/// A, jumps 0.1 and -0.5 mV), and refused for populations with quenched input variance.
#[test]
fn shot_noise_network_response_is_the_rate_derivative_at_zero_frequency() {
    use balnet::model::TransferKind;
    use balnet::theory::shot_response::ShotNetworkResponse;
    use balnet::transfer::shot_noise::{population_input, stationary as shot_stationary};

    let mut m = presets::by_name("brunel-a").unwrap();
    m.transfer = TransferKind::ShotNoise;
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let net = ShotNetworkResponse::new(&m, &st).unwrap();
    let w = net.matrix(Complex64::new(0.0, 0.0)).unwrap();
    let rates: Vec<f64> = st.populations.iter().map(|p| p.rate_hz).collect();
    for a in 0..m.p() {
        let lif = LifParams::of(&m, a);
        let input = population_input(&m, a, &rates).unwrap();
        let bias = st.populations[a].mean_input_mv - input.mean_drive(lif.tau_m);
        for b in 0..m.p() {
            let h = 1e-3 * input.rates_hz[b];
            let rate_at = |dr: f64| {
                let mut i = input.clone();
                i.rates_hz[b] += dr;
                shot_stationary(&lif, &i, bias).unwrap().rate
            };
            let fd = m.k_in(b) * (rate_at(h) - rate_at(-h)) / (2.0 * h);
            let rel = ((w[(a, b)].re - fd) / fd).abs();
            assert!(rel < 1e-5, "W[{a}][{b}] = {} vs {fd}: {rel:e}", w[(a, b)]);
            assert!(w[(a, b)].im.abs() < 1e-12 * fd.abs());
        }
    }
    // the default model's populations have quenched input variance: refused, named
    let d = presets::default_d0();
    let st = stationary::solve(&d, Limit::Finite, &[], &[], None).unwrap();
    let e = ShotNetworkResponse::new(&d, &st).err().unwrap().to_string();
    assert!(
        e.contains("populations[0] (E)") && e.contains("quenched"),
        "{e}"
    );
}

/// The single-neuron variance of the potential from the Ito balance (docs/theory.md 6.3)
/// against the stationary density of the white-noise LIF (Brunel 2000, Eq. A5)
/// integrated numerically, with the rate from its normalisation (not from the Siegert
/// formula) and the refractory mass at the reset.
#[test]
fn voltage_variance_matches_the_stationary_density() {
    use balnet::theory::response::lif_voltage_variance;
    use balnet::transfer::siegert;
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    for (x, sigma) in [
        (21.0, 7.68),
        (12.0, 5.0),
        (16.0, 2.0),
        (25.0, 1.0),
        (5.0, 8.0),
    ] {
        // p(y) = exp(-y^2) Int_{max(y, yr)}^{yth} exp(u^2) du on y = (V - x)/sigma
        let (yr, yth) = ((lif.v_reset - x) / sigma, (lif.theta - x) / sigma);
        let y_lo = yr.min(yth) - 9.0;
        let n = 400_000;
        let h = (yth - y_lo) / n as f64;
        let mut inner = 0.0;
        let (mut m0, mut m1, mut m2) = (0.0, 0.0, 0.0);
        for k in (0..=n).rev() {
            let y = y_lo + k as f64 * h;
            if k < n && y + h > yr {
                // trapezoid on [y, y + h] of exp(u^2), clipped at yr
                let a = y.max(yr);
                let b = y + h;
                inner += 0.5 * (b - a) * ((a * a).exp() + (b * b).exp());
            }
            let p = (-y * y).exp() * inner;
            let wgt = if k == 0 || k == n { 0.5 } else { 1.0 } * h;
            let v = x + sigma * y;
            m0 += wgt * p;
            m1 += wgt * p * v;
            m2 += wgt * p * v * v;
        }
        // P0(V) dV = (2 nu tau / sigma) p(y) sigma dy; Int P0 + nu tau_ref = 1
        let nu = 1.0 / (2.0 * lif.tau_m * m0 + lif.tau_ref);
        let c = 2.0 * nu * lif.tau_m;
        let ev = c * m1 + nu * lif.tau_ref * lif.v_reset;
        let ev2 = c * m2 + nu * lif.tau_ref * lif.v_reset * lif.v_reset;
        let var_density = ev2 - ev * ev;
        let nu_siegert = siegert::rate(&lif, x, sigma);
        assert!(
            (nu / nu_siegert - 1.0).abs() < 1e-6,
            "x {x} sigma {sigma}: density rate {nu} vs Siegert {nu_siegert}"
        );
        let var = lif_voltage_variance(&lif, x, sigma, nu_siegert);
        assert!(var > 1.0, "x {x} sigma {sigma}: variance {var} mV^2");
        assert!(
            (var / var_density - 1.0).abs() < 1e-6,
            "x {x} sigma {sigma}: Ito variance {var} vs density {var_density} mV^2"
        );
    }
}

/// Uncoupled neurons without refractoriness and with Poisson spike spectra: the
/// population-mean potential is the reset train low-pass filtered,
/// `Var <V> = tau (theta - Vr)^2 nu / (2 N)` (docs/theory.md 6.3), which checks the
/// frequency integral and its analytic tail.
#[test]
fn voltage_synchrony_of_uncoupled_neurons_is_the_filtered_reset_noise() {
    use balnet::theory::response::{ClosedForm, SpikeSpectrum};
    let mut m = presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    for row in m.j.iter_mut() {
        for j in row.iter_mut() {
            *j = 0.0;
        }
    }
    for p in m.populations.iter_mut() {
        p.tau_ref = 0.0;
    }
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).unwrap();
    let sync = net
        .voltage_synchrony(SpikeSpectrum::Poisson, 2000.0, 8001)
        .unwrap();
    for (a, s) in sync.iter().enumerate() {
        let pop = &m.populations[a];
        let nu = st.populations[a].rate_hz;
        assert!(nu > 1.0, "population {a} fires at {nu} Hz");
        let jump = pop.theta - pop.v_reset;
        let expect = pop.tau_m * jump * jump * nu / (2.0 * pop.n as f64);
        assert!(
            (s.var_mean_v_mv2 / expect - 1.0).abs() < 1e-5,
            "{}: Var <V> {} vs {} mV^2",
            s.name,
            s.var_mean_v_mv2,
            expect
        );
    }
}
