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
