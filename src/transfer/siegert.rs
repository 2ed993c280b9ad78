//! The LIF Siegert transfer function (MODEL.md 2.2). PROVISIONAL implementation:
//! to be replaced by the regime-split accurate version.

use super::{LifParams, Moments, Transfer};

/// Siegert rate (Hz) of a LIF neuron with white-noise input of mean `mu` (mV) and
/// standard deviation `sigma` (mV), MODEL.md 2.2.
pub fn rate(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let yth = (lif.theta - mu) / sigma;
    let yr = (lif.v_reset - mu) / sigma;
    let i = quadrature::integrate(|u| puruspe::erfcx(-u), yr, yth, 1e-12).integral;
    1.0 / (lif.tau_ref + lif.tau_m * std::f64::consts::PI.sqrt() * i)
}

/// `dPhi/dmu` (Hz/mV), MODEL.md 2.2.
pub fn drate_dmu(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let nu = rate(lif, mu, sigma);
    let yth = (lif.theta - mu) / sigma;
    let yr = (lif.v_reset - mu) / sigma;
    nu * nu * lif.tau_m * std::f64::consts::PI.sqrt() * (puruspe::erfcx(-yth) - puruspe::erfcx(-yr)) / sigma
}

/// Time-averaged potential (mV) of a LIF neuron with mean input `x` firing at `nu` (Hz),
/// MODEL.md 2.6.1: `(1 - nu tau_ref) x - tau_m nu (theta - Vr) + nu tau_ref Vr`.
pub fn lif_mean_v(lif: &LifParams, x: f64, nu: f64) -> f64 {
    (1.0 - nu * lif.tau_ref) * x - lif.tau_m * nu * (lif.theta - lif.v_reset) + nu * lif.tau_ref * lif.v_reset
}

/// The Siegert transfer function at fixed noise `sigma` (mV): a [`Transfer`] of the mean input.
#[derive(Clone, Copy, Debug)]
pub struct Siegert {
    pub lif: LifParams,
    pub sigma: f64,
}

impl Transfer for Siegert {
    fn rate(&self, x: f64) -> f64 {
        rate(&self.lif, x, self.sigma)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        drate_dmu(&self.lif, x, self.sigma)
    }
    fn mean_v(&self, x: f64) -> f64 {
        lif_mean_v(&self.lif, x, self.rate(x))
    }
    fn breakpoints(&self) -> Vec<f64> {
        vec![self.lif.theta]
    }
}

#[allow(dead_code)]
fn _unused(_: Moments) {}
