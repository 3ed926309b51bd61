//! Sharing and exporting: the URL fragment that mirrors the applied scenario (`#s=1.…`, kept in
//! place with `history.replaceState`), the Share button (clipboard, or a popover to copy from),
//! and the Export menu, which downloads files made by `crate::export` through a Blob URL.

use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::context::use_shared;
use super::embed::{self, SnippetOptions};
use super::fmt;
use super::state::{Applied, Tab};
use crate::export;

/// Past this many characters some tools (chat apps, mail clients) cut a link short.
pub const LONG_LINK: usize = 2_000;
/// Past this many characters a link is not worth sharing; offer the scenario as a file instead.
pub const TOO_LONG_LINK: usize = 8_000;

/// The page's current fragment without `#` (empty when there is none).
pub fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.strip_prefix('#').map(str::to_string).unwrap_or(h))
        .unwrap_or_default()
}

/// The page address without query or fragment.
pub fn page_base() -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// Query string `search` (with or without `?`) with `view=` set to `view` — or dropped for the
/// default view — and every other parameter kept, in order. Empty, or starting with `?`.
pub fn with_view(search: &str, view: Tab) -> String {
    let search = search.strip_prefix('?').unwrap_or(search);
    let mut parts: Vec<&str> = search
        .split('&')
        .filter(|p| !p.is_empty() && *p != "view" && !p.starts_with("view="))
        .collect();
    let pair = format!("view={}", view.slug());
    if view != Tab::Topology {
        parts.push(&pair);
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Make the URL fragment `fragment` (without `#`; `None` keeps the current one) and, when
/// `view` is given, the query's `view=`, replacing the history entry — never pushing one — and
/// only when something differs. Other query parameters are kept.
pub fn replace_url(fragment: Option<&str>, view: Option<Tab>) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let l = w.location();
    let search = l.search().unwrap_or_default();
    let hash = l.hash().unwrap_or_default();
    let next_search = view.map_or_else(|| search.clone(), |v| with_view(&search, v));
    let next_hash = fragment.map_or_else(|| hash.clone(), |f| format!("#{f}"));
    if next_search == search && next_hash == hash {
        return;
    }
    let url = format!("{}{next_search}{next_hash}", page_base());
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// A lower-case, dash-separated file name stem for a scenario name ("Checkout flow" → "checkout-flow").
pub fn file_stem(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out
        .trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>();
    if out.is_empty() {
        "scenario".to_string()
    } else {
        out
    }
}

/// Offer `content` as a file download named `name` (Blob + object URL + a temporary
/// `<a download>`; the URL is revoked shortly after). Returns false when the browser refused.
pub fn download(name: &str, mime: &str, content: &str) -> bool {
    let go = || -> Option<()> {
        let document = web_sys::window()?.document()?;
        // The UTF-8 bytes as they are: a JS string would decode tens of MB only for the Blob to
        // encode them again.
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(content.as_bytes()));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).ok()?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
        let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
        a.set_href(&url);
        a.set_download(name);
        let _ = a.set_attribute("hidden", "");
        let body = document.body()?;
        let _ = body.append_child(&a);
        a.click();
        a.remove();
        // Revoking at once can cancel the download in some browsers; a second later is safe.
        // A task rather than a forgotten timer handle, so nothing outlives the revoke.
        yew::platform::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(1_000).await;
            let _ = web_sys::Url::revoke_object_url(&url);
        });
        Some(())
    };
    go().is_some()
}

/// Copy `text` to the clipboard; `done(true)` on success, `done(false)` when the clipboard is
/// unavailable or refused (the caller then shows the text to copy by hand).
pub fn copy_text(text: &str, done: Callback<bool>) {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        done.emit(false);
        return;
    };
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !has_clipboard {
        done.emit(false);
        return;
    }
    let promise = navigator.clipboard().write_text(text);
    let ok = {
        let done = done.clone();
        Closure::once_into_js(move |_: JsValue| done.emit(true))
    };
    let err = Closure::once_into_js(move |_: JsValue| done.emit(false));
    // `promise.then(ok, err)`, called through JS so the closures can be one-shot JS functions.
    if let Some(then) = js_sys::Reflect::get(&promise, &JsValue::from_str("then"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = then.call2(&promise, &ok, &err);
    }
}

