//! Fuzz the scenario parser: any UTF-8 text parses or fails with in-range diagnostics, never
//! panics; whatever parses formats to a fixed point that reads back as the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::scenario::{format, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(model) => {
            let canonical = format(&model);
            let again = parse(&canonical).expect("the canonical text of a valid model parses");
            assert_eq!(again, model, "parse(format(m)) != m");
            assert_eq!(format(&again), canonical, "format is not a fixed point");
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            let lines = text.split('\n').count();
            for d in &diagnostics {
                assert!(d.line >= 1 && d.line <= lines, "line out of range: {d:?}");
                assert!(
                    d.col >= 1 && d.end_line >= d.line,
                    "column out of range: {d:?}"
                );
                if d.end_line == d.line {
                    assert!(d.end_col >= d.col, "span reversed: {d:?}");
                }
            }
        }
    }
});
