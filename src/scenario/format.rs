//! Canonical formatter: model → text. `parse(format(m)) == m`, and `format(parse(x))` is a fixed
//! point. One space between words, two-space indents, canonical units, a blank line between
//! groups of different kinds and around every handler; comments kept where they were attached.

use super::lexer::quote;
use super::model::*;
use super::units::{Dist, Duration, Percent};
use std::fmt::Write;

/// The canonical text of a scenario.
pub fn format(s: &Scenario) -> String {
    let mut out = String::new();
    write_notes_before(&mut out, &s.notes, "");
    let mut head = format!(
        "scenario {} seed {} duration {}",
        quote(&s.name),
        s.seed,
        s.duration
    );
    if let Some(b) = s.budget {
        let _ = write!(head, " budget {b}");
    }
    write_line(&mut out, "", &head, &s.notes);

    let mut prev: Option<&ItemKind> = None;
    for item in &s.items {
        let blank = match prev {
            None => true,
            Some(p) => {
                std::mem::discriminant(p) != std::mem::discriminant(&item.kind)
                    || matches!(p, ItemKind::Handler(_))
                    || matches!(item.kind, ItemKind::Handler(_))
            }
        };
        if blank {
            out.push('\n');
        }
        write_notes_before(&mut out, &item.notes, "");
        write_line(&mut out, "", &item_line(&item.kind), &item.notes);
        if let ItemKind::Handler(h) = &item.kind {
            for step in &h.steps {
                write_notes_before(&mut out, &step.notes, "  ");
                write_line(&mut out, "  ", &step_line(&step.kind), &step.notes);
                if let StepKind::Parallel { calls } = &step.kind {
                    for pc in calls {
                        write_notes_before(&mut out, &pc.notes, "    ");
                        write_line(
                            &mut out,
                            "    ",
                            &format!("call {}", call_text(&pc.call)),
                            &pc.notes,
                        );
                    }
                }
            }
        }
        prev = Some(&item.kind);
    }
    if !s.trailing_comments.is_empty() {
        out.push('\n');
        for c in &s.trailing_comments {
            out.push_str(&comment(c));
            out.push('\n');
        }
    }
    out
}

fn comment(text: &str) -> String {
    if text.is_empty() {
        "#".to_string()
    } else {
        format!("# {text}")
    }
}

fn write_notes_before(out: &mut String, notes: &Notes, indent: &str) {
    for c in &notes.before {
        out.push_str(indent);
        out.push_str(&comment(c));
        out.push('\n');
    }
}

fn write_line(out: &mut String, indent: &str, line: &str, notes: &Notes) {
    out.push_str(indent);
    out.push_str(line);
    if let Some(c) = &notes.after {
        out.push_str("  ");
        out.push_str(&comment(c));
    }
    out.push('\n');
}