/// What the Share popover says.
#[derive(Clone, Debug, PartialEq)]
enum Shared {
    Closed,
    /// The link is on the clipboard.
    Copied {
        url: Rc<str>,
    },
    /// The clipboard refused: show the link to copy by hand.
    CopyByHand {
        url: Rc<str>,
    },
    /// Too long to share as a link: offer the scenario file.
    TooLong {
        len: usize,
    },
}

/// Which of the header's popovers is open; opening one closes the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Popover {
    None,
    Share,
    Embed,
    Export,
    History,
}

/// What the Share and Embed buttons are given.
#[derive(Properties, PartialEq)]
pub struct LinkProps {
    pub applied: Option<Rc<Applied>>,
    /// The fragment for the current run (computed when asked, as encoding costs a DEFLATE).
    pub fragment: Callback<(), Option<String>>,
    /// The view shown now: Share's link opens on it; it is Embed's first choice.
    pub tab: Tab,
    /// Whether this popover is the open one, and how to open (true) or close (false) it.
    pub open: bool,
    pub on_open: Callback<bool>,
}

/// The Share button and its popover.
#[function_component]
pub fn ShareButton(props: &LinkProps) -> Html {
    let shared = use_state(|| Shared::Closed);
    let on_share = {
        let shared = shared.clone();
        let fragment = props.fragment.clone();
        let on_open = props.on_open.clone();
        let view = with_view("", props.tab);
        Callback::from(move |_: MouseEvent| {
            let Some(fragment) = fragment.emit(()) else {
                return;
            };
            on_open.emit(true);
            let url: Rc<str> = Rc::from(format!("{}{view}#{fragment}", page_base()));
            if url.len() > TOO_LONG_LINK {
                shared.set(Shared::TooLong { len: url.len() });
                return;
            }
            let shared = shared.clone();
            let copied = url.clone();
            copy_text(
                &copied,
                Callback::from(move |ok: bool| {
                    let url = url.clone();
                    shared.set(if ok {
                        Shared::Copied { url }
                    } else {
                        Shared::CopyByHand { url }
                    });
                }),
            );
        })
    };
    let close = {
        let shared = shared.clone();
        let on_open = props.on_open.clone();
        Callback::from(move |_: MouseEvent| {
            shared.set(Shared::Closed);
            on_open.emit(false);
        })
    };
    let on_download = {
        let applied = props.applied.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(a) = &applied {
                let name = format!("{}.sb", file_stem(&a.compiled.scenario.name));
                download(&name, "text/plain;charset=utf-8", &a.text);
            }
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        input.select();
    });
    let long_warning = |len: usize| {
        (len > LONG_LINK).then(|| {
            html! {
                <p class="share-warn" data-testid="share-long">
                    { format!("This link is {len} characters long; some tools cut long links short.") }
                </p>
            }
        })
    };

    let popover = match &*shared {
        _ if !props.open => Html::default(),
        Shared::Closed => Html::default(),
        // The link is shown as well as copied: the reader sees what went to the clipboard.
        Shared::Copied { url } => html! {
            <div class="share-pop" role="status" data-testid="share-pop">
                <p class="share-ok" data-testid="share-copied">{ "Link copied" }</p>
                <input class="share-url" type="text" readonly=true value={url.to_string()}
                       aria-label="The link" data-testid="share-url" onfocus={select_all.clone()} />
                { long_warning(url.len()) }
                <button class="btn small" onclick={close}>{ "Close" }</button>
            </div>
        },
        Shared::CopyByHand { url } => html! {
            <div class="share-pop" role="dialog" aria-label="Share link" data-testid="share-pop">
                <p>{ "Copy this link:" }</p>
                <input class="share-url" type="text" readonly=true value={url.to_string()}
                       data-testid="share-url" onfocus={select_all} />
                { long_warning(url.len()) }
                <button class="btn small" onclick={close}>{ "Close" }</button>
            </div>
        },
        Shared::TooLong { len } => html! {
            <div class="share-pop" role="dialog" aria-label="Share link" data-testid="share-pop">
                <p class="share-warn" data-testid="share-too-long">
                    { format!("This link would be {len} characters long, too long to share reliably. Share the scenario as a file instead.") }
                </p>
                <button class="btn small primary" data-testid="share-download" onclick={on_download}>{ "Download .sb file" }</button>
                <button class="btn small" onclick={close}>{ "Close" }</button>
            </div>
        },
    };
    html! {
        <div class="share">
            <button class="btn" data-testid="share" title="Copy a link to this scenario and seed"
                    disabled={props.applied.is_none()} onclick={on_share}>
                <svg class="stroke" viewBox="0 0 16 16" aria-hidden="true"><path d="M6.5 9.5l3-3M7 4.5l1.5-1.5a2.5 2.5 0 0 1 3.5 3.5L10.5 8M9 11.5L7.5 13A2.5 2.5 0 0 1 4 9.5L5.5 8" /></svg>
                <span>{ "Share" }</span>
            </button>
            { popover }
        </div>
    }
}

