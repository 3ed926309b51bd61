//! The message log as JSON and CSV: one entry per trace record, with names resolved.
//!
//! JSON: `{"format":"switchboard-log/1","records":[…]}` (with `"omitted":N` before `records`
//! when the export holds only the newest records); each record has the fields of `FIELDS`
//! (times in integer microseconds of simulated time; `cause` and `trace` are `null` when absent).
//! CSV: a header row of `FIELDS`, then one row per record, RFC 4180 quoting.

use std::fmt::Write;

use super::escape::{csv_field, json_str};
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

/// One value of a record, borrowed where it can be: exports of 200,000 records must not
/// allocate per field.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Null,
    Num(u64),
    Bool(bool),
    Text(&'a str),
}

/// One record's values in `FIELDS` order (`Null` for an absent value). `outcome` is the
/// record's outcome already written out as text.
fn cells<'a>(sim: &'a Sim, r: &Record, outcome: &'a str) -> [Cell<'a>; 16] {
    [
        Cell::Num(u64::from(r.id.0)),
        if r.trace == TraceId::NONE {
            Cell::Null
        } else {
            Cell::Num(u64::from(r.trace.0))
        },
        r.cause.map_or(Cell::Null, |c| Cell::Num(u64::from(c.0))),
        Cell::Text(r.kind.as_str()),
        Cell::Text(sim.mechanism(r).as_str()),
        Cell::Text(sim.node_name(r.from)),
        Cell::Text(sim.node_name(r.to)),
        Cell::Text(sim.name(r.name)),
        Cell::Text(sim.name(r.label)),
        Cell::Num(r.send.0),
        Cell::Num(r.recv.0),
        Cell::Num(r.duration().0),
        Cell::Text(outcome),
        Cell::Bool(r.outcome.is_success()),
        Cell::Num(u64::from(r.attempt)),
        Cell::Bool(r.late),
    ]
}

/// `r`'s outcome as text, in `buf` (reused from record to record).
fn outcome_text<'b>(buf: &'b mut String, r: &Record) -> &'b str {
    buf.clear();
    let _ = write!(buf, "{}", r.outcome);
    buf
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
    let mut outcome = String::new();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n{");
        for (f, cell) in cells(sim, r, outcome_text(&mut outcome, r))
            .iter()
            .enumerate()
        {
            if f > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(FIELDS[f]);
            out.push_str("\":");
            match *cell {
                Cell::Null => out.push_str("null"),
                Cell::Num(n) => {
                    let _ = write!(out, "{n}");
                }
                Cell::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                Cell::Text(t) => json_str(&mut out, t),
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
    let mut outcome = String::new();
    for r in records {
        for (f, cell) in cells(sim, r, outcome_text(&mut outcome, r))
            .iter()
            .enumerate()
        {
            if f > 0 {
                out.push(',');
            }
            match *cell {
                Cell::Null => {}
                Cell::Num(n) => {
                    let _ = write!(out, "{n}");
                }
                Cell::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                Cell::Text(t) => csv_field(&mut out, t),
            }
        }
        out.push_str("\r\n");
    }
    out
}
