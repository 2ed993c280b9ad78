//! Conversions between the crate's serde results (through `serde_json::Value`) and Python
//! objects, and between Python sequences and numpy arrays.
//!
//! Results reach Python as plain dicts, lists and numbers, except that every rectangular
//! list of numbers becomes a numpy array (`float64`, or `int64` when every entry is an
//! integer; JSON `null` inside a list of numbers is NaN). Empty lists and lists of
//! strings or dicts stay lists. Each binding then replaces the arrays its docstring
//! promises (spike times, rates per neuron, spectra) by arrays of a fixed dtype and
//! shape, so that they keep them even when empty.

use numpy::{Element, PyArray1, PyArrayMethods};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// How [`json_to_py`] turns JSON lists into Python objects.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// Every list is a Python list (Model dicts: editable, and JSON/TOML-able as they are).
    Plain,
    /// Rectangular lists of numbers are numpy arrays (results).
    Arrays,
}

/// A JSON value as a Python object.
pub fn json_to_py<'py>(py: Python<'py>, v: &Value, lists: Lists) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => s.into_bound_py_any(py)?,
        Value::Array(a) => {
            if lists == Lists::Arrays
                && let Some(arr) = numeric_array(py, a)?
            {
                return Ok(arr);
            }
            let items = a
                .iter()
                .map(|x| json_to_py(py, x, lists))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x, lists)?)?;
            }
            d.into_any()
        }
    })
}

fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        i.into_bound_py_any(py)
    } else if let Some(u) = n.as_u64() {
        u.into_bound_py_any(py)
    } else {
        n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
    }
}

/// The leaves of a rectangular nested list of numbers (and nulls), with its shape.
struct Rect<'a> {
    shape: Vec<usize>,
    leaves: Vec<Option<&'a Number>>,
    leaf_depth: Option<usize>,
}

impl<'a> Rect<'a> {
    fn visit_list(&mut self, a: &'a [Value], depth: usize) -> bool {
        if a.is_empty() || self.leaf_depth.is_some_and(|d| depth >= d) {
            return false;
        }
        if self.shape.len() == depth {
            self.shape.push(a.len());
        } else if self.shape[depth] != a.len() {
            return false;
        }
        a.iter().all(|x| self.visit(x, depth + 1))
    }

    fn visit(&mut self, v: &'a Value, depth: usize) -> bool {
        match v {
            Value::Array(a) => self.visit_list(a, depth),
            Value::Number(_) | Value::Null => {
                if *self.leaf_depth.get_or_insert(depth) != depth {
                    return false;
                }
                self.leaves.push(match v {
                    Value::Number(n) => Some(n),
                    _ => None,
                });
                true
            }
            _ => false,
        }
    }
}

/// A numpy array of a rectangular, non-empty list of numbers; `None` for anything else.
fn numeric_array<'py>(py: Python<'py>, a: &[Value]) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut r = Rect {
        shape: vec![],
        leaves: vec![],
        leaf_depth: None,
    };
    if !r.visit_list(a, 0) || r.leaves.iter().all(Option::is_none) {
        return Ok(None);
    }
    let ints: Option<Vec<i64>> = r
        .leaves
        .iter()
        .map(|n| n.and_then(|n| n.as_i64()))
        .collect();
    Ok(Some(match ints {
        Some(v) => array_nd(py, v, &r.shape)?,
        None => {
            let v = r
                .leaves
                .iter()
                .map(|n| n.and_then(Number::as_f64).unwrap_or(f64::NAN))
                .collect();
            array_nd(py, v, &r.shape)?
        }
    }))
}

/// A numpy array of `shape` from its row-major data.
pub fn array_nd<'py, T: Element>(
    py: Python<'py>,
    data: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, data)
        .reshape(shape.to_vec())?
        .into_any())
}

/// A 1-D numpy array.
pub fn array1<'py, T: Element + Clone>(py: Python<'py>, v: &[T]) -> Bound<'py, PyAny> {
    PyArray1::from_slice(py, v).into_any()
}

/// A 2-D float array of `rows` (each of length `cols`, also when there are no rows).
pub fn array2<'py>(py: Python<'py>, rows: &[Vec<f64>], cols: usize) -> PyResult<Bound<'py, PyAny>> {
    let mut flat = Vec::with_capacity(rows.len() * cols);
    for r in rows {
        if r.len() != cols {
            return Err(PyTypeError::new_err(format!(
                "internal: ragged rows ({} != {cols})",
                r.len()
            )));
        }
        flat.extend_from_slice(r);
    }
    array_nd(py, flat, &[rows.len(), cols])
}

/// A Python object as a JSON value, for reading Models and results back into the crate's
/// serde structs. `at` names the place in error messages (e.g. `model['k']`). With
/// `nan_as_null`, non-finite floats become `null` (the crate writes NaN as null in its
/// results); otherwise they are an error (a Model parameter must be finite).
pub fn py_to_json(obj: &Bound<'_, PyAny>, at: &str, nan_as_null: bool) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyTypeError::new_err(format!(
            "{at} = {obj}: integer out of the 64-bit range"
        )));
    }
    if obj.is_instance_of::<PyFloat>() {
        let x: f64 = obj.extract()?;
        return match Number::from_f64(x) {
            Some(n) => Ok(Value::Number(n)),
            None if nan_as_null => Ok(Value::Null),
            None => Err(crate::BalnetError::new_err(format!(
                "invalid {at} = {x}: must be finite"
            ))),
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!("{at}: dict keys must be strings, not {k:?}"))
            })?;
            let key = key.to_cow()?.into_owned();
            let val = py_to_json(&v, &format!("{at}['{key}']"), nan_as_null)?;
            m.insert(key, val);
        }
        return Ok(Value::Object(m));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, x) in obj.try_iter()?.enumerate() {
            out.push(py_to_json(&x?, &format!("{at}[{i}]"), nan_as_null)?);
        }
        return Ok(Value::Array(out));
    }
    // numpy arrays and numpy scalars
    if obj.hasattr("tolist")? {
        return py_to_json(&obj.call_method0("tolist")?, at, nan_as_null);
    }
    Err(PyTypeError::new_err(format!(
        "{at}: cannot read a {} (use dicts, lists, numbers, strings, booleans or numpy arrays)",
        obj.get_type().name()?
    )))
}

/// A float vector from a number or a 1-D sequence or array (`at` names it in errors).
pub fn vec_f64(obj: &Bound<'_, PyAny>, at: &str) -> PyResult<Vec<f64>> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let a = np.call_method1("asarray", (obj, "float64")).map_err(|e| {
        PyTypeError::new_err(format!("{at}: not a number or a list of numbers ({e})"))
    })?;
    let ndim: usize = a.getattr("ndim")?.extract()?;
    if ndim > 1 {
        return Err(crate::BalnetError::new_err(format!(
            "invalid {at}: must be a number or a 1-D sequence (got {ndim} dimensions)"
        )));
    }
    a.call_method0("ravel")?
        .call_method0("tolist")?
        .extract()
        .map_err(|e: PyErr| PyTypeError::new_err(format!("{at}: {e}")))
}
