//! Python bindings of balnet (the extension module `balnet._balnet`; the package `balnet`
//! re-exports it). Every binding is one library call of the crate, with the Python
//! interpreter released while it runs; see `docs/python.md`.

use std::path::PathBuf;

use num_complex::Complex64;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};
use serde::Serialize;
use serde_json::json;

use balnet::model::MAX_MAGNITUDE;
use balnet::sim::SimResult;
use balnet::sim::output::{self, RunDir};
use balnet::theory::response::{
    ClosedForm, NetworkResponse, NeuronResponse, ResponseOptions, RootBox, SpikeSpectrum,
    ThresholdIntegration,
};
use balnet::theory::{Limit, State, latent, predictions, stationary};
use balnet::transfer::{LifParams, siegert as lif_siegert};
use balnet::{Error, Model};

mod convert;
mod input;

use convert::{Lists, array_nd, array1, array2, json_to_py, py_to_json, vec_f64};
use input::{Progress, cap_threads, sim_overrides, theory_model, to_model};

create_exception!(
    balnet,
    BalnetError,
    PyValueError,
    "An error of balnet: the text names the parameter, its value, the rule it breaks and \
     the unit (or what failed to converge). A subclass of ValueError."
);

/// A crate error as a Python `BalnetError` carrying its text.
pub(crate) fn err(e: Error) -> PyErr {
    BalnetError::new_err(e.to_string())
}

/// Run `f` with the interpreter released (other Python threads run meanwhile); a Ctrl-C
/// that arrived meanwhile raises `KeyboardInterrupt` when it returns.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> balnet::Result<T> + Send) -> PyResult<T> {
    let r = py.detach(f).map_err(err)?;
    py.check_signals()?;
    Ok(r)
}

/// A serde result as a Python dict (rectangular lists of numbers as numpy arrays).
fn to_py<'py, T: Serialize>(py: Python<'py>, x: &T) -> PyResult<Bound<'py, PyDict>> {
    let v = serde_json::to_value(x)
        .map_err(|e| err(Error::Io(format!("cannot convert a result: {e}"))))?;
    Ok(json_to_py(py, &v, Lists::Arrays)?.cast_into::<PyDict>()?)
}

/// An optional vector argument (a number or a 1-D sequence), or its default.
fn vec_or(
    obj: Option<&Bound<'_, PyAny>>,
    at: &str,
    default: impl FnOnce() -> Vec<f64>,
) -> PyResult<Vec<f64>> {
    match obj {
        Some(o) if !o.is_none() => vec_f64(o, at),
        _ => Ok(default()),
    }
}

/// The stable latent fixed point at input `s` nearest to `kappa = 0` (a ring's
/// representative point, else 0): where a network started at rest settles.
fn default_kappa(m: &Model, limit: Limit, s: &[f64]) -> balnet::Result<Vec<f64>> {
    if m.d() == 0 {
        return Ok(vec![]);
    }
    let sol = latent::fixed_points(m, limit, s, &latent::SearchBox::default())?;
    Ok(sol
        .stable_nearest(&vec![0.0; m.d()])
        .map(|f| f.kappa.clone())
        .or_else(|| sol.rings.first().map(|r| r.representative.clone()))
        .unwrap_or_else(|| vec![0.0; m.d()]))
}

/// Validated LIF parameters of the single-neuron functions (docs/theory.md 2.2).
fn lif_params(tau_m: f64, tau_ref: f64, theta: f64, v_reset: f64) -> PyResult<LifParams> {
    if !(tau_m.is_finite() && tau_m > 0.0) {
        return Err(err(Error::invalid(
            "tau_m",
            tau_m,
            "must be finite and > 0 (s)",
        )));
    }
    if !(tau_ref.is_finite() && tau_ref >= 0.0) {
        return Err(err(Error::invalid(
            "tau_ref",
            tau_ref,
            "must be finite and >= 0 (s)",
        )));
    }
    for (f, v) in [("theta", theta), ("v_reset", v_reset)] {
        check_mv(f, v)?;
    }
    if theta.partial_cmp(&v_reset) != Some(std::cmp::Ordering::Greater) {
        return Err(err(Error::invalid(
            "theta",
            theta,
            format!("must exceed v_reset = {v_reset} (mV)"),
        )));
    }
    Ok(LifParams {
        tau_m,
        theta,
        v_reset,
        tau_ref,
    })
}

/// The magnitude rule of docs/theory.md section 7 for a potential (mV).
fn check_mv(field: &str, v: f64) -> PyResult<()> {
    if v.is_finite() && v.abs() <= MAX_MAGNITUDE {
        Ok(())
    } else {
        Err(err(Error::invalid(
            field,
            format!("{v:e}"),
            format!(
                "must be finite with magnitude <= {MAX_MAGNITUDE:e} (mV; docs/theory.md section 7)"
            ),
        )))
    }
}

/// `sigma` must be finite, > 0 and within the magnitude rule (mV).
fn check_sigma(field: &str, v: f64) -> PyResult<()> {
    check_mv(field, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(err(Error::invalid(field, v, "must be > 0 (mV)")))
    }
}

/// `mu` and `sigma` broadcast against each other (numpy rules) and flattened.
struct Broadcast {
    mu: Vec<f64>,
    sigma: Vec<f64>,
    /// The broadcast shape.
    shape: Vec<usize>,
    /// Both were numbers (0-d).
    scalar: bool,
}

fn broadcast_pair(mu: &Bound<'_, PyAny>, sigma: &Bound<'_, PyAny>) -> PyResult<Broadcast> {
    let py = mu.py();
    let np = py.import("numpy")?;
    let a = np.call_method1("asarray", (mu, "float64"))?;
    let b = np.call_method1("asarray", (sigma, "float64"))?;
    let scalar =
        a.getattr("ndim")?.extract::<usize>()? == 0 && b.getattr("ndim")?.extract::<usize>()? == 0;
    let both = np.call_method1("broadcast_arrays", (a, b))?;
    let a = both.get_item(0)?;
    let b = both.get_item(1)?;
    let shape: Vec<usize> = a.getattr("shape")?.extract()?;
    let flat = |x: &Bound<'_, PyAny>| -> PyResult<Vec<f64>> {
        x.call_method0("ravel")?.call_method0("tolist")?.extract()
    };
    Ok(Broadcast {
        mu: flat(&a)?,
        sigma: flat(&b)?,
        shape,
        scalar,
    })
}

/// Index of `i` in a flat array of `shape`, for error messages (`[i, j]`).
fn index_of(mut i: usize, shape: &[usize]) -> String {
    if shape.is_empty() {
        return String::new();
    }
    let mut idx = vec![0; shape.len()];
    for k in (0..shape.len()).rev() {
        idx[k] = i % shape[k].max(1);
        i /= shape[k].max(1);
    }
    format!("{idx:?}")
}

