//! Browser tests (wasm-bindgen-test in headless Chromium): the app mounts into a real DOM on the
//! default gallery scenario, its tabs respond to clicks, the message log stays windowed (at most
//! 200 rows in the DOM) over a whole run, the log and the timeline share one selection, and the
//! URL carries the applied scenario (a broken link shows a dismissible banner).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .expect("window")
        .document()
        .expect("document")
}

/// A fresh app in its own root, with no autosaved text (in any tab or this one) and no query string (where the app keeps
/// its view) from an earlier test. The fragment is the test's own (`set_fragment`).
fn mount() -> web_sys::Element {
    let w = web_sys::window().expect("window");
    for storage in [w.local_storage(), w.session_storage()] {
        if let Ok(Some(storage)) = storage {
            let _ = storage.clear();
        }
    }
    let hash = w.location().hash().expect("hash");
    set_url("", &hash);
    // The app's own stylesheet, so that layout (scrolling lists, canvas size) is real.
    if document().get_element_by_id("app-style").is_none() {
        let style = document().create_element("style").expect("style");
        style.set_id("app-style");
        style.set_text_content(Some(include_str!("../static/style.css")));
        document()
            .head()
            .expect("head")
            .append_child(&style)
            .expect("append style");
    }
    let root = document().create_element("div").expect("create div");
    root.set_attribute("style", "width:1280px;height:800px;position:relative")
        .expect("style");
    document()
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append root");
    yew::Renderer::<switchboard::ui::App>::with_root(root.clone()).render();
    root
}

fn unmount(root: &web_sys::Element) {
    // Stop its frame loop and listeners from touching later tests: remove it from the page.
    root.remove();
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// One render pass for what no condition can tell apart (the timeline's probe after the view
/// moved); everything else waits for what it then checks (`wait_for`, `mounted`).
async fn next_render() {
    sleep(30).await;
}

/// Waits (up to 5 s) for the app to be in the page: its toolbar drawn.
async fn mounted(root: &web_sys::Element) {
    wait_for(5_000, "the app to mount", || {
        find(root, "[role=toolbar]").is_some()
    })
    .await;
}

/// Waits until `cond` holds, polling each 20 ms for up to 5 s: views built in effects after the
/// first render (the topology) appear a variable time later on a loaded machine.
async fn until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..250 {
        if cond() {
            return true;
        }
        sleep(20).await;
    }
    cond()
}

fn find(root: &web_sys::Element, selector: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

fn get(root: &web_sys::Element, selector: &str) -> web_sys::HtmlElement {
    find(root, selector).unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector)
        .expect("selector")
        .length()
}

/// Polls `cond` every 50 ms for up to `ms` milliseconds.
async fn wait_for(ms: u32, what: &str, mut cond: impl FnMut() -> bool) {
    let mut waited = 0;
    while !cond() {
        assert!(waited < ms, "timed out waiting for {what}");
        sleep(50).await;
        waited += 50;
    }
}

