//! Which header popover is open (Share, Embed, Export, History): one at a time, closed by
//! Escape or a click outside the header's tools.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::super::dom::Listener;
use super::super::share::Popover;

/// The open popover; the window listeners that close it exist only while one is open.
#[hook]
pub fn use_popover() -> UseStateHandle<Popover> {
    let popover = use_state_eq(|| Popover::None);
    {
        let popover = popover.clone();
        use_effect_with(*popover == Popover::None, move |&closed| {
            let listeners = (!closed).then(|| {
                let on_click = {
                    let popover = popover.clone();
                    Listener::on_window("pointerdown", move |e: web_sys::Event| {
                        let inside = e
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .and_then(|el| el.closest(".share-tools").ok().flatten())
                            .is_some();
                        if !inside {
                            popover.set(Popover::None);
                        }
                    })
                };
                let on_key = Listener::on_window("keydown", move |e: web_sys::Event| {
                    if e.dyn_ref::<web_sys::KeyboardEvent>()
                        .is_some_and(|k| k.key() == "Escape")
                    {
                        popover.set(Popover::None);
                    }
                });
                (on_click, on_key)
            });
            move || drop(listeners)
        });
    }
    popover
}