/// Evaluate a single-neuron function of `(mu, sigma)` elementwise with broadcasting.
fn siegert_map<'py>(
    py: Python<'py>,
    mu: &Bound<'py, PyAny>,
    sigma: &Bound<'py, PyAny>,
    lif: LifParams,
    f: fn(&LifParams, f64, f64) -> f64,
) -> PyResult<Bound<'py, PyAny>> {
    let Broadcast {
        mu: mus,
        sigma: sigmas,
        shape,
        scalar,
    } = broadcast_pair(mu, sigma)?;
    for (i, (&m, &s)) in mus.iter().zip(&sigmas).enumerate() {
        check_mv(&format!("mu{}", index_of(i, &shape)), m)?;
        check_sigma(&format!("sigma{}", index_of(i, &shape)), s)?;
    }
    let out: Vec<f64> = py.detach(|| {
        mus.iter()
            .zip(&sigmas)
            .map(|(&m, &s)| f(&lif, m, s))
            .collect()
    });
    if scalar {
        Ok(pyo3::IntoPyObjectExt::into_bound_py_any(out[0], py)?)
    } else {
        array_nd(py, out, &shape)
    }
}

/// The single-neuron response named by `response` (docs/theory.md 6.1, 6.2).
fn neuron_response(name: &str) -> PyResult<&'static dyn NeuronResponse> {
    static CLOSED: ClosedForm = ClosedForm;
    static THRESHOLD: ThresholdIntegration = ThresholdIntegration;
    match name.to_ascii_lowercase().as_str() {
        "closed-form" | "closed_form" => Ok(&CLOSED),
        "threshold" => Ok(&THRESHOLD),
        other => Err(err(Error::invalid(
            "response",
            other,
            "must be `closed-form` or `threshold`",
        ))),
    }
}

/// The stationary state the linear response is taken around (docs/theory.md 6.3).
fn response_state(
    py: Python<'_>,
    m: &Model,
    limit: Limit,
    kappa: Option<Vec<f64>>,
    pr: &Progress<'_>,
) -> PyResult<State> {
    if limit == Limit::Balanced {
        return Err(err(Error::invalid(
            "limit",
            "balanced",
            "the network linear response is defined at finite K only (docs/theory.md 6.3)",
        )));
    }
    let s = m.signal(0.0);
    let k = match kappa {
        Some(k) => k,
        None if m.d() > 0 => {
            pr.say("latent fixed points (the state is taken at the stable one nearest kappa = 0)")?;
            detached(py, || default_kappa(m, limit, &s))?
        }
        None => vec![],
    };
    pr.say("stationary state")?;
    detached(py, || stationary::solve(m, limit, &k, &s, None))
}

/// Frequencies (Hz) must be finite and >= 0.
fn check_frequencies(freqs: &[f64]) -> PyResult<()> {
    for (i, &f) in freqs.iter().enumerate() {
        if !(0.0..=MAX_MAGNITUDE).contains(&f) {
            return Err(err(Error::invalid(
                format!("frequencies_hz[{i}]"),
                f,
                "must be finite and >= 0 (Hz)",
            )));
        }
    }
    Ok(())
}

/// Populations' names of a Model.
fn names(m: &Model) -> Vec<String> {
    m.populations.iter().map(|p| p.name.clone()).collect()
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

/// A balnet network Model (docs/theory.md section 1): populations, connectivity,
/// couplings, external drive, delays, low-rank latent structure, the theory's transfer
/// function and noise closure, and the simulator settings.
///
/// ``Model(source)`` accepts a ``Model``, a dict with the fields of the TOML format
/// (docs/guide.md), a preset name (``"default"``, ``"default-d0"``, ``"latent-bistable"``,
/// ``"brunel-a"``, ``"ring-memory"``, ``"latent-oscillation"``, ``"context-integration"``;
/// docs/theory.md 12), the path of a ``.toml`` or ``.json`` file, or TOML text. Every Model is
/// validated when it is made (a ``BalnetError`` names the field, its value and the rule)
/// and is immutable: change a copy of ``to_dict()`` and build a new one. Models compare
/// equal field by field and pickle (for process pools).
#[pyclass(name = "Model", module = "balnet", frozen, eq)]
#[derive(PartialEq)]
pub struct PyModel {
    pub inner: Model,
}

#[pymethods]
impl PyModel {
    #[new]
    fn new(source: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyModel {
            inner: to_model(source)?,
        })
    }

    /// A Model from a dict with the fields of the TOML format (as ``to_dict()`` returns).
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyModel {
            inner: input::model_from_dict(d)?,
        })
    }

    /// A Model from TOML text (the format of ``balnet model default``, docs/guide.md).
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<Self> {
        Ok(PyModel {
            inner: Model::from_toml(text).map_err(err)?,
        })
    }

    /// A Model from JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(PyModel {
            inner: Model::from_json(text).map_err(err)?,
        })
    }

    /// A Model from a ``.toml`` or ``.json`` file.
    #[staticmethod]
    fn from_file(path: PathBuf) -> PyResult<Self> {
        Ok(PyModel {
            inner: input::model_from_file(&path)?,
        })
    }

    /// A preset by name: ``default`` (docs/theory.md section 5), ``default-d0`` (without
    /// latent structure), ``latent-bistable``, ``brunel-a`` (Brunel 2000 model A at g = 5,
    /// eta = 2; see ``balnet.brunel_a`` for other parameters), ``ring-memory``,
    /// ``latent-oscillation``, ``context-integration`` (docs/theory.md 12). Any case, ``_``
    /// or ``-``.
    #[staticmethod]
    fn preset(name: &str) -> PyResult<Self> {
        input::preset(name)
            .map(|inner| PyModel { inner })
            .ok_or_else(|| {
                err(Error::invalid(
                    "preset",
                    name,
                    format!("unknown preset (have: {})", input::PRESETS.join(", ")),
                ))
            })
    }

    /// The Model as a dict of plain Python lists, numbers and strings (the fields of the
    /// TOML format); ``Model(d)`` reads it back.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(&self.inner)
            .map_err(|e| err(Error::Io(format!("cannot convert the model: {e}"))))?;
        json_to_py(py, &v, Lists::Plain)
    }

    /// The Model as TOML text.
    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    /// The Model as JSON text (indented).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.inner)
            .map_err(|e| err(Error::Io(format!("cannot convert the model: {e}"))))
    }

    /// Write the Model to a file: JSON if the name ends in ``.json`` (any case), else TOML.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let text = if json {
            self.to_json()?
        } else {
            self.to_toml()
        };
        std::fs::write(&path, text).map_err(|e| {
            err(Error::file(
                format!("cannot write model file {}", path.display()),
                e,
            ))
        })
    }

    /// The Model's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Number of populations ``P``.
    #[getter]
    fn p(&self) -> usize {
        self.inner.p()
    }

    /// Latent dimension ``D`` (0 without latent structure).
    #[getter]
    fn d(&self) -> usize {
        self.inner.d()
    }

    /// Input dimension ``D_in``.
    #[getter]
    fn d_in(&self) -> usize {
        self.inner.d_in()
    }

    /// Population names, in Model order.
    #[getter]
    fn population_names(&self) -> Vec<String> {
        names(&self.inner)
    }

    fn __repr__(&self) -> String {
        let m = &self.inner;
        format!(
            "<balnet.Model {:?}: {} populations ({}), N = {}, K = {}, D = {}>",
            m.name,
            m.p(),
            names(m).join(", "),
            m.populations.iter().map(|p| p.n).sum::<usize>(),
            m.k,
            m.d()
        )
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let d = slf.get().to_dict(py)?;
        Ok((slf.get_type(), PyTuple::new(py, [d])?))
    }
}

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// The names of the presets (``Model.preset`` and every ``model`` argument accept them).
#[pyfunction]
fn presets() -> Vec<&'static str> {
    input::PRESETS.to_vec()
}

