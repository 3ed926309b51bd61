//! Mermaid `sequenceDiagram` of the first N messages of a run.
//!
//! Participants are declared with aliases (`participant P0 as payments-q`) so any node name is
//! safe as a label; message text is stripped of the characters Mermaid treats as syntax.
//! Arrows: `->>` request, `-->>` response, `-)` asynchronous (queue, pub/sub, ack), `-x` lost.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::hops;
use crate::sim::trace::Names;
use crate::sim::{Kind, NodeId, Outcome, Sim};

/// How many messages the diagram shows unless asked otherwise.
pub const MERMAID_DEFAULT_MESSAGES: usize = 50;

/// Message text made safe for a Mermaid message: no line breaks, no `;` (statement separator),
/// no `#` (entity codes), no `%` (comments/directives), no `<>` (HTML labels), no `:`, and never
/// two `$` in a row: Mermaid renders `$$…$$` as KaTeX, and one bad formula stops the whole
/// diagram from rendering. A lone `$` (a price) stays.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(match c {
            ';' | '#' | '%' | '<' | '>' | ':' | '{' | '}' => ' ',
            '$' if out.ends_with('$') => ' ',
            c if c.is_control() => ' ',
            c => c,
        });
    }
    out.trim().to_string()
}

/// A `sequenceDiagram` of the first `n` message hops (requests, responses, deliveries, acks).
pub fn mermaid_sequence(sim: &Sim, n: usize) -> String {
    let msgs: Vec<_> = hops(sim).take(n).collect();
    // Participants in order of first appearance, so the diagram reads left to right like the flow.
    let mut alias: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut order: Vec<NodeId> = Vec::new();
    for r in &msgs {
        for node in [r.from, r.to] {
            if let std::collections::btree_map::Entry::Vacant(slot) = alias.entry(node) {
                slot.insert(order.len());
                order.push(node);
            }
        }
    }
    let mut out = String::from("sequenceDiagram\n");
    for (i, node) in order.iter().enumerate() {
        let name = text(sim.node_name(*node));
        let name = if name.is_empty() {
            format!("node{i}")
        } else {
            name
        };
        let _ = writeln!(out, "    participant P{i} as {name}");
    }
    for r in msgs {
        let arrow = match (r.kind, r.outcome) {
            (_, Outcome::Dropped(_)) => "-x",
            (Kind::RestResponse | Kind::RpcResponse, _) => "-->>",
            (Kind::RestRequest | Kind::RpcRequest, _) => "->>",
            (
                Kind::Enqueue
                | Kind::QueueDeliver
                | Kind::Publish
                | Kind::SubscriptionDeliver
                | Kind::Ack
                | Kind::Nack
                | Kind::Fanout
                | Kind::Work
                | Kind::Timeout
                | Kind::DeadLetter
                | Kind::Discard
                | Kind::Breaker
                | Kind::FaultStart
                | Kind::FaultEnd
                | Kind::Eject
                | Kind::Return
                | Kind::Cache,
                _,
            ) => "-)",
        };
        let mut label = String::from(r.kind.as_str());
        for part in [sim.name(r.name), sim.name(r.label)] {
            if !part.is_empty() {
                label.push(' ');
                label.push_str(part);
            }
        }
        let _ = write!(label, " {}", r.outcome);
        if r.attempt > 1 {
            let _ = write!(label, " attempt {}", r.attempt);
        }
        if r.late {
            label.push_str(" late");
        }
        let _ = writeln!(
            out,
            "    P{}{arrow}P{}: {}",
            alias[&r.from],
            alias[&r.to],
            text(&label)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Call, Client, Handler, HttpMethod, Service, SimTime, Status, World};

    #[test]
    fn text_never_holds_two_dollars_in_a_row() {
        assert_eq!(text("$$\\foo{$$"), "$ \\foo $");
        assert_eq!(text("$$$$"), "$ $");
        assert_eq!(text("costs $5"), "costs $5");
        assert_eq!(text("$;$"), "$ $");
        assert!(!text("a$$b$$$c").contains("$$"));
    }

    #[test]
    fn no_katex_formula_reaches_the_diagram() {
        let name = "$$\\frac{1}{$$";
        let world = World::new()
            .duration(SimTime::from_secs(1))
            .service(Service::new(name).rest(
                HttpMethod::Get,
                "/$$x^2$$",
                Handler::new().work().reply(Status::Http(200)),
            ))
            .client(Client::new(
                "web$$",
                Call::rest(name, HttpMethod::Get, "/$$x^2$$"),
                20.0,
            ));
        let mut sim = Sim::new(world, 7).expect("names are free text in the engine");
        sim.run_to_end();
        let diagram = mermaid_sequence(&sim, 10);
        assert!(diagram.lines().count() > 5, "{diagram}");
        assert!(!diagram.contains("$$"), "{diagram}");
        assert!(diagram.contains("/$ x^2$"), "single $ stay: {diagram}");
    }
}
