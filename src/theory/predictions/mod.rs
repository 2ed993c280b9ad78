//! The predictions of docs/theory.md 2.6, computed from stationary states of the theory:
//!
//! - [`mode`]: how the fast variables are re-solved (finite K, balanced limit, or the
//!   "unbalanced mode" of 2.6.4 with `mu_A` held fixed), and 1-D latent roots in any mode;
//! - [`mod@rate_distribution`]: the push-forward rate distribution `P_A(nu)` (2.6.2), the
//!   silent fraction, and the counting-noise convolution used against simulations (section 3);
//! - [`counting`]: the counting noise of a rate measured over a window (section 3), the one
//!   implementation behind both of the above and the comparison;
//! - [`ks`]: Kolmogorov-Smirnov distances (section 3), shared with the comparison code;
//! - [`mean_v`]: coherent shifts of `mu_A` and `<V>_A` with the latent state (2.6.1);
//! - [`mod@two_state`]: cross-covariance of inputs in two latent states and signal correlations (2.6.4);
//! - [`tuning`]: sampled single-neuron tuning curves along a latent path, balanced vs unbalanced (2.6.4);
//! - [`mod@bifurcation`]: the scale of `Sigma^{nm}` at which `kappa = 0` loses stability (2.4, 2.5).

pub mod bifurcation;
mod bivariate;
pub mod counting;
pub mod ks;
pub mod mean_v;
pub mod mode;
pub mod rate_distribution;
pub mod tuning;
pub mod two_state;

pub use bifurcation::{Bifurcation, bifurcation, bifurcation_scale};
pub use ks::{Cdf, ks_distance, ks_p_value, ks_two_sample};
pub use mean_v::{
    CoherentShift, CoherentSlopes, ShiftPopulation, SlopePopulation, coherent_path, coherent_shift,
    coherent_shift_states, coherent_slopes, coherent_slopes_trajectory,
};
pub use mode::{FastMode, latent_root_1d, reduced_map_mode};
pub use rate_distribution::{
    CountingNoiseCdf, RateDistribution, RateGrid, counting_noise_cdf, rate_cdf, rate_distribution,
    silent_fraction,
};
pub use tuning::{
    TuningContrast, TuningCurves, TuningOptions, TuningPopulation, TuningStats,
    condition_responses, symmetric_path_1d, tuning_contrast, tuning_curves, tuning_stats,
};
pub use two_state::{TwoState, TwoStatePopulation, two_state};
