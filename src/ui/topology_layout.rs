//! Topology layout: the communication paths of a world as edges, and node positions layered left
//! to right by call direction (longest-path layering with cycles broken, barycentre ordering within
//! a layer, one grid slot per node so nodes never overlap); many nodes with no edges at all go in a
//! compact grid under the graph. Pure geometry; no DOM.
//!
//! ```text
//!  client ──► gateway ──► orders ──► payments-q ──► payments
//!                                └─► order-events ──► order-events/emails ──► emails
//! ```

use std::collections::BTreeMap;

use crate::sim::{NodeId, NodeKind, Sim, Source, Step, Target, World};

pub const NODE_W: f64 = 124.0;
pub const NODE_H: f64 = 44.0;
const COL: f64 = 178.0;
const ROW: f64 = 80.0;
const PAD_X: f64 = 20.0;
/// Room above the first row for badges.
const PAD_TOP: f64 = 40.0;
/// Room below the last row for back edges and badges.
const PAD_BOTTOM: f64 = 30.0;
/// Vertical layout: distance between layers, between nodes of a layer, room for back edges.
const V_LAYER: f64 = 96.0;
const V_ROW: f64 = 144.0;
const PAD_SIDE: f64 = 30.0;
/// More nodes than this with no edges go in a grid under the graph: in the layers they would all
/// share the first one, a column thousands of rows tall that dwarfs the graph.
const UNLINKED_GRID_AFTER: usize = 8;
/// Grid pitch of unconnected nodes: tighter than the layers, as no arrows run between them.
const GRID_COL: f64 = NODE_W + 24.0;
const GRID_ROW: f64 = NODE_H + 20.0;
/// Room above the grid for its caption.
const GRID_CAPTION: f64 = 40.0;

/// How two nodes talk along an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    Rest,
    Rpc,
    Queue,
    PubSub,
    /// A queue or subscription handing exhausted messages to its dead-letter queue.
    DeadLetter,
}

