#!/usr/bin/env python3
"""Reference values for the mixed-selectivity measures of docs/theory.md section 11:
two-way ANOVA with interaction (type II sums of squares) from statsmodels, the one-way
ANOVA from scipy.stats.f_oneway, and the critical t value of Fisher's least significant
difference from scipy.stats.t, on a fixed small data set with unequal trial counts.

Not part of the crate and not needed at test time: the Rust test
(tests/selectivity.rs) only reads the JSON file this script writes:

    tests/data/selectivity_statsmodels.json

Run (from the repository root, in a venv with numpy, scipy, pandas, statsmodels):

    python tools/reference/selectivity_statsmodels.py

Design: factor A with 2 levels, factor B with 3 levels, condition c = a * 3 + b,
trials per condition [4, 5, 3, 6, 4, 5]. Four neurons: additive effects only, an
interaction, noise only, and a large-offset neuron with a weak interaction. Responses are
rounded to 1e-6 so the JSON holds them exactly as the script used them.
"""

import json
import os

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "selectivity_statsmodels.json")
SCRIPT = "tools/reference/selectivity_statsmodels.py"

LA, LB = 2, 3
TRIALS = [4, 5, 3, 6, 4, 5]
ALPHA = 0.05


def cell_mean(kind, a, b):
    if kind == 0:  # additive
        return 1.0 + 0.8 * a + 0.5 * b
    if kind == 1:  # interaction
        return 2.0 + 1.5 * (a == 1) * (b == 2) - 0.7 * (a == 0) * (b == 1)
    if kind == 2:  # nothing
        return 3.0
    return 100.0 + 0.3 * a - 0.2 * b + 0.25 * (a == b)


def main():
    rng = np.random.default_rng(2026)
    neurons = []
    for kind in range(4):
        conds = []
        for c in range(LA * LB):
            a, b = divmod(c, LB)
            y = cell_mean(kind, a, b) + rng.standard_normal(TRIALS[c]) * (0.6 if kind < 3 else 0.2)
            conds.append([round(float(v), 6) for v in y])
        neurons.append(conds)

    results = []
    for conds in neurons:
        rows = []
        for c, ys in enumerate(conds):
            a, b = divmod(c, LB)
            rows += [{"y": v, "a": a, "b": b} for v in ys]
        df = pd.DataFrame(rows)
        fit = smf.ols("y ~ C(a) * C(b)", data=df).fit()
        tab = anova_lm(fit, typ=2)
        res = {
            "f_a": float(tab.loc["C(a)", "F"]), "p_a": float(tab.loc["C(a)", "PR(>F)"]),
            "f_b": float(tab.loc["C(b)", "F"]), "p_b": float(tab.loc["C(b)", "PR(>F)"]),
            "f_ab": float(tab.loc["C(a):C(b)", "F"]),
            "p_ab": float(tab.loc["C(a):C(b)", "PR(>F)"]),
            "df_error": int(round(tab.loc["Residual", "df"])),
        }
        # one-way ANOVA over the levels of B at a = 0 (conditions 0, 1, 2)
        ow = st.f_oneway(*[conds[c] for c in (0, 1, 2)])
        res["oneway_f"] = float(ow.statistic)
        res["oneway_p"] = float(ow.pvalue)
        results.append(res)

    df_oneway = sum(TRIALS[c] for c in (0, 1, 2)) - 3
    doc = {
        "meta": {
            "script": SCRIPT,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
            "design": "2 x 3, condition c = a * 3 + b",
            "trials": TRIALS,
            "alpha": ALPHA,
        },
        "responses": neurons,
        "anova": results,
        "oneway_order": [0, 1, 2],
        "lsd_t_critical": float(st.t.ppf(1 - ALPHA / 2, df_oneway)),
        "lsd_df": df_oneway,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k != "responses"}, indent=1))


if __name__ == "__main__":
    main()
