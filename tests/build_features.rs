//! `cargo test` and `cargo build` must build every shared dependency with the same
//! features: a dev-dependency that switches on a feature of a crate balnet also uses makes
//! the two builds differ, and each then rebuilds what the other built (minutes on two
//! cores). Cargo.toml repeats those features in `[dependencies]` ("Feature unification");
//! this test asks `cargo tree` for both feature sets and compares them.

use std::collections::BTreeMap;
use std::process::Command;

/// `package version -> features` of the resolved graph along the given edge kinds.
fn features(edges: &str) -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--manifest-path",
            manifest,
            "-e",
            edges,
            "--prefix",
            "none",
            "--no-dedupe",
            "-f",
            "{p}|{f}",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (p, f) = l.split_once('|')?;
            // `{p}` of the root crate carries its path; proc macros a marker
            let key: String = p.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            Some((key, f.trim().to_string()))
        })
        .collect()
}

#[test]
fn dev_dependencies_change_no_feature_of_a_shared_dependency() {
    let normal = features("normal,build");
    let with_dev = features("normal,build,dev");
    let differ: Vec<String> = normal
        .iter()
        .filter_map(|(p, f)| {
            let g = with_dev.get(p)?;
            (g != f).then(|| format!("{p}: build [{f}] vs test [{g}]"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "features differ between `cargo build` and `cargo test` (add them to \
         [dependencies] in Cargo.toml):\n{}",
        differ.join("\n")
    );
}
