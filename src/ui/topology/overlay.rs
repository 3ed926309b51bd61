//! What the graph shows of the run as it plays, over the fixed markup: each node's live numbers
//! (busy workers, backlog, recent error share, depth, crashed, partitioned, ejected), the breaker and partition badges on the
//! edges, and the dots of the messages in flight.

use yew::prelude::*;

use super::super::run::Run;
use super::super::topology_layout::{bezier, Topology, NODE_H};
use super::health::{Health, Recent};
use super::markup::Live;
use super::window::Rect;
use crate::sim::{BreakerState, InFlight, NodeId, Partition, Sim};

/// Most dots drawn at once; more would only be an unreadable smear.
const MAX_DOTS: usize = 400;

/// Each node's live numbers (index = `NodeId`, `nodes` of them) and the partitions in force.
/// `recent` keeps the services' reply totals of run `run` for their recent error share.
pub fn live(sim: &Sim, nodes: usize, recent: &mut Recent, run: u32) -> (Vec<Live>, Vec<Partition>) {
    let mut live = vec![Live::default(); nodes];
    let services = sim.services();
    let totals: Vec<(u64, u64)> = services.iter().map(|s| (s.replies, s.errors)).collect();
    let health = recent.observe(run, sim.now(), &totals);
    for (s, h) in services.iter().zip(health) {
        if let Some(l) = live.get_mut(s.node.0 as usize) {
            l.busy = s.busy;
            l.workers = s.workers;
            l.backlog = s.backlog;
            l.crashed = s.crashed;
            l.health = h;
        }
    }
    for m in sim.mailboxes() {
        if let Some(l) = live.get_mut(m.node.0 as usize) {
            l.depth = m.depth;
            l.unacked = m.in_flight;
        }
    }
    for b in sim.balancers() {
        for r in &b.replicas {
            if let Some(l) = live.get_mut(r.node.0 as usize) {
                l.ejected = r.ejected;
            }
        }
    }
    let partitions = sim.partitions();
    for p in &partitions {
        for n in p.a.iter().chain(p.b.iter()) {
            if let Some(l) = live.get_mut(n.0 as usize) {
                l.partitioned = true;
            }
        }
    }
    (live, partitions)
}

/// Each drawn edge's recent share of failed calls (index = edge), from the call sites'
/// running totals (calls ended, and those that failed or ran out of time) along `call_edges`.
pub fn edge_health(
    sim: &Sim,
    call_edges: &[Option<usize>],
    edges: usize,
    recent: &mut Recent,
    run: u32,
) -> Vec<Health> {
    let mut totals = vec![(0u64, 0u64); edges];
    for (m, e) in sim.metrics().calls.iter().zip(call_edges) {
        if let Some(t) = e.and_then(|e| totals.get_mut(e)) {
            let failed = m.failed + m.timed_out;
            t.0 += m.ok + failed;
            t.1 += failed;
        }
    }
    recent.observe(run, sim.now(), &totals)
}

/// Whether a partition separates `a` from `b`.
pub fn is_cut(partitions: &[Partition], a: NodeId, b: NodeId) -> bool {
    partitions
        .iter()
        .any(|p| (p.a.contains(&a) && p.b.contains(&b)) || (p.a.contains(&b) && p.b.contains(&a)))
}

/// Breakers and partitions sit on the middle of their edge: the badges in `view`.
pub fn edge_badges(run: &Run, topo: &Topology, view: &Rect, partitions: &[Partition]) -> Vec<Html> {
    let sim = &run.sim;
    let mut edge_badges: Vec<Html> = Vec::new();
    for b in sim.breakers() {
        if let Some(e) = topo.edge(b.from, b.to) {
            // Above the gap between the two nodes, clear of both.
            let (mut x, mut y) = bezier(&topo.curve(e), 0.5);
            if topo.vertical {
                x += 36.0;
            } else if !e.back {
                let (a, b) = (&topo.nodes[e.from.0 as usize], &topo.nodes[e.to.0 as usize]);
                y = a.y.min(b.y) - NODE_H / 2.0 - 6.0;
            }
            if !view.has_node(x, y) {
                continue;
            }
            let (cls, text) = match b.state {
                BreakerState::Closed => ("breaker closed", "CLOSED"),
                BreakerState::Open => ("breaker open", "OPEN"),
                BreakerState::HalfOpen => ("breaker half-open", "HALF-OPEN"),
            };
            let w = text.len() as f64 * 7.0 + 14.0;
            edge_badges.push(html! {
                <g class={classes!("badge", cls)} transform={format!("translate({:.1},{:.1})", x, y)} data-testid="breaker-badge">
                    <rect x={format!("{:.1}", -w / 2.0)} y="-9" width={format!("{w:.1}")} height="18" rx="9" />
                    <text text-anchor="middle" y="4">{ text }</text>
                    <title>{ format!("circuit breaker {} → {}: {}", run.node_name(b.from), run.node_name(b.to), b.state.as_str()) }</title>
                </g>
            });
        }
    }
    if !partitions.is_empty() {
        for e in topo
            .edges
            .iter()
            .filter(|e| is_cut(partitions, e.from, e.to))
        {
            let (x, y) = bezier(&topo.curve(e), 0.5);
            if !view.has_node(x, y) {
                continue;
            }
            edge_badges.push(html! {
                <g class="cut-mark" transform={format!("translate({:.1},{:.1})", x, y)}>
                    <circle r="9" />
                    <path d="M-4 -4L4 4M4 -4L-4 4" />
                    <title>{ "partitioned: messages on this path are lost" }</title>
                </g>
            });
        }
    }
    edge_badges
}

/// A dot per message in flight (at most `MAX_DOTS`), where it is along its edge now; a big
/// graph's only those in `view`.
pub fn dots(sim: &Sim, topo: &Topology, flights: &[InFlight], view: Option<&Rect>) -> Vec<Html> {
    let now = sim.now();
    flights
        .iter()
        .filter_map(|m| {
            let span = (m.arrives.0.saturating_sub(m.sent.0)).max(1) as f64;
            let f = now.0.saturating_sub(m.sent.0) as f64 / span;
            let (x, y) = topo.along(m.from, m.to, f)?;
            Some((m, x, y))
        })
        .filter(|&(_, x, y)| view.is_none_or(|v| v.hits(x, y, x, y)))
        .take(MAX_DOTS)
        .map(|(m, x, y)| {
            let cls = classes!(
                "dot",
                sim.hop_mechanism(m.kind, m.from, m.to).colour(),
                m.doomed.is_some().then_some("doomed")
            );
            html! { <circle class={cls} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="5" /> }
        })
        .collect()
}
