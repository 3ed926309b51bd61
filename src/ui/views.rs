//! The tabbed view area: Topology, Message log, Timeline and Metrics, each a projection of the
//! run's trace; and the empty state they share.

use yew::prelude::*;

use super::context::use_shared;
use super::log::LogView;
use super::metrics::MetricsView;
use super::state::{Action, Clock, LogFilter, Tab};
use super::timeline::TimelineView;
use super::topology::TopologyView;
use crate::sim::RecordId;

#[derive(Properties, PartialEq)]
pub struct ViewAreaProps {
    pub tab: Tab,
    pub clock: Clock,
    pub playing: bool,
    pub selected: Option<RecordId>,
    pub filter: LogFilter,
    /// Replicated services drawn replica by replica.
    pub expanded: std::rc::Rc<std::collections::BTreeSet<String>>,
    /// Show the tab strip (an embed shows one view, without tabs).
    #[prop_or(true)]
    pub tabs: bool,
}

#[function_component]
pub fn ViewArea(props: &ViewAreaProps) -> Html {
    let shared = use_shared();
    let tabs = Tab::ALL.iter().map(|&tab| {
        let dispatch = shared.dispatch.clone();
        let onclick = Callback::from(move |_| dispatch.dispatch(Action::SelectTab(tab)));
        let selected = tab == props.tab;
        html! {
            <button
                role="tab"
                id={format!("tab-{}", tab.slug())}
                class={classes!("tab", selected.then_some("selected"))}
                aria-selected={selected.to_string()}
                aria-controls={format!("view-{}", tab.slug())}
                {onclick}
            >{ tab.label() }</button>
        }
    });

    let body = if !props.clock.built {
        empty_state("Starting…", "Building the run.")
    } else {
        let clock = props.clock;
        match props.tab {
            Tab::Topology => html! {
                <TopologyView {clock} node={props.filter.node} replicas={props.filter.replicas}
                              expanded={props.expanded.clone()} selected={props.selected} />
            },
            Tab::Log => html! {
                <LogView {clock} filter={props.filter.clone()} selected={props.selected} playing={props.playing} />
            },
            Tab::Timeline => html! {
                <TimelineView {clock} playing={props.playing} selected={props.selected} />
            },
            Tab::Metrics => html! { <MetricsView {clock} /> },
        }
    };

    html! {
        <section class="pane view-pane" aria-label="Views">
            if props.tabs {
                <div class="tabs" role="tablist">{ for tabs }</div>
            }
            <div class="view" role="tabpanel" id={format!("view-{}", props.tab.slug())}
                 aria-labelledby={format!("tab-{}", props.tab.slug())}>
                { body }
            </div>
        </section>
    }
}

/// A centred message for a view with nothing to show yet.
pub fn empty_state(title: &str, body: &str) -> Html {
    html! {
        <div class="empty-state" data-testid="empty-state">
            <div class="empty-art" aria-hidden="true">
                <span class="node n1"></span><span class="node n2"></span><span class="node n3"></span>
            </div>
            <h3>{ title }</h3>
            <p>{ body }</p>
        </div>
    }
}
