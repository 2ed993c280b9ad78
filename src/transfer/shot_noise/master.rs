//! The first-passage master equation of a LIF neuron driven by Poisson shot noise,
//! on a finite-volume voltage grid (docs/theory.md 2.2, "Shot noise").
//!
//! Coordinates are shifted by the bias, `u = V - b`, so that the leak drift `-u/tau_m`
//! and the jump operator do not depend on `b`: the bias only moves the threshold
//! `u_theta = theta - b` and the reset `u_r = Vr - b`. On a grid aligned with the
//! threshold, the matrix for a higher bias is then a leading principal block of the
//! matrix for a lower one (cells are numbered from the bottom). One factorisation of
//! the largest domain therefore serves a whole ladder of biases (the table of
//! [`super::ShotNoise`]): per bias only a forward substitution over the cells between
//! reset and threshold remains.
//!
//! Discretisation (first order in the cell width `h`, then Richardson-extrapolated by the
//! caller over grids of widths `h, 2h, 4h, ...`):
//! - cells `[u_min + i h, u_min + (i+1) h)`, the threshold the top edge of the domain;
//! - leak: first-order upwind flux at the cell edges, zero flux through `u_min`; the
//!   outward flux through the threshold (positive drift there, `b > theta`) is firing;
//! - a jump `a` moves each cell's mass, taken as uniform in the cell, by exactly `a`:
//!   the moved cell overlaps two cells and is split between them in proportion to the
//!   overlaps (this conserves the mass and its mean exactly); mass moved above the
//!   threshold is firing, mass moved below `u_min` goes to the bottom cell. For
//!   extrapolation beyond second order the split is smeared to a fixed numerical
//!   variance (see [`split`]);
//! - reset: a unit source at `u_r`, split linearly between the two neighbouring centres.
//!
//! With `A p = s` (`A` the negated generator, `s` the unit source), `p_i` is the mean time
//! spent in cell `i` per inter-spike interval, so the mean free passage time is `sum p`,
//! and `sum p_i u_i` gives the time-averaged potential.

use super::banded::{Band, BandLu, dot};

/// One Poisson input on the grid: jump `a` (mV), rate (Hz).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jump {
    pub a: f64,
    pub rate: f64,
}

/// Integrals over one inter-spike interval (excluding the refractory period) for one bias.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Passage {
    /// Mean free passage time from reset to firing (s).
    pub time: f64,
    /// `E[int u dt]` over the free passage (mV s), `u = V - b`.
    pub u_time: f64,
    /// Mean overshoot above threshold of the firing jump (mV), averaged over spikes
    /// (drift crossings have none).
    pub overshoot: f64,
}

/// A factorised master-equation operator on the cells `0..n` of one grid, usable for every
/// threshold position `u_min + m h`, `m <= n`.
pub(crate) struct Ladder {
    h: f64,
    u_min: f64,
    /// Excitatory inputs: rate and the `(offset in cells, weight)` of their split.
    excitatory: Vec<(f64, [(f64, f64); 4])>,
    lu: BandLu,
    /// `U^{-T} 1` and `U^{-T} u_centre`: the leading `m` entries serve every block `m`.
    z: [Vec<f64>; 2],
    /// Cells below the top that an excitatory jump can carry over the threshold.
    reach: usize,
}

/// Lower and upper bandwidths of the operator for cell width `h`.
fn bandwidths(jumps: &[Jump], h: f64, spread: bool) -> (usize, usize) {
    let (mut kl, mut ku) = (1usize, 1usize);
    let e = usize::from(spread);
    for j in jumps {
        let m = (j.a / h).floor();
        if j.a > 0.0 {
            kl = kl.max(m as usize + 1 + e);
        } else {
            ku = ku.max((-m) as usize + e);
        }
    }
    (kl, ku)
}

/// Target cells (relative to the source cell) and weights of a jump by `s` cells.
/// Linear split: the exact overlaps of the moved cell. With `spread`, each part is further
/// smeared by the symmetric kernel `(alpha/2, 1 - alpha, alpha/2)`, `alpha = (fr - 1/2)^2`,
/// so that the numerical variance of every jump is exactly a quarter cell squared whatever
/// the fractional shift `fr` (a smooth function of the cell width, which Richardson
/// extrapolation can remove), instead of `fr (1 - fr)`.
pub(crate) fn split(s: f64, spread: bool) -> [(f64, f64); 4] {
    let m = s.floor();
    let fr = s - m;
    if !spread {
        return [(m, 1.0 - fr), (m + 1.0, fr), (0.0, 0.0), (0.0, 0.0)];
    }
    let al = (fr - 0.5) * (fr - 0.5);
    [
        (m - 1.0, (1.0 - fr) * 0.5 * al),
        (m, (1.0 - fr) * (1.0 - al) + fr * 0.5 * al),
        (m + 1.0, (1.0 - fr) * 0.5 * al + fr * (1.0 - al)),
        (m + 2.0, fr * 0.5 * al),
    ]
}

