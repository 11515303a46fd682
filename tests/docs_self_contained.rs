//! The repository explains itself: every `docs/NAME.md` it mentions exists, and nothing in it
//! points at a path outside the repository.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The project's own text files: sources, tests, docs, the README and CI (not installed
/// packages or build output).
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(
                name.as_str(),
                "node_modules" | "target" | ".git" | "snapshots"
            ) {
                files(&p, out);
            }
        } else if [".rs", ".md", ".toml", ".mjs", ".json", ".sh"]
            .iter()
            .any(|ext| name.ends_with(ext))
            || name == "run"
        {
            out.push(p);
        }
    }
}

fn project_files() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut out = vec![root.join("README.md"), root.join("Cargo.toml")];
    for d in ["src", "tests", "docs", "benches", ".ci"] {
        files(&root.join(d), &mut out);
    }
    out.retain(|p| !p.ends_with("package-lock.json"));
    out
}

#[test]
fn every_docs_page_mentioned_exists() {
    let mut missing = Vec::new();
    let mut mentioned = 0;
    for f in project_files() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (at, _) in text.match_indices("docs/") {
            let rest = &text[at + 5..];
            let name: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'
                })
                .collect();
            if name.is_empty() || !rest[name.len()..].starts_with(".md") {
                continue;
            }
            mentioned += 1;
            if !Path::new(ROOT)
                .join("docs")
                .join(format!("{name}.md"))
                .is_file()
            {
                missing.push(format!("{}: docs/{name}.md", f.display()));
            }
        }
    }
    assert!(mentioned > 10, "the scan found only {mentioned} mentions");
    assert!(missing.is_empty(), "missing pages:\n{}", missing.join("\n"));
}

#[test]
fn nothing_points_outside_the_repository() {
    // Spelled in pieces so this file does not match itself.
    let outside = [concat!("..", "/shared"), concat!("reference ", "§")];
    let mut found = Vec::new();
    for f in project_files() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                found.push(format!("{}:{}: {line}", f.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
