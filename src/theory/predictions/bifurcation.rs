//! Where the trivial latent fixed point `kappa = 0` loses stability as the overlap
//! `Sigma^{nm}` grows (docs/theory.md 2.4-2.5; section 4 for the Mastrogiuseppe-Ostojic check).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::mode::FastMode;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::theory::stationary::{Limit, State};

/// The bifurcation of `kappa = 0` under `Sigma_B^{nm} -> lambda Sigma_B^{nm}` (all `B`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bifurcation {
    /// Mode of the fast variables.
    pub mode: String,
    /// `lambda*`: `kappa = 0` is stable for `lambda < lambda*` and loses stability at it.
    pub scale: f64,
    /// `dF/dkappa` at `kappa = 0, s = 0` for the Model as given (`lambda = 1`):
    /// `sum_B c_B tau_m,B gain_B Sigma_B^{nm}` (dimensionless, row-major).
    pub jacobian: Vec<Vec<f64>>,
    /// Its eigenvalue of largest real part `[re, im]`; `im != 0` means the instability at
    /// `lambda*` is oscillatory (a Hopf bifurcation of the latent dynamics).
    pub leading_eigenvalue: [f64; 2],
    /// `gain_B` at `kappa = 0` (Hz/mV).
    pub gains_hz_per_mv: Vec<f64>,
    /// `lambda* Sigma_B^{nm}` per population (mV).
    pub sigma_nm_star: Vec<Vec<Vec<f64>>>,
    /// Largest `|corr(n_d, m_e)|` that `lambda* Sigma^{nm}` implies, over populations.
    pub nm_correlation_star: f64,
    /// Whether Gaussian loadings can realise `lambda* Sigma^{nm}` with the Model's
    /// `Sigma^{mm}` and `Sigma^{nn}` (the joint `(m, n)` covariance stays positive
    /// semi-definite). If not, the mean-field equations still bifurcate there, but no network
    /// with these loading variances does.
    pub realizable: bool,
    /// The fast state at `kappa = 0`, `s = 0`.
    pub state: State,
}

