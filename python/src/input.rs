//! Reading the arguments of the bindings: Models (objects, dicts, preset names, files,
//! TOML text), theory options, simulator overrides, and the progress option.

use std::path::{Path, PathBuf};
use std::time::Instant;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use balnet::model::{NoiseClosure, SimMode, TransferKind};
use balnet::theory::Limit;
use balnet::{Error, Model, presets};

use crate::convert::py_to_json;
use crate::{PyModel, err};

/// The preset names, in the order the CLI lists them.
pub use balnet::presets::NAMES as PRESETS;

/// A preset by name (any case, `_` or `-`), if `name` is one.
pub fn preset(name: &str) -> Option<Model> {
    let key = name.trim().to_ascii_lowercase().replace('_', "-");
    PRESETS
        .contains(&key.as_str())
        .then(|| presets::by_name(&key).ok())
        .flatten()
}

/// A Model from a `.json` (any case) or TOML file.
pub fn model_from_file(path: &Path) -> PyResult<Model> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(Error::file(
            format!("cannot read model file {}", path.display()),
            e,
        ))
    })?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        Model::from_json(&text).map_err(err)
    } else {
        Model::from_toml(&text).map_err(err)
    }
}

/// A Model from a dict with the fields of the TOML format (docs/guide.md).
pub fn model_from_dict(d: &Bound<'_, PyAny>) -> PyResult<Model> {
    let v = py_to_json(d, "model", false)?;
    let m: Model = serde_json::from_value(v)
        .map_err(|e| err(Error::Parse(format!("{e} (in the model dict)"))))?;
    m.validate().map_err(err)?;
    Ok(m)
}

/// A Model from a string: a preset name, else an existing file, else TOML text.
pub fn model_from_str(s: &str) -> PyResult<Model> {
    if let Some(m) = preset(s) {
        return Ok(m);
    }
    let path = Path::new(s);
    if !s.contains('\n') && path.is_file() {
        return model_from_file(path);
    }
    if s.contains('=') {
        return Model::from_toml(s).map_err(err);
    }
    Err(err(Error::invalid(
        "model",
        format!("{s:?}"),
        format!(
            "is neither a preset ({}), an existing model file (.toml or .json) nor TOML text",
            PRESETS.join(", ")
        ),
    )))
}

/// Any accepted form of a Model: a `balnet.Model`, a dict, a preset name, a path, TOML text.
pub fn to_model(obj: &Bound<'_, PyAny>) -> PyResult<Model> {
    if let Ok(m) = obj.cast::<PyModel>() {
        return Ok(m.get().inner.clone());
    }
    if obj.is_instance_of::<PyDict>() {
        return model_from_dict(obj);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return model_from_str(&s.to_cow()?);
    }
    if obj.hasattr("__fspath__")? {
        let p: PathBuf = obj.extract()?;
        return model_from_file(&p);
    }
    Err(PyTypeError::new_err(format!(
        "model must be a balnet.Model, a dict, a preset name ({}), a model file path or TOML \
         text, not {}",
        PRESETS.join(", "),
        obj.get_type().name()?
    )))
}

/// `finite` or `balanced` (any case).
pub fn parse_limit(s: &str) -> PyResult<Limit> {
    s.to_ascii_lowercase().parse::<Limit>().map_err(err)
}

/// `siegert` or `shot-noise` (any case, `_` or `-`).
pub fn parse_transfer(t: &str) -> PyResult<TransferKind> {
    match t.to_ascii_lowercase().as_str() {
        "siegert" => Ok(TransferKind::Siegert),
        "shot-noise" | "shot_noise" | "shotnoise" => Ok(TransferKind::ShotNoise),
        other => Err(err(Error::invalid(
            "transfer",
            other,
            "must be `siegert` or `shot-noise` (docs/theory.md 2.2)",
        ))),
    }
}

/// `poisson`, `renewal`, `spectral`, `correlated` or `correlated-full` (any case).
pub fn parse_noise(n: &str) -> PyResult<NoiseClosure> {
    match n.to_ascii_lowercase().as_str() {
        "poisson" => Ok(NoiseClosure::Poisson),
        "renewal" => Ok(NoiseClosure::Renewal),
        "spectral" => Ok(NoiseClosure::Spectral),
        "correlated" => Ok(NoiseClosure::Correlated),
        "correlated-full" | "correlated_full" => Ok(NoiseClosure::CorrelatedFull),
        other => Err(err(Error::invalid(
            "noise",
            other,
            "must be `poisson`, `renewal`, `spectral`, `correlated` or `correlated-full` (docs/theory.md 2.1, 6.6)",
        ))),
    }
}

