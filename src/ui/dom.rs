//! Small owned handles on browser facilities: an animation-frame loop and an event listener that
//! stop when dropped (nothing is `.forget()`-leaked), and the wall clock used only to pace
//! frames. (Storage is `storage`'s alone.)

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Milliseconds from the page's time origin (`performance.now()`); 0 when unavailable.
pub fn now_ms() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

struct FrameInner {
    handle: Option<i32>,
    callback: Option<Closure<dyn FnMut(f64)>>,
}

/// A `requestAnimationFrame` loop: `tick(timestamp_ms)` runs once per frame until it returns
/// `false` or the loop is dropped (which cancels the pending frame).
pub struct FrameLoop {
    inner: Rc<RefCell<FrameInner>>,
}

impl FrameLoop {
    pub fn start(mut tick: impl FnMut(f64) -> bool + 'static) -> FrameLoop {
        let inner = Rc::new(RefCell::new(FrameInner {
            handle: None,
            callback: None,
        }));
        // The callback holds only a weak reference, so the loop owns the closure and not the
        // other way round: dropping the `FrameLoop` frees everything.
        let weak = Rc::downgrade(&inner);
        let callback = Closure::<dyn FnMut(f64)>::new(move |ts: f64| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.borrow_mut().handle = None;
            if tick(ts) {
                request(&inner);
            }
        });
        inner.borrow_mut().callback = Some(callback);
        request(&inner);
        FrameLoop { inner }
    }
}

fn request(inner: &Rc<RefCell<FrameInner>>) {
    let mut i = inner.borrow_mut();
    let Some(cb) = i.callback.as_ref() else {
        return;
    };
    let handle = window().and_then(|w| w.request_animation_frame(cb.as_ref().unchecked_ref()).ok());
    i.handle = handle;
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            if let (Some(h), Some(w)) = (i.handle.take(), window()) {
                let _ = w.cancel_animation_frame(h);
            }
            i.callback = None;
        }
    }
}

/// An event listener removed when dropped.
pub struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(web_sys::Event)>,
    capture: bool,
}

impl Listener {
    /// Listen for `kind` on `target`. `passive: false` lets the handler call `prevent_default`
    /// (needed for wheel zoom).
    pub fn new(
        target: &web_sys::EventTarget,
        kind: &'static str,
        passive: bool,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Listener {
        let callback = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(passive);
        let _ = target.add_event_listener_with_callback_and_add_event_listener_options(
            kind,
            callback.as_ref().unchecked_ref(),
            &options,
        );
        Listener {
            target: target.clone(),
            kind,
            callback,
            capture: false,
        }
    }

    /// Listen on the window.
    pub fn on_window(
        kind: &'static str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Option<Listener> {
        let w = window()?;
        Some(Listener::new(w.as_ref(), kind, false, f))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// The event the release build's loader fires on the window once the second half of the wasm
/// (the code the first render does not run) is in; see scripts/lazy-glue.js.
pub const LAZY_READY_EVENT: &str = "switchboard-lazy-ready";

/// Whether everything can run now. The split release build's loader sets
/// `window.__switchboardLazy = { ready }` before the app starts; a build without it is whole.
pub fn lazy_half_ready() -> bool {
    let Some(w) = window() else {
        return true;
    };
    let flag = js_sys::Reflect::get(&w, &"__switchboardLazy".into()).unwrap_or_default();
    if !flag.is_object() {
        return true;
    }
    js_sys::Reflect::get(&flag, &"ready".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// Give every `[data-css]` element under `root` that attribute's text as its inline style,
/// through the CSSOM (`style.cssText`). Views write computed positions and sizes as `data-css`
/// rather than `style=`: a strict Content-Security-Policy refuses `style=` attributes in markup
/// but not the CSSOM. Call it after each render of a view that has any.
pub fn apply_css(root: &web_sys::Element) {
    let Ok(list) = root.query_selector_all("[data-css]") else {
        return;
    };
    let (style, css_text) = (
        wasm_bindgen::JsValue::from_str("style"),
        wasm_bindgen::JsValue::from_str("cssText"),
    );
    for i in 0..list.length() {
        let Some(el) = list
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        if let (Some(css), Ok(decl)) = (
            el.get_attribute("data-css"),
            js_sys::Reflect::get(&el, &style),
        ) {
            let _ = js_sys::Reflect::set(&decl, &css_text, &wasm_bindgen::JsValue::from_str(&css));
        }
    }
}

/// A fresh random seed (the seed itself then makes the run reproducible).
pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 4_294_967_296.0) as u64
}

/// Whether a keyboard event comes from a place that takes text (shortcuts stay out of the way).
pub fn typing_target(e: &web_sys::Event) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el.get_attribute("contenteditable").is_some()
}
