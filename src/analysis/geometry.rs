//! Geometry of condition-averaged population responses (docs/theory.md 11.3):
//! participation ratio, cross-validated linear decoding of dichotomies of the
//! conditions, shattering dimensionality (Bernardi et al. 2020), the Cover dimension
//! (Rigotti et al. 2013; Cover 1965) and cross-condition generalisation performance
//! (Bernardi et al. 2020).
//!
//! Decoders act on pseudo-population vectors: trial `t` of condition `c` is the vector
//! `(r_1[c][t], ..., r_N[c][t])` of all neurons' responses on their `t`-th trial.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::Responses;
use crate::error::{Error, Result};

/// Most conditions for [`cover_dimension`] (`2^(C-1) - 1` dichotomies: 2047 at 12).
pub const MAX_COVER_CONDITIONS: usize = 12;
/// Most conditions for [`shattering_dimensionality`] and [`ccgp`] (6435 balanced
/// dichotomies at 16).
pub const MAX_BALANCED_CONDITIONS: usize = 16;

/// The participation ratio of condition means (docs/theory.md 11.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipationRatio {
    /// `(sum lambda)^2 / sum lambda^2`, between 1 and `C - 1`.
    pub ratio: f64,
    /// Eigenvalues of the covariance across conditions of the mean population vectors,
    /// largest first (response unit squared).
    pub eigenvalues: Vec<f64>,
}

/// Participation ratio of the condition means `means[neuron][condition]`
/// (docs/theory.md 11.3): the eigenvalues `lambda` of the covariance, across conditions,
/// of the mean population vectors (each neuron centred on its mean over conditions).
/// Linear mixed selectivity with `k` variables of equal, uncorrelated variance gives
/// `k`; responses in general position give up to `C - 1`.
///
/// # Errors
///
/// [`Error::Invalid`] if there are no neurons, fewer than 2 conditions, ragged rows,
/// non-finite entries, or every neuron is flat (no variance).
pub fn participation_ratio_of_means(means: &[Vec<f64>]) -> Result<ParticipationRatio> {
    let Some(first) = means.first() else {
        return Err(Error::invalid("means", 0, "needs at least one neuron"));
    };
    let c = first.len();
    if c < 2 {
        return Err(Error::invalid("means[0]", c, "needs at least 2 conditions"));
    }
    for (i, row) in means.iter().enumerate() {
        if row.len() != c || row.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                format!("means[{i}]"),
                row.len(),
                format!("every neuron needs {c} finite condition means"),
            ));
        }
    }
    // Gram matrix over conditions of the centred vectors: same non-zero eigenvalues as
    // the N x N covariance.
    let mut g = DMatrix::zeros(c, c);
    for row in means {
        let m = row.iter().sum::<f64>() / c as f64;
        for a in 0..c {
            for b in 0..=a {
                g[(a, b)] += (row[a] - m) * (row[b] - m);
            }
        }
    }
    for a in 0..c {
        for b in 0..a {
            g[(b, a)] = g[(a, b)];
        }
    }
    g /= c as f64;
    let mut ev: Vec<f64> = g
        .symmetric_eigen()
        .eigenvalues
        .iter()
        .map(|v| v.max(0.0))
        .collect();
    ev.sort_by(|a, b| b.total_cmp(a));
    let s1: f64 = ev.iter().sum();
    let s2: f64 = ev.iter().map(|v| v * v).sum();
    if !(s2 > 0.0) {
        return Err(Error::invalid(
            "means",
            "no variance",
            "the participation ratio needs responses that differ between conditions",
        ));
    }
    Ok(ParticipationRatio {
        ratio: s1 * s1 / s2,
        eigenvalues: ev,
    })
}

/// [`participation_ratio_of_means`] of the trial-averaged responses. Trial noise in the
/// means adds variance in every direction and raises the ratio.
///
/// # Errors
///
/// As [`participation_ratio_of_means`].
pub fn participation_ratio(resp: &Responses) -> Result<ParticipationRatio> {
    participation_ratio_of_means(&resp.condition_means())
}

