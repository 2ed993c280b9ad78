//! Size of the two terms the correlated noise closure leaves out (docs/theory.md 6.6.7-6.6.9),
//! at its stable latent fixed point (shot-noise transfer, the Model's loading moments):
//!
//! - **slow**: the finite-size fluctuation of `kappa` (variance `V` from the read-out
//!   noise of the `N` spike trains, filtered by the latent mode, 6.6.8) acting
//!   quasi-statically on the rates and on the latent self-consistency:
//!   `Delta kappa = G'' V / (2 (1 - G'))`, `Delta nu = nu' Delta kappa + nu'' V / 2`;
//! - **cross**: the shared input of the population cross-spectra of the network response
//!   (6.3), `S_cross,A = tau_m^2 K sum_BC c_B c_C J_AB J_AC C_BC(omega)`, through (6.6.1):
//!   `Delta nu_A = Int_0^Omega d omega / pi chi_2,A(omega) S_cross,A(omega)`, where the
//!   state is linearly stable (checked by refining the fast root of 6.3).
//!
//! `cargo run --release --example correlated_attribution [-- SCENARIO S [KAPPA]]` with
//! `SCENARIO` `default` (default `S = 1`, after the input step), `latent-bistable` or a
//! Model file (`S = 0`); with `KAPPA` (Hz) the terms are evaluated there instead of at the searched
//! stable fixed point.
//! JSON on stdout.

use std::f64::consts::PI;

use balnet::model::{Model, NoiseClosure, TransferKind};
use balnet::theory::Limit;
use balnet::theory::correlated::{FREQUENCY_NODES, OMEGA_MAX, relative_spectrum};
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::response::{
    ClosedForm, NetworkResponse, ResponseOptions, SpikeSpectrum, delay_transform, refine_root,
};
use balnet::theory::state::State;
use balnet::theory::stationary;
use balnet::transfer::response::second_order::{SecondOrder, mapped_legendre_nodes};
use balnet::transfer::{LifParams, Transfer, siegert};
use num_complex::Complex64;

