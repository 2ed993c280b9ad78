"""Reference maximum-likelihood logistic fits for balnet's psychometric fit
(docs/theory.md 12.4; `analysis::trajectory::logistic_fit`), by statsmodels' Logit.

The data are deterministic: x on a grid of coherences, choices from a fixed rule
(a low-discrepancy threshold), so the Rust test rebuilds them without a random number
generator.  Run: python tools/reference/logistic_statsmodels.py > tests/data/logistic_statsmodels.json
"""
import json

import numpy as np
import statsmodels.api as sm


def dataset(bias, slope, coherences, reps):
    xs, ys = [], []
    for i, c in enumerate(coherences):
        p = 1.0 / (1.0 + np.exp(-(bias + slope * c)))
        for r in range(reps):
            # golden-ratio sequence: deterministic and well spread in (0, 1)
            u = ((i * reps + r + 1) * 0.6180339887498949) % 1.0
            xs.append(c)
            ys.append(1 if u < p else 0)
    return np.array(xs), np.array(ys)


cases = []
for bias, slope, coh, reps in [
    (0.3, 4.0, [-0.5, -0.25, -0.1, -0.05, 0.0, 0.05, 0.1, 0.25, 0.5], 20),
    (-1.0, 10.0, [-0.4, -0.2, -0.1, 0.0, 0.1, 0.2, 0.4], 15),
]:
    x, y = dataset(bias, slope, coh, reps)
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0, tol=1e-14, maxiter=200)
    cases.append(
        {
            "bias_true": bias,
            "slope_true": slope,
            "coherences": coh,
            "reps": reps,
            "x": x.tolist(),
            "y": y.tolist(),
            "bias": float(fit.params[0]),
            "slope": float(fit.params[1]),
            "bias_se": float(fit.bse[0]),
            "slope_se": float(fit.bse[1]),
        }
    )
print(json.dumps({"source": "statsmodels " + sm.__version__ if hasattr(sm, "__version__") else "statsmodels", "cases": cases}, indent=1))
