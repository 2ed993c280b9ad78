"""Simulator bindings on a small Brunel (2000) model A network: determinism for a seed
(docs/theory.md section 3), array types, output folders, and reuse by compare."""

import json

import numpy as np
import pytest

import balnet

def test_simulation_is_deterministic_for_a_seed(small_brunel):
    a = balnet.simulate(small_brunel, seed=7, threads=1)
    b = balnet.simulate(small_brunel, seed=7, threads=2)  # any number of threads
    c = balnet.simulate(small_brunel, seed=8, threads=1)
    for pa, pb, pc in zip(a["populations"], b["populations"], c["populations"]):
        for key in ["rates_hz", "raster_ids", "raster_times", "rate_t", "mean_v_t"]:
            np.testing.assert_array_equal(pa[key], pb[key])
        assert not np.array_equal(pa["raster_times"], pc["raster_times"])


def test_simulation_arrays(small_brunel):
    r = balnet.simulate(small_brunel)
    assert (r["seed"], r["duration_s"], r["warmup_s"], r["mode"]) == (3, 0.3, 0.1, "grid")
    for p, n in zip(r["populations"], [800, 200]):
        assert p["rates_hz"].dtype == np.float64 and p["rates_hz"].shape == (n,)
        assert p["cv_isi_per_neuron"].shape == (n,)
        assert p["raster_ids"].dtype == np.uint32
        assert p["raster_times"].dtype == np.float64
        assert p["raster_ids"].shape == p["raster_times"].shape
        assert np.all((p["raster_times"] >= 0) & (p["raster_times"] <= 0.4))
        # each neuron's rate is its spike count over the 0.3 s after the warm-up
        assert np.allclose(p["rates_hz"] * 0.3, np.round(p["rates_hz"] * 0.3), atol=1e-9)
        assert p["rate_hz"] == pytest.approx(p["rates_hz"].mean(), rel=1e-12)
        assert p["epoch_rates_hz"].shape == (len(r["epoch_windows"]), n)
    assert r["time_s"].shape == r["populations"][0]["rate_t"].shape
    assert r["kappa_t"].shape == (len(r["time_s"]), 0)  # D = 0


def test_output_folder_and_bad_overrides(small_brunel, tmp_path):
    r = balnet.simulate(small_brunel, seed=3, out=tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["populations"][0]["rate_hz"] == r["populations"][0]["rate_hz"]
    with pytest.raises(balnet.BalnetError, match=r"invalid duration = -1: must be finite and > 0 \(s\)"):
        balnet.simulate(small_brunel, duration=-1.0)
    with pytest.raises(balnet.BalnetError, match="invalid mode = exact"):
        balnet.simulate(small_brunel, mode="exact")


def _without_timing(x):
    if isinstance(x, dict):
        return {k: _without_timing(v) for k, v in x.items() if "wall" not in k}
    if isinstance(x, list):
        return [_without_timing(v) for v in x]
    return x


def test_compare_reuses_a_simulation(small_brunel):
    lines = []
    sim = balnet.simulate(small_brunel)
    rep = balnet.compare(small_brunel, sim=sim, progress=lines.append)
    assert not any("simulating" in line for line in lines)  # the given run was used
    fresh = balnet.compare(small_brunel)  # the same seed: the same run, the same report
    for key in ["theories", "sim_statistics"]:
        # everything but the measured wall-clock times is identical
        assert repr(_without_timing(rep[key])) == repr(_without_timing(fresh[key]))
    assert rep["table"].startswith("balnet compare: model `small brunel-a`")
    # the three default variants (the most complete closure comes first)
    assert sorted((t["transfer"], t["noise"]) for t in rep["theories"]) == [
        ("shot_noise", "poisson"),
        ("shot_noise", "spectral"),
        ("siegert", "poisson"),
    ]
    epoch = rep["theories"][0]["epochs"][0]
    assert list(epoch["window_s"]) == [0.1, 0.4]
    assert epoch["populations"][0]["rate_sim_hz"] == pytest.approx(sim["populations"][0]["rate_hz"], rel=1e-12)
    np.testing.assert_array_equal(rep["sim"]["populations"][0]["rates_hz"], sim["populations"][0]["rates_hz"])
    one = balnet.compare(small_brunel, sim=sim, variants=[("Siegert", "poisson")])
    siegert = [t for t in rep["theories"] if t["transfer"] == "siegert"]
    assert repr(_without_timing(one["theories"])) == repr(_without_timing(siegert))
    with pytest.raises(balnet.BalnetError, match="invalid noise = white"):
        balnet.compare(small_brunel, sim=sim, variants=[("siegert", "white")])
    other = balnet.brunel_a(5.0, 2.0).to_dict()
    other["name"] = "small brunel-a"  # same name and populations, other sizes
    with pytest.raises(balnet.BalnetError, match="must be a simulation of this Model"):
        balnet.compare(other, sim=sim)
    with pytest.raises(balnet.BalnetError, match="give either `sim` or"):
        balnet.compare(small_brunel, sim=sim, seed=4)
