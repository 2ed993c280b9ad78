//! The parabolic cylinder function `D_a(z)` for complex order `a` and real argument
//! `z` (docs/theory.md 6.1), in log-scaled form, and the complex `ln Gamma` it needs.
//!
//! Written here because no maintained Rust crate evaluates `D_a(z)` for complex order
//! (scirs2-special and numrs2 have real order only; statrs, puruspe, libm have none).
//!
//! Method (one for the whole region, no region switches). With `E_a(z) = e^{z^2/4} D_a(z)`
//! the pair `(P, Q) = (E_{a-1}, E_a)` solves the linear system
//! `Q' = a P`, `P' = z P - Q` (from `E_a' = a E_{a-1}` and the recurrence
//! `E_a = z E_{a-1} - (a-1) E_{a-2}`). `D_a` is the solution recessive at `z -> +inf`,
//! hence dominant when the system is integrated towards decreasing `z`: started at a
//! point `z_s` right of every requested argument with the WKB estimate
//! `P/Q = 1/(z/2 + sqrt(z^2/4 - a))`, the error of the start decays like
//! `exp(-2 Int Re sqrt(z^2/4 - a) dz)`, and `z_s` is placed where that factor is
//! below `e^{-38}`. The integration is a Taylor-series method (the coefficients have a
//! two-term recursion because the system is linear in `z`), steps of `3.5` local
//! e-folding lengths, summed to `1e-17` relative; the state is renormalised to `Q = 1`
//! after every step and `ln Q` accumulated with a complex `log1p` of the step's
//! increment, which is proportional to `a`: `ln(E_a(z1)/E_a(z2))` keeps full relative
//! accuracy as `a -> 0`. The absolute value comes from the exact pair at `z = 0`,
//! `D_a(0) = 2^{a/2} sqrt(pi) / Gamma((1-a)/2)`,
//! `D_{a-1}(0) = 2^{(a-1)/2} sqrt(pi) / Gamma(1 - a/2)`. The orders `a = 0` and
//! `a = n >= 1` (Hermite functions, recessive on both sides) are closed forms.
//!
//! Accuracy against mpmath `pcfd` (30 digits): see `tests/pcfd.rs` and docs/theory.md 6.1.

use std::f64::consts::PI;

use num_complex::Complex64;

use crate::error::{Error, Result};

/// `ln(2 pi)/2`.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// `B_{2k} / (2k (2k - 1))`, `k = 1..=10`: the Stirling series of `ln Gamma`.
const STIRLING: [f64; 10] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360_360.0,
    1.0 / 156.0,
    -3617.0 / 122_400.0,
    43867.0 / 244_188.0,
    -174_611.0 / 125_400.0,
];

/// Complex `ln Gamma(z)` (a branch of it: only `exp(ln Gamma)` is used), for `z` not a
/// non-positive integer. Stirling's series with 10 terms at `|z| >= 15` (truncation
/// error below `1e-20`), the recurrence `Gamma(z) = Gamma(z + n)/(z (z+1) ... (z+n-1))`
/// to get there, and the reflection formula for `Re z < 1/2` (with `ln sin(pi z)`
/// formed from exponentials that cannot overflow). Rounding only: absolute error about
/// `2e-16 max(|ln Gamma(z)|, 30)` (the upward shift to `|z| >= 15` subtracts two terms
/// of size ~30); `1.1e-14` relative in `|Gamma(i)|^2`.
pub fn ln_gamma(z: Complex64) -> Complex64 {
    if z.re < 0.5 {
        // Gamma(z) Gamma(1 - z) = pi / sin(pi z)
        return Complex64::new(PI.ln(), 0.0)
            - ln_sin_pi(z)
            - ln_gamma(Complex64::new(1.0, 0.0) - z);
    }
    let mut w = z;
    let mut prod = Complex64::new(1.0, 0.0);
    let mut shifted = false;
    while w.norm() < 15.0 {
        prod *= w;
        w += 1.0;
        shifted = true;
    }
    let inv = w.inv();
    let inv2 = inv * inv;
    let mut series = Complex64::new(0.0, 0.0);
    for &c in STIRLING.iter().rev() {
        series = series * inv2 + c;
    }
    let lg = (w - 0.5) * w.ln() - w + HALF_LN_2PI + series * inv;
    if shifted { lg - prod.ln() } else { lg }
}

