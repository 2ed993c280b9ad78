"""Reference values of the parabolic cylinder function D_a(z) for complex order a and
real argument z (balnet src/transfer/response/pcf.rs, docs/theory.md 6.1).

Independent of balnet: mpmath `pcfd` at 30 digits, each value confirmed at 45 digits
(points where the two disagree beyond 1e-20 relative would be dropped; none are).

Region: Re a in [-60, 2], Im a in [0, 126] (126 ~ 2 pi f tau_m at f = 1 kHz, tau_m = 20 ms),
z in [-40, 40]: a seeded random sample (uniform in Re a and z, uniform in log(1 + Im a)),
a grid of hard corners (extreme orders at extreme arguments, real orders near the
non-negative integers where D_a is the recessive Hermite function on both sides).

Writes tests/data/pcfd_mpmath.json: rows [Re a, Im a, z, ln|D_a(z)|, arg D_a(z)].
"""
import json
import random
import sys

import mpmath as mp


def ln_pcfd(a, z):
    mp.mp.dps = 30
    v = mp.pcfd(a, z)
    mp.mp.dps = 45
    w = mp.pcfd(a, z)
    mp.mp.dps = 30
    if v == 0 or abs(v / w - 1) > mp.mpf("1e-20"):
        return None
    lv = mp.log(v)
    return float(lv.real), float(lv.imag)


def main(out):
    rng = random.Random(20261202)
    pts = []
    for _ in range(330):
        re = rng.uniform(-60, 2)
        im = mp.expm1(rng.uniform(0, float(mp.log(127))))
        z = rng.uniform(-40, 40)
        pts.append((round(re, 6), round(float(im), 6), round(z, 6)))
    # Moderate |z| is where the networks live: a denser sample there.
    for _ in range(120):
        re = rng.uniform(-3, 2)
        im = rng.uniform(0, 126)
        z = rng.uniform(-8, 8)
        pts.append((round(re, 6), round(im, 6), round(z, 6)))
    for re in [-60, -20, -2, -1, 0, 0.5, 1, 2]:
        for im in [0, 1e-3, 1, 126]:
            for z in [-40, -5, 0, 5, 40]:
                pts.append((re, im, z))
    rows = []
    for re, im, z in pts:
        r = ln_pcfd(mp.mpc(re, im), mp.mpf(z))
        if r is None:
            print("dropped", re, im, z, file=sys.stderr)
            continue
        rows.append([re, im, z, r[0], r[1]])
    json.dump(
        {
            "source": "tools/reference/pcfd_mpmath.py (mpmath pcfd, 30 digits, checked at 45)",
            "columns": ["re_a", "im_a", "z", "ln_abs_d", "arg_d"],
            "rows": rows,
        },
        open(out, "w"),
        indent=0,
    )
    print(len(rows), "points", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/pcfd_mpmath.json")
