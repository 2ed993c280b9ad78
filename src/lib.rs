//! # balnet
//!
//! Mean-field theory of balanced excitatory-inhibitory spiking networks that carry
//! low-dimensional latent variables, and an embedded spiking simulator that checks it.
//! The specification (the network, the equations as implemented, the validated numbers and
//! the literature) is `docs/theory.md`; the user guide is `docs/guide.md`, the simulator's
//! conventions are in `docs/simulator.md`, the layers of the code in `docs/architecture.md`.
//!
//! Units everywhere in the public API: time in seconds, potentials in mV, rates in Hz
//! (so `tau_m = 0.020`, not `20`). Field and function names carry the unit when it is not
//! obvious (`rate_hz`, `mu_mv`, `delta_mv2`).
//!
//! ## Data flow
//!
//! Data flows one way, and every result is a plain serde struct:
//!
//! ```text
//!                      +--> theory  (stationary states, latent fixed points, dynamics,
//!   Model  ------------+             predictions)  ----------------+
//!  (model, presets)    |                                           +--> compare --> plot
//!                      +--> sim     (spiking network, recorders) --+
//! ```
//!
//! - [`model`]: the one serde-serialisable [`Model`] (docs/theory.md section 1: populations,
//!   connectivity rule, couplings, external drive, delays, low-rank loadings, latent input
//!   signal, the theory's transfer function and noise closure, simulator settings), its
//!   validation and TOML/JSON I/O. [`presets`] holds the default model of docs/theory.md
//!   section 5, its `D = 0` and bistable variants, Brunel (2000) model A, and the latent
//!   computations of section 12 (`ring-memory`, `latent-oscillation`,
//!   `context-integration`).
//! - [`transfer`]: single-neuron transfer functions `Phi` (docs/theory.md 2.2): the LIF Siegert
//!   formula (diffusion approximation), the shot-noise master equation (finite jumps), and
//!   closed-form test functions, all behind the [`transfer::Transfer`] trait.
//! - [`gauss`]: Gaussian and bivariate-Gaussian averages over the quenched input
//!   distribution (docs/theory.md 2.3).
//! - [`theory`]: input statistics ([`theory::inputs`], 2.1), stationary states of the fast
//!   variables in the finite-K and balanced-limit modes ([`theory::stationary`], 2.4), the
//!   noise closures ([`theory::closure`]), latent fixed points, rings and their stability
//!   ([`theory::latent`], 2.4-2.5), the slow latent dynamics ([`theory::dynamics`], 2.5), and
//!   the predictions of 2.6 ([`theory::predictions`]: coherent mean-potential shifts, rate
//!   distributions, two-state theory, tuning curves, the rank-one bifurcation), the
//!   correlated noise closure ([`theory::correlated`], 6.6), and the linear response:
//!   network stability and population spectra ([`theory::response`], 6.3; with the
//!   shot-noise response [`theory::shot_response`], 6.4).
//! - [`sim`]: the reference spiking simulator (docs/theory.md section 1; docs/simulator.md), grid or precise
//!   integration, bit-identical for any number of threads; [`sim::SimResult`] plus NPY files.
//! - [`compare`]: theory (finite K, evaluated with the loading moments actually drawn in the
//!   simulated network) against a finished simulation, per epoch of constant input.
//! - [`claims`]: latent computations over many simulated trials against the theory's
//!   latent dynamics (docs/theory.md section 12).
//! - [`export`]: the Model as a PyNEST script that builds the same network in NEST 3.10
//!   and writes spikes balnet reads back ([`sim::spikes`]; docs/nest.md).
//! - [`ratenet`]: the low-rank rate network of Mastrogiuseppe & Ostojic (2018), the
//!   baseline of the comparison (docs/theory.md section 10): its stationary mean-field
//!   solutions, their stability, latent dynamics and its own simulator.
//! - [`analysis`]: mixed-selectivity measures on response arrays (docs/theory.md section
//!   11): ANOVA interaction, tuning shape, participation ratio, shattering dimensionality,
//!   cross-condition generalisation.
//! - [`plot`]: PNG/SVG figures. [`error`]: every failure is an [`Error`] value naming the
//!   parameter, its value and the rule.
//!
//! ## Example
//!
//! The finite-K stationary state of the default network, its latent fixed points, and the
//! response of `kappa` to the input step of the default model:
//!
//! ```
//! use balnet::presets;
//! use balnet::theory::{Limit, dynamics, latent, stationary};
//!
//! # fn main() -> balnet::Result<()> {
//! let model = presets::default_model(); // docs/theory.md section 5, D = D_in = 1
//!
//! // fast variables at kappa = 0, s = 0 (docs/theory.md 2.4)
//! let state = stationary::solve(&model, Limit::Finite, &[0.0], &[0.0], None)?;
//! for p in &state.populations {
//!     println!("{}: nu = {:.3} Hz, mu = {:.3} mV, <V> = {:.3} mV", p.name, p.rate_hz, p.mu_mv, p.mean_v_mv);
//! }
//!
//! // every latent fixed point in |kappa| <= 80 Hz at s = 0, with its stability
//! let sol = latent::fixed_points(&model, Limit::Finite, &[0.0], &latent::SearchBox::default())?;
//! for fp in &sol.fixed_points {
//!     println!("kappa* = {:?} Hz, stable: {}", fp.kappa, fp.stable);
//! }
//!
//! // tau_s dkappa/dt = -kappa + F(kappa, s(t)) through the step of s at 1.5 s (docs/theory.md 2.5)
//! let traj = dynamics::integrate(&model, Limit::Finite, &[0.0], 3.5, 0.01, &Default::default())?;
//! let kappa_end = traj.kappa.last().expect("output at 3.5 s")[0];
//! println!("kappa(3.5 s) = {kappa_end:.3} Hz");
//! // docs/theory.md section 5: the step moves kappa to 5.27 Hz (Siegert, Bernoulli)
//! assert!((kappa_end - 5.27).abs() < 0.01);
//!
//! // the same Model runs in the simulator: `balnet::sim::simulate(&model, &Default::default())`
//! # Ok(())
//! # }
//! ```

pub mod analysis;
pub mod claims;
pub mod compare;
pub mod error;
pub mod export;
pub mod gauss;
pub mod model;
pub mod plot;
pub mod presets;
pub mod quad;
pub mod ratenet;
pub mod sim;
pub mod theory;
pub mod transfer;

pub use error::{Error, Result};
pub use model::Model;
