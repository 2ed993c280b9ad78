//! Writing results: a minimal NPY writer (format version 1.0, little-endian `<f8`/`<u4`,
//! C order), `summary.json`, and [`RunDir`], the output folder of one run.
//!
//! **Output folders** (docs/theory.md 7, "Output folders"). Every file is written under a
//! temporary name in the same folder ([`TMP_PREFIX`]) and renamed into place, so a file
//! that exists under its final name is complete. The run's completeness marker
//! (`summary.json` for `simulate`, `report.json` for `compare`) is written last and lists
//! every file of the run with its size in bytes (key `files`); a folder without the
//! marker holds an unfinished run. Before the first file of a new run is written, the
//! old marker is removed and the names of everything the previous run wrote are kept in
//! [`PENDING`]; when the new run finishes, files that a previous balnet run wrote and this
//! run did not are deleted. Files balnet did not write are never deleted.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::SimResult;
use crate::error::{Error, Result};
use crate::model::Model;

/// Prefix of the temporary files of an unfinished write (always balnet's own).
pub const TMP_PREFIX: &str = ".balnet-tmp-";
/// Manifest of the files a run may have written, present while the run writes.
pub const PENDING: &str = ".balnet-pending.json";
/// Completeness marker of a simulation folder.
pub const SIM_MARKER: &str = "summary.json";

/// The bytes of a C-ordered `f64` array with the given shape as an `.npy` file.
pub fn npy_f64(shape: &[usize], data: &[f64]) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(data.len() * 8);
    for x in data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    npy("<f8", shape, &bytes)
}

/// The bytes of a C-ordered `u32` array as an `.npy` file.
pub fn npy_u32(shape: &[usize], data: &[u32]) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(data.len() * 4);
    for x in data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    npy("<u4", shape, &bytes)
}

/// Write a C-ordered array of `f64` with the given shape as an `.npy` file (atomically).
pub fn write_npy_f64(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    write_atomic(path, &npy_f64(shape, data)?)
}

/// Write a C-ordered array of `u32` as an `.npy` file (atomically).
pub fn write_npy_u32(path: &Path, shape: &[usize], data: &[u32]) -> Result<()> {
    write_atomic(path, &npy_u32(shape, data)?)
}

