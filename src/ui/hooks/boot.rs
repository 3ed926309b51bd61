//! How the page opens: the state it starts with, and the boot sequence of the split release
//! build (the first render shows the text; `Action::Boot` opens the page for real once the rest
//! of the code is in).

use std::rc::Rc;

use yew::prelude::*;

use super::super::dom::{self, Listener};
use super::super::drafts;
use super::super::embed::EmbedOptions;
use super::super::share;
use super::super::state::{Action, State};

/// The state the page opens with. A share link in the fragment wins over the autosave (see
/// `State::open`) — unless it is this tab's own link (a reload), whose text the autosave
/// already holds, maybe edited. A framed page reads no draft (`drafts::keeps_text`).
fn opening_state(opts: &EmbedOptions) -> State {
    let keep = drafts::keeps_text(opts);
    let fragment = share::current_fragment();
    let own = drafts::own_link(keep, &fragment);
    let state = State::open(
        (!own).then_some(fragment.as_str()),
        drafts::opening_draft(keep),
    );
    with_options(state, opts)
}

/// `state` with the query's view (the embed's one view, or the full app's first tab) and speed.
fn with_options(mut state: State, opts: &EmbedOptions) -> State {
    state.tab = opts.view;
    if let Some(speed) = opts.speed {
        state.speed = speed;
    }
    state
}

/// The app's state: the opening state if the whole app is in, else the booting state (the text
/// alone) until the lazy half arrives and `Boot` brings the opening state.
#[hook]
pub fn use_opening(opts: &Rc<EmbedOptions>) -> UseReducerHandle<State> {
    let state = {
        let opts = opts.clone();
        use_reducer(move || {
            if dom::lazy_half_ready() {
                opening_state(&opts)
            } else {
                // The first paint shows the text; the run follows with the rest of the app.
                let keep = drafts::keeps_text(&opts);
                with_options(State::booting(drafts::opening_draft(keep)), &opts)
            }
        })
    };
    // Booting: open for real once the rest of the app is in (the loader's event comes after the
    // code is ready, never from inside a call into it).
    {
        let dispatch = state.dispatcher();
        let opts = opts.clone();
        use_effect_with(state.is_booting(), move |&booting| {
            let boot = move || dispatch.dispatch(Action::Boot(Box::new(opening_state(&opts))));
            let listener = booting
                .then(|| {
                    Listener::on_window(dom::LAZY_READY_EVENT, {
                        let boot = boot.clone();
                        move |_| boot()
                    })
                })
                .flatten();
            // The event may have fired before this listener existed (the first render can load
            // the lazy half itself, and a framed page may run this effect late): ask again.
            // A second `Boot` is ignored.
            if booting && dom::lazy_half_ready() {
                boot();
            }
            move || drop(listener)
        });
    }
    state
}
