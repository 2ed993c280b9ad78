//! Single LIF neurons driven by renewal trains at the rates and ISI CVs of a simulated
//! network: the `correlated` closure's single-neuron rule (docs/theory.md 6.6.6)
//! against event-driven exact simulation, with no fitted constant.
//!
//! The presynaptic trains are drawn from a `balnet simulate` folder: for each population
//! `B`, `round(K_B)` neurons with replacement, each giving one gamma train (dead time
//! `tau_ref` of the Model) at its simulated rate and ISI CV (`rates_<B>.npy`,
//! `cv_isi_<B>.npy`; a neuron whose CV is undefined, fewer than three spikes, gives a
//! Poisson-like train of CV 1, and a silent neuron no train), plus the Poisson external
//! drive. The receiving neuron belongs to population E of the Model, its mean input `x`
//! set by a bias so that output rates span 0.05-50 Hz. Columns (Hz):
//!
//! - `poisson`: shot-noise transfer with Poisson trains of the same mean rates;
//! - `A = poisson + Delta nu`, (6.6.1) with the drawn trains' summed spectrum minus its
//!   Poisson level;
//! - `B = white + Delta nu`: shot noise at each population's membrane-filtered Fano
//!   factor `F_eff` (rate-weighted over its drawn trains, docs/theory.md 2.1) plus
//!   (6.6.1) with the spectrum minus that white level;
//! - `C`: shot noise with each population's `chi_2`-weighted Fano factor `F_B` (6.6.6),
//!   the spectrum of population `B` being the sum of its drawn trains' gamma spectra;
//! - `H = Hawkes + shape` (docs/theory.md 6.6.12): the rate with each population's input
//!   a self-inhibiting (Hawkes) source of the drawn trains' total rate, rate-weighted
//!   `CV^2` and `F_eff` (docs/theory.md 2.2.1), plus the shape term of the shot-noise
//!   neuron's second-order response (6.6.12b) for the difference between the drawn
//!   trains' summed spectrum and the one-pole spectra of those two numbers (the JSON
//!   line also gives `C`'s version of that term, `C` minus `C` at the one-pole spectra);
//! - `H + k3`: `H` plus the third-cumulant term (docs/theory.md 6.6.12d) for the drawn
//!   trains' free-membrane third cumulant less the Hawkes sources';
//! - `z`: `(sim - prediction) / se`;
//! - `F_out`: the membrane Fano factor of the receiving neuron's own spike train
//!   (docs/theory.md 2.1), simulated, and the white-noise LIF renewal value
//!   (`theory::spectral::lif_fano_eff`, the spectra the correlated closure assumes for its
//!   presynaptic neurons before the response to their input's colour) at `C`'s noise and
//!   at the noise of `F_eff`, and the same plus the linear response of the train to the
//!   input's deviation from that white level (`theory::correlated::output_fano`,
//!   docs/theory.md 6.6.10).
//!
//! `cargo run --release --example correlated_network_trains -- SIM_DIR [MODEL] [neurons]
//! [seconds] [seed] [classes]` (Model default: the embedded default model; 300 neurons x
//! 20 s per point, seed 7; `neurons` 0 prints the theory only). Given `classes`, `H` gives
//! each population that many Hawkes sources instead of one: its drawn trains sorted by
//! rate and cut into classes of equal total rate, each with its own rate-weighted `CV^2`
//! and `F_eff`, with the shape term against the sum of their one-pole spectra, and 4
//! Hermite modes instead of 6 (for the cost of the more sources; `classes` 1 gives the
//! same 4-mode reference): how much of `H`'s error is the lumping of trains of different
//! rates into one source. With `--hawkes-point` (one source per population only) the
//! shape term is expanded about the Hawkes-driven neuron itself (docs/theory.md 6.4.2,
//! `theory::correlated::hawkes_shape_term`; 0.5-2 min per point) and the JSON line also
//! gives the rate-matched term (`shape_rate_matched_hz`). With `--full` (one source per
//! population only) a line per point gives rule `H` in full as the closure
//! `correlated_full` evaluates it (docs/theory.md 6.6.12e): `C` times
//! `exp(ln nu_H/nu_C)` of `theory::correlated::full_correction`, the shape term about the
//! Hawkes neuron on `FULL_SHAPE_NODES` frequencies and the third-cumulant term, the Hawkes
//! rate at `FULL_RESOLUTION` and the terms at `HAWKES_SHAPE_RESOLUTION` (JSON
//! `closure_full_hz`, `z_closure_full`).

