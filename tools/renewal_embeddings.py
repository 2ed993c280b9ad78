#!/usr/bin/env python3
"""Which properties of regular (renewal) presynaptic trains set a LIF neuron's rate?
A study behind docs/closures.md, "Renewal input beyond its spectrum". Not part of the crate.

The neuron and its input are those of `examples/correlated_single_neuron.rs` (population E
of the default model, docs/theory.md section 5): LIF with tau_m = 20 ms, theta = 20 mV,
Vr = 10 mV, tau_ref = 2 ms; 1000 E trains (jump 5/sqrt(1000) mV) and 250 I trains (jump
-27.5/sqrt(1000) mV), each a gamma renewal train of rate nu and ISI CV cv with a 2 ms dead
time, plus 1000 Poisson trains at 12 Hz (jump 5/sqrt(1000) mV); a constant bias sets the
free-membrane mean x (mV).

The gamma trains are replaced by processes with the same low-frequency level
S(0) = cv^2 nu and the same membrane-filtered Fano factor F_eff (docs/theory.md 2.1) per
train, i.e. the same relative spectrum 1 - (1 - cv^2)/(1 + (omega tau_c)^2) with
tau_c = tau_m (F_eff - cv^2)/(1 - F_eff):

  thin     a fraction 1 - cv^2 of the Poisson events also drives a low-pass variable
           (unit DC gain, time constant tau_c) subtracted from the input current
           (additive deficit);
  echo     every event drives the low-pass variable with weight 1 - cv (additive);
  twopole  like thin, with two low-pass streams (tau_c/4 and the time that keeps F_eff),
           same S(0) and F_eff, different spectral shape;
  hawkes   a self-inhibiting linear Hawkes process per population: event rate
           mu - beta w, w the exponentially filtered own event train (time tau_c/cv),
           beta = 1/cv - 1 (the deficit is an absence of events: it lowers the rate of
           the jumps, not a current);
  gamma    the gamma trains themselves (an independent check of the crate's
           event-driven `sim::single::simulate_renewal_neuron`);
  hawkes-net  `hawkes` per population with the network-matched trains of
           docs/closures.md ("single neurons with the network's trains"): 1000 E trains
           drawn, mean rate 12.244 Hz, rate-weighted CV^2 0.363, F_eff 0.529; 250 I trains,
           16.017 Hz, CV^2 0.309, F_eff 0.488; `nu` and `cv` are ignored.

Monte Carlo: time-stepped at dt = 1e-5 s with the exact leak, n neurons x T s after a
warm-up; the error is the Poisson counting error of the spike count. `fp2d` solves the
stationary master equation of the `thin` model on a (V, w) grid instead (V: exact jumps
on cells of width J_E/n, first-order upwind drift, Richardson-extrapolated over n = 2, 4;
w: second-order Kramers-Moyal in the jump, central differences, nw cells over +-5 sd);
it agrees with the `thin` Monte Carlo.

Usage (a venv with numpy and scipy):
    python tools/renewal_embeddings.py mc MODEL nu cv x neurons seconds seed
    python tools/renewal_embeddings.py fp2d nu cv x [nw]
e.g. `mc hawkes 12 0.7 10 2000 5 21` (about 3 min on one core).
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from scipy.integrate import quad
from scipy.optimize import brentq

TAU, THETA, VR, TREF, DEAD = 0.02, 20.0, 10.0, 0.002, 0.002
JE, JI = 5 / np.sqrt(1000), -27.5 / np.sqrt(1000)
KE, KI, K0, NU0 = 1000, 250, 1000, 12.0


def gamma_spectrum(nu, cv, d=DEAD):
    """Power spectrum of a gamma renewal train with dead time d (ISI = d + Gamma)."""
    m = 1 / nu - d
    th = (cv / nu) ** 2 / m
    k = m / th

    def s(w):
        f = np.exp(1j * w * d) * (1 - 1j * w * th) ** (-k)
        return nu * ((1 + f) / (1 - f)).real

    return s


def f_eff(nu, cv):
    """Membrane-filtered Fano factor: int S |H|^2 / int nu |H|^2, H = 1/(1 + i omega tau_m)."""
    s = gamma_spectrum(nu, cv)
    g = lambda w: s(w) / nu / (1 + (w * TAU) ** 2)
    v = quad(g, 1e-9, 50 / TAU, limit=400)[0] + quad(g, 50 / TAU, np.inf, limit=200)[0]
    return v / (np.pi / (2 * TAU))


def one_pole_time(s0, fe):
    """tau_c of the one-pole relative spectrum 1 - (1 - s0)/(1 + (omega tau_c)^2) whose
    membrane-filtered Fano factor is fe."""
    return TAU * (fe - s0) / (1 - fe)


def tau_c(nu, cv):
    return one_pole_time(cv * cv, f_eff(nu, cv))


def bias(x, nu):
    """Constant drive b such that the free-membrane mean is x: b = x - tau_m sum R J."""
    return x - TAU * (KE * nu * JE + KI * nu * JI + K0 * NU0 * JE)


def monte_carlo(model, nu, cv, x, n, t_rec, seed, dt=1e-5, warm=0.3):
    rng = np.random.default_rng(seed)
    b = bias(x, nu)
    ed = np.exp(-dt / TAU)
    re, ri = KE * nu, KI * nu
    steps = int(round((t_rec + warm) / dt))
    w0 = int(round(warm / dt))
    if model == "gamma":
        return _mc_gamma(rng, nu, cv, b, n, t_rec, dt)
    if model in ("thin", "echo", "twopole"):
        tc = tau_c(nu, cv)
        ph = 1 - cv * cv
        if model == "twopole":
            t1 = tc / 4
            g = lambda t: t / (t + TAU)
            t2 = brentq(lambda t: 0.5 * g(t1) + 0.5 * g(t) - g(tc), 1e-6, 100.0)
            streams = [(ph / 2, t1), (ph / 2, t2)]
        else:
            streams = [(ph, tc)]
        a_echo = 1 - cv
        us = [np.zeros(n) for _ in streams]  # low-pass deficits, centred
        means = [(re * JE + ri * JI) * (a_echo if model == "echo" else p) for p, _ in streams]
        eus = [np.exp(-dt / t) for _, t in streams]
    else:  # hawkes: per population (total rate, jump, beta, kernel time)
        if model == "hawkes-net":
            pops = [(1000 * 12.244, JE, 0.363, 0.529), (250 * 16.017, JI, 0.309, 0.488)]
        else:
            fe = f_eff(nu, cv)
            pops = [(re, JE, cv * cv, fe), (ri, JI, cv * cv, fe)]
        hk = []
        for r, j, s0, fe in pops:
            c = np.sqrt(s0)
            hk.append((r, j, 1 / c - 1, one_pole_time(s0, fe) / c))
        b = x - TAU * (sum(r * j for r, j, _, _ in hk) + K0 * NU0 * JE)
        ws = [np.full(n, r) for r, _, _, _ in hk]
    v = np.full(n, VR)
    ref = np.zeros(n)
    spikes = 0
    for s in range(steps):
        ext = JE * rng.poisson(K0 * NU0 * dt, n)
        if model.startswith("hawkes"):
            jump = ext
            for i, (r, j, beta, th) in enumerate(hk):
                k = rng.poisson(np.maximum(r * (1 + beta) - beta * ws[i], 0.0) * dt)
                jump = jump + j * k
                ws[i] = ws[i] * np.exp(-dt / th) + k / th
            drift = b
        else:
            if model == "echo":
                c = JE * rng.poisson(re * dt, n) + JI * rng.poisson(ri * dt, n)
                hs = [a_echo * c]
                jump = c + ext
            else:
                jw = JE * rng.poisson(re * (1 - ph) * dt, n) + JI * rng.poisson(ri * (1 - ph) * dt, n)
                hs = [JE * rng.poisson(re * p * dt, n) + JI * rng.poisson(ri * p * dt, n) for p, _ in streams]
                jump = jw + sum(hs) + ext
            drift = b - TAU * sum(us)
            for j, (_, t) in enumerate(streams):
                # u = low-pass(x_H) - mean, unit DC gain
                us[j] = (us[j] + means[j]) * eus[j] + hs[j] / t - means[j]
        v, fired = _lif_step(v, ref, drift, jump, ed, dt)
        if s >= w0:
            spikes += fired
    return spikes / (n * t_rec), np.sqrt(spikes) / (n * t_rec)


def _lif_step(v, ref, drift, jump, ed, dt):
    """One time step of the LIF (exact leak towards `drift`, then the step's jumps;
    refractory neurons held at the reset). Updates `ref` in place; returns the new
    potentials and the number of spikes."""
    act = ref <= 0
    v = np.where(act, drift + (v - drift) * ed + jump, VR)
    ref -= dt
    f = act & (v >= THETA)
    v[f] = VR
    ref[f] = TREF
    return v, int(f.sum())


def _mc_gamma(rng, nu, cv, b, n, t_rec, dt, warm=0.5, chunk=50):
    m = 1 / nu - DEAD
    th = (cv / nu) ** 2 / m
    k = m / th
    nb = int(round((t_rec + warm) / dt))
    w0 = int(round(warm / dt))
    spikes = 0
    ed = np.exp(-dt / TAU)
    for c0 in range(0, n, chunk):
        cn = min(chunk, n - c0)
        inp = np.zeros((nb, cn), dtype=np.float64)
        for count, jump in ((KE, JE), (KI, JI)):
            for i in range(cn):
                nmax = int((t_rec + warm + 1.0) * nu * 1.5) + 20
                isi = DEAD + rng.gamma(k, th, size=(count, nmax))
                t = np.cumsum(isi, axis=1) - 1.0 - rng.uniform(0, 1 / nu, size=(count, 1))
                t = t[(t >= 0) & (t < t_rec + warm)]
                inp[:, i] += jump * np.bincount((t / dt).astype(np.int64), minlength=nb)[:nb]
        inp += JE * rng.poisson(K0 * NU0 * dt, size=(nb, cn))
        v = np.full(cn, VR)
        ref = np.zeros(cn)
        for s in range(nb):
            v, fired = _lif_step(v, ref, b, inp[s], ed, dt)
            if s >= w0:
                spikes += fired
    return spikes / (n * t_rec), np.sqrt(spikes) / (n * t_rec)


def fp2d_thin(nu, cv, x, nw=41, ns=(2, 4), wsd=5.0, lower_sd=5.0):
    """Stationary master equation of the `thin` model; returns the Richardson rate and the
    rates at the cell widths J_E/n."""
    p_h = 1 - cv * cv
    tc = tau_c(nu, cv)
    sources = [(KE * nu, JE, True), (KI * nu, JI, True), (K0 * NU0, JE, False)]
    rates = [_fp2d(x, sources, p_h, tc, JE / n, nw, wsd, lower_sd) for n in ns]
    return 2 * rates[-1] - rates[-2], rates


def _fp2d(x, sources, p_h, tc, h, nw, wsd, lower_sd):
    rj = sum(r * j for r, j, _ in sources)
    rj2 = sum(r * j * j for r, j, _ in sources)
    b_eff = x - TAU * rj
    r_h = np.array([r * p_h if ren else 0.0 for r, j, ren in sources])
    var_w = sum(rh * j * j for rh, (_, j, _) in zip(r_h, sources)) / (2 * tc)
    sw = np.sqrt(var_w)
    wg = np.linspace(-wsd * sw, wsd * sw, nw)
    dw = wg[1] - wg[0]
    m_h = sum(rh * j for rh, (_, j, _) in zip(r_h, sources))
    vlow = min(VR, x) - lower_sd * np.sqrt(TAU * rj2 / 2) - 2 * max(abs(j) for _, j, _ in sources) - 1
    nv = int(np.ceil((THETA - vlow) / h))
    n = nv * nw
    ii, kk = np.meshgrid(np.arange(nv), np.arange(nw), indexing="ij")
    ii, kk = ii.ravel(), kk.ravel()
    c = ii * nw + kk
    rows, cols, vals = [], [], []

    def add(r, cc, v):
        rows.append(np.ravel(r))
        cols.append(np.ravel(cc))
        vals.append(np.broadcast_to(v, np.shape(r)).ravel())

    fire = np.zeros(n)
    # V drift through the top face of each cell (cell 0 at the threshold)
    a = (b_eff - (THETA - ii * h)) / TAU - wg[kk]
    up = a > 0
    top = up & (ii == 0)
    fire[c[top]] += a[top] / h
    m = up & (ii > 0)
    add(c[m] - nw, c[m], a[m] / h)
    add(c[m], c[m], -a[m] / h)
    m = (~up) & (ii > 0)
    add(c[m], c[m] - nw, -a[m] / h)
    add(c[m] - nw, c[m] - nw, a[m] / h)
    # w drift -(w + m_H)/tau_c, central flux between k and k+1
    m = kk < nw - 1
    a = -(0.5 * (wg[kk[m]] + wg[kk[m] + 1]) + m_h) / tc
    c0, c1 = c[m], c[m] + 1
    add(c1, c0, 0.5 * a / dw)
    add(c1, c1, 0.5 * a / dw)
    add(c0, c0, -0.5 * a / dw)
    add(c0, c1, -0.5 * a / dw)
    # jumps: V exactly (split between two cells), w by J/tau_c for the thinned events
    for s, (r, j, _) in enumerate(sources):
        rh = r_h[s]
        rw = r - rh
        d = j / tc
        tgt = ii - j / h
        lo = np.floor(tgt).astype(int)
        fr = tgt - lo
        add(c, c, -r * np.ones(n))
        for dest, wgt in ((lo, 1 - fr), (lo + 1, fr)):
            fired = dest < 0
            fire[c[fired]] += r * wgt[fired]
            ok = ~fired
            d2 = np.minimum(dest[ok], nv - 1)
            cc, kq, wq = c[ok], kk[ok], wgt[ok]
            if rw > 0:
                add(d2 * nw + kq, cc, rw * wq)
            if rh > 0:
                m1 = d / dw
                m2 = m1 * m1
                for dk, q in ((-1, 0.5 * (m2 - m1)), (0, 1 - m2), (1, 0.5 * (m2 + m1))):
                    add(d2 * nw + np.clip(kq + dk, 0, nw - 1), cc, rh * wq * q)
    a_mat = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    lu = sla.splu(a_mat, permc_spec="COLAMD")
    tr = (THETA - VR) / h - 0.5
    ir = int(np.floor(tr))
    frr = tr - ir
    # during the refractory period w follows its own (Ornstein-Uhlenbeck) law
    e = np.exp(-TREF / tc)
    kern = np.exp(-0.5 * ((wg[:, None] - e * wg[None, :]) / (sw * np.sqrt(1 - e * e))) ** 2)
    kern /= kern.sum(axis=0, keepdims=True)
    q = np.exp(-0.5 * (wg / sw) ** 2)
    q /= q.sum()
    for _ in range(300):
        src = np.zeros(n)
        qq = kern @ q
        src[ir * nw:(ir + 1) * nw] += (1 - frr) * qq
        src[(ir + 1) * nw:(ir + 2) * nw] += frr * qq
        p = lu.solve(-src)
        f = (fire * p).reshape(nv, nw).sum(axis=0)
        qn = f / f.sum()
        if np.abs(qn - q).max() < 1e-11:
            break
        q = qn
    return 1.0 / (p.sum() + TREF)


def main():
    args = sys.argv[1:]
    t0 = time.time()
    if args and args[0] == "mc" and len(args) == 8:
        model = args[1]
        nu, cv, x = map(float, args[2:5])
        n, t_rec, seed = int(args[5]), float(args[6]), int(args[7])
        r, se = monte_carlo(model, nu, cv, x, n, t_rec, seed)
        print(f"{model} nu {nu} cv {cv} x {x}: rate {r:.4f} +- {se:.4f} Hz ({n} x {t_rec} s, seed {seed}, {time.time() - t0:.0f} s)")
    elif args and args[0] == "fp2d" and len(args) in (4, 5):
        nu, cv, x = map(float, args[1:4])
        nw = int(args[4]) if len(args) == 5 else 41
        r, rs = fp2d_thin(nu, cv, x, nw)
        print(f"thin (master equation, nw {nw}) nu {nu} cv {cv} x {x}: rate {r:.4f} Hz (n = 2, 4: {rs[0]:.4f}, {rs[1]:.4f}; {time.time() - t0:.0f} s)")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
