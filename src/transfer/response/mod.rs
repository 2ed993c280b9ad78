//! Linear response of single neurons (docs/theory.md section 6).
//!
//! - [`pcf`]: the parabolic cylinder function `D_a(z)` for complex order, log-scaled,
//!   and the ratios the closed forms need (docs/theory.md 6.1).
//! - [`diffusion`]: the LIF with white-noise input in closed form (Brunel & Hakim 1999;
//!   Lindner & Schimansky-Geier 2001; Lindner, Schimansky-Geier & Longtin 2002): rate
//!   susceptibilities to the mean and to the variance of the input, the ISI Laplace
//!   transform and the spike-train power spectrum (docs/theory.md 6.1).
//! - [`threshold`]: the same susceptibilities by threshold integration of the
//!   Fokker-Planck equation (Richardson 2007), docs/theory.md 6.2.
//! - [`second_order`]: the second-order response `chi_2(omega, -omega)` and the rate change
//!   it predicts for an added colored input, docs/theory.md 6.6.

pub mod diffusion;
pub mod pcf;
pub mod second_order;
pub mod threshold;

/// The shot-noise (finite jumps) response by the master equation, docs/theory.md 6.4.
pub use crate::transfer::shot_noise::response as shot_noise;