/// Low-frequency spectrum (Hz^2 s) of the read-out noise of `kappa`,
/// `xi = sum_B c_B (1/N_B) sum_i n_i (s_i - nu_i)`: `sum_B c_B^2 E_B[n^2 nu CV^2] / N_B`
/// (independent renewal trains, `S_i(0) = nu_i CV_i^2`), the average over the jointly
/// Gaussian `(x, n)` by Gauss-Hermite nodes in `x` with `n | x` Gaussian (docs/theory.md
/// 6.3: `Cov(n, x) = tau_m Sigma^{nm} kappa + Sigma^{nw} s`).
fn readout_noise(m: &Model, st: &State) -> Result<f64, Box<dyn std::error::Error>> {
    let lat = m.latent.as_ref().ok_or("needs a latent variable")?;
    let rule = balnet::quad::hermite_rule(48);
    let mut total = 0.0;
    for (b, pop) in m.populations.iter().enumerate() {
        let p = &st.populations[b];
        let l = &lat.loadings[b];
        let lif = LifParams::of(m, b);
        let t = balnet::theory::closure::state_transfer(m, st, b)?;
        let sd = p.delta_mv2.max(0.0).sqrt();
        let cov_nx = pop.tau_m * l.sigma_nm[0][0] * st.kappa[0]
            + st.s.first().map_or(0.0, |s| l.sigma_nw[0][0] * s);
        let rho = if sd > 0.0 { cov_nx / sd } else { 0.0 };
        let mut acc = 0.0;
        for &(z, w) in rule.iter() {
            let x = p.mean_input_mv + sd * z;
            let nu = t.rate(x);
            let cv = siegert::cv_isi(&lif, x, p.sigma_mv);
            let n2 = (l.nbar[0] + rho * z).powi(2) + l.sigma_nn[0][0] - rho * rho;
            acc += w * n2 * nu * cv * cv;
        }
        total += pop.c * pop.c * acc / pop.n as f64;
    }
    Ok(total)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().map_or("default", |s| s.as_str());
    let s: f64 = match args.get(1) {
        Some(v) => v.parse()?,
        None if scenario == "default" => 1.0,
        None => 0.0,
    };
    let mut m = if scenario.ends_with(".toml") || scenario.ends_with(".json") {
        Model::from_file(std::path::Path::new(scenario))?
    } else {
        balnet::presets::by_name(scenario)?
    };
    m.transfer = TransferKind::ShotNoise;
    m.noise = NoiseClosure::Correlated;
    let t0 = std::time::Instant::now();
    // KAPPA given: evaluate there (the self-consistent kappa is not searched)
    let st = match args.get(2) {
        Some(k) => {
            let guess = stationary::solve(&m, Limit::Finite, &[k.parse()?], &[s], None)?;
            let g = guess.latent_map(&m)[0];
            eprintln!("kappa {k} Hz given: G(kappa) = {g:.4} Hz");
            guess
        }
        None => {
            let sol = fixed_points(&m, Limit::Finite, &[s], &SearchBox::default())?;
            sol.stable_upper()
                .ok_or("no stable fixed point")?
                .state
                .clone()
        }
    };
    let k0 = st.kappa[0];
    eprintln!(
        "fixed point kappa* = {k0:.4} Hz ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );

    // ---- slow term: quasi-static average over the kappa fluctuation
    let delta = 0.5;
    let at = |k: f64| stationary::solve(&m, Limit::Finite, &[k], &[s], Some(&st));
    let (lo, hi) = (at(k0 - delta)?, at(k0 + delta)?);
    let g = |x: &State| x.latent_map(&m)[0];
    let (g_lo, g0, g_hi) = (g(&lo), g(&st), g(&hi));
    let g1 = (g_hi - g_lo) / (2.0 * delta);
    let g2 = (g_hi - 2.0 * g0 + g_lo) / (delta * delta);
    let tau_s = m.latent.as_ref().map_or(f64::NAN, |l| l.tau_s);
    let s_xi = readout_noise(&m, &st)?;
    let var = s_xi / (2.0 * tau_s * (1.0 - g1));
    let dk = 0.5 * g2 * var / (1.0 - g1);
    let per_pop = |f: &dyn Fn(&State, usize) -> f64| -> Vec<(f64, f64)> {
        (0..m.p())
            .map(|a| {
                let d1 = (f(&hi, a) - f(&lo, a)) / (2.0 * delta);
                let d2 = (f(&hi, a) - 2.0 * f(&st, a) + f(&lo, a)) / (delta * delta);
                (d1, d1 * dk + 0.5 * d2 * var)
            })
            .collect()
    };
    let rate = per_pop(&|x, a| x.populations[a].rate_hz);
    let mean_v = per_pop(&|x, a| x.populations[a].mean_v_mv);
    let slow = serde_json::json!({
        "readout_noise_hz2_s": s_xi,
        "g_prime": g1,
        "g_second_per_hz": g2,
        "latent_rate_per_s": -(1.0 - g1) / tau_s,
        "var_kappa_hz2": var,
        "delta_kappa_hz": dk,
        "delta_kappa_rel": dk / k0,
        "dnu_dkappa": rate.iter().map(|r| r.0).collect::<Vec<_>>(),
        "delta_rate_hz": rate.iter().map(|r| r.1).collect::<Vec<_>>(),
        "delta_rate_rel": rate.iter().zip(&st.populations).map(|(r, p)| r.1 / p.rate_hz).collect::<Vec<_>>(),
        "dv_dkappa_mv_per_hz": mean_v.iter().map(|r| r.0).collect::<Vec<_>>(),
        "delta_mean_v_mv": mean_v.iter().map(|r| r.1).collect::<Vec<_>>(),
    });
    eprintln!("slow: {slow}");

    // ---- cross term: shared input from the population cross-spectra (6.3)
    let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default())?;
    let root = refine_root(&net, Complex64::new(0.0, 2.0 * PI * 104.0))?;
    eprintln!("fast root near 104 Hz: {root:?}");
    let stable = root.is_some_and(|r| r.growth_rate_hz < 0.0);
    let cross = if !stable {
        serde_json::json!({"defined": false, "fast_root": root})
    } else {
        let f_peak = root.map_or(104.0, |r| r.frequency_hz);
        // frequencies (Hz): 1 Hz steps to 400 Hz, 5 Hz to 1 kHz, 0.02 Hz within 5 Hz of the peak
        let mut f: Vec<f64> = (0..=400).map(|i| i as f64).collect();
        f.extend((81..=200).map(|i| 5.0 * i as f64));
        f.extend((0..=500).map(|i| f_peak - 5.0 + 0.02 * i as f64));
        f.retain(|&x| x >= 0.0);
        f.sort_by(f64::total_cmp);
        f.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let p = m.p();
        let k = m.k;
        let mut s_cross = vec![vec![0.0; f.len()]; p];
        for (i, &fi) in f.iter().enumerate() {
            let w = 2.0 * PI * fi;
            let pm = net.population_spectrum_with(w, SpikeSpectrum::Renewal)?;
            let l2 = delay_transform(&m.delay, Complex64::new(0.0, w)).norm_sqr();
            let c = |b: usize, cc: usize| -> Result<f64, Box<dyn std::error::Error>> {
                if b == cc {
                    let nb = m.populations[b].n as f64;
                    let s0 = net.spike_spectrum(b, w, SpikeSpectrum::Renewal)? / nb;
                    Ok((pm[(b, b)].re - s0) / (1.0 - 1.0 / nb))
                } else {
                    Ok(pm[(b, cc)].re)
                }
            };
            for a in 0..p {
                let tau = m.populations[a].tau_m;
                let mut acc = 0.0;
                for b in 0..p {
                    for cc in 0..p {
                        acc += m.populations[b].c
                            * m.populations[cc].c
                            * m.j[a][b]
                            * m.j[a][cc]
                            * c(b, cc)?;
                    }
                }
                s_cross[a][i] = tau * tau * k * l2 * acc;
            }
        }
        let mut out = Vec::new();
        for a in 0..p {
            let ps = &st.populations[a];
            let so = SecondOrder::new(&LifParams::of(&m, a), ps.mean_input_mv, ps.sigma_mv)?;
            let chi: Vec<f64> = f
                .iter()
                .map(|&fi| so.chi2(2.0 * PI * fi))
                .collect::<Result<_, _>>()?;
            // trapezoid in omega, Int_0 d omega / pi
            let mut dnu = 0.0;
            let mut var_in = 0.0;
            for i in 1..f.len() {
                let dw = 2.0 * PI * (f[i] - f[i - 1]);
                dnu += 0.5 * dw * (chi[i] * s_cross[a][i] + chi[i - 1] * s_cross[a][i - 1]) / PI;
                var_in += 0.5 * dw * (s_cross[a][i] + s_cross[a][i - 1]) / PI;
            }
            let imax = (0..f.len())
                .max_by(|&x, &y| s_cross[a][x].total_cmp(&s_cross[a][y]))
                .unwrap_or(0);
            out.push(serde_json::json!({
                "population": ps.name,
                "shared_input_variance_mv2": var_in,
                "s_cross_at_0_mv2_s": s_cross[a][0],
                "s_cross_peak_mv2_s": s_cross[a][imax],
                "peak_hz": f[imax],
                "delta_rate_hz": dnu,
                "delta_rate_rel": dnu / ps.rate_hz,
            }));
        }
        // The balanced network's mean-input loop closes the open-loop change:
        // Delta nu = (I - G M)^{-1} delta nu_open, G = diag(mean gain dnu/dmu),
        // M_AB = tau_m,A sqrt(K) c_B J_AB (docs/theory.md 6.3 at lambda = 0, without the
        // variance, Q and latent channels).
        let open: Vec<f64> = out
            .iter()
            .map(|o| o["delta_rate_hz"].as_f64().unwrap_or(f64::NAN))
            .collect();
        let loop_m = nalgebra::DMatrix::from_fn(p, p, |a, b| {
            let delta = if a == b { 1.0 } else { 0.0 };
            delta
                - st.populations[a].gain_hz_per_mv
                    * m.populations[a].tau_m
                    * m.k.sqrt()
                    * m.populations[b].c
                    * m.j[a][b]
        });
        let closed = loop_m
            .lu()
            .solve(&nalgebra::DVector::from_vec(open.clone()))
            .map(|v| v.iter().copied().collect::<Vec<f64>>())
            .unwrap_or_default();
        serde_json::json!({
            "defined": true,
            "fast_root": root,
            "populations": out,
            "closed_loop_delta_rate_hz": closed,
            "closed_loop_delta_rate_rel": closed.iter().zip(&st.populations).map(|(d, p)| d / p.rate_hz).collect::<Vec<_>>(),
        })
    };
    // ---- per receiving neuron: the chi_2 weighting at the neuron's own mean input x
    // instead of the presynaptic population's mean (docs/theory.md 6.6.6 takes one F_B),
    // its effective white noise sigma(x), and what that does to the population's mean
    // slope and rate in the diffusion approximation (Siegert), one round, open loop.
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, 3.0);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let rel: Vec<Vec<f64>> = (0..m.p())
        .map(|b| {
            let t = balnet::theory::closure::state_transfer(&m, &st, b)?;
            relative_spectrum(&m, &st, b, &t, &omegas)
        })
        .collect::<Result<_, _>>()?;
    let rule = balnet::quad::hermite_rule(16);
    let mut per_neuron = Vec::new();
    for a in 0..m.p() {
        let p = &st.populations[a];
        let lif = LifParams::of(&m, a);
        let tau = lif.tau_m;
        let sd = p.delta_mv2.max(0.0).sqrt();
        let (mut g0, mut g1, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0);
        let mut table = Vec::new();
        for &(z, w) in rule.iter() {
            let x = p.mean_input_mv + sd * z;
            let so = SecondOrder::new(&lif, x, p.sigma_mv)?;
            let den =
                balnet::transfer::response::diffusion::drate_dsigma2(&lif, x, p.sigma_mv) / tau;
            let mut var = p.sigma_mv * p.sigma_mv;
            let mut fx = Vec::new();
            if den > 0.0 && siegert::rate(&lif, x, p.sigma_mv) > 1e-6 {
                let chi: Vec<f64> = omegas
                    .iter()
                    .map(|&om| so.chi2(om))
                    .collect::<Result<_, _>>()?;
                for b in 0..m.p() {
                    let num: f64 = nodes
                        .iter()
                        .zip(&chi)
                        .zip(&rel[b])
                        .map(|(((_, wt), c), r)| wt * c * r)
                        .sum::<f64>()
                        / PI;
                    let f_b = 1.0 + num / den;
                    var += tau
                        * m.populations[b].c
                        * m.j[a][b].powi(2)
                        * st.populations[b].rate_hz
                        * (f_b - st.populations[b].fano);
                    fx.push(f_b);
                }
            }
            let sig = var.max(1e-6).sqrt();
            g0 += w * siegert::drate_dmu(&lif, x, p.sigma_mv);
            g1 += w * siegert::drate_dmu(&lif, x, sig);
            r0 += w * siegert::rate(&lif, x, p.sigma_mv);
            r1 += w * siegert::rate(&lif, x, sig);
            table.push(serde_json::json!({"x_mv": x, "fano": fx, "sigma_mv": sig}));
        }
        per_neuron.push(serde_json::json!({
            "population": p.name,
            "closure_fano": st.fano(),
            "closure_sigma_mv": p.sigma_mv,
            "nodes": table,
            "mean_slope_ratio": g1 / g0,
            "mean_rate_ratio": r1 / r0,
        }));
    }
    let report = serde_json::json!({
        "per_receiving_neuron": per_neuron,
        "scenario": scenario,
        "s": s,
        "kappa_hz": k0,
        "rates_hz": st.rates(),
        "mean_v_mv": st.populations.iter().map(|p| p.mean_v_mv).collect::<Vec<_>>(),
        "fano": st.fano(),
        "slow": slow,
        "cross": cross,
        "wall_s": t0.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
