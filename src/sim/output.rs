//! Writing results: a minimal NPY writer (format version 1.0, little-endian `<f8`/`<u4`,
//! C order) and `summary.json`.

use std::io::Write;
use std::path::Path;

use super::SimResult;
use crate::error::{Error, Result};

/// Write a C-ordered array of `f64` with the given shape as an `.npy` file.
pub fn write_npy_f64(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    let mut bytes = Vec::with_capacity(data.len() * 8);
    for x in data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    write_npy(path, "<f8", shape, &bytes)
}

/// Write a C-ordered array of `u32` as an `.npy` file.
pub fn write_npy_u32(path: &Path, shape: &[usize], data: &[u32]) -> Result<()> {
    let mut bytes = Vec::with_capacity(data.len() * 4);
    for x in data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    write_npy(path, "<u4", shape, &bytes)
}

fn write_npy(path: &Path, descr: &str, shape: &[usize], payload: &[u8]) -> Result<()> {
    let n: usize = shape.iter().product();
    let width = if descr.ends_with('8') { 8 } else { 4 };
    if n * width != payload.len() {
        return Err(Error::Io(format!(
            "npy {}: shape {shape:?} does not match data",
            path.display()
        )));
    }
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut f = std::fs::File::create(path)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
    let mut out = Vec::with_capacity(10 + header.len() + payload.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    f.write_all(&out)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// Write `summary.json` and the arrays of a result into `dir` (created if needed):
/// `time_s.npy` (bins), `rate_t.npy` and `mean_v_t.npy` (bins x P), `kappa_t.npy`
/// (bins x D), and per population `rates_<name>.npy`, `cv_isi_<name>.npy` (NaN for
/// neurons with fewer than 3 spikes), `raster_<name>_ids.npy` / `raster_<name>_times.npy`.
pub fn write_dir(dir: &Path, r: &SimResult) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let nb = r.time_s.len();
    let p = r.populations.len();
    write_npy_f64(&dir.join("time_s.npy"), &[nb], &r.time_s)?;
    let mut rate = Vec::with_capacity(nb * p);
    let mut mv = Vec::with_capacity(nb * p);
    for b in 0..nb {
        for pop in &r.populations {
            rate.push(pop.rate_t[b]);
            mv.push(pop.mean_v_t[b]);
        }
    }
    write_npy_f64(&dir.join("rate_t.npy"), &[nb, p], &rate)?;
    write_npy_f64(&dir.join("mean_v_t.npy"), &[nb, p], &mv)?;
    let d = r.kappa_mean.len();
    let kap: Vec<f64> = r.kappa_t.iter().flatten().copied().collect();
    write_npy_f64(&dir.join("kappa_t.npy"), &[nb, d], &kap)?;
    for pop in &r.populations {
        let name = sanitize(&pop.name);
        write_npy_f64(
            &dir.join(format!("rates_{name}.npy")),
            &[pop.rates_hz.len()],
            &pop.rates_hz,
        )?;
        write_npy_f64(
            &dir.join(format!("cv_isi_{name}.npy")),
            &[pop.cv_isi_per_neuron.len()],
            &pop.cv_isi_per_neuron,
        )?;
        write_npy_u32(
            &dir.join(format!("raster_{name}_ids.npy")),
            &[pop.raster_ids.len()],
            &pop.raster_ids,
        )?;
        write_npy_f64(
            &dir.join(format!("raster_{name}_times.npy")),
            &[pop.raster_times.len()],
            &pop.raster_times,
        )?;
    }
    let json = serde_json::to_string_pretty(r)
        .map_err(|e| Error::Io(format!("cannot serialise summary: {e}")))?;
    std::fs::write(dir.join("summary.json"), json).map_err(|e| {
        Error::Io(format!(
            "cannot write {}: {e}",
            dir.join("summary.json").display()
        ))
    })
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
