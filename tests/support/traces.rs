//! Helpers the engine's behaviour tests share (`sim_calls`, `sim_faults`, `sim_messaging`,
//! `sim_api`, `scenario_lower`): durations, runs, and trace lines compared with runs of spaces
//! collapsed. Included with `#[path]`, so each test crate uses only some of them.
#![allow(dead_code)]

use switchboard::sim::{Sim, SimTime, World};

/// `n` milliseconds.
pub fn ms(n: u64) -> SimTime {
    SimTime::from_millis(n)
}

/// Lines of a trace (or of an expected one), each with its runs of spaces collapsed, blank lines
/// left out.
pub fn norm(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The run's whole trace is exactly `expected` (one record per line).
pub fn check(sim: &Sim, expected: &str) {
    let got = norm(&sim.format_trace());
    let want = norm(expected);
    if got != want {
        panic!(
            "trace mismatch\n--- got ---\n{}\n--- want ---\n{}",
            got.join("\n"),
            want.join("\n")
        );
    }
}

/// The trace's lines that contain `needle`.
pub fn lines_with(sim: &Sim, needle: &str) -> Vec<String> {
    norm(&sim.format_trace())
        .into_iter()
        .filter(|l| l.contains(needle))
        .collect()
}

/// `world` run to its end with seed 1.
pub fn run(world: World) -> Sim {
    let mut sim = Sim::new(world, 1).expect("valid world");
    sim.run_to_end();
    sim
}