fn item_line(kind: &ItemKind) -> String {
    let mut s = String::new();
    match kind {
        ItemKind::Network(n) => {
            s.push_str("network");
            latency_loss(&mut s, n.latency.as_ref(), n.loss.as_ref());
        }
        ItemKind::Link(l) => {
            let _ = write!(s, "link {} <-> {}", l.a, l.b);
            latency_loss(&mut s, l.latency.as_ref(), l.loss.as_ref());
        }
        ItemKind::Service(v) => {
            let _ = write!(s, "service {}", v.name);
            if let Some(w) = v.workers {
                let _ = write!(s, " workers {w}");
            }
            if let Some(t) = v.time {
                let _ = write!(s, " time {t}");
            }
            if let Some(b) = v.backlog {
                let _ = write!(s, " backlog {b}");
            }
            if v.lifo {
                s.push_str(" lifo");
            }
            if let Some(n) = v.lifo_above {
                let _ = write!(s, " lifo-above {n}");
            }
            if let Some(d) = v.shed_after {
                let _ = write!(s, " shed-after {d}");
            }
            if let Some(r) = v.rate_limit {
                let _ = write!(s, " rate-limit {r}");
            }
            if let Some(n) = v.burst {
                let _ = write!(s, " burst {n}");
            }
            if v.per_caller {
                s.push_str(" per-caller");
            }
            if let Some(p) = v.contention {
                let _ = write!(s, " contention {p}");
            }
            if let Some(p) = v.coherence {
                let _ = write!(s, " coherence {p}");
            }
            if let Some(n) = v.replicas {
                let _ = write!(s, " replicas {n}");
            }
            if let Some(b) = v.lb {
                let _ = write!(s, " lb {}", b.keyword());
            }
            if let Some(n) = v.eject_after {
                let _ = write!(s, " eject-after {n}");
            }
            if let Some(d) = v.eject_for {
                let _ = write!(s, " eject-for {d}");
            }
            if let Some(p) = v.max_ejected {
                let _ = write!(s, " max-ejected {p}");
            }
        }
        ItemKind::Cache(c) => {
            let _ = write!(s, "cache {}", c.name);
            if let Some(n) = c.capacity {
                let _ = write!(s, " capacity {n}");
            }
            if let Some(t) = c.ttl {
                let _ = write!(s, " ttl {t}");
            }
            if let Some(n) = c.keys {
                let _ = write!(s, " keys {n}");
            }
            if let Some(z) = c.zipf {
                let _ = write!(s, " zipf {z}");
            }
            if c.coalesce {
                s.push_str(" coalesce");
            }
        }
        ItemKind::Queue(q) => {
            let _ = write!(s, "queue {}", q.name);
            if let Some(c) = q.capacity {
                let _ = write!(s, " capacity {c}");
            }
            if let Some(o) = q.overflow {
                let _ = write!(s, " overflow {}", o.keyword());
            }
            if let Some(v) = q.visibility {
                let _ = write!(s, " visibility {v}");
            }
            if let Some(m) = q.max_attempts {
                let _ = write!(s, " max-attempts {m}");
            }
            if let Some(d) = &q.dlq {
                let _ = write!(s, " dlq {d}");
            }
            confirm_text(&mut s, q.confirm_timeout, q.confirm_retries);
        }
        ItemKind::Topic(t) => {
            let _ = write!(s, "topic {}", t.name);
            confirm_text(&mut s, t.confirm_timeout, t.confirm_retries);
        }
        ItemKind::Client(c) => {
            let _ = write!(s, "client {}", c.name);
            if let Some(r) = c.rate {
                let _ = write!(s, " rate {r}");
                if let Some(ramp) = c.ramp {
                    let _ = write!(s, "..{} over {}", ramp.to, ramp.over);
                }
            }
            if c.arrival == Arrival::Poisson {
                s.push_str(" poisson");
            }
            if let Some(n) = c.users {
                let _ = write!(s, " users {n}");
            }
            if let Some(t) = c.think {
                let _ = write!(s, " think {t}");
            }
            if let Some(f) = c.from {
                let _ = write!(s, " from {f}");
            }
            if let Some(u) = c.until {
                let _ = write!(s, " until {u}");
            }
            let _ = write!(s, " -> {}", call_text(&c.call));
        }
        ItemKind::Handler(h) => {
            let _ = write!(s, "{} {}:", h.service, trigger_text(&h.trigger));
        }
        ItemKind::Fault(f) => {
            let _ = write!(s, "at {} {}", f.at, fault_text(&f.action));
        }
    }
    s
}

fn latency_loss(s: &mut String, latency: Option<&Dist>, loss: Option<&Percent>) {
    if let Some(l) = latency {
        let _ = write!(s, " latency {l}");
    }
    if let Some(l) = loss {
        let _ = write!(s, " loss {l}");
    }
}

