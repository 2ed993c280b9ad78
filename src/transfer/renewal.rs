//! Renewal spike trains with a closed-form spectrum (docs/theory.md 2.1, spectral
//! closure): the gamma process with dead time, its Laplace transform, power spectrum and
//! the Fano factor a membrane of time constant `tau_m` sees. Pure mathematics: the
//! theory uses it as a reference for the spectral closure's identities, the single-neuron
//! simulator (`sim::single`) draws its input trains from it.

use std::f64::consts::PI;

/// A gamma renewal process with dead time: ISI = `tau_ref + Gamma(k, theta)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaRenewal {
    /// Rate (Hz).
    pub nu: f64,
    /// Dead time (s).
    pub tau_ref: f64,
    /// Gamma shape.
    pub k: f64,
    /// Gamma scale (s).
    pub theta: f64,
}

impl GammaRenewal {
    /// The process with rate `nu` (Hz), ISI CV `cv` and dead time `tau_ref` (s). The
    /// gamma part has mean `1/nu - tau_ref` and variance `cv^2/nu^2`; `None` unless
    /// `0 < nu < 1/tau_ref` and `cv > 0`.
    pub fn new(nu: f64, cv: f64, tau_ref: f64) -> Option<Self> {
        let m = 1.0 / nu - tau_ref;
        if !(nu > 0.0 && m > 0.0 && cv > 0.0 && cv.is_finite()) {
            return None;
        }
        let var = (cv / nu).powi(2);
        let theta = var / m;
        Some(GammaRenewal {
            nu,
            tau_ref,
            k: m / theta,
            theta,
        })
    }

    /// ISI coefficient of variation.
    pub fn cv(&self) -> f64 {
        self.k.sqrt() * self.theta * self.nu
    }

    /// `ln L(s)` for real `s >= 0`.
    fn ln_laplace(&self, s: f64) -> f64 {
        -s * self.tau_ref - self.k * (s * self.theta).ln_1p()
    }

    /// `L(s)/(1 - L(s)) - nu/s` for real `s > 0` (the Laplace transform of the renewal
    /// density minus its constant part), without cancellation in `1 - L`.
    fn renewal_excess(&self, s: f64) -> f64 {
        let ln_l = self.ln_laplace(s);
        let one_minus = -ln_l.exp_m1();
        ln_l.exp() / one_minus - self.nu / s
    }

    /// Second and third cumulants of the train filtered by a free membrane of time
    /// constant `tau_m` (s), `X(t) = sum_k exp(-(t - t_k)/tau_m)` over the spikes before `t`
    /// (unit jump; times `a^2`, `a^3` for jumps `a` in mV): [`membrane_cumulants`] with
    /// this process's Laplace transform (docs/theory.md 6.6.12d).
    pub fn membrane_cumulants(&self, tau_m: f64) -> (f64, f64) {
        membrane_cumulants(
            self.nu * tau_m,
            self.renewal_excess(1.0 / tau_m),
            self.renewal_excess(2.0 / tau_m),
        )
    }

    /// Power spectrum `S(omega)` (Hz) of the spike train at angular frequency `omega`
    /// (rad/s): `nu Re[(1 + L)/(1 - L)] = nu (-2 Re E / |E|^2 - 1)` with
    /// `E = L(i omega) - 1 = expm1(z)`, `z = -i omega tau_ref - k Ln(1 + i omega theta)`,
    /// `Re E = expm1(Re z) cos(Im z) - 2 sin^2(Im z / 2)`: both terms `O(omega^2)` of one
    /// sign at small `omega`, so the ratio keeps full precision down to `omega -> 0`
    /// (where it returns the limit `nu CV^2`).
    pub fn spectrum(&self, omega: f64) -> f64 {
        let w = omega.abs();
        if w == 0.0 || w * (self.theta + self.tau_ref) < 1e-150 {
            return self.nu * self.cv().powi(2);
        }
        let wt = w * self.theta;
        let re_z = -0.5 * self.k * (wt * wt).ln_1p();
        let im_z = -w * self.tau_ref - self.k * wt.atan();
        let em = re_z.exp_m1();
        let re_e = em * im_z.cos() - 2.0 * (0.5 * im_z).sin().powi(2);
        let im_e = re_z.exp() * im_z.sin();
        let abs2 = re_e * re_e + im_e * im_e;
        self.nu * (-2.0 * re_e / abs2 - 1.0)
    }