/// The Embed button: a popover that writes the `<iframe>` snippet for the current scenario
/// (view, autoplay and toolbar chosen there), with a Copy button and a preview link.
#[function_component]
pub fn EmbedButton(props: &LinkProps) -> Html {
    // The fragment is taken when the popover opens (encoding costs a DEFLATE), not per render.
    let fragment = use_state(String::new);
    let options = use_state(|| SnippetOptions {
        view: props.tab,
        autoplay: false,
        controls: true,
    });
    let copied = use_state(|| None::<bool>);
    let on_toggle = {
        let (fragment, options, copied) = (fragment.clone(), options.clone(), copied.clone());
        let (make, on_open, open, tab) = (
            props.fragment.clone(),
            props.on_open.clone(),
            props.open,
            props.tab,
        );
        Callback::from(move |_: MouseEvent| {
            if open {
                on_open.emit(false);
                return;
            }
            let Some(f) = make.emit(()) else {
                return;
            };
            fragment.set(f);
            options.set(SnippetOptions {
                view: tab,
                ..*options
            });
            copied.set(None);
            on_open.emit(true);
        })
    };
    let base = page_base();
    let o = *options;
    let name = props
        .applied
        .as_ref()
        .map_or("scenario", |a| a.compiled.scenario.name.as_str());
    let code = embed::snippet(&base, &fragment, name, o);
    let on_view = {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(&view) = Tab::ALL.iter().find(|t| t.slug() == select.value()) {
                options.set(SnippetOptions { view, ..*options });
            }
        })
    };
    let toggle = |set: fn(&mut SnippetOptions, bool)| {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut next = *options;
            set(&mut next, input.checked());
            options.set(next);
        })
    };
    let on_copy = {
        let (copied, code) = (copied.clone(), code.clone());
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            copy_text(&code, Callback::from(move |ok| copied.set(Some(ok))));
        })
    };
    let close = {
        let on_open = props.on_open.clone();
        Callback::from(move |_: MouseEvent| on_open.emit(false))
    };
    let select_all = Callback::from(|e: FocusEvent| {
        let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        area.select();
    });
    let url_len = embed::embed_url(&base, &fragment, o).len();
    let popover = props.open.then(|| html! {
        <div class="share-pop embed-pop" role="dialog" aria-label="Embed this scenario" data-testid="embed-pop">
            <p><strong>{ "Embed this scenario in a page" }</strong></p>
            <div class="embed-opts">
                <label>{ "View " }
                    <select data-testid="embed-view" onchange={on_view}>
                        { for Tab::ALL.iter().map(|t| html! {
                            <option value={t.slug()} selected={*t == o.view}>{ t.label() }</option>
                        }) }
                    </select>
                </label>
                <label><input type="checkbox" data-testid="embed-autoplay" checked={o.autoplay}
                              onchange={toggle(|o, on| o.autoplay = on)} />{ " Autoplay" }</label>
                <label><input type="checkbox" data-testid="embed-controls" checked={o.controls}
                              onchange={toggle(|o, on| o.controls = on)} />{ " Toolbar" }</label>
            </div>
            <textarea class="share-url embed-code" readonly=true rows="4" spellcheck="false"
                      data-testid="embed-snippet" value={code} onfocus={select_all} />
            if url_len > LONG_LINK {
                <p class="share-warn" data-testid="embed-long">
                    { format!("The frame's address is {url_len} characters long; some site builders cut long addresses.") }
                </p>
            }
            if let Some(ok) = *copied {
                <p class={if ok { "share-ok" } else { "share-warn" }} data-testid="embed-copied">
                    { if ok { "Snippet copied" } else { "The clipboard is unavailable: select the text and copy it." } }
                </p>
            }
            <div class="pop-actions">
                <button class="btn small primary" data-testid="embed-copy" onclick={on_copy}>{ "Copy" }</button>
                <a class="btn small" data-testid="embed-preview" target="_blank" rel="noopener"
                   href={embed::embed_url(&base, &fragment, o)}>{ "Preview" }</a>
                <button class="btn small" onclick={close}>{ "Close" }</button>
            </div>
        </div>
    });
    html! {
        <div class="share">
            <button class="btn" data-testid="embed" title="Get the HTML that embeds this scenario in another page"
                    aria-expanded={props.open.to_string()}
                    disabled={props.applied.is_none()} onclick={on_toggle}>
                <svg class="stroke" viewBox="0 0 16 16" aria-hidden="true"><path d="M5.5 4.5L2 8l3.5 3.5M10.5 4.5L14 8l-3.5 3.5" /></svg>
                <span>{ "Embed" }</span>
            </button>
            { popover }
        </div>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    TimelineSvg,
    LogJson,
    LogCsv,
    Mermaid,
    ChromeTrace,
}