/// Settings of the linear decoders (docs/theory.md 11.3).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeOptions {
    /// Cross-validation folds over trials (trial `t` is in fold `t mod folds`; capped at
    /// the smallest trial count).
    pub folds: usize,
    /// Ridge parameter, relative to the mean squared norm of the standardised training
    /// vectors (about the number of neurons): 1 keeps the decoder from interpolating the
    /// trial noise when neurons outnumber training trials.
    pub ridge: f64,
    /// A dichotomy is implementable when its cross-validated balanced accuracy is at least
    /// this ([`cover_dimension`]). A dichotomy that is not linearly separable still reaches
    /// `1 - 1/(2 (C - 1))` with one condition on the wrong side (0.833 for 4 conditions,
    /// 0.929 for 8, 0.955 for 12), so counting separable dichotomies needs a threshold
    /// above that.
    pub threshold: f64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            folds: 5,
            ridge: 1.0,
            threshold: 0.95,
        }
    }
}

impl DecodeOptions {
    fn check(&self) -> Result<()> {
        if !(2..=1000).contains(&self.folds) {
            return Err(Error::invalid("folds", self.folds, "must be in 2..=1000"));
        }
        if !(self.ridge.is_finite() && self.ridge > 0.0) {
            return Err(Error::invalid(
                "ridge",
                self.ridge,
                "must be finite and > 0",
            ));
        }
        if !(self.threshold > 0.5 && self.threshold <= 1.0) {
            return Err(Error::invalid(
                "threshold",
                self.threshold,
                "balanced accuracy threshold must be in (0.5, 1]",
            ));
        }
        Ok(())
    }
}

/// One dichotomy of the conditions and a score of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DichotomyScore {
    /// Conditions labelled positive (condition 0 is always on the negative side).
    pub positive: Vec<usize>,
    /// Balanced accuracy (cross-validated decoding, or cross-condition generalisation).
    pub accuracy: f64,
}

/// Every balanced dichotomy of `c` conditions (`c` even): `c/2` conditions positive,
/// condition 0 always negative (a dichotomy and its complement are one), as boolean
/// labels per condition (docs/theory.md 11.3).
///
/// # Errors
///
/// [`Error::Invalid`] if `c` is odd, below 2 or above [`MAX_BALANCED_CONDITIONS`].
pub fn balanced_dichotomies(c: usize) -> Result<Vec<Vec<bool>>> {
    if c < 2 || c % 2 == 1 || c > MAX_BALANCED_CONDITIONS {
        return Err(Error::invalid(
            "conditions",
            c,
            format!(
                "balanced dichotomies need an even number of conditions in 2..={MAX_BALANCED_CONDITIONS}"
            ),
        ));
    }
    Ok((1u32..(1u32 << (c - 1)))
        .filter(|m| m.count_ones() as usize == c / 2)
        .map(|m| (0..c).map(|k| k > 0 && (m >> (k - 1)) & 1 == 1).collect())
        .collect())
}

/// Every non-trivial dichotomy of `c` conditions up to complement (condition 0
/// negative): `2^(c-1) - 1` label vectors (docs/theory.md 11.3).
///
/// # Errors
///
/// [`Error::Invalid`] if `c` is below 2 or above [`MAX_COVER_CONDITIONS`].
pub fn all_dichotomies(c: usize) -> Result<Vec<Vec<bool>>> {
    if !(2..=MAX_COVER_CONDITIONS).contains(&c) {
        return Err(Error::invalid(
            "conditions",
            c,
            format!("all dichotomies are enumerated for 2..={MAX_COVER_CONDITIONS} conditions"),
        ));
    }
    Ok((1u32..(1u32 << (c - 1)))
        .map(|m| (0..c).map(|k| k > 0 && (m >> (k - 1)) & 1 == 1).collect())
        .collect())
}

/// Cover's (1965) function: the number of dichotomies of `points` points in general
/// position in `R^dim` that a linear classifier through the origin can realise,
/// `2 sum_{k=0}^{dim-1} binom(points - 1, k)` (all `2^points` when `dim >= points`).
pub fn cover_count(points: usize, dim: usize) -> u128 {
    if points == 0 {
        return 1;
    }
    let mut binom: u128 = 1; // binom(points - 1, 0)
    let mut sum: u128 = 0;
    for k in 0..dim.min(points) {
        sum += binom;
        binom = binom * (points - 1 - k) as u128 / (k + 1) as u128;
    }
    2 * sum
}

/// A trained-and-tested split: training and test samples as `(condition, trial)`.
struct Split {
    chol: nalgebra::Cholesky<f64, nalgebra::Dyn>,
    k_train: DMatrix<f64>,
    k_test: DMatrix<f64>,
    train_cond: Vec<usize>,
    test_cond: Vec<usize>,
}