/// `ln sin(pi z)` without overflow for large `|Im z|`.
fn ln_sin_pi(z: Complex64) -> Complex64 {
    let w = z * PI;
    let i = Complex64::i();
    if w.im.abs() < 1.0 {
        return w.sin().ln();
    }
    // sin w = e^{-iw} (e^{2iw} - 1)/(2i) for Im w > 0, e^{iw} (1 - e^{-2iw})/(2i) otherwise.
    let ln_2i = Complex64::new(2f64.ln(), 0.5 * PI);
    if w.im > 0.0 {
        -i * w + ((2.0 * i * w).exp() - 1.0).ln() - ln_2i
    } else {
        i * w + (1.0 - (-2.0 * i * w).exp()).ln() - ln_2i
    }
}

/// True if `z` is a pole of `Gamma` (a non-positive integer), where `1/Gamma(z) = 0`.
fn is_gamma_pole(z: Complex64) -> bool {
    z.im == 0.0 && z.re <= 0.0 && z.re == z.re.round()
}

/// `ln(1 + w)` for complex `w`, accurate for small `|w|`.
fn ln_1p(w: Complex64) -> Complex64 {
    let re = 0.5 * (2.0 * w.re + w.norm_sqr()).ln_1p();
    Complex64::new(re, w.im.atan2(1.0 + w.re))
}

/// `ln D_a(z)` (a branch of the complex logarithm: the imaginary part is the phase up
/// to a multiple of `2 pi`) for complex order `a` and real `z`, docs/theory.md 6.1.
/// Finite where `D_a(z)` itself over- or underflows; `-inf` real part at a zero.
/// Relative error of `D` below `2.7e-12` against mpmath at 609 points over `Re a` in
/// `[-60, 2]`, `Im a` in `[0, 126]`, `z` in `[-40, 40]` (`tests/pcfd.rs`). Positive
/// integer orders use the Hermite polynomials; for real `a` within `delta` of a
/// positive integer and `z << 0` the error grows like `1e-16/delta` (docs/theory.md 6.1).
pub fn ln_pcfd(a: Complex64, z: f64) -> Result<Complex64> {
    Ok(ln_pcfd_pair(a, z)?.1)
}

/// `D_a(z)` (complex; over- or underflows outside moderate arguments, where
/// [`ln_pcfd`] stays finite), docs/theory.md 6.1.
pub fn pcfd(a: Complex64, z: f64) -> Result<Complex64> {
    Ok(ln_pcfd(a, z)?.exp())
}