/// Assemble the negated generator `A` on `n` cells of width `h` from `u_min` (mV) for
/// membrane time constant `tau_m` (s), with the threshold at the top edge of the last
/// cell, and its column sums `loss` (the firing rate out of each cell). Jumps with zero
/// size or rate are ignored. The matrix of a leading block `m < n` (threshold at
/// `u_min + m h`) is the leading `m x m` block of this one.
#[allow(clippy::needless_range_loop)] // t is a cell index in several arrays and formulas
pub(crate) fn assemble(
    h: f64,
    u_min: f64,
    n: usize,
    tau_m: f64,
    jumps: &[Jump],
    spread: bool,
) -> (Band, Vec<f64>) {
    let jumps: Vec<Jump> = jumps
        .iter()
        .copied()
        .filter(|j| j.a != 0.0 && j.rate > 0.0)
        .collect();
    let (kl, ku) = bandwidths(&jumps, h, spread);
    let mut a = Band::zeros(n, kl, ku);
    let edge = |k: usize| u_min + k as f64 * h;
    let splits: Vec<(f64, [(f64, f64); 4])> = jumps
        .iter()
        .map(|j| (j.rate, split(j.a / h, spread)))
        .collect();
    let total_rate: f64 = jumps.iter().map(|j| j.rate).sum();
    // firing rate out of each cell (the column sums of the matrix), for the GTH pivots
    let mut loss = vec![0.0; n];
    // Assembled row by row (the band is stored by rows): row t collects what flows
    // into cell t, column i what leaves cell i.
    for t in 0..n {
        // leak, upwind: cell t loses through its top edge if the drift there points
        // up, through its bottom edge if it points down (never through u_min) ...
        let (g_top, g_bot) = (-edge(t + 1) / tau_m, -edge(t) / tau_m);
        let mut diag = total_rate;
        if g_top > 0.0 {
            diag += g_top / h;
            if t + 1 == n {
                loss[t] += g_top / h; // drift through threshold
            }
        } else if t + 1 < n {
            a.add(t, t + 1, g_top / h); // ... and gains from above
        }
        if g_bot < 0.0 {
            if t > 0 {
                diag -= g_bot / h;
            }
        } else if t > 0 {
            a.add(t, t - 1, -g_bot / h); // ... or from below
        }
        a.add(t, t, diag);
        // jumps into cell t from cell i = t - offset; from cell t over the threshold
        for (rate, targets) in &splits {
            for &(off, w) in targets {
                let i = t as f64 - off;
                if w != 0.0 && i >= 0.0 && i < n as f64 {
                    a.add(t, i as usize, -rate * w);
                }
                if w != 0.0 && t as f64 + off >= n as f64 {
                    loss[t] += rate * w;
                }
            }
        }
    }
    // jumps below u_min land in the bottom cell
    for (rate, targets) in &splits {
        for &(off, w) in targets {
            if w == 0.0 || off >= 0.0 {
                continue;
            }
            for i in 0..((-off) as usize).min(n) {
                a.add(0, i, -rate * w);
            }
        }
    }
    (a, loss)
}

/// The unit reset source at `u_r` (mV) on `m` cells of width `h` from `u_min`: split
/// linearly between the two neighbouring cell centres (all in the top cell if `u_r` lies
/// in or above it), as `(cell, weight)`.
pub(crate) fn reset_source(u_r: f64, u_min: f64, h: f64, m: usize) -> Vec<(usize, f64)> {
    let q = (u_r - u_min) / h - 0.5;
    let i0 = q.floor().max(0.0) as usize;
    let w = (q - i0 as f64).clamp(0.0, 1.0);
    if i0 + 1 >= m {
        vec![(m - 1, 1.0)]
    } else {
        vec![(i0, 1.0 - w), (i0 + 1, w)]
    }
}

impl Ladder {
    /// Assemble and factor the operator on `n` cells of width `h` from `u_min` (mV),
    /// for membrane time constant `tau_m` (s). Returns `None` if a pivot vanishes
    /// (no input can carry the neuron to threshold).
    pub fn new(
        h: f64,
        u_min: f64,
        n: usize,
        tau_m: f64,
        jumps: &[Jump],
        spread: bool,
    ) -> Option<Self> {
        let (a, loss) = assemble(h, u_min, n, tau_m, jumps, spread);
        let jumps: Vec<Jump> = jumps
            .iter()
            .copied()
            .filter(|j| j.a != 0.0 && j.rate > 0.0)
            .collect();
        let lu = a.factor(&loss).ok()?;
        let mut z = [
            vec![1.0; n],
            (0..n).map(|i| u_min + (i as f64 + 0.5) * h).collect(),
        ];
        lu.solve_ut_in_place(&mut z);
        let reach = jumps
            .iter()
            .filter(|j| j.a > 0.0)
            .map(|j| (j.a / h).floor() as usize + 1 + usize::from(spread))
            .max()
            .unwrap_or(0);
        let excitatory = jumps
            .iter()
            .filter(|j| j.a > 0.0)
            .map(|j| (j.rate, split(j.a / h, spread)))
            .collect();
        Some(Ladder {
            h,
            u_min,
            excitatory,
            lu,
            z,
            reach,
        })
    }

    /// Passage integrals with the threshold at the top of cell `m - 1` (`u_theta = u_min + m h`)
    /// and the reset at `u_r` (mV, `u_min < u_r < u_theta`).
    pub fn passage(&self, m: usize, u_r: f64, work: &mut Vec<f64>) -> Passage {
        let h = self.h;
        let src = reset_source(u_r, self.u_min, h, m);
        let start = src[0].0;
        self.lu.solve_l_from(start, m, &src, work);
        let time = dot(&self.z[0][start..m], work);
        let u_time = dot(&self.z[1][start..m], work);
        // overshoot: the firing jumps from the top cells, each landing at its target
        // cell's centre (the scheme moves mass between centres with the exact mean shift)
        let top = self.lu.solve_u_top(start, m, work, self.reach);
        let first = m - top.len();
        let mut over = 0.0;
        for (k, &p) in top.iter().enumerate() {
            let i = (first + k) as f64;
            for (rate, targets) in &self.excitatory {
                for &(dt, w) in targets {
                    let t = i + dt;
                    if w != 0.0 && t >= m as f64 {
                        over += p * rate * w * (t - m as f64 + 0.5) * h;
                    }
                }
            }
        }
        Passage {
            time,
            u_time,
            overshoot: over,
        }
    }
}
