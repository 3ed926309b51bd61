//! Topology view: services, queues, topics, subscriptions and clients as an SVG graph laid out by
//! `topology_layout`; edges styled by mechanism; messages in flight as dots moving along the edges
//! in simulated time; badges for queue depth, busy workers, breaker state, crashed and partitioned
//! nodes. Clicking (or Enter on) a node filters the message log to it.

use yew::prelude::*;

use super::dom::Listener;
use super::run::RunHandle;
use super::state::{Action, Clock, State, Tab};
use super::topology_layout::{EdgeKind, TopoNode, NODE_H, NODE_W};
use crate::sim::{BreakerState, Kind, NodeId, NodeKind, RecordId};

/// Most dots drawn at once; more would only be an unreadable smear.
const MAX_DOTS: usize = 400;

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub run: RunHandle,
    pub clock: Clock,
    /// The node the log is filtered to, if any.
    pub node: Option<NodeId>,
    /// The record selected in the log or the timeline: its path is highlighted.
    pub selected: Option<RecordId>,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Live numbers shown on one node.
#[derive(Default, Clone, Copy)]
struct Live {
    busy: u32,
    workers: u32,
    backlog: u32,
    depth: u32,
    unacked: u32,
    crashed: bool,
    partitioned: bool,
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

fn mech_class(kind: Kind, pubsub: bool) -> &'static str {
    match kind {
        Kind::RestRequest | Kind::RestResponse => "mech-rest",
        Kind::RpcRequest | Kind::RpcResponse => "mech-rpc",
        _ if pubsub => "mech-pubsub",
        _ => "mech-queue",
    }
}

