//! The graph's SVG markup: an edge and a node as components of their own (re-rendered only when
//! their props change), the node's badges (queue depth, crashed, partitioned), and the text made
//! once per run (`Fixed`: edge paths, titles, names).

use yew::prelude::*;

use super::super::context::use_shared;
use super::super::run::Run;
use super::super::state::Action;
use super::super::topology_layout::{fits, label, EdgeKind, Topology, NODE_H};
use super::health::Health;
use crate::sim::{NodeId, NodeKind};
use std::collections::BTreeSet;
use std::rc::Rc;

/// Live numbers shown on one node.
#[derive(Default, Clone, Copy, PartialEq)]
pub struct Live {
    pub busy: u32,
    pub workers: u32,
    pub backlog: u32,
    pub depth: u32,
    pub unacked: u32,
    pub crashed: bool,
    pub partitioned: bool,
    /// A replica its load balancer has taken out of rotation.
    pub ejected: bool,
    /// The share of its recent replies that were errors (services).
    pub health: Health,
}

/// What stays the same for a whole run in one orientation: edge paths and titles and node names,
/// made once rather than formatted again on every frame.
pub struct Fixed {
    pub run_id: u32,
    pub vertical: bool,
    pub expanded: Rc<BTreeSet<String>>,
    pub paths: Vec<AttrValue>,
    pub titles: Vec<AttrValue>,
    pub names: Vec<AttrValue>,
    /// Per call site (metrics index), the REST or RPC edge its calls travel, if one is drawn
    /// for it alone (not a replicated callee drawn replica by replica: its calls are spread
    /// over several edges the site's counts cannot split).
    pub call_edges: Vec<Option<usize>>,
}

