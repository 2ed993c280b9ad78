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
    /// Common rate modulation of a single neuron's inputs, one stream per neuron.
    Modulation = 6,
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
    unit(rng.next_u64())
}

/// Unit-mean exponential deviate `-ln u` (`u` uniform, floored at 1e-300 so that the
/// result is finite): the waiting time of a unit-rate Poisson process.
#[inline(always)]
pub fn exp1(rng: &mut SimRng) -> f64 {
    -uniform(rng).max(1e-300).ln()
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

/// A neuron's external-drive stream in the time loop: Xoshiro256++ held as its four
/// state words, so that the update can advance a copy and keep or drop it without a
/// branch (a refractory grid neuron makes no draw). The same generator as [`SimRng`]:
/// [`DriveRng::from_rng`] and [`DriveRng::to_rng`] convert without changing the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriveRng {
    s: [u64; 4],
}

impl DriveRng {
    /// The stream `rng` continues with.
    pub fn from_rng(rng: &SimRng) -> Self {
        let b = rng.state();
        let w = |k: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[8 * k..8 * k + 8]);
            u64::from_le_bytes(x)
        };
        DriveRng {
            s: [w(0), w(1), w(2), w(3)],
        }
    }

    /// The same stream as a [`SimRng`].
    pub fn to_rng(self) -> SimRng {
        let mut b = [0u8; 32];
        for (k, w) in self.s.iter().enumerate() {
            b[8 * k..8 * k + 8].copy_from_slice(&w.to_le_bytes());
        }
        SimRng::from_seed(b)
    }

    /// Next 64 random bits (Xoshiro256++, Blackman & Vigna 2021).
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// `other` if `take` else `self`, without a branch.
    #[inline(always)]
    pub fn select(self, other: DriveRng, take: bool) -> DriveRng {
        let m = 0u64.wrapping_sub(take as u64);
        let mut s = self.s;
        for (x, y) in s.iter_mut().zip(other.s) {
            *x ^= (*x ^ y) & m;
        }
        DriveRng { s }
    }
}

/// Uniform in `[0, 1)` from the drive stream (the same deviate [`uniform`] gives).
#[inline(always)]
pub fn uniform_drive(rng: &mut DriveRng) -> f64 {
    unit(rng.next_u64())
}

/// The uniform deviate of 64 random bits: the top 53 bits over 2^53.
#[inline(always)]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
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
///   `k` whose CDF can exceed the slice start; from there the draw is that `k` plus the
///   number of CDF entries at or below the deviate among the next `WIDTH` = 2 entries,
///   counted without a branch (the slices whose draws can span more, the outermost
///   ones for the means of one step, search on). This equals the first `k` with
///   `u < CDF(k)`, the textbook inversion, draw for draw.
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
    Table(Table),
    Rejection(rand_distr::Poisson<f64>),
}

const GUIDE: usize = 1024;

/// Inversion tables of one mean (see [`Poisson`]).
#[derive(Clone, Debug)]
struct Table {
    /// `P(X <= k)`, `k = 0 .. len`.
    cdf: Vec<f64>,
    /// The CDF with its last entry replaced by infinity (so no draw passes it, as the
    /// summed CDF may round below 1) and `WIDTH` more infinite entries after it.
    search: Vec<f64>,
    /// Per slice `[g, g + 1) / GUIDE` of `[0, 1)`: the first `k` with `CDF(k) > g / GUIDE`,
    /// flagged with `LONG` when a deviate of the slice can draw more than `k + WIDTH`.
    guide: Box<[u32; GUIDE]>,
}

/// A borrowed view of an inversion table, for the time loop's external drive.
#[derive(Clone, Copy, Debug)]
pub struct Inversion<'a> {
    search: &'a [f64],
    guide: &'a [u32; GUIDE],
}

/// Entries compared without a branch after the guide table's start: enough for every
/// slice of `[0, 1)` but the outermost ones of the means of one step (`lambda` up to ~10).
const WIDTH: usize = 2;
/// Flag of a guide entry whose slice can need more than `WIDTH` comparisons.
const LONG: u32 = 1 << 31;

