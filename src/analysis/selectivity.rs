//! Single-neuron selectivity (docs/theory.md 11.1-11.2): the two-way ANOVA with
//! interaction over two task variables (nonlinear mixed selectivity, Rigotti et al. 2013)
//! and the shape of tuning over one ordered variable (tuned, non-monotonic, asymmetric).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, FisherSnedecor, StudentsT};

use super::{Factorial, Responses, check_alpha};
use crate::error::{Error, Result};

/// Rigotti et al. (2013) classes of a neuron from its two-way ANOVA (docs/theory.md 11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectivityClass {
    /// No significant term.
    NonSelective,
    /// Only the main effect of A is significant.
    PureA,
    /// Only the main effect of B is significant.
    PureB,
    /// Both main effects, no interaction.
    LinearMixed,
    /// Significant interaction (whatever the main effects).
    NonlinearMixed,
}

/// One term of the ANOVA: `F`, its degrees of freedom and the p-value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FTest {
    /// The `F` statistic (`inf` for a non-zero effect without trial noise).
    pub f: f64,
    /// Numerator degrees of freedom.
    pub df: usize,
    /// `P(F(df, df_error) > f)`.
    pub p: f64,
}

/// The two-way ANOVA of one neuron (docs/theory.md 11.1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnovaNeuron {
    /// Main effect of A (type II: A after B).
    pub a: FTest,
    /// Main effect of B (type II: B after A).
    pub b: FTest,
    /// Interaction A x B (after both main effects).
    pub ab: FTest,
    /// Residual degrees of freedom `n_trials - levels_a levels_b`.
    pub df_error: usize,
    /// Class at the chosen `alpha`.
    pub class: SelectivityClass,
}

/// Two-way ANOVA of a population (docs/theory.md 11.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnovaSummary {
    /// Significance level.
    pub alpha: f64,
    /// Per neuron.
    pub neurons: Vec<AnovaNeuron>,
    /// Fraction of neurons with a significant interaction (nonlinear mixed selectivity).
    pub fraction_interaction: f64,
    /// Fraction with a significant main effect of A.
    pub fraction_a: f64,
    /// Fraction with a significant main effect of B.
    pub fraction_b: f64,
    /// Fractions of the classes [`SelectivityClass`]: non-selective, pure (A or B), linear
    /// mixed, nonlinear mixed.
    pub fraction_non_selective: f64,
    /// Pure selectivity (one main effect, no interaction).
    pub fraction_pure: f64,
    /// Linear mixed selectivity (both main effects, no interaction).
    pub fraction_linear_mixed: f64,
    /// Nonlinear mixed selectivity (= `fraction_interaction`).
    pub fraction_nonlinear_mixed: f64,
}

/// Per-cell means, the within-cell sum of squares and the total sum of squares of one
/// neuron's trial responses (`n_obs` trials in all).
fn cell_sums(nrn: &[Vec<f64>], n_obs: usize) -> (Vec<f64>, f64, f64) {
    let means: Vec<f64> = nrn
        .iter()
        .map(|t| t.iter().sum::<f64>() / t.len() as f64)
        .collect();
    let within: f64 = nrn
        .iter()
        .zip(&means)
        .map(|(t, m)| t.iter().map(|v| (v - m).powi(2)).sum::<f64>())
        .sum();
    let grand = nrn.iter().flatten().sum::<f64>() / n_obs as f64;
    let total: f64 = nrn.iter().flatten().map(|v| (v - grand).powi(2)).sum();
    (means, within, total)
}

/// Weighted least squares of cell means: residual sum of squares of the fit of `y`
/// (weights `w`) by the columns of `x`.
fn wls_rss(x: &DMatrix<f64>, y: &[f64], w: &[f64]) -> f64 {
    let n = y.len();
    let sw: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    let xs = DMatrix::from_fn(n, x.ncols(), |i, j| x[(i, j)] * sw[i]);
    let ys = DVector::from_iterator(n, (0..n).map(|i| y[i] * sw[i]));
    let svd = xs.clone().svd(true, true);
    let beta = svd
        .solve(&ys, 1e-12)
        .unwrap_or_else(|_| DVector::zeros(x.ncols()));
    let fit = &xs * beta;
    (0..n).map(|i| (ys[i] - fit[i]).powi(2)).sum()
}