/// Brunel (2000) model A as docs/theory.md section 4 maps it: relative inhibition ``g``
/// (J_I = -g J), external drive ``eta = nu_ext / nu_thr``, coupling ``j`` (mV), ``c_e``
/// excitatory inputs per neuron, ``n_e`` and ``n_i`` neurons; fixed in-degree, one delay of
/// 1.5 ms.
#[pyfunction]
#[pyo3(signature = (g, eta, j = 0.1, c_e = 1000, n_e = 10000, n_i = 2500))]
fn brunel_a(g: f64, eta: f64, j: f64, c_e: usize, n_e: usize, n_i: usize) -> PyResult<PyModel> {
    Ok(PyModel {
        inner: balnet::presets::brunel_a(g, eta, j, c_e, n_e, n_i).map_err(err)?,
    })
}

/// Siegert rate ``Phi(mu, sigma)`` (Hz) of a LIF neuron with white-noise input of mean
/// ``mu`` (mV) and noise ``sigma`` (mV), docs/theory.md 2.2:
/// ``1 / (tau_ref + tau_m sqrt(pi) Int_{(v_reset-mu)/sigma}^{(theta-mu)/sigma} erfcx(-u) du)``.
/// ``mu`` and ``sigma`` are numbers or arrays (broadcast by numpy's rules); the result is a
/// float for two numbers, else a float64 array of the broadcast shape. Times in s,
/// potentials in mV.
#[pyfunction]
#[pyo3(signature = (mu, sigma, tau_m = 0.02, tau_ref = 0.002, theta = 20.0, v_reset = 10.0))]
fn siegert<'py>(
    py: Python<'py>,
    mu: &Bound<'py, PyAny>,
    sigma: &Bound<'py, PyAny>,
    tau_m: f64,
    tau_ref: f64,
    theta: f64,
    v_reset: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let lif = lif_params(tau_m, tau_ref, theta, v_reset)?;
    siegert_map(py, mu, sigma, lif, lif_siegert::rate)
}

/// ``dPhi/dmu`` (Hz/mV) of the Siegert rate (docs/theory.md 2.2), with the arguments and
/// broadcasting of ``siegert``.
#[pyfunction]
#[pyo3(signature = (mu, sigma, tau_m = 0.02, tau_ref = 0.002, theta = 20.0, v_reset = 10.0))]
fn siegert_derivative<'py>(
    py: Python<'py>,
    mu: &Bound<'py, PyAny>,
    sigma: &Bound<'py, PyAny>,
    tau_m: f64,
    tau_ref: f64,
    theta: f64,
    v_reset: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let lif = lif_params(tau_m, tau_ref, theta, v_reset)?;
    siegert_map(py, mu, sigma, lif, lif_siegert::drate_dmu)
}

/// Rate susceptibilities of one LIF neuron with white-noise input (docs/theory.md 6.1,
/// 6.2) at the frequencies ``frequencies_hz`` (Hz, a number or 1-D array): the rate
/// answers ``chi_mu(f) mu_1`` to a modulation ``mu_1 exp(2 pi i f t)`` of the mean input
/// and ``chi_sigma2(f) s_1`` to one of the input variance. ``response`` is
/// ``"closed-form"`` (parabolic cylinder functions; Brunel & Hakim 1999, Lindner &
/// Schimansky-Geier 2001) or ``"threshold"`` (threshold integration, Richardson 2007).
/// At ``f = 0`` they are ``dPhi/dmu`` and ``dPhi/dsigma^2`` of the Siegert rate.
///
/// Returns a dict: ``frequencies_hz`` (float64), ``chi_mu_hz_per_mv`` and
/// ``chi_sigma2_hz_per_mv2`` (complex128, one per frequency), ``rate_hz``.
#[pyfunction]
#[pyo3(signature = (mu, sigma, frequencies_hz, tau_m = 0.02, tau_ref = 0.002, theta = 20.0,
    v_reset = 10.0, response = "closed-form"))]
#[allow(clippy::too_many_arguments)]
fn susceptibility<'py>(
    py: Python<'py>,
    mu: f64,
    sigma: f64,
    frequencies_hz: &Bound<'py, PyAny>,
    tau_m: f64,
    tau_ref: f64,
    theta: f64,
    v_reset: f64,
    response: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let lif = lif_params(tau_m, tau_ref, theta, v_reset)?;
    check_mv("mu", mu)?;
    check_sigma("sigma", sigma)?;
    let freqs = vec_f64(frequencies_hz, "frequencies_hz")?;
    check_frequencies(&freqs)?;
    let r = neuron_response(response)?;
    let (rate, chi) = detached(py, || {
        let mut rate = lif_siegert::rate(&lif, mu, sigma);
        let mut chi = Vec::with_capacity(freqs.len());
        for &f in &freqs {
            let lambda = Complex64::new(0.0, 2.0 * std::f64::consts::PI * f);
            let (nu, cm, cs) = r.response(&lif, mu, sigma, lambda)?;
            rate = nu;
            chi.push((cm, cs));
        }
        Ok((rate, chi))
    })?;
    let d = PyDict::new(py);
    d.set_item("response", r.name())?;
    d.set_item("rate_hz", rate)?;
    d.set_item("frequencies_hz", array1(py, &freqs))?;
    let cm: Vec<Complex64> = chi.iter().map(|c| c.0).collect();
    let cs: Vec<Complex64> = chi.iter().map(|c| c.1).collect();
    d.set_item("chi_mu_hz_per_mv", array1(py, &cm))?;
    d.set_item("chi_sigma2_hz_per_mv2", array1(py, &cs))?;
    Ok(d)
}

