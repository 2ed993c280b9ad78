//! The layering rules of docs/architecture.md, checked on the source: `theory` and `sim`
//! never import each other (nor `compare` or `plot`), and the modules of `theory` import
//! each other without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments (doc links name paths that are not imports).
fn code(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `<prefix>name` in `text`, `name` an identifier.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        let rest = &text[i + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn theory_and_sim_do_not_import_each_other() {
    for (layer, forbidden) in [
        ("theory", ["sim", "compare", "plot"]),
        ("sim", ["theory", "compare", "plot"]),
        ("export", ["theory", "compare", "plot"]),
    ] {
        let mut files = Vec::new();
        rust_files(&src().join(layer), &mut files);
        assert!(!files.is_empty());
        for f in files {
            let used = names_after(&code(&f), "crate::");
            for bad in forbidden {
                assert!(
                    !used.contains(bad),
                    "{} imports crate::{bad} (docs/architecture.md: {layer} never imports {bad})",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn lower_layers_do_not_import_upward() {
    // docs/architecture.md: `quad` (numerics) imports nothing of the crate; `transfer`
    // imports only `quad`, `model` and `error`; `gauss` sits above `transfer`.
    let allowed: [(&str, &[&str]); 2] = [
        ("quad.rs", &[]),
        (
            "transfer",
            &[
                "quad", "model", "Model", "error", "Error", "Result", "transfer",
            ],
        ),
    ];
    for (layer, ok) in allowed {
        let path = src().join(layer);
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path);
        }
        assert!(!files.is_empty());
        for f in files {
            for used in names_after(&code(&f), "crate::") {
                assert!(
                    ok.contains(&used.as_str()),
                    "{} imports crate::{used} (docs/architecture.md: {layer} sits below it)",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn baseline_and_measures_are_self_contained() {
    // docs/architecture.md: `ratenet` uses only the numerics (`quad`, `theory::newton`)
    // and `error`; `analysis` only `error`.
    for (layer, ok) in [
        (
            "ratenet",
            &["quad", "theory", "error", "Error", "Result", "ratenet"][..],
        ),
        ("analysis", &["error", "Error", "Result", "analysis"][..]),
    ] {
        let mut files = Vec::new();
        rust_files(&src().join(layer), &mut files);
        assert!(!files.is_empty());
        for f in files {
            let text = code(&f);
            for used in names_after(&text, "crate::") {
                assert!(
                    ok.contains(&used.as_str()),
                    "{} imports crate::{used} (docs/architecture.md: {layer} is self-contained)",
                    f.display()
                );
            }
            for used in names_after(&text, "crate::theory::") {
                assert_eq!(
                    used,
                    "newton",
                    "{} imports crate::theory::{used} (only the root finder is allowed)",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn theory_modules_form_no_cycle() {
    // node = direct child of src/theory (a file stem, or the `predictions` folder)
    let theory = src().join("theory");
    let mut files = Vec::new();
    rust_files(&theory, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&theory).unwrap();
        let mut parts = rel.iter().map(|p| p.to_string_lossy().to_string());
        let first = parts.next().unwrap();
        let nested = rel.components().count() > 1;
        let node = first.trim_end_matches(".rs").to_string();
        if node == "mod" {
            continue;
        }
        let text = code(f);
        let mut targets = names_after(&text, "crate::theory::");
        if !nested {
            targets.extend(names_after(&text, "super::"));
        } else {
            targets.extend(names_after(&text, "super::super::"));
        }
        targets.remove(&node);
        targets.retain(|t| theory.join(format!("{t}.rs")).exists() || theory.join(t).is_dir());
        edges.entry(node).or_default().extend(targets);
    }
    // depth-first search for a back edge
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let i = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[i..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(cycle) = visit(n, &edges, &mut state, &mut Vec::new()) {
            panic!(
                "theory modules import each other in a cycle: {}",
                cycle.join(" -> ")
            );
        }
    }
    println!("{edges:#?}");
}
