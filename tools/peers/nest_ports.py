"""The NEST constructions of `balnet export nest` against balnet's grid step, one neuron.

usage: python nest_ports.py [OUT.json]      (a Python with nest-simulator 3.10 and numpy)

Drives one neuron of each construction with the same presynaptic spike train and compares
the membrane potential at every step end (threshold out of reach, so the comparison sees
the whole subthreshold dynamics; a second run with a threshold compares spike times):

1. iaf_psc_delta, jump J after delay d (balnet's fast synapse, docs/theory.md section 3);
2. iaf_psc_exp_multisynapse, fast port tau_f = h/100 with weight J / P21 and delay d - h;
3. the same neuron's slow port tau_s with weight C_m x / tau_s (x = m.n/K in mV) and delay
   d - h, against balnet's grid rule written out here in numpy:
       u += arrivals * x / tau_s ;  I_s = tau_m u ;  V = P V + (1 - P) c + q_s I_s + fast ;
       u *= exp(-h / tau_s)
   with q_s = tau_s / (tau_s - tau_m) (exp(-h/tau_s) - exp(-h/tau_m)) and c = I_e (pA = mV).

All neurons have E_L = 0 and C_m = tau_m (pF, tau_m in ms), as the exported script.
"""
import json
import sys

import numpy as np
import nest

h = 0.1
tau_m, tau_s = 20.0, 100.0
tau_f = h / 100.0
J, x, c = 0.9, 0.35, 3.0
d_steps = 15
T = 2000.0

try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")


def run(theta):
    nest.ResetKernel()
    nest.resolution = h
    base = dict(E_L=0.0, C_m=tau_m, tau_m=tau_m, V_th=theta, V_reset=10.0, t_ref=2.0,
                V_m=5.0, I_e=c)
    delta = nest.Create("iaf_psc_delta", params=base)
    fast = nest.Create("iaf_psc_exp_multisynapse", params=dict(base, tau_syn=[tau_f, tau_s]))
    slow = nest.Create("iaf_psc_exp_multisynapse", params=dict(base, tau_syn=[tau_f, tau_s]))
    rng = np.random.default_rng(1)
    steps = np.unique(rng.integers(10, int(T / h) - 100, 8000))
    gen = nest.Create("spike_generator", params=dict(spike_times=steps * h))
    relay = nest.Create("parrot_neuron")
    nest.Connect(gen, relay, syn_spec=dict(delay=h))
    p21 = tau_f / (tau_m - tau_f) * (np.exp(-h / tau_m) - np.exp(-h / tau_f))
    nest.Connect(relay, delta, syn_spec=dict(weight=J, delay=d_steps * h))
    nest.Connect(relay, fast, syn_spec=dict(weight=J / p21, delay=(d_steps - 1) * h, receptor_type=1))
    nest.Connect(relay, slow, syn_spec=dict(weight=tau_m * x / tau_s, delay=(d_steps - 1) * h,
                                            receptor_type=2))
    vm = nest.Create("voltmeter", params=dict(interval=h))
    nest.Connect(vm, delta + fast + slow)
    sr = nest.Create("spike_recorder")
    nest.Connect(delta + fast + slow, sr)
    nest.Simulate(T)
    ev = vm.events
    v = {n.global_id: ev["V_m"][ev["senders"] == n.global_id] for n in (delta, fast, slow)}
    t = ev["times"][ev["senders"] == delta.global_id]
    sp = sr.events
    spikes = {n.global_id: sp["times"][sp["senders"] == n.global_id] for n in (delta, fast, slow)}
    return steps, t, v, spikes, (delta.global_id, fast.global_id, slow.global_id)


def balnet_slow(steps, t):
    """balnet's grid update (src/sim/neuron.rs grid_step, src/sim/run.rs) for the slow input."""
    n_steps = int(round(t[-1] / h))
    arrivals = np.zeros(n_steps + 64)
    # a generator spike at s h ends step s - 1; the parrot (delay h) re-emits it in step s,
    # and balnet consumes a spike of step s with a delay of d steps in step s + d
    for s in steps:
        arrivals[s + d_steps] += 1
    p_m = np.exp(-h / tau_m)
    q_s = tau_s / (tau_s - tau_m) * (np.exp(-h / tau_s) - p_m)
    e_s = np.exp(-h / tau_s)
    v, u = 5.0, 0.0
    out = np.empty(n_steps)
    for k in range(n_steps):
        u += arrivals[k] * x / tau_s
        v = p_m * v + (1 - p_m) * c + q_s * tau_m * u
        u *= e_s
        out[k] = v
    # the voltmeter samples V at the end of step k at time (k + 1) h
    return out[np.round(t / h).astype(int) - 1]


steps, t, v, _, (i_delta, i_fast, i_slow) = run(1e9)
ref = balnet_slow(steps, t)
res = dict(
    nest_version=nest.__version__,
    steps=int(len(t)),
    inputs=int(len(steps)),
    fast_port_vs_delta_max_abs_mv=float(np.max(np.abs(v[i_fast] - v[i_delta]))),
    slow_port_vs_balnet_rule_max_abs_mv=float(np.max(np.abs(v[i_slow] - ref))),
    slow_port_effect_max_mv=float(np.max(np.abs(ref - ref[0]))),
)
_, _, _, spikes, (i_delta, i_fast, _) = run(20.0)
res["spikes_delta"] = int(len(spikes[i_delta]))
res["spikes_fast_port"] = int(len(spikes[i_fast]))
res["same_spike_times"] = bool(len(spikes[i_delta]) == len(spikes[i_fast])
                               and np.allclose(spikes[i_delta], spikes[i_fast]))
print(json.dumps(res, indent=1))
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as f:
        json.dump(res, f, indent=1)