impl Inversion<'_> {
    /// The draw belonging to 64 random bits (their uniform deviate is `(bits >> 11) / 2^53`).
    #[inline(always)]
    pub fn count(&self, bits: u64) -> u32 {
        let u = unit(bits);
        // (bits >> 11) / 2^53 * GUIDE = bits >> 54 exactly: the slice of u
        let g = self.guide[(bits >> 54) as usize];
        if g & LONG != 0 {
            // a slice that may need more than WIDTH steps (the tails: probability about
            // 2/1024 per draw); searched inline, as a call would make the time loop
            // spill its registers
            let mut k = (g & !LONG) as usize;
            while self.search[k] <= u {
                k += 1;
            }
            return k as u32;
        }
        let s = &self.search[g as usize..g as usize + WIDTH];
        g + (s[0] <= u) as u32 + (s[1] <= u) as u32
    }
}

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
            Method::Table(table(lambda))
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
            Method::Table(t) => t.view().count(rng.next_u64()) as u64,
            Method::Zero => 0,
            Method::Rejection(d) => rand_distr::Distribution::sample(d, rng) as u64,
        }
    }

    /// One draw as `f64` (exact: counts are below 2^53).
    #[inline]
    pub fn sample_f64(&self, rng: &mut SimRng) -> f64 {
        match &self.method {
            Method::Table(t) => t.view().count(rng.next_u64()) as f64,
            Method::Zero => 0.0,
            Method::Rejection(d) => rand_distr::Distribution::sample(d, rng),
        }
    }

    /// One draw from a drive stream (the same draw [`Poisson::sample`] makes from the
    /// same stream).
    #[inline(always)]
    pub fn sample_drive(&self, rng: &mut DriveRng) -> u64 {
        match &self.method {
            Method::Table(t) => t.view().count(rng.next_u64()) as u64,
            Method::Zero => 0,
            Method::Rejection(_) => {
                let mut r = rng.to_rng();
                let k = self.sample(&mut r);
                *rng = DriveRng::from_rng(&r);
                k
            }
        }
    }

    /// The inversion table when the mean is sampled by inversion (`0 < lambda <= 256`).
    pub fn inversion(&self) -> Option<Inversion<'_>> {
        match &self.method {
            Method::Table(t) => Some(t.view()),
            _ => None,
        }
    }

    /// The CDF table `P(X <= k)`, `k = 0, 1, ...` (empty unless table inversion is used).
    pub fn cdf_table(&self) -> &[f64] {
        match &self.method {
            Method::Table(t) => &t.cdf,
            _ => &[],
        }
    }
}

impl Table {
    fn view(&self) -> Inversion<'_> {
        Inversion {
            search: &self.search,
            guide: &self.guide,
        }
    }
}

/// CDF, guide and search tables of Poisson(`lambda`), `0 < lambda <= TABLE_MAX_LAMBDA`.
fn table(lambda: f64) -> Table {
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
    let mut guide = Box::new([0u32; GUIDE]);
    let mut k = 0usize;
    for (g, x) in guide.iter_mut().enumerate() {
        let lo = g as f64 / GUIDE as f64;
        while k + 1 < cdf.len() && cdf[k] <= lo {
            k += 1;
        }
        *x = k as u32;
    }
    let last = cdf.len() - 1;
    let mut search = cdf.clone();
    search[last] = f64::INFINITY;
    search.resize(cdf.len() + WIDTH, f64::INFINITY);
    // A deviate in slice g draws at least guide[g] (the CDF entries before it are at most
    // the slice start) and at most the draw of the slice's largest deviate.
    for (g, x) in guide.iter_mut().enumerate() {
        let u_max = unit((((g as u64) + 1) << 54).wrapping_sub(1));
        let mut k = *x as usize;
        while search[k] <= u_max {
            k += 1;
        }
        if k - *x as usize > WIDTH {
            *x |= LONG;
        }
    }
    Table { cdf, search, guide }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_table_equals_linear_search() {
        for &lam in &[1e-6, 0.01, 1.2, 2.0, 7.5, 40.0, 256.0] {
            let p = Poisson::new(lam).unwrap();
            let cdf = p.cdf_table();
            let inv = p.inversion().expect("table expected");
            let mut rng = stream(3, Stream::Drive, 1);
            for _ in 0..100_000 {
                let bits = rng.next_u64();
                let u = unit(bits);
                let lin = cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1) as u32;
                assert_eq!(inv.count(bits), lin);
            }
            // the slice edges and the ends of [0, 1)
            for g in 0..GUIDE as u64 {
                for bits in [g << 54, ((g + 1) << 54).wrapping_sub(1)] {
                    let u = unit(bits);
                    let lin = cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1) as u32;
                    assert_eq!(inv.count(bits), lin, "lambda {lam}, bits {bits:x}");
                }
            }
        }
    }

    #[test]
    fn drive_stream_is_the_sim_stream() {
        for key in [0u64, 1, 12345, u64::MAX] {
            let mut a = stream(key, Stream::Drive, key ^ 7);
            let mut b = DriveRng::from_rng(&a);
            for _ in 0..1000 {
                assert_eq!(a.next_u64(), b.next_u64());
            }
            assert_eq!(b.to_rng().next_u64(), a.next_u64());
            let c = b;
            b.next_u64();
            assert_eq!(c.select(b, false), c);
            assert_eq!(c.select(b, true), b);
        }
        // rejection regime: the drive stream draws what the sim stream draws
        let p = Poisson::new(1000.0).unwrap();
        let mut a = stream(5, Stream::Drive, 5);
        let mut b = DriveRng::from_rng(&a);
        for _ in 0..100 {
            assert_eq!(p.sample(&mut a), p.sample_drive(&mut b));
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
