//! Determinism: the same world and seed give byte-identical traces (hash), different seeds give
//! different traces, and the reference world's trace hash and every gallery scenario's trace hash
//! are pinned — the wasm test (tests/web_sim.rs) asserts the same constant and the same golden
//! table (tests/golden/gallery-hashes.txt), so native and wasm runs are identical.

#[path = "support/gallery_hashes.rs"]
mod gallery_hashes;

use switchboard::sim::reference::{reference_world, REFERENCE_SEED, REFERENCE_TRACE_HASH};
use switchboard::sim::Sim;

fn run(seed: u64) -> Sim {
    let mut sim = Sim::new(reference_world(), seed).expect("reference world is valid");
    sim.run_to_end();
    sim
}

#[test]
fn same_world_and_seed_give_identical_traces() {
    let a = run(REFERENCE_SEED);
    let b = run(REFERENCE_SEED);
    assert_eq!(a.trace().records(), b.trace().records());
    assert_eq!(a.trace_hash(), b.trace_hash(), "seed {REFERENCE_SEED}");
    assert_eq!(a.metrics(), b.metrics());
    assert_eq!(a.format_trace(), b.format_trace());
}

#[test]
fn different_seeds_give_different_traces() {
    let hashes: std::collections::BTreeSet<u64> = (0..8).map(|s| run(s).trace_hash()).collect();
    assert_eq!(hashes.len(), 8);
}

#[test]
fn reference_trace_hash_is_pinned() {
    let sim = run(REFERENCE_SEED);
    // The reference run exercises every mechanism (sanity check that the pin means something).
    assert!(sim.trace().len() > 5_000, "{}", sim.trace().len());
    assert_eq!(
        sim.trace_hash(),
        REFERENCE_TRACE_HASH,
        "reference trace changed: got {:#018x}.\n{}\n   (REFERENCE_TRACE_HASH is in \
         src/sim/reference.rs; the wasm test, tests/web_sim.rs, uses it too.)",
        sim.trace_hash(),
        gallery_hashes::intended_change_advice("REFERENCE_TRACE_HASH")
    );
}

/// The timeline and log find records by time with a binary search over arrival times, which is
/// only right if records are appended in non-decreasing `recv` order. Pin that for every
/// gallery scenario.
#[test]
fn records_are_appended_in_arrival_order_for_every_gallery_scenario() {
    for example in switchboard::scenario::gallery::GALLERY {
        let compiled = switchboard::scenario::compile(example.text).expect("gallery compiles");
        let mut sim = switchboard::sim::Sim::new(compiled.world, example.seed).expect("valid");
        sim.run_to_end();
        let records = sim.trace().records();
        let mut pairs = records.iter().zip(records.iter().skip(1));
        if let Some((a, b)) = pairs.find(|(a, b)| b.recv < a.recv) {
            panic!(
                "{}: record {} (recv {}) appended after record {} (recv {})",
                example.id, b.id.0, b.recv, a.id.0, a.recv
            );
        }
    }
}

/// Every gallery scenario's trace hash equals its line in tests/golden/gallery-hashes.txt, and the
/// table lists exactly the gallery's entries. On a difference the message ends with the full new
/// table to paste after an intentional engine change.
#[test]
fn gallery_trace_hashes_match_the_golden_table() {
    let rows = gallery_hashes::compute();
    if let Err(msg) = gallery_hashes::check("native", &rows) {
        panic!("{msg}");
    }
}

/// The golden-table comparison itself catches a missing entry, an extra one, a changed value and
/// a reordering, and the table it prints parses back to what was computed.
#[test]
fn golden_table_comparison_detects_every_difference() {
    use gallery_hashes::{compare, parse, render, Row};
    let row = |id: &str, hash| Row {
        id: id.to_string(),
        seed: 1,
        records: 10,
        hash,
    };
    let got = vec![row("a", 1), row("b", 2), row("c", 3)];
    let table = |rows: &[Row]| {
        render("# header\n", rows).replace(gallery_hashes::REASON_TO_WRITE, "a test change")
    };
    assert_eq!(compare(&table(&got), "native", &got), Ok(()));
    let err = |rows: &[Row]| compare(&table(rows), "native", &got).expect_err("differs");

    let e = err(&got[..2]);
    assert!(e.contains("missing from the table: c "), "{e}");
    let e = err(&[got.clone(), vec![row("x", 9)]].concat());
    assert!(e.contains("not in the gallery: x "), "{e}");
    let e = err(&[row("a", 1), row("b", 7), row("c", 3)]);
    assert!(e.contains("b: table has"), "{e}");
    let e = err(&[row("b", 2), row("a", 1), row("c", 3)]);
    assert!(e.contains("not in gallery order"), "{e}");
    let e = err(&[got.clone(), vec![row("a", 1)]].concat());
    assert!(e.contains("listed 2 times: a"), "{e}");

    // The message names the behaviour tests to run before touching the table, and asks for the
    // reason in the commit.
    assert!(e.contains(gallery_hashes::BEHAVIOUR_TESTS), "{e}");
    assert!(e.contains("commit message"), "{e}");
    // It ends with the whole new file: header kept, rows equal to what was computed, and a reason
    // line to write: pasted as printed, the table does not parse; with a reason, it does.
    assert_eq!(e.matches("listed 2 times").count(), 1, "{e}");
    let pasted = e.split("is written:\n\n").nth(1).expect("new table");
    assert!(
        pasted.starts_with(&format!(
            "# header\n{} {}\n",
            gallery_hashes::REASON,
            gallery_hashes::REASON_TO_WRITE
        )),
        "{pasted}"
    );
    let refused = parse(pasted).expect_err("the reason is not written yet");
    assert!(
        refused.contains("write why the hashes changed"),
        "{refused}"
    );
    let reasoned = pasted.replace(
        gallery_hashes::REASON_TO_WRITE,
        "breakers open at the ratio",
    );
    assert_eq!(parse(&reasoned), Ok(got.clone()));
    // Re-rendering a reasoned table empties its reason line again (one line, not two).
    let again = render(&reasoned, &got);
    assert_eq!(again.matches(gallery_hashes::REASON).count(), 1, "{again}");
    assert!(parse(&again).is_err());
    let e = compare(&table(&got[..2]), "wasm", &got).expect_err("differs");
    assert!(e.contains("determinism bug"), "{e}");
    let with_reason = |rows: &str| parse(&format!("{} a reason\n{rows}", gallery_hashes::REASON));
    assert_eq!(with_reason("a 1 10 ff"), Ok(vec![row("a", 0xff)]));
    assert!(with_reason("a 1 2").is_err());
    assert!(with_reason("a x 2 ff").is_err());
    assert!(with_reason("a 1 2 zz").is_err());
    // Without a reason line, or with an empty one, no table parses.
    assert!(parse("a 1 10 ff").is_err());
    assert!(parse(&format!("{}\na 1 10 ff", gallery_hashes::REASON)).is_err());
}