use std::path::Path;
use std::time::Instant;

use balnet::model::Model;
use balnet::sim::output::{NpyData, read_npy};
use balnet::sim::rng::{Stream, below, stream};
use balnet::sim::single::{RenewalSource, simulate_renewal_neuron};
use balnet::theory::correlated::{
    FREQUENCY_NODES, FULL_RESOLUTION, FULL_SHAPE_NODES, HAWKES_SHAPE_RESOLUTION, OMEGA_MAX,
    full_correction, hawkes_shape_term, output_fano, shape_term, third_cumulant_term,
};
use balnet::theory::spectral::lif_fano_eff;
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::response::diffusion::drate_dsigma2;
use balnet::transfer::response::second_order::{SecondOrder, mapped_legendre_nodes};
use balnet::transfer::shot_noise::hawkes;
use balnet::transfer::shot_noise::{
    Resolution, ShotInput, ShotNoise, TABLE_SPACING, population_input,
};
use balnet::transfer::{LifParams, Transfer};

/// The rate-weighted mean of `f` over `trains` (docs/theory.md 2.1).
fn rate_mean(trains: &[GammaRenewal], f: impl Fn(&GammaRenewal) -> f64) -> f64 {
    trains.iter().map(|g| g.nu * f(g)).sum::<f64>() / trains.iter().map(|g| g.nu).sum::<f64>()
}

/// `trains` sorted by rate and cut into `k` classes of (nearly) equal total rate; empty
/// classes are left out.
fn rate_classes(trains: &[GammaRenewal], k: usize) -> Vec<Vec<GammaRenewal>> {
    let mut sorted = trains.to_vec();
    sorted.sort_by(|x, y| x.nu.total_cmp(&y.nu));
    let total: f64 = sorted.iter().map(|g| g.nu).sum();
    let (mut classes, mut start, mut acc) = (Vec::new(), 0, 0.0);
    for c in 1..=k {
        let mut end = start;
        while end < sorted.len() && (c == k || acc < total * c as f64 / k as f64) {
            acc += sorted[end].nu;
            end += 1;
        }
        if end > start {
            classes.push(sorted[start..end].to_vec());
        }
        start = end;
    }
    classes
}

