//! Brunel (2000) model A finite-K rates against NNMT 1.3.0 (`nnmt.lif.delta.firing_rates`,
//! eps_tol 1e-14) and an independent mpmath fixed point; values made by
//! tools/reference/nnmt_brunel.py and committed in tests/data/nnmt_brunel.json.

use balnet::presets;
use balnet::theory::{Limit, stationary};

#[test]
fn brunel_rates_match_nnmt() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nnmt_brunel.json"
    ))
    .unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut worst_nnmt: f64 = 0.0;
    let mut worst_mp: f64 = 0.0;
    let mut checked = 0;
    for p in data["points"].as_array().unwrap() {
        let (g, eta) = (p["g"].as_f64().unwrap(), p["eta"].as_f64().unwrap());
        let m = presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500).unwrap();
        let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
        let (e, i) = (st.populations[0].rate_hz, st.populations[1].rate_hz);
        if let Some(mp) = p["mpmath_rate_hz"].as_f64() {
            let r = ((e - mp) / mp).abs();
            worst_mp = worst_mp.max(r);
            assert!(r < 1e-9, "g {g} eta {eta}: {e} vs mpmath {mp}");
        }
        if p["converged"].as_bool() == Some(true) {
            let (ne, ni) = (
                p["rate_e_hz"].as_f64().unwrap(),
                p["rate_i_hz"].as_f64().unwrap(),
            );
            let r = ((e - ne) / ne).abs().max(((i - ni) / ni).abs());
            worst_nnmt = worst_nnmt.max(r);
            assert!(
                r < 1e-6,
                "g {g} eta {eta}: balnet ({e}, {i}) vs NNMT ({ne}, {ni}), rel {r:e}"
            );
            checked += 1;
        }
    }
    println!(
        "{checked} NNMT points: max relative difference {worst_nnmt:.3e}; vs mpmath {worst_mp:.3e}"
    );
    assert!(checked >= 40, "only {checked} converged NNMT points");
}

// ---- network linear response against NNMT (docs/theory.md 6.3) ----

use std::f64::consts::PI;

use balnet::theory::response::{
    ClosedForm, NetworkResponse, NeuronResponse, ResponseOptions, sensitivity_of, spectrum_of,
};
use balnet::transfer::response::diffusion;
use balnet::transfer::{LifParams, siegert};
use nalgebra::DMatrix;
use num_complex::Complex64;
use serde_json::Value;

fn response_data() -> Value {
    serde_json::from_str(include_str!("data/nnmt_response.json")).unwrap()
}

fn c(v: &Value) -> Complex64 {
    Complex64::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

fn cmat(v: &Value) -> DMatrix<Complex64> {
    let rows = v.as_array().unwrap();
    DMatrix::from_fn(rows.len(), rows.len(), |a, b| c(&rows[a][b]))
}

fn rel(a: Complex64, b: Complex64) -> f64 {
    (a - b).norm() / b.norm()
}

/// The single-neuron response under NNMT's approximations (docs/theory.md 6.1, 6.3): the
/// closed-form `chi_mu` of the neuron without refractory dynamics, scaled by
/// `nu(tau_ref)/nu(0)` (NNMT's transfer function), and no response to the variance
/// (NNMT's effective connectivity has only the mean channel). With `full_dynamics`, the
/// closed-form `chi_mu` itself (only the variance channel dropped).
struct NnmtLike {
    full_dynamics: bool,
}

impl NeuronResponse for NnmtLike {
    fn response(
        &self,
        lif: &LifParams,
        mu: f64,
        sigma: f64,
        lambda: Complex64,
    ) -> balnet::Result<(f64, Complex64, Complex64)> {
        let nu = siegert::rate(lif, mu, sigma);
        let chi = if self.full_dynamics {
            diffusion::susceptibility(lif, mu, sigma, lambda)?.chi_mu
        } else {
            let lif0 = LifParams {
                tau_ref: 0.0,
                ..*lif
            };
            diffusion::susceptibility(&lif0, mu, sigma, lambda)?.chi_mu * nu
                / siegert::rate(&lif0, mu, sigma)
        };
        Ok((nu, chi, Complex64::new(0.0, 0.0)))
    }
    fn name(&self) -> &'static str {
        "NNMT approximations"
    }
}

