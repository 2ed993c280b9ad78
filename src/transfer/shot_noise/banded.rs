//! A banded LU factorisation without pivoting, written here for the master equation.
//!
//! Why hand-written: the master-equation matrix has `n ~ 1e4` rows but only
//! `kl + ku + 1 ~ 100` non-zero diagonals (`kl ~ a_E/dV`, `ku ~ |a_I|/dV`), so a
//! band solver costs `n kl ku` operations against `n^3/3` for nalgebra's dense LU
//! (and `n^2` memory); nalgebra has no banded solver, and the LAPACK bindings would
//! pull in a system BLAS. The matrix is column diagonally dominant with a positive
//! diagonal (the negated generator of a sub-stochastic jump process), for which
//! Gaussian elimination without pivoting is stable (growth factor at most 2,
//! Wilkinson), so pivoting and its extra fill are not needed. Two properties of the
//! unpivoted factorisation are used by the caller: the factors of a leading principal
//! block are the leading blocks of the factors, and solves with `U^T` run from the
//! first row upwards.

/// A square band matrix in row-major band storage: entry `(i, j)`, `i - kl <= j <= i + ku`,
/// at `data[i * width + (j + kl - i)]`, `width = kl + ku + 1`.
#[derive(Clone, Debug)]
pub(crate) struct Band {
    pub n: usize,
    pub kl: usize,
    pub ku: usize,
    width: usize,
    data: Vec<f64>,
}

impl Band {
    /// A zero `n x n` matrix with `kl` sub- and `ku` super-diagonals.
    pub fn zeros(n: usize, kl: usize, ku: usize) -> Self {
        let width = kl + ku + 1;
        Band {
            n,
            kl,
            ku,
            width,
            data: vec![0.0; n * width],
        }
    }

    /// Add `v` to entry `(i, j)`; the entry must lie inside the band.
    #[inline]
    pub fn add(&mut self, i: usize, j: usize, v: f64) {
        debug_assert!(
            i < self.n && j < self.n && j + self.kl >= i && j <= i + self.ku,
            "({i}, {j}) outside the band"
        );
        self.data[i * self.width + j + self.kl - i] += v;
    }

    /// Entry `(i, j)` (zero outside the band).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if j + self.kl < i || j > i + self.ku {
            0.0
        } else {
            self.data[i * self.width + j + self.kl - i]
        }
    }

    /// `out = A x` (both of length `n`).
    pub fn matvec(&self, x: &[f64], out: &mut [f64]) {
        let (n, kl, ku, w) = (self.n, self.kl, self.ku, self.width);
        for i in 0..n {
            let lo = i.saturating_sub(kl);
            let hi = (i + ku).min(n - 1);
            let row = &self.data[i * w + lo + kl - i..i * w + hi + kl - i + 1];
            out[i] = dot(row, &x[lo..=hi]);
        }
    }

    /// Factor in place into `L U` (`L` unit lower, stored below the diagonal; `U` on and
    /// above it), without pivoting. The matrix must be an M-matrix (positive diagonal,
    /// non-positive off-diagonal entries) whose column `j` sums to `loss[j] >= 0`; the
    /// diagonal as stored is ignored and the pivots are computed from `loss` (GTH, see
    /// the module documentation). Returns the index of a zero or non-finite pivot.
    pub fn factor(mut self, loss: &[f64]) -> Result<BandLu, usize> {
        let mut loss = loss.to_vec();
        simd(|| factor_kernel(&mut self, &mut loss))?;
        Ok(BandLu { band: self })
    }
}

/// Run `f` compiled for AVX2 and FMA when the CPU has them (the crate is built for
/// baseline x86-64, i.e. SSE2): the band updates are axpys of length `ku` and short dot
/// products that the compiler then vectorises 4-wide, about twice as fast.
#[inline(always)]
fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features `run` is compiled for.
            return unsafe { run(f) };
        }
    }
    f()
}