fn npy(descr: &str, shape: &[usize], payload: &[u8]) -> Result<Vec<u8>> {
    let n: usize = shape.iter().product();
    let width = if descr.ends_with('8') { 8 } else { 4 };
    if n * width != payload.len() {
        return Err(Error::Io(format!(
            "npy: shape {shape:?} does not match {} bytes of data",
            payload.len()
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
    let mut out = Vec::with_capacity(10 + header.len() + payload.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// The temporary name under which `path` is written before the rename.
fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{TMP_PREFIX}{}-{name}", std::process::id()))
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename, so
/// that `path` is either absent, the old file, or the complete new file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io(format!("cannot write {}: {e}", path.display()))
    })
}

/// Write `<dir>/<name>.<ext>` for every `ext` in `exts` atomically through `f`, which
/// gets a temporary stem in `dir` and must write `<stem>.<ext>` for every `ext`; the files
/// are then renamed into place. Returns the final file names with their sizes (bytes).
pub fn write_with_atomic(
    dir: &Path,
    name: &str,
    exts: &[&str],
    f: impl FnOnce(&Path) -> Result<()>,
) -> Result<Vec<(String, u64)>> {
    let stem = dir.join(format!("{TMP_PREFIX}{}-{name}", std::process::id()));
    let tmp_of = |e: &str| dir.join(format!("{TMP_PREFIX}{}-{name}.{e}", std::process::id()));
    let cleanup = || {
        for e in exts {
            let _ = std::fs::remove_file(tmp_of(e));
        }
    };
    if let Err(e) = f(&stem) {
        cleanup();
        return Err(e);
    }
    let mut out = Vec::with_capacity(exts.len());
    for e in exts {
        let fin = format!("{name}.{e}");
        let dest = dir.join(&fin);
        let res = std::fs::metadata(tmp_of(e))
            .and_then(|m| std::fs::rename(tmp_of(e), &dest).map(|()| m.len()));
        match res {
            Ok(size) => out.push((fin, size)),
            Err(err) => {
                cleanup();
                return Err(Error::Io(format!("cannot write {}: {err}", dest.display())));
            }
        }
    }
    Ok(out)
}

/// Whether `name` may be a file balnet wrote into a run folder: a plain file name (no
/// folder part) with one of the extensions balnet writes. Names read from an old
/// manifest pass this before anything is deleted.
fn is_own_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && [".npy", ".json", ".png", ".svg"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// The file name fragment of a population name: ASCII letters, digits, `-` and `_` are
/// kept, every other character becomes `_`.
pub fn sanitize(s: &str) -> String {
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

/// Reject population names whose file names collide: two names that are equal after
/// [`sanitize`] and ASCII case folding (case-insensitive file systems) would overwrite each
/// other's `rates_<name>.npy`.
pub fn check_population_names(model: &Model) -> Result<()> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (a, p) in model.populations.iter().enumerate() {
        let key = sanitize(&p.name).to_ascii_lowercase();
        if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(Error::invalid(
                format!("populations[{a}].name"),
                format!("{:?}", p.name),
                format!(
                    "collides with population {other:?} in output file names (both become \
                     `rates_{}.npy`: characters other than ASCII letters, digits, `-` and `_` \
                     become `_`, and case is ignored); rename one of them",
                    sanitize(&p.name)
                ),
            ));
        }
        seen.push((key, &p.name));
    }
    Ok(())
}

/// Names of the files of a simulation folder, in writing order (the marker not included).
pub fn sim_file_names(pop_names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["time_s.npy", "rate_t.npy", "mean_v_t.npy", "kappa_t.npy"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for name in pop_names {
        let s = sanitize(name);
        v.push(format!("rates_{s}.npy"));
        v.push(format!("cv_isi_{s}.npy"));
        v.push(format!("raster_{s}_ids.npy"));
        v.push(format!("raster_{s}_times.npy"));
    }
    v
}

/// The output folder of one run (see the module documentation).
#[derive(Debug)]
pub struct RunDir {
    dir: PathBuf,
    marker: String,
    /// Files an earlier run wrote (from its marker and its pending manifest); read at the
    /// first write.
    previous: Option<BTreeSet<String>>,
    /// Files this run may have written (kept in [`PENDING`] while writing).
    pending: BTreeSet<String>,
    /// Files this run wrote, with their sizes (bytes).
    written: Vec<(String, u64)>,
}

impl RunDir {
    /// Create `dir` if needed and check that files can be written there, before any work
    /// is done. Nothing in the folder changes until the first [`RunDir::write`].
    pub fn prepare(dir: &Path, marker: &str) -> Result<RunDir> {
        let hint = "choose another output folder (--out)";
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Io(format!(
                "output folder {} exists and is not a folder; {hint}",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Io(format!(
                "cannot create output folder {}: {e}; {hint}",
                dir.display()
            ))
        })?;
        let probe = dir.join(format!("{TMP_PREFIX}{}-probe", std::process::id()));
        std::fs::File::create(&probe)
            .and_then(|mut f| f.write_all(b"balnet"))
            .map_err(|e| {
                Error::Io(format!(
                    "cannot write into output folder {}: {e}; {hint}",
                    dir.display()
                ))
            })?;
        let _ = std::fs::remove_file(&probe);
        Ok(RunDir {
            dir: dir.to_path_buf(),
            marker: marker.to_string(),
            previous: None,
            pending: BTreeSet::new(),
            written: Vec::new(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The files written so far, with their sizes (bytes).
    pub fn written(&self) -> &[(String, u64)] {
        &self.written
    }

    /// On the first write: remember what earlier runs wrote, remove their marker and stale
    /// temporary files.
    fn begin(&mut self) -> Result<()> {
        if self.previous.is_some() {
            return Ok(());
        }
        let mut prev = BTreeSet::new();
        let marker = self.dir.join(&self.marker);
        if let Some(v) = read_json(&marker) {
            prev.extend(manifest_names(&v, &self.marker));
        }
        if let Some(v) = read_json(&self.dir.join(PENDING)) {
            prev.extend(manifest_names(&v, &self.marker));
        }
        self.pending = prev.clone();
        self.previous = Some(prev);
        self.save_pending()?;
        remove_if_file(&marker)?;
        remove_stale_tmp(&self.dir);
        Ok(())
    }

    fn save_pending(&self) -> Result<()> {
        let v = json!({
            "note": "files a balnet run may have written here; present while the run writes",
            "files": self.pending.iter().collect::<Vec<_>>(),
        });
        write_atomic(&self.dir.join(PENDING), v.to_string().as_bytes())
    }

    /// Announce files this run may write (so that an interrupted run's files are cleaned up
    /// by the next run). Files written with [`RunDir::write`] are announced automatically.
    pub fn announce<S: AsRef<str>>(&mut self, names: &[S]) -> Result<()> {
        self.begin()?;
        let before = self.pending.len();
        self.pending
            .extend(names.iter().map(|s| s.as_ref().to_string()));
        if self.pending.len() != before {
            self.save_pending()?;
        }
        Ok(())
    }

    /// Write the file `name` (a plain file name) atomically.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.announce(&[name])?;
        write_atomic(&self.dir.join(name), bytes)?;
        self.record(name, bytes.len() as u64);
        Ok(())
    }

    /// Write files through a function that writes to a path it is given (e.g. figures
    /// from [`crate::plot::save`]), with [`write_with_atomic`]; the files are recorded.
    pub fn write_with(
        &mut self,
        name: &str,
        exts: &[&str],
        f: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let finals: Vec<String> = exts.iter().map(|e| format!("{name}.{e}")).collect();
        self.announce(&finals)?;
        for (fin, size) in write_with_atomic(&self.dir, name, exts, f)? {
            self.record(&fin, size);
        }
        Ok(())
    }

    fn record(&mut self, name: &str, size: u64) {
        self.written.retain(|(n, _)| n != name);
        self.written.push((name.to_string(), size));
    }

    /// Finish the run: delete files an earlier balnet run wrote that this run did not,
    /// then write the marker (`content` plus `files`: every file of the run with its size)
    /// and remove the pending manifest. `content` must be a JSON object.
    pub fn finish(mut self, mut content: Value) -> Result<()> {
        self.begin()?;
        let own: BTreeSet<&str> = self.written.iter().map(|(n, _)| n.as_str()).collect();
        for name in self.pending.iter().filter(|n| !own.contains(n.as_str())) {
            if is_own_name(name) && *name != self.marker {
                remove_if_file(&self.dir.join(name))?;
            }
        }
        let files: Vec<Value> = self
            .written
            .iter()
            .map(|(n, s)| json!({"name": n, "bytes": s}))
            .collect();
        match content.as_object_mut() {
            Some(o) => {
                o.insert("files".into(), Value::Array(files));
            }
            None => {
                return Err(Error::Io(format!(
                    "{}: the completeness marker must be a JSON object",
                    self.marker
                )));
            }
        }
        let text = serde_json::to_string_pretty(&content)
            .map_err(|e| Error::Io(format!("cannot serialise {}: {e}", self.marker)))?;
        write_atomic(&self.dir.join(&self.marker), text.as_bytes())?;
        remove_if_file(&self.dir.join(PENDING))
    }
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// File names listed by a marker or pending manifest (`files`: names or `{name, bytes}`).
/// A `summary.json` of an older balnet without `files` lists its populations instead, from
/// which the names it wrote follow.
fn manifest_names(v: &Value, marker: &str) -> Vec<String> {
    if let Some(files) = v.get("files").and_then(Value::as_array) {
        return files
            .iter()
            .filter_map(|f| {
                f.as_str()
                    .or_else(|| f.get("name").and_then(Value::as_str))
                    .map(str::to_string)
            })
            .filter(|n| is_own_name(n))
            .collect();
    }
    if marker == SIM_MARKER
        && let Some(pops) = v.get("populations").and_then(Value::as_array)
    {
        let names: Vec<&str> = pops
            .iter()
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .collect();
        return sim_file_names(&names);
    }
    Vec::new()
}

fn remove_if_file(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => std::fs::remove_file(path)
            .map_err(|e| Error::Io(format!("cannot remove {}: {e}", path.display()))),
        _ => Ok(()),
    }
}

/// Remove temporary files of interrupted balnet runs (not those of a live process).
fn remove_stale_tmp(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TMP_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || Path::new("/proc").join(pid).exists());
        if !alive {
            let _ = remove_if_file(&e.path());
        }
    }
}

/// The content of `summary.json` (without `files`): the serialised result.
pub fn summary_json(r: &SimResult) -> Result<Value> {
    serde_json::to_value(r).map_err(|e| Error::Io(format!("cannot serialise summary: {e}")))
}

/// Write the arrays of a result into a prepared run folder, then `summary.json` last:
/// `time_s.npy` (bins), `rate_t.npy` and `mean_v_t.npy` (bins x P), `kappa_t.npy`
/// (bins x D), and per population `rates_<name>.npy`, `cv_isi_<name>.npy` (NaN for
/// neurons with fewer than 3 spikes), `raster_<name>_ids.npy` / `raster_<name>_times.npy`.
pub fn write_result(mut out: RunDir, r: &SimResult) -> Result<()> {
    let pop_names: Vec<&str> = r.populations.iter().map(|p| p.name.as_str()).collect();
    let names = sim_file_names(&pop_names);
    let unique: BTreeSet<&String> = names.iter().collect();
    if unique.len() != names.len() {
        return Err(Error::invalid(
            "populations.name",
            format!("{pop_names:?}"),
            "two populations have the same output file names (see check_population_names)",
        ));
    }
    out.announce(&names)?;
    let nb = r.time_s.len();
    let p = r.populations.len();
    out.write("time_s.npy", &npy_f64(&[nb], &r.time_s)?)?;
    let mut rate = Vec::with_capacity(nb * p);
    let mut mv = Vec::with_capacity(nb * p);
    for b in 0..nb {
        for pop in &r.populations {
            rate.push(pop.rate_t[b]);
            mv.push(pop.mean_v_t[b]);
        }
    }
    out.write("rate_t.npy", &npy_f64(&[nb, p], &rate)?)?;
    out.write("mean_v_t.npy", &npy_f64(&[nb, p], &mv)?)?;
    let d = r.kappa_mean.len();
    let kap: Vec<f64> = r.kappa_t.iter().flatten().copied().collect();
    out.write("kappa_t.npy", &npy_f64(&[nb, d], &kap)?)?;
    for pop in &r.populations {
        let name = sanitize(&pop.name);
        out.write(
            &format!("rates_{name}.npy"),
            &npy_f64(&[pop.rates_hz.len()], &pop.rates_hz)?,
        )?;
        out.write(
            &format!("cv_isi_{name}.npy"),
            &npy_f64(&[pop.cv_isi_per_neuron.len()], &pop.cv_isi_per_neuron)?,
        )?;
        out.write(
            &format!("raster_{name}_ids.npy"),
            &npy_u32(&[pop.raster_ids.len()], &pop.raster_ids)?,
        )?;
        out.write(
            &format!("raster_{name}_times.npy"),
            &npy_f64(&[pop.raster_times.len()], &pop.raster_times)?,
        )?;
    }
    out.finish(summary_json(r)?)
}

/// Check the population names of `model` ([`check_population_names`]) and
/// [`RunDir::prepare`] `dir` for its simulation: both before the run.
pub fn prepare_sim_dir(dir: &Path, model: &Model) -> Result<RunDir> {
    check_population_names(model)?;
    RunDir::prepare(dir, SIM_MARKER)
}

/// [`RunDir::prepare`] `dir` and [`write_result`] into it.
pub fn write_dir(dir: &Path, r: &SimResult) -> Result<()> {
    write_result(RunDir::prepare(dir, SIM_MARKER)?, r)
}

/// The numbers of an `.npy` file read by [`read_npy`].
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    /// `<f8`: little-endian `f64`.
    F64(Vec<f64>),
    /// `<u4`: little-endian `u32`.
    U32(Vec<u32>),
}

/// Read a C-ordered `.npy` file (format versions 1 to 3) of little-endian `f64` (`<f8`)
/// or `u32` (`<u4`): its shape and its numbers. Other types and Fortran order are refused
/// with an error naming the file.
pub fn read_npy(path: &Path) -> Result<(Vec<usize>, NpyData)> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::file(format!("cannot read {}", path.display()), e))?;
    let bad = |why: &str| {
        Error::Io(format!(
            "{}: not a readable .npy file: {why}",
            path.display()
        ))
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NPY magic"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(&format!("format version {v}"))),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header"))?;
    let field = |key: &str| -> Option<&str> {
        let i = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[i..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr")
        .and_then(|r| r.strip_prefix('\''))
        .and_then(|r| r.split('\'').next())
        .ok_or_else(|| bad("no descr"))?;
    if field("fortran_order").is_some_and(|r| r.starts_with("True")) {
        return Err(bad("Fortran order"));
    }
    let shape_txt = field("shape")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| bad("no shape"))?;
    let shape = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<Vec<_>>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .ok_or_else(|| bad("shape overflows"))?;
    let data = &bytes[start + hlen..];
    let take = |width: usize| -> Result<&[u8]> {
        data.get(..count * width)
            .filter(|_| data.len() == count * width)
            .ok_or_else(|| bad(&format!("{} data bytes for {count} values", data.len())))
    };
    let values = match descr {
        "<f8" => NpyData::F64(
            take(8)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        ),
        "<u4" => NpyData::U32(
            take(4)?
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        ),
        other => return Err(bad(&format!("type {other} (need <f8 or <u4)"))),
    };
    Ok((shape, values))
}

pub use super::spikes::{SpikeFolder, read_spikes};