/// Largest relative differences (W rate block, power spectra, critical eigenvalue,
/// sensitivity rate block) between a balnet network response and NNMT's record.
fn brunel_differences(rec: &Value, neuron: &dyn NeuronResponse) -> [f64; 4] {
    let tau_ref = rec["tau_ref"].as_f64().unwrap();
    let mut m = presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    for p in &mut m.populations {
        p.tau_ref = tau_ref;
    }
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let nu_nnmt = rec["rates_hz"][0].as_f64().unwrap();
    assert!((st.populations[0].rate_hz / nu_nnmt - 1.0).abs() < 1e-8);
    let net = NetworkResponse::new(&m, &st, neuron, ResponseOptions::default()).unwrap();
    let freqs: Vec<f64> = rec["freqs_hz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_f64().unwrap())
        .collect();
    let (mut dw, mut dp): (f64, f64) = (0.0, 0.0);
    for (k, f) in freqs.iter().enumerate() {
        let omega = 2.0 * PI * f;
        let w = net.matrix(Complex64::new(0.0, omega)).unwrap();
        let wn = cmat(&rec["effective_connectivity"][k]);
        for a in 0..2 {
            for b in 0..2 {
                dw = dw.max(rel(w[(a, b)], wn[(a, b)]));
            }
        }
        let p = net.population_spectrum(omega).unwrap();
        eprintln!(
            "  {} {f} Hz: P_E {:.5e} (NNMT {:.5e}) Hz, W_EE {:.4} (NNMT {:.4})",
            neuron.name(),
            p[(0, 0)].re,
            rec["power_spectra_hz"][k][0].as_f64().unwrap(),
            w[(0, 0)],
            wn[(0, 0)]
        );
        for a in 0..2 {
            let pn = rec["power_spectra_hz"][k][a].as_f64().unwrap();
            dp = dp.max((p[(a, a)].re - pn).abs() / pn);
        }
    }
    let sr = &rec["sensitivity"];
    let s = net
        .sensitivity(2.0 * PI * sr["frequency_hz"].as_f64().unwrap())
        .unwrap();
    let de = rel(s.critical_eigenvalue, c(&sr["critical_eigenvalue"]));
    eprintln!(
        "  {}: critical eigenvalue {:.4} (NNMT {:.4})",
        neuron.name(),
        s.critical_eigenvalue,
        c(&sr["critical_eigenvalue"])
    );
    let tn = cmat(&sr["sensitivity"]);
    let mut dt: f64 = 0.0;
    for a in 0..2 {
        for b in 0..2 {
            dt = dt.max((s.sensitivity[(a, b)] - tn[(a, b)]).norm() / tn.norm());
        }
    }
    [dw, dp, de, dt]
}

/// Brunel (2000) model A at `g = 5`, `eta = 2` (docs/theory.md 4), delay 1.5 ms, against
/// NNMT 1.3.0 (`tools/reference/nnmt_response.py`, white-noise limit): effective
/// connectivity (Bos et al. 2016 Eq. 12), population power spectra (Eq. 18) at ten
/// frequencies 1-500 Hz, and the sensitivity measure (Eq. 7) at 150 Hz. Where NNMT's
/// approximations are reproduced (its transfer function; no variance channel) every
/// quantity agrees to 1e-6, with and without refractoriness; balnet's full response
/// differs by what docs/linear_response.md lists (printed).
#[test]
fn brunel_network_response_matches_nnmt() {
    let data = response_data();
    for rec in data["brunel_a"].as_array().unwrap() {
        let tau_ref = rec["tau_ref"].as_f64().unwrap();
        let like = brunel_differences(
            rec,
            &NnmtLike {
                full_dynamics: false,
            },
        );
        eprintln!(
            "tau_ref {tau_ref}: NNMT approximations reproduced: W {:.1e}, spectra {:.1e}, eigenvalue {:.1e}, sensitivity {:.1e}",
            like[0], like[1], like[2], like[3]
        );
        assert!(like.iter().all(|d| *d < 1e-6), "{like:?}");
        let dyn_only = brunel_differences(
            rec,
            &NnmtLike {
                full_dynamics: true,
            },
        );
        let full = brunel_differences(rec, &ClosedForm);
        eprintln!(
            "tau_ref {tau_ref}: refractory dynamics: W {:.1e}, spectra {:.1e}, eigenvalue {:.1e}, sensitivity {:.1e}; full balnet (plus the variance channel): W {:.1e}, spectra {:.1e}, eigenvalue {:.1e}, sensitivity {:.1e}",
            dyn_only[0], dyn_only[1], dyn_only[2], dyn_only[3], full[0], full[1], full[2], full[3]
        );
        if tau_ref == 0.0 {
            // no refractory period: the transfer functions are the same function
            assert!(dyn_only.iter().all(|d| *d < 1e-6), "{dyn_only:?}");
        }
    }
}

/// NNMT's microcircuit example (Bos et al. 2016 parameters: eight populations,
/// target-dependent in-degrees, synaptic filtering, truncated-Gaussian delays; not
/// expressible as a balnet `Model`, docs/linear_response.md): balnet's plain-level spectrum
/// and sensitivity formulas applied to NNMT's effective connectivity reproduce NNMT's
/// power spectra (five frequencies) and sensitivity measure at 64 Hz, and the closed-form
/// transfer function reproduces NNMT's white-noise transfer function at the eight
/// working points (without refractory dynamics, as NNMT).
#[test]
fn microcircuit_spectra_sensitivity_and_transfer_match_nnmt() {
    let data = response_data();
    let mc = &data["microcircuit"];
    let rates: Vec<f64> = mc["rates_hz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let n: Vec<f64> = mc["N"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let s0: Vec<f64> = rates.iter().zip(&n).map(|(r, n)| r / n).collect();
    let mut dp: f64 = 0.0;
    for (k, wk) in mc["effective_connectivity"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let p = spectrum_of(&cmat(wk), &s0).unwrap();
        for a in 0..8 {
            let pn = mc["power_spectra_hz"][k][a].as_f64().unwrap();
            dp = dp.max((p[(a, a)].norm() - pn).abs() / pn);
        }
    }
    let sr = &mc["sensitivity"];
    let s = sensitivity_of(&cmat(&mc["sensitivity_effective_connectivity"])).unwrap();
    let de = rel(s.critical_eigenvalue, c(&sr["critical_eigenvalue"]));
    let tn = cmat(&sr["sensitivity"]);
    let dt = (&s.sensitivity - &tn).norm() / tn.norm();
    let amp: Vec<f64> = sr["sensitivity_amp"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let da = s
        .amplitude
        .transpose()
        .iter()
        .zip(&amp)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
        / amp.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let lif = |_a: usize, tau_ref: f64| LifParams {
        tau_m: mc["tau_m"].as_f64().unwrap(),
        theta: mc["theta_mv"].as_f64().unwrap(),
        v_reset: mc["v_reset_mv"].as_f64().unwrap(),
        tau_ref,
    };
    let tau_ref = mc["tau_ref"].as_f64().unwrap();
    let (mut dtf, mut dfull): (f64, f64) = (0.0, 0.0);
    for (k, f) in mc["white_noise_transfer_freqs_hz"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let lam = Complex64::new(0.0, 2.0 * PI * f.as_f64().unwrap());
        for a in 0..8 {
            let mu = mc["mu_mv"][a].as_f64().unwrap();
            let sg = mc["sigma_mv"][a].as_f64().unwrap();
            let want = c(&mc["white_noise_transfer_hz_per_mv"][k][a]);
            let (l, l0) = (lif(a, tau_ref), lif(a, 0.0));
            let chi0 = diffusion::susceptibility(&l0, mu, sg, lam).unwrap().chi_mu
                * siegert::rate(&l, mu, sg)
                / siegert::rate(&l0, mu, sg);
            dtf = dtf.max(rel(chi0, want));
            let full = diffusion::susceptibility(&l, mu, sg, lam).unwrap().chi_mu;
            dfull = dfull.max(rel(full, want));
        }
    }
    eprintln!(
        "microcircuit: spectra {dp:.1e}, critical eigenvalue {de:.1e}, sensitivity {dt:.1e} (amplitude projection {da:.1e}); white-noise transfer {dtf:.1e} (with refractory dynamics: {dfull:.1e})"
    );
    assert!(dp < 1e-10 && de < 1e-10 && dt < 1e-8 && da < 1e-8);
    assert!(dtf < 1e-6, "transfer {dtf:.2e}");
}
