//! Random streams and the exact Poisson sampler of the simulator.
//!
//! Every random quantity belongs to a stream keyed by `(seed, purpose, index)`, e.g.
//! one stream per neuron for its external drive, one per neuron for its incoming
//! connections. Results therefore do not depend on the number of threads or the order
//! in which neurons are processed.

use rand::{Rng, SeedableRng};
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

/// Exact Poisson sampling by inversion with a precomputed CDF table.
///
/// One uniform deviate per draw and about `lambda + 1` comparisons; the table runs
/// until the tail is below 2^-60, beyond which the pmf recursion continues, so the
/// sampler is exact up to floating-point rounding of the CDF (no normal approximation).
/// Intended for the small means of one time step (`K_0 nu_0 dt` ~ 1-10).
///
/// A guide table (Chen & Asau's indexed search) gives, for each of `GUIDE` equal
/// slices of `[0, 1)`, the smallest `k` whose CDF can exceed the slice start, so the
/// search almost never iterates (and its branch is predictable).
#[derive(Clone, Debug)]
pub struct Poisson {
    lambda: f64,
    cdf: Vec<f64>,
    guide: Vec<u32>,
}

const GUIDE: usize = 1024;

impl Poisson {
    /// Sampler of mean `lambda >= 0`.
    pub fn new(lambda: f64) -> Self {
        let mut cdf = Vec::new();
        if lambda > 0.0 {
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
        }
        let mut guide = Vec::new();
        if !cdf.is_empty() {
            let mut k = 0usize;
            for g in 0..GUIDE {
                let lo = g as f64 / GUIDE as f64;
                while k + 1 < cdf.len() && cdf[k] <= lo {
                    k += 1;
                }
                guide.push(k as u32);
            }
        }
        Poisson { lambda, cdf, guide }
    }

    /// The mean.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        self.invert(uniform(rng))
    }

    /// The draw belonging to the uniform deviate `u` in `[0, 1)`.
    #[inline]
    pub fn invert(&self, u: f64) -> u32 {
        if self.cdf.is_empty() {
            return 0;
        }
        let mut k = self.guide[(u * GUIDE as f64) as usize] as usize;
        while k < self.cdf.len() {
            if u < self.cdf[k] {
                return k as u32;
            }
            k += 1;
        }
        // Only reachable through the rounding of the summed CDF (tail < 1e-20).
        (self.cdf.len() - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_table_equals_linear_search() {
        for &lam in &[0.01, 1.2, 2.0, 7.5, 40.0] {
            let p = Poisson::new(lam);
            let mut rng = stream(3, Stream::Drive, 1);
            for _ in 0..100_000 {
                let u = uniform(&mut rng);
                let lin = p.cdf.iter().position(|&c| u < c).unwrap_or(p.cdf.len() - 1) as u32;
                assert_eq!(p.invert(u), lin);
            }
        }
    }

    #[test]
    fn poisson_moments() {
        for &lam in &[0.3, 1.2, 2.0, 7.5] {
            let p = Poisson::new(lam);
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
