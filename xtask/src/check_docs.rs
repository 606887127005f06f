//! `cargo xtask check-docs`: the statements of the docs that a script can check.
//!
//! - Intra-doc links resolve, private items included (`cargo doc --document-private-items`
//!   with warnings as errors).
//! - The README's crate map: every crate row with a path names a folder whose
//!   `Cargo.toml` is that package; a row without a path says "not yet"; every folder under
//!   `crates/` has a row.
//! - The contract table of `docs/architecture.md`: every type named in its first column is
//!   a `pub struct` of that crate, and every method named in the other columns is a
//!   `pub fn` of that crate.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{cargo, root, run};

pub(crate) fn check_docs() -> Result<(), String> {
    let root = root();
    let mut problems = Vec::new();
    crate_map(&root, &mut problems)?;
    contract_table(&root, &mut problems)?;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("check-docs: {p}");
        }
        return Err(format!(
            "{} statement(s) in the docs do not hold",
            problems.len()
        ));
    }
    println!("check-docs: README crate map and the architecture contract table hold");
    let mut doc = cargo();
    doc.args([
        "doc",
        "--workspace",
        "--no-deps",
        "--document-private-items",
        "--quiet",
    ])
    .env("RUSTDOCFLAGS", "-D warnings");
    run(doc)
}

/// The rows of the Markdown table whose header row starts with `header`: cells, trimmed.
fn table_rows(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(header));
    lines.next();
    lines
        .skip(1) // the `| --- |` line
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The texts between backticks in `cell`.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

fn crate_map(root: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let readme = fs::read_to_string(root.join("README.md")).map_err(|e| e.to_string())?;
    let rows = table_rows(&readme, "| crate |");
    if rows.is_empty() {
        return Err("README.md has no crate map (a table headed `| crate |`)".to_owned());
    }
    let mut listed = Vec::new();
    for row in &rows {
        let spans = code_spans(&row[0]);
        let Some(package) = spans.first() else {
            problems.push(format!(
                "README crate map row without a crate name: {row:?}"
            ));
            continue;
        };
        match spans.get(1) {
            Some(path) => {
                listed.push(path.to_string());
                let manifest = root.join(path).join("Cargo.toml");
                match fs::read_to_string(&manifest) {
                    Ok(toml) if toml.contains(&format!("name = \"{package}\"")) => {}
                    Ok(_) => {
                        problems.push(format!("README: `{path}` is not the package `{package}`"))
                    }
                    Err(_) => problems.push(format!(
                        "README: `{package}` is at `{path}`, which has no Cargo.toml"
                    )),
                }
            }
            None => {
                if !row.last().is_some_and(|s| s.contains("not yet")) {
                    problems.push(format!(
                        "README: `{package}` has no path, so its status must say \"not yet\""
                    ));
                }
            }
        }
    }
    let entries = fs::read_dir(root.join("crates")).map_err(|e| e.to_string())?;
    for entry in entries.flatten() {
        let path = format!("crates/{}", entry.file_name().to_string_lossy());
        if entry.path().join("Cargo.toml").exists() && !listed.contains(&path) {
            problems.push(format!("README: `{path}` is missing from the crate map"));
        }
    }
    Ok(())
}

fn contract_table(root: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let doc = fs::read_to_string(root.join("docs/architecture.md")).map_err(|e| e.to_string())?;
    let rows = table_rows(&doc, "| crate: machine |");
    if rows.is_empty() {
        return Err("docs/architecture.md has no contract table (`| crate: machine |`)".to_owned());
    }
    for row in &rows {
        let first = code_spans(&row[0]);
        let Some(krate) = first.first() else {
            problems.push(format!("contract table row without a crate: {row:?}"));
            continue;
        };
        let source = rust_sources(&root.join("crates").join(krate).join("src"));
        if source.is_empty() {
            problems.push(format!("contract table: no crate `crates/{krate}`"));
            continue;
        }
        for ty in &first[1..] {
            if !source.contains(&format!("pub struct {ty}")) {
                problems.push(format!(
                    "contract table: `{ty}` is not a pub struct of {krate}"
                ));
            }
        }
        for cell in &row[1..] {
            for span in code_spans(cell) {
                let Some((name, _)) = span.split_once('(') else {
                    continue;
                };
                let is_method =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if is_method
                    && !source.contains(&format!("pub fn {name}("))
                    && !source.contains(&format!("pub fn {name}<"))
                {
                    problems.push(format!(
                        "contract table: `{name}` is not a pub fn of {krate}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Every `.rs` file under `dir`, concatenated.
fn rust_sources(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs")
                && let Ok(text) = fs::read_to_string(&p)
            {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out
}
