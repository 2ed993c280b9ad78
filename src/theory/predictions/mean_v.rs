//! Coherent mean-potential shifts (docs/theory.md 2.6.1): in the balanced limit `mu_A` and the
//! population mean membrane potential `<V>_A` move with the latent state while `nu_A` does
//! not. The per-state `<V>_A` is `PopulationState::mean_v_mv`; here are its changes
//! between states and its slope along a path of states.

use serde::{Deserialize, Serialize};

use super::mode::{FastMode, solve_path};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::theory::check_dims;
use crate::theory::dynamics::Trajectory;
use crate::theory::stationary::{Limit, State};

fn limit_label(limit: Limit) -> String {
    match limit {
        Limit::Finite => "finite K".into(),
        Limit::Balanced => "balanced limit".into(),
    }
}

/// Changes of one population between two states (b minus a). Units in the names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShiftPopulation {
    /// Population name.
    pub name: String,
    /// `Delta mu_A` (mV).
    pub delta_mu_mv: f64,
    /// `Delta <V>_A` (mV), docs/theory.md 2.6.1.
    pub delta_mean_v_mv: f64,
    /// `Delta nu_A` (Hz): zero in the balanced limit.
    pub delta_rate_hz: f64,
    /// `Delta M_A` (mV): change of the population mean input.
    pub delta_mean_input_mv: f64,
    /// `Delta mu_A / |Delta kappa|` (mV/Hz) along `kappa_b - kappa_a`; `None` if kappa is unchanged.
    pub dmu_dkappa_mv_per_hz: Option<f64>,
    /// `Delta <V>_A / |Delta kappa|` (mV/Hz); `None` if kappa is unchanged.
    pub dv_dkappa_mv_per_hz: Option<f64>,
}

/// The coherent shift between two latent states (docs/theory.md 2.6.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoherentShift {
    /// Mode of the states.
    pub mode: String,
    /// Latent state a (Hz).
    pub kappa_a: Vec<f64>,
    /// Input in state a (dimensionless).
    pub s_a: Vec<f64>,
    /// Latent state b (Hz).
    pub kappa_b: Vec<f64>,
    /// Input in state b (dimensionless).
    pub s_b: Vec<f64>,
    /// Per population, in Model order.
    pub populations: Vec<ShiftPopulation>,
}

/// The shift of `mu_A`, `<V>_A`, `nu_A` and `M_A` from state `a` to state `b`
/// (docs/theory.md 2.6.1), both solved already (same Model); the mode is read from `a.limit`.
pub fn coherent_shift_states(a: &State, b: &State) -> Result<CoherentShift> {
    shift_with_label(limit_label(a.limit), a, b)
}

fn shift_with_label(mode: String, a: &State, b: &State) -> Result<CoherentShift> {
    if a.populations.len() != b.populations.len() || a.kappa.len() != b.kappa.len() {
        return Err(Error::invalid(
            "state_b",
            "",
            "the two states must belong to the same Model",
        ));
    }
    if a.limit != b.limit {
        return Err(Error::invalid(
            "state_b.limit",
            b.limit,
            format!("must match state_a.limit = {}", a.limit),
        ));
    }
    let dk = a
        .kappa
        .iter()
        .zip(&b.kappa)
        .map(|(x, y)| (y - x).powi(2))
        .sum::<f64>()
        .sqrt();
    let slope = |d: f64| (dk > 0.0).then(|| d / dk);
    let populations = a
        .populations
        .iter()
        .zip(&b.populations)
        .map(|(pa, pb)| ShiftPopulation {
            name: pa.name.clone(),
            delta_mu_mv: pb.mu_mv - pa.mu_mv,
            delta_mean_v_mv: pb.mean_v_mv - pa.mean_v_mv,
            delta_rate_hz: pb.rate_hz - pa.rate_hz,
            delta_mean_input_mv: pb.mean_input_mv - pa.mean_input_mv,
            dmu_dkappa_mv_per_hz: slope(pb.mu_mv - pa.mu_mv),
            dv_dkappa_mv_per_hz: slope(pb.mean_v_mv - pa.mean_v_mv),
        })
        .collect();
    Ok(CoherentShift {
        mode,
        kappa_a: a.kappa.clone(),
        s_a: a.s.clone(),
        kappa_b: b.kappa.clone(),
        s_b: b.s.clone(),
        populations,
    })
}

