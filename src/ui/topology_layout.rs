//! Topology layout: the communication paths of a world as edges, and node positions layered left
//! to right by call direction (longest-path layering with cycles broken, barycentre ordering within
//! a layer, one grid slot per node so nodes never overlap); many nodes with no edges at all go in a
//! compact grid under the graph. A replicated service's replicas (`orders#1`, …) are one group:
//! drawn as one stacked node that edges and messages go to, unless expanded into its replicas
//! (`Topology::grouped`). Each box is as wide as its name needs. Pure geometry; no DOM.
//!
//! ```text
//!  client ──► gateway ──► orders ──► payments-q ──► payments
//!                                └─► order-events ──► order-events/emails ──► emails
//! ```

use std::collections::BTreeMap;

use crate::sim::{NodeId, NodeInfo, NodeKind, Sim, Source, Step, Target, World};

/// The narrowest box; a longer name gets a wider one (`box_width`), up to `MAX_NODE_W`.
pub const NODE_W: f64 = 124.0;
/// The widest box; a name longer than fits is cut with an ellipsis (its full name in the title).
pub const MAX_NODE_W: f64 = 300.0;
/// Room per character of a name (13 px, semibold), and the padding either side together.
const CHAR_W: f64 = 7.8;
const NAME_PAD: f64 = 24.0;
/// A stacked node's extra room: its `×3` and the expand button.
const STACK_EXTRA: f64 = 30.0;
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
    /// Width of its box.
    pub w: f64,
    /// The replica group it belongs to (index into `Topology::groups`).
    pub group: Option<usize>,
    /// Drawn: false for the replicas of a collapsed group but its first, which stands for the
    /// group (they sit where it is).
    pub shown: bool,
}

/// A replicated service: its replicas' nodes in order. Collapsed, the first stands for all
/// (one stacked node, `drawn_as`); expanded, each is drawn as a node of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The service's name (`orders`; its replicas are `orders#1`, …).
    pub name: String,
    pub members: Vec<NodeId>,
    pub expanded: bool,
}

/// The replicated services of a run: name and replica nodes, in declared order.
pub fn replica_groups(sim: &Sim) -> Vec<(String, Vec<NodeId>)> {
    sim.balancers()
        .into_iter()
        .map(|b| {
            let name = sim
                .names()
                .get(b.service.0 as usize)
                .cloned()
                .unwrap_or_default();
            (name, b.replicas.iter().map(|r| r.node).collect())
        })
        .collect()
}

/// What a node's box shows as its name: a subscription's own part of `topic/sub`.
pub fn label(kind: NodeKind, name: &str) -> &str {
    match kind {
        NodeKind::Subscription => name.rsplit('/').next().unwrap_or(name),
        _ => name,
    }
}

/// Width of a box whose name is `label`, with `extra` room beside it: wide enough for the name,
/// never narrower than `NODE_W` nor wider than `MAX_NODE_W`.
pub fn box_width(label: &str, extra: f64) -> f64 {
    (label.chars().count() as f64 * CHAR_W + NAME_PAD + extra).clamp(NODE_W, MAX_NODE_W)
}

/// How many characters of a name fit a box `w` wide with `extra` room used beside the name.
pub fn fits(w: f64, extra: f64) -> usize {
    ((w - NAME_PAD - extra) / CHAR_W).floor().max(3.0) as usize
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
    /// Replicated services (empty when laid out with every replica on its own, `build`).
    pub groups: Vec<Group>,
    /// The node drawn for each node (index = `NodeId`): itself, or for a replica of a collapsed
    /// group the group's stacked node (its first replica).
    pub drawn_as: Vec<NodeId>,
    /// The first edge from one node to another, by (from, to): messages look their edge up
    /// every frame, and a big world has thousands.
    first_edge: BTreeMap<(NodeId, NodeId), usize>,
}

/// Edges being collected: one per (from, to, kind), labels merged, in the order first seen.
#[derive(Default)]
struct EdgeSet {
    edges: Vec<TopoEdge>,
    seen: BTreeMap<(NodeId, NodeId, EdgeKind), usize>,
}

impl EdgeSet {
    fn add(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, label: &str) {
        // Where each (from, to, kind) edge is, so merging labels stays linear in the edges.
        if let Some(e) = self
            .seen
            .get(&(from, to, kind))
            .map(|&i| &mut self.edges[i])
        {
            for l in label.split(", ").filter(|l| !l.is_empty()) {
                if !e.label.split(", ").any(|x| x == l) {
                    if !e.label.is_empty() {
                        e.label.push_str(", ");
                    }
                    e.label.push_str(l);
                }
            }
        } else {
            self.seen.insert((from, to, kind), self.edges.len());
            self.edges.push(TopoEdge {
                from,
                to,
                kind,
                label: label.to_string(),
                back: false,
            });
        }
    }
}

