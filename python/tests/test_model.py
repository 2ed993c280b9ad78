"""Models: every accepted form, round trips, and the crate's error text."""

import copy
import pickle

import pytest

import balnet


def test_round_trip_dict_model_dict():
    for name in balnet.presets():
        m = balnet.Model(name)
        d = m.to_dict()
        assert isinstance(d["populations"], list)  # plain lists: editable, JSON-able
        assert balnet.Model(d).to_dict() == d
        assert balnet.Model(d) == m
        assert balnet.Model.from_toml(m.to_toml()) == m
        assert balnet.Model.from_json(m.to_json()) == m
        assert balnet.Model(m.to_toml()) == m  # TOML text where a model is accepted
        assert pickle.loads(pickle.dumps(m)) == m
        assert copy.deepcopy(m) == m


def test_presets_by_any_spelling_and_brunel_parameters():
    assert balnet.Model("Brunel_A") == balnet.Model.preset("brunel-a")
    assert balnet.Model("brunel-a") == balnet.brunel_a(5.0, 2.0)
    m = balnet.brunel_a(6.0, 1.5, c_e=400, n_e=4000, n_i=1000)
    # Brunel (2000): J_I = -g J, nu_ext = eta theta / (J C_E tau_m), K = C_E
    d = m.to_dict()
    assert d["k"] == 400
    assert d["j"][0][1] == pytest.approx(-6.0 * d["j"][0][0])
    assert d["external"]["nu0"] == pytest.approx(1.5 * 20.0 / (0.1 * 400 * 0.020))
    assert (m.p, m.d, m.d_in, m.population_names) == (2, 0, 0, ["E", "I"])
    assert balnet.Model("default").d == 1


def test_files(tmp_path):
    m = balnet.Model("latent-bistable")
    for name in ["m.toml", "m.json", "m.JSON"]:
        path = tmp_path / name
        m.save(path)
        assert balnet.Model(path) == m  # os.PathLike
        assert balnet.Model(str(path)) == m
        assert balnet.Model.from_file(path) == m
        assert balnet.solve(path)["model"] == "latent-bistable"


def test_invalid_parameter_names_field_value_and_rule():
    d = balnet.Model("default").to_dict()
    d["populations"][0]["tau_m"] = -0.02
    with pytest.raises(balnet.BalnetError) as e:
        balnet.Model(d)
    assert isinstance(e.value, ValueError)
    assert str(e.value).startswith("invalid populations[0].tau_m = -0.02: must be finite, >= 1e-12")
    # the same text wherever a model is accepted
    with pytest.raises(balnet.BalnetError, match=r"populations\[0\]\.tau_m = -0.02"):
        balnet.solve(d)


def test_unknown_field_preset_and_type():
    d = balnet.Model("default").to_dict()
    d["populations"][0]["tau"] = 0.02
    with pytest.raises(balnet.BalnetError, match="unknown field `tau`"):
        balnet.Model(d)
    with pytest.raises(balnet.BalnetError, match="neither a preset .*default-d0"):
        balnet.solve("defualt")
    with pytest.raises(balnet.BalnetError, match=r"invalid model\['k'\] = NaN: must be finite"):
        balnet.Model({**balnet.Model("default").to_dict(), "k": float("nan")})
    with pytest.raises(TypeError, match="not int"):
        balnet.solve(42)
    with pytest.raises(balnet.BalnetError, match="cannot parse model"):
        balnet.Model("k = [")


def test_theory_overrides_are_checked():
    with pytest.raises(balnet.BalnetError, match="invalid transfer = lif: must be `siegert` or `shot-noise`"):
        balnet.solve("default", transfer="lif")
    with pytest.raises(balnet.BalnetError, match="invalid limit = infinite"):
        balnet.solve("default", limit="infinite")
    with pytest.raises(balnet.BalnetError, match="kappa"):
        balnet.solve("default", kappa=[1.0, 2.0])  # D = 1
