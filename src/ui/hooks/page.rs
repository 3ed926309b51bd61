//! Effects on the page as a whole: the forced colour scheme (`theme=`), and a reload when a link
//! is pasted into the address bar of an open tab.

use yew::prelude::*;

use super::super::dom::Listener;
use super::super::embed::Theme;

/// `theme=` forces the colour scheme through `data-theme` on <html>.
#[hook]
pub fn use_theme(theme: Option<Theme>) {
    use_effect_with(theme, |theme| {
        if let Some(theme) = theme {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-theme", theme.attr());
            }
        }
    });
}

/// A link pasted into the address bar of an open tab changes only the fragment, which does
/// not reload the page; reload so it opens like any link. (`replaceState` fires no
/// `hashchange`, so the app's own URL updates never get here.)
#[hook]
pub fn use_reload_on_hashchange() {
    use_effect_with((), |_| {
        let listener = Listener::on_window("hashchange", |_: web_sys::Event| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        move || drop(listener)
    });
}