/// Solve the fast variables at `(kappa_a, s_a)` and `(kappa_b, s_b)` in `mode` and report the
/// coherent shift between them (docs/theory.md 2.6.1).
pub fn coherent_shift(
    model: &Model,
    mode: &FastMode,
    kappa_a: &[f64],
    s_a: &[f64],
    kappa_b: &[f64],
    s_b: &[f64],
) -> Result<CoherentShift> {
    let a = mode.solve(model, kappa_a, s_a, None)?;
    let b = mode.solve(model, kappa_b, s_b, Some(&a))?;
    shift_with_label(mode.label(), &a, &b)
}

/// `mu_A`, `<V>_A`, `nu_A` along a path of states and their slopes with respect to the path
/// coordinate. Units in the names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlopePopulation {
    /// Population name.
    pub name: String,
    /// `mu_A` at each path point (mV).
    pub mu_mv: Vec<f64>,
    /// `<V>_A` at each path point (mV), docs/theory.md 2.6.1.
    pub mean_v_mv: Vec<f64>,
    /// `nu_A` at each path point (Hz).
    pub rate_hz: Vec<f64>,
    /// `d mu_A / d kappa` (mV/Hz); `None` where the coordinate does not move.
    pub dmu_dkappa_mv_per_hz: Vec<Option<f64>>,
    /// `d <V>_A / d kappa` (mV/Hz); `None` where the coordinate does not move.
    pub dv_dkappa_mv_per_hz: Vec<Option<f64>>,
}

/// Coherent slopes along a path (docs/theory.md 2.6.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoherentSlopes {
    /// Mode of the fast variables (every number names its mode).
    pub mode: String,
    /// Path coordinate (Hz): `kappa` for `D = 1`, the arc length of `kappa` otherwise.
    pub coordinate: Vec<f64>,
    /// Per population, in Model order.
    pub populations: Vec<SlopePopulation>,
}

/// Path coordinate (Hz): `kappa` itself for `D = 1`, the arc length otherwise.
pub(crate) fn path_coordinate(kappas: &[Vec<f64>]) -> Vec<f64> {
    if kappas.first().is_some_and(|k| k.len() == 1) {
        return kappas.iter().map(|k| k[0]).collect();
    }
    let mut c = vec![0.0];
    for w in kappas.windows(2) {
        let d = w[0]
            .iter()
            .zip(&w[1])
            .map(|(x, y)| (y - x).powi(2))
            .sum::<f64>()
            .sqrt();
        c.push(c.last().copied().unwrap_or(0.0) + d);
    }
    c
}

