//! The graph's SVG markup: an edge and a node as components of their own (re-rendered only when
//! their props change), the node's badges (queue depth, crashed, partitioned), and the text made
//! once per run (`Fixed`: edge paths, titles, names).

use yew::prelude::*;

use super::super::context::use_shared;
use super::super::run::Run;
use super::super::state::Action;
use super::super::topology_layout::{Topology, NODE_H, NODE_W};
use crate::sim::{NodeId, NodeKind};

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
}

/// What stays the same for a whole run in one orientation: edge paths and titles and node names,
/// made once rather than formatted again on every frame.
pub struct Fixed {
    pub run_id: u32,
    pub vertical: bool,
    pub paths: Vec<AttrValue>,
    pub titles: Vec<AttrValue>,
    pub names: Vec<AttrValue>,
}

impl Fixed {
    pub fn new(run: &Run, topo: &Topology) -> Fixed {
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

#[derive(Properties, PartialEq)]
pub struct EdgeProps {
    pub d: AttrValue,
    pub title: AttrValue,
    pub class: &'static str,
    pub marker: &'static str,
    pub cut: bool,
    pub hot: bool,
}

/// One edge; re-rendered only when it is cut or highlighted or its run changes.
#[function_component]
pub fn EdgeView(p: &EdgeProps) -> Html {
    html! {
        <g class={classes!(p.cut.then_some("cut"), p.hot.then_some("hot"))}>
            <path class={p.class} d={p.d.clone()} marker-end={p.marker}><title>{ p.title.clone() }</title></path>
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
        <g class={classes!("node", kind_class, l.crashed.then_some("crashed"), l.partitioned.then_some("partitioned"), l.ejected.then_some("ejected"), selected.then_some("selected"), p.found.then_some("found"))}
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

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
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