fn f_test(ss: f64, df: usize, mse: f64, df_err: usize, scale: f64) -> Result<FTest> {
    let ss = ss.max(0.0);
    // numerical zero relative to the total sum of squares of the neuron
    let effect_zero = ss <= 1e-12 * scale;
    if mse <= 1e-14 * scale.max(1e-300) / df_err as f64 || mse == 0.0 {
        // no trial noise: the effect is exactly present or absent
        return Ok(if effect_zero {
            FTest { f: 0.0, df, p: 1.0 }
        } else {
            FTest {
                f: f64::INFINITY,
                df,
                p: 0.0,
            }
        });
    }
    let f = (ss / df as f64) / mse;
    let dist = FisherSnedecor::new(df as f64, df_err as f64)
        .map_err(|e| Error::Domain(format!("F distribution F({df}, {df_err}): {e}")))?;
    Ok(FTest {
        f,
        df,
        p: dist.sf(f),
    })
}

/// Two-way ANOVA with interaction of every neuron's trial responses over the factors of
/// `design` (docs/theory.md 11.1): the cell-means model against the additive model
/// (interaction) and the additive model against the single-factor models (main effects,
/// type II sums of squares), each `F` referred to `F(df, n - levels_a levels_b)` (statrs'
/// Fisher-Snedecor distribution). Valid for unequal trial counts per condition. A neuron
/// is nonlinearly mixed selective when the interaction has `p < alpha`.
///
/// # Errors
///
/// [`Error::Invalid`] if the design does not match the number of conditions, `alpha` is
/// not in `(0, 1)`, or there are no residual degrees of freedom (every condition has one
/// trial).
pub fn two_way_anova(resp: &Responses, design: &Factorial, alpha: f64) -> Result<AnovaSummary> {
    design.check(resp)?;
    check_alpha(alpha)?;
    let (la, lb) = (design.levels_a(), design.levels_b());
    let cells = design.conditions();
    let n_obs: usize = resp.trials().iter().sum();
    if n_obs <= cells {
        return Err(Error::invalid(
            "trials",
            n_obs,
            format!("two-way ANOVA needs more trials than conditions ({cells})"),
        ));
    }
    let df_err = n_obs - cells;
    let (df_a, df_b) = (la - 1, lb - 1);
    let df_ab = df_a * df_b;
    let w: Vec<f64> = resp.trials().iter().map(|&t| t as f64).collect();
    // design matrices on the cells: intercept, A dummies (levels 1..), B dummies (levels 1..)
    let col = |c: usize, j: usize| -> f64 {
        let (a, b) = design.levels(c);
        if j == 0 {
            1.0
        } else if j <= df_a {
            f64::from(u8::from(a == j))
        } else {
            f64::from(u8::from(b == j - df_a))
        }
    };
    let x_add = DMatrix::from_fn(cells, 1 + df_a + df_b, &col);
    let x_a = DMatrix::from_fn(cells, 1 + df_a, &col);
    let x_b = DMatrix::from_fn(
        cells,
        1 + df_b,
        |c, j| {
            if j == 0 { 1.0 } else { col(c, j + df_a) }
        },
    );
    let mut out = Vec::with_capacity(resp.neurons());
    for nrn in resp.data() {
        let (means, within, total) = cell_sums(nrn, n_obs);
        let rss_add = wls_rss(&x_add, &means, &w);
        let rss_a = wls_rss(&x_a, &means, &w);
        let rss_b = wls_rss(&x_b, &means, &w);
        let mse = within / df_err as f64;
        let fa = f_test(rss_b - rss_add, df_a, mse, df_err, total)?;
        let fb = f_test(rss_a - rss_add, df_b, mse, df_err, total)?;
        let fab = f_test(rss_add, df_ab, mse, df_err, total)?;
        let (sa, sb, sab) = (fa.p < alpha, fb.p < alpha, fab.p < alpha);
        let class = match (sab, sa, sb) {
            (true, _, _) => SelectivityClass::NonlinearMixed,
            (false, true, true) => SelectivityClass::LinearMixed,
            (false, true, false) => SelectivityClass::PureA,
            (false, false, true) => SelectivityClass::PureB,
            (false, false, false) => SelectivityClass::NonSelective,
        };
        out.push(AnovaNeuron {
            a: fa,
            b: fb,
            ab: fab,
            df_error: df_err,
            class,
        });
    }
    let n = out.len() as f64;
    let frac = |f: &dyn Fn(&AnovaNeuron) -> bool| out.iter().filter(|x| f(x)).count() as f64 / n;
    Ok(AnovaSummary {
        alpha,
        fraction_interaction: frac(&|x| x.ab.p < alpha),
        fraction_a: frac(&|x| x.a.p < alpha),
        fraction_b: frac(&|x| x.b.p < alpha),
        fraction_non_selective: frac(&|x| x.class == SelectivityClass::NonSelective),
        fraction_pure: frac(&|x| {
            matches!(x.class, SelectivityClass::PureA | SelectivityClass::PureB)
        }),
        fraction_linear_mixed: frac(&|x| x.class == SelectivityClass::LinearMixed),
        fraction_nonlinear_mixed: frac(&|x| x.class == SelectivityClass::NonlinearMixed),
        neurons: out,
    })
}

