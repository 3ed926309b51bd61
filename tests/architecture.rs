//! Architecture guard rails: every source file says what it owns, the core layers stay free of web
//! crates and wall clocks, and layers only depend downward (sim ← scenario, export ← ui).

use std::fs;
use std::path::{Path, PathBuf};

/// Names that must never appear under src/sim, src/scenario or src/export, even in comments: web crates
/// (the core must build and test natively), wall clocks (simulated time is the only clock),
/// unordered maps (iteration order is part of determinism) and unseeded randomness.
const FORBIDDEN_IN_CORE: [&str; 9] = [
    "yew",
    "web_sys",
    "js_sys",
    "gloo",
    "wasm_bindgen",
    "Instant",
    "SystemTime",
    "HashMap",
    "thread_rng",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("reading {}: {e}", d.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Occurrences of `word` in `line` as a whole identifier (so `yew` does not match `yewtree`).
fn mentions(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// `file:line: mentions X` for every forbidden name in `text`.
fn forbidden_mentions(file: &str, text: &str, words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for w in words {
            if mentions(line, w) {
                found.push(format!("{file}:{}: mentions `{w}`: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

fn missing_header(text: &str) -> bool {
    !text.trim_start_matches('\u{feff}').starts_with("//!")
}

#[test]
fn every_source_file_starts_with_a_module_doc_line() {
    let bad: Vec<String> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|p| missing_header(&fs::read_to_string(p).expect("read source")))
        .map(|p| {
            format!(
                "{}: first line must be a `//!` line saying what the file owns",
                rel(&p)
            )
        })
        .collect();
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn core_layers_never_mention_web_crates_clocks_or_unordered_maps() {
    let mut bad = Vec::new();
    for layer in ["sim", "scenario", "export"] {
        for p in rust_files(&root().join("src").join(layer)) {
            let text = fs::read_to_string(&p).expect("read source");
            bad.extend(forbidden_mentions(&rel(&p), &text, &FORBIDDEN_IN_CORE));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn layers_depend_only_downward() {
    // sim knows nothing above it; scenario and export may use sim but not each other or ui.
    let rules: [(&str, &[&str]); 3] = [
        (
            "sim",
            &[
                "crate::scenario",
                "crate::export",
                "crate::ui",
                "switchboard::",
            ],
        ),
        (
            "scenario",
            &["crate::ui", "crate::export", "switchboard::ui"],
        ),
        ("export", &["crate::ui", "crate::scenario", "switchboard::"]),
    ];
    let mut bad = Vec::new();
    for (layer, above) in rules {
        for p in rust_files(&root().join("src").join(layer)) {
            let text = fs::read_to_string(&p).expect("read source");
            for (n, line) in text.lines().enumerate() {
                for a in above {
                    if line.contains(a) {
                        bad.push(format!(
                            "{}:{}: `{layer}` must not use `{a}`",
                            rel(&p),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn architecture_map_names_every_module() {
    let map = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
    let missing: Vec<String> = rust_files(&root().join("src"))
        .iter()
        .map(|p| rel(p))
        .filter(|r| !map.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not mention:\n{}",
        missing.join("\n")
    );
}

// The guards above are only worth having if they can fail: check them on known-bad input.
#[test]
fn guards_detect_what_they_forbid() {
    let text = "//! ok\nuse std::collections::HashMap;\n// a yewtree and Instantly are fine\nlet t = Instant::now();\n";
    let found = forbidden_mentions("src/sim/x.rs", text, &FORBIDDEN_IN_CORE);
    assert_eq!(
        found,
        vec![
            "src/sim/x.rs:2: mentions `HashMap`: use std::collections::HashMap;".to_string(),
            "src/sim/x.rs:4: mentions `Instant`: let t = Instant::now();".to_string(),
        ]
    );
    assert!(missing_header("use std::fmt;\n"));
    assert!(missing_header("// plain comment\n"));
    assert!(!missing_header("//! owns the clock\n"));
}