impl EdgeKind {
    pub fn class(self) -> &'static str {
        match self {
            EdgeKind::Rest => "edge mech-rest",
            EdgeKind::Rpc => "edge mech-rpc",
            EdgeKind::Queue => "edge mech-queue",
            EdgeKind::PubSub => "edge mech-pubsub",
            EdgeKind::DeadLetter => "edge dead-letter",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopoNode {
    pub id: NodeId,
    pub kind: NodeKind,
    pub name: String,
    pub layer: usize,
    /// Centre of the node.
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopoEdge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// What travels along it: endpoints, methods, message labels.
    pub label: String,
    /// Goes against the layering (a cycle): drawn as a loop under the nodes.
    pub back: bool,
}

/// The nodes with no edges, when there are enough of them to get a grid of their own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unlinked {
    pub count: usize,
    /// Baseline of the grid's caption.
    pub caption_y: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Indexed by `NodeId`.
    pub nodes: Vec<TopoNode>,
    pub edges: Vec<TopoEdge>,
    pub width: f64,
    pub height: f64,
    /// Layers run top to bottom rather than left to right.
    pub vertical: bool,
    /// Unconnected nodes laid out in a grid under the graph, if any.
    pub unlinked: Option<Unlinked>,
    /// The first edge from one node to another, by (from, to): messages look their edge up
    /// every frame, and a big world has thousands.
    first_edge: BTreeMap<(NodeId, NodeId), usize>,
}

type P = (f64, f64);

impl Topology {
    /// Edges from the world's structure, laid out.
    /// `vertical` lays the layers out top to bottom (for narrow screens) instead of left to right.
    pub fn build(world: &World, sim: &Sim, vertical: bool) -> Topology {
        let nodes = sim.nodes();
        // A replicated service's name stands for each of its replicas' nodes.
        let id = |name: &str| sim.node_ids(name);
        let mut edges: Vec<TopoEdge> = Vec::new();
        // Where each (from, to, kind) edge is, so merging labels stays linear in the edges.
        let mut seen: BTreeMap<(NodeId, NodeId, EdgeKind), usize> = BTreeMap::new();
        let mut add_one = |from: NodeId, to: NodeId, kind: EdgeKind, label: &str| {
            if let Some(e) = seen.get(&(from, to, kind)).map(|&i| &mut edges[i]) {
                if !label.is_empty() && !e.label.split(", ").any(|l| l == label) {
                    e.label.push_str(", ");
                    e.label.push_str(label);
                }
            } else {
                seen.insert((from, to, kind), edges.len());
                edges.push(TopoEdge {
                    from,
                    to,
                    kind,
                    label: label.to_string(),
                    back: false,
                });
            }
        };
        let mut add = |from: &[NodeId], to: &[NodeId], kind: EdgeKind, label: &str| {
            for &a in from {
                for &b in to {
                    add_one(a, b, kind, label);
                }
            }
        };
        let call_edge = |target: &Target| -> (Vec<NodeId>, EdgeKind, String) {
            match target {
                Target::Rest {
                    service,
                    method,
                    path,
                } => (
                    id(service),
                    EdgeKind::Rest,
                    format!("{} {path}", method.as_str()),
                ),
                Target::Rpc { service, method } => (id(service), EdgeKind::Rpc, method.clone()),
            }
        };
        for c in &world.clients {
            let from = id(&c.name);
            let (to, kind, label) = call_edge(&c.call.target);
            add(&from, &to, kind, &label);
        }
        for s in &world.services {
            let from = id(&s.name);
            let handlers = s
                .endpoints
                .iter()
                .map(|e| &e.handler)
                .chain(s.consumers.iter().map(|c| &c.handler));
            for h in handlers {
                for step in &h.steps {
                    match step {
                        Step::Call(call) => {
                            let (to, kind, label) = call_edge(&call.target);
                            add(&from, &to, kind, &label);
                        }
                        Step::Parallel(calls) => {
                            for call in calls {
                                let (to, kind, label) = call_edge(&call.target);
                                add(&from, &to, kind, &label);
                            }
                        }
                        Step::Publish { topic, message, .. } => {
                            add(&from, &id(topic), EdgeKind::PubSub, message)
                        }
                        Step::Enqueue { queue, message } => {
                            add(&from, &id(queue), EdgeKind::Queue, message)
                        }
                        Step::Work { .. }
                        | Step::Reply(_)
                        | Step::RetryAfter(_)
                        | Step::Fail { .. }
                        | Step::Ack
                        | Step::Nack => {}
                    }
                }
            }
            for c in &s.consumers {
                match &c.source {
                    Source::Queue(q) => add(&id(q), &from, EdgeKind::Queue, ""),
                    Source::Subscription {
                        topic,
                        subscription,
                    } => add(
                        &id(&format!("{topic}/{subscription}")),
                        &from,
                        EdgeKind::PubSub,
                        "",
                    ),
                }
            }
        }
        for q in &world.queues {
            if let Some(dlq) = &q.dlq {
                add(&id(&q.name), &id(dlq), EdgeKind::DeadLetter, "dead letters");
            }
        }
        for t in &world.topics {
            for s in &t.subscriptions {
                let sub = id(&format!("{}/{}", t.name, s.name));
                add(&id(&t.name), &sub, EdgeKind::PubSub, "");
                if let Some(dlq) = &s.dlq {
                    add(&sub, &id(dlq), EdgeKind::DeadLetter, "dead letters");
                }
            }
        }
        let pairs: Vec<(usize, usize)> = edges
            .iter()
            .map(|e| (e.from.0 as usize, e.to.0 as usize))
            .collect();
        // Nodes with no edge at all: past a handful they leave the layers for a grid.
        let mut linked = vec![false; nodes.len()];
        for &(a, b) in &pairs {
            linked[a] = true;
            linked[b] = true;
        }
        let unlinked = linked.iter().filter(|&&l| !l).count();
        let grid = unlinked > UNLINKED_GRID_AFTER;
        // The nodes laid out in layers, and each one's index among them.
        let laid: Vec<usize> = (0..nodes.len()).filter(|&i| !grid || linked[i]).collect();
        let mut index = vec![usize::MAX; nodes.len()];
        for (k, &i) in laid.iter().enumerate() {
            index[i] = k;
        }
        let laid_pairs: Vec<(usize, usize)> =
            pairs.iter().map(|&(a, b)| (index[a], index[b])).collect();
        let sources: Vec<bool> = laid
            .iter()
            .map(|&i| nodes[i].kind == NodeKind::Client)
            .collect();
        let (layer, slot, back) = layered(laid.len(), &laid_pairs, &sources);
        for (e, b) in edges.iter_mut().zip(back) {
            e.back = b;
        }
        let layers = layer.iter().max().map_or(1, |m| m + 1);
        let mut per_layer = vec![0usize; layers];
        for &l in &layer {
            per_layer[l] += 1;
        }
        let rows = per_layer.iter().copied().max().unwrap_or(1).max(1);
        // Along the layers and across them, in either orientation.
        let (along, across) = if vertical {
            (V_LAYER, V_ROW)
        } else {
            (COL, ROW)
        };
        let (mut width, mut height) = if laid.is_empty() {
            (0.0, 0.0)
        } else if vertical {
            (
                PAD_X * 2.0 + (rows - 1) as f64 * across + NODE_W + PAD_SIDE,
                PAD_TOP + PAD_BOTTOM + (layers - 1) as f64 * along + NODE_H,
            )
        } else {
            (
                PAD_X * 2.0 + (layers - 1) as f64 * along + NODE_W,
                PAD_TOP + PAD_BOTTOM + (rows - 1) as f64 * across + NODE_H,
            )
        };
        let mut topo_nodes: Vec<TopoNode> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| TopoNode {
                id: NodeId(i as u32),
                kind: n.kind,
                name: n.name.clone(),
                layer: 0,
                x: 0.0,
                y: 0.0,
            })
            .collect();
        for (k, &i) in laid.iter().enumerate() {
            let l = layer[k];
            // Centre each layer across.
            let offset = (rows - per_layer[l]) as f64 * across / 2.0;
            let (a, c) = (l as f64 * along, offset + slot[k] as f64 * across);
            let (x, y) = if vertical { (c, a) } else { (a, c) };
            let n = &mut topo_nodes[i];
            n.layer = l;
            n.x = PAD_X + NODE_W / 2.0 + x;
            n.y = PAD_TOP + NODE_H / 2.0 + y;
        }
        let mut caption = None;
        if grid {
            // As wide as the graph (at least a few columns), row after row, in node order; after
            // the last layer, so the timeline lists them after the connected nodes.
            let min_cols = if vertical { 3 } else { 8 };
            let cols =
                ((((width - 2.0 * PAD_X - NODE_W) / GRID_COL).max(0.0) as usize) + 1).max(min_cols);
            let top = height + GRID_CAPTION;
            for (k, i) in (0..nodes.len()).filter(|&i| !linked[i]).enumerate() {
                let n = &mut topo_nodes[i];
                n.layer = if laid.is_empty() { 0 } else { layers };
                n.x = PAD_X + NODE_W / 2.0 + (k % cols) as f64 * GRID_COL;
                n.y = top + NODE_H / 2.0 + (k / cols) as f64 * GRID_ROW;
            }
            let grid_rows = unlinked.div_ceil(cols);
            width = width.max(PAD_X * 2.0 + (cols.min(unlinked) - 1) as f64 * GRID_COL + NODE_W);
            height = top + (grid_rows - 1) as f64 * GRID_ROW + NODE_H + PAD_BOTTOM;
            caption = Some(Unlinked {
                count: unlinked,
                caption_y: top - 14.0,
            });
        }
        let mut first_edge = BTreeMap::new();
        for (i, e) in edges.iter().enumerate() {
            first_edge.entry((e.from, e.to)).or_insert(i);
        }
        Topology {
            nodes: topo_nodes,
            edges,
            width,
            height,
            vertical,
            unlinked: caption,
            first_edge,
        }
    }

