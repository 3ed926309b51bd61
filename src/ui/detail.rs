//! Detail of the selected trace record, shared by the message log and the timeline: every field,
//! the chain of causes back to the client request, and what the record caused (replies, retries,
//! fan-out, deliveries, dead letters). Every related record is a button that selects it.

use yew::prelude::*;

use super::context::use_shared;
use super::fmt;
use super::run::Run;
use super::state::{Action, Clock};
use crate::sim::{Kind, Outcome, Record, RecordId, TraceId};

/// Most "caused" records listed; the rest are counted.
const MAX_CAUSED: usize = 40;

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    /// Re-render as the run grows (new effects of the record appear).
    pub clock: Clock,
    pub id: RecordId,
}

/// A word for what a record is, as the log's name column and the detail use it.
pub fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::RestRequest | Kind::RpcRequest => "request",
        Kind::RestResponse | Kind::RpcResponse => "reply",
        Kind::Enqueue => "enqueue",
        Kind::QueueDeliver | Kind::SubscriptionDeliver => "deliver",
        Kind::Publish => "publish",
        Kind::Fanout => "fan-out",
        Kind::Ack => "ack",
        Kind::Nack => "nack",
        Kind::Work => "work",
        Kind::Timeout => "timeout",
        Kind::DeadLetter => "dead-letter",
        Kind::Discard => "discard",
        Kind::Breaker => "breaker",
        Kind::FaultStart => "fault",
        Kind::FaultEnd => "fault ends",
        Kind::Eject => "ejected",
        Kind::Return => "back in rotation",
        Kind::Cache => "cache",
    }
}

/// CSS class for an outcome: `ok`, `warn` or `err`.
pub fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Redelivered
        | Outcome::Breaker(crate::sim::BreakerState::HalfOpen)
        | Outcome::Cache(crate::sim::CacheResult::Miss | crate::sim::CacheResult::Joined) => "warn",
        Outcome::Breaker(crate::sim::BreakerState::Closed) => "ok",
        o if o.is_success() => "ok",
        _ => "err",
    }
}

/// `POST /checkout · Charge`: the record's name and message label.
pub fn name_text(run: &Run, r: &Record) -> String {
    let (name, label) = (run.name(r.name), run.name(r.label));
    match (name.is_empty(), label.is_empty()) {
        (false, false) if name != label => format!("{name} · {label}"),
        (false, _) => name.to_string(),
        (true, false) => label.to_string(),
        (true, true) => String::new(),
    }
}

/// One line about a record, for lists of related records.
fn summary(run: &Run, r: &Record) -> String {
    format!(
        "{}  {} → {}  {} {}  {}",
        fmt::stamp(r.send),
        run.node_name(r.from),
        run.node_name(r.to),
        kind_word(r.kind),
        name_text(run, r),
        r.outcome
    )
}

#[function_component]
pub fn Detail(props: &DetailProps) -> Html {
    let shared = use_shared();
    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    let Some(r) = run.sim.trace().get(props.id).copied() else {
        return html! {};
    };
    let chain = run.cause_chain(r.id);
    let caused: Vec<u32> = run.caused_by(r.id).to_vec();

    let select = |id: RecordId| {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(Some(id))))
    };
    let close = {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(None)))
    };
    let link = |id: RecordId| -> Html {
        match run.sim.trace().get(id) {
            Some(x) => html! {
                <li><button class="rel" onclick={select(id)}>
                    <span class="rel-id">{ format!("#{}", id.0) }</span>
                    <span class={classes!("rel-text", outcome_class(x.outcome))}>{ summary(run, x) }</span>
                </button></li>
            },
            None => html! {},
        }
    };
    let field = |k: &'static str, v: String| html! { <><dt>{ k }</dt><dd>{ v }</dd></> };
    let mech = run.sim.mechanism(&r).label();
    let trace = if r.trace == TraceId::NONE {
        "—".to_string()
    } else {
        format!("t{}", r.trace.0)
    };

    html! {
        <aside class="detail" aria-label="Selected message" data-testid="detail">
            <div class="detail-head">
                <h3>
                    <span class="muted">{ format!("#{} ", r.id.0) }</span>
                    { format!("{} → {}", run.node_name(r.from), run.node_name(r.to)) }
                    <span class={classes!("chip", run.sim.mechanism(&r).colour())}>{ mech }</span>
                </h3>
                <span class="spacer"></span>
                <button class="btn small icon" aria-label="Close detail" title="Close" onclick={close}>{ "×" }</button>
            </div>
            <div class="detail-body">
                <dl class="fields">
                    { field("What", kind_word(r.kind).to_string()) }
                    { field("Name", name_text(run, &r)) }
                    { field("Outcome", format!("{}{}", r.outcome, if r.late { " (late: nobody was waiting)" } else { "" })) }
                    { field("Sent", fmt::exact(r.send)) }
                    { field(if r.kind.is_hop() { "Arrived" } else { "Ended" }, fmt::exact(r.recv)) }
                    { field(if r.kind.is_hop() { "Latency" } else { "Duration" }, fmt::dur(r.duration())) }
                    { field("Attempt", r.attempt.to_string()) }
                    { field("Trace", trace) }
                    { field("Caused by", r.cause.map_or("— (a client request or a fault)".to_string(), |c| format!("#{}", c.0))) }
                </dl>
                <div class="relations">
                    <h4>{ "Cause chain" }</h4>
                    if chain.is_empty() {
                        <p class="muted small">{ "Nothing: this record starts its chain." }</p>
                    } else {
                        <ol class="rels" data-testid="cause-chain">
                            { for chain.iter().rev().map(|&c| link(c)) }
                        </ol>
                    }
                    <h4>{ format!("What it caused ({})", caused.len()) }</h4>
                    if caused.is_empty() {
                        <p class="muted small">{ "Nothing (yet)." }</p>
                    } else {
                        <ul class="rels" data-testid="caused">
                            { for caused.iter().take(MAX_CAUSED).map(|&c| link(RecordId(c))) }
                        </ul>
                        if caused.len() > MAX_CAUSED {
                            <p class="muted small">{ format!("and {} more", caused.len() - MAX_CAUSED) }</p>
                        }
                    }
                </div>
            </div>
        </aside>
    }
}