#[inline(always)]
fn factor_kernel(band: &mut Band, loss: &mut [f64]) -> Result<(), usize> {
    let (n, kl, ku, w) = (band.n, band.kl, band.ku, band.width);
    let d = &mut band.data;
    for k in 0..n {
        // GTH pivot: loss of column k in the current Schur complement plus its outflow to
        // the rows not yet eliminated
        let mut piv = loss[k];
        for i in k + 1..=(k + kl).min(n - 1) {
            piv -= d[i * w + k + kl - i];
        }
        d[k * w + kl] = piv;
        if piv == 0.0 || !piv.is_finite() {
            return Err(k);
        }
        let inv = 1.0 / piv;
        let last_col = (k + ku).min(n - 1);
        let len = last_col - k; // columns k+1..=last_col
        // eliminating k passes its loss on to the columns it feeds: l_j += l_k |a_kj| / p_k
        if loss[k] != 0.0 {
            let f = loss[k] * inv;
            for (j, &a) in (k + 1..=last_col).zip(&d[k * w + kl + 1..k * w + kl + 1 + len]) {
                loss[j] -= f * a;
            }
        }
        let (head, tail) = d.split_at_mut((k + 1) * w);
        let row_k = &head[k * w + kl + 1..k * w + kl + 1 + len];
        for i in k + 1..=(k + kl).min(n - 1) {
            let base = (i - k - 1) * w; // row i inside `tail`
            let at = base + k + kl - i;
            let l = tail[at] * inv;
            tail[at] = l;
            if l != 0.0 {
                for (x, &u) in tail[at + 1..at + 1 + len].iter_mut().zip(row_k) {
                    *x -= l * u;
                }
            }
        }
    }
    Ok(())
}

/// `sum a_i b_i` with four independent accumulators (a single running sum is bound by
/// the add latency; the short rows here make that the main cost of the substitutions).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..4 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

/// The factors of a [`Band`] matrix.
#[derive(Clone, Debug)]
pub(crate) struct BandLu {
    band: Band,
}

impl BandLu {
    /// Solve `U^T z = w` for several right-hand sides at once (each `w[r]` of length `n`,
    /// overwritten by `z[r]`). Because `U^T` is lower triangular, `z[..m]` solves the
    /// leading `m x m` block for every `m`.
    pub fn solve_ut_in_place<const R: usize>(&self, w: &mut [Vec<f64>; R]) {
        simd(|| self.solve_ut_kernel(w))
    }

    #[inline(always)]
    fn solve_ut_kernel<const R: usize>(&self, w: &mut [Vec<f64>; R]) {
        let Band {
            n,
            kl,
            ku,
            width,
            ref data,
        } = self.band;
        for i in 0..n {
            let row = &data[i * width + kl..i * width + kl + 1 + ku.min(n - 1 - i)];
            for rhs in w.iter_mut() {
                let zi = rhs[i] / row[0];
                rhs[i] = zi;
                if zi != 0.0 {
                    for (x, &u) in rhs[i + 1..i + row.len()].iter_mut().zip(&row[1..]) {
                        *x -= u * zi;
                    }
                }
            }
        }
    }

    /// Solve `A x = b` on the whole matrix, in place (`b` of length `n` becomes `x`).
    pub fn solve_in_place(&self, b: &mut [f64]) {
        simd(|| self.solve_kernel(b))
    }

    #[inline(always)]
    fn solve_kernel(&self, b: &mut [f64]) {
        let Band {
            n,
            kl,
            ku,
            width,
            ref data,
        } = self.band;
        for i in 0..n {
            let lo = i.saturating_sub(kl);
            let row = &data[i * width + kl - (i - lo)..i * width + kl];
            let acc = dot(row, &b[lo..i]);
            b[i] -= acc;
        }
        for i in (0..n).rev() {
            let hi = ku.min(n - 1 - i);
            let row = &data[i * width + kl..i * width + kl + 1 + hi];
            let acc = dot(&row[1..], &b[i + 1..i + 1 + hi]);
            b[i] = (b[i] - acc) / row[0];
        }
    }

    /// Forward substitution `L y = s` on the leading `m x m` block for a right-hand side
    /// that vanishes before row `start`: `y[start..m]` is written to `out` (cleared first),
    /// `s` is given as `(row, value)` pairs with rows `>= start`.
    pub fn solve_l_from(&self, start: usize, m: usize, s: &[(usize, f64)], out: &mut Vec<f64>) {
        simd(|| self.solve_l_kernel(start, m, s, out))
    }

    #[inline(always)]
    fn solve_l_kernel(&self, start: usize, m: usize, s: &[(usize, f64)], out: &mut Vec<f64>) {
        let Band {
            kl,
            width,
            ref data,
            ..
        } = self.band;
        out.clear();
        out.resize(m - start, 0.0);
        for &(r, v) in s {
            if r < m {
                out[r - start] += v;
            }
        }
        for i in start..m {
            let lo = i.saturating_sub(kl).max(start);
            let row = &data[i * width + kl - (i - lo)..i * width + kl];
            let acc = dot(row, &out[lo - start..i - start]);
            out[i - start] -= acc;
        }
    }