impl Fixed {
    pub fn new(run: &Run, topo: &Topology, expanded: Rc<BTreeSet<String>>) -> Fixed {
        // A stacked node is named for its service.
        let end = |n: NodeId| match topo.nodes[n.0 as usize].group.map(|g| &topo.groups[g]) {
            Some(g) if !g.expanded => g.name.clone(),
            _ => run.node_name(n).to_string(),
        };
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
                    end(e.from),
                    end(e.to),
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
        let call_edge: std::collections::BTreeMap<(NodeId, NodeId), usize> = topo
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e.kind, EdgeKind::Rest | EdgeKind::Rpc))
            .map(|(i, e)| ((e.from, e.to), i))
            .collect();
        let spread = |n: NodeId| {
            topo.nodes
                .get(n.0 as usize)
                .and_then(|n| n.group)
                .is_some_and(|g| topo.groups[g].expanded)
        };
        let call_edges = (0..run.sim.metrics().calls.len())
            .map(|i| {
                let (from, to, replicated) = run.sim.call_site_nodes(i)?;
                if replicated && spread(to) {
                    return None;
                }
                call_edge.get(&(topo.drawn(from), topo.drawn(to))).copied()
            })
            .collect();
        Fixed {
            run_id: run.id,
            vertical: topo.vertical,
            expanded,
            paths,
            titles,
            names,
            call_edges,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EdgeProps {
    pub d: AttrValue,
    pub title: AttrValue,
    pub class: &'static str,
    pub marker: &'static str,
    pub cut: bool,
    pub hot: bool,
    /// The recent share of failed calls along it (REST and RPC edges).
    #[prop_or_default]
    pub health: Health,
}

/// One edge; re-rendered only when it is cut, highlighted, its health or its run changes.
#[function_component]
pub fn EdgeView(p: &EdgeProps) -> Html {
    let (class, title) = match p.health {
        Health::Fine => (None, p.title.clone()),
        h => (
            Some(if matches!(h, Health::Failing(_)) {
                "failing"
            } else {
                "erring"
            }),
            AttrValue::from(format!(
                "{} · {}% of its calls failed in the last 5 s",
                p.title,
                h.pct().unwrap_or(0)
            )),
        ),
    };
    // A failing edge's arrowhead turns red with it (the dead-letter marker is the red one).
    let marker = if class == Some("failing") && !p.marker.is_empty() {
        "url(#arrow-dlq)"
    } else {
        p.marker
    };
    html! {
        <g class={classes!(p.cut.then_some("cut"), p.hot.then_some("hot"), class)}
           data-health={class}>
            <path class={p.class} d={p.d.clone()} marker-end={marker}><title>{ title }</title></path>
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct NodeProps {
    pub id: NodeId,
    pub kind: NodeKind,
    pub name: AttrValue,
    /// Centre.
    pub x: f64,
    pub y: f64,
    /// Width of its box.
    pub w: f64,
    pub live: Live,
    pub selected: bool,
    /// Found by name: highlighted.
    pub found: bool,
}

/// One node; Yew re-renders it only when its numbers or selection change, so a frame of a big
/// graph touches the few nodes that are busy rather than all of them.
#[function_component]
pub fn NodeView(p: &NodeProps) -> Html {
    let shared = use_shared();
    let l = p.live;
    let selected = p.selected;
    let (kind_class, caption) = match p.kind {
        NodeKind::Service => (
            "service",
            if l.crashed {
                "down".to_string()
            } else {
                service_caption(l, p.w)
            },
        ),
        NodeKind::Queue => ("queue", format!("queue · {} unacked", l.unacked)),
        NodeKind::Topic => ("topic", "topic".to_string()),
        NodeKind::Subscription => ("subscription", format!("sub · {} unacked", l.unacked)),
        NodeKind::Client => ("client", "client".to_string()),
    };
    let name: &str = &p.name;
    let label = label(p.kind, name);
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
    let (w, h) = (p.w, NODE_H);
    html! {
        <g class={classes!("node", kind_class, health_class(l), l.crashed.then_some("crashed"), l.partitioned.then_some("partitioned"), l.ejected.then_some("ejected"), selected.then_some("selected"), p.found.then_some("found"))}
           transform={format!("translate({:.1},{:.1})", p.x - w / 2.0, p.y - h / 2.0)}
           tabindex="0" role="button" aria-pressed={selected.to_string()}
           aria-label={format!("{} {}: filter the log to it", kind_class, name)}
           data-node={p.name.clone()}
           {onclick} {onkeydown}>
            <title>{ p.name.clone() }</title>
            <rect class="body" width={w.to_string()} height={h.to_string()} rx={if p.kind == NodeKind::Topic { "22" } else { "8" }} />
            <text class="name" x={(w / 2.0).to_string()} y="19" text-anchor="middle">{ truncate(label, fits(w, 0.0)) }</text>
            <text class="caption" x={(w / 2.0).to_string()} y="34" text-anchor="middle">{ caption }</text>
            if has_depth {
                <g class={classes!("badge", "depth", (l.depth >= 100).then_some("high"))}
                   transform={format!("translate({:.1},0)", w - 4.0)} data-testid="depth-badge">
                    <rect x="-18" y="-9" width="36" height="18" rx="9" />
                    <text text-anchor="middle" y="4">{ compact(l.depth) }</text>
                    <title>{ format!("{} messages waiting", l.depth) }</title>
                </g>
            }
            if let (Some(pct), false) = (l.health.pct(), l.crashed) {
                <g class={classes!("badge", "errors", matches!(l.health, Health::Failing(_)).then_some("high"))}
                   transform={format!("translate({:.1},0)", w - 4.0)} data-testid="error-badge">
                    <rect x="-74" y="-9" width="74" height="18" rx="9" />
                    <text x="-37" y="4" text-anchor="middle">{ format!("{pct}% errors") }</text>
                    <title>{ format!("{pct}% of its replies in the last 5 s of the run were errors") }</title>
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
            } else if l.ejected {
                <g class="badge ejected" transform="translate(4,0)" data-testid="ejected-badge">
                    <rect x="0" y="-9" width="58" height="18" rx="9" />
                    <text x="29" y="4" text-anchor="middle">{ "ejected" }</text>
                    <title>{ "taken out of its load balancer's rotation (outlier ejection)" }</title>
                </g>
            }
        </g>
    }
}

/// The node's class for its health: `failing` or `erring` by its recent error share, else
/// `saturated` when every worker is busy and requests wait.
fn health_class(l: Live) -> Option<&'static str> {
    match l.health {
        Health::Failing(_) => Some("failing"),
        Health::Erring(_) => Some("erring"),
        Health::Fine if l.workers > 0 && l.busy >= l.workers && l.backlog > 0 => Some("saturated"),
        Health::Fine => None,
    }
}

#[derive(Properties, PartialEq)]
pub struct StackProps {
    /// The first replica's node, which stands for the service.
    pub id: NodeId,
    /// The service's name.
    pub name: AttrValue,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    /// Each replica's live numbers, in order.
    pub replicas: Vec<Live>,
    pub selected: bool,
}

/// A replicated service drawn as one node: a card with two cards behind it, its name and replica
/// count, a strip with one pill per replica (busy, waiting, ejected, crashed), and a button that
/// expands it into its replicas. Clicking it filters the log to all its replicas.
#[function_component]
pub fn StackView(p: &StackProps) -> Html {
    let shared = use_shared();
    let (id, selected, w, h) = (p.id, p.selected, p.w, NODE_H);
    let filter = {
        let d = shared.dispatch.clone();
        move || {
            d.dispatch(if selected {
                Action::FilterNode(None)
            } else {
                Action::FilterReplicas(id)
            })
        }
    };
    let onclick = {
        let f = filter.clone();
        Callback::from(move |_: MouseEvent| f())
    };
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            filter();
        }
    });
    let n = p.replicas.len();
    let count = format!("×{n}");
    let name_room = fits(w, 30.0 + (count.len() as f64) * 7.8);
    let (busy, workers, waiting) = p.replicas.iter().fold((0, 0, 0), |a, l| {
        (a.0 + l.busy, a.1 + l.workers, a.2 + l.backlog)
    });
    let down = p.replicas.iter().filter(|l| l.crashed).count();
    // The stack looks as its worst replica does.
    let worst = p
        .replicas
        .iter()
        .copied()
        .max_by_key(|l| match l.health {
            Health::Failing(p) => 200 + u32::from(p),
            Health::Erring(p) => 100 + u32::from(p),
            Health::Fine => u32::from(l.busy >= l.workers && l.backlog > 0),
        })
        .unwrap_or_default();
    let ejected = p.replicas.iter().filter(|l| l.ejected).count();
    let mut state = format!("{busy}/{workers} busy");
    if waiting > 0 {
        state.push_str(&format!(" · {waiting} waiting"));
    }
    if down > 0 {
        state.push_str(&format!(" · {down} crashed"));
    }
    if ejected > 0 {
        state.push_str(&format!(" · {ejected} ejected"));
    }
    // The strip: one pill per replica, centred under the name.
    let pill = ((w - 24.0) / n.max(1) as f64 - 3.0).clamp(4.0, 16.0);
    let strip_w = n as f64 * (pill + 3.0) - 3.0;
    let x0 = (w - strip_w) / 2.0;
    let name = p.name.clone();
    let toggle = {
        let d = shared.dispatch.clone();
        let name = name.to_string();
        move || d.dispatch(Action::ToggleReplicas(name.clone()))
    };
    let on_expand = {
        let t = toggle.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            t()
        })
    };
    let on_expand_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            toggle();
        }
    });
    let (tx, ty) = (p.x - w / 2.0, p.y - h / 2.0);
    html! {
        <g class="stack-wrap">
            <g class={classes!("node", "service", "stack", health_class(worst), (down == n && n > 0).then_some("crashed"), selected.then_some("selected"))}
               transform={format!("translate({tx:.1},{ty:.1})")}
               tabindex="0" role="button" aria-pressed={selected.to_string()}
               aria-label={format!("service {name}, {n} replicas: filter the log to all of them")}
               data-node={name.clone()} data-stack={n.to_string()}
               {onclick} {onkeydown}>
                <title>{ format!("{name}: {n} replicas behind a load balancer ({state})") }</title>
                <rect class="shadow" x="8" y="-8" width={w.to_string()} height={h.to_string()} rx="8" />
                <rect class="shadow" x="4" y="-4" width={w.to_string()} height={h.to_string()} rx="8" />
                <rect class="body" width={w.to_string()} height={h.to_string()} rx="8" />
                <text class="name" x="10" y="18">
                    { truncate(&name, name_room) }
                    <tspan class="count" dx="5">{ count }</tspan>
                </text>
                <g class="replicas" data-testid="replica-strip">
                    { for p.replicas.iter().enumerate().map(|(i, l)| {
                        let cls = if l.crashed { "down" } else if l.ejected { "ejected" }
                            else if matches!(l.health, Health::Failing(_)) { "failing" }
                            else if l.backlog > 0 { "waiting" } else if l.busy > 0 { "busy" } else { "idle" };
                        html! {
                            <rect class={classes!("pill", cls)} x={format!("{:.1}", x0 + i as f64 * (pill + 3.0))} y="27"
                                  width={format!("{pill:.1}")} height="9" rx="3">
                                <title>{ format!("{name}#{}: {}", i + 1, match cls {
                                    "down" => "crashed".to_string(),
                                    "ejected" => "ejected by its load balancer".to_string(),
                                    "failing" => format!("{}% errors lately · {}/{} busy · {} waiting",
                                        l.health.pct().unwrap_or(0), l.busy, l.workers, l.backlog),
                                    _ => format!("{}/{} busy · {} waiting", l.busy, l.workers, l.backlog),
                                }) }</title>
                            </rect>
                        }
                    }) }
                </g>
            </g>
            <g class="expand" role="button" tabindex="0" aria-expanded="false" data-testid="expand-replicas"
               aria-label={format!("Show the {n} replicas of {name}")}
               transform={format!("translate({:.1},{:.1})", tx + w - 13.0, ty + 13.0)}
               onclick={on_expand} onkeydown={on_expand_key}>
                <title>{ format!("Show {name}'s {n} replicas one by one") }</title>
                <rect x="-9" y="-9" width="18" height="18" rx="4" />
                <path d="M-4 0H4M0 -4V4" />
            </g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct FrameProps {
    pub name: AttrValue,
    pub count: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The frame around an expanded service's replicas, with the button that stacks them again.
#[function_component]
pub fn GroupFrame(p: &FrameProps) -> Html {
    let shared = use_shared();
    let toggle = {
        let d = shared.dispatch.clone();
        let name = p.name.to_string();
        move || d.dispatch(Action::ToggleReplicas(name.clone()))
    };
    let onclick = {
        let t = toggle.clone();
        Callback::from(move |_: MouseEvent| t())
    };
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            toggle();
        }
    });
    let name = p.name.clone();
    html! {
        <g class="group-frame" data-group={name.clone()}
           transform={format!("translate({:.1},{:.1})", p.x, p.y)}>
            <rect width={format!("{:.1}", p.w)} height={format!("{:.1}", p.h)} rx="12" />
            <g class="expand" role="button" tabindex="0" aria-expanded="true" data-testid="collapse-replicas"
               aria-label={format!("Stack the {} replicas of {name} into one node", p.count)}
               transform={format!("translate({:.1},0)", p.w - 14.0)} {onclick} {onkeydown}>
                <title>{ format!("Draw {name} as one node again") }</title>
                <rect x="-9" y="-9" width="18" height="18" rx="4" />
                <path d="M-4 0H4" />
            </g>
        </g>
    }
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