fn trigger_text(t: &Trigger) -> String {
    let mut s = String::new();
    match t {
        Trigger::Rest {
            method,
            path,
            dedupe,
        } => {
            let _ = write!(s, "{method} {path}");
            if *dedupe {
                s.push_str(" dedupe");
            }
        }
        Trigger::Rpc { method } => {
            let _ = write!(s, "rpc {method}");
        }
        Trigger::Consume {
            queue,
            concurrency,
            max_extension,
        } => {
            let _ = write!(s, "consume {queue}");
            if let Some(c) = concurrency {
                let _ = write!(s, " concurrency {c}");
            }
            if let Some(d) = max_extension {
                let _ = write!(s, " max-extension {d}");
            }
        }
        Trigger::Subscribe {
            topic,
            subscription,
            filter,
            ack_deadline,
            capacity,
            overflow,
            max_attempts,
            dlq,
            concurrency,
            max_extension,
        } => {
            let _ = write!(s, "subscribe {topic}");
            if let Some(sub) = subscription {
                let _ = write!(s, " as {sub}");
            }
            if let Some(a) = filter {
                let _ = write!(s, " filter {}={}", a.key, a.value);
            }
            if let Some(d) = ack_deadline {
                let _ = write!(s, " ack-deadline {d}");
            }
            if let Some(c) = capacity {
                let _ = write!(s, " capacity {c}");
            }
            if let Some(o) = overflow {
                let _ = write!(s, " overflow {}", o.keyword());
            }
            if let Some(m) = max_attempts {
                let _ = write!(s, " max-attempts {m}");
            }
            if let Some(d) = dlq {
                let _ = write!(s, " dlq {d}");
            }
            if let Some(c) = concurrency {
                let _ = write!(s, " concurrency {c}");
            }
            if let Some(d) = max_extension {
                let _ = write!(s, " max-extension {d}");
            }
        }
    }
    s
}

/// ` confirm-timeout 2s confirm-retries 0` (those given) of a queue or topic line.
fn confirm_text(s: &mut String, timeout: Option<Duration>, retries: Option<u32>) {
    if let Some(d) = timeout {
        let _ = write!(s, " confirm-timeout {d}");
    }
    if let Some(r) = retries {
        let _ = write!(s, " confirm-retries {r}");
    }
}

/// A call's target and options, as written after `call` (and after `->` in a client).
pub(crate) fn call_text(c: &Call) -> String {
    let mut s = c.target.to_string();
    let o = &c.options;
    if let Some(t) = o.timeout {
        let word = match c.target {
            Target::Rest { .. } => "timeout",
            Target::Rpc { .. } => "deadline",
        };
        let _ = write!(s, " {word} {t}");
    }
    if let Some(t) = o.attempt_timeout {
        let _ = write!(s, " attempt-timeout {t}");
    }
    if o.idempotent {
        s.push_str(" idempotent");
    }
    if o.idempotency_key {
        s.push_str(" idempotency-key");
    }
    if let Some(r) = o.retries {
        let _ = write!(s, " retries {r}");
    }
    if let Some(list) = &o.retry_on {
        let codes: Vec<String> = list.iter().map(ToString::to_string).collect();
        let _ = write!(s, " retry-on {}", codes.join(","));
    }
    if let Some(b) = o.backoff {
        let _ = write!(s, " backoff {b}");
    }
    if let Some(m) = o.multiplier {
        let _ = write!(s, " multiplier {m}");
    }
    if let Some(m) = o.max_backoff {
        let _ = write!(s, " max-backoff {m}");
    }
    match o.jitter {
        Some(Percent::HUNDRED) => s.push_str(" jitter"),
        Some(j) => {
            let _ = write!(s, " jitter {j}");
        }
        None => {}
    }
    if let Some(h) = o.hedge {
        let _ = write!(s, " hedge {} after {}", h.attempts, h.after);
    }
    if let Some(b) = o.retry_budget {
        let _ = write!(s, " retry-budget {}", b.share);
        if let Some(n) = b.max_tokens {
            let _ = write!(s, " max-tokens {n}");
        }
    }
    if let Some(b) = &o.breaker {
        let _ = write!(s, " breaker {}", b.threshold);
        if let Some(w) = b.window {
            let _ = write!(s, " window {w}");
        }
        if let Some(m) = b.min_calls {
            let _ = write!(s, " min-calls {m}");
        }
        if let Some(c) = b.cooldown {
            let _ = write!(s, " cooldown {c}");
        }
        if let Some(p) = b.probes {
            let _ = write!(s, " probes {p}");
        }
        if let Some(d) = b.slow {
            let _ = write!(s, " slow {d}");
        }
    }
    if o.continue_on_error {
        s.push_str(" on-error continue");
    }
    if let Some(c) = &o.cache {
        let _ = write!(s, " cache {c}");
    }
    if let Some(n) = o.pool {
        let _ = write!(s, " pool {n}");
    }
    if let Some(d) = o.pool_wait {
        let _ = write!(s, " pool-wait {d}");
    }
    s
}