/// The three-way ANOVA of one neuron (docs/theory.md 11.1): type II main effects and
/// two-way interactions, the three-way interaction, and all interactions together.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreeWayNeuron {
    /// Main effects of the three factors (each after the other two).
    pub main: [FTest; 3],
    /// Two-way interactions A x B, A x C, B x C (each after the main effects and the
    /// other two-way terms).
    pub pairs: [FTest; 3],
    /// Three-way interaction A x B x C (the cell-means model against all two-way terms).
    pub triple: FTest,
    /// All interaction terms together (the cell-means model against the additive model).
    pub interaction: FTest,
    /// Residual degrees of freedom `n_trials - levels_a levels_b levels_c`.
    pub df_error: usize,
}

/// Three-way ANOVA of a population (docs/theory.md 11.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreeWaySummary {
    /// Significance level.
    pub alpha: f64,
    /// Levels of the three factors.
    pub levels: [usize; 3],
    /// Per neuron.
    pub neurons: Vec<ThreeWayNeuron>,
    /// Fraction with `interaction.p < alpha`: nonlinear mixed selectivity.
    pub fraction_interaction: f64,
    /// Fractions with a significant main effect of each factor.
    pub fraction_main: [f64; 3],
    /// Fractions with a significant A x B, A x C, B x C interaction.
    pub fraction_pairs: [f64; 3],
    /// Fraction with a significant three-way interaction.
    pub fraction_triple: f64,
    /// No significant interaction, at least two main effects: linear mixed selectivity.
    pub fraction_linear_mixed: f64,
    /// No significant interaction, exactly one main effect: pure selectivity.
    pub fraction_pure: f64,
    /// No significant term.
    pub fraction_non_selective: f64,
}

