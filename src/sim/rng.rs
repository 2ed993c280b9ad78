//! Random streams and the exact Poisson sampler of the simulator.
//!
//! Every random quantity belongs to a stream keyed by `(seed, purpose, index)`, e.g.
//! one stream per neuron for its external drive, one per neuron for its incoming
//! connections. Results therefore do not depend on the number of threads or the order
//! in which neurons are processed.

use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used everywhere in the simulator.
pub type SimRng = Xoshiro256PlusPlus;

/// Purposes that key independent streams.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    /// Incoming connections and their delays, one stream per postsynaptic neuron.
    Connections = 1,
    /// Loadings, one stream per population.
    Loadings = 2,
    /// Frozen bias and initial potential, one stream per neuron.
    Initial = 3,
    /// External Poisson drive during the run, one stream per neuron.
    Drive = 4,
    /// Sampling of recorded neurons and pairs, one stream per population.
    Recording = 5,
}

/// SplitMix64 finaliser: a bijective mixer of 64-bit words.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream of `purpose` number `index` under `seed`.
pub fn stream(seed: u64, purpose: Stream, index: u64) -> SimRng {
    let key = mix(mix(mix(seed) ^ (purpose as u64)).wrapping_add(index));
    SimRng::seed_from_u64(key)
}

/// Uniform in `[0, 1)` with 53 random bits.
#[inline(always)]
pub fn uniform(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in `[0, n)` (multiply-high; bias below 2^-64 * n).
#[inline(always)]
pub fn below(rng: &mut SimRng, n: u64) -> u64 {
    ((rng.next_u64() as u128 * n as u128) >> 64) as u64
}

/// Standard normal deviate (Box-Muller; used only at build time, so speed is irrelevant).
pub fn normal(rng: &mut SimRng) -> f64 {
    loop {
        let u1 = uniform(rng);
        if u1 > 0.0 {
            let u2 = uniform(rng);
            return (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        }
    }
}

/// Exact Poisson sampler of the simulator, for any mean `lambda` in `[0, MAX_LAMBDA]`.
///
/// Two regimes:
/// - `lambda <= TABLE_MAX_LAMBDA` (the small means of one time step, `K_0 nu_0 dt` ~ 1-10):
///   inversion with a precomputed CDF table. One uniform deviate per draw; the table runs
///   past the mode until the remaining tail is below 1e-20 of the sum, so the sampler is
///   exact up to floating-point rounding of the CDF (relative error below ~1e-13 for
///   these means, far below anything a sample can resolve). A guide table (Chen & Asau's
///   indexed search) gives, for each of `GUIDE` equal slices of `[0, 1)`, the smallest
///   `k` whose CDF can exceed the slice start, so the search almost never iterates.
/// - larger means: the exact rejection method of Ahrens & Dieter (1982) as implemented by
///   `rand_distr::Poisson`. A table would need `exp(-lambda)`, which loses precision and
///   then underflows (to a subnormal from `lambda` ~ 708, to zero from ~ 745), and
///   `O(lambda)` entries.
#[derive(Clone, Debug)]
pub struct Poisson {
    lambda: f64,
    method: Method,
}

#[derive(Clone, Debug)]
enum Method {
    Zero,
    Table { cdf: Vec<f64>, guide: Vec<u32> },
    Rejection(rand_distr::Poisson<f64>),
}

const GUIDE: usize = 1024;

impl Poisson {
    /// Largest mean sampled by table inversion; above it, rejection.
    pub const TABLE_MAX_LAMBDA: f64 = 256.0;
    /// Largest mean accepted (counts stay exact integers in `f64`, below 2^53).
    pub const MAX_LAMBDA: f64 = 1e15;

    /// Sampler of mean `lambda` (finite, `0 <= lambda <= MAX_LAMBDA`).
    pub fn new(lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && (0.0..=Self::MAX_LAMBDA).contains(&lambda)) {
            return Err(Error::invalid(
                "Poisson mean (per time step)",
                lambda,
                format!(
                    "must be finite and in [0, {:e}] (rate in Hz times dt in s)",
                    Self::MAX_LAMBDA
                ),
            ));
        }
        let method = if lambda == 0.0 {
            Method::Zero
        } else if lambda <= Self::TABLE_MAX_LAMBDA {
            let (cdf, guide) = table(lambda);
            Method::Table { cdf, guide }
        } else {
            // lambda > 256 > 0 and finite: rand_distr accepts it (its limit is 1.8e19).
            let d = rand_distr::Poisson::new(lambda).map_err(|e| {
                Error::invalid("Poisson mean (per time step)", lambda, e.to_string())
            })?;
            Method::Rejection(d)
        };
        Ok(Poisson { lambda, method })
    }

    /// The mean.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match &self.method {
            Method::Table { cdf, guide } => invert(cdf, guide, uniform(rng)) as u64,
            Method::Zero => 0,
            Method::Rejection(d) => rand_distr::Distribution::sample(d, rng) as u64,
        }
    }

    /// One draw as `f64` (exact: counts are below 2^53).
    #[inline]
    pub fn sample_f64(&self, rng: &mut SimRng) -> f64 {
        match &self.method {
            Method::Table { cdf, guide } => invert(cdf, guide, uniform(rng)) as f64,
            Method::Zero => 0.0,
            Method::Rejection(d) => rand_distr::Distribution::sample(d, rng),
        }
    }

    /// The CDF table `P(X <= k)`, `k = 0, 1, ...` (empty unless table inversion is used).
    pub fn cdf_table(&self) -> &[f64] {
        match &self.method {
            Method::Table { cdf, .. } => cdf,
            _ => &[],
        }
    }
}

