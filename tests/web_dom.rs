//! Browser tests (wasm-bindgen-test in headless Chromium): the app mounts into a real DOM and its
//! tabs respond to clicks.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let document = web_sys::window().expect("window").document().expect("document");
    let root = document.create_element("div").expect("create div");
    document.body().expect("body").append_child(&root).expect("append root");
    yew::Renderer::<switchboard::ui::App>::with_root(root.clone()).render();
    root
}

async fn next_render() {
    gloo_timers::future::TimeoutFuture::new(20).await;
}

#[wasm_bindgen_test]
async fn app_mounts_with_brand_toolbar_editor_and_tabs() {
    let root = mount();
    next_render().await;
    let brand = root.query_selector(".brand-name").unwrap().expect("brand");
    assert_eq!(brand.text_content().as_deref(), Some("Switchboard"));
    assert!(root.query_selector("[role=toolbar]").unwrap().is_some(), "toolbar");
    let tabs = root.query_selector_all("[role=tab]").unwrap();
    assert_eq!(tabs.length(), 4);
    let area: web_sys::HtmlTextAreaElement = root
        .query_selector("textarea.code")
        .unwrap()
        .expect("editor")
        .dyn_into()
        .expect("a textarea");
    assert!(area.value().starts_with("scenario "));
}

#[wasm_bindgen_test]
async fn clicking_a_tab_selects_it() {
    let root = mount();
    next_render().await;
    let timeline: web_sys::HtmlElement = root
        .query_selector("#tab-timeline")
        .unwrap()
        .expect("timeline tab")
        .dyn_into()
        .unwrap();
    assert_eq!(timeline.get_attribute("aria-selected").as_deref(), Some("false"));
    timeline.click();
    next_render().await;
    assert_eq!(timeline.get_attribute("aria-selected").as_deref(), Some("true"));
    assert!(root.query_selector("#view-timeline").unwrap().is_some());
}