/// Three-way ANOVA of every neuron's trial responses over factors with `levels`
/// (docs/theory.md 11.1); condition `c = (a L_B + b) L_C + k` for levels `(a, b, k)`. As
/// [`two_way_anova`], by weighted least squares on the cell means (valid for unequal
/// trial counts): main effects and two-way interactions type II, the three-way
/// interaction and the joint test of all interactions against the cell-means model,
/// each `F` referred to `F(df, n - L_A L_B L_C)`. A neuron is nonlinearly mixed
/// selective when the joint interaction test has `p < alpha`.
///
/// # Errors
///
/// [`Error::Invalid`] if a factor has fewer than 2 levels, the levels do not match the
/// number of conditions, `alpha` is not in `(0, 1)`, or there are no residual degrees of
/// freedom.
pub fn three_way_anova(
    resp: &Responses,
    levels: [usize; 3],
    alpha: f64,
) -> Result<ThreeWaySummary> {
    check_alpha(alpha)?;
    if levels.iter().any(|&l| l < 2) {
        return Err(Error::invalid(
            "levels",
            format!("{levels:?}"),
            "every factor needs at least 2 levels",
        ));
    }
    let cells = levels[0] * levels[1] * levels[2];
    if cells != resp.conditions() {
        return Err(Error::invalid(
            "levels",
            format!("{levels:?}"),
            format!(
                "the product of the levels must equal the number of conditions ({})",
                resp.conditions()
            ),
        ));
    }
    let n_obs: usize = resp.trials().iter().sum();
    if n_obs <= cells {
        return Err(Error::invalid(
            "trials",
            n_obs,
            format!("three-way ANOVA needs more trials than conditions ({cells})"),
        ));
    }
    let df_err = n_obs - cells;
    let lv = |c: usize| -> [usize; 3] {
        [
            c / (levels[1] * levels[2]),
            (c / levels[2]) % levels[1],
            c % levels[2],
        ]
    };
    // dummy columns (levels 1..) of each factor, evaluated per cell
    let dummies = |f: usize| -> Vec<Vec<f64>> {
        (1..levels[f])
            .map(|j| {
                (0..cells)
                    .map(|c| f64::from(u8::from(lv(c)[f] == j)))
                    .collect()
            })
            .collect()
    };
    let main: Vec<Vec<Vec<f64>>> = (0..3).map(dummies).collect();
    let product = |x: &[Vec<f64>], y: &[Vec<f64>]| -> Vec<Vec<f64>> {
        x.iter()
            .flat_map(|u| {
                y.iter()
                    .map(move |v| u.iter().zip(v).map(|(p, q)| p * q).collect::<Vec<f64>>())
            })
            .collect()
    };
    let pair_idx = [(0, 1), (0, 2), (1, 2)];
    let pairs: Vec<Vec<Vec<f64>>> = pair_idx
        .iter()
        .map(|&(f, g)| product(&main[f], &main[g]))
        .collect();
    let matrix = |blocks: &[&Vec<Vec<f64>>]| -> DMatrix<f64> {
        let cols: Vec<&Vec<f64>> = blocks.iter().flat_map(|b| b.iter()).collect();
        DMatrix::from_fn(cells, 1 + cols.len(), |c, j| {
            if j == 0 { 1.0 } else { cols[j - 1][c] }
        })
    };
    let x_add = matrix(&[&main[0], &main[1], &main[2]]);
    let x_add_without: Vec<DMatrix<f64>> = (0..3)
        .map(|f| {
            let rest: Vec<&Vec<Vec<f64>>> = (0..3).filter(|&g| g != f).map(|g| &main[g]).collect();
            matrix(&rest)
        })
        .collect();
    let x_two = matrix(&[
        &main[0], &main[1], &main[2], &pairs[0], &pairs[1], &pairs[2],
    ]);
    let x_two_without: Vec<DMatrix<f64>> = (0..3)
        .map(|p| {
            let mut blocks: Vec<&Vec<Vec<f64>>> = vec![&main[0], &main[1], &main[2]];
            blocks.extend((0..3).filter(|&q| q != p).map(|q| &pairs[q]));
            matrix(&blocks)
        })
        .collect();
    let df_main: Vec<usize> = levels.iter().map(|l| l - 1).collect();
    let df_pairs: Vec<usize> = pair_idx
        .iter()
        .map(|&(f, g)| df_main[f] * df_main[g])
        .collect();
    let df_triple = df_main[0] * df_main[1] * df_main[2];
    let df_inter = cells - 1 - df_main.iter().sum::<usize>();
    let w: Vec<f64> = resp.trials().iter().map(|&t| t as f64).collect();
    let mut out = Vec::with_capacity(resp.neurons());
    for nrn in resp.data() {
        let (means, within, total) = cell_sums(nrn, n_obs);
        let mse = within / df_err as f64;
        let rss_add = wls_rss(&x_add, &means, &w);
        let rss_two = wls_rss(&x_two, &means, &w);
        let mut main_t = [FTest {
            f: 0.0,
            df: 0,
            p: 1.0,
        }; 3];
        let mut pair_t = main_t;
        for f in 0..3 {
            let rss = wls_rss(&x_add_without[f], &means, &w);
            main_t[f] = f_test(rss - rss_add, df_main[f], mse, df_err, total)?;
            let rss = wls_rss(&x_two_without[f], &means, &w);
            pair_t[f] = f_test(rss - rss_two, df_pairs[f], mse, df_err, total)?;
        }
        out.push(ThreeWayNeuron {
            main: main_t,
            pairs: pair_t,
            triple: f_test(rss_two, df_triple, mse, df_err, total)?,
            interaction: f_test(rss_add, df_inter, mse, df_err, total)?,
            df_error: df_err,
        });
    }
    let n = out.len() as f64;
    let frac = |f: &dyn Fn(&ThreeWayNeuron) -> bool| out.iter().filter(|x| f(x)).count() as f64 / n;
    let mains = |x: &ThreeWayNeuron| x.main.iter().filter(|t| t.p < alpha).count();
    let no_inter = |x: &ThreeWayNeuron| x.interaction.p >= alpha;
    Ok(ThreeWaySummary {
        alpha,
        levels,
        fraction_interaction: frac(&|x| x.interaction.p < alpha),
        fraction_main: [0, 1, 2].map(|f| frac(&|x| x.main[f].p < alpha)),
        fraction_pairs: [0, 1, 2].map(|f| frac(&|x| x.pairs[f].p < alpha)),
        fraction_triple: frac(&|x| x.triple.p < alpha),
        fraction_linear_mixed: frac(&|x| no_inter(x) && mains(x) >= 2),
        fraction_pure: frac(&|x| no_inter(x) && mains(x) == 1),
        fraction_non_selective: frac(&|x| no_inter(x) && mains(x) == 0),
        neurons: out,
    })
}