fn step_line(k: &StepKind) -> String {
    let mut s = String::new();
    match k {
        StepKind::Work { time } => {
            s.push_str("work");
            if let Some(t) = time {
                let _ = write!(s, " {t}");
            }
        }
        StepKind::Call(c) => {
            let _ = write!(s, "call {}", call_text(c));
        }
        StepKind::Parallel { .. } => s.push_str("parallel:"),
        StepKind::Publish {
            topic,
            message,
            attrs,
        } => {
            let _ = write!(s, "publish {topic} {message}");
            for a in attrs {
                let _ = write!(s, " {}={}", a.key, a.value);
            }
        }
        StepKind::Enqueue { queue, message } => {
            let _ = write!(s, "enqueue {queue} {message}");
        }
        StepKind::Reply { status } => {
            let _ = write!(s, "reply {status}");
        }
        StepKind::Fail {
            probability,
            status,
        } => {
            let _ = write!(s, "fail {probability}");
            if let Some(st) = status {
                let _ = write!(s, " {st}");
            }
        }
        StepKind::RetryAfter { after } => {
            let _ = write!(s, "retry-after {after}");
        }
        StepKind::Ack => s.push_str("ack"),
        StepKind::Nack => s.push_str("nack"),
    }
    s
}

fn sides(v: &[Ident]) -> String {
    v.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn link_sel(l: &LinkSel) -> String {
    match l {
        LinkSel::Network => "network".to_string(),
        LinkSel::Between(a, b) => format!("{a} <-> {b}"),
    }
}

fn fault_text(a: &FaultAction) -> String {
    let mut s = match a {
        FaultAction::Partition { a, b, .. } => format!("partition {} <-> {}", sides(a), sides(b)),
        FaultAction::Crash { service, .. } => format!("crash {}", fault_service(service)),
        FaultAction::Vanish { service, .. } => format!("vanish {}", fault_service(service)),
        FaultAction::Slow { link, extra, .. } => format!("slow {} +{extra}", link_sel(link)),
        FaultAction::Loss {
            link, probability, ..
        } => format!("loss {} {probability}", link_sel(link)),
        FaultAction::Errors {
            service,
            probability,
            ..
        } => format!("errors {} {probability}", fault_service(service)),
        FaultAction::Burst { client, count } => format!("burst {client} {count}"),
        FaultAction::Flush { cache } => format!("flush {cache}"),
    };
    match a {
        FaultAction::Partition { lasting, .. }
        | FaultAction::Crash { lasting, .. }
        | FaultAction::Vanish { lasting, .. }
        | FaultAction::Slow { lasting, .. }
        | FaultAction::Loss { lasting, .. }
        | FaultAction::Errors { lasting, .. } => {
            if let Some(l) = lasting {
                let _ = write!(s, " for {l}");
            }
        }
        FaultAction::Burst { .. } | FaultAction::Flush { .. } => {}
    }
    s
}

/// A fault's service as written: `orders`, or `orders replica 2` for the replica `orders#2`.
fn fault_service(id: &Ident) -> String {
    match id.name.split_once('#') {
        Some((service, k)) => format!("{service} replica {k}"),
        None => id.name.clone(),
    }
}