    /// Effective Fano factor seen by a free membrane of time constant `tau_m` (s):
    /// `F_eff = 1 + 2 [L(s)/(1 - L(s)) - nu/s]`, `s = 1/tau_m` (closed form; equals
    /// [`Self::fano_eff_spectral`]).
    pub fn fano_eff(&self, tau_m: f64) -> f64 {
        1.0 + 2.0 * self.renewal_excess(1.0 / tau_m)
    }

    /// `F_eff` by the frequency integral `Int S |H|^2 d omega / (nu Int |H|^2 d omega)`,
    /// mapped to a finite range by `omega = tan(phi)/tau_m`:
    /// `F_eff = 1 + (2/pi) Int_0^{pi/2} (S/nu - 1) d phi` (double-exponential quadrature on
    /// 64 panels, absolute accuracy about 1e-9).
    pub fn fano_eff_spectral(&self, tau_m: f64) -> f64 {
        let panels = 64;
        let h = 0.5 * PI / panels as f64;
        let f = |phi: f64| {
            let omega = phi.tan() / tau_m;
            if !omega.is_finite() {
                0.0
            } else {
                self.spectrum(omega) / self.nu - 1.0
            }
        };
        let mut sum = 0.0;
        for i in 0..panels {
            let a = i as f64 * h;
            sum += quadrature::double_exponential::integrate(f, a, a + h, 1e-11).integral;
        }
        1.0 + 2.0 / PI * sum
    }
}

/// Second and third cumulants `(k2, k3)` of a stationary renewal train of rate `nu`
/// filtered by a free membrane of time constant `tau_m` (unit jump), from
/// `x = nu tau_m` and the excesses `e_j = L(j/tau_m)/(1 - L(j/tau_m)) - nu tau_m/j`
/// (`j = 1, 2`) of the Laplace transform of the renewal density over its constant part
/// (docs/theory.md 6.6.12d):
///
/// ```text
///   k2 = x (1/2 + e1),
///   k3 = x [1/3 + e1 + e2 + 2 e1 e2 + 2 x (e2 - e1)].
/// ```
///
/// The moments follow from the product densities of a renewal process (looking back
/// from `t`, the first spike at the stationary rate, later ones through the renewal
/// density; Cox & Isham 1980, ch. 4); a Poisson train (`e1 = e2 = 0`) gives `x/2`, `x/3`.
pub fn membrane_cumulants(x: f64, e1: f64, e2: f64) -> (f64, f64) {
    (
        x * (0.5 + e1),
        x * (1.0 / 3.0 + e1 + e2 + 2.0 * e1 * e2 + 2.0 * x * (e2 - e1)),
    )
}

/// Effective membrane Fano factor (docs/theory.md 2.1) of a gamma renewal train (the input
/// model of `sim::single::simulate_renewal_neuron`; the closure itself uses `theory::spectral::lif_fano_eff`) with
/// rate `nu` (Hz) and ISI CV `cv`, dead time `tau_ref`, seen by a membrane of
/// time constant `tau_m` (s). Rates at or above `1/tau_ref` or CV not positive: the
/// regular limit is approached, returned as the `CV -> 0` value of a train at 0.999 of
/// the maximal rate; `nu <= 0`: 1 (Poisson, irrelevant as it is weighted by `nu`).
pub fn fano_eff(nu: f64, cv: f64, tau_ref: f64, tau_m: f64) -> f64 {
    // Below 1e-9 Hz the ISI moments overflow, and F_eff is 1 to within nu tau_m anyway
    // (both L(1/tau_m) and nu tau_m vanish); a non-finite CV (far subthreshold) likewise.
    if !(nu > 1e-9) || !cv.is_finite() {
        return 1.0;
    }
    let nu_c = if tau_ref > 0.0 {
        nu.min(0.999 / tau_ref)
    } else {
        nu
    };
    match GammaRenewal::new(nu_c, cv.max(1e-3), tau_ref) {
        Some(g) => g.fano_eff(tau_m).clamp(0.0, f64::INFINITY),
        None => 1.0,
    }
}
