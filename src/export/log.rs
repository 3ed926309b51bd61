//! The message log as JSON and CSV: one entry per trace record, with names resolved.
//!
//! JSON: `{"format":"switchboard-log/1","records":[…]}` (with `"omitted":N` before `records`
//! when the export holds only the newest records); each record has the fields of `FIELDS`
//! (times in integer microseconds of simulated time; `cause` and `trace` are `null` when absent).
//! CSV: a header row of `FIELDS`, then one row per record, RFC 4180 quoting.

use std::fmt::Write;

use super::escape::{csv_field, json_str};
use super::mechanism_str;
use crate::sim::trace::Names;
use crate::sim::{Record, Sim, TraceId};

/// Column names, in order, shared by the JSON objects and the CSV header.
pub const FIELDS: [&str; 16] = [
    "id",
    "trace",
    "cause",
    "kind",
    "mechanism",
    "from",
    "to",
    "name",
    "label",
    "send_us",
    "recv_us",
    "latency_us",
    "outcome",
    "success",
    "attempt",
    "late",
];

/// One record's values as text, in `FIELDS` order; `None` for an absent value.
fn values(sim: &Sim, r: &Record) -> [Option<String>; 16] {
    [
        Some(r.id.0.to_string()),
        (r.trace != TraceId::NONE).then(|| r.trace.0.to_string()),
        r.cause.map(|c| c.0.to_string()),
        Some(r.kind.as_str().to_string()),
        Some(mechanism_str(sim.mechanism(r)).to_string()),
        Some(sim.node_name(r.from).to_string()),
        Some(sim.node_name(r.to).to_string()),
        Some(sim.name(r.name).to_string()),
        Some(sim.name(r.label).to_string()),
        Some(r.send.0.to_string()),
        Some(r.recv.0.to_string()),
        Some(r.duration().0.to_string()),
        Some(r.outcome.to_string()),
        Some(r.outcome.is_success().to_string()),
        Some(r.attempt.to_string()),
        Some(r.late.to_string()),
    ]
}

/// Which fields are JSON numbers or booleans rather than strings.
const fn is_bare(field: usize) -> bool {
    matches!(field, 0..=2 | 9..=11 | 13..=15)
}

/// The newest `max_records` records of the run (`usize::MAX`: all) as one JSON document. When
/// older records are left out, `"omitted"` says how many (the first record's `id` is that count
/// plus the trace's first id).
pub fn log_json(sim: &Sim, max_records: usize) -> String {
    let (records, omitted) = super::newest(sim, max_records);
    let mut out = String::with_capacity(64 + records.len() * 260);
    out.push_str("{\"format\":\"switchboard-log/1\",");
    if omitted > 0 {
        let _ = write!(out, "\"omitted\":{omitted},");
    }
    out.push_str("\"records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n{");
        for (f, v) in values(sim, r).iter().enumerate() {
            if f > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{}\":", FIELDS[f]);
            match v {
                None => out.push_str("null"),
                Some(v) if is_bare(f) => out.push_str(v),
                Some(v) => json_str(&mut out, v),
            }
        }
        out.push('}');
    }
    out.push_str("\n]}\n");
    out
}

/// The newest `max_records` records of the run (`usize::MAX`: all) as CSV with a header row.
pub fn log_csv(sim: &Sim, max_records: usize) -> String {
    let (records, _) = super::newest(sim, max_records);
    let mut out = String::with_capacity(160 + records.len() * 120);
    out.push_str(&FIELDS.join(","));
    out.push_str("\r\n");
    for r in records {
        for (f, v) in values(sim, r).iter().enumerate() {
            if f > 0 {
                out.push(',');
            }
            if let Some(v) = v {
                csv_field(&mut out, v);
            }
        }
        out.push_str("\r\n");
    }
    out
}
