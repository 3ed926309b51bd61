//! Topology view: services, queues, topics, subscriptions and clients as an SVG graph laid out by
//! `topology_layout`; edges styled by mechanism; messages in flight as dots moving along the edges
//! in simulated time; badges for queue depth, busy workers, breaker state, crashed and partitioned
//! nodes. Clicking (or Enter on) a node filters the message log to it. A big graph (over `BIG`
//! nodes) is shown at its natural size in a scrolling pane with only the part in view drawn (at
//! most `MAX_EDGES` edges), and a box to find a node by name.

use std::rc::Rc;

use yew::prelude::*;

use super::context::use_shared;

use super::dom::Listener;
use super::run::Run;
use super::state::{Action, Clock, Tab};
use super::topology_layout::{EdgeKind, Topology, NODE_H, NODE_W};
use crate::sim::{BreakerState, Mechanism, NodeId, NodeKind, RecordId};

/// Most dots drawn at once; more would only be an unreadable smear.
const MAX_DOTS: usize = 400;
/// Above this many nodes the graph is drawn at its natural size in a scrolling pane and only the
/// part in view is in the DOM: the browser lays out the whole SVG again whenever anything in it
/// changes, which takes seconds with thousands of nodes (and scaled to fit they would be specks).
pub const BIG: usize = 200;
/// Most edges a big graph draws at once. One topic with 5,000 subscriptions has 10,000 edges,
/// thousands of them passing through any view as tall curves on the same pixels; rasterising
/// them took seconds per frame. Edges between two nodes in view come first, then edges with one
/// end in view, then those only passing through.
pub const MAX_EDGES: usize = 300;

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub clock: Clock,
    /// The node the log is filtered to, if any.
    pub node: Option<NodeId>,
    /// The record selected in the log or the timeline: its path is highlighted.
    pub selected: Option<RecordId>,
}

/// Live numbers shown on one node.
#[derive(Default, Clone, Copy, PartialEq)]
struct Live {
    busy: u32,
    workers: u32,
    backlog: u32,
    depth: u32,
    unacked: u32,
    crashed: bool,
    partitioned: bool,
}

/// What stays the same for a whole run in one orientation: edge paths and titles and node names,
/// made once rather than formatted again on every frame.
struct Fixed {
    run_id: u32,
    vertical: bool,
    paths: Vec<AttrValue>,
    titles: Vec<AttrValue>,
    names: Vec<AttrValue>,
}

impl Fixed {
    fn new(run: &Run, topo: &Topology) -> Fixed {
        let paths = topo
            .edges
            .iter()
            .map(|e| {
                let c = topo.curve(e);
                AttrValue::from(format!(
                    "M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
                    c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
                ))
            })
            .collect();
        let titles = topo
            .edges
            .iter()
            .map(|e| {
                AttrValue::from(format!(
                    "{} → {}{}{}",
                    run.node_name(e.from),
                    run.node_name(e.to),
                    if e.label.is_empty() { "" } else { ": " },
                    e.label
                ))
            })
            .collect();
        let names = topo
            .nodes
            .iter()
            .map(|n| AttrValue::from(n.name.clone()))
            .collect();
        Fixed {
            run_id: run.id,
            vertical: topo.vertical,
            paths,
            titles,
            names,
        }
    }
}

/// The scrolling pane of a big graph: where it is scrolled and how large it is, read on scroll
/// and resize (never during a render, which would force a layout).
struct Pane {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    measured: bool,
    /// The scroll position the last render's window was made for, in steps of a quarter pane.
    step: (i64, i64),
}

impl Pane {
    fn step_of(&self) -> (i64, i64) {
        let (sx, sy) = self.quantum();
        (
            (self.left / sx).floor() as i64,
            (self.top / sy).floor() as i64,
        )
    }

    fn quantum(&self) -> (f64, f64) {
        ((self.width / 4.0).max(40.0), (self.height / 4.0).max(40.0))
    }