    /// The first edge from `from` to `to`, if any.
    pub fn edge(&self, from: NodeId, to: NodeId) -> Option<&TopoEdge> {
        self.first_edge.get(&(from, to)).map(|&i| &self.edges[i])
    }

    /// Cubic Bézier control points of an edge: right side to left side going forward; a loop
    /// under both nodes for back edges.
    pub fn curve(&self, e: &TopoEdge) -> [P; 4] {
        let a = &self.nodes[e.from.0 as usize];
        let b = &self.nodes[e.to.0 as usize];
        if self.vertical {
            return if e.back || b.layer <= a.layer {
                let (x1, x2) = (a.x + NODE_W / 2.0, b.x + NODE_W / 2.0);
                let side = x1.max(x2) + 26.0;
                [(x1, a.y), (side, a.y), (side, b.y), (x2, b.y)]
            } else {
                let (y1, y2) = (a.y + NODE_H / 2.0, b.y - NODE_H / 2.0);
                let dy = (y2 - y1) / 2.0;
                [(a.x, y1), (a.x, y1 + dy), (b.x, y2 - dy), (b.x, y2)]
            };
        }
        if e.back || b.layer <= a.layer {
            let (y1, y2) = (a.y + NODE_H / 2.0, b.y + NODE_H / 2.0);
            let low = y1.max(y2) + 26.0;
            [(a.x, y1), (a.x, low), (b.x, low), (b.x, y2)]
        } else {
            let (x1, x2) = (a.x + NODE_W / 2.0, b.x - NODE_W / 2.0);
            let dx = (x2 - x1) / 2.0;
            [(x1, a.y), (x1 + dx, a.y), (x2 - dx, b.y), (x2, b.y)]
        }
    }

