//! The fuzz seeds committed in `fuzz/seeds/` (scripts/test.sh starts both fuzz targets from
//! them): the ones derived from the gallery and the docs are up to date, and every seed keeps the
//! properties its fuzz target checks (so the corpus also runs in a plain `cargo test`).
//!
//! Derived seeds are named `gallery-*`, `docs-*` and `book-*`; `UPDATE_SEEDS=1 cargo test --test
//! fuzz_seeds` rewrites them. The `hostile-*` and `raw-*` seeds are written by hand and kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use switchboard::scenario::{format, gallery, link, parse};

const DERIVED: [&str; 3] = ["gallery-", "docs-", "book-"];

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

fn read_repo(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file of a seeds directory: name → bytes.
fn seeds(target: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = seeds_dir(target);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let entry = entry.expect("directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        out.insert(name, std::fs::read(entry.path()).expect("readable seed"));
    }
    out
}

/// Every share-link fragment (`s=1.…`) written in the mdBook example's pages.
fn book_fragments() -> Vec<String> {
    let mut pages: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/book/src"))
            .expect("docs/book/src")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("page");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("#s=1.") {
            let tail = &rest[at + 1..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "=.-_".contains(c)))
                .unwrap_or(tail.len());
            out.push(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
    out
}

/// The examples of docs/scenario-language.md: its first `text` block (a whole scenario), and
/// every backticked example of its tables' second column, one per line (most are single lines
/// of the language; together they use every keyword).
fn docs_seeds() -> Vec<(String, String)> {
    let doc = read_repo("docs/scenario-language.md");
    let block = doc
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a text block in docs/scenario-language.md");
    let mut lines = Vec::new();
    for row in doc.lines().filter(|l| l.starts_with('|')) {
        let Some(example) = row.split('|').nth(2) else {
            continue;
        };
        for (i, part) in example.split('`').enumerate() {
            if i % 2 == 1 && !part.trim().is_empty() && !part.starts_with("--") {
                lines.push(part.to_string());
            }
        }
    }
    vec![
        ("docs-checkout.sb".to_string(), block.to_string()),
        (
            "docs-reference-examples.sb".to_string(),
            lines.join("\n") + "\n",
        ),
    ]
}

/// What the derived seeds of each target should be, file name → content.
fn derived() -> [(&'static str, BTreeMap<String, Vec<u8>>); 2] {
    let mut parse_seeds = BTreeMap::new();
    let mut link_seeds = BTreeMap::new();
    for e in gallery::GALLERY {
        parse_seeds.insert(format!("gallery-{}.sb", e.id), e.text.as_bytes().to_vec());
        link_seeds.insert(
            format!("gallery-{}.txt", e.id),
            link::encode_text(e.text).into_bytes(),
        );
    }
    for (name, text) in docs_seeds() {
        parse_seeds.insert(name, text.into_bytes());
    }
    for (i, fragment) in book_fragments().into_iter().enumerate() {
        let text = link::decode_text(&fragment).expect("the book's links decode");
        parse_seeds.insert(format!("book-{}.sb", i + 1), text.into_bytes());
        link_seeds.insert(format!("book-{}.txt", i + 1), fragment.into_bytes());
    }
    [("parse", parse_seeds), ("link_decode", link_seeds)]
}

#[test]
fn derived_seeds_match_the_gallery_and_the_docs() {
    let update = std::env::var_os("UPDATE_SEEDS").is_some();
    let mut stale = Vec::new();
    for (target, want) in derived() {
        let dir = seeds_dir(target);
        let have: BTreeMap<String, Vec<u8>> = seeds(target)
            .into_iter()
            .filter(|(name, _)| DERIVED.iter().any(|p| name.starts_with(p)))
            .collect();
        for (name, bytes) in &want {
            if have.get(name) != Some(bytes) {
                if update {
                    std::fs::write(dir.join(name), bytes).expect("write seed");
                } else {
                    stale.push(format!("{target}/{name}: missing or out of date"));
                }
            }
        }
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            if update {
                std::fs::remove_file(dir.join(name)).expect("remove seed");
            } else {
                stale.push(format!("{target}/{name}: no longer in the gallery or docs"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "fuzz/seeds is out of date:\n  {}\nRun `UPDATE_SEEDS=1 cargo test --test fuzz_seeds` and commit fuzz/seeds.",
        stale.join("\n  ")
    );
}

#[test]
fn the_corpus_is_small_and_has_every_kind_of_seed() {
    for target in ["parse", "link_decode"] {
        let all = seeds(target);
        let bytes: usize = all.values().map(Vec::len).sum();
        assert!(bytes < 64 * 1024, "{target}: {bytes} bytes of seeds");
        for kind in ["gallery-", "hostile-"] {
            assert!(
                all.keys().any(|n| n.starts_with(kind)),
                "{target} has {kind}* seeds"
            );
        }
    }
    assert!(seeds("parse").keys().any(|n| n.starts_with("docs-")));
    assert!(seeds("link_decode").keys().any(|n| n.starts_with("raw-")));
}

/// The `parse` fuzz target's properties (fuzz/fuzz_targets/parse.rs), on every parse seed.
#[test]
fn every_parse_seed_keeps_the_parse_targets_properties() {
    let mut parsed = 0;
    for (name, bytes) in seeds("parse") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match parse(text) {
            Ok(model) => {
                parsed += 1;
                let canonical = format(&model);
                let again = parse(&canonical).expect("the canonical text of a valid model parses");
                assert_eq!(again, model, "{name}: parse(format(m)) != m");
                assert_eq!(
                    format(&again),
                    canonical,
                    "{name}: format is not a fixed point"
                );
            }
            Err(diagnostics) => {
                assert!(!diagnostics.is_empty(), "{name}");
                let lines = text.split('\n').count();
                for d in &diagnostics {
                    assert!(
                        d.line >= 1 && d.line <= lines,
                        "{name}: line out of range: {d:?}"
                    );
                    assert!(d.col >= 1 && d.end_line >= d.line, "{name}: column: {d:?}");
                    if d.end_line == d.line {
                        assert!(d.end_col >= d.col, "{name}: span reversed: {d:?}");
                    }
                }
            }
        }
    }
    assert!(
        parsed > gallery::GALLERY.len(),
        "the gallery, the docs' scenario and the book's parse: {parsed}"
    );
}

/// The `link_decode` fuzz target's properties (fuzz/fuzz_targets/link_decode.rs), on every
/// link seed; the gallery's and the book's links decode to scenarios.
#[test]
fn every_link_seed_decodes_or_fails_cleanly() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    for (name, bytes) in seeds("link_decode") {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let decoded = link::decode(text);
            if name.starts_with("gallery-") || name.starts_with("book-") {
                assert!(decoded.is_ok(), "{name}: {:?}", decoded.err());
            }
        }
        let fragment = format!("s=1.{}", URL_SAFE_NO_PAD.encode(&bytes));
        if let Ok(text) = link::decode_text(&fragment) {
            assert!(text.len() <= link::MAX_TEXT_BYTES, "{name}");
        }
    }
    // The bomb really is one: as a payload it inflates past the limit and is refused.
    let bomb = &seeds("link_decode")["raw-bomb-256k-plus-1.bin"];
    let fragment = format!("s=1.{}", URL_SAFE_NO_PAD.encode(bomb));
    assert!(link::decode_text(&fragment).is_err());
}