/// `(ln D_{a-1}(z), ln D_a(z))`, from one integration (docs/theory.md 6.1). With these,
/// `D'_a(z) = -z/2 D_a(z) + a D_{a-1}(z)` and `D_{a+1} = z D_a - a D_{a-1}`.
pub fn ln_pcfd_pair(a: Complex64, z: f64) -> Result<(Complex64, Complex64)> {
    check_args(a, &[z])?;
    if a == Complex64::new(0.0, 0.0) {
        // D_0 = e^{-z^2/4}, D_{-1} = sqrt(pi/2) e^{z^2/4} erfc(z/sqrt2); the
        // integration would need E_{-1}/E_0 ~ e^{z^2/2} beyond the f64 range.
        let u = z / std::f64::consts::SQRT_2;
        let ln_erfcx = if u >= 0.0 {
            puruspe::erfcx(u).ln()
        } else {
            u * u + (2.0 - (-u * u).exp() * puruspe::erfcx(-u)).ln()
        };
        let ln_p = 0.5 * (0.5 * PI).ln() + ln_erfcx - 0.25 * z * z;
        return Ok((
            Complex64::new(ln_p, 0.0),
            Complex64::new(-0.25 * z * z, 0.0),
        ));
    }
    if a.im == 0.0 && a.re >= 1.0 && a.re <= 1000.0 && a.re == a.re.round() {
        // Positive integer order: D_n = He_n(z) e^{-z^2/4}, recessive on both sides,
        // which the backward integration cannot follow for z << 0 (rounding excites
        // the solution growing like e^{z^2/4}). Probabilists' Hermite recurrence.
        let n = a.re as usize;
        let (mut prev, mut cur, mut scale) = (1.0f64, z, 0.0f64); // He_0, He_1
        for k in 1..n {
            let next = z * cur - k as f64 * prev;
            prev = cur;
            cur = next;
            // Keep the pair finite; only their logarithms are returned.
            if cur.abs() > 1e250 {
                prev *= 1e-250;
                cur *= 1e-250;
                scale += 250.0 * 10f64.ln();
            }
        }
        let ln = |x: f64| Complex64::new(x, 0.0).ln() + scale - 0.25 * z * z;
        return Ok((ln(prev), ln(cur)));
    }
    // Exact pair at z = 0.
    let half_ln2 = 0.5 * 2f64.ln();
    let ln_sqrt_pi = 0.5 * PI.ln();
    let g_q = (Complex64::new(1.0, 0.0) - a) * 0.5;
    let g_p = Complex64::new(1.0, 0.0) - a * 0.5;
    let exact_q = (!is_gamma_pole(g_q)).then(|| a * half_ln2 + ln_sqrt_pi - ln_gamma(g_q));
    let exact_p = (!is_gamma_pole(g_p)).then(|| (a - 1.0) * half_ln2 + ln_sqrt_pi - ln_gamma(g_p));
    let targets: Vec<f64> = if z > 0.0 {
        vec![z, 0.0]
    } else if z < 0.0 {
        vec![0.0, z]
    } else {
        vec![0.0]
    };
    let states = integrate(a, &targets)?;
    let at0 = if z > 0.0 { states[1] } else { states[0] };
    let at_z = if z > 0.0 {
        states[0]
    } else {
        *states.last().unwrap_or(&at0)
    };
    // ln C: the constant that makes the computed pair at 0 the exact one. Use the
    // component that is larger relative to the other (never a zero of the pair).
    let use_q = match (exact_p, exact_q) {
        (_, None) => false,
        (None, _) => true,
        _ => at0.q.norm() >= at0.p.norm(),
    };
    let ln_c = if use_q {
        exact_q.unwrap_or_default() - at0.ln_s - at0.q.ln()
    } else {
        exact_p.unwrap_or_default() - at0.ln_s - at0.p.ln()
    };
    let base = ln_c + at_z.ln_s - z * z / 4.0;
    Ok((base + at_z.p.ln(), base + at_z.q.ln()))
}

/// The result of the backward integration at one argument `z`:
/// `r = E_{a-1}(z)/E_a(z) = D_{a-1}(z)/D_a(z)` and `ln_e = ln E_a(z) - ln E_a(z_0)`
/// relative to the first (largest) requested argument `z_0`, `E_a = e^{z^2/4} D_a`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratios {
    /// `D_{a-1}(z)/D_a(z)`.
    pub r: Complex64,
    /// `ln E_a(z) - ln E_a(z_0)` (accurate to full relative precision as `a -> 0`).
    pub ln_e: Complex64,
}

fn check_args(a: Complex64, zs: &[f64]) -> Result<()> {
    if !(a.re.is_finite() && a.im.is_finite()) {
        return Err(Error::Domain(format!(
            "parabolic cylinder order a = {a}: must be finite"
        )));
    }
    if let Some(z) = zs.iter().find(|z| !z.is_finite()) {
        return Err(Error::Domain(format!(
            "parabolic cylinder argument z = {z}: must be finite"
        )));
    }
    Ok(())
}