/// The factor `lambda*` by which every `Sigma_B^{nm}` must be multiplied for the trivial
/// fixed point `kappa = 0` (at `s = 0`) to lose stability, with the fast variables closed by
/// `mode` (docs/theory.md 2.4-2.5): `lambda* = 1 / max Re eig(J)` with
/// `J = dF/dkappa|_{kappa=0} = sum_B c_B tau_m,B gain_B(0) Sigma_B^{nm}`.
///
/// Why this is exact: `kappa = 0` is a fixed point for every `lambda` only if `nbar_B = 0`
/// (checked: otherwise `F(0) = sum_B c_B nbar_B nu_B != 0`). With `nbar = 0` and `s = 0`,
/// `dF/dkappa` at 0 is `sum_B c_B [tau_m,B Sigma^{nm} gain_B + (tau_m,B Sigma^{nm} kappa) dgain_B/dkappa]`
/// and the second term vanishes at `kappa = 0`, so the implicit dependence of `mu_A`, `q_A`,
/// `nu_A` on `kappa` (docs/theory.md 2.5) drops out. The fast state at `kappa = 0` depends on the
/// loadings only through `M_A`, `Delta_A` (docs/theory.md 2.3), i.e. through `mbar`, `Sigma^{mm}`,
/// `Sigma^{mw}`, `Sigma^{ww}`, never through `Sigma^{nm}`; so `J(lambda) = lambda J(1)` and the
/// eigenvalues of `(-I + lambda J)/tau_s` cross zero at `lambda*`. `Sigma^{nw}` only acts
/// through `s`, which is 0 here.
pub fn bifurcation(model: &Model, mode: &FastMode) -> Result<Bifurcation> {
    let Some(lat) = &model.latent else {
        return Err(Error::invalid(
            "latent",
            "none",
            "a bifurcation of kappa needs latent structure (D >= 1)",
        ));
    };
    let d = lat.d;
    if d == 0 {
        return Err(Error::invalid(
            "latent.d",
            0,
            "a bifurcation of kappa needs D >= 1",
        ));
    }
    for (b, l) in lat.loadings.iter().enumerate() {
        if let Some(v) = l.nbar.iter().find(|v| **v != 0.0) {
            return Err(Error::invalid(
                format!("latent.loadings[{b}].nbar"),
                v,
                "kappa = 0 is a fixed point for every Sigma^{nm} scale only if nbar = 0",
            ));
        }
    }
    let zero_k = vec![0.0; d];
    let zero_s = vec![0.0; lat.d_in];
    let state = mode.solve(model, &zero_k, &zero_s, None)?;
    let gains = state.gains();
    if let Some((b, g)) = gains.iter().enumerate().find(|(_, g)| !g.is_finite()) {
        return Err(Error::Domain(format!(
            "gain of population {b} at kappa = 0 is not finite ({g})"
        )));
    }
    let mut j = DMatrix::zeros(d, d);
    for (b, l) in lat.loadings.iter().enumerate() {
        let w = model.populations[b].c * model.populations[b].tau_m * gains[b];
        for r in 0..d {
            for c in 0..d {
                j[(r, c)] += w * l.sigma_nm[r][c];
            }
        }
    }
    let lead: [f64; 2] = j
        .complex_eigenvalues()
        .iter()
        .map(|c: &nalgebra::Complex<f64>| [c.re, c.im])
        .max_by(|x: &[f64; 2], y: &[f64; 2]| x[0].total_cmp(&y[0]))
        .unwrap_or([0.0, 0.0]);
    if lead[0].is_nan() || lead[0] <= 0.0 {
        return Err(Error::Domain(format!(
            "no bifurcation for a positive scale of Sigma^{{nm}}: the largest real part of dF/dkappa at kappa = 0 is {:.4e} ({})",
            lead[0],
            mode.label()
        )));
    }
    let scale = 1.0 / lead[0];
    let mut realizable = true;
    let mut corr_max = 0.0f64;
    let sigma_nm_star = lat
        .loadings
        .iter()
        .map(|l| {
            let mut joint = DMatrix::zeros(2 * d, 2 * d);
            for r in 0..d {
                for c in 0..d {
                    joint[(r, c)] = l.sigma_mm[r][c];
                    joint[(d + r, d + c)] = l.sigma_nn[r][c];
                    joint[(d + r, c)] = scale * l.sigma_nm[r][c];
                    joint[(c, d + r)] = scale * l.sigma_nm[r][c];
                    let den = (l.sigma_nn[r][r] * l.sigma_mm[c][c]).sqrt();
                    if l.sigma_nm[r][c] != 0.0 {
                        corr_max = corr_max.max(if den > 0.0 {
                            (scale * l.sigma_nm[r][c]).abs() / den
                        } else {
                            f64::INFINITY
                        });
                    }
                }
            }
            let size = joint
                .diagonal()
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()))
                .max(1e-300);
            if joint
                .symmetric_eigen()
                .eigenvalues
                .iter()
                .any(|&e| e < -1e-9 * size)
            {
                realizable = false;
            }
            l.sigma_nm
                .iter()
                .map(|row| row.iter().map(|v| scale * v).collect())
                .collect()
        })
        .collect();
    Ok(Bifurcation {
        mode: mode.label(),
        scale,
        jacobian: (0..d)
            .map(|r| (0..d).map(|c| j[(r, c)]).collect())
            .collect(),
        leading_eigenvalue: lead,
        gains_hz_per_mv: gains,
        sigma_nm_star,
        nm_correlation_star: corr_max,
        realizable,
        state,
    })
}

/// `lambda*` of [`bifurcation`] with the network's own closure in `limit` (docs/theory.md 2.4):
/// the rank-one bifurcation of the default model is at `lambda* Sigma^{nm}`.
pub fn bifurcation_scale(model: &Model, limit: Limit) -> Result<f64> {
    Ok(bifurcation(model, &FastMode::network(limit))?.scale)
}
