//! What the user sees if the app ever stops on an internal error. The release build aborts on a
//! panic (a bare WebAssembly `unreachable` trap, no message), after which the app no longer
//! responds: without this the page would simply freeze. The banner is built, hidden, when the
//! page starts; a window `error` (or `unhandledrejection`) listener that sees a wasm trap only
//! unhides it, so showing it allocates nothing (the trap may have been running out of memory).
//! It says what happened, that the text is safe (the editor autosaves on every change), and
//! offers a reload. Owns only that banner; it never touches the app's state, which may be
//! mid-update when the trap hit.

use wasm_bindgen::{JsCast, JsValue};

use super::dom::Listener;

/// Builds the hidden banner and starts listening for traps; both live as long as the page.
pub fn install() {
    let Some(banner) = build() else {
        return;
    };
    for (kind, field) in [("error", "error"), ("unhandledrejection", "reason")] {
        let banner = banner.clone();
        let listener = Listener::on_window(kind, move |e| {
            let cause = js_sys::Reflect::get(&e, &JsValue::from_str(field)).unwrap_or_default();
            if cause.is_instance_of::<js_sys::WebAssembly::RuntimeError>() {
                let _ = banner.remove_attribute("hidden");
            }
        });
        // The page never unloads the app: the listeners stay for the page's life.
        std::mem::forget(listener);
    }
}

/// The banner, hidden, at the top of the page.
fn build() -> Option<web_sys::Element> {
    let doc = web_sys::window()?.document()?;
    let body = doc.body()?;
    let banner = doc.create_element("div").ok()?;
    banner.set_class_name("crash-banner");
    let _ = banner.set_attribute("hidden", "");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "crash");
    let text = doc.create_element("span").ok()?;
    text.set_text_content(Some(
        "Switchboard stopped on an internal error and no longer responds. \
         Your scenario text is saved in this browser; reload to go on.",
    ));
    let _ = banner.append_child(&text);
    let button = doc.create_element("button").ok()?;
    button.set_class_name("btn small");
    button.set_text_content(Some("Reload"));
    let reload = Listener::new(button.as_ref(), "click", true, |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    std::mem::forget(reload);
    let _ = banner.append_child(&button);
    let _ = body.prepend_with_node_1(&banner);
    Some(banner)
}