/// Stationary state of the fast variables (docs/theory.md 2.4) at the latent state
/// ``kappa`` (Hz; default 0) and input ``s`` (default ``s(0)`` of the Model).
///
/// ``limit`` is ``"finite"`` (K as given) or ``"balanced"`` (K -> infinity);
/// ``transfer`` (``"siegert"``, ``"shot-noise"``) and ``noise`` (``"poisson"``,
/// ``"renewal"``, ``"spectral"``, ``"correlated"``, ``"correlated-full"``) override the Model's choices. With ``all_states=True``
/// every stationary state found by multi-start Newton is returned (as ``balnet solve``
/// does; slower), highest rate first, and the first is the primary one.
///
/// Returns a dict: ``model``, ``limit``, ``kappa``, ``s``, ``populations`` (one dict per
/// population: ``rate_hz``, ``q_hz2``, ``mu_mv``, ``sigma_mv``, ``quenched_var_mv2``,
/// ``mean_input_mv``, ``delta_mv2``, ``gain_hz_per_mv``, ``mean_v_mv``, ``fano``),
/// ``rates_hz`` (float64 array, one per population), ``residual``, ``stationary_states``
/// (with ``all_states``), ``balance_condition_number`` (balanced limit).
/// ``balnet solve`` is this plus ``fixed_points``.
#[pyfunction]
#[pyo3(signature = (model, kappa = None, s = None, *, limit = "finite", transfer = None,
    noise = None, all_states = false, progress = None))]
#[allow(clippy::too_many_arguments)]
fn solve<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    kappa: Option<&Bound<'py, PyAny>>,
    s: Option<&Bound<'py, PyAny>>,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    all_states: bool,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let kappa = vec_or(kappa, "kappa", || vec![0.0; m.d()])?;
    let s = vec_or(s, "s", || m.signal(0.0))?;
    let pr = Progress::new(py, "solve", progress)?;
    pr.say(format!("stationary state of {:?} ({limit} K)", m.name))?;
    let states = detached(py, || {
        if all_states {
            stationary::solve_all(&m, limit, &kappa, &s)
        } else {
            stationary::solve(&m, limit, &kappa, &s, None).map(|st| vec![st])
        }
    })?;
    let primary = &states[0];
    let mut out = json!({
        "model": m.name,
        "limit": limit.to_string(),
        "kappa": kappa,
        "s": s,
        "populations": primary.populations,
        "residual": primary.residual,
    });
    if all_states {
        out["stationary_states"] = json!(states);
    }
    if limit == Limit::Balanced {
        let (_, cond) = detached(py, || stationary::balanced_rates(&m))?;
        out["balance_condition_number"] = json!(cond);
    }
    pr.say("done")?;
    let d = to_py(py, &out)?;
    d.set_item("rates_hz", array1(py, &primary.rates()))?;
    Ok(d)
}

/// Every latent fixed point ``kappa* = F(kappa*, s)`` in the box ``|kappa_d| <= kappa_max``
/// (Hz) at input ``s`` (default ``s(0)``), with its stability (docs/theory.md 2.4-2.5):
/// for D = 1 by bracketing on a grid of ``grid`` points refined by Brent's method, for
/// D >= 2 by multi-start Newton from ``starts`` points, with rings of fixed points
/// (rotation-symmetric structure) reported as one object each.
///
/// Returns a dict: ``model``, ``limit``, ``s``, ``fixed_points`` (dicts: ``kappa``,
/// ``stable``, ``eigenvalues`` [re, im] (1/s), ``state``), ``rings``, and the arrays
/// ``kappa`` (n x D, float64) and ``stable`` (n, bool) of the isolated fixed points.
#[pyfunction]
#[pyo3(signature = (model, s = None, *, kappa_max = 80.0, grid = 161, starts = 40,
    limit = "finite", transfer = None, noise = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn fixed_points<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    s: Option<&Bound<'py, PyAny>>,
    kappa_max: f64,
    grid: usize,
    starts: usize,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let s = vec_or(s, "s", || m.signal(0.0))?;
    let pr = Progress::new(py, "fixed_points", progress)?;
    let search = latent::SearchBox {
        kappa_max,
        grid,
        starts,
    };
    pr.say(format!(
        "latent fixed points of {:?} in |kappa| <= {kappa_max} Hz ({limit} K)",
        m.name
    ))?;
    let sol = detached(py, || latent::fixed_points(&m, limit, &s, &search))?;
    pr.say(format!(
        "done: {} fixed points, {} rings",
        sol.fixed_points.len(),
        sol.rings.len()
    ))?;
    let d = to_py(py, &sol)?;
    d.set_item("model", &m.name)?;
    let k: Vec<Vec<f64>> = sol.fixed_points.iter().map(|f| f.kappa.clone()).collect();
    d.set_item("kappa", array2(py, &k, m.d())?)?;
    let stable: Vec<bool> = sol.fixed_points.iter().map(|f| f.stable).collect();
    d.set_item("stable", array1(py, &stable))?;
    Ok(d)
}

/// Latent dynamics ``tau_s dkappa/dt = -kappa + F(kappa, s(t))`` along the Model's input
/// signal, with the fast variables re-solved at every step (docs/theory.md 2.5), from
/// ``kappa0`` (Hz; default: the stable fixed point at ``s(0)`` nearest 0) at t = 0 to
/// ``t_end`` (s; default warm-up plus duration of the Model's simulation), output every
/// ``dt_out`` (s). ``rtol``, ``atol`` (Hz): tolerances of the adaptive step.
///
/// Returns a dict: ``model``, ``limit``, ``t`` (T, float64, s), ``kappa`` (T x D, Hz),
/// ``s`` (T x D_in), ``populations`` (dicts: ``name`` and float64 arrays ``rate_hz``,
/// ``mu_mv``, ``mean_v_mv``, ``delta_mv2``), ``kappa0``, ``evaluations`` (fast solves).
#[pyfunction]
#[pyo3(signature = (model, t_end = None, dt_out = 0.01, kappa0 = None, *, rtol = 1e-6,
    atol = 1e-6, limit = "finite", transfer = None, noise = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn dynamics<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    t_end: Option<f64>,
    dt_out: f64,
    kappa0: Option<&Bound<'py, PyAny>>,
    rtol: f64,
    atol: f64,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let t_end = t_end.unwrap_or(m.sim.warmup + m.sim.duration);
    let pr = Progress::new(py, "dynamics", progress)?;
    let k0 = match kappa0 {
        Some(k) if !k.is_none() => vec_f64(k, "kappa0")?,
        _ if m.d() > 0 => {
            pr.say("latent fixed points at s(0) (the start is the stable one nearest 0)")?;
            detached(py, || default_kappa(&m, limit, &m.signal(0.0)))?
        }
        _ => vec![],
    };
    pr.say(format!("integrating to t = {t_end} s ({limit} K)"))?;
    let opts = balnet::theory::dynamics::DynamicsOptions {
        rtol,
        atol,
        ..Default::default()
    };
    let tr = detached(py, || {
        balnet::theory::dynamics::integrate(&m, limit, &k0, t_end, dt_out, &opts)
    })?;
    pr.say(format!("done: {} fast solves", tr.evaluations))?;
    let d = PyDict::new(py);
    d.set_item("model", &m.name)?;
    d.set_item("limit", limit.to_string())?;
    d.set_item("t", array1(py, &tr.t))?;
    d.set_item("kappa", array2(py, &tr.kappa, m.d())?)?;
    d.set_item("s", array2(py, &tr.s, m.d_in())?)?;
    let pops = tr
        .populations
        .iter()
        .map(|p| {
            let e = PyDict::new(py);
            e.set_item("name", &p.name)?;
            e.set_item("rate_hz", array1(py, &p.rate_hz))?;
            e.set_item("mu_mv", array1(py, &p.mu_mv))?;
            e.set_item("mean_v_mv", array1(py, &p.mean_v_mv))?;
            e.set_item("delta_mv2", array1(py, &p.delta_mv2))?;
            Ok(e)
        })
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item("populations", pops)?;
    d.set_item("kappa0", array1(py, &k0))?;
    d.set_item("evaluations", tr.evaluations)?;
    Ok(d)
}

