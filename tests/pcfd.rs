//! The parabolic cylinder function `D_a(z)` for complex order against mpmath `pcfd` at
//! 30 digits (`tools/reference/pcfd_mpmath.py`, docs/theory.md 6.1).

use balnet::transfer::response::pcf::{ln_pcfd, ln_pcfd_pair};
use num_complex::Complex64;

fn table() -> Vec<[f64; 5]> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/pcfd_mpmath.json")).expect("table parses");
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let r: Vec<f64> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            [r[0], r[1], r[2], r[3], r[4]]
        })
        .collect()
}

/// Relative error `|D/D_ref - 1|` from the logarithms (phases compared mod 2 pi).
fn rel_err(ln_d: Complex64, ln_ref: Complex64) -> f64 {
    let d = ln_d - ln_ref;
    let im =
        (d.im + std::f64::consts::PI).rem_euclid(2.0 * std::f64::consts::PI) - std::f64::consts::PI;
    (Complex64::new(d.re, im).exp() - 1.0).norm()
}

#[test]
fn pcfd_matches_mpmath_over_the_region() {
    let rows = table();
    assert!(rows.len() > 500);
    let mut worst = (0.0, [0.0; 3]);
    let mut n = 0;
    for [re, im, z, lnabs, arg] in rows {
        let ln_d = ln_pcfd(Complex64::new(re, im), z).unwrap();
        let e = rel_err(ln_d, Complex64::new(lnabs, arg));
        if e > worst.0 {
            worst = (e, [re, im, z]);
        }
        n += 1;
    }
    eprintln!(
        "{n} points, max relative error {:.3e} at (Re a, Im a, z) = {:?}",
        worst.0, worst.1
    );
    assert!(
        worst.0 < 3e-11,
        "max relative error {:.3e} at {:?}",
        worst.0,
        worst.1
    );
}

#[test]
fn pcfd_pair_satisfies_the_recurrence() {
    // D_{a+1} = z D_a - a D_{a-1}: checked with D_{a+1} from a separate evaluation.
    for (re, im, z) in [(-3.5, 20.0, 1.5), (-0.3, 2.0, -4.0), (-10.0, 100.0, 6.0)] {
        let a = Complex64::new(re, im);
        let (lp, lq) = ln_pcfd_pair(a, z).unwrap();
        let next = ln_pcfd(a + 1.0, z).unwrap();
        let rhs = (z * lq.exp() - a * lp.exp()) / next.exp();
        assert!((rhs - 1.0).norm() < 1e-10, "{re} {im} {z}: {rhs}");
    }
}