/// Integrate `(E_{a-1}, E_a)` from the start point down through `zs` (strictly
/// decreasing), docs/theory.md 6.1; one [`Ratios`] per argument, `ln_e` relative to
/// `zs[0]`.
pub fn ratios(a: Complex64, zs: &[f64]) -> Result<Vec<Ratios>> {
    check_args(a, zs)?;
    if zs.windows(2).any(|w| w[1] >= w[0]) {
        return Err(Error::Domain(
            "parabolic cylinder ratios: arguments must be strictly decreasing".into(),
        ));
    }
    let states = integrate(a, zs)?;
    let ln_e: Vec<Complex64> = states.iter().map(|s| s.ln_s + s.q.ln()).collect();
    Ok(states
        .iter()
        .zip(&ln_e)
        .map(|(s, &l)| Ratios {
            r: s.p / s.q,
            ln_e: l - ln_e[0],
        })
        .collect())
}

/// Steps of this many local e-folding lengths.
const STEP_EFOLDS: f64 = 3.5;
/// The start's error must decay by `exp(-MARGIN)`.
const MARGIN: f64 = 38.0;

/// Local rate of change of the system at `z`: `|z|/2 + |sqrt(z^2/4 - a)|` (the
/// eigenvalues of the system matrix are `z/2 +- sqrt(z^2/4 - a)`).
fn rate(a: Complex64, z: f64) -> f64 {
    // |sqrt(w)| = |w|^(1/2): no complex square root (its polar form costs hypot, atan2
    // and sincos, most of the integration's time before)
    let (x, y) = (0.25 * z * z - a.re, -a.im);
    0.5 * z.abs() + (x * x + y * y).sqrt().sqrt() + 0.5
}

/// The state of the integration at one argument: the true pair is
/// `(E_{a-1}, E_a) = C exp(ln_s) (p, q)` with one unknown constant `C`.
#[derive(Clone, Copy, Debug)]
struct State {
    p: Complex64,
    q: Complex64,
    ln_s: Complex64,
}

/// The backward integration; `ln_s` relative to the start point.
fn integrate(a: Complex64, zs: &[f64]) -> Result<Vec<State>> {
    let Some(&z_first) = zs.first() else {
        return Ok(Vec::new());
    };
    // Start point: the error of the start decays by exp(-2 Int Re sqrt(z^2/4 - a)).
    // Measured from max(z_first, 0): left of 0, for orders near the non-negative
    // integers, D_a may be close to the recessive solution there too, and the WKB
    // start would pick the wrong branch.
    let mut zs_start = z_first.max(0.0);
    let mut acc = 0.0;
    while acc < MARGIN && zs_start < z_first.max(0.0) + 200.0 {
        // Coarse midpoint rule: the margin only has to be about right.
        let dz = 0.5;
        let zm = zs_start + 0.5 * dz;
        acc += 2.0 * (Complex64::new(0.25 * zm * zm, 0.0) - a).sqrt().re * dz;
        zs_start += dz;
    }
    let mut z = zs_start;
    let mut p = Complex64::new(0.5 * z, 0.0) + (Complex64::new(0.25 * z * z, 0.0) - a).sqrt();
    p = if p.norm() > 0.0 {
        p.inv()
    } else {
        Complex64::new(1.0, 0.0)
    };
    let mut q = Complex64::new(1.0, 0.0);
    let mut ln_e = Complex64::new(0.0, 0.0);
    let mut out = Vec::with_capacity(zs.len());
    for &target in zs {
        while z > target {
            let r0 = rate(a, z);
            let s = r0.max(rate(a, target.max(z - STEP_EFOLDS / r0)));
            let remaining = z - target;
            let step = (STEP_EFOLDS / s).min(remaining);
            let (p1, dq) = taylor_step(a, z, -step, p, q);
            // Renormalise to Q = 1; ln Q accumulates log1p of the increment. Where
            // Q is negligible against P (a zero of E_a, or E_{a-1} growing like
            // e^{x^2/2} at a ~ 0), normalise by P instead.
            let q1 = q + dq;
            if q1.norm() >= 1e-150 * p1.norm() {
                ln_e += if q == Complex64::new(1.0, 0.0) && dq.norm() < 0.5 {
                    ln_1p(dq)
                } else {
                    q1.ln()
                };
                p = p1 / q1;
                q = Complex64::new(1.0, 0.0);
            } else {
                ln_e += p1.ln();
                q = q1 / p1;
                p = Complex64::new(1.0, 0.0);
            }
            z = if step == remaining { target } else { z - step };
            if !(p.re.is_finite() && p.im.is_finite() && ln_e.re.is_finite()) {
                return Err(Error::Domain(format!(
                    "parabolic cylinder D_a(z): integration failed at a = {a}, z = {z}"
                )));
            }
        }
        out.push(State { p, q, ln_s: ln_e });
    }
    Ok(out)
}