    /// The part of the graph to put in the DOM: the view wherever it is within the current step
    /// of a quarter pane, and an eighth of a pane more on every side (the render for the next
    /// step comes with the scroll event, before the frame is painted; this covers the rest).
    fn window(&self) -> Rect {
        let (sx, sy) = self.quantum();
        let (x, y) = (self.step.0 as f64 * sx, self.step.1 as f64 * sy);
        Rect {
            x0: x - sx / 2.0,
            y0: y - sy / 2.0,
            x1: x + self.width + sx * 1.5,
            y1: y + self.height + sy * 1.5,
        }
    }
}

/// An area of the graph, in its own coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    const ALL: Rect = Rect {
        x0: f64::NEG_INFINITY,
        y0: f64::NEG_INFINITY,
        x1: f64::INFINITY,
        y1: f64::INFINITY,
    };

    fn hits(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        x1 >= self.x0 && x0 <= self.x1 && y1 >= self.y0 && y0 <= self.y1
    }

    /// Whether a node centred at (x, y), with room for its badges, reaches into the area.
    pub fn has_node(&self, x: f64, y: f64) -> bool {
        self.hits(
            x - NODE_W / 2.0 - 20.0,
            y - NODE_H / 2.0 - 12.0,
            x + NODE_W / 2.0 + 20.0,
            y + NODE_H / 2.0,
        )
    }

    /// Whether a curve lies wholly inside the area.
    pub fn contains_curve(&self, c: &[(f64, f64); 4]) -> bool {
        c.iter()
            .all(|p| p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1)
    }

    /// Whether a curve reaches into the area (a Bézier curve stays inside its control points).
    pub fn has_curve(&self, c: &[(f64, f64); 4]) -> bool {
        let xs = c.iter().map(|p| p.0);
        let ys = c.iter().map(|p| p.1);
        self.hits(
            xs.clone().fold(f64::INFINITY, f64::min),
            ys.clone().fold(f64::INFINITY, f64::min),
            xs.fold(f64::NEG_INFINITY, f64::max),
            ys.fold(f64::NEG_INFINITY, f64::max),
        )
    }
}

type Curve = [(f64, f64); 4];

/// The halves of a cubic Bézier curve (de Casteljau at t = ½); the ends stay exactly the same.
fn split(c: &Curve) -> (Curve, Curve) {
    let mid = |a: (f64, f64), b: (f64, f64)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let (ab, bc, cd) = (mid(c[0], c[1]), mid(c[1], c[2]), mid(c[2], c[3]));
    let (abc, bcd) = (mid(ab, bc), mid(bc, cd));
    let m = mid(abc, bcd);
    ([c[0], ab, abc, m], [m, bcd, cd, c[3]])
}

/// The parts of `c` that reach into `r`, in order: halved until a part lies inside `r`, is
/// smaller than 400 px, or is 18 halvings deep.
fn visible_parts(c: Curve, r: &Rect, depth: u32, out: &mut Vec<Curve>) {
    if !r.has_curve(&c) {
        return;
    }
    let (w, h) = (
        c.iter().map(|p| p.0).fold(f64::MIN, f64::max)
            - c.iter().map(|p| p.0).fold(f64::MAX, f64::min),
        c.iter().map(|p| p.1).fold(f64::MIN, f64::max)
            - c.iter().map(|p| p.1).fold(f64::MAX, f64::min),
    );
    if depth == 0 || r.contains_curve(&c) || w.max(h) < 400.0 {
        out.push(c);
        return;
    }
    let (a, b) = split(&c);
    visible_parts(a, r, depth - 1, out);
    visible_parts(b, r, depth - 1, out);
}

/// SVG path data for the part of curve `c` in `r` (the same curve, cut where it leaves `r`), and
/// whether it still ends where `c` ends (where its arrowhead goes).
pub fn visible_path(c: Curve, r: &Rect) -> (String, bool) {
    let mut parts = Vec::new();
    visible_parts(c, r, 18, &mut parts);
    let mut d = String::new();
    let mut at = None;
    for p in &parts {
        if at != Some(p[0]) {
            d.push_str(&format!("M{:.1} {:.1}", p[0].0, p[0].1));
        }
        d.push_str(&format!(
            "C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
            p[1].0, p[1].1, p[2].0, p[2].1, p[3].0, p[3].1
        ));
        at = Some(p[3]);
    }
    let to_end = parts.last().is_some_and(|p| p[3] == c[3]);
    (d, to_end)
}

