//! Chrome Trace Event JSON (opens in Perfetto and chrome://tracing): one thread lane per node,
//! work spans as complete (`X`) events, every message as a short slice at each end joined by a
//! flow arrow (`s` → `f`), and timeouts, dead letters, breaker changes and faults as instants.
//!
//! Flow events bind to the slice that encloses their timestamp on their thread, which is why each
//! message end gets its own 1 µs slice rather than relying on whatever span happens to be open.

use std::fmt::Write;

use super::escape::{json_str, json_str_parts};
use crate::sim::trace::Names;
use crate::sim::{Kind, NodeId, Outcome, Record, Sim};

const PID: u32 = 1;

fn tid(n: NodeId) -> u64 {
    u64::from(n.0) + 1
}

struct Events {
    out: String,
    first: bool,
    /// A record's outcome as text, reused from event to event.
    outcome: String,
}

impl Events {
    fn begin(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str("\n{");
    }
    /// Common head of an event: `"name":…,"cat":…,"ph":…,"ts":…,"pid":1,"tid":…`, the name
    /// being the concatenation of `name`.
    fn head(&mut self, name: &[&str], cat: &str, ph: &str, ts: u64, tid: u64) {
        self.begin();
        self.out.push_str("\"name\":");
        json_str_parts(&mut self.out, name);
        let _ = write!(
            self.out,
            ",\"cat\":\"{cat}\",\"ph\":\"{ph}\",\"ts\":{ts},\"pid\":{PID},\"tid\":{tid}"
        );
    }
    fn args(&mut self, sim: &Sim, r: &Record) {
        let _ = write!(
            self.out,
            ",\"args\":{{\"record\":{},\"attempt\":{},\"outcome\":",
            r.id.0, r.attempt
        );
        self.outcome.clear();
        let _ = write!(self.outcome, "{}", r.outcome);
        json_str(&mut self.out, &self.outcome);
        let label = sim.name(r.label);
        if !label.is_empty() {
            self.out.push_str(",\"label\":");
            json_str(&mut self.out, label);
        }
        self.out.push('}');
    }
}

/// An event's title as parts: the record's kind, then its name if it has one.
fn title<'a>(sim: &'a Sim, r: &Record) -> [&'a str; 3] {
    let name = sim.name(r.name);
    let sep = if name.is_empty() { "" } else { " " };
    [r.kind.as_str(), sep, name]
}

/// The run's newest `max_records` records (`usize::MAX`: all) as a Chrome Trace Event JSON
/// object; when older ones are left out, `otherData.omitted_records` says how many.
pub fn chrome_trace(sim: &Sim, max_records: usize) -> String {
    let (records, omitted) = super::newest(sim, max_records);
    let mut ev = Events {
        out: String::with_capacity(256 + records.len() * 400),
        first: true,
        outcome: String::new(),
    };
    ev.out.push_str("{\"displayTimeUnit\":\"ms\",");
    if omitted > 0 {
        let _ = write!(ev.out, "\"otherData\":{{\"omitted_records\":{omitted}}},");
    }
    ev.out.push_str("\"traceEvents\":[");
    ev.begin();
    let _ = write!(
        ev.out,
        "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{PID},\"tid\":0,\"args\":{{\"name\":\"Switchboard\"}}}}"
    );
    for (i, node) in sim.nodes().iter().enumerate() {
        let t = i as u64 + 1;
        ev.begin();
        let _ = write!(
            ev.out,
            "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{PID},\"tid\":{t},\"args\":{{\"name\":"
        );
        json_str(&mut ev.out, &node.name);
        ev.out.push_str("}}");
        ev.begin();
        let _ = write!(
            ev.out,
            "\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":{PID},\"tid\":{t},\"args\":{{\"sort_index\":{t}}}}}"
        );
    }

    for r in records {
        let cat = sim.mechanism(r).as_str();
        let [what, sep, label] = title(sim, r);
        let name = [what, sep, label];
        match r.kind {
            Kind::Work => {
                ev.head(&name, cat, "X", r.send.0, tid(r.from));
                let _ = write!(ev.out, ",\"dur\":{}", r.duration().0);
                ev.args(sim, r);
                ev.out.push('}');
            }
            kind if kind.is_hop() => {
                let arrives = !matches!(r.outcome, Outcome::Dropped(_));
                let to_name = sim.node_name(r.to);
                ev.head(
                    &[what, sep, label, " → ", to_name],
                    cat,
                    "X",
                    r.send.0,
                    tid(r.from),
                );
                ev.out.push_str(",\"dur\":1");
                ev.args(sim, r);
                ev.out.push('}');
                if arrives {
                    ev.head(&name, cat, "X", r.recv.0, tid(r.to));
                    ev.out.push_str(",\"dur\":1");
                    ev.args(sim, r);
                    ev.out.push('}');
                    ev.head(&name, cat, "s", r.send.0, tid(r.from));
                    let _ = write!(ev.out, ",\"id\":{}}}", r.id.0);
                    ev.head(&name, cat, "f", r.recv.0, tid(r.to));
                    let _ = write!(ev.out, ",\"bp\":\"e\",\"id\":{}}}", r.id.0);
                } else {
                    ev.head(&[what, sep, label, " lost"], cat, "i", r.recv.0, tid(r.to));
                    ev.out.push_str(",\"s\":\"t\"");
                    ev.args(sim, r);
                    ev.out.push('}');
                }
            }
            _ => {
                // Markers: timeouts, dead letters, discards, breaker transitions, faults, fan-out.
                ev.outcome.clear();
                let _ = write!(ev.outcome, "{}", r.outcome);
                let outcome = std::mem::take(&mut ev.outcome);
                ev.head(
                    &[what, sep, label, " ", &outcome],
                    cat,
                    "i",
                    r.recv.0,
                    tid(r.from),
                );
                ev.outcome = outcome;
                ev.out.push_str(",\"s\":\"t\"");
                ev.args(sim, r);
                ev.out.push('}');
            }
        }
    }
    ev.out.push_str("\n]}\n");
    ev.out
}
