//! The page: header with toolbar, the scenario editor pane and the tabbed view area.

use yew::prelude::*;

use super::editor::Editor;
use super::state::State;
use super::toolbar::Toolbar;
use super::views::ViewArea;

/// Shown until the built-in gallery provides the default scenario.
const STARTER_SCENARIO: &str = r#"scenario "checkout" seed 42 duration 60s
network latency 2ms..8ms loss 0.1%

service gateway  workers 16
service orders   workers 4  time 20ms±5ms
service payments workers 2  time exp(40ms)

queue payments-q capacity 1000 visibility 5s max-attempts 3 dlq payments-dlq
topic order-events

client web rate 20/s poisson -> gateway POST /checkout

gateway POST /checkout:
  call orders.CreateOrder timeout 300ms retries 2 backoff 50ms
  reply 201

orders rpc CreateOrder:
  work
  publish order-events OrderCreated
  enqueue payments-q Charge
  reply OK
"#;

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State::new(STARTER_SCENARIO.to_string()));
    let dispatch = state.dispatcher();

    html! {
        <div class="app" data-testid="app">
            <header class="topbar">
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                        <rect width="32" height="32" rx="7" />
                        <path d="M9 10h8M9 22h8M17 10c4 0 4 12 8 12M17 22c4 0 4-12 8-12" />
                    </svg>
                    <span class="brand-name">{ "Switchboard" }</span>
                </div>
                <Toolbar speed={state.speed} seed={state.seed} dispatch={dispatch.clone()} />
            </header>
            <main class="workspace">
                <Editor text={state.draft.clone()} dispatch={dispatch.clone()} />
                <ViewArea tab={state.tab} dispatch={dispatch} />
            </main>
            <footer class="statusbar">
                <span class="status-dot idle" aria-hidden="true"></span>
                <span>{ "Ready" }</span>
                <span class="spacer"></span>
                <span class="muted">{ "Everything runs in this tab. Nothing is uploaded." }</span>
            </footer>
        </div>
    }
}