/// Which edges to draw, given for each edge `None` when it does not reach into the view, else how
/// many of its ends are in view: at most `MAX_EDGES`, more ends in view first, ties in declared
/// order; returned in declared order, with how many edges reach into the view.
pub fn edges_to_draw(in_view: impl Iterator<Item = Option<usize>>) -> (Vec<usize>, usize) {
    let mut by_ends: [Vec<usize>; 3] = Default::default();
    for (i, ends) in in_view.enumerate() {
        if let Some(ends) = ends {
            by_ends[ends.min(2)].push(i);
        }
    }
    let total = by_ends.iter().map(Vec::len).sum();
    let mut out: Vec<usize> = by_ends
        .into_iter()
        .rev()
        .flatten()
        .take(MAX_EDGES)
        .collect();
    out.sort_unstable();
    (out, total)
}

/// The node a search for `text` finds: the one with exactly that name (ignoring ASCII case), else
/// the first whose name contains it.
pub fn find_node<'a>(
    mut names: impl Iterator<Item = &'a str> + Clone,
    text: &str,
) -> Option<usize> {
    let needle = text.trim().to_ascii_lowercase();
    if needle.is_empty() {
        return None;
    }
    names
        .clone()
        .position(|n| n.eq_ignore_ascii_case(&needle))
        .or_else(|| names.position(|n| n.to_ascii_lowercase().contains(&needle)))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// The mechanisms drawn on edges and in the legend (internal records never travel).
const TALKING: [Mechanism; 4] = [
    Mechanism::Rest,
    Mechanism::Rpc,
    Mechanism::Queue,
    Mechanism::PubSub,
];

#[function_component]
pub fn TopologyView(props: &TopologyProps) -> Html {
    let shared = use_shared();
    // The orientation follows the window width, also while paused.
    let redraw = use_force_update();
    let pane = use_mut_ref(|| Pane {
        left: 0.0,
        top: 0.0,
        width: 800.0,
        height: 600.0,
        measured: false,
        step: (0, 0),
    });
    {
        let (redraw, pane) = (redraw.clone(), pane.clone());
        use_effect_with((), move |_| {
            let l = Listener::on_window("resize", move |_| {
                pane.borrow_mut().measured = false;
                redraw.force_update()
            });
            move || drop(l)
        });
    }
    let fixed = use_mut_ref(|| None::<Rc<Fixed>>);
    // A node found by name, in which run: highlighted, and focused once after it is drawn.
    let found = use_state_eq(|| None::<(u32, NodeId)>);
    let focus_found = use_mut_ref(|| false);
    let miss = use_state_eq(|| None::<String>);
    let find_input = use_node_ref();
    let scroller = use_node_ref();
    let big_now = use_mut_ref(|| false);
    {
        let (scroller, pane, redraw, big_now, focus_found) = (
            scroller.clone(),
            pane.clone(),
            redraw.clone(),
            big_now.clone(),
            focus_found.clone(),
        );
        use_effect(move || {
            let Some(el) = scroller.cast::<web_sys::Element>() else {
                return;
            };
            super::dom::apply_css(&el);
            if !*big_now.borrow() {
                return;
            }
            if std::mem::take(&mut *focus_found.borrow_mut()) {
                // An SVG element: `focus` through the DOM, as web-sys's `HtmlElement` would not fit.
                if let Ok(Some(node)) = el.query_selector(".node.found") {
                    if let Ok(focus) = js_sys::Reflect::get(&node, &"focus".into()) {
                        if let Some(f) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&focus) {
                            let _ = f.call0(&node);
                        }
                    }
                }
            }
            let mut p = pane.borrow_mut();
            if !p.measured {
                p.measured = true;
                let size = (p.width, p.height);
                p.left = f64::from(el.scroll_left());
                p.top = f64::from(el.scroll_top());
                p.width = f64::from(el.client_width()).max(1.0);
                p.height = f64::from(el.client_height()).max(1.0);
                // The window drawn depends on the pane's size too.
                if p.step_of() != p.step || size != (p.width, p.height) {
                    drop(p);
                    redraw.force_update();
                }
            }
        });
    }
    let on_scroll = {
        let (pane, redraw) = (pane.clone(), redraw.clone());
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            let mut p = pane.borrow_mut();
            p.left = f64::from(el.scroll_left());
            p.top = f64::from(el.scroll_top());
            // A new render only when the view leaves the part last put in the DOM.
            if p.step_of() != p.step {
                drop(p);
                redraw.force_update();
            }
        })
    };

    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    // Phones get the layers top to bottom.
    let narrow = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w < 640.0);
    let topo = if narrow {
        &run.topology_vertical
    } else {
        &run.topology
    };
    let big = topo.nodes.len() > BIG;
    *big_now.borrow_mut() = big;
    let fixed = {
        let mut f = fixed.borrow_mut();
        match f.as_ref() {
            Some(x) if x.run_id == run.id && x.vertical == topo.vertical => x.clone(),
            _ => f.insert(Rc::new(Fixed::new(run, topo))).clone(),
        }
    };
    let view = if big {
        let mut p = pane.borrow_mut();
        p.step = p.step_of();
        p.window()
    } else {
        Rect::ALL
    };
    let sim = &run.sim;
    let now = sim.now();

    let mut live = vec![Live::default(); topo.nodes.len()];
    for s in sim.services() {
        if let Some(l) = live.get_mut(s.node.0 as usize) {
            l.busy = s.busy;
            l.workers = s.workers;
            l.backlog = s.backlog;
            l.crashed = s.crashed;
        }
    }
    for m in sim.mailboxes() {
        if let Some(l) = live.get_mut(m.node.0 as usize) {
            l.depth = m.depth;
            l.unacked = m.in_flight;
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
    let is_cut = |a: NodeId, b: NodeId| {
        partitions.iter().any(|p| {
            (p.a.contains(&a) && p.b.contains(&b)) || (p.a.contains(&b) && p.b.contains(&a))
        })
    };

    let hot = props
        .selected
        .and_then(|id| sim.trace().get(id))
        .map(|r| (r.from, r.to));
    let (shown_edges, edges_in_view) = if big {
        let at = |n: NodeId| {
            topo.nodes
                .get(n.0 as usize)
                .is_some_and(|n| view.has_node(n.x, n.y))
        };
        edges_to_draw(topo.edges.iter().map(|e| {
            let ends = usize::from(at(e.from)) + usize::from(at(e.to));
            (ends > 0 || view.has_curve(&topo.curve(e))).then_some(ends)
        }))
    } else {
        ((0..topo.edges.len()).collect(), topo.edges.len())
    };
    let edges_left_out = edges_in_view - shown_edges.len();
    let edges = shown_edges
        .iter()
        .map(|&i| (i, &topo.edges[i]))
        .map(|(i, e)| {
            let is_hot =
                hot.is_some_and(|(a, b)| (e.from, e.to) == (a, b) || (e.from, e.to) == (b, a));
            let mut marker = match e.kind {
                EdgeKind::Rest => "url(#arrow-rest)",
                EdgeKind::Rpc => "url(#arrow-rpc)",
                EdgeKind::Queue => "url(#arrow-queue)",
                EdgeKind::PubSub => "url(#arrow-pubsub)",
                EdgeKind::DeadLetter => "url(#arrow-dlq)",
            };
            // A curve reaching far out of a big graph's view is drawn only where it is in view:
            // Chromium dashes a path over its whole length, seconds for a few curves 200,000 px
            // long (one topic with thousands of subscriptions in one column).
            let c = topo.curve(e);
            let d = if big && !view.contains_curve(&c) {
                let (d, to_end) = visible_path(c, &view);
                if !to_end {
                    marker = "";
                }
                AttrValue::from(d)
            } else {
                fixed.paths[i].clone()
            };
            html! {
                <EdgeView key={i} {d} title={fixed.titles[i].clone()}
                          class={e.kind.class()} {marker} cut={is_cut(e.from, e.to)} hot={is_hot} />
            }
        });

    // Breakers and partitions sit on the middle of their edge.
    let mut edge_badges: Vec<Html> = Vec::new();
    for b in sim.breakers() {
        if let Some(e) = topo.edge(b.from, b.to) {
            // Above the gap between the two nodes, clear of both.
            let (mut x, mut y) = super::topology_layout::bezier(&topo.curve(e), 0.5);
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
        for e in topo.edges.iter().filter(|e| is_cut(e.from, e.to)) {
            let (x, y) = super::topology_layout::bezier(&topo.curve(e), 0.5);
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

    let mut drawn = 0usize;
    let nodes: Vec<Html> = topo
        .nodes
        .iter()
        .filter(|n| view.has_node(n.x, n.y))
        .map(|n| {
            drawn += 1;
            let l = live.get(n.id.0 as usize).copied().unwrap_or_default();
            html! {
                <NodeView key={n.id.0} id={n.id} kind={n.kind} name={fixed.names[n.id.0 as usize].clone()}
                          x={n.x} y={n.y} live={l} selected={props.node == Some(n.id)}
                          found={*found == Some((run.id, n.id))} />
            }
        })
        .collect();

    let flights = sim.in_flight();
    let dots = flights
        .iter()
        .filter_map(|m| {
            let span = (m.arrives.0.saturating_sub(m.sent.0)).max(1) as f64;
            let f = now.0.saturating_sub(m.sent.0) as f64 / span;
            let (x, y) = topo.along(m.from, m.to, f)?;
            Some((m, x, y))
        })
        .filter(|&(_, x, y)| !big || view.hits(x, y, x, y))
        .take(MAX_DOTS)
        .map(|(m, x, y)| {
            let cls = classes!(
                "dot",
                sim.hop_mechanism(m.kind, m.from, m.to).colour(),
                m.doomed.is_some().then_some("doomed")
            );
            html! { <circle class={cls} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="5" /> }
        });

    let clear = {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::FilterNode(None)))
    };
    let show_log = {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SelectTab(Tab::Log)))
    };
    // Find a node by name: scroll it to the middle of the pane, highlight and focus it.
    let find = {
        let (run, input, scroller, pane) = (
            shared.run.clone(),
            find_input.clone(),
            scroller.clone(),
            pane.clone(),
        );
        let (found, miss, focus_found, redraw) = (
            found.clone(),
            miss.clone(),
            focus_found.clone(),
            redraw.clone(),
        );
        let narrow_now = narrow;
        Rc::new(move || {
            let Some(text) = input.cast::<web_sys::HtmlInputElement>().map(|i| i.value()) else {
                return;
            };
            let cell = run.0.borrow();
            let Some(r) = cell.as_ref() else {
                return;
            };
            let topo = if narrow_now {
                &r.topology_vertical
            } else {
                &r.topology
            };
            match find_node(topo.nodes.iter().map(|n| n.name.as_str()), &text) {
                Some(i) => {
                    let n = &topo.nodes[i];
                    if let Some(el) = scroller.cast::<web_sys::Element>() {
                        let mut p = pane.borrow_mut();
                        p.left = (n.x - p.width / 2.0).max(0.0);
                        p.top = (n.y - p.height / 2.0).max(0.0);
                        el.set_scroll_left(p.left as i32);
                        el.set_scroll_top(p.top as i32);
                    }
                    found.set(Some((r.id, n.id)));
                    miss.set(None);
                    *focus_found.borrow_mut() = true;
                    redraw.force_update();
                }
                None => {
                    found.set(None);
                    let shown: String = text.trim().chars().take(40).collect();
                    miss.set(Some(shown));
                }
            }
        })
    };
    let on_find_key = {
        let find = find.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                find();
            }
        })
    };
    let on_find_click = Callback::from(move |_: MouseEvent| find());

    let (w, h) = (topo.width, topo.height);
    let svg_css = if big {
        // Natural size, scrolled: the pane shows a part of it.
        format!("width:{w:.0}px;height:{h:.0}px;min-width:{w:.0}px")
    } else {
        format!(
            "min-width:{:.0}px;max-width:{:.0}px;max-height:{:.0}px",
            if narrow { 0.0 } else { w * 0.62 },
            w * 1.2,
            h * 1.2
        )
    };
    let total = topo.nodes.len();

    html! {
        <div class="topology" data-testid="topology">
            <div class="view-bar">
                <div class="legend" aria-label="Legend">
                    { for TALKING.iter().map(|m| html! {
                        <span class={classes!("key", m.colour())}>{ m.label() }</span>
                    }) }
                    <span class="key dead-letter">{ "Dead letters" }</span>
                </div>
                <span class="spacer"></span>
                <span class="muted small" data-testid="in-flight" data-count={flights.len().to_string()}>
                    { format!("{} in flight", flights.len()) }
                </span>
            </div>
            if big {
                <div class="view-bar topo-big" data-testid="topo-summary"
                     data-total={total.to_string()} data-drawn={drawn.to_string()}>
                    <span class="small">
                        <strong>{ format!("{} nodes", super::fmt::count(total as u64)) }</strong>
                        { format!(
                            ": too many to draw at once, so only the {} in and around the view are drawn. Scroll to see more, or find one by name.",
                            super::fmt::count(drawn as u64)
                        ) }
                        if edges_left_out > 0 {
                            { format!(
                                " {} of the {} edges here are not drawn.",
                                super::fmt::count(edges_left_out as u64),
                                super::fmt::count(edges_in_view as u64)
                            ) }
                        }
                    </span>
                    <span class="topo-find">
                        <input type="search" ref={find_input} placeholder="Node name…" aria-label="Find a node by name"
                               data-testid="topo-find" onkeydown={on_find_key} />
                        <button class="btn small" data-testid="topo-find-go" onclick={on_find_click}>{ "Find" }</button>
                    </span>
                    if let Some(text) = &*miss {
                        <span class="small err" role="status" data-testid="topo-find-miss">
                            { format!("No node named “{text}”") }
                        </span>
                    }
                </div>
            }
            if let Some(n) = props.node {
                <div class="banner" role="status">
                    <span>{ "Message log filtered to " }<strong>{ run.node_name(n) }</strong></span>
                    <button class="btn small" onclick={show_log}>{ "Show log" }</button>
                    <button class="btn small" onclick={clear}>{ "Clear filter" }</button>
                </div>
            }
            <div class="topo-scroll" ref={scroller} onscroll={on_scroll}>
                <svg class={classes!("topo", big.then_some("big"))} viewBox={format!("0 0 {w:.0} {h:.0}")}
                     data-css={svg_css}
                     role="group" aria-label="Topology: click a node to filter the message log">
                    <defs>
                        { for TALKING.iter().map(|m| (m.as_str(), m.colour())).chain([("dlq", "dead-letter")]).map(|(id, cls)| html! {
                            <marker id={format!("arrow-{id}")} viewBox="0 0 10 10" refX="9" refY="5"
                                    markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                                <path class={classes!("arrowhead", cls)} d="M0 1L10 5L0 9z" />
                            </marker>
                        }) }
                    </defs>
                    <g class="edges">{ for edges }</g>
                    if let Some(u) = topo.unlinked {
                        <text class="grid-caption" x="20" y={format!("{:.0}", u.caption_y)} data-testid="unlinked-caption">
                            { format!("{} nodes with no connections, in the order declared", super::fmt::count(u.count as u64)) }
                        </text>
                    }
                    <g class="nodes">{ nodes }</g>
                    <g class="edge-badges">{ edge_badges }</g>
                    <g class="dots" data-testid="dots">{ for dots }</g>
                </svg>
            </div>
            if run.clock().events == 0 {
                <p class="hint-overlay">{ "Press Play (Space) or Step (→) to see messages move." }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct EdgeProps {
    d: AttrValue,
    title: AttrValue,
    class: &'static str,
    marker: &'static str,
    cut: bool,
    hot: bool,
}

/// One edge; re-rendered only when it is cut or highlighted or its run changes.
#[function_component]
fn EdgeView(p: &EdgeProps) -> Html {
    html! {
        <g class={classes!(p.cut.then_some("cut"), p.hot.then_some("hot"))}>
            <path class={p.class} d={p.d.clone()} marker-end={p.marker}><title>{ p.title.clone() }</title></path>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct NodeProps {
    id: NodeId,
    kind: NodeKind,
    name: AttrValue,
    /// Centre.
    x: f64,
    y: f64,
    live: Live,
    selected: bool,
    /// Found by name: highlighted.
    found: bool,
}

/// One node; Yew re-renders it only when its numbers or selection change, so a frame of a big
/// graph touches the few nodes that are busy rather than all of them.
#[function_component]
fn NodeView(p: &NodeProps) -> Html {
    let shared = use_shared();
    let l = p.live;
    let selected = p.selected;
    let (kind_class, caption) = match p.kind {
        NodeKind::Service => (
            "service",
            if l.crashed {
                "down".to_string()
            } else if l.backlog > 0 {
                format!("{}/{} busy · {} waiting", l.busy, l.workers, l.backlog)
            } else {
                format!("{}/{} busy", l.busy, l.workers)
            },
        ),
        NodeKind::Queue => ("queue", format!("queue · {} unacked", l.unacked)),
        NodeKind::Topic => ("topic", "topic".to_string()),
        NodeKind::Subscription => ("subscription", format!("sub · {} unacked", l.unacked)),
        NodeKind::Client => ("client", "client".to_string()),
    };
    let name: &str = &p.name;
    let label = match p.kind {
        NodeKind::Subscription => name.rsplit('/').next().unwrap_or(name).to_string(),
        _ => name.to_string(),
    };
    let id = p.id;
    let onclick = {
        let d = shared.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::FilterNode(if selected { None } else { Some(id) }))
        })
    };
    let onkeydown = {
        let d = shared.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                d.dispatch(Action::FilterNode(if selected { None } else { Some(id) }));
            }
        })
    };
    let has_depth = matches!(p.kind, NodeKind::Queue | NodeKind::Subscription);
    let (w, h) = (NODE_W, NODE_H);
    html! {
        <g class={classes!("node", kind_class, l.crashed.then_some("crashed"), l.partitioned.then_some("partitioned"), selected.then_some("selected"), p.found.then_some("found"))}
           transform={format!("translate({:.1},{:.1})", p.x - w / 2.0, p.y - h / 2.0)}
           tabindex="0" role="button" aria-pressed={selected.to_string()}
           aria-label={format!("{} {}: filter the log to it", kind_class, name)}
           data-node={p.name.clone()}
           {onclick} {onkeydown}>
            <title>{ p.name.clone() }</title>
            <rect class="body" width={w.to_string()} height={h.to_string()} rx={if p.kind == NodeKind::Topic { "22" } else { "8" }} />
            <text class="name" x={(w / 2.0).to_string()} y="19" text-anchor="middle">{ truncate(&label, 17) }</text>
            <text class="caption" x={(w / 2.0).to_string()} y="34" text-anchor="middle">{ caption }</text>
            if has_depth {
                <g class={classes!("badge", "depth", (l.depth >= 100).then_some("high"))}
                   transform={format!("translate({:.1},0)", w - 4.0)} data-testid="depth-badge">
                    <rect x="-18" y="-9" width="36" height="18" rx="9" />
                    <text text-anchor="middle" y="4">{ compact(l.depth) }</text>
                    <title>{ format!("{} messages waiting", l.depth) }</title>
                </g>
            }
            if l.crashed {
                <g class="badge crashed" transform="translate(4,0)">
                    <rect x="0" y="-9" width="58" height="18" rx="9" />
                    <text x="29" y="4" text-anchor="middle">{ "crashed" }</text>
                </g>
            } else if l.partitioned {
                <g class="badge partitioned" transform="translate(4,0)">
                    <rect x="0" y="-9" width="78" height="18" rx="9" />
                    <text x="39" y="4" text-anchor="middle">{ "partitioned" }</text>
                </g>
            }
        </g>
    }
}