fn floats(dir: &Path, name: &str) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    match read_npy(&dir.join(name))? {
        (_, NpyData::F64(v)) => Ok(v),
        _ => Err(format!("{name}: expected float64 values").into()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().collect();
    let hawkes_point = args
        .iter()
        .position(|a| a == "--hawkes-point")
        .map(|i| args.remove(i))
        .is_some();
    let full = args
        .iter()
        .position(|a| a == "--full")
        .map(|i| args.remove(i))
        .is_some();
    let dir = Path::new(
        args.get(1)
            .ok_or("usage: correlated_network_trains SIM_DIR [MODEL] [neurons] [seconds] [seed]")?,
    );
    let m: Model = balnet::presets::file_or_preset(args.get(2).map_or("default", |s| s))?;
    let neurons: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(300);
    let seconds: f64 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(20.0);
    let seed: u64 = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(7);
    let split: Option<usize> = args.get(6).map(|s| s.parse()).transpose()?;
    let classes = split.unwrap_or(1);
    if classes == 0 {
        return Err("classes: at least one Hawkes source per population".into());
    }
    if (hawkes_point || full) && split.is_some() {
        return Err(
            "--hawkes-point, --full: one Hawkes source per population only (no classes)".into(),
        );
    }
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let mut rng = stream(seed, Stream::Recording, 99);
    // drawn trains per population: (rate Hz, CV)
    let mut trains: Vec<Vec<GammaRenewal>> = Vec::new();
    let mut sources = Vec::new();
    let mut nu_mean = Vec::new();
    let mut cv2s = Vec::new();
    for b in 0..m.p() {
        let name = balnet::sim::output::sanitize(&m.populations[b].name);
        let rates = floats(dir, &format!("rates_{name}.npy"))?;
        let cvs = floats(dir, &format!("cv_isi_{name}.npy"))?;
        let k = m.k_in(b).round() as usize;
        let mut drawn = Vec::new();
        for _ in 0..k {
            let i = below(&mut rng, rates.len() as u64) as usize;
            let (nu, cv) = (rates[i], if cvs[i].is_finite() { cvs[i] } else { 1.0 });
            if nu > 0.0 {
                let g = GammaRenewal::new(nu, cv, m.populations[b].tau_ref).ok_or(format!(
                    "population {b}: no gamma train for nu {nu} Hz, CV {cv}"
                ))?;
                sources.push(RenewalSource {
                    jump: m.jump(a, b),
                    count: 1,
                    nu,
                    cv,
                    tau_ref: m.populations[b].tau_ref,
                });
                drawn.push(g);
            }
        }
        let total: f64 = drawn.iter().map(|g| g.nu).sum();
        let cv2 = rate_mean(&drawn, |g| g.cv().powi(2));
        println!(
            "population {}: {} of {k} drawn trains active, mean rate {:.3} Hz, rate-weighted CV^2 {cv2:.3}",
            m.populations[b].name,
            drawn.len(),
            total / k as f64
        );
        nu_mean.push(total / k as f64);
        cv2s.push(cv2);
        trains.push(drawn);
    }
    sources.push(RenewalSource::external(&m, a));
    let input = population_input(&m, a, &nu_mean)?;
    let drive = input.mean_drive(tau);
    let kj2: Vec<f64> = (0..m.p())
        .map(|b| m.k_in(b) * m.jump(a, b).powi(2))
        .collect();
    let ext = m.k_ext() * m.external.nu0 * m.jump_ext(a).powi(2);
    // white-noise level of each population's trains at Fano factor 1 (mV^2/s)
    let white: Vec<f64> = (0..m.p()).map(|b| kj2[b] * nu_mean[b]).collect();
    let sigma_of =
        |f: &[f64]| (tau * ((0..m.p()).map(|b| white[b] * f[b]).sum::<f64>() + ext)).sqrt();
    // relative spectrum S_B/nu_B - 1 of each population's drawn trains
    let rel = |b: usize, w: f64| {
        let s: f64 = trains[b].iter().map(|g| g.spectrum(w) - g.nu).sum();
        s / trains[b].iter().map(|g| g.nu).sum::<f64>()
    };
    let f_eff: Vec<f64> = trains
        .iter()
        .map(|tr| rate_mean(tr, |g| g.fano_eff(tau)))
        .collect();
    let input_w = input.with_fanos(&f_eff)?;
    // shot-noise transfer of an input on the range of mean inputs (lo, hi) (mV)
    let shot = |inp: ShotInput, lo: f64, hi: f64| {
        ShotNoise::with_resolution(lif, inp, (lo, hi), TABLE_SPACING, Resolution::default())
    };
    let t_w = shot(input_w, drive - 40.0, drive + 40.0)?;
    println!(
        "membrane-filtered Fano factors F_eff {:.3} / {:.3}",
        f_eff[0],
        f_eff.get(1).copied().unwrap_or(f64::NAN)
    );
    let t_p = shot(input.clone(), drive - 40.0, drive + 40.0)?;
    // the Hawkes sources (one per population, or per rate class) and the relative
    // spectrum of each population's sum of their one-pole spectra
    let (one_each, external) = hawkes::split_input(&input, &cv2s, &f_eff, tau)?;
    let (hawkes_sources, owner, modes) = match split {
        None => (
            one_each,
            (0..m.p()).collect::<Vec<usize>>(),
            hawkes::HawkesResolution::default().modes,
        ),
        Some(k) => {
            let (mut sources, mut owner) = (Vec::new(), Vec::new());
            for (b, drawn) in trains.iter().enumerate() {
                for (c, class) in rate_classes(drawn, k).iter().enumerate() {
                    let r: f64 = class.iter().map(|g| g.nu).sum();
                    let s0 = rate_mean(class, |g| g.cv().powi(2));
                    let fe = rate_mean(class, |g| g.fano_eff(tau));
                    println!(
                        "population {} class {}: {} trains at {:.2}-{:.2} Hz, total {r:.0} Hz, CV^2 {s0:.3}, F_eff {fe:.3}",
                        m.populations[b].name,
                        c + 1,
                        class.len(),
                        class[0].nu,
                        class[class.len() - 1].nu
                    );
                    sources.push(hawkes::HawkesSource::from_membrane_fano(
                        input.jumps_mv[b],
                        r,
                        s0,
                        fe,
                        tau,
                    )?);
                    owner.push(b);
                }
            }
            (sources, owner, 4)
        }
    };
    // the free membrane's third cumulant under the drawn trains less that under the
    // Hawkes sources (docs/theory.md 6.6.12d)
    let k3_trains: f64 = (0..m.p())
        .map(|b| {
            input.jumps_mv[b].powi(3)
                * trains[b]
                    .iter()
                    .map(|g| g.membrane_cumulants(tau).1)
                    .sum::<f64>()
        })
        .sum();
    let k3_hawkes: f64 = hawkes_sources
        .iter()
        .map(|h| h.membrane_cumulants(tau).1)
        .sum();
    println!(
        "free-membrane third cumulant of the recurrent input: trains {k3_trains:+.4} mV^3, Hawkes sources {k3_hawkes:+.4} mV^3"
    );
    let shape_nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, 3.0);
    let full_nodes = mapped_legendre_nodes(OMEGA_MAX, FULL_SHAPE_NODES, 3.0);
    let resolution = hawkes::HawkesResolution {
        modes,
        ..Default::default()
    };
    let rel_one_pole = |b: usize, w: f64| {
        let (mut s, mut r) = (0.0, 0.0);
        for (h, _) in hawkes_sources.iter().zip(&owner).filter(|(_, o)| **o == b) {
            s += h.rate_hz * (h.relative_spectrum(w) - 1.0);
            r += h.rate_hz;
        }
        s / r
    };
    // each population's relative spectrum less its one-pole sum on `nodes`
    let diff_on = |nodes: &[(f64, f64)]| -> Vec<Vec<f64>> {
        (0..m.p())
            .map(|b| {
                nodes
                    .iter()
                    .map(|&(w, _)| rel(b, w) - rel_one_pole(b, w))
                    .collect()
            })
            .collect()
    };
    // C for relative spectra `rel`: F_B = 1 + Int chi_2 rel_B / ((1/tau_m) d nu/d sigma^2),
    // three rounds, then shot noise at those Fano factors; the rate and the F_B
    let rule_c = |x: f64,
                  rel: &dyn Fn(usize, f64) -> f64|
     -> Result<(f64, Vec<f64>), Box<dyn std::error::Error>> {
        let mut f = vec![0.8; m.p()];
        for _ in 0..3 {
            let sigma = sigma_of(&f);
            let so = SecondOrder::new(&lif, x, sigma)?;
            let den = drate_dsigma2(&lif, x, sigma) / tau;
            f = (0..m.p())
                .map(|b| Ok(1.0 + so.rate_change(|w| rel(b, w), 0.0, 2e4)? / den))
                .collect::<balnet::Result<Vec<f64>>>()?;
        }
        Ok((shot(input.with_fanos(&f)?, x - 1.0, x + 1.0)?.rate(x), f))
    };
    println!(
        "receiving neuron: population {}, {neurons} neurons x {seconds} s per point, seed {seed}; H with {classes} Hawkes source(s) per population, {} modes",
        m.populations[a].name, resolution.modes
    );
    println!(
        "{:>6} | {:>9} {:>8} | {:>9} {:>9} {:>7} | {:>9} {:>7} | {:>9} {:>13} {:>7} | {:>9} {:>7} | {:>9} {:>7} | {:>5} {:>5}",
        "x (mV)",
        "sim",
        "se",
        "poisson",
        "A",
        "z A",
        "B",
        "z B",
        "C",
        "F_E / F_I",
        "z C",
        "H",
        "z H",
        "H + k3",
        "z H+k3",
        "th s",
        "sim s"
    );
    let ones = vec![1.0; m.p()];
    let mut rows = Vec::new();
    for x in [3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 16.0, 20.0, 25.0] {
        let t0 = Instant::now();
        let so = SecondOrder::new(&lif, x, sigma_of(&ones))?;
        let spec_a = |w: f64| tau * tau * (0..m.p()).map(|b| white[b] * rel(b, w)).sum::<f64>();
        let rp = t_p.rate(x);
        let ra = rp + so.rate_change(spec_a, 0.0, 2e4)?;
        let spec_b = |w: f64| {
            tau * tau
                * (0..m.p())
                    .map(|b| white[b] * (rel(b, w) + 1.0 - f_eff[b]))
                    .sum::<f64>()
        };
        let s_inf = tau * tau * (0..m.p()).map(|b| white[b] * (1.0 - f_eff[b])).sum::<f64>();
        let rb = t_w.rate(x)
            + SecondOrder::new(&lif, x, sigma_of(&f_eff))?.rate_change(spec_b, s_inf, 2e4)?;
        let (rc, f) = rule_c(x, &rel)?;
        let (rc1, _) = rule_c(x, &rel_one_pole)?;
        let rh =
            hawkes::stationary_with(&lif, &external, &hawkes_sources, x - drive, &resolution)?.rate;
        // the shape term of the spectra's difference from their one-pole sum (6.6.12b)
        let diff = diff_on(&shape_nodes);
        let (shape, _, fano_scale) = shape_term(
            &lif,
            &input,
            &f_eff,
            rh,
            x - drive,
            &shape_nodes,
            &diff,
            &Resolution::fast(),
        )?;
        let shape_rm = shape;
        let shape = if hawkes_point {
            let res = HAWKES_SHAPE_RESOLUTION;
            hawkes_shape_term(
                &lif,
                &external,
                &hawkes_sources,
                x - drive,
                &shape_nodes,
                &diff,
                &res,
            )?
            .2
        } else {
            shape
        };
        let h = rh + shape;
        // rule H in full as the closure correlated_full evaluates it (6.6.12e); its
        // third-cumulant term is the one of `H + k3` (same sources, bias and resolution)
        let full_rule = if full {
            Some(full_correction(
                &lif,
                &input,
                &external,
                &hawkes_sources,
                &f,
                x - drive,
                &full_nodes,
                &diff_on(&full_nodes),
                k3_trains - k3_hawkes,
                &FULL_RESOLUTION,
                &HAWKES_SHAPE_RESOLUTION,
            )?)
        } else {
            None
        };
        let k3_term = match &full_rule {
            Some(fc) => fc.third_cumulant_hz,
            None => third_cumulant_term(
                &lif,
                &external,
                &hawkes_sources,
                x - drive,
                k3_trains - k3_hawkes,
                &HAWKES_SHAPE_RESOLUTION,
            )?,
        };
        let h3 = h + k3_term;
        let closure_full = full_rule.map_or(f64::NAN, |fc| rc * fc.ln_rate.exp());
        let th = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let (rate, se, f_out) = if neurons > 0 {
            let sim =
                simulate_renewal_neuron(&lif, &sources, x - drive, neurons, 1.0, seconds, seed)?;
            (sim.rate_hz, sim.rate_se_hz, sim.output_fano)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        let f_out_c = lif_fano_eff(&lif, x, sigma_of(&f));
        // linear-response correction of the output spectrum for the input's deviation
        // from a white level (docs/theory.md 6.6.10), at C's and at F_eff's noise
        let lr = |ff: &[f64]| {
            output_fano(&lif, x, sigma_of(ff), |w| {
                tau * tau
                    * (0..m.p())
                        .map(|b| white[b] * (rel(b, w) + 1.0 - ff[b]))
                        .sum::<f64>()
            })
        };
        let f_out_lr = lr(&f)?;
        let f_out_lr_eff = lr(&f_eff)?;
        let f_out_eff = lif_fano_eff(&lif, x, sigma_of(&f_eff));
        let (za, zb, zc) = ((rate - ra) / se, (rate - rb) / se, (rate - rc) / se);
        let zh = (rate - h) / se;
        let zh3 = (rate - h3) / se;
        let zf = (rate - closure_full) / se;
        println!(
            "{x:>6.1} | {rate:>9.4} {se:>8.4} | {rp:>9.4} {ra:>9.4} {za:>7.1} | {rb:>9.4} {zb:>7.1} | {rc:>9.4} {:>6.3} {:>6.3} {zc:>7.1} | {h:>9.4} {zh:>7.1} | {h3:>9.4} {zh3:>7.1} | {th:>5.2} {:>5.0}",
            f[0],
            f[1],
            t1.elapsed().as_secs_f64()
        );
        if full {
            println!(
                "         closure correlated_full (rule H in full, 6.6.12e): {closure_full:.4} Hz, z {zf:.1}"
            );
        }
        println!(
            "         F_out: sim {f_out:.3}; white-noise LIF at C's sigma {f_out_c:.3}, at F_eff's {f_out_eff:.3}; with the linear response to the input's colour at C's sigma {f_out_lr:.3}, at F_eff's {f_out_lr_eff:.3}"
        );
        rows.push(serde_json::json!({
            "x_mv": x, "sim_hz": rate, "se_hz": se, "poisson_hz": rp, "a_hz": ra,
            "b_hz": rb, "c_hz": rc, "fano": f, "fano_eff": f_eff, "z_a": za, "z_b": zb,
            "z_c": zc, "hawkes_hz": rh, "c_one_pole_hz": rc1, "shape_hz": shape, "shape_rate_matched_hz": shape_rm, "shape_point": if hawkes_point { "hawkes" } else { "rate-matched" }, "shape_c_hz": rc - rc1, "fano_scale": fano_scale, "h_hz": h, "z_h": zh, "k3_term_hz": k3_term, "h3_hz": h3, "z_h3": zh3, "f_out_sim": f_out, "f_out_lif_c": f_out_c, "closure_full_hz": closure_full, "z_closure_full": zf,
            "f_out_lif_eff": f_out_eff, "f_out_lr_c": f_out_lr, "f_out_lr_eff": f_out_lr_eff,
        }));
    }
    let within = |key: &str| {
        rows.iter()
            .filter(|r| r[key].as_f64().is_some_and(|z| z.abs() <= 3.0))
            .count()
    };
    println!(
        "\nwithin 3 standard errors: H {} of {}, H + k3 {} of {}, C {} of {}, B {} of {}, A {} of {}",
        within("z_h"),
        rows.len(),
        within("z_h3"),
        rows.len(),
        within("z_c"),
        rows.len(),
        within("z_b"),
        rows.len(),
        within("z_a"),
        rows.len()
    );
    println!("{}", serde_json::to_string(&rows)?);
    Ok(())
}