    /// Back substitution `U p = y` on the leading `m x m` block, but only for the top
    /// `count` rows `m - count..m` (they depend on `y` only through those rows):
    /// returns `p[m - count..m]`. `y` holds rows `start..m`.
    pub fn solve_u_top(&self, start: usize, m: usize, y: &[f64], count: usize) -> Vec<f64> {
        let Band {
            kl,
            width,
            ref data,
            ..
        } = self.band;
        let first = m.saturating_sub(count).max(start);
        let mut p = vec![0.0; m - first];
        for i in (first..m).rev() {
            let row = &data[i * width + kl..i * width + kl + 1 + (self.band.ku).min(m - 1 - i)];
            let acc = dot(&row[1..], &p[i + 1 - first..]);
            p[i - first] = (y[i - start] - acc) / row[0];
        }
        p
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    /// Dense reference: solve A x = b by Gaussian elimination with partial pivoting.
    fn dense_solve(a: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
        let n = b.len();
        let mut m: Vec<Vec<f64>> = a.to_vec();
        let mut x = b.to_vec();
        for k in 0..n {
            let p = (k..n)
                .max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs()))
                .unwrap();
            m.swap(k, p);
            x.swap(k, p);
            for i in k + 1..n {
                let l = m[i][k] / m[k][k];
                for j in k..n {
                    m[i][j] -= l * m[k][j];
                }
                x[i] -= l * x[k];
            }
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| m[i][j] * x[j]).sum();
            x[i] = (x[i] - s) / m[i][i];
        }
        x
    }

    #[test]
    fn leading_blocks_and_transposed_solves_match_dense() {
        let (n, kl, ku) = (40, 3, 7);
        let mut band = Band::zeros(n, kl, ku);
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut loss = vec![0.0; n];
        for j in 0..n {
            let mut col = 0.0;
            for i in j.saturating_sub(ku)..(j + kl + 1).min(n) {
                if i != j {
                    let v = rnd();
                    band.add(i, j, -v);
                    col += v;
                }
            }
            loss[j] = if j % 3 == 0 { 0.1 + rnd() } else { 0.0 };
            band.add(j, j, col + loss[j]);
        }
        let dense: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| band.get(i, j)).collect())
            .collect();
        // matvec against the dense product, the full solve against the dense solve
        let xs: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut ax = vec![0.0; n];
        band.matvec(&xs, &mut ax);
        for i in 0..n {
            let d: f64 = (0..n).map(|j| dense[i][j] * xs[j]).sum();
            assert!((ax[i] - d).abs() < 1e-13 * (1.0 + d.abs()));
        }
        let lu = band.factor(&loss).unwrap();
        let mut sol = ax.clone();
        lu.solve_in_place(&mut sol);
        let reference = dense_solve(&dense, &ax);
        for (a, b) in sol.iter().zip(&reference) {
            assert!((a - b).abs() < 1e-11 * (1.0 + b.abs()), "{a} vs {b}");
        }
        let mut z = [vec![1.0; n]];
        lu.solve_ut_in_place(&mut z);
        for m in [n, 25, 12] {
            let start = 5;
            let src = [(start, 0.7), (start + 1, 0.3)];
            let mut y = Vec::new();
            lu.solve_l_from(start, m, &src, &mut y);
            let top = lu.solve_u_top(start, m, &y, 4);
            let a: Vec<Vec<f64>> = dense[..m].iter().map(|r| r[..m].to_vec()).collect();
            let mut b = vec![0.0; m];
            b[start] = 0.7;
            b[start + 1] = 0.3;
            let x = dense_solve(&a, &b);
            let total: f64 = x.iter().sum();
            let via_z: f64 = z[0][start..m].iter().zip(&y).map(|(a, b)| a * b).sum();
            assert!(
                (total - via_z).abs() < 1e-12 * total.abs(),
                "m={m}: {total} vs {via_z}"
            );
            for (k, &v) in top.iter().enumerate() {
                assert!((v - x[m - 4 + k]).abs() < 1e-12 * (1.0 + v.abs()));
            }
        }
    }
}
