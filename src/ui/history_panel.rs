//! The header's History button and its panel: the user's earlier scenarios in this browser
//! (`history::History`, read from storage when the panel opens), newest first, each with its
//! name, kind and age, restored with one click. The panel is its own component, rendered only
//! while open, so its code stays out of the first render.

use yew::prelude::*;

use super::drafts;
use super::history::{self, Entry, Kind};

#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    /// Whether this popover is the open one, and how to open (true) or close (false) it.
    pub open: bool,
    pub on_open: Callback<bool>,
    /// Put this text in the editor and run it.
    pub on_restore: Callback<String>,
}

#[function_component]
pub fn HistoryButton(props: &HistoryProps) -> Html {
    let on_toggle = {
        let (on_open, open) = (props.on_open.clone(), props.open);
        Callback::from(move |_: MouseEvent| on_open.emit(!open))
    };
    html! {
        <div class="share">
            <button class="btn" data-testid="history" title="Your earlier scenarios in this browser"
                    aria-expanded={props.open.to_string()} onclick={on_toggle}>
                <svg class="stroke" viewBox="0 0 16 16" aria-hidden="true"><path d="M2.5 8a5.5 5.5 0 1 0 1.6-3.9M2.5 2.5v2.5H5M8 5v3.2l2.2 1.4" /></svg>
                <span>{ "History" }</span>
            </button>
            if props.open {
                <HistoryPanel on_open={props.on_open.clone()} on_restore={props.on_restore.clone()} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    on_open: Callback<bool>,
    on_restore: Callback<String>,
}

#[function_component]
fn HistoryPanel(props: &PanelProps) -> Html {
    // Read once per opening: other tabs may have added entries since the last one.
    let stored = use_memo((), |_| drafts::load_history());
    let now = js_sys::Date::now();
    let close = {
        let on_open = props.on_open.clone();
        Callback::from(move |_: MouseEvent| on_open.emit(false))
    };
    let item = |e: &Entry| {
        let onclick = {
            let (text, on_restore, on_open) = (
                e.text.clone(),
                props.on_restore.clone(),
                props.on_open.clone(),
            );
            Callback::from(move |_: MouseEvent| {
                on_restore.emit(text.clone());
                on_open.emit(false);
            })
        };
        let kind = match e.kind {
            Kind::Draft if drafts::is_this_page(&e.id) => "draft in this tab",
            Kind::Draft => "draft",
            k => k.label(),
        };
        let lines = e.text.lines().count();
        html! {
            <li>
                <button class="history-item" data-testid="history-item" {onclick}
                        title="Put this text in the editor and run it">
                    <span class="history-name" data-testid="history-name">{ &e.name }</span>
                    <span class="history-meta">
                        <span class={classes!("history-kind", format!("kind-{}", e.kind.label().replace(' ', "-")))}>{ kind }</span>
                        { format!(" · {} · {lines} line{}", history::ago(now, e.t), if lines == 1 { "" } else { "s" }) }
                    </span>
                </button>
            </li>
        }
    };
    let body = match &*stored {
        Err(_) => html! {
            <p class="share-warn" data-testid="history-unavailable">
                { "This browser does not let the page store anything, so there is no history." }
            </p>
        },
        Ok(h) if h.entries.is_empty() => html! {
            <p class="muted" data-testid="history-empty">
                { "Nothing yet. Each version you apply, each tab's draft and each link you open will be listed here." }
            </p>
        },
        Ok(h) => html! {
            <ol class="history-list" data-testid="history-list">
                { for h.entries.iter().map(item) }
            </ol>
        },
    };
    html! {
        <div class="share-pop history-pop" role="dialog" aria-label="History" data-testid="history-pop">
            <p><strong>{ "History" }</strong>
               <span class="muted">{ " · in this browser only, newest first" }</span></p>
            { body }
            <button class="btn small" onclick={close}>{ "Close" }</button>
        </div>
    }
}
