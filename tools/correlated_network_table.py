"""Tables of docs/closures.md, "Correlated closure: network, several seeds", from the JSON
lines of examples/correlated_network.rs (docs/data/correlated_network_*.jsonl): means over
seeds and standard errors. Standard library only.

    python3 tools/correlated_network_table.py docs/data/correlated_network_default.jsonl
"""
import json, math, sys
def ms(x, d=2, sign=True):
    x=[v for v in x if v is not None and isinstance(v,(int,float)) and math.isfinite(v)]
    if not x: return 'n/a'
    n=len(x); m=sum(x)/n
    se=math.sqrt(sum((v-m)**2 for v in x)/(n-1)/n) if n>1 else float('nan')
    f=f'{{:{"+" if sign else ""}.{d}f}} ± {{:.{d}f}}'
    return f.format(m,se)
path=sys.argv[1]
L=[json.loads(l) for l in open(path)]
print(f'seeds {[l["seed"] for l in L]}, chi E/I {ms([l["chi"][0] for l in L],3,False)} / {ms([l["chi"][1] for l in L],3,False)}')
ne=len(L[0]['theories'][0]['epochs'])
for e in range(ne):
    ep0=L[0]['theories'][0]['epochs'][e]
    eps=[l['theories'][0]['epochs'][e] for l in L]
    ks=[abs(x['kappa_sim_hz'][0]) for x in eps]
    print(f"\nwindow {ep0['window_s']} s, s = {ep0['s']}: simulated |kappa| {ms(ks,3,False)} Hz, rates E / I {ms([x['populations'][0]['rate_sim_hz'] for x in eps],3,False)} / {ms([x['populations'][1]['rate_sim_hz'] for x in eps],3,False)} Hz, mean V {ms([x['populations'][0]['mean_v_sim_mv'] for x in eps],3,False)} / {ms([x['populations'][1]['mean_v_sim_mv'] for x in eps],3,False)} mV, Var(kappa(t)) {ms([l['kappa_windows'][e]['var_hz2'] for l in L],4,False)} Hz^2\n")
    print('| closure | kappa theory (Hz) | kappa (sim - th)/th (%) | rates E / I (sim - th)/th (%) | mean V E / I sim - th (mV) | KS E / I |')
    print('|---|---|---|---|---|---|')
    for ci,t in enumerate(L[0]['theories']):
        ep=[l['theories'][ci]['epochs'][e] for l in L]
        kth=[abs(x['kappa_theory_hz'][0]) for x in ep]
        krel=[100*(abs(x['kappa_sim_hz'][0])-abs(x['kappa_theory_hz'][0]))/abs(x['kappa_theory_hz'][0]) for x in ep] if min(kth)>1 else []
        r=[ms([100*x['populations'][p]['rate_rel_err'] for x in ep]) for p in range(2)]
        v=[ms([x['populations'][p]['mean_v_diff_mv'] for x in ep]) for p in range(2)]
        k=[ms([x['populations'][p]['ks_counting'] for x in ep],3,False) for p in range(2)]
        print(f"| {t['noise']} | {ms(kth,3,False)} | {ms(krel,1) if krel else 'n/a (|kappa| < 1 Hz)'} | {r[0]} / {r[1]} | {v[0]} / {v[1]} | {k[0]} / {k[1]} |")
if L[0]['theories'][0]['dv_dkappa_mv_per_hz']:
    print('\n| closure | d<V>/d kappa E: theory / sim (mV/Hz) | theory/sim - 1 (%) | I: theory / sim | theory/sim - 1 (%) |')
    print('|---|---|---|---|---|')
    for ci,t in enumerate(L[0]['theories']):
        row=[]
        for p in range(2):
            th=[l['theories'][ci]['dv_dkappa_mv_per_hz'][p][0] for l in L]
            si=[l['theories'][ci]['dv_dkappa_mv_per_hz'][p][1] for l in L]
            row.append(f"{ms(th,4)} / {ms(si,4)} | {ms([100*(a/b-1) for a,b in zip(th,si)],1)}")
        print(f"| {t['noise']} | {row[0]} | {row[1]} |")