impl Format {
    const ALL: [Format; 5] = [
        Format::TimelineSvg,
        Format::LogJson,
        Format::LogCsv,
        Format::Mermaid,
        Format::ChromeTrace,
    ];

    fn label(self) -> &'static str {
        match self {
            Format::TimelineSvg => "Timeline (SVG)",
            Format::LogJson => "Message log (JSON)",
            Format::LogCsv => "Message log (CSV)",
            Format::Mermaid => "Mermaid sequence (first 50)",
            Format::ChromeTrace => "Chrome trace (JSON, Perfetto)",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Format::TimelineSvg => "svg",
            Format::LogJson => "json",
            Format::LogCsv => "csv",
            Format::Mermaid => "mermaid",
            Format::ChromeTrace => "chrome",
        }
    }

    /// File name suffix and MIME type.
    fn file(self) -> (&'static str, &'static str) {
        match self {
            Format::TimelineSvg => ("timeline.svg", "image/svg+xml"),
            Format::LogJson => ("log.json", "application/json"),
            Format::LogCsv => ("log.csv", "text/csv;charset=utf-8"),
            Format::Mermaid => ("sequence.mmd", "text/plain;charset=utf-8"),
            Format::ChromeTrace => ("trace.json", "application/json"),
        }
    }
}

/// The most records a log or Chrome trace export holds (the newest ones): about 50–80 MB of
/// text, built in one go. Every record of a multi-million-record run would be gigabytes, more
/// than a tab can hold as a string (the CLI exports everything).
const EXPORT_MAX_RECORDS: usize = 200_000;

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub applied: Option<Rc<Applied>>,
    pub open: bool,
    pub on_open: Callback<bool>,
}

