//! Gaussian averages (MODEL.md 2.3, 2.6.4). PROVISIONAL (Gauss-Hermite, 96 nodes).

use std::sync::OnceLock;

use crate::transfer::{Moments, Transfer};

fn nodes() -> &'static (Vec<f64>, Vec<f64>) {
    static N: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    N.get_or_init(|| {
        let gh = gauss_quad::hermite::GaussHermite::new(96.try_into().unwrap());
        let s2 = std::f64::consts::SQRT_2;
        let sp = std::f64::consts::PI.sqrt();
        gh.as_node_weight_pairs().iter().map(|&(x, w)| (x * s2, w / sp)).unzip()
    })
}

/// `E_z[f(mean + sqrt(var) z)]`, `z ~ N(0, 1)` (MODEL.md 2.3).
pub fn expect(f: impl Fn(f64) -> f64, mean: f64, var: f64) -> f64 {
    if var <= 0.0 {
        return f(mean);
    }
    let sd = var.sqrt();
    let (z, w) = nodes();
    z.iter().zip(w).map(|(z, w)| w * f(mean + sd * z)).sum()
}

/// Rate, second moment, gain and mean V of `t` averaged over `x ~ N(mean, var)` (MODEL.md 2.3).
pub fn moments(t: &dyn Transfer, mean: f64, var: f64) -> Moments {
    if let Some(m) = t.gaussian_moments(mean, var) {
        return m;
    }
    if var <= 0.0 {
        let r = t.rate(mean);
        return Moments { nu: r, q: r * r, gain: t.drate_dx(mean), mean_v: t.mean_v(mean) };
    }
    let sd = var.sqrt();
    let (z, w) = nodes();
    let mut m = Moments::default();
    for (z, w) in z.iter().zip(w) {
        let x = mean + sd * z;
        let r = t.rate(x);
        m.nu += w * r;
        m.q += w * r * r;
        m.gain += w * t.drate_dx(x);
        m.mean_v += w * t.mean_v(x);
    }
    m
}