/// `1234` → `1.2k`, to fit a badge.
fn compact(n: u32) -> String {
    if n < 1_000 {
        n.to_string()
    } else if n < 100_000 {
        format!("{}.{}k", n / 1_000, (n % 1_000) / 100)
    } else {
        format!("{}k", n / 1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::{compact, edges_to_draw, find_node, truncate, visible_path, Rect, MAX_EDGES};

    #[test]
    fn a_long_curve_is_cut_to_the_part_in_view() {
        // From a topic at y = 200,000 to a subscription at y = 100, seen around y = 0..1,000.
        let c = [
            (0.0, 200_000.0),
            (60.0, 200_000.0),
            (60.0, 100.0),
            (120.0, 100.0),
        ];
        let view = Rect {
            x0: -100.0,
            y0: -200.0,
            x1: 900.0,
            y1: 1_000.0,
        };
        let (d, to_end) = visible_path(c, &view);
        assert!(to_end, "the end is in view: the arrowhead stays");
        assert!(d.ends_with("120.0 100.0"), "{d}");
        assert!(d.len() < 300, "a few pieces, not the whole curve: {d}");
        let ys: Vec<f64> = d
            .split(['M', 'C', ' '])
            .filter_map(|t| t.parse().ok())
            .skip(1)
            .step_by(2)
            .collect();
        assert!(ys.iter().all(|&y| y < 30_000.0), "{d}");
        // Seen from the topic's end, the arrowhead is off screen.
        let near_topic = Rect {
            x0: -100.0,
            y0: 199_500.0,
            x1: 900.0,
            y1: 200_500.0,
        };
        let (d, to_end) = visible_path(c, &near_topic);
        assert!(!to_end && d.starts_with("M0.0 200000.0"), "{d}");
        // Out of view: nothing.
        let far = Rect {
            x0: 5_000.0,
            y0: 0.0,
            x1: 6_000.0,
            y1: 10.0,
        };
        assert_eq!(visible_path(c, &far), (String::new(), false));
        assert!(view.contains_curve(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]));
    }

    #[test]
    fn a_big_view_draws_its_own_edges_first_and_at_most_max_edges() {
        // 10,000 edges passing through, then 5 with one end in view, then 2 with both.
        let mut v: Vec<Option<usize>> = vec![Some(0); 10_000];
        v.extend([Some(1); 5]);
        v.extend([None, Some(2), Some(2)]);
        let (drawn, total) = edges_to_draw(v.into_iter());
        assert_eq!(total, 10_007);
        assert_eq!(drawn.len(), MAX_EDGES);
        assert!(drawn.windows(2).all(|w| w[0] < w[1]), "declared order");
        for i in [10_000, 10_004, 10_006, 10_007] {
            assert!(drawn.contains(&i), "edge {i} has an end in view");
        }
        assert!(!drawn.contains(&10_005), "out of view");
        assert!(
            drawn.contains(&0) && !drawn.contains(&9_999),
            "passing edges in declared order"
        );
        // Few edges: all of those in view.
        let (drawn, total) = edges_to_draw([Some(0), None, Some(1)].into_iter());
        assert_eq!((drawn, total), (vec![0, 2], 2));
    }

    #[test]
    fn badges_and_labels_stay_short() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(250_000), "250k");
        assert_eq!(truncate("payments", 17), "payments");
        assert_eq!(truncate("a-very-long-service-name", 10), "a-very-lo…");
    }

    #[test]
    fn finding_a_node_prefers_the_exact_name() {
        let names = ["s1", "s10", "S100", "payments"];
        let find = |t: &str| find_node(names.iter().copied(), t);
        assert_eq!(find("s10"), Some(1));
        assert_eq!(find(" s100 "), Some(2));
        assert_eq!(find("PAY"), Some(3));
        assert_eq!(find("s"), Some(0));
        assert_eq!(find("nope"), None);
        assert_eq!(find("  "), None);
    }

    #[test]
    fn only_nodes_and_curves_reaching_into_the_window_are_drawn() {
        let r = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 800.0,
            y1: 600.0,
        };
        assert!(r.has_node(400.0, 300.0));
        // Just outside, but its badges would show.
        assert!(r.has_node(-70.0, 300.0));
        assert!(!r.has_node(-200.0, 300.0));
        assert!(!r.has_node(400.0, 700.0));
        assert!(r.has_curve(&[(-100.0, 50.0), (0.0, 50.0), (900.0, 50.0), (1_000.0, 50.0)]));
        assert!(!r.has_curve(&[
            (900.0, 50.0),
            (950.0, 50.0),
            (1_000.0, 60.0),
            (1_100.0, 60.0)
        ]));
    }
}
