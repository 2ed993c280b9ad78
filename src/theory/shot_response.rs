//! Network response with the shot-noise single-neuron response (docs/theory.md 6.4,
//! "Network response"): for populations whose neurons all receive the same input (no
//! quenched input variance) and no latent variables, a rate modulation of population `B`
//! modulates the Poisson rate of source `B` of every neuron of `A` by `k_B delta nu_B`,
//! so `W_AB(lambda) = L(lambda) k_B chi_AB(lambda)` with `chi_AB` the master-equation
//! susceptibility of `A`'s neuron to source `B` (Hz per Hz). The diffusion response of
//! 6.3 writes the same rate modulation as a change of the mean and the variance of a
//! white-noise input; here the jumps keep their size.

use nalgebra::DMatrix;
use num_complex::Complex64;

use super::response::{
    ClosedForm, NetworkResponse, ResponseOptions, SpikeSpectrum, delay_transform, spectrum_of,
};
use super::stationary::State;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::transfer::LifParams;
use crate::transfer::shot_noise::{ShotInput, population_input, response::susceptibility};

/// The single-neuron response the intrinsic spike spectra come from (white-noise LIF).
static CLOSED_FORM: ClosedForm = ClosedForm;

/// One population's neuron: its parameters, shot-noise input and bias (mV).
struct ShotNeuron {
    lif: LifParams,
    input: ShotInput,
    bias: f64,
}

/// `W(lambda)` and the population spectra of a network of homogeneous populations with
/// the shot-noise response (docs/theory.md 6.4).
pub struct ShotNetworkResponse<'a> {
    model: &'a Model,
    neurons: Vec<ShotNeuron>,
    /// The diffusion response around the same state, for the intrinsic spike spectra.
    diffusion: NetworkResponse<'a>,
}

impl<'a> ShotNetworkResponse<'a> {
    /// Set up the response around `state`, a finite-K stationary state of `model`
    /// (usually solved with the shot-noise transfer function, docs/theory.md 2.2).
    ///
    /// # Errors
    /// [`Error::Invalid`] if the model has latent variables or a population has quenched
    /// input variance (`Delta_A > 0`: its neurons receive different inputs, which this
    /// response does not average over), and the errors of [`NetworkResponse::new`].
    pub fn new(model: &'a Model, state: &'a State) -> Result<Self> {
        if model.d() > 0 {
            return Err(Error::invalid(
                "latent",
                format!("D = {}", model.d()),
                "the shot-noise network response covers models without latent variables (docs/theory.md 6.4)",
            ));
        }
        let rates: Vec<f64> = state.populations.iter().map(|p| p.rate_hz).collect();
        let mut neurons = Vec::with_capacity(model.p());
        for (a, ps) in state.populations.iter().enumerate() {
            if ps.delta_mv2 > 0.0 {
                return Err(Error::invalid(
                    format!("populations[{a}] ({})", ps.name),
                    format!("Delta = {:.4} mV^2", ps.delta_mv2),
                    "the shot-noise network response needs populations whose neurons all receive the same input (no quenched input variance, docs/theory.md 6.4), e.g. fixed in-degree without heterogeneity",
                ));
            }
            let lif = LifParams::of(model, a);
            let input = population_input(model, a, &rates)?;
            let bias = ps.mean_input_mv - input.mean_drive(lif.tau_m);
            neurons.push(ShotNeuron { lif, input, bias });
        }
        let diffusion =
            NetworkResponse::new(model, state, &CLOSED_FORM, ResponseOptions::default())?;
        Ok(ShotNetworkResponse {
            model,
            neurons,
            diffusion,
        })
    }

    /// `W(lambda)` (P x P): `W_AB = L(lambda) k_B chi_AB(lambda)`.
    ///
    /// # Errors
    /// The errors of the master-equation susceptibility (docs/theory.md 6.4).
    pub fn matrix(&self, lambda: Complex64) -> Result<DMatrix<Complex64>> {
        let p = self.model.p();
        let l = delay_transform(&self.model.delay, lambda);
        let mut w = DMatrix::<Complex64>::zeros(p, p);
        for (a, n) in self.neurons.iter().enumerate() {
            let s = susceptibility(&n.lif, &n.input, n.bias, lambda)?;
            for b in 0..p {
                w[(a, b)] = l * self.model.k_in(b) * s.chi[b];
            }
        }
        Ok(w)
    }

    /// Cross-spectra (Hz) of the population-averaged spike trains at angular frequency
    /// `omega` (rad/s), `(I - W)^{-1} diag(S0 / N) (I - W)^{-H}` (docs/theory.md 6.3), with
    /// the intrinsic spike spectra `S0` of the white-noise LIF at the state's mean input
    /// and noise (or Poisson).
    ///
    /// # Errors
    /// As [`Self::matrix`]; [`Error::Domain`] if `I - W` is singular.
    pub fn population_spectrum_with(
        &self,
        omega: f64,
        s0_kind: SpikeSpectrum,
    ) -> Result<DMatrix<Complex64>> {
        let w = self.matrix(Complex64::new(0.0, omega))?;
        let s0 = (0..self.model.p())
            .map(|a| {
                Ok(self.diffusion.spike_spectrum(a, omega, s0_kind)?
                    / self.model.populations[a].n as f64)
            })
            .collect::<Result<Vec<_>>>()?;
        spectrum_of(&w, &s0).map_err(|_| {
            Error::Domain(format!(
                "I - W(i omega) is singular at omega = {omega} rad/s: the state is marginally stable there"
            ))
        })
    }
}