// the default of `rate_distribution` below spells the crate's constant out for Python
const _: () = assert!(predictions::rate_distribution::DEFAULT_SILENT_THRESHOLD_HZ == 1e-3);

/// Largest number of grid points of ``rate_distribution``.
const MAX_RATE_POINTS: usize = 1_000_000;

/// Rate distribution ``P(nu)`` of population ``pop`` (name or index) at the latent state
/// ``kappa`` (Hz; default 0) and input ``s`` (default ``s(0)``), docs/theory.md 2.6.2: the
/// push-forward of the Gaussian of mean inputs ``N(M_A, Delta_A)`` through the transfer
/// function, with its exact CDF and the silent fraction (rate below
/// ``silent_threshold_hz``). The grid is ``points`` rates following the probability mass,
/// or the rates ``rates_hz`` (Hz, increasing) when given.
///
/// Returns a dict: ``population``, ``nu_hz``, ``density_per_hz`` (1/Hz), ``cdf`` (float64
/// arrays of one length), ``mass_at_zero`` (silent fraction), ``mean_hz``,
/// ``second_moment_hz2``, ``mean_input_mv``, ``delta_mv2``, ``sigma_mv``, ``rate_hz``
/// (the population rate of the state), and the other fields of the crate's
/// ``RateDistribution``. The default ``silent_threshold_hz`` is the crate's
/// ``DEFAULT_SILENT_THRESHOLD_HZ`` (one spike in 1000 s).
#[pyfunction]
#[pyo3(signature = (model, pop, kappa = None, s = None, *, points = 400, rates_hz = None,
    silent_threshold_hz = 1e-3,
    limit = "finite", transfer = None, noise = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn rate_distribution<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    pop: &Bound<'py, PyAny>,
    kappa: Option<&Bound<'py, PyAny>>,
    s: Option<&Bound<'py, PyAny>>,
    points: usize,
    rates_hz: Option<&Bound<'py, PyAny>>,
    silent_threshold_hz: f64,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let a = if let Ok(i) = pop.extract::<usize>() {
        if i >= m.p() {
            return Err(err(Error::invalid(
                "pop",
                i,
                format!(
                    "must be < P = {} (or a population name: {})",
                    m.p(),
                    names(&m).join(", ")
                ),
            )));
        }
        i
    } else {
        m.population_index(&pop.extract::<String>()?).map_err(err)?
    };
    let kappa = vec_or(kappa, "kappa", || vec![0.0; m.d()])?;
    let s = vec_or(s, "s", || m.signal(0.0))?;
    let grid = match rates_hz {
        Some(r) if !r.is_none() => predictions::RateGrid::Rates {
            nu_hz: vec_f64(r, "rates_hz")?,
        },
        _ => {
            if !(3..=MAX_RATE_POINTS).contains(&points) {
                return Err(err(Error::invalid(
                    "points",
                    points,
                    format!("must be 3 to {MAX_RATE_POINTS}"),
                )));
            }
            predictions::RateGrid::Auto { points }
        }
    };
    let pr = Progress::new(py, "rate_distribution", progress)?;
    pr.say(format!("stationary state of {:?} ({limit} K)", m.name))?;
    let st = detached(py, || stationary::solve(&m, limit, &kappa, &s, None))?;
    pr.say(format!("rate distribution of {}", m.populations[a].name))?;
    let rd = detached(py, || {
        predictions::rate_distribution(&m, &st, a, &grid, silent_threshold_hz)
    })?;
    pr.say("done")?;
    let d = to_py(py, &rd)?;
    d.set_item("model", &m.name)?;
    d.set_item("population", &m.populations[a].name)?;
    d.set_item("kappa", array1(py, &kappa))?;
    d.set_item("s", array1(py, &s))?;
    d.set_item("rate_hz", st.populations[a].rate_hz)?;
    d.set_item("nu_hz", array1(py, &rd.nu_hz))?;
    d.set_item("density_per_hz", array1(py, &rd.density_per_hz))?;
    d.set_item("cdf", array1(py, &rd.cdf))?;
    Ok(d)
}

/// A simulation result as a dict with typed arrays.
fn sim_dict<'py>(py: Python<'py>, r: &SimResult, d: usize) -> PyResult<Bound<'py, PyDict>> {
    let out = to_py(py, r)?;
    // the arrays go under their Python names (documented in docs/python.md); the serde
    // names with unit suffixes are removed so that the dict has each quantity once and
    // parses back into a SimResult (the serde aliases accept the Python names)
    for renamed in ["kappa_t_hz", "kappa_mean_hz", "epoch_windows_s"] {
        if out.contains(renamed)? {
            out.del_item(renamed)?;
        }
    }
    out.set_item("time_s", array1(py, &r.time_s))?;
    out.set_item("kappa_t", array2(py, &r.kappa_t, d)?)?;
    out.set_item("kappa_mean", array1(py, &r.kappa_mean))?;
    let w: Vec<Vec<f64>> = r.epoch_windows.iter().map(|w| w.to_vec()).collect();
    out.set_item("epoch_windows", array2(py, &w, 2)?)?;
    let pops = out
        .get_item("populations")?
        .ok_or_else(|| BalnetError::new_err("internal: a simulation result without populations"))?;
    for (i, p) in r.populations.iter().enumerate() {
        let e = pops.get_item(i)?;
        for renamed in ["rate_t_hz", "mean_v_t_mv", "raster_times_s"] {
            if e.contains(renamed)? {
                e.del_item(renamed)?;
            }
        }
        e.set_item("rates_hz", array1(py, &p.rates_hz))?;
        e.set_item("cv_isi_per_neuron", array1(py, &p.cv_isi_per_neuron))?;
        e.set_item("epoch_rates_hz", array2(py, &p.epoch_rates_hz, p.n)?)?;
        e.set_item("epoch_membrane_fano", array1(py, &p.epoch_membrane_fano))?;
        if p.epoch_membrane_fano_per_neuron
            .iter()
            .all(|v| v.len() == p.n)
        {
            e.set_item(
                "epoch_membrane_fano_per_neuron",
                array2(py, &p.epoch_membrane_fano_per_neuron, p.n)?,
            )?;
        }
        e.set_item("rate_t", array1(py, &p.rate_t))?;
        e.set_item("mean_v_t", array1(py, &p.mean_v_t))?;
        e.set_item("raster_ids", array1(py, &p.raster_ids))?;
        e.set_item("raster_times", array1(py, &p.raster_times))?;
    }
    Ok(out)
}