/// A service's busy workers and waiting requests, in words that fit a box `w` wide (about 6 px
/// a character at the caption's size): `4/4 busy · 400 waiting`, else `4/4 · 400 waiting`,
/// else `4/4 · 400 wait`, else `400 waiting` (the backlog matters most then).
fn service_caption(l: Live, w: f64) -> String {
    let room = ((w - 12.0) / 6.0).max(0.0) as usize;
    let (busy, workers) = (compact(l.busy), compact(l.workers));
    if l.backlog == 0 {
        return format!("{busy}/{workers} busy");
    }
    let waiting = compact(l.backlog);
    [
        format!("{busy}/{workers} busy · {waiting} waiting"),
        format!("{busy}/{workers} · {waiting} waiting"),
        format!("{busy}/{workers} · {waiting} wait"),
    ]
    .into_iter()
    .find(|c| c.chars().count() <= room)
    .unwrap_or_else(|| format!("{waiting} waiting"))
}

/// `1234` → `1.2k`, to fit a badge.
fn compact(n: u32) -> String {
    if n < 1_000 {
        n.to_string()
    } else if n < 100_000 {
        format!("{}.{}k", n / 1_000, (n % 1_000) / 100)
    } else if n < 1_000_000 {
        format!("{}k", n / 1_000)
    } else {
        format!("{}.{}M", n / 1_000_000, (n % 1_000_000) / 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::{compact, service_caption, truncate, Live};

    #[test]
    fn badges_and_labels_stay_short() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(250_000), "250k");
        assert_eq!(compact(4_000_000), "4.0M");
        assert_eq!(truncate("payments", 17), "payments");
        assert_eq!(truncate("a-very-long-service-name", 10), "a-very-lo…");
    }

    #[test]
    fn a_service_caption_fits_its_box() {
        let l = |busy, workers, backlog| Live {
            busy,
            workers,
            backlog,
            ..Live::default()
        };
        assert_eq!(service_caption(l(2, 4, 0), 124.0), "2/4 busy");
        assert_eq!(service_caption(l(4, 4, 12), 200.0), "4/4 busy · 12 waiting");
        assert_eq!(service_caption(l(4, 4, 400), 124.0), "4/4 · 400 waiting");
        assert_eq!(
            service_caption(l(16, 16, 12_345), 124.0),
            "16/16 · 12.3k wait"
        );
        for (b, w, q) in [(4, 4, 400), (64, 64, 99_999), (1_000, 1_000, 4_000_000)] {
            let c = service_caption(l(b, w, q), 124.0);
            assert!(
                c.chars().count() * 6 <= 124,
                "{c} is too long for the narrowest box"
            );
        }
    }
}