fn prepare(
    resp: &Responses,
    train: &[(usize, usize)],
    test: &[(usize, usize)],
    ridge: f64,
) -> Result<Split> {
    let data = resp.data();
    let n = data.len();
    let (ntr, nte) = (train.len(), test.len());
    // standardise every neuron with the training mean and standard deviation
    let mut xtr = DMatrix::zeros(ntr, n);
    let mut xte = DMatrix::zeros(nte, n);
    for (i, nrn) in data.iter().enumerate() {
        let m = train.iter().map(|&(c, t)| nrn[c][t]).sum::<f64>() / ntr as f64;
        let v = train
            .iter()
            .map(|&(c, t)| (nrn[c][t] - m).powi(2))
            .sum::<f64>()
            / ntr as f64;
        let s = if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 };
        for (k, &(c, t)) in train.iter().enumerate() {
            xtr[(k, i)] = (nrn[c][t] - m) * s;
        }
        for (k, &(c, t)) in test.iter().enumerate() {
            xte[(k, i)] = (nrn[c][t] - m) * s;
        }
    }
    let k_train = &xtr * xtr.transpose();
    let k_test = &xte * xtr.transpose();
    let lambda = ridge * (k_train.trace() / ntr as f64).max(1e-300);
    let reg = &k_train + DMatrix::identity(ntr, ntr) * lambda;
    let chol = reg.cholesky().ok_or_else(|| {
        Error::Domain("decoder kernel matrix is not positive definite (ridge too small)".into())
    })?;
    Ok(Split {
        chol,
        k_train,
        k_test,
        train_cond: train.iter().map(|x| x.0).collect(),
        test_cond: test.iter().map(|x| x.0).collect(),
    })
}

/// Ridge least-squares decoder on the split for the labels `pos[condition]`: the
/// direction from the centred labels, the threshold the one that maximises the balanced
/// accuracy on the training scores (among ties the middle of the widest gap); returns
/// (correct, total) per class on the test samples.
fn score(split: &Split, pos: &[bool]) -> [(usize, usize); 2] {
    let ntr = split.train_cond.len();
    let y: Vec<f64> = split
        .train_cond
        .iter()
        .map(|&c| if pos[c] { 1.0 } else { -1.0 })
        .collect();
    let ym = y.iter().sum::<f64>() / ntr as f64;
    let yc = DVector::from_iterator(ntr, y.iter().map(|v| v - ym));
    let alpha = split.chol.solve(&yc);
    let s_train = &split.k_train * &alpha;
    let thr = best_threshold(
        &s_train.iter().copied().collect::<Vec<_>>(),
        &split.train_cond.iter().map(|&c| pos[c]).collect::<Vec<_>>(),
    );
    let s_test = &split.k_test * &alpha;
    let mut counts = [(0usize, 0usize); 2];
    for (k, &c) in split.test_cond.iter().enumerate() {
        let cls = usize::from(pos[c]);
        counts[cls].1 += 1;
        if (s_test[k] > thr) == pos[c] {
            counts[cls].0 += 1;
        }
    }
    counts
}

/// The threshold on `scores` (positive above) with the highest balanced accuracy for the
/// labels `pos`; among equally good ones, the middle of the widest gap between
/// neighbouring scores.
fn best_threshold(scores: &[f64], pos: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let np = pos.iter().filter(|&&p| p).count().max(1) as f64;
    let nn = pos.iter().filter(|&&p| !p).count().max(1) as f64;
    // threshold below every score: all predicted positive
    let (mut tp, mut tn) = (np, 0.0);
    let (lo, hi) = (scores[idx[0]], scores[idx[idx.len() - 1]]);
    let pad = (hi - lo).abs().max(1.0);
    let mut best = (0.5 * (tp / np + tn / nn), pad, lo - 0.5 * pad);
    for (k, &i) in idx.iter().enumerate() {
        if pos[i] {
            tp -= 1.0;
        } else {
            tn += 1.0;
        }
        let next = idx.get(k + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue; // the threshold cannot fall between equal scores
        }
        let (gap, thr) = match next {
            Some(v) => (v - scores[i], 0.5 * (v + scores[i])),
            None => (pad, scores[i] + 0.5 * pad),
        };
        let acc = 0.5 * (tp / np + tn / nn);
        if acc > best.0 + 1e-12 || (acc > best.0 - 1e-12 && gap > best.1) {
            best = (acc, gap, thr);
        }
    }
    best.2
}

