//! The address bar: the share-link fragment of the current run, and keeping the URL in step
//! with the applied scenario, the seed and the view.

use std::rc::Rc;

use yew::prelude::*;

use super::super::drafts;
use super::super::share;
use super::super::state::State;

/// The share-link fragment of the current run, encoded (a DEFLATE) once per scenario and seed
/// rather than on every render.
#[hook]
pub fn use_link(state: &UseReducerHandle<State>) -> Rc<Option<String>> {
    let state = state.clone();
    use_memo(
        (state.applied.as_ref().map(|a| a.version), state.seed),
        move |_| state.link_fragment(),
    )
}

/// The URL mirrors the applied scenario and seed (`#s=1.…`) and, in the full app (not `embed`),
/// the view (`?view=log`); it is replaced in place only when it changed. A link that failed to
/// load stays in the address bar until the user acts. While booting the URL is left alone: the
/// opening state still has to read it. `keep`: whether this page keeps the user's text.
#[hook]
pub fn use_url_sync(state: &State, link: &Rc<Option<String>>, embed: bool, keep: bool) {
    let version = state.applied.as_ref().map(|a| a.version);
    let view = (!embed).then_some(state.tab);
    let link = link.clone();
    use_effect_with(
        (
            version,
            state.seed,
            state.hold_url,
            state.hold_autosave,
            view,
            state.is_booting(),
        ),
        move |&(_, _, hold_url, hold_autosave, view, booting)| {
            if booting {
                return;
            }
            let fragment = (!hold_url).then(|| (*link).clone()).flatten();
            share::replace_url(fragment.as_deref(), view);
            // Someone else's link becomes "own" once the user adopts its text.
            if let (Some(f), false) = (fragment, hold_autosave) {
                drafts::remember_link(keep, &f);
            }
        },
    );
}
