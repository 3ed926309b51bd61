//! The determinism check in wasm: the reference world and every gallery scenario run in a wasm
//! runtime (node: no `run_in_browser` here) must produce exactly the native trace hashes — the
//! reference constant and the golden table tests/golden/gallery-hashes.txt that
//! tests/determinism.rs checks natively. Run with
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --test web_sim`.
#![cfg(target_arch = "wasm32")]

#[path = "support/gallery_hashes.rs"]
mod gallery_hashes;

use switchboard::sim::reference::{reference_world, REFERENCE_SEED, REFERENCE_TRACE_HASH};
use switchboard::sim::Sim;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn reference_trace_hash_matches_native() {
    let mut sim = Sim::new(reference_world(), REFERENCE_SEED).expect("reference world is valid");
    sim.run_to_end();
    assert_eq!(sim.trace_hash(), REFERENCE_TRACE_HASH);
}

#[wasm_bindgen_test]
fn same_seed_twice_is_identical_in_wasm() {
    let mut a = Sim::new(reference_world(), 7).expect("valid");
    let mut b = Sim::new(reference_world(), 7).expect("valid");
    a.run_to_end();
    b.run_to_end();
    assert_eq!(a.trace_hash(), b.trace_hash());
}

/// Every gallery scenario, run to its end with its own seed, matches its native line in the
/// golden table (id, seed, record count and trace hash).
#[wasm_bindgen_test]
fn gallery_trace_hashes_match_native() {
    let rows = gallery_hashes::compute();
    if let Err(msg) = gallery_hashes::check("wasm", &rows) {
        panic!("{msg}");
    }
}