/// The tuning of one neuron over an ordered variable (docs/theory.md 11.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeNeuron {
    /// Condition means along the variable, in the given order.
    pub curve: Vec<f64>,
    /// One-way ANOVA across the levels.
    pub anova: FTest,
    /// `anova.p < alpha`.
    pub tuned: bool,
    /// Tuned, and both a significant rise and a significant fall along the order
    /// (Fisher's least significant difference).
    pub nonmonotonic: bool,
    /// Fraction of the tuning variance in the component antisymmetric under reversal of
    /// the order, in `[0, 1]` (1 for a monotone line, 0 for a symmetric bump); NaN for a
    /// flat curve.
    pub asymmetry: f64,
    /// Tuned and `asymmetry > 1/2`.
    pub asymmetric: bool,
}

/// Tuning shapes of a population (docs/theory.md 11.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningShape {
    /// Significance level.
    pub alpha: f64,
    /// The conditions forming the variable's levels, in increasing order.
    pub order: Vec<usize>,
    /// Per neuron.
    pub neurons: Vec<ShapeNeuron>,
    /// Fraction of neurons that are tuned.
    pub fraction_tuned: f64,
    /// Fraction of all neurons that are non-monotonic.
    pub fraction_nonmonotonic: f64,
    /// Fraction of tuned neurons that are non-monotonic (NaN if none is tuned).
    pub fraction_nonmonotonic_of_tuned: f64,
    /// Fraction of tuned neurons that are asymmetric (NaN if none is tuned).
    pub fraction_asymmetric_of_tuned: f64,
    /// Mean asymmetry index over tuned neurons (NaN if none is tuned).
    pub mean_asymmetry_of_tuned: f64,
}

