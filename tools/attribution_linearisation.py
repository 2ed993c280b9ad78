#!/usr/bin/env python3
"""How well the replay attribution's linearised `kappa` changes translate into fixed-point
changes (docs/closures.md, "Attribution: the linearisation checked against the closure").

The replay runs (`examples/replay_shifted.rs`, printed output in
docs/data/replay_correlated_input/) give, per network, the size-weighted gains of three
single-neuron rules at the closure's input nodes: the recorded trains (surrogate), the
correlated closure weighted at the population's mean input (`th`) and at each node's own
input (`th_x`, docs/theory.md 6.6.11), and convert gain ratios `g` into `kappa` changes
with the latent loop, `(g - 1)/(1 - G')`. The closure itself was solved with both
weightings on the same networks (docs/data/correlated_network_*.jsonl), so the actual
`kappa` change of `th_x` against `th` is known. Their ratio `c` measures the
linearisation on the very gain change in question; the surrogate's gain ratios are then
converted with the same `c`, and the cross-correlation term is what the measured gap
leaves.

Usage: python3 tools/attribution_linearisation.py   (from the crate's top folder)
"""

import json
import re
import statistics
from pathlib import Path

DATA = Path("docs/data")
SCENARIOS = {
    "default": (
        "default_seed{}.txt",
        "correlated_network_default_correlated.jsonl",
        "correlated_network_default_own_weighting.jsonl",
        range(1, 6),
    ),
    "bistable": (
        "bistable_fixed_indegree_seed{}.txt",
        "correlated_network_bistable_fixed_indegree_correlated.jsonl",
        "correlated_network_bistable_fixed_indegree_own_weighting.jsonl",
        range(1, 4),
    ),
}
SIZES = {"E": 10000, "I": 2500}


def kappa_after(path):
    """Per seed: (theory, simulation) `kappa` (Hz) of the correlated closure, last epoch."""
    out = {}
    for line in open(path):
        d = json.loads(line)
        th = next(t for t in d["theories"] if t["noise"] == "correlated")
        e = th["epochs"][-1]
        out[d["seed"]] = (e["kappa_theory_hz"][0], e["kappa_sim_hz"][0])
    return out


def replay(path):
    """Loop gain and, per population, the gains (Hz/mV) of surrogate, th and th_x."""
    text = open(path).read()
    loop = float(re.search(r"loop gain ([0-9.]+)", text).group(1))
    gains = {}
    for pop in SIZES:
        m = re.search(
            rf"^{pop}: population rate .*?gain ([0-9.]+) \+- [0-9.]+ vs ([0-9.]+) Hz/mV", text, re.M
        )
        own = re.search(
            rf"^{pop}: population rate .*?\n.*\n\s+chi_2 at each node's own x: .*gain ([0-9.]+)",
            text,
            re.M,
        )
        gains[pop] = (float(m.group(1)), float(m.group(2)), float(own.group(1)))
    return loop, gains


def weighted(ratio):
    total = sum(SIZES.values())
    return sum(SIZES[p] * ratio[p] for p in SIZES) / total


def mean_se(x):
    return statistics.mean(x), statistics.stdev(x) / len(x) ** 0.5


def main():
    for name, (pattern, pop_file, own_file, seeds) in SCENARIOS.items():
        pop, own = kappa_after(DATA / pop_file), kappa_after(DATA / own_file)
        rows = []
        print(f"\n{name}")
        print(
            "| seed | loop gain | own/pop: linearised / actual (%) | c | surrogate vs pop: "
            "linearised / calibrated (%) | surrogate vs own: calibrated (%) | gap vs pop / own "
            "(%) | cross = gap vs pop - calibrated (points) |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for s in seeds:
            loop, g = replay(DATA / "replay_correlated_input" / pattern.format(s))
            lin = lambda ratio: 100 * (weighted(ratio) - 1) / (1 - loop)  # noqa: E731
            lin_own = lin({p: g[p][2] / g[p][1] for p in SIZES})
            actual_own = 100 * (own[s][0] / pop[s][0] - 1)
            c = actual_own / lin_own
            sur_pop = lin({p: g[p][0] / g[p][1] for p in SIZES})
            sur_own = lin({p: g[p][0] / g[p][2] for p in SIZES})
            gap_pop = 100 * (pop[s][1] / pop[s][0] - 1)
            gap_own = 100 * (own[s][1] / own[s][0] - 1)
            cross = gap_pop - c * sur_pop
            rows.append((c, c * sur_pop, c * sur_own, gap_pop, gap_own, cross))
            print(
                f"| {s} | {loop:.3f} | {lin_own:+.1f} / {actual_own:+.1f} | {c:.2f} | "
                f"{sur_pop:+.1f} / {c * sur_pop:+.1f} | {c * sur_own:+.1f} | "
                f"{gap_pop:+.1f} / {gap_own:+.1f} | {cross:+.1f} |"
            )
        cols = list(zip(*rows))
        labels = ["c", "surrogate vs pop", "surrogate vs own (rule)", "gap vs pop", "gap vs own",
                  "cross"]
        for lab, col in zip(labels, cols):
            m, se = mean_se(col)
            print(f"  {lab}: {m:+.2f} ± {se:.2f}")
        rule, cross, gap_own = mean_se(cols[2]), mean_se(cols[5]), mean_se(cols[4])
        print(
            f"  rule + cross = {rule[0] + cross[0]:+.1f} ± {(rule[1]**2 + cross[1]**2) ** 0.5:.1f} "
            f"against the gap with the own weighting {gap_own[0]:+.1f} ± {gap_own[1]:.1f}"
        )


if __name__ == "__main__":
    main()