/// CDF and guide table of Poisson(`lambda`), `0 < lambda <= TABLE_MAX_LAMBDA`.
fn table(lambda: f64) -> (Vec<f64>, Vec<u32>) {
    let mut cdf = Vec::new();
    let mut p = (-lambda).exp();
    let mut c = p;
    let mut k = 0.0;
    cdf.push(c);
    // Stop past the mode once the remaining terms cannot change the sum.
    while cdf.len() < 100_000 && (k < lambda || p > 1e-20 * c) {
        k += 1.0;
        p *= lambda / k;
        c += p;
        cdf.push(c);
    }
    let mut guide = Vec::with_capacity(GUIDE);
    let mut k = 0usize;
    for g in 0..GUIDE {
        let lo = g as f64 / GUIDE as f64;
        while k + 1 < cdf.len() && cdf[k] <= lo {
            k += 1;
        }
        guide.push(k as u32);
    }
    (cdf, guide)
}

/// The draw belonging to the uniform deviate `u` in `[0, 1)`.
#[inline]
fn invert(cdf: &[f64], guide: &[u32], u: f64) -> u32 {
    let mut k = guide[(u * GUIDE as f64) as usize] as usize;
    while k < cdf.len() {
        if u < cdf[k] {
            return k as u32;
        }
        k += 1;
    }
    // Only reachable through the rounding of the summed CDF (tail < 1e-20).
    (cdf.len() - 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_table_equals_linear_search() {
        for &lam in &[0.01, 1.2, 2.0, 7.5, 40.0] {
            let p = Poisson::new(lam).unwrap();
            let Method::Table { cdf, guide } = &p.method else {
                panic!("table expected at {lam}")
            };
            let mut rng = stream(3, Stream::Drive, 1);
            for _ in 0..100_000 {
                let u = uniform(&mut rng);
                let lin = cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1) as u32;
                assert_eq!(invert(cdf, guide, u), lin);
            }
        }
    }

    #[test]
    fn poisson_moments() {
        for &lam in &[0.3, 1.2, 2.0, 7.5] {
            let p = Poisson::new(lam).unwrap();
            let mut rng = stream(7, Stream::Drive, 0);
            let n = 400_000;
            let (mut s, mut s2) = (0.0, 0.0);
            for _ in 0..n {
                let k = p.sample(&mut rng) as f64;
                s += k;
                s2 += k * k;
            }
            let m = s / n as f64;
            let v = s2 / n as f64 - m * m;
            let se = (lam / n as f64).sqrt();
            assert!((m - lam).abs() < 5.0 * se, "mean {m} vs {lam}");
            assert!((v - lam).abs() < 0.03 * lam, "var {v} vs {lam}");
        }
    }
}
