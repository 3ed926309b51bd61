//! The page's keyboard shortcuts: Space play/pause, → step, Ctrl/Cmd+Enter apply.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::super::dom::{self, Listener};
use super::super::run::RunHandle;
use super::super::state::{Action, State};
use super::playback::step_once;

/// One window `keydown` listener for the page's lifetime; keys typed into a field, or with a
/// modifier other than Ctrl/Cmd+Enter, are left to the browser.
#[hook]
pub fn use_shortcuts(run: &RunHandle, dispatch: &UseReducerDispatcher<State>) {
    let run = run.clone();
    let dispatch = dispatch.clone();
    use_effect_with((), move |_| {
        let listener = Listener::on_window("keydown", move |e: web_sys::Event| {
            let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            if (k.ctrl_key() || k.meta_key()) && k.key() == "Enter" {
                e.prevent_default();
                dispatch.dispatch(Action::Apply);
                return;
            }
            if k.ctrl_key() || k.meta_key() || k.alt_key() || dom::typing_target(&e) {
                return;
            }
            let on_control = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY")
                        || el.get_attribute("role").as_deref() == Some("tab")
                });
            match k.key().as_str() {
                // Space on a focused button presses that button instead.
                " " if !on_control => {
                    e.prevent_default();
                    dispatch.dispatch(Action::TogglePlay);
                }
                "ArrowRight" => {
                    e.prevent_default();
                    step_once(&run, &dispatch);
                }
                _ => {}
            }
        });
        move || drop(listener)
    });
}
