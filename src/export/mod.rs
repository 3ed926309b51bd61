//! Exports: projections of a run's trace into files people take elsewhere — the message log as
//! JSON and CSV, a Mermaid `sequenceDiagram`, Chrome Trace Event JSON (Perfetto) and the timeline
//! as a standalone SVG. Pure functions of a `Sim`; shared by the CLI and the UI.
//!
//! Every export escapes user-chosen names for its own syntax (JSON strings, CSV fields, XML text,
//! Mermaid message text), so no name can break the file or inject markup.

mod chrome;
mod escape;
mod log;
mod mermaid;
pub mod summary;
mod svg;

pub use chrome::chrome_trace;
pub use log::{log_csv, log_json};
pub use mermaid::{mermaid_sequence, MERMAID_DEFAULT_MESSAGES};
pub use svg::{timeline_svg, SvgOptions};

use crate::sim::trace::Records;
use crate::sim::{Kind, Outcome, Record, Sim};

/// The records a log or trace export covers: the newest `max` (all of them when there are no
/// more), and how many older ones that leaves out. A browser tab cannot hold a file of every
/// record of a multi-million-record run, so the UI passes a cap; the CLI passes `usize::MAX`.
fn newest(sim: &Sim, max: usize) -> (Records<'_>, usize) {
    let records = sim.trace().records();
    let omitted = records.len().saturating_sub(max);
    (records.range(omitted..), omitted)
}

/// The records that are messages between two nodes (hops), in trace order.
fn hops(sim: &Sim) -> impl Iterator<Item = &Record> {
    sim.trace().records().iter().filter(|r| r.kind.is_hop())
}

/// Whether a record marks something going wrong (for highlighting).
fn is_failure(r: &Record) -> bool {
    match r.outcome {
        Outcome::Breaker(_) => false,
        o => !o.is_success() || matches!(r.kind, Kind::Timeout | Kind::DeadLetter),
    }
}