/// Run the simulator on a Model (the part the work needs of it checked first).
fn run_sim(py: Python<'_>, m: &Model, threads: usize, pr: &Progress<'_>) -> PyResult<SimResult> {
    let n: usize = m.populations.iter().map(|p| p.n).sum();
    pr.say(format!(
        "simulating {:?}: {n} neurons, {} s warm-up + {} s, {} mode, seed {}",
        m.name,
        m.sim.warmup,
        m.sim.duration,
        match m.sim.mode {
            balnet::model::SimMode::Grid => "grid",
            balnet::model::SimMode::Precise => "precise",
        },
        m.sim.seed
    ))?;
    let opts = balnet::sim::RunOptions {
        threads,
        quiet: !pr.on(),
        out_dir: None,
    };
    let r = detached(py, || balnet::sim::simulate(m, &opts))?;
    pr.say(format!(
        "simulation done: {:.1} s building, {:.1} s running",
        r.build_s, r.wall_s
    ))?;
    Ok(r)
}

/// Run the embedded spiking simulator (docs/theory.md section 3) on a Model.
///
/// ``duration``, ``warmup``, ``dt`` (s), ``seed``, ``noise_seed`` (the noise alone: same
/// network, fresh noise) and ``mode`` (``"grid"`` or ``"precise"``) override the Model's
/// ``[sim]`` settings; ``threads`` = 0 uses every core
/// (results do not depend on it). The run is refused before any work if it would not fit
/// (docs/theory.md section 7). With ``out`` (a folder) the NPY arrays and
/// ``summary.json`` are written there as by ``balnet simulate --out``.
///
/// Returns the crate's ``SimResult`` as a dict: per population (``populations``) the
/// float64 arrays ``rates_hz`` (one per neuron, Hz), ``cv_isi_per_neuron`` (NaN below 3
/// spikes), ``epoch_rates_hz`` (epochs x neurons), ``rate_t`` and ``mean_v_t`` (on
/// ``time_s``), the sampled spike trains ``raster_ids`` (uint32 neuron ids) and
/// ``raster_times`` (s from the start of the warm-up), and the summary statistics
/// (``rate_hz``, ``cv_isi``, ``pair_corr``, ``chi``, ``mean_v_mv``, ...); ``time_s``,
/// ``kappa_t`` (bins x D), ``kappa_mean``, ``loading_moments``, ``epoch_windows`` and
/// the cost of the run.
#[pyfunction]
#[pyo3(signature = (model, *, duration = None, warmup = None, seed = None, noise_seed = None,
    mode = None, dt = None, threads = 0, out = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    duration: Option<f64>,
    warmup: Option<f64>,
    seed: Option<u64>,
    noise_seed: Option<u64>,
    mode: Option<&str>,
    dt: Option<f64>,
    threads: usize,
    out: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut m = to_model(model)?;
    sim_overrides(&mut m, duration, warmup, (seed, noise_seed), mode, dt)?;
    let threads = cap_threads(py, threads)?;
    balnet::sim::limits::check(&m, threads).map_err(err)?;
    let dir = match &out {
        Some(d) => Some(output::prepare_sim_dir(d, &m).map_err(err)?),
        None => None,
    };
    let pr = Progress::new(py, "simulate", progress)?;
    let r = run_sim(py, &m, threads, &pr)?;
    if let Some(dir) = dir {
        pr.say("writing the output folder")?;
        detached(py, || output::write_result(dir, &r))?;
    }
    sim_dict(py, &r, m.d())
}