fn status(root: &web_sys::Element) -> String {
    get(root, "[data-testid=status]")
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn app_mounts_on_the_default_gallery_scenario() {
    let root = mount();
    mounted(&root).await;
    let brand = get(&root, ".brand-name");
    assert_eq!(brand.text_content().as_deref(), Some("Switchboard"));
    assert!(find(&root, "[role=toolbar]").is_some(), "toolbar");
    assert_eq!(count(&root, "[role=tab]"), 4);
    let area: web_sys::HtmlTextAreaElement =
        get(&root, "textarea.code").dyn_into().expect("a textarea");
    let default = switchboard::scenario::gallery::default_example();
    assert_eq!(area.value(), default.text);
    let picker: web_sys::HtmlSelectElement = get(&root, "[data-testid=gallery]")
        .dyn_into()
        .expect("select");
    assert_eq!(picker.value(), default.id);
    assert!(
        until(|| count(&root, "[data-testid=topology] .node") >= 3).await,
        "topology nodes drawn"
    );
    unmount(&root);
}

#[wasm_bindgen_test]
async fn clicking_a_tab_selects_it() {
    let root = mount();
    mounted(&root).await;
    let timeline = get(&root, "#tab-timeline");
    assert_eq!(
        timeline.get_attribute("aria-selected").as_deref(),
        Some("false")
    );
    timeline.click();
    wait_for(5_000, "the timeline tab to be selected", || {
        timeline.get_attribute("aria-selected").as_deref() == Some("true")
    })
    .await;
    wait_for(5_000, "the timeline view", || {
        find(&root, "#view-timeline").is_some()
    })
    .await;
    unmount(&root);
}

#[wasm_bindgen_test]
async fn the_log_stays_windowed_over_a_whole_run() {
    let root = mount();
    mounted(&root).await;
    get(&root, "[data-testid=run-to-end]").click();
    wait_for(60_000, "the run to finish", || {
        status(&root).starts_with("Finished")
    })
    .await;
    get(&root, "#tab-log").click();
    wait_for(5_000, "the log's rows", || {
        count(&root, "[data-testid=log-rows] .log-row") > 0
    })
    .await;
    let total: usize = get(&root, "[data-testid=log-count]")
        .get_attribute("data-total")
        .and_then(|t| t.parse().ok())
        .expect("log count");
    assert!(
        total > 10_000,
        "a whole checkout run has many messages ({total})"
    );
    let rows = count(&root, "[data-testid=log-rows] .log-row");
    assert!(
        rows > 0 && rows <= 200,
        "{rows} rows in the DOM for {total} messages"
    );

    // Scroll to the top: the first messages show, still windowed.
    let body = get(&root, ".log-body");
    body.set_scroll_top(0);
    body.dispatch_event(&web_sys::Event::new("scroll").expect("event"))
        .expect("dispatch");
    let first_id =
        || find(&root, "[data-testid=log-rows] .log-row").and_then(|r| r.get_attribute("data-id"));
    wait_for(5_000, "the first record to show", || {
        first_id().as_deref() == Some("0")
    })
    .await;
    assert!(count(&root, "[data-testid=log-rows] .log-row") <= 200);

    // The middle of the list renders the rows around it.
    body.set_scroll_top(body.scroll_height() / 2);
    body.dispatch_event(&web_sys::Event::new("scroll").expect("event"))
        .expect("dispatch");
    // Scrolled rows come from the middle of the trace.
    wait_for(5_000, "rows from the middle of the trace", || {
        first_id()
            .and_then(|t| t.parse::<u32>().ok())
            .is_some_and(|mid| mid > 1_000)
    })
    .await;
    assert!(count(&root, "[data-testid=log-rows] .log-row") <= 200);
    unmount(&root);
}

fn detail_id(root: &web_sys::Element) -> Option<String> {
    find(root, "[data-testid=detail] h3").and_then(|h| h.text_content())
}

#[wasm_bindgen_test]
async fn log_and_timeline_share_the_selection() {
    let root = mount();
    mounted(&root).await;
    // Play quickly until the log has something to select.
    let speed: web_sys::HtmlSelectElement = get(&root, "[data-testid=speed]")
        .dyn_into()
        .expect("select");
    speed.set_value("6"); // 10×
    speed
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    let play = get(&root, "[data-testid=play]");
    play.click();
    let events = || {
        get(&root, "[data-testid=events]")
            .get_attribute("data-events")
            .and_then(|e| e.parse::<u64>().ok())
            .unwrap_or(0)
    };
    wait_for(10_000, "200 events played", || events() >= 200).await;
    play.click();
    wait_for(5_000, "the run to pause", || {
        play.get_attribute("aria-pressed").as_deref() == Some("false")
    })
    .await;

    // Log → timeline.
    get(&root, "#tab-log").click();
    wait_for(5_000, "the log's rows", || {
        count(&root, "[data-testid=log-rows] .log-row") > 0
    })
    .await;
    let row = get(&root, "[data-testid=log-rows] .log-row");
    let id = row.get_attribute("data-id").expect("row id");
    row.click();
    wait_for(5_000, "the clicked row to be selected", || {
        find(
            &root,
            &format!("[data-testid=log-rows] .log-row.selected[data-id=\"{id}\"]"),
        )
        .is_some()
    })
    .await;
    get(&root, "#tab-timeline").click();
    // The log's detail panel shows the same record until the timeline replaces it: wait for
    // the timeline itself before reading its detail.
    wait_for(5_000, "the timeline view", || {
        find(
            &root,
            "[data-testid=timeline] [data-testid=follow-playhead]",
        )
        .is_some()
    })
    .await;
    wait_for(
        5_000,
        "the timeline's detail to show the log's selection",
        || detail_id(&root).is_some_and(|head| head.contains(&format!("#{id} "))),
    )
    .await;

    // Timeline → log: click the arrow the canvas reports.
    get(&root, "[data-testid=follow-playhead]").click();
    next_render().await;
    let canvas = get(&root, "[data-testid=timeline-canvas]");
    wait_for(5_000, "the timeline to report an arrow to click", || {
        canvas.get_attribute("data-probe").is_some()
    })
    .await;
    let probe = canvas
        .get_attribute("data-probe")
        .expect("an arrow to click");
    let parts: Vec<f64> = probe.split(' ').filter_map(|p| p.parse().ok()).collect();
    let (x, y, picked) = (parts[0], parts[1], parts[2] as u32);
    let rect = canvas.get_bounding_client_rect();
    for kind in ["pointerdown", "pointerup"] {
        let init = web_sys::PointerEventInit::new();
        init.set_bubbles(true);
        init.set_button(0);
        init.set_pointer_id(1);
        init.set_client_x((rect.left() + x) as i32);
        init.set_client_y((rect.top() + y) as i32);
        let e = web_sys::PointerEvent::new_with_event_init_dict(kind, &init).expect("event");
        canvas.dispatch_event(&e).expect("dispatch");
    }
    wait_for(5_000, "the timeline click to select its arrow", || {
        detail_id(&root).is_some_and(|head| head.contains(&format!("#{picked} ")))
    })
    .await;
    get(&root, "#tab-log").click();
    wait_for(5_000, "the log to show the timeline's selection", || {
        find(&root, "[data-testid=log-rows] .log-row.selected")
            .and_then(|r| r.get_attribute("data-id"))
            == Some(picked.to_string())
    })
    .await;
    unmount(&root);
}

/// Replace the page's query string and fragment (each with its `?`/`#`, or empty) in place.
fn set_url(search: &str, fragment: &str) {
    let w = web_sys::window().expect("window");
    let l = w.location();
    let url = format!(
        "{}{}{search}{fragment}",
        l.origin().expect("origin"),
        l.pathname().expect("path"),
    );
    w.history()
        .expect("history")
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        .expect("replaceState");
}

fn set_fragment(fragment: &str) {
    let search = web_sys::window()
        .expect("window")
        .location()
        .search()
        .expect("search");
    set_url(&search, fragment);
}

#[wasm_bindgen_test]
async fn the_url_carries_the_scenario_and_a_bad_link_shows_a_banner() {
    set_fragment("");
    let root = mount();
    mounted(&root).await;
    let hash = || {
        web_sys::window()
            .expect("window")
            .location()
            .hash()
            .expect("hash")
    };
    wait_for(5_000, "the app to write its link into the URL", || {
        hash().starts_with("#s=1.")
    })
    .await;
    let default = switchboard::scenario::gallery::default_example();
    let (text, _) = switchboard::scenario::link::decode(&hash()).expect("a link in the URL");
    assert_eq!(text, default.text);
    assert!(find(&root, "[data-testid=link-banner]").is_none());
    unmount(&root);

    set_fragment("#s=1.garbage");
    let root = mount();
    wait_for(5_000, "the link banner", || {
        find(&root, "[data-testid=link-reason]").is_some()
    })
    .await;
    let reason = get(&root, "[data-testid=link-reason]")
        .text_content()
        .unwrap_or_default();
    assert!(reason.contains("damaged"), "{reason}");
    let area: web_sys::HtmlTextAreaElement =
        get(&root, "textarea.code").dyn_into().expect("a textarea");
    assert_eq!(area.value(), default.text, "the default scenario is loaded");
    get(&root, "[data-testid=link-banner-close]").click();
    wait_for(5_000, "the banner to be dismissed", || {
        find(&root, "[data-testid=link-banner]").is_none()
    })
    .await;
    unmount(&root);
    set_fragment("");
}
