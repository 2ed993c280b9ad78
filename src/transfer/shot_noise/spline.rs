//! Cubic interpolation on a uniform grid: a C2 spline (end slopes from the cubic through
//! the first / last four nodes), optionally made monotone by the Fritsch-Carlson
//! limiter, which touches only the intervals where the spline would not be monotone.

/// Piecewise cubic Hermite interpolant on the nodes `x0 + k dx`.
#[derive(Clone, Debug)]
pub(crate) struct UniformSpline {
    x0: f64,
    dx: f64,
    y: Vec<f64>,
    /// Slopes dy/dx at the nodes.
    s: Vec<f64>,
    /// Number of intervals the monotone limiter changed.
    pub limited: usize,
}

impl UniformSpline {
    /// The C2 cubic spline through `y` (at least 4 nodes). With `monotone`, data that are
    /// non-decreasing give a non-decreasing interpolant.
    pub fn new(x0: f64, dx: f64, y: Vec<f64>, monotone: bool) -> Self {
        let n = y.len();
        assert!(n >= 4, "a cubic spline needs at least 4 nodes");
        let h = dx;
        // end slopes: derivative of the cubic through four end nodes (third order)
        let s0 = (-11.0 * y[0] + 18.0 * y[1] - 9.0 * y[2] + 2.0 * y[3]) / (6.0 * h);
        let sn = (11.0 * y[n - 1] - 18.0 * y[n - 2] + 9.0 * y[n - 3] - 2.0 * y[n - 4]) / (6.0 * h);
        // interior: s_{k-1} + 4 s_k + s_{k+1} = 3 (y_{k+1} - y_{k-1}) / h (Thomas algorithm)
        let mut s = vec![0.0; n];
        s[0] = s0;
        s[n - 1] = sn;
        if n > 2 {
            let m = n - 2;
            let mut c = vec![0.0; m];
            let mut d = vec![0.0; m];
            for k in 0..m {
                let i = k + 1;
                let mut rhs = 3.0 * (y[i + 1] - y[i - 1]) / h;
                if i == 1 {
                    rhs -= s0;
                }
                if i == n - 2 {
                    rhs -= sn;
                }
                let denom = if k == 0 { 4.0 } else { 4.0 - c[k - 1] };
                c[k] = 1.0 / denom;
                d[k] = if k == 0 {
                    rhs / denom
                } else {
                    (rhs - d[k - 1]) / denom
                };
            }
            for k in (0..m).rev() {
                s[k + 1] = if k == m - 1 {
                    d[k]
                } else {
                    d[k] - c[k] * s[k + 2]
                };
            }
        }
        let mut limited = 0;
        if monotone {
            for k in 0..n - 1 {
                let delta = (y[k + 1] - y[k]) / h;
                if delta <= 0.0 {
                    if s[k] != 0.0 || s[k + 1] != 0.0 {
                        limited += 1;
                    }
                    s[k] = 0.0;
                    s[k + 1] = 0.0;
                    continue;
                }
                let (mut a, mut b) = (s[k] / delta, s[k + 1] / delta);
                let mut changed = false;
                if a < 0.0 {
                    a = 0.0;
                    changed = true;
                }
                if b < 0.0 {
                    b = 0.0;
                    changed = true;
                }
                let r2 = a * a + b * b;
                if r2 > 9.0 {
                    let t = 3.0 / r2.sqrt();
                    a *= t;
                    b *= t;
                    changed = true;
                }
                if changed {
                    limited += 1;
                    s[k] = a * delta;
                    s[k + 1] = b * delta;
                }
            }
        }
        UniformSpline {
            x0,
            dx,
            y,
            s,
            limited,
        }
    }

    pub fn x_min(&self) -> f64 {
        self.x0
    }

    pub fn x_max(&self) -> f64 {
        self.x0 + (self.y.len() - 1) as f64 * self.dx
    }

    /// Interval index and local coordinate `t in [0, 1]` of `x` (clamped to the grid).
    fn locate(&self, x: f64) -> (usize, f64) {
        let r = ((x - self.x0) / self.dx).max(0.0);
        let k = (r.floor() as usize).min(self.y.len() - 2);
        (k, (r - k as f64).min(1.0))
    }

    /// Value and derivative at `x` (inside `[x_min, x_max]`).
    pub fn eval(&self, x: f64) -> (f64, f64) {
        let (k, t) = self.locate(x);
        let h = self.dx;
        let (y0, y1, m0, m1) = (self.y[k], self.y[k + 1], self.s[k] * h, self.s[k + 1] * h);
        let t2 = t * t;
        let t3 = t2 * t;
        let v = (2.0 * t3 - 3.0 * t2 + 1.0) * y0
            + (t3 - 2.0 * t2 + t) * m0
            + (-2.0 * t3 + 3.0 * t2) * y1
            + (t3 - t2) * m1;
        let d = ((6.0 * t2 - 6.0 * t) * y0
            + (3.0 * t2 - 4.0 * t + 1.0) * m0
            + (-6.0 * t2 + 6.0 * t) * y1
            + (3.0 * t2 - 2.0 * t) * m1)
            / h;
        (v, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_cubics_and_converges() {
        let f = |x: f64| 0.3 * x * x * x - x * x + 2.0 * x - 1.0;
        let sp = UniformSpline::new(
            -1.0,
            0.5,
            (0..9).map(|k| f(-1.0 + 0.5 * k as f64)).collect(),
            false,
        );
        for i in 0..=80 {
            let x = -1.0 + 4.0 * i as f64 / 80.0;
            assert!((sp.eval(x).0 - f(x)).abs() < 1e-12);
            assert!((sp.eval(x).1 - (0.9 * x * x - 2.0 * x + 2.0)).abs() < 1e-11);
        }
        let err = |dx: f64| {
            let n = (3.0 / dx) as usize + 1;
            let sp = UniformSpline::new(
                0.0,
                dx,
                (0..n).map(|k| (k as f64 * dx).sin()).collect(),
                false,
            );
            (0..=300)
                .map(|i| 3.0 * i as f64 / 300.0)
                .map(|x| (sp.eval(x).0 - x.sin()).abs())
                .fold(0.0, f64::max)
        };
        let (e1, e2) = (err(0.1), err(0.05));
        assert!(e1 / e2 > 12.0, "fourth order expected: {e1} {e2}");
    }
}