type P = (f64, f64);

impl Topology {
    /// Edges from the world's structure, laid out.
    /// `vertical` lays the layers out top to bottom (for narrow screens) instead of left to right.
    /// Every replica a node of its own: what the timeline's lanes follow.
    pub fn build(world: &World, sim: &Sim, vertical: bool) -> Topology {
        let edges = links(world, sim);
        Topology::lay_out(sim.nodes(), edges, Vec::new(), vertical)
    }

    /// The same graph with each replicated service in `groups` (name, replicas) drawn as one
    /// stacked node, except those named in `expanded`, whose replicas are drawn each on its own.
    pub fn grouped(
        &self,
        nodes: &[NodeInfo],
        groups: &[(String, Vec<NodeId>)],
        expanded: &std::collections::BTreeSet<String>,
    ) -> Topology {
        let groups = groups
            .iter()
            .map(|(name, members)| Group {
                name: name.clone(),
                members: members.clone(),
                expanded: expanded.contains(name),
            })
            .collect();
        Topology::lay_out(nodes, self.edges.clone(), groups, self.vertical)
    }

    /// Lays out `nodes` joined by `links` (one per pair and kind, every replica on its own),
    /// with collapsed `groups` drawn as one node each.
    fn lay_out(
        nodes: &[NodeInfo],
        links: Vec<TopoEdge>,
        groups: Vec<Group>,
        vertical: bool,
    ) -> Topology {
        let mut drawn_as: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
        let mut group_of = vec![None; nodes.len()];
        for (g, group) in groups.iter().enumerate() {
            for &m in &group.members {
                if let Some(slot) = group_of.get_mut(m.0 as usize) {
                    *slot = Some(g);
                }
                if let (false, Some(&first), Some(d)) = (
                    group.expanded,
                    group.members.first(),
                    drawn_as.get_mut(m.0 as usize),
                ) {
                    *d = first;
                }
            }
        }
        let shown: Vec<bool> = (0..nodes.len())
            .map(|i| drawn_as[i].0 as usize == i)
            .collect();
        let mut set = EdgeSet::default();
        for e in &links {
            let (a, b) = (drawn_as[e.from.0 as usize], drawn_as[e.to.0 as usize]);
            // Between two replicas of one collapsed group: inside the stack, not an edge.
            if a == b && e.from != e.to {
                continue;
            }
            set.add(a, b, e.kind, &e.label);
        }
        let mut edges = set.edges;
        let width_of: Vec<f64> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match group_of[i].map(|g| &groups[g]) {
                Some(g) if !g.expanded => box_width(
                    &g.name,
                    STACK_EXTRA + (g.members.len().to_string().len() as f64 + 2.0) * CHAR_W,
                ),
                _ => box_width(label(n.kind, &n.name), 0.0),
            })
            .collect();
        let pairs: Vec<(usize, usize)> = edges
            .iter()
            .map(|e| (e.from.0 as usize, e.to.0 as usize))
            .collect();
        // Nodes with no edge at all: past a handful they leave the layers for a grid. The
        // replicas hidden in a stack are neither: they sit where their stack is.
        let mut linked = vec![false; nodes.len()];
        for &(a, b) in &pairs {
            linked[a] = true;
            linked[b] = true;
        }
        let loose = |i: usize| shown[i] && !linked[i];
        let unlinked = (0..nodes.len()).filter(|&i| loose(i)).count();
        let grid = unlinked > UNLINKED_GRID_AFTER;
        // The nodes laid out in layers, and each one's index among them.
        let laid: Vec<usize> = (0..nodes.len())
            .filter(|&i| shown[i] && (!grid || linked[i]))
            .collect();
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
        // Each layer's widest box: the layers' columns are as wide as their boxes need.
        let mut layer_w = vec![NODE_W; layers];
        for (k, &l) in layer.iter().enumerate() {
            per_layer[l] += 1;
            layer_w[l] = layer_w[l].max(width_of[laid[k]]);
        }
        let widest = layer_w.iter().copied().fold(NODE_W, f64::max);
        let rows = per_layer.iter().copied().max().unwrap_or(1).max(1);
        // Where each layer's centre is along the layers (left to right: past the wider boxes
        // before it; top to bottom: a fixed step).
        let mut layer_at = Vec::with_capacity(layers);
        let mut at = 0.0;
        for (l, &lw) in layer_w.iter().enumerate() {
            if vertical {
                layer_at.push(l as f64 * V_LAYER);
            } else {
                layer_at.push(at + lw / 2.0 - NODE_W / 2.0);
                at += lw + COL - NODE_W;
            }
        }
        // Across the layers: top to bottom, nodes side by side need room for the widest box.
        let across = if vertical {
            V_ROW.max(widest + V_ROW - NODE_W)
        } else {
            ROW
        };
        let (mut width, mut height) = if laid.is_empty() {
            (0.0, 0.0)
        } else if vertical {
            (
                PAD_X * 2.0 + (rows - 1) as f64 * across + widest + PAD_SIDE,
                PAD_TOP + PAD_BOTTOM + (layers - 1) as f64 * V_LAYER + NODE_H,
            )
        } else {
            (
                PAD_X * 2.0 + at - (COL - NODE_W),
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
                w: width_of[i],
                group: group_of[i],
                shown: shown[i],
            })
            .collect();
        // Top to bottom, the first box's left edge leaves room for the widest.
        let left = if vertical { widest / 2.0 } else { NODE_W / 2.0 };
        for (k, &i) in laid.iter().enumerate() {
            let l = layer[k];
            // Centre each layer across.
            let offset = (rows - per_layer[l]) as f64 * across / 2.0;
            let (a, c) = (layer_at[l], offset + slot[k] as f64 * across);
            let (x, y) = if vertical { (c, a) } else { (a, c) };
            let n = &mut topo_nodes[i];
            n.layer = l;
            n.x = PAD_X + left + x;
            n.y = PAD_TOP + NODE_H / 2.0 + y;
        }
        let mut caption = None;
        if grid {
            // As wide as the graph (at least a few columns), row after row, in node order; after
            // the last layer, so the timeline lists them after the connected nodes.
            let grid_w = (0..nodes.len())
                .filter(|&i| loose(i))
                .map(|i| width_of[i])
                .fold(NODE_W, f64::max);
            let grid_col = GRID_COL - NODE_W + grid_w;
            let min_cols = if vertical { 3 } else { 8 };
            let cols =
                ((((width - 2.0 * PAD_X - grid_w) / grid_col).max(0.0) as usize) + 1).max(min_cols);
            let top = height + GRID_CAPTION;
            for (k, i) in (0..nodes.len()).filter(|&i| loose(i)).enumerate() {
                let n = &mut topo_nodes[i];
                n.layer = if laid.is_empty() { 0 } else { layers };
                n.x = PAD_X + grid_w / 2.0 + (k % cols) as f64 * grid_col;
                n.y = top + NODE_H / 2.0 + (k / cols) as f64 * GRID_ROW;
            }
            let grid_rows = unlinked.div_ceil(cols);
            width = width.max(PAD_X * 2.0 + (cols.min(unlinked) - 1) as f64 * grid_col + grid_w);
            height = top + (grid_rows - 1) as f64 * GRID_ROW + NODE_H + PAD_BOTTOM;
            caption = Some(Unlinked {
                count: unlinked,
                caption_y: top - 14.0,
            });
        }
        // A collapsed group's other replicas sit where its stacked node is.
        for i in 0..nodes.len() {
            let d = drawn_as[i].0 as usize;
            if d != i {
                let (layer, x, y) = (topo_nodes[d].layer, topo_nodes[d].x, topo_nodes[d].y);
                let n = &mut topo_nodes[i];
                (n.layer, n.x, n.y) = (layer, x, y);
            }
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
            groups,
            drawn_as,
            first_edge,
        }
    }

    /// The node drawn for `n`: itself, or the stacked node of its collapsed group.
    pub fn drawn(&self, n: NodeId) -> NodeId {
        self.drawn_as.get(n.0 as usize).copied().unwrap_or(n)
    }

    /// The first edge from `from` to `to` (or what is drawn for them), if any.
    pub fn edge(&self, from: NodeId, to: NodeId) -> Option<&TopoEdge> {
        self.first_edge
            .get(&(self.drawn(from), self.drawn(to)))
            .map(|&i| &self.edges[i])
    }

    /// Cubic Bézier control points of an edge: right side to left side going forward; a loop
    /// under both nodes for back edges.
    pub fn curve(&self, e: &TopoEdge) -> [P; 4] {
        let a = &self.nodes[e.from.0 as usize];
        let b = &self.nodes[e.to.0 as usize];
        if self.vertical {
            return if e.back || b.layer <= a.layer {
                let (x1, x2) = (a.x + a.w / 2.0, b.x + b.w / 2.0);
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
            let (x1, x2) = (a.x + a.w / 2.0, b.x - b.w / 2.0);
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
            self.nodes.get(self.drawn(from).0 as usize)?,
            self.nodes.get(self.drawn(to).0 as usize)?,
        );
        Some((a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f))
    }
}

