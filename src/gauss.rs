//! Gaussian averages (MODEL.md 2.3, 2.6.4). PROVISIONAL.

use crate::transfer::{Moments, Transfer};

/// `E_z[f(mean + sqrt(var) z)]`, `z ~ N(0, 1)` (MODEL.md 2.3).
pub fn expect(f: impl Fn(f64) -> f64, mean: f64, var: f64) -> f64 {
    if var <= 0.0 {
        return f(mean);
    }
    let sd = var.sqrt();
    let g = |z: f64| f(mean + sd * z) * (-0.5 * z * z).exp();
    quadrature::integrate(g, -12.0, 12.0, 1e-13).integral / (2.0 * std::f64::consts::PI).sqrt()
}

/// Rate, second moment, gain and mean V of `t` averaged over `x ~ N(mean, var)` (MODEL.md 2.3).
pub fn moments(t: &dyn Transfer, mean: f64, var: f64) -> Moments {
    if let Some(m) = t.gaussian_moments(mean, var) {
        return m;
    }
    Moments {
        nu: expect(|x| t.rate(x), mean, var),
        q: expect(|x| t.rate(x).powi(2), mean, var),
        gain: expect(|x| t.drate_dx(x), mean, var),
        mean_v: expect(|x| t.mean_v(x), mean, var),
    }
}
