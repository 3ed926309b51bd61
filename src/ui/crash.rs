//! What the user sees if the app ever stops on an internal error. The release build aborts on a
//! panic (a bare WebAssembly `unreachable` trap, no message), after which the app no longer
//! responds: without this the page would simply freeze. A window `error` listener turns such a
//! trap into a banner that says what happened, that the text is safe (the editor autosaves on
//! every change) and offers a reload. Owns only that banner; it never touches the app's state,
//! which may be mid-update when the trap hit.

use wasm_bindgen::JsCast;

use super::dom::Listener;

/// `data-testid` of the banner, for end-to-end tests.
const TEST_ID: &str = "crash";

/// Starts listening for traps; lives as long as the page.
pub fn install() {
    let listener = Listener::on_window("error", |e| {
        let trapped = e.dyn_ref::<web_sys::ErrorEvent>().is_some_and(|e| {
            e.error()
                .is_instance_of::<js_sys::WebAssembly::RuntimeError>()
        });
        if trapped {
            show();
        }
    });
    // The page never unloads the app: the listener stays for the page's life.
    std::mem::forget(listener);
}

/// Puts the banner at the top of the page, once.
fn show() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = doc.body() else {
        return;
    };
    if doc
        .query_selector(&format!("[data-testid={TEST_ID}]"))
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    let Ok(banner) = doc.create_element("div") else {
        return;
    };
    banner.set_class_name("crash-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", TEST_ID);
    if let Ok(text) = doc.create_element("span") {
        text.set_text_content(Some(
            "Switchboard stopped on an internal error and no longer responds. \
             Your scenario text is saved in this browser; reload to go on.",
        ));
        let _ = banner.append_child(&text);
    }
    if let Ok(button) = doc.create_element("button") {
        button.set_class_name("btn small");
        button.set_text_content(Some("Reload"));
        let reload = Listener::new(button.as_ref(), "click", true, |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        std::mem::forget(reload);
        let _ = banner.append_child(&button);
    }
    let _ = body.prepend_with_node_1(&banner);
}
