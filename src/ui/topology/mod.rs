//! Topology view: services, queues, topics, subscriptions and clients as an SVG graph laid out by
//! `topology_layout`; edges styled by mechanism; messages in flight as dots moving along the edges
//! in simulated time; badges for queue depth, busy workers, a service's recent error share
//! (`health`), breaker state, crashed and partitioned nodes. Clicking (or Enter on) a node filters the message log to it. A big graph (over `BIG`
//! nodes) is shown at its natural size in a scrolling pane with only the part in view drawn (at
//! most `MAX_EDGES` edges), and a box to find a node by name. This file is the component (the
//! pane, finding, the view bar and the SVG's frame); the layout is `topology_layout`'s, the
//! window of a big graph `window`'s, the run's live overlay (numbers, badges, dots) `overlay`'s
//! and the edge and node markup `markup`'s.

mod health;
mod markup;
mod overlay;
mod window;

use std::rc::Rc;

use yew::prelude::*;

use super::context::use_shared;
use super::dom::Listener;
use super::state::{Action, Clock, Tab};
use super::topology_layout::EdgeKind;
use super::topology_layout::NODE_H;
use crate::sim::{Mechanism, NodeId, RecordId};
use markup::{EdgeView, Fixed, GroupFrame, Live, NodeView, StackView};
use window::{edges_to_draw, find_node, visible_path, Pane, Rect};

/// Above this many nodes the graph is drawn at its natural size in a scrolling pane and only the
/// part in view is in the DOM: the browser lays out the whole SVG again whenever anything in it
/// changes, which takes seconds with thousands of nodes (and scaled to fit they would be specks).
pub const BIG: usize = 200;

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub clock: Clock,
    /// The node the log is filtered to, if any.
    pub node: Option<NodeId>,
    /// `node` stands for all the replicas of its service.
    pub replicas: bool,
    /// Replicated services drawn replica by replica (the others are one stacked node each).
    pub expanded: Rc<std::collections::BTreeSet<String>>,
    /// The record selected in the log or the timeline: its path is highlighted.
    pub selected: Option<RecordId>,
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
    let recent = use_mut_ref(health::Recent::default);
    let recent_edges = use_mut_ref(health::Recent::default);
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
    let topo_rc = run.view_topology(narrow, &props.expanded);
    let topo = &*topo_rc;
    let big = topo.nodes.len() > BIG;
    *big_now.borrow_mut() = big;
    let fixed = {
        let mut f = fixed.borrow_mut();
        match f.as_ref() {
            Some(x)
                if x.run_id == run.id
                    && x.vertical == topo.vertical
                    && x.expanded == props.expanded =>
            {
                x.clone()
            }
            _ => f
                .insert(Rc::new(Fixed::new(run, topo, props.expanded.clone())))
                .clone(),
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

    let (live, partitions) = overlay::live(sim, topo.nodes.len(), &mut recent.borrow_mut(), run.id);
    let is_cut = |a: NodeId, b: NodeId| overlay::is_cut(&partitions, a, b);
    let edge_health = overlay::edge_health(
        sim,
        &fixed.call_edges,
        topo.edges.len(),
        &mut recent_edges.borrow_mut(),
        run.id,
    );

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
                          class={e.kind.class()} {marker} cut={is_cut(e.from, e.to)} hot={is_hot}
                          health={edge_health.get(i).copied().unwrap_or_default()} />
            }
        });

    let edge_badges = overlay::edge_badges(run, topo, &view, &partitions);

    let mut drawn = 0usize;
    let nodes: Vec<Html> = topo
        .nodes
        .iter()
        .filter(|n| n.shown && view.has_node(n.x, n.y))
        .map(|n| {
            drawn += 1;
            let l = live.get(n.id.0 as usize).copied().unwrap_or_default();
            if let Some(g) = n.group.map(|g| &topo.groups[g]) {
                if !g.expanded {
                    let replicas: Vec<Live> = g.members.iter().map(|m| live.get(m.0 as usize).copied().unwrap_or_default()).collect();
                    return html! {
                        <StackView key={n.id.0} id={n.id} name={AttrValue::from(g.name.clone())}
                                   x={n.x} y={n.y} w={n.w} {replicas}
                                   selected={props.replicas && props.node == Some(n.id)} />
                    };
                }
            }
            html! {
                <NodeView key={n.id.0} id={n.id} kind={n.kind} name={fixed.names[n.id.0 as usize].clone()}
                          x={n.x} y={n.y} w={n.w} live={l} selected={!props.replicas && props.node == Some(n.id)}
                          found={*found == Some((run.id, n.id))} />
            }
        })
        .collect();

    // An expanded service: a frame around its replicas, with the button that stacks them again.
    let frames: Vec<Html> =
        topo.groups
            .iter()
            .filter(|g| g.expanded)
            .filter_map(|g| {
                let ns = g
                    .members
                    .iter()
                    .filter_map(|m| topo.nodes.get(m.0 as usize));
                let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
                for n in ns {
                    x0 = x0.min(n.x - n.w / 2.0);
                    x1 = x1.max(n.x + n.w / 2.0);
                    y0 = y0.min(n.y - NODE_H / 2.0);
                    y1 = y1.max(n.y + NODE_H / 2.0);
                }
                (x0 <= x1 && view.hits(x0, y0, x1, y1)).then(|| html! {
                <GroupFrame name={AttrValue::from(g.name.clone())} count={g.members.len()}
                            x={x0 - 8.0} y={y0 - 8.0} w={x1 - x0 + 16.0} h={y1 - y0 + 16.0} />
            })
            })
            .collect();

    let flights = sim.in_flight();
    let dots = overlay::dots(sim, topo, &flights, big.then_some(&view));

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
                    <span>{ "Message log filtered to " }<strong>{
                        match run.group_of(n).filter(|_| props.replicas) {
                            Some((name, m)) => format!("{name} (all {} replicas)", m.len()),
                            None => run.node_name(n).to_string(),
                        }
                    }</strong></span>
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
                    <g class="frames">{ frames }</g>
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