/// Theory against simulation on a Model (docs/theory.md section 3), as ``balnet
/// compare``: the Model is simulated (or ``sim``, the result of ``simulate`` on this
/// Model, is reused with its duration, warm-up, time step, seed and mode), and the finite-K theory, evaluated with the loading moments drawn
/// in the simulated network, is compared per epoch of constant input for each theory
/// variant: Siegert and shot noise with the Poisson closure, shot noise with the spectral
/// closure; every combination with ``all_closures=True``; or the ``(transfer, noise)``
/// pairs of ``variants``, e.g. ``[("siegert", "poisson")]`` (latent trajectories are
/// integrated for the Poisson closure only, as ``balnet compare`` does).
///
/// ``duration`` (s), ``seed``, ``mode``, ``threads`` as in ``simulate``. With ``out`` (a
/// folder) ``report.json``, the figures and the simulation (``sim/``) are written there.
///
/// Returns the crate's comparison report as a dict (``theories``: per variant the epochs
/// with ``kappa``, rates, mean V, KS distances, silent fractions; ``sim_statistics``;
/// ...), plus ``table`` (the text table ``balnet compare`` prints) and ``sim`` (the
/// simulation, as ``simulate`` returns it).
#[pyfunction]
#[pyo3(signature = (model, *, sim = None, duration = None, seed = None, mode = None,
    threads = 0, all_closures = false, variants = None, out = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    sim: Option<&Bound<'py, PyAny>>,
    duration: Option<f64>,
    seed: Option<u64>,
    mode: Option<&str>,
    threads: usize,
    all_closures: bool,
    variants: Option<Vec<(String, String)>>,
    out: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut m = to_model(model)?;
    let variants = match (variants, all_closures) {
        (Some(_), true) => {
            return Err(err(Error::invalid(
                "variants",
                "a list",
                "give either `variants` or `all_closures=True`",
            )));
        }
        (Some(v), false) => {
            if v.is_empty() {
                return Err(err(Error::invalid(
                    "variants",
                    "[]",
                    "needs at least one (transfer, noise) pair",
                )));
            }
            v.iter()
                .map(|(t, n)| {
                    let noise = input::parse_noise(n)?;
                    Ok(balnet::compare::Variant {
                        transfer: input::parse_transfer(t)?,
                        noise,
                        trajectory: noise == balnet::model::NoiseClosure::Poisson,
                    })
                })
                .collect::<PyResult<Vec<_>>>()?
        }
        (None, true) => balnet::compare::Variant::all(),
        (None, false) => balnet::compare::Variant::standard(),
    };
    let pr = Progress::new(py, "compare", progress)?;
    let given = match sim {
        Some(s) if !s.is_none() => {
            if duration.is_some() || seed.is_some() || mode.is_some() {
                return Err(err(Error::invalid(
                    "sim",
                    "a simulation result",
                    "give either `sim` or `duration`/`seed`/`mode` (which would change the simulation)",
                )));
            }
            let v = py_to_json(s, "sim", true)?;
            let r: SimResult = serde_json::from_value(v).map_err(|e| {
                err(Error::Parse(format!(
                    "{e} (in `sim`: pass the dict `balnet.simulate` returned)"
                )))
            })?;
            let sizes = |v: Vec<(String, usize)>| {
                v.iter()
                    .map(|(name, n)| format!("{name}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sim_pops = sizes(
                r.populations
                    .iter()
                    .map(|p| (p.name.clone(), p.n))
                    .collect(),
            );
            let model_pops = sizes(
                m.populations
                    .iter()
                    .map(|p| (p.name.clone(), p.n))
                    .collect(),
            );
            if r.model != m.name || sim_pops != model_pops {
                return Err(err(Error::invalid(
                    "sim",
                    format!("a simulation of {:?} ({sim_pops} neurons)", r.model),
                    format!(
                        "must be a simulation of this Model ({:?}, {model_pops} neurons)",
                        m.name
                    ),
                )));
            }
            // the epochs and counting windows of the theory side follow the run's settings
            m.sim.duration = r.duration;
            m.sim.warmup = r.warmup;
            m.sim.dt = r.dt;
            m.sim.seed = r.seed;
            m.sim.mode = r.mode;
            Some(r)
        }
        _ => None,
    };
    sim_overrides(&mut m, duration, None, (seed, None), mode, None)?;
    let threads = cap_threads(py, threads)?;
    if given.is_none() {
        balnet::sim::limits::check(&m, threads).map_err(err)?;
    }
    let dirs = match &out {
        Some(o) => Some((
            RunDir::prepare(o, "report.json").map_err(err)?,
            output::prepare_sim_dir(&o.join("sim"), &m).map_err(err)?,
        )),
        None => None,
    };
    let r = match given {
        Some(r) => r,
        None => run_sim(py, &m, threads, &pr)?,
    };
    pr.say(format!(
        "theory: {} variant{}, fixed points per epoch{}",
        variants.len(),
        if variants.len() == 1 { "" } else { "s" },
        if m.d() > 0 {
            " and latent trajectories"
        } else {
            ""
        }
    ))?;
    let report = detached(py, || balnet::compare::compare(&m, &r, &variants))?;
    if let Some((mut dir, sim_dir)) = dirs {
        pr.say("writing report.json, figures and sim/")?;
        detached(py, || {
            output::write_result(sim_dir, &r)?;
            let report_json = serde_json::to_value(&report)
                .map_err(|e| Error::Io(format!("cannot serialise the report: {e}")))?;
            balnet::compare::write_figures_to(&m, &r, &report, &mut dir)?;
            dir.finish(report_json)
        })?;
    }
    pr.say("done")?;
    let d = to_py(py, &report)?;
    d.set_item("table", balnet::compare::table(&report))?;
    d.set_item("sim", sim_dict(py, &r, m.d())?)?;
    Ok(d)
}

/// Linear stability of the stationary state (docs/theory.md 6.3): every root ``lambda`` of
/// ``det(I - W(lambda)) = 0`` in the box ``search_box = (re_min, re_max, f_max)``
/// (``Re lambda`` in 1/s, frequency ``Im lambda / 2 pi`` up to ``f_max`` Hz), found by the
/// argument principle and refined by Newton's method (Brunel & Hakim 1999, Brunel 2000).
/// The state is taken at the latent state ``kappa`` (Hz; default: the stable fixed point
/// nearest 0). ``hermite_nodes``: Gauss-Hermite nodes of the average over each
/// population's input distribution; ``response``: ``"closed-form"`` (docs/theory.md 6.1)
/// or ``"threshold"`` (6.2). Finite K only.
///
/// Returns a dict: ``stable``, ``eigenvalues`` (dicts ``growth_rate_hz``,
/// ``frequency_hz``, ``residual``; decreasing growth rate), the same as float64 arrays
/// ``growth_rate_hz`` and ``frequency_hz``, ``winding_number``, ``roots_found``,
/// ``search_box``, ``response``, ``evaluations``, ``kappa_hz``, ``rates_hz``.
#[pyfunction]
#[pyo3(signature = (model, kappa = None, *, search_box = (-20.0, 400.0, 600.0),
    hermite_nodes = 48, response = "closed-form", limit = "finite", transfer = None,
    noise = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn stability<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    kappa: Option<&Bound<'py, PyAny>>,
    search_box: (f64, f64, f64),
    hermite_nodes: usize,
    response: &str,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let r = neuron_response(response)?;
    let kappa = match kappa {
        Some(k) if !k.is_none() => Some(vec_f64(k, "kappa")?),
        _ => None,
    };
    let pr = Progress::new(py, "stability", progress)?;
    let state = response_state(py, &m, limit, kappa, &pr)?;
    let search = RootBox {
        re_min: search_box.0,
        re_max: search_box.1,
        f_max: search_box.2,
    };
    pr.say(format!(
        "roots of det(I - W(lambda)) in Re lambda in [{}, {}] 1/s, f <= {} Hz",
        search.re_min, search.re_max, search.f_max
    ))?;
    let opts = ResponseOptions {
        hermite_nodes,
        ..Default::default()
    };
    let st = detached(py, || {
        let net = NetworkResponse::new(&m, &state, r, opts)?;
        balnet::theory::response::stability(&net, &search)
    })?;
    pr.say(format!(
        "done: {} roots, {}",
        st.eigenvalues.len(),
        if st.stable { "stable" } else { "unstable" }
    ))?;
    let d = to_py(py, &st)?;
    d.set_item("model", &m.name)?;
    d.set_item("limit", limit.to_string())?;
    d.set_item("kappa_hz", array1(py, &state.kappa))?;
    d.set_item("rates_hz", array1(py, &state.rates()))?;
    let g: Vec<f64> = st.eigenvalues.iter().map(|e| e.growth_rate_hz).collect();
    let f: Vec<f64> = st.eigenvalues.iter().map(|e| e.frequency_hz).collect();
    d.set_item("growth_rate_hz", array1(py, &g))?;
    d.set_item("frequency_hz", array1(py, &f))?;
    Ok(d)
}

