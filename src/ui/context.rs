//! What the app shares with every component under it through a Yew context rather than props
//! threaded through each layer: the live run and the reducer's dispatcher. Both are the same
//! cells for the page's lifetime, so the context never changes and re-renders nothing by itself.

use yew::prelude::*;

use super::run::RunHandle;
use super::state::State;

/// The run and the dispatcher, provided once by `App` (full page and embed alike).
#[derive(Clone, PartialEq)]
pub struct Shared {
    pub run: RunHandle,
    pub dispatch: UseReducerDispatcher<State>,
}

/// The app's `Shared`, from any component under `App`.
#[hook]
pub fn use_shared() -> Shared {
    use_context::<Shared>().expect("components render under App's ContextProvider<Shared>")
}
