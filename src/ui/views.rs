//! The tabbed view area: Topology, Message log, Timeline and Metrics, each a projection of the trace.

use yew::prelude::*;

use super::state::{Action, State, Tab};

#[derive(Properties, PartialEq)]
pub struct ViewAreaProps {
    pub tab: Tab,
    pub dispatch: UseReducerDispatcher<State>,
}

#[function_component]
pub fn ViewArea(props: &ViewAreaProps) -> Html {
    let tabs = Tab::ALL.iter().map(|&tab| {
        let dispatch = props.dispatch.clone();
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

    html! {
        <section class="pane view-pane" aria-label="Views">
            <div class="tabs" role="tablist">{ for tabs }</div>
            <div class="view" role="tabpanel" id={format!("view-{}", props.tab.slug())}
                 aria-labelledby={format!("tab-{}", props.tab.slug())}>
                { empty_state(props.tab) }
            </div>
        </section>
    }
}

fn empty_state(tab: Tab) -> Html {
    let (title, body) = match tab {
        Tab::Topology => (
            "No run yet",
            "Services, queues and topics appear here as a graph, with messages moving along its edges.",
        ),
        Tab::Log => (
            "No messages yet",
            "Every message appears here: time, from → to, mechanism, outcome and latency.",
        ),
        Tab::Timeline => (
            "Nothing on the timeline",
            "One lane per service, queue and topic; each message an arrow from send to receive.",
        ),
        Tab::Metrics => (
            "No metrics yet",
            "Throughput, error rate and p50/p95/p99 latency per endpoint, and queue depth over time.",
        ),
    };
    html! {
        <div class="empty-state">
            <div class="empty-art" aria-hidden="true">
                <span class="node n1"></span><span class="node n2"></span><span class="node n3"></span>
            </div>
            <h3>{ title }</h3>
            <p>{ body }</p>
        </div>
    }
}