#[function_component]
pub fn TopologyView(props: &TopologyProps) -> Html {
    // The orientation follows the window width, also while paused.
    let redraw = use_force_update();
    use_effect_with((), move |_| {
        let l = Listener::on_window("resize", move |_| redraw.force_update());
        move || drop(l)
    });
    let scroller = use_node_ref();
    {
        let scroller = scroller.clone();
        use_effect(move || {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                super::dom::apply_css(&el);
            }
        });
    }
    let cell = props.run.0.borrow();
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
    let is_sub = |n: NodeId| {
        topo.nodes
            .get(n.0 as usize)
            .is_some_and(|x| x.kind == NodeKind::Subscription || x.kind == NodeKind::Topic)
    };

    let hot = props
        .selected
        .and_then(|id| sim.trace().get(id))
        .map(|r| (r.from, r.to));
    let edges = topo.edges.iter().map(|e| {
        let is_hot = hot.is_some_and(|(a, b)| (e.from, e.to) == (a, b) || (e.from, e.to) == (b, a));
        let c = topo.curve(e);
        let d = format!(
            "M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
            c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
        );
        let cut = sim.is_partitioned(e.from, e.to);
        let marker = match e.kind {
            EdgeKind::Rest => "url(#arrow-rest)",
            EdgeKind::Rpc => "url(#arrow-rpc)",
            EdgeKind::Queue => "url(#arrow-queue)",
            EdgeKind::PubSub => "url(#arrow-pubsub)",
            EdgeKind::DeadLetter => "url(#arrow-dlq)",
        };
        let title = format!(
            "{} → {}{}{}",
            run.node_name(e.from),
            run.node_name(e.to),
            if e.label.is_empty() { "" } else { ": " },
            e.label
        );
        html! {
            <g class={classes!(cut.then_some("cut"), is_hot.then_some("hot"))}>
                <path class={e.kind.class()} d={d} marker-end={marker}><title>{ title }</title></path>
            </g>
        }
    });

    // Breakers and partitions sit on the middle of their edge.
    let mut edge_badges: Vec<Html> = Vec::new();
    for b in sim.breakers() {
        if let Some(e) = topo.edges.iter().find(|e| e.from == b.from && e.to == b.to) {
            // Above the gap between the two nodes, clear of both.
            let (mut x, mut y) = super::topology_layout::bezier(&topo.curve(e), 0.5);
            if topo.vertical {
                x += 36.0;
            } else if !e.back {
                let (a, b) = (&topo.nodes[e.from.0 as usize], &topo.nodes[e.to.0 as usize]);
                y = a.y.min(b.y) - NODE_H / 2.0 - 6.0;
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
    for e in topo
        .edges
        .iter()
        .filter(|e| sim.is_partitioned(e.from, e.to))
    {
        let (x, y) = super::topology_layout::bezier(&topo.curve(e), 0.5);
        edge_badges.push(html! {
            <g class="cut-mark" transform={format!("translate({:.1},{:.1})", x, y)}>
                <circle r="9" />
                <path d="M-4 -4L4 4M4 -4L-4 4" />
                <title>{ "partitioned: messages on this path are lost" }</title>
            </g>
        });
    }

    let nodes = topo.nodes.iter().map(|n| {
        let l = live.get(n.id.0 as usize).copied().unwrap_or_default();
        node_html(n, l, props.node == Some(n.id), &props.dispatch)
    });

    let flights = sim.in_flight();
    let dots = flights.iter().take(MAX_DOTS).filter_map(|m| {
        let span = (m.arrives.0.saturating_sub(m.sent.0)).max(1) as f64;
        let f = now.0.saturating_sub(m.sent.0) as f64 / span;
        let (x, y) = topo.along(m.from, m.to, f)?;
        let pubsub = is_sub(m.from) || is_sub(m.to);
        let cls = classes!(
            "dot",
            mech_class(m.kind, pubsub),
            m.doomed.is_some().then_some("doomed")
        );
        Some(html! { <circle class={cls} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="5" /> })
    });

    let clear = {
        let d = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::FilterNode(None)))
    };
    let show_log = {
        let d = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SelectTab(Tab::Log)))
    };

    html! {
        <div class="topology" data-testid="topology">
            <div class="view-bar">
                <div class="legend" aria-label="Legend">
                    <span class="key mech-rest">{ "REST" }</span>
                    <span class="key mech-rpc">{ "RPC" }</span>
                    <span class="key mech-queue">{ "Queue" }</span>
                    <span class="key mech-pubsub">{ "Pub/Sub" }</span>
                    <span class="key dead-letter">{ "Dead letters" }</span>
                </div>
                <span class="spacer"></span>
                <span class="muted small" data-testid="in-flight" data-count={flights.len().to_string()}>
                    { format!("{} in flight", flights.len()) }
                </span>
            </div>
            if let Some(n) = props.node {
                <div class="banner" role="status">
                    <span>{ "Message log filtered to " }<strong>{ run.node_name(n) }</strong></span>
                    <button class="btn small" onclick={show_log}>{ "Show log" }</button>
                    <button class="btn small" onclick={clear}>{ "Clear filter" }</button>
                </div>
            }
            <div class="topo-scroll" ref={scroller}>
                <svg class="topo" viewBox={format!("0 0 {:.0} {:.0}", topo.width, topo.height)}
                     data-css={format!(
                         "min-width:{:.0}px;max-width:{:.0}px;max-height:{:.0}px",
                         if narrow { 0.0 } else { topo.width * 0.62 }, topo.width * 1.2, topo.height * 1.2
                     )}
                     role="group" aria-label="Topology: click a node to filter the message log">
                    <defs>
                        { for [("rest", "mech-rest"), ("rpc", "mech-rpc"), ("queue", "mech-queue"), ("pubsub", "mech-pubsub"), ("dlq", "dead-letter")].iter().map(|(id, cls)| html! {
                            <marker id={format!("arrow-{id}")} viewBox="0 0 10 10" refX="9" refY="5"
                                    markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                                <path class={classes!("arrowhead", *cls)} d="M0 1L10 5L0 9z" />
                            </marker>
                        }) }
                    </defs>
                    <g class="edges">{ for edges }</g>
                    <g class="nodes">{ for nodes }</g>
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

fn node_html(
    n: &TopoNode,
    l: Live,
    selected: bool,
    dispatch: &UseReducerDispatcher<State>,
) -> Html {
    let (kind_class, caption) = match n.kind {
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
    let label = match n.kind {
        NodeKind::Subscription => n.name.rsplit('/').next().unwrap_or(&n.name).to_string(),
        _ => n.name.clone(),
    };
    let id = n.id;
    let onclick = {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::FilterNode(if selected { None } else { Some(id) }))
        })
    };
    let onkeydown = {
        let d = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                d.dispatch(Action::FilterNode(if selected { None } else { Some(id) }));
            }
        })
    };
    let has_depth = matches!(n.kind, NodeKind::Queue | NodeKind::Subscription);
    let (w, h) = (NODE_W, NODE_H);
    html! {
        <g class={classes!("node", kind_class, l.crashed.then_some("crashed"), l.partitioned.then_some("partitioned"), selected.then_some("selected"))}
           transform={format!("translate({:.1},{:.1})", n.x - w / 2.0, n.y - h / 2.0)}
           tabindex="0" role="button" aria-pressed={selected.to_string()}
           aria-label={format!("{} {}: filter the log to it", kind_class, n.name)}
           data-node={n.name.clone()}
           {onclick} {onkeydown}>
            <title>{ &n.name }</title>
            <rect class="body" width={w.to_string()} height={h.to_string()} rx={if n.kind == NodeKind::Topic { "22" } else { "8" }} />
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
    use super::{compact, truncate};

    #[test]
    fn badges_and_labels_stay_short() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(250_000), "250k");
        assert_eq!(truncate("payments", 17), "payments");
        assert_eq!(truncate("a-very-long-service-name", 10), "a-very-lo…");
    }
}