/// The Model with the theory overrides `transfer` and `noise` applied, and the limit.
pub fn theory_model(
    obj: &Bound<'_, PyAny>,
    limit: &str,
    transfer: Option<&str>,
    noise: Option<&str>,
) -> PyResult<(Model, Limit)> {
    let mut m = to_model(obj)?;
    let limit = parse_limit(limit)?;
    if let Some(t) = transfer {
        m.transfer = parse_transfer(t)?;
    }
    if let Some(n) = noise {
        m.noise = parse_noise(n)?;
    }
    m.validate().map_err(err)?;
    Ok((m, limit))
}

/// `v` must be finite and > 0 (or >= 0 with `zero_ok`), in seconds.
fn check_time(field: &str, v: f64, zero_ok: bool) -> PyResult<()> {
    let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0));
    if ok {
        Ok(())
    } else {
        Err(err(Error::invalid(
            field,
            v,
            if zero_ok {
                "must be finite and >= 0 (s)"
            } else {
                "must be finite and > 0 (s)"
            },
        )))
    }
}

/// Overrides of `Model::sim` (docs/theory.md section 3), validated with the rest of the Model.
pub fn sim_overrides(
    m: &mut Model,
    duration: Option<f64>,
    warmup: Option<f64>,
    (seed, noise_seed): (Option<u64>, Option<u64>),
    mode: Option<&str>,
    dt: Option<f64>,
) -> PyResult<()> {
    if let Some(v) = duration {
        check_time("duration", v, false)?;
        m.sim.duration = v;
    }
    if let Some(v) = warmup {
        check_time("warmup", v, true)?;
        m.sim.warmup = v;
    }
    if let Some(v) = seed {
        m.sim.seed = v;
    }
    if noise_seed.is_some() {
        m.sim.noise_seed = noise_seed;
    }
    if let Some(v) = dt {
        check_time("dt", v, false)?;
        m.sim.dt = v;
    }
    if let Some(v) = mode {
        m.sim.mode = match v.to_ascii_lowercase().as_str() {
            "grid" => SimMode::Grid,
            "precise" => SimMode::Precise,
            _ => {
                return Err(err(Error::invalid(
                    "mode",
                    v,
                    "must be `grid` or `precise` (any case)",
                )));
            }
        };
    }
    m.validate().map_err(err)
}

/// Worker threads: 0 stays 0 (all cores); more than the cores available is capped with a
/// Python warning (oversubscription only slows the run: results do not depend on it).
pub fn cap_threads(py: Python<'_>, threads: usize) -> PyResult<usize> {
    let avail = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > avail {
        let msg = format!("threads = {threads} exceeds the {avail} cores available; using {avail}");
        let warnings = py.import("warnings")?;
        warnings.call_method1("warn", (msg,))?;
        return Ok(avail);
    }
    Ok(threads)
}

/// Where progress messages go.
enum Target<'py> {
    Off,
    Stderr,
    Callback(Bound<'py, PyAny>),
}

/// The `progress` option of the long-running bindings: `True` prints one line per phase
/// to `sys.stderr` (shown in notebooks), a callable receives each line, `False`/`None`
/// is silent.
pub struct Progress<'py> {
    py: Python<'py>,
    what: &'static str,
    target: Target<'py>,
    t0: Instant,
}

impl<'py> Progress<'py> {
    pub fn new(
        py: Python<'py>,
        what: &'static str,
        arg: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let target = match arg {
            None => Target::Off,
            Some(a) if a.is_callable() && !a.is_instance_of::<PyBool>() => {
                Target::Callback(a.clone())
            }
            Some(a) if a.is_truthy()? => Target::Stderr,
            Some(_) => Target::Off,
        };
        Ok(Progress {
            py,
            what,
            target,
            t0: Instant::now(),
        })
    }

    /// Whether anyone listens (the simulator's terminal progress bar follows it).
    pub fn on(&self) -> bool {
        !matches!(self.target, Target::Off)
    }

    /// Report one phase.
    pub fn say(&self, msg: impl AsRef<str>) -> PyResult<()> {
        let line = format!(
            "balnet.{} [{:.1} s]: {}",
            self.what,
            self.t0.elapsed().as_secs_f64(),
            msg.as_ref()
        );
        match &self.target {
            Target::Off => Ok(()),
            Target::Stderr => {
                let err = self.py.import("sys")?.getattr("stderr")?;
                err.call_method1("write", (format!("{line}\n"),))?;
                err.call_method0("flush")?;
                Ok(())
            }
            Target::Callback(f) => f.call1((line,)).map(|_| ()),
        }
    }
}