/// Derivative of `y` with respect to `x` at every point: the three-point formula for
/// non-uniform spacing inside, one-sided at the ends; `None` where neighbours coincide.
fn derivative(x: &[f64], y: &[f64]) -> Vec<Option<f64>> {
    let n = x.len();
    let tiny = 1e-12 * (1.0 + x.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    (0..n)
        .map(|i| {
            if n < 2 {
                return None;
            }
            if i == 0 || i == n - 1 {
                let (j, k) = if i == 0 { (0, 1) } else { (n - 2, n - 1) };
                let h = x[k] - x[j];
                return (h.abs() > tiny).then(|| (y[k] - y[j]) / h);
            }
            let (h1, h2) = (x[i] - x[i - 1], x[i + 1] - x[i]);
            if h1.abs() <= tiny || h2.abs() <= tiny || (h1 + h2).abs() <= tiny {
                return None;
            }
            Some(
                -h2 / (h1 * (h1 + h2)) * y[i - 1]
                    + (h2 - h1) / (h1 * h2) * y[i]
                    + h1 / (h2 * (h1 + h2)) * y[i + 1],
            )
        })
        .collect()
}

/// `(name, mu_A, <V>_A, nu_A)` along a path.
type PopulationSeries = (String, Vec<f64>, Vec<f64>, Vec<f64>);

fn slopes(mode: String, kappas: &[Vec<f64>], pops: Vec<PopulationSeries>) -> CoherentSlopes {
    let coordinate = path_coordinate(kappas);
    let populations = pops
        .into_iter()
        .map(|(name, mu, v, nu)| SlopePopulation {
            name,
            dmu_dkappa_mv_per_hz: derivative(&coordinate, &mu),
            dv_dkappa_mv_per_hz: derivative(&coordinate, &v),
            mu_mv: mu,
            mean_v_mv: v,
            rate_hz: nu,
        })
        .collect();
    CoherentSlopes {
        mode,
        coordinate,
        populations,
    }
}

/// Slopes of `mu_A` and `<V>_A` with respect to `kappa` along a path of solved states, e.g.
/// a family of fixed points (docs/theory.md 2.6.1), by finite differences.
pub fn coherent_slopes(states: &[State]) -> Result<CoherentSlopes> {
    let Some(first) = states.first() else {
        return Err(Error::invalid("states", "[]", "needs at least one state"));
    };
    let p = first.populations.len();
    if states
        .iter()
        .any(|s| s.populations.len() != p || s.kappa.len() != first.kappa.len())
    {
        return Err(Error::invalid(
            "states",
            states.len(),
            "all states must belong to the same Model",
        ));
    }
    let kappas: Vec<Vec<f64>> = states.iter().map(|s| s.kappa.clone()).collect();
    let pops = (0..p)
        .map(|a| {
            let col = |f: fn(&crate::theory::stationary::PopulationState) -> f64| -> Vec<f64> {
                states.iter().map(|s| f(&s.populations[a])).collect()
            };
            (
                first.populations[a].name.clone(),
                col(|p| p.mu_mv),
                col(|p| p.mean_v_mv),
                col(|p| p.rate_hz),
            )
        })
        .collect();
    Ok(slopes(limit_label(first.limit), &kappas, pops))
}

/// Solve the fast variables in `mode` along a path of latent states `path[l]` at input `s`
/// (by continuation from the state closest to `kappa = 0`) and report the slopes of `mu_A`
/// and `<V>_A` with respect to `kappa` (docs/theory.md 2.6.1).
pub fn coherent_path(
    model: &Model,
    mode: &FastMode,
    path: &[Vec<f64>],
    s: &[f64],
) -> Result<CoherentSlopes> {
    if path.is_empty() {
        return Err(Error::invalid(
            "path",
            "[]",
            "needs at least one latent state",
        ));
    }
    for k in path {
        check_dims(model, k, s)?;
    }
    let states = solve_path(model, mode, path, s)?;
    let mut out = coherent_slopes(&states)?;
    out.mode = mode.label();
    Ok(out)
}

/// Slopes of `mu_A` and `<V>_A` with respect to `kappa` along a latent trajectory of
/// docs/theory.md 2.5 (docs/theory.md 2.6.1); `None` while `kappa` does not move.
pub fn coherent_slopes_trajectory(traj: &Trajectory) -> Result<CoherentSlopes> {
    if traj.t.is_empty() {
        return Err(Error::invalid(
            "trajectory",
            "empty",
            "needs at least one output time",
        ));
    }
    let pops = traj
        .populations
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.mu_mv.clone(),
                p.mean_v_mv.clone(),
                p.rate_hz.clone(),
            )
        })
        .collect();
    Ok(slopes(limit_label(traj.limit), &traj.kappa, pops))
}

#[cfg(test)]
mod tests {
    use super::derivative;

    #[test]
    fn three_point_derivative_is_exact_for_quadratics() {
        let x = [0.0, 0.3, 1.0, 1.2, 2.5];
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v - 0.5 * v * v).collect();
        let d = derivative(&x, &y);
        for i in 1..4 {
            assert!((d[i].unwrap() - (2.0 - x[i])).abs() < 1e-12);
        }
        assert_eq!(derivative(&[1.0, 1.0], &[0.0, 1.0])[0], None);
    }
}