    /// Where a message from `from` to `to` is after fraction `f` of its trip: along the edge that
    /// joins them (either direction), or a straight line when there is none.
    pub fn along(&self, from: NodeId, to: NodeId, f: f64) -> Option<P> {
        let f = f.clamp(0.0, 1.0);
        if let Some(e) = self.edge(from, to) {
            return Some(bezier(&self.curve(e), f));
        }
        if let Some(e) = self.edge(to, from) {
            return Some(bezier(&self.curve(e), 1.0 - f));
        }
        let (a, b) = (
            self.nodes.get(from.0 as usize)?,
            self.nodes.get(to.0 as usize)?,
        );
        Some((a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f))
    }
}

/// Point at parameter `t` of a cubic Bézier curve.
pub fn bezier(c: &[P; 4], t: f64) -> P {
    let u = 1.0 - t;
    let (a, b, cc, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (
        a * c[0].0 + b * c[1].0 + cc * c[2].0 + d * c[3].0,
        a * c[0].1 + b * c[1].1 + cc * c[2].1 + d * c[3].1,
    )
}

/// Layer and slot (row within the layer) of each of `n` nodes, and which edges point backwards.
/// Cycles are broken by a depth-first search that starts at the `sources` (clients) and then at
/// every other node in order; an edge into a node still on the search stack is a back edge.
pub fn layered(
    n: usize,
    edges: &[(usize, usize)],
    sources: &[bool],
) -> (Vec<usize>, Vec<usize>, Vec<bool>) {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if a < n && b < n {
            out[a].push((b, i));
        }
    }
    // Iterative DFS: 0 = unseen, 1 = on stack, 2 = done.
    let mut mark = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    let mut finish = Vec::with_capacity(n);
    let starts = (0..n)
        .filter(|&i| sources.get(i).copied().unwrap_or(false))
        .chain((0..n).filter(|&i| !sources.get(i).copied().unwrap_or(false)));
    for s in starts {
        if mark[s] != 0 {
            continue;
        }
        let mut stack = vec![(s, 0usize)];
        mark[s] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(w, ei)) = out[v].get(*next) {
                *next += 1;
                match mark[w] {
                    0 => {
                        mark[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[ei] = true,
                    _ => {}
                }
            } else {
                mark[v] = 2;
                finish.push(v);
                stack.pop();
            }
        }
    }
    if edges.iter().any(|&(a, b)| a == b) {
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a == b {
                back[i] = true;
            }
        }
    }
    // Longest path from the sources, in topological order (reverse finishing order).
    let mut layer = vec![0usize; n];
    for &v in finish.iter().rev() {
        for &(w, ei) in &out[v] {
            if !back[ei] {
                layer[w] = layer[w].max(layer[v] + 1);
            }
        }
    }
    // Forward edges into and out of each node, in edge order (the sweeps below visit each node's
    // neighbours; scanning every edge per node would be quadratic in a big world).
    let mut fwd_in: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut fwd_out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if !back[i] && a < n && b < n {
            fwd_in[b].push(a);
            fwd_out[a].push(b);
        }
    }
    // Pull nodes with no incoming forward edge (other than clients) right next to what they feed,
    // so a lone producer does not sit far left of its queue.
    for &v in &finish {
        let has_in = !fwd_in[v].is_empty();
        let feeds: Vec<usize> = out[v]
            .iter()
            .filter(|&&(_, ei)| !back[ei])
            .map(|&(w, _)| layer[w])
            .collect();
        if !has_in && !sources.get(v).copied().unwrap_or(false) {
            if let Some(&m) = feeds.iter().min() {
                layer[v] = m.saturating_sub(1).max(layer[v]);
            }
        }
    }
    // Order within layers: start in node order, then barycentre sweeps over forward edges.
    let layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut pos = vec![0f64; n];
    let mut by_layer: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for v in 0..n {
        by_layer[layer[v]].push(v);
    }
    let place = |by_layer: &Vec<Vec<usize>>, pos: &mut Vec<f64>| {
        for l in by_layer {
            for (i, &v) in l.iter().enumerate() {
                pos[v] = i as f64;
            }
        }
    };
    place(&by_layer, &mut pos);
    // An odd number of sweeps ends on a downward one: nodes line up with what feeds them.
    for sweep in 0..9 {
        let down = sweep % 2 == 0;
        for l in 0..layers {
            let li = if down { l } else { layers - 1 - l };
            let mut keyed: Vec<(f64, usize)> = by_layer[li]
                .iter()
                .map(|&v| {
                    let others = if down { &fwd_in[v] } else { &fwd_out[v] };
                    let sum: f64 = others.iter().map(|&o| pos[o]).sum();
                    let cnt = others.len() as f64;
                    (if cnt > 0.0 { sum / cnt } else { pos[v] }, v)
                })
                .collect();
            keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            by_layer[li] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in by_layer[li].iter().enumerate() {
                pos[v] = i as f64;
            }
        }
    }
    let slot = pos.iter().map(|&p| p as usize).collect();
    (layer, slot, back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{compile, gallery::GALLERY};

    #[test]
    fn chains_go_left_to_right_and_cycles_are_broken() {
        let (layer, _, back) = layered(3, &[(0, 1), (1, 2), (2, 1)], &[true, false, false]);
        assert_eq!(layer, vec![0, 1, 2]);
        assert_eq!(back, vec![false, false, true]);
        let (layer, _, back) = layered(2, &[(0, 0), (0, 1)], &[false, false]);
        assert_eq!(layer, vec![0, 1]);
        assert_eq!(back, vec![true, false]);
    }

    #[test]
    fn gallery_layouts_have_no_overlapping_nodes_and_forward_calls() {
        for e in GALLERY {
            let c = compile(e.text).expect("compiles");
            let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
            for vertical in [false, true] {
                let t = Topology::build(&c.world, &sim, vertical);
                assert_eq!(t.nodes.len(), sim.nodes().len());
                for (i, a) in t.nodes.iter().enumerate() {
                    assert!(
                        a.x - NODE_W / 2.0 >= 0.0 && a.x + NODE_W / 2.0 <= t.width,
                        "{}",
                        e.id
                    );
                    assert!(
                        a.y - NODE_H / 2.0 >= 0.0 && a.y + NODE_H / 2.0 <= t.height,
                        "{}",
                        e.id
                    );
                    for b in &t.nodes[i + 1..] {
                        let apart = (a.x - b.x).abs() >= NODE_W || (a.y - b.y).abs() >= NODE_H;
                        assert!(apart, "{}: {} overlaps {}", e.id, a.name, b.name);
                    }
                }
                for edge in t.edges.iter().filter(|e| !e.back) {
                    let (a, b) = (&t.nodes[edge.from.0 as usize], &t.nodes[edge.to.0 as usize]);
                    assert!(b.layer > a.layer, "{}: {} -> {}", e.id, a.name, b.name);
                }
                assert!(!t.edges.is_empty(), "{}", e.id);
            }
        }
    }

    /// A client calling a chain of `chain` services, and `n - chain` services calling nothing.
    fn chain_world(n: usize, chain: usize) -> String {
        let mut s = String::from("scenario \"big\" seed 3 duration 60s\n");
        for i in 0..n {
            s.push_str(&format!("service s{i}\n"));
        }
        s.push_str("client web rate 10/s -> s0 GET /a\n");
        for i in 0..chain {
            s.push_str(&format!("s{i} GET /a:\n  work 1ms\n"));
            if i + 1 < chain {
                s.push_str(&format!("  call s{} GET /a\n", i + 1));
            }
            s.push_str("  reply 200\n");
        }
        s
    }

    #[test]
    fn many_unconnected_nodes_go_in_a_grid_under_the_graph() {
        let c = compile(&chain_world(300, 5)).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        for vertical in [false, true] {
            let t = Topology::build(&c.world, &sim, vertical);
            let u = t.unlinked.expect("a grid");
            assert_eq!(u.count, 295);
            let linked: Vec<&TopoNode> = t
                .nodes
                .iter()
                .filter(|n| {
                    n.name == "web" || ["s0", "s1", "s2", "s3", "s4"].contains(&n.name.as_str())
                })
                .collect();
            let last_layer = linked.iter().map(|n| n.layer).max().expect("nodes");
            let graph_bottom = linked.iter().map(|n| n.y).fold(0.0, f64::max) + NODE_H / 2.0;
            for n in t
                .nodes
                .iter()
                .filter(|n| !linked.iter().any(|l| l.id == n.id))
            {
                // After the graph's layers (the timeline lists them last), below its caption.
                assert!(n.layer > last_layer, "{}", n.name);
                assert!(
                    n.y - NODE_H / 2.0 > u.caption_y && u.caption_y > graph_bottom,
                    "{}",
                    n.name
                );
            }
            for (i, a) in t.nodes.iter().enumerate() {
                assert!(a.x - NODE_W / 2.0 >= 0.0 && a.x + NODE_W / 2.0 <= t.width);
                assert!(a.y - NODE_H / 2.0 >= 0.0 && a.y + NODE_H / 2.0 <= t.height);
                for b in &t.nodes[i + 1..] {
                    let apart = (a.x - b.x).abs() >= NODE_W || (a.y - b.y).abs() >= NODE_H;
                    assert!(apart, "{} overlaps {}", a.name, b.name);
                }
            }
            // A grid, not a column 295 rows tall; narrow enough for a phone when vertical.
            if vertical {
                assert!(t.width < 640.0, "{} px wide", t.width);
            } else {
                assert!(t.height < 60.0 * GRID_ROW, "{} px tall", t.height);
            }
        }
    }

    #[test]
    fn a_world_of_ten_thousand_services_is_laid_out_in_a_compact_grid() {
        let c = compile(&chain_world(10_000, 50)).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        let t = Topology::build(&c.world, &sim, false);
        assert_eq!(t.nodes.len(), 10_001);
        assert_eq!(t.unlinked.map(|u| u.count), Some(9_950));
        // 51 layers wide; the 9,950 others in rows of that width.
        assert!(t.width < 52.0 * COL, "{} px wide", t.width);
        assert!(t.height < 200.0 * GRID_ROW, "{} px tall", t.height);
        let web = &t.nodes[sim.node_id("web").expect("web").0 as usize];
        let s49 = &t.nodes[sim.node_id("s49").expect("s49").0 as usize];
        assert_eq!((web.layer, s49.layer), (0, 50));
        assert_eq!(
            t.edge(NodeId(web.id.0), sim.node_id("s0").expect("s0"))
                .map(|e| e.kind),
            Some(EdgeKind::Rest)
        );
    }

    #[test]
    fn a_few_unconnected_nodes_stay_in_the_layers() {
        let c = compile(&chain_world(10, 5)).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        let t = Topology::build(&c.world, &sim, false);
        assert_eq!(t.unlinked, None);
    }

    #[test]
    fn messages_move_along_edges_in_either_direction() {
        let c = compile(GALLERY[0].text).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        let t = Topology::build(&c.world, &sim, false);
        let web = sim.node_id("web").expect("web");
        let gw = sim.node_id("gateway").expect("gateway");
        let start = t.along(web, gw, 0.0).expect("edge");
        let back_end = t.along(gw, web, 1.0).expect("reverse edge");
        assert!((start.0 - back_end.0).abs() < 1e-9 && (start.1 - back_end.1).abs() < 1e-9);
    }
}