/// One Taylor step of `Q' = a P`, `P' = z P - Q` from `z0` by `h`: returns the new
/// `P` and the increment of `Q` (proportional to `a`).
#[inline]
fn taylor_step(
    a: Complex64,
    z0: f64,
    h: f64,
    p0: Complex64,
    q0: Complex64,
) -> (Complex64, Complex64) {
    // Scaled coefficients p_n h^n, q_n h^n:
    // (n+1) q_{n+1} = a p_n, (n+1) p_{n+1} = z0 p_n + p_{n-1} - q_n.
    let ah = a * h;
    let zh = z0 * h;
    let h2 = h * h;
    let scale = p0.l1_norm() + q0.l1_norm();
    let tol = 1e-17 * scale;
    let (mut pm1, mut pn, mut qn) = (Complex64::new(0.0, 0.0), p0, q0);
    let (mut sp, mut dq) = (p0, Complex64::new(0.0, 0.0));
    let mut small = 0;
    for n in 0..200 {
        let inv = 1.0 / (n as f64 + 1.0);
        let qn1 = ah * pn * inv;
        let pn1 = (pn * zh + pm1 * h2 - qn * h) * inv;
        sp += pn1;
        dq += qn1;
        let size = pn1.l1_norm() + qn1.l1_norm();
        if size <= tol * (1.0 + sp.l1_norm() / scale) {
            small += 1;
            if small >= 2 {
                break;
            }
        } else {
            small = 0;
        }
        pm1 = pn;
        pn = pn1;
        qn = qn1;
    }
    (sp, dq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_at_known_values() {
        // Gamma(1/2) = sqrt(pi), Gamma(5) = 24, |Gamma(i)|^2 = pi / sinh(pi).
        let c = |x: f64, y: f64| Complex64::new(x, y);
        assert!((ln_gamma(c(0.5, 0.0)).exp().re - PI.sqrt()).abs() < 1e-14);
        assert!((ln_gamma(c(5.0, 0.0)).exp().re - 24.0).abs() < 1e-12);
        let g = ln_gamma(c(0.0, 1.0)).exp().norm_sqr();
        // Shifted to |z| >= 15 and back: ~30 * 2e-16 absolute in ln Gamma, twice.
        assert!((g / (PI / PI.sinh()) - 1.0).abs() < 3e-14);
        // Reflection: Gamma(-2.5) = -8 sqrt(pi)/15.
        let g = ln_gamma(c(-2.5, 0.0)).exp();
        assert!((g.re / (-8.0 * PI.sqrt() / 15.0) - 1.0).abs() < 1e-14);
    }

    #[test]
    fn d_minus_one_is_erfc() {
        // D_{-1}(z) = sqrt(pi/2) exp(z^2/4) erfc(z/sqrt 2).
        for z in [-3.0f64, -0.5, 0.0, 1.0, 4.0] {
            let d = pcfd(Complex64::new(-1.0, 0.0), z).unwrap();
            let exact = (PI / 2.0).sqrt() * (z * z / 4.0).exp() * puruspe::erfc(z / 2f64.sqrt());
            assert!(
                (d.re / exact - 1.0).abs() < 1e-13 && d.im.abs() < 1e-13 * exact,
                "{z}"
            );
        }
    }
}