/// How the world's nodes talk: one edge per (from, to, kind), labels merged, every replica of a
/// replicated service on its own (its name stands for each replica's node).
fn links(world: &World, sim: &Sim) -> Vec<TopoEdge> {
    let id = |name: &str| sim.node_ids(name);
    let mut set = EdgeSet::default();
    let mut add = |from: &[NodeId], to: &[NodeId], kind: EdgeKind, label: &str| {
        for &a in from {
            for &b in to {
                set.add(a, b, kind, label);
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
    set.edges
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

    /// No two drawn boxes overlap, every box is inside the graph, forward edges go forward.
    fn assert_tidy(t: &Topology, what: &str) {
        let shown: Vec<&TopoNode> = t.nodes.iter().filter(|n| n.shown).collect();
        for (i, a) in shown.iter().enumerate() {
            assert!(
                a.x - a.w / 2.0 >= 0.0 && a.x + a.w / 2.0 <= t.width,
                "{what}: {} sticks out sideways",
                a.name
            );
            assert!(
                a.y - NODE_H / 2.0 >= 0.0 && a.y + NODE_H / 2.0 <= t.height,
                "{what}: {} sticks out",
                a.name
            );
            for b in &shown[i + 1..] {
                let apart = (a.x - b.x).abs() >= (a.w + b.w) / 2.0 || (a.y - b.y).abs() >= NODE_H;
                assert!(apart, "{what}: {} overlaps {}", a.name, b.name);
            }
        }
        for edge in t.edges.iter().filter(|e| !e.back) {
            let (a, b) = (&t.nodes[edge.from.0 as usize], &t.nodes[edge.to.0 as usize]);
            assert!(a.shown && b.shown, "{what}: an edge to a hidden replica");
            assert!(b.layer > a.layer, "{what}: {} -> {}", a.name, b.name);
        }
    }

    #[test]
    fn gallery_layouts_have_no_overlapping_nodes_and_forward_calls() {
        for e in GALLERY {
            let c = compile(e.text).expect("compiles");
            let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
            let groups = replica_groups(&sim);
            for vertical in [false, true] {
                let t = Topology::build(&c.world, &sim, vertical);
                assert_eq!(t.nodes.len(), sim.nodes().len());
                assert!(t.nodes.iter().all(|n| n.shown));
                assert_tidy(&t, e.id);
                assert!(!t.edges.is_empty(), "{}", e.id);
                let stacked = t.grouped(sim.nodes(), &groups, &Default::default());
                assert_eq!(stacked.nodes.len(), sim.nodes().len());
                assert_tidy(&stacked, e.id);
                let all: std::collections::BTreeSet<String> =
                    groups.iter().map(|g| g.0.clone()).collect();
                let open = t.grouped(sim.nodes(), &groups, &all);
                assert_eq!(open.edges, t.edges, "{}: expanded is the plain graph", e.id);
                assert_tidy(&open, e.id);
            }
        }
    }

    fn lb_sinkhole() -> (World, Sim) {
        let text = GALLERY
            .iter()
            .find(|e| e.id == "lb-sinkhole")
            .expect("entry")
            .text;
        let c = compile(text).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        (c.world, sim)
    }

    #[test]
    fn a_replicated_service_is_one_stacked_node_until_expanded() {
        let (world, sim) = lb_sinkhole();
        let groups = replica_groups(&sim);
        let names: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["catalog", "guarded-catalog"]);
        assert!(groups.iter().all(|g| g.1.len() == 3));
        let plain = Topology::build(&world, &sim, false);
        let n = |name: &str| sim.node_id(name).expect(name);
        let (shop, c1, c2, c3) = (n("shop"), n("catalog#1"), n("catalog#2"), n("catalog#3"));
        // Each replica its own node: an edge to each.
        assert!(plain.edge(shop, c1).is_some() && plain.edge(shop, c2).is_some());
        assert_ne!(plain.along(shop, c1, 0.5), plain.along(shop, c3, 0.5));

        let t = plain.grouped(sim.nodes(), &groups, &Default::default());
        // Collapsed: one node per group, one edge from each caller, shared by every replica.
        assert_eq!(
            t.nodes.iter().filter(|n| n.shown).count(),
            sim.nodes().len() - 4
        );
        assert_eq!(t.edges.len(), plain.edges.len() - 4);
        let to_catalog: Vec<&TopoEdge> = t.edges.iter().filter(|e| e.from == shop).collect();
        assert_eq!(to_catalog.len(), 1);
        assert_eq!(to_catalog[0].to, c1);
        assert_eq!(to_catalog[0].label, "GET /item");
        for r in [c1, c2, c3] {
            assert_eq!(t.drawn(r), c1);
            assert_eq!(t.nodes[r.0 as usize].group, Some(0));
            assert_eq!(
                (t.nodes[r.0 as usize].x, t.nodes[r.0 as usize].y),
                (t.nodes[c1.0 as usize].x, t.nodes[c1.0 as usize].y)
            );
            assert_eq!(t.edge(shop, r), t.edge(shop, c1));
            // A message to (or the reply from) any replica travels the group's one edge.
            assert_eq!(t.along(shop, r, 0.5), t.along(shop, c1, 0.5));
            assert_eq!(t.along(r, shop, 0.25), t.along(shop, c1, 0.75));
        }
        assert!(!t.nodes[c2.0 as usize].shown && t.nodes[c1.0 as usize].shown);
        // Room for the name, its ×3 and the expand button.
        assert!(t.nodes[c1.0 as usize].w >= box_width("guarded", 0.0));

        // Expanding one group draws its replicas again; the other stays stacked.
        let open: std::collections::BTreeSet<String> = ["catalog".to_string()].into();
        let t = plain.grouped(sim.nodes(), &groups, &open);
        assert!([c1, c2, c3]
            .iter()
            .all(|&r| t.nodes[r.0 as usize].shown && t.drawn(r) == r));
        assert_eq!(t.edges.iter().filter(|e| e.from == shop).count(), 3);
        let g2 = n("guarded-catalog#2");
        assert_eq!(t.drawn(g2), n("guarded-catalog#1"));
        let ys: Vec<f64> = [c1, c2, c3]
            .iter()
            .map(|r| t.nodes[r.0 as usize].y)
            .collect();
        assert!(
            ys[0] < ys[1] && ys[1] < ys[2],
            "replicas in order, one under another: {ys:?}"
        );
        assert_tidy(&t, "lb-sinkhole, catalog expanded");
    }

    #[test]
    fn boxes_are_as_wide_as_their_names() {
        assert_eq!(box_width("web", 0.0), NODE_W);
        let long = "inventory-reservations-service";
        let w = box_width(long, 0.0);
        assert!(w > NODE_W && w < MAX_NODE_W);
        assert!(fits(w, 0.0) >= long.len(), "the whole name fits");
        assert_eq!(box_width(&"x".repeat(200), 0.0), MAX_NODE_W);
        assert!(fits(MAX_NODE_W, 0.0) < 200);
        assert_eq!(label(NodeKind::Subscription, "orders/emails"), "emails");

        let text = "scenario \"wide\" seed 1 duration 10s\n\
            service inventory-reservations-service\n\
            service long-named-payments-svc replicas 2\n\
            client web rate 10/s -> inventory-reservations-service GET /a\n\
            inventory-reservations-service GET /a:\n  call long-named-payments-svc GET /b\n  reply 200\n\
            long-named-payments-svc GET /b:\n  work 1ms\n  reply 200\n";
        let c = compile(text).expect("compiles");
        let sim = Sim::new(c.world.clone(), c.seed).expect("engine");
        let groups = replica_groups(&sim);
        for vertical in [false, true] {
            let plain = Topology::build(&c.world, &sim, vertical);
            assert_tidy(&plain, "wide");
            let inv = &plain.nodes[sim.node_id(long).expect("node").0 as usize];
            assert!(inv.w >= long.len() as f64 * CHAR_W, "{}", inv.w);
            let t = plain.grouped(sim.nodes(), &groups, &Default::default());
            assert_tidy(&t, "wide, stacked");
            let stack = &t.nodes[groups[0].1[0].0 as usize];
            assert!(fits(stack.w, STACK_EXTRA + 3.0 * CHAR_W) >= groups[0].0.len());
        }
    }

    #[test]
    fn edges_merge_their_labels_once() {
        let mut set = EdgeSet::default();
        let (a, b) = (NodeId(0), NodeId(1));
        set.add(a, b, EdgeKind::Rest, "GET /a");
        set.add(a, b, EdgeKind::Rest, "GET /b");
        set.add(a, b, EdgeKind::Rest, "GET /a, GET /c");
        set.add(a, b, EdgeKind::Rpc, "");
        assert_eq!(set.edges.len(), 2);
        assert_eq!(set.edges[0].label, "GET /a, GET /b, GET /c");
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
            assert_tidy(&t, "chain");
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