/// The Export menu: each entry downloads one export of the live run (what has happened so far).
#[function_component]
pub fn ExportMenu(props: &ExportProps) -> Html {
    let shared = use_shared();
    let entry = |f: Format| {
        let run = shared.run.clone();
        let applied = props.applied.clone();
        let on_open = props.on_open.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            let content = {
                let cell = run.0.borrow();
                let Some(r) = cell.as_ref() else {
                    return;
                };
                let sim = &r.sim;
                match f {
                    Format::TimelineSvg => export::timeline_svg(sim, export::SvgOptions::default()),
                    Format::LogJson => export::log_json(sim, EXPORT_MAX_RECORDS),
                    Format::LogCsv => export::log_csv(sim, EXPORT_MAX_RECORDS),
                    Format::Mermaid => {
                        export::mermaid_sequence(sim, export::MERMAID_DEFAULT_MESSAGES)
                    }
                    Format::ChromeTrace => export::chrome_trace(sim, EXPORT_MAX_RECORDS),
                }
            };
            let stem = applied.as_ref().map_or_else(
                || "scenario".to_string(),
                |a| file_stem(&a.compiled.scenario.name),
            );
            let (suffix, mime) = f.file();
            download(&format!("{stem}-{suffix}"), mime, &content);
            // Close the menu after a pick.
            on_open.emit(false);
        });
        html! {
            <li><button class="menu-item" role="menuitem" data-testid={format!("export-{}", f.slug())}
                        {onclick}>{ f.label() }</button></li>
        }
    };
    // The menu's open state is the app's (one popover at a time), not the `<details>` element's.
    let on_summary = {
        let on_open = props.on_open.clone();
        let open = props.open;
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on_open.emit(!open);
        })
    };
    // Read when the menu opens (that is a new render): how much of the run the files hold.
    let records = shared
        .run
        .0
        .borrow()
        .as_ref()
        .map_or(0, |r| r.sim.trace().len());
    html! {
        <details class="menu export" data-testid="export" open={props.open}>
            <summary class="btn" title="Download this run as a file" onclick={on_summary}>
                <svg class="stroke" viewBox="0 0 16 16" aria-hidden="true"><path d="M8 2v8M4.5 7L8 10.5 11.5 7M3 13h10" /></svg>
                <span>{ "Export" }</span>
            </summary>
            <ul class="menu-list" role="menu">
                { for Format::ALL.iter().map(|&f| entry(f)) }
                if records > EXPORT_MAX_RECORDS {
                    <li class="menu-note muted small" role="none" data-testid="export-note">
                        { format!(
                            "The logs and the Chrome trace hold the newest {} of {} records.",
                            fmt::count(EXPORT_MAX_RECORDS as u64),
                            fmt::count(records as u64)
                        ) }
                    </li>
                }
            </ul>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_set_in_the_query_and_the_rest_kept() {
        assert_eq!(with_view("", Tab::Topology), "");
        assert_eq!(with_view("", Tab::Log), "?view=log");
        assert_eq!(with_view("?view=log", Tab::Topology), "");
        assert_eq!(
            with_view("?readonly=1&view=log&x", Tab::Metrics),
            "?readonly=1&x&view=metrics"
        );
        assert_eq!(with_view("?view&&view=zz", Tab::Timeline), "?view=timeline");
        assert_eq!(with_view("views=1", Tab::Topology), "?views=1");
    }

    #[test]
    fn file_stems_are_tidy() {
        assert_eq!(file_stem("Checkout flow"), "checkout-flow");
        assert_eq!(file_stem("  --Ünïcode! name  "), "n-code-name");
        assert_eq!(file_stem("***"), "scenario");
    }
}