fn balanced_accuracy(counts: &[[(usize, usize); 2]]) -> f64 {
    let mut acc = 0.0;
    let mut classes = 0;
    for cls in 0..2 {
        let (ok, tot) = counts
            .iter()
            .fold((0, 0), |a, c| (a.0 + c[cls].0, a.1 + c[cls].1));
        if tot > 0 {
            acc += ok as f64 / tot as f64;
            classes += 1;
        }
    }
    if classes > 0 {
        acc / classes as f64
    } else {
        f64::NAN
    }
}

fn cv_splits(resp: &Responses, opts: &DecodeOptions) -> Result<Vec<Split>> {
    opts.check()?;
    let tmin = *resp.trials().iter().min().unwrap_or(&0);
    if tmin < 2 {
        return Err(Error::invalid(
            "trials",
            tmin,
            "cross-validated decoding needs at least 2 trials per condition",
        ));
    }
    let folds = opts.folds.min(tmin);
    (0..folds)
        .map(|f| {
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for (c, &nt) in resp.trials().iter().enumerate() {
                for t in 0..nt {
                    if t % folds == f {
                        test.push((c, t));
                    } else {
                        train.push((c, t));
                    }
                }
            }
            prepare(resp, &train, &test, opts.ridge)
        })
        .collect()
}

fn check_labels(resp: &Responses, labels: &[Vec<bool>]) -> Result<()> {
    for (i, l) in labels.iter().enumerate() {
        if l.len() != resp.conditions() || l.iter().all(|&v| v) || l.iter().all(|&v| !v) {
            return Err(Error::invalid(
                format!("dichotomies[{i}]"),
                l.len(),
                format!(
                    "needs one label per condition ({}) with both sides non-empty",
                    resp.conditions()
                ),
            ));
        }
    }
    Ok(())
}

fn positives(l: &[bool]) -> Vec<usize> {
    l.iter().enumerate().filter(|x| *x.1).map(|x| x.0).collect()
}

/// Cross-validated balanced accuracy of a linear decoder for each dichotomy
/// (`labels[d][condition]`, docs/theory.md 11.3): k-fold over trials, neurons standardised
/// on the training trials, ridge least squares on the centred labels, threshold halfway
/// between the classes' mean training scores.
///
/// # Errors
///
/// [`Error::Invalid`] for bad options, fewer than 2 trials in a condition, or a label
/// vector of the wrong length or with an empty side.
pub fn decode_dichotomies(
    resp: &Responses,
    labels: &[Vec<bool>],
    opts: &DecodeOptions,
) -> Result<Vec<DichotomyScore>> {
    check_labels(resp, labels)?;
    let splits = cv_splits(resp, opts)?;
    Ok(labels
        .iter()
        .map(|l| {
            let counts: Vec<_> = splits.iter().map(|s| score(s, l)).collect();
            DichotomyScore {
                positive: positives(l),
                accuracy: balanced_accuracy(&counts),
            }
        })
        .collect())
}

/// Shattering dimensionality (Bernardi et al. 2020; docs/theory.md 11.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shattering {
    /// Every balanced dichotomy with its cross-validated balanced accuracy.
    pub dichotomies: Vec<DichotomyScore>,
    /// Mean accuracy over balanced dichotomies (the shattering dimensionality).
    pub mean_accuracy: f64,
}

/// Shattering dimensionality: the mean cross-validated decoding accuracy over all
/// balanced dichotomies of the conditions (Bernardi et al. 2020; docs/theory.md 11.3).
///
/// # Errors
///
/// As [`balanced_dichotomies`] and [`decode_dichotomies`].
pub fn shattering_dimensionality(resp: &Responses, opts: &DecodeOptions) -> Result<Shattering> {
    let labels = balanced_dichotomies(resp.conditions())?;
    let dichotomies = decode_dichotomies(resp, &labels, opts)?;
    let mean_accuracy =
        dichotomies.iter().map(|d| d.accuracy).sum::<f64>() / dichotomies.len() as f64;
    Ok(Shattering {
        dichotomies,
        mean_accuracy,
    })
}

/// The Cover dimension (docs/theory.md 11.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverDimension {
    /// Every non-trivial dichotomy (up to complement) with its decoding accuracy.
    pub dichotomies: Vec<DichotomyScore>,
    /// Number of those with accuracy `>= threshold`.
    pub implementable: usize,
    /// Implementable labellings, counting complements and the two trivial ones:
    /// `2 (implementable + 1)`.
    pub labellings: u128,
    /// Smallest `d` with `cover_count(C, d) >= labellings`: the dimension of a space in
    /// which `C` points in general position admit as many linear dichotomies
    /// (`variables + 1` for linear mixed selectivity of binary variables, `C` for full
    /// shattering).
    pub dimension: usize,
}

