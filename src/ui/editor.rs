//! Scenario editor pane: the text with a line-number gutter, and the Apply action.

use yew::prelude::*;

use super::state::{Action, State};

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: String,
    pub dispatch: UseReducerDispatcher<State>,
}

#[function_component]
pub fn Editor(props: &EditorProps) -> Html {
    let gutter = use_node_ref();
    let on_input = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            dispatch.dispatch(Action::EditDraft(area.value()));
        })
    };
    // Keep the gutter aligned with the text when the text area scrolls.
    let on_scroll = {
        let gutter = gutter.clone();
        Callback::from(move |e: Event| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(g) = gutter.cast::<web_sys::HtmlElement>() {
                g.set_scroll_top(area.scroll_top());
            }
        })
    };
    let lines = props.text.split('\n').count().max(1);

    html! {
        <section class="pane editor-pane" aria-label="Scenario editor">
            <div class="pane-head">
                <h2>{ "Scenario" }</h2>
                <span class="spacer"></span>
                <button class="btn small primary" title="Apply (Ctrl+Enter)" disabled=true>{ "Apply" }</button>
            </div>
            <div class="editor">
                <div class="gutter" ref={gutter} aria-hidden="true">
                    { for (1..=lines).map(|n| html! { <div>{ n }</div> }) }
                </div>
                <textarea
                    class="code"
                    spellcheck="false"
                    autocomplete="off"
                    aria-label="Scenario text"
                    value={props.text.clone()}
                    oninput={on_input}
                    onscroll={on_scroll}
                />
            </div>
            <div class="diagnostics empty">{ "No problems." }</div>
        </section>
    }
}
