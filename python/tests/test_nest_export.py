"""NEST export from Python (docs/nest.md): the script embeds Brunel's (2000) model A as the
paper defines it, and bad input is refused with the crate's message."""

import json

import pytest

import balnet


def embedded_plan(script):
    start = script.index('PLAN = json.loads(r"""') + len('PLAN = json.loads(r"""')
    return json.loads(script[start : script.index('""")', start)])


def test_script_builds_brunel_model_a(small_brunel, tmp_path):
    path = tmp_path / "net.py"
    script = balnet.export_nest(small_brunel, path, threads=2, seed=9)
    assert path.read_text() == script
    compile(script, str(path), "exec")  # valid Python
    plan = embedded_plan(script)
    assert (plan["neuron_model"], plan["threads"], plan["seed"]) == ("iaf_psc_delta", 2, 9)
    # Brunel (2000): J = 0.2 mV, J_I = -g J, C_E = 100, C_I = C_E / 4, delay 1.5 ms
    blocks = {(b["post"], b["pre"]): b for b in plan["blocks"]}
    for post in (0, 1):
        assert blocks[(post, 0)]["conn_spec"]["indegree"] == 100
        assert blocks[(post, 1)]["conn_spec"]["indegree"] == 25
        assert blocks[(post, 0)]["weight"] == pytest.approx(0.2, rel=1e-12)
        assert blocks[(post, 1)]["weight"] == pytest.approx(-1.0, rel=1e-12)
        assert blocks[(post, 0)]["delay_steps"] == [15, 15]
    # external drive: C_E trains at eta nu_thr, nu_thr = theta / (J C_E tau) = 50 Hz
    for pop, n in zip(plan["populations"], [800, 200]):
        assert pop["n"] == n
        assert pop["external"]["rate_hz"] == pytest.approx(100 * 2.0 * 50.0, rel=1e-12)
        assert pop["params"]["tau_m"] == pytest.approx(20.0)  # ms in NEST


def test_scaled_export_and_errors(small_brunel, tmp_path):
    plan = embedded_plan(balnet.export_nest(small_brunel, n_scale=0.5))
    assert [p["n"] for p in plan["populations"]] == [400, 100]
    with pytest.raises(balnet.BalnetError, match="n_scale"):
        balnet.export_nest(small_brunel, n_scale=-1.0)
    with pytest.raises(balnet.BalnetError):
        balnet.read_nest(tmp_path / "no such folder")