/// Decode every non-trivial dichotomy, count the implementable ones (balanced accuracy
/// `>= opts.threshold`) and convert the count to a dimension with Cover's function
/// (Rigotti et al. 2013; Cover 1965; docs/theory.md 11.3).
///
/// # Errors
///
/// As [`all_dichotomies`] and [`decode_dichotomies`].
pub fn cover_dimension(resp: &Responses, opts: &DecodeOptions) -> Result<CoverDimension> {
    let c = resp.conditions();
    let labels = all_dichotomies(c)?;
    let dichotomies = decode_dichotomies(resp, &labels, opts)?;
    let implementable = dichotomies
        .iter()
        .filter(|d| d.accuracy >= opts.threshold)
        .count();
    let labellings = 2 * (implementable as u128 + 1);
    let dimension = (1..=c)
        .find(|&d| cover_count(c, d) >= labellings)
        .unwrap_or(c);
    Ok(CoverDimension {
        dichotomies,
        implementable,
        labellings,
        dimension,
    })
}

/// Cross-condition generalisation performance (Bernardi et al. 2020).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ccgp {
    /// Every balanced dichotomy with its CCGP.
    pub dichotomies: Vec<DichotomyScore>,
}

/// Cross-condition generalisation performance of every balanced dichotomy
/// (Bernardi et al. 2020; docs/theory.md 11.3): for each pair of one positive and one
/// negative condition, train the decoder of [`decode_dichotomies`] on all trials of the
/// other conditions and test it on the held-out pair; the CCGP is the balanced accuracy
/// averaged over the `(C/2)^2` pairs. 1 for a variable coded along one direction in
/// every context, 0.5 for no generalisation, and below 0.5 where the decoder's rule
/// inverts (XOR under linear mixed selectivity).
///
/// # Errors
///
/// [`Error::Invalid`] for fewer than 4 conditions, an odd number, or bad options.
pub fn ccgp(resp: &Responses, opts: &DecodeOptions) -> Result<Ccgp> {
    opts.check()?;
    let c = resp.conditions();
    if c < 4 {
        return Err(Error::invalid(
            "conditions",
            c,
            "cross-condition generalisation needs at least 4 conditions",
        ));
    }
    let labels = balanced_dichotomies(c)?;
    let mut out = Vec::with_capacity(labels.len());
    for l in &labels {
        let pos = positives(l);
        let neg: Vec<usize> = (0..c).filter(|k| !l[*k]).collect();
        let mut acc = 0.0;
        for &p in &pos {
            for &q in &neg {
                let (mut train, mut test) = (Vec::new(), Vec::new());
                for (k, &nt) in resp.trials().iter().enumerate() {
                    for t in 0..nt {
                        if k == p || k == q {
                            test.push((k, t));
                        } else {
                            train.push((k, t));
                        }
                    }
                }
                let split = prepare(resp, &train, &test, opts.ridge)?;
                acc += balanced_accuracy(&[score(&split, l)]);
            }
        }
        out.push(DichotomyScore {
            positive: pos.clone(),
            accuracy: acc / (pos.len() * neg.len()) as f64,
        });
    }
    Ok(Ccgp { dichotomies: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_count_closed_forms() {
        // Cover (1965): C(P, N) = 2^P for N >= P; C(4, 3) = 14; C(P, 1) = 2
        assert_eq!(cover_count(4, 4), 16);
        assert_eq!(cover_count(4, 3), 14);
        assert_eq!(cover_count(4, 2), 8);
        assert_eq!(cover_count(4, 1), 2);
        assert_eq!(cover_count(8, 8), 256);
        assert_eq!(cover_count(8, 3), 2 * (1 + 7 + 21));
    }

    #[test]
    fn dichotomy_counts() {
        // binom(4, 2)/2 = 3, binom(8, 4)/2 = 35, 2^(C-1) - 1
        assert_eq!(balanced_dichotomies(4).unwrap().len(), 3);
        assert_eq!(balanced_dichotomies(8).unwrap().len(), 35);
        assert_eq!(all_dichotomies(4).unwrap().len(), 7);
        assert!(balanced_dichotomies(5).is_err());
    }
}