/// Tuning shape over the conditions `order` (the levels of one variable in increasing
/// order, at least 3, placed symmetrically about the centre of the range for the
/// asymmetry index to measure mirror symmetry), docs/theory.md 11.2:
///
/// - **tuned**: one-way ANOVA across the levels, `p < alpha`;
/// - **non-monotonic**: tuned, and there are levels `l < l'` with
///   `f_l' - f_l > LSD_ll'` (a significant rise) and levels `k < k'` with
///   `f_k - f_k' > LSD_kk'` (a significant fall), where
///   `LSD_ll' = t_{1-alpha/2, df} sqrt(MSE (1/n_l + 1/n_l'))` (Fisher's least significant
///   difference with the neuron's pooled within-level variance);
/// - **asymmetry index** `A = sum_l a_l^2 / sum_l (f_l - fbar)^2`,
///   `a_l = (f_l - f_{L+1-l})/2`; **asymmetric**: tuned and `A > 1/2`.
///
/// # Errors
///
/// [`Error::Invalid`] if `order` has fewer than 3 entries, repeats a condition or names
/// one that does not exist, `alpha` is not in `(0, 1)`, or there are no residual degrees
/// of freedom.
pub fn tuning_shape(resp: &Responses, order: &[usize], alpha: f64) -> Result<TuningShape> {
    check_alpha(alpha)?;
    let l = order.len();
    if l < 3 {
        return Err(Error::invalid(
            "order",
            l,
            "a tuning variable needs at least 3 levels",
        ));
    }
    for (i, &c) in order.iter().enumerate() {
        if c >= resp.conditions() || order[..i].contains(&c) {
            return Err(Error::invalid(
                format!("order[{i}]"),
                c,
                format!("must name distinct conditions below {}", resp.conditions()),
            ));
        }
    }
    let counts: Vec<usize> = order.iter().map(|&c| resp.trials()[c]).collect();
    let n_obs: usize = counts.iter().sum();
    if n_obs <= l {
        return Err(Error::invalid(
            "trials",
            n_obs,
            format!("the one-way ANOVA needs more trials than levels ({l})"),
        ));
    }
    let df_err = n_obs - l;
    let t_crit = StudentsT::new(0.0, 1.0, df_err as f64)
        .map_err(|e| Error::Domain(format!("Student t with {df_err} degrees of freedom: {e}")))?
        .inverse_cdf(1.0 - alpha / 2.0);
    let mut out = Vec::with_capacity(resp.neurons());
    for nrn in resp.data() {
        let curve: Vec<f64> = order
            .iter()
            .map(|&c| nrn[c].iter().sum::<f64>() / nrn[c].len() as f64)
            .collect();
        let within: f64 = order
            .iter()
            .zip(&curve)
            .map(|(&c, m)| nrn[c].iter().map(|v| (v - m).powi(2)).sum::<f64>())
            .sum();
        let grand = order
            .iter()
            .map(|&c| nrn[c].iter().sum::<f64>())
            .sum::<f64>()
            / n_obs as f64;
        let between: f64 = curve
            .iter()
            .zip(&counts)
            .map(|(m, &n)| n as f64 * (m - grand).powi(2))
            .sum();
        let mse = within / df_err as f64;
        let anova = f_test(between, l - 1, mse, df_err, between + within)?;
        let tuned = anova.p < alpha;
        let lsd = |i: usize, j: usize| {
            t_crit * (mse * (1.0 / counts[i] as f64 + 1.0 / counts[j] as f64)).sqrt()
        };
        let (mut rise, mut fall) = (false, false);
        for i in 0..l {
            for j in i + 1..l {
                let d = curve[j] - curve[i];
                rise |= d > lsd(i, j);
                fall |= -d > lsd(i, j);
            }
        }
        let fbar = curve.iter().sum::<f64>() / l as f64;
        let var: f64 = curve.iter().map(|f| (f - fbar).powi(2)).sum();
        let anti: f64 = (0..l)
            .map(|i| ((curve[i] - curve[l - 1 - i]) / 2.0).powi(2))
            .sum();
        let asymmetry = if var > 0.0 { anti / var } else { f64::NAN };
        out.push(ShapeNeuron {
            curve,
            anova,
            tuned,
            nonmonotonic: tuned && rise && fall,
            asymmetry,
            asymmetric: tuned && asymmetry > 0.5,
        });
    }
    let n = out.len() as f64;
    let tuned: Vec<&ShapeNeuron> = out.iter().filter(|x| x.tuned).collect();
    let nt = tuned.len() as f64;
    let of_tuned = |k: usize| if nt > 0.0 { k as f64 / nt } else { f64::NAN };
    Ok(TuningShape {
        alpha,
        order: order.to_vec(),
        fraction_tuned: nt / n,
        fraction_nonmonotonic: out.iter().filter(|x| x.nonmonotonic).count() as f64 / n,
        fraction_nonmonotonic_of_tuned: of_tuned(tuned.iter().filter(|x| x.nonmonotonic).count()),
        fraction_asymmetric_of_tuned: of_tuned(tuned.iter().filter(|x| x.asymmetric).count()),
        mean_asymmetry_of_tuned: if nt > 0.0 {
            tuned.iter().map(|x| x.asymmetry).sum::<f64>() / nt
        } else {
            f64::NAN
        },
        neurons: out,
    })
}
