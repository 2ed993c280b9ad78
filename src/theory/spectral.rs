//! Spectral noise closure (docs/theory.md 2.1; section 5, "The open `kappa` gap"): the
//! recurrent input seen as colored noise whose spectrum is the presynaptic spike-train
//! power spectrum.
//!
//! - Renewal spike-train spectrum `S(omega) = nu Re[(1 + L)/(1 - L)]`, `L = L(i omega)` the
//!   Laplace transform of the ISI density: `S(0) = nu CV^2`, `S -> nu` as
//!   `omega -> infinity`.
//! - Effective Fano factor seen by a free membrane of time constant `tau_m`:
//!   `F_eff = Int S |H|^2 / (nu Int |H|^2)`, `H = 1/(1 + i omega tau_m)`. For a renewal
//!   process this has the time-domain closed form (renewal density `m`, its Laplace
//!   transform `L/(1-L)`): `F_eff = 1 + 2 [L(s)/(1 - L(s)) - nu/s]` at `s = 1/tau_m`.
//! - The closure's presynaptic trains are those of the white-noise LIF behind each
//!   neuron's rate, whose `L(1/tau_m)` is a ratio of `erfcx` ([`lif_laplace_at_inv_tau`],
//!   [`lif_fano_eff`]); population average `F_B = E_B[nu F_eff] / nu_B`
//!   ([`spectral_fano`](crate::theory::closure::spectral_fano)).
//! - The gamma renewal process of [`crate::transfer::renewal`] has the spectrum in closed
//!   form and a frequency-integral `F_eff`, the independent check of the time-domain
//!   identity.
//!
//! The reference for the colored-noise rate correction is the event-driven single-neuron
//! simulator `sim::single::simulate_renewal_neuron` (the theory does not depend on it).

use crate::model::Model;
use crate::transfer::{LifParams, Transfer};

use super::state::State;

/// `ln erfcx(x)` for every real `x`: below `-25`, `erfcx(x) = 2 exp(x^2) - erfcx(-x)`
/// and the second term is below `1e-270` of the first.
fn ln_erfcx(x: f64) -> f64 {
    if x < -25.0 {
        x * x + std::f64::consts::LN_2
    } else {
        puruspe::erfcx(x).ln()
    }
}

/// Laplace transform `L(s) = E[exp(-s ISI)]` of the inter-spike interval of the LIF
/// neuron driven by white noise (docs/theory.md 2.1, the Siegert model: `tau_m dV/dt = mu - V +
/// sigma sqrt(tau_m) xi`), at `s = 1/tau_m`, closed form:
///
/// ```text
/// L(1/tau_m) = exp(-tau_ref/tau_m) erfcx((mu - V_r)/sigma) / erfcx((mu - theta)/sigma).
/// ```
///
/// Derivation: the first-passage time from `V_r` to `theta` has `L_T(s) =
/// phi_s(V_r)/phi_s(theta)`, `phi_s` the increasing solution of the backward equation
/// `(mu - x) phi' + (sigma^2/2) phi'' = s tau_m phi`, i.e. `exp((x-mu)^2/(2 sigma^2))
/// D_{-s tau_m}(sqrt 2 (mu - x)/sigma)` with `D` the parabolic cylinder function
/// (Lindner, Schimansky-Geier & Longtin 2002). At `s tau_m = 1`, `D_{-1}(z) = sqrt(pi/2)
/// exp(z^2/4) erfc(z/sqrt 2)`, which gives the ratio of `erfcx` above (checked against
/// mpmath `pcfd` in `tests/spectral.rs`). `sigma <= 0`: the deterministic limit
/// `exp(-ISI/tau_m)` (0 below threshold).
pub fn lif_laplace_at_inv_tau(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let dead = (-lif.tau_ref / lif.tau_m).exp();
    if sigma <= 0.0 {
        return if mu > lif.theta {
            dead * (mu - lif.theta) / (mu - lif.v_reset)
        } else {
            0.0
        };
    }
    dead * (ln_erfcx((mu - lif.v_reset) / sigma) - ln_erfcx((mu - lif.theta) / sigma)).exp()
}

/// Membrane Fano factor of the spike train of a LIF neuron driven by white noise
/// (docs/theory.md 2.1, spectral closure), exact for this renewal process:
/// `F_eff = 1 + 2 [L/(1 - L) - nu tau_m]` with `L` = [`lif_laplace_at_inv_tau`] and `nu`
/// the Siegert rate at the same `(mu, sigma)` (the renewal-density form of
/// `transfer::renewal::GammaRenewal::fano_eff`; equals `Int S |H|^2 / (nu Int |H|^2)` with the LIF's own
/// spike-train spectrum `S`, Dummer, Wieland & Lindner 2014). Between 0 and 1 for
/// `tau_ref > 0`; 1 where the rate underflows.
pub fn lif_fano_eff(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let nu = crate::transfer::siegert::rate(lif, mu, sigma);
    if !(nu > 0.0) {
        return 1.0;
    }
    let l = lif_laplace_at_inv_tau(lif, mu, sigma);
    1.0 + 2.0 * (l / (1.0 - l) - nu * lif.tau_m)
}

