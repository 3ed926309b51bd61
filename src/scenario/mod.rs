//! Scenario language: parsing, diagnostics, canonical formatting, lowering to a `sim` world, the
//! built-in gallery and the share-link codec. Pure Rust: no web crates, no wall clock.