/// Population spike spectra and susceptibilities of the stationary state (docs/theory.md
/// 6.3) at the frequencies ``frequencies_hz`` (Hz, 1-D; default ``points`` frequencies
/// from ``f_max/points`` to ``f_max``). ``kappa``, ``hermite_nodes``, ``response`` as in
/// ``stability``. The spectra use the renewal spectrum of the white-noise LIF averaged
/// over each population's input distribution (docs/theory.md 6.1).
///
/// Returns a dict: ``populations`` (names), ``frequencies_hz`` (F, float64),
/// ``population_spectra_hz`` (P x P x F, complex128: the cross-spectra of the
/// population-averaged spike trains), ``chi_mu_hz_per_mv`` and ``chi_sigma2_hz_per_mv2``
/// (P x F, complex128: population averages of the single-neuron susceptibilities),
/// ``kappa_hz``, ``rates_hz``.
#[pyfunction]
#[pyo3(signature = (model, frequencies_hz = None, *, f_max = 500.0, points = 100,
    kappa = None, hermite_nodes = 48, response = "closed-form", limit = "finite",
    transfer = None, noise = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn spectrum<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    frequencies_hz: Option<&Bound<'py, PyAny>>,
    f_max: f64,
    points: usize,
    kappa: Option<&Bound<'py, PyAny>>,
    hermite_nodes: usize,
    response: &str,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, limit) = theory_model(model, limit, transfer, noise)?;
    let r = neuron_response(response)?;
    let freqs = match frequencies_hz {
        Some(f) if !f.is_none() => vec_f64(f, "frequencies_hz")?,
        _ => {
            if !(f_max > 0.0 && f_max.is_finite()) {
                return Err(err(Error::invalid(
                    "f_max",
                    f_max,
                    "must be finite and > 0 (Hz)",
                )));
            }
            if points == 0 || points > 100_000 {
                return Err(err(Error::invalid(
                    "points",
                    points,
                    "must be in 1..=100000",
                )));
            }
            (1..=points)
                .map(|k| f_max * k as f64 / points as f64)
                .collect()
        }
    };
    check_frequencies(&freqs)?;
    let kappa = match kappa {
        Some(k) if !k.is_none() => Some(vec_f64(k, "kappa")?),
        _ => None,
    };
    let pr = Progress::new(py, "spectrum", progress)?;
    let state = response_state(py, &m, limit, kappa, &pr)?;
    let opts = ResponseOptions {
        hermite_nodes,
        ..Default::default()
    };
    let net = NetworkResponse::new(&m, &state, r, opts).map_err(err)?;
    let p = m.p();
    let nf = freqs.len();
    let mut spectra = vec![Complex64::new(0.0, 0.0); p * p * nf];
    let mut chi_mu = vec![Complex64::new(0.0, 0.0); p * nf];
    let mut chi_s2 = vec![Complex64::new(0.0, 0.0); p * nf];
    // in chunks, so that progress is reported and Ctrl-C is honoured between them
    let chunk = nf.div_ceil(10).max(1);
    for start in (0..nf).step_by(chunk) {
        let end = (start + chunk).min(nf);
        pr.say(format!("frequencies {} to {} of {nf}", start + 1, end))?;
        let part = detached(py, || {
            (start..end)
                .map(|k| {
                    let omega = 2.0 * std::f64::consts::PI * freqs[k];
                    let s = net.population_spectrum_with(omega, SpikeSpectrum::Renewal)?;
                    let c = net.mean_susceptibility(omega)?;
                    Ok((s, c))
                })
                .collect::<balnet::Result<Vec<_>>>()
        })?;
        for (k, (s, c)) in (start..end).zip(part) {
            for a in 0..p {
                for b in 0..p {
                    spectra[(a * p + b) * nf + k] = s[(a, b)];
                }
                chi_mu[a * nf + k] = c[a].0;
                chi_s2[a * nf + k] = c[a].1;
            }
        }
        py.check_signals()?;
    }
    pr.say("done")?;
    let d = PyDict::new(py);
    d.set_item("model", &m.name)?;
    d.set_item("limit", limit.to_string())?;
    d.set_item("response", r.name())?;
    d.set_item("populations", names(&m))?;
    d.set_item("kappa_hz", array1(py, &state.kappa))?;
    d.set_item("rates_hz", array1(py, &state.rates()))?;
    d.set_item("frequencies_hz", array1(py, &freqs))?;
    d.set_item("population_spectra_hz", array_nd(py, spectra, &[p, p, nf])?)?;
    d.set_item("chi_mu_hz_per_mv", array_nd(py, chi_mu, &[p, nf])?)?;
    d.set_item("chi_sigma2_hz_per_mv2", array_nd(py, chi_s2, &[p, nf])?)?;
    Ok(d)
}

/// A self-contained PyNEST script (NEST 3.10) that builds the Model's network (docs/nest.md):
/// populations of ``iaf_psc_delta`` (``iaf_psc_delta_ps`` in precise mode, a multisynapse
/// neuron with a slow port when the Model has a latent structure), the connectivity rule
/// with its in-degrees, weights, delays, the Poisson drive and the recorders; it writes
/// its spikes into ``out_dir`` in the format ``read_nest`` reads back.
///
/// ``threads`` (NEST threads per process), ``out_dir`` and ``seed`` (default: the Model's
/// ``sim.seed``) are the script's defaults (its ``--threads``, ``--out``, ``--seed``
/// override them); ``n_scale`` multiplies every population size, the in-degrees staying as
/// they are. With ``path`` the script is also written there (atomically). Returns the
/// script's text. The same script runs under ``mpirun`` (docs/nest.md).
#[pyfunction]
#[pyo3(signature = (model, path = None, *, threads = 1, out_dir = "nest_out", seed = None,
    n_scale = None))]
fn export_nest(
    model: &Bound<'_, PyAny>,
    path: Option<std::path::PathBuf>,
    threads: usize,
    out_dir: &str,
    seed: Option<u64>,
    n_scale: Option<f64>,
) -> PyResult<String> {
    let m = input::to_model(model)?;
    let opts = balnet::export::nest::NestOptions {
        threads,
        out_dir: out_dir.to_string(),
        seed,
        n_scale,
    };
    let script = balnet::export::nest::nest_script(&m, &opts).map_err(err)?;
    if let Some(p) = path {
        balnet::sim::output::write_atomic(&p, script.as_bytes()).map_err(err)?;
    }
    Ok(script)
}

/// The spikes an exported NEST script wrote into ``folder`` (every rank's files),
/// measured with balnet's own recorders (docs/nest.md): a dict like ``simulate``'s, which
/// ``compare(model, sim=...)`` accepts.
#[pyfunction]
fn read_nest<'py>(py: Python<'py>, folder: std::path::PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let (r, d) = detached(py, || {
        let f = balnet::sim::spikes::read_spikes(&folder)?;
        let r = balnet::sim::spikes::result_from_spikes(&f)?;
        let d = r.kappa_mean.len();
        Ok((r, d))
    })?;
    sim_dict(py, &r, d)
}

/// balnet: mean-field theory of balanced excitatory-inhibitory spiking networks with
/// low-dimensional latent variables, checked against an embedded spiking simulator.
/// Units: seconds, mV, Hz. See docs/python.md and docs/theory.md.
#[pymodule]
mod _balnet {
    #[pymodule_export]
    use super::{
        BalnetError, PyModel, brunel_a, compare, dynamics, export_nest, fixed_points, presets,
        rate_distribution, read_nest, siegert, siegert_derivative, simulate, solve, spectrum,
        stability, susceptibility,
    };

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