/// The membrane Fano factor of the spike train of one neuron of population `a` with mean
/// input `x` (mV), as the spectral closure models it at `state` (docs/theory.md 2.1):
/// [`lif_fano_eff`] at the shifted input `x + delta` and `sigma_eff` of [`colored_shift`].
/// The population average of `nu F` under this model is
/// [`spectral_fano`](crate::theory::closure::spectral_fano); the comparison evaluates it by
/// band of single-neuron rate.
pub fn neuron_fano(model: &Model, state: &State, a: usize) -> impl Fn(f64) -> f64 + use<> {
    let lif = LifParams::of(model, a);
    let (delta, _, s_eff) = colored_shift(model, a, &state.rates(), &state.fano());
    move |x| lif_fano_eff(&lif, x + delta, s_eff)
}

/// Calibration constant `gamma` of the colored-noise threshold shift (dimensionless),
/// see [`colored_shift`].
pub const SHIFT_GAMMA: f64 = 0.27;

/// Colored-noise correction of the firing rate (docs/theory.md 2.1, spectral closure).
///
/// The recurrent input of regular trains keeps the full Poisson power at high
/// frequencies (`S -> nu`) and lacks power below about the presynaptic rate. White noise
/// of the membrane-filtered variance `sigma_eff^2 = tau_m (sum c J^2 nu F_eff + ext)` gets
/// the free-membrane variance right, but the threshold, crossed by the fast part of the
/// input, sees more noise than that: single LIF neurons driven by gamma-renewal trains
/// fire above `Phi_Siegert(x, sigma_eff)` by an amount that is, to within the simulation
/// error, a constant shift of the input (as in Fourcaud & Brunel 2002, with the opposite
/// sign: a spectral deficit at low rather than an excess at high frequencies):
///
/// ```text
/// Phi_spectral(x) = Phi(x + delta, sigma_eff),
/// delta = gamma (sigma_inf^2 - sigma_eff^2) / sigma_eff,
/// ```
///
/// `sigma_inf` the Poisson (high-frequency) noise, `gamma` = [`SHIFT_GAMMA`]. This has the
/// Fourcaud-Brunel form `(alpha/2) sqrt(tau_c/tau_m) sigma_c^2/sigma` with the deficit
/// `sigma_c^2 = sigma_inf^2 - sigma_eff^2` and an effective `tau_c` of about 0.07 tau_m;
/// `gamma` is calibrated, not derived: fitted to event-driven simulations (exact
/// integration, 100 neurons x 10 s) of the default model's jump sizes at mean inputs
/// 8-20 mV, for presynaptic (rate, CV) = (12/15 Hz, 0.7), (30 Hz, 0.5), (5/8 Hz, 0.85):
/// the equivalent shift was 0.70, 2.4 and 0.15 mV, i.e. gamma = 0.28, 0.28, 0.23.
/// The mean potential uses the true `x` (docs/theory.md 2.6.1 at the corrected rate).
pub fn colored_shift(model: &Model, a: usize, nu: &[f64], fano: &[f64]) -> (f64, f64, f64) {
    let nu_fano: Vec<f64> = nu.iter().zip(fano).map(|(n, f)| n * f).collect();
    let s_inf = super::inputs::noise_sigma(model, a, nu);
    let s_eff = super::inputs::noise_sigma(model, a, &nu_fano);
    let delta = if s_eff > 0.0 {
        SHIFT_GAMMA * (s_inf * s_inf - s_eff * s_eff) / s_eff
    } else {
        0.0
    };
    (delta, s_inf, s_eff)
}

/// A transfer function evaluated at a shifted input, `Phi(x + shift)`, whose mean
/// potential is that of the unshifted input at the same rate:
/// `<V>(x) = <V>_base(x + shift) - (1 - nu tau_ref) shift` (docs/theory.md 2.6.1 is linear in
/// `x` at fixed `nu`).
pub struct Shifted<T: Transfer> {
    pub base: T,
    pub shift: f64,
    pub tau_ref: f64,
}

impl<T: Transfer> Transfer for Shifted<T> {
    fn rate(&self, x: f64) -> f64 {
        self.base.rate(x + self.shift)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        self.base.drate_dx(x + self.shift)
    }
    fn ln_rate(&self, x: f64) -> f64 {
        self.base.ln_rate(x + self.shift)
    }
    fn mean_v(&self, x: f64) -> f64 {
        let nu = self.rate(x);
        self.base.mean_v(x + self.shift) - (1.0 - nu * self.tau_ref) * self.shift
    }
    fn breakpoints(&self) -> Vec<f64> {
        self.base
            .breakpoints()
            .into_iter()
            .map(|b| b - self.shift)
            .collect()
    }
    fn inverse(&self, nu: f64) -> Option<f64> {
        self.base.inverse(nu).map(|x| x - self.shift)
    }
}
