//! The page: header with toolbar, the scenario editor pane, the tabbed view area and the status
//! bar. Its side effects (building the run, the frame loop, the URL, the host page, keys) are
//! the named hooks of `hooks`; autosave and history are `drafts`'.

use yew::prelude::*;

use super::context::Shared;
use super::drafts::{self, HistoryRecorder, Saving};
use super::editor::Editor;
use super::embed::EmbedOptions;
use super::fmt;
use super::history_panel::HistoryButton;
use super::hooks::{self, PendingStart};
use super::run::{Run, RunHandle};
use super::share::{self, EmbedButton, ExportMenu, Popover, ShareButton};
use super::state::{Action, Mode, State, TRACE_LIMIT};
use super::storage_note::StorageNote;
use super::toolbar::Toolbar;
use super::views::ViewArea;
use crate::sim::StopReason;

#[function_component]
pub fn App() -> Html {
    // The query string (`?embed=1&view=…`, `?readonly=1`) is read once; see `embed`.
    let opts = use_memo((), |_| EmbedOptions::current());
    // The effects below run in this order after each render.
    let state = hooks::use_opening(&opts);
    let dispatch = state.dispatcher();
    let keep = drafts::keeps_text(&opts);
    let run = RunHandle(use_mut_ref(|| None::<Run>));
    let pending_start: PendingStart = use_mut_ref(|| opts.start_at);
    hooks::use_theme(opts.theme);
    hooks::use_run_builder(&state, &run, &dispatch, &pending_start, opts.autoplay);
    hooks::use_frame_loop(&state, &run, &dispatch);
    // Autosave and the history (`drafts`); opening someone's link never replaces one's own
    // saved draft, and a framed page keeps nothing.
    let saving = drafts::use_drafts(&state, keep);
    let link = hooks::use_link(&state);
    hooks::use_url_sync(&state, &link, opts.embed, keep);
    hooks::use_reload_on_hashchange();
    hooks::use_host_bridge(&state, &run, &dispatch, &pending_start);
    hooks::use_shortcuts(&run, &dispatch);

    let on_fragment = {
        let link = link.clone();
        Callback::from(move |()| (*link).clone())
    };
    // One header popover at a time (Share, Embed, Export); Escape or a click elsewhere closes it.
    let popover = hooks::use_popover();
    let pop = |which: Popover| {
        let popover = popover.clone();
        (
            *popover == which,
            Callback::from(move |open: bool| popover.set(if open { which } else { Popover::None })),
        )
    };
    let (share_open, on_share_open) = pop(Popover::Share);
    let (embed_open, on_embed_open) = pop(Popover::Embed);
    let (export_open, on_export_open) = pop(Popover::Export);
    let (history_open, on_history_open) = pop(Popover::History);
    let on_restore = {
        let dispatch = dispatch.clone();
        Callback::from(move |text: String| dispatch.dispatch(Action::LoadText(text)))
    };

    let on_dismiss = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::DismissLinkError))
    };
    // Every component below reads the run and the dispatcher from this context.
    let shared = Shared { run, dispatch };
    if opts.embed {
        return provide(shared, embed_frame(&state, &opts, link.as_ref().as_deref()));
    }
    let (status_class, status) = status_line(&state);
    // Said once the page is up (the note's code is not part of the first render).
    let storage_note = match saving {
        Saving::Refused(refusal) if !state.is_booting() => html! {
            <StorageNote {refusal} draft={state.draft.clone()} tab={state.tab} />
        },
        _ => Html::default(),
    };
    provide(
        shared,
        html! {
            <div class="app" data-testid="app">
                <header class="topbar">
                    <div class="brand">
                        <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                            <rect width="32" height="32" rx="7" />
                            <path d="M9 10h8M9 22h8M17 10c4 0 4 12 8 12M17 22c4 0 4-12 8-12" />
                        </svg>
                        <span class="brand-name">{ "Switchboard" }</span>
                    </div>
                    { toolbar(&state, false) }
                    <div class="share-tools">
                        // Once booted: the history's code is not part of the first render.
                        if keep && !state.is_booting() {
                            <HistoryButton open={history_open} on_open={on_history_open} {on_restore} />
                        }
                        <ShareButton applied={state.applied.clone()} fragment={on_fragment.clone()}
                                     tab={state.tab} open={share_open} on_open={on_share_open} />
                        <EmbedButton applied={state.applied.clone()} fragment={on_fragment}
                                     tab={state.tab} open={embed_open} on_open={on_embed_open} />
                        <ExportMenu applied={state.applied.clone()}
                                    open={export_open} on_open={on_export_open} />
                    </div>
                </header>
                <div class="banners">
                    { link_banner(&state, Some(on_dismiss)) }
                    { storage_note }
                </div>
                if keep && !state.is_booting() {
                    <HistoryRecorder draft={state.draft.clone()} replaced={state.replaced}
                                     hold={state.hold_autosave}
                                     applied={state.applied.as_ref().map(|a| (a.version, a.text.clone()))} />
                }
                <main class={classes!("workspace", opts.readonly.then_some("readonly"))}>
                    if !opts.readonly {
                    <Editor
                        draft={state.draft.clone()}
                        diagnostics={state.diagnostics.clone()}
                        checked={state.checked.clone()}
                        example={state.example}
                        dirty={!state.is_booting() && state.draft_is_dirty()}
                        loading={state.is_booting()}
                        keeps_text={keep}
                        from_link={state.hold_autosave}
                    />
                    }
                    { view_area(&state, true) }
                </main>
                <footer class="statusbar">
                    <span class={classes!("status-dot", status_class)} aria-hidden="true"></span>
                    <span data-testid="status">{ status }</span>
                    <span class="spacer"></span>
                    <span class="muted">{ "Everything runs in this tab. Nothing is uploaded." }</span>
                </footer>
            </div>
        },
    )
}

/// `page` under the context that gives its components the run and the dispatcher.
fn provide(shared: Shared, page: Html) -> Html {
    html! {
        <ContextProvider<Shared> context={shared}>{ page }</ContextProvider<Shared>>
    }
}

/// The embed's minimal frame: an optional compact toolbar, one view without tabs, and a link
/// that opens the same scenario in the full app (page address without the query, plus the
/// current `#s=1.…` fragment).
fn embed_frame(state: &UseReducerHandle<State>, opts: &EmbedOptions, link: Option<&str>) -> Html {
    let href = match link {
        Some(f) => format!("{}#{f}", share::page_base()),
        None => share::page_base(),
    };
    let open = html! {
        <a class="btn small open-full" data-testid="open-full" href={href}
           target="_blank" rel="noopener" title="Open this scenario in the full playground">
            { "Open in Switchboard" }
        </a>
    };
    html! {
        <div class={classes!("app", "embed", (!opts.controls).then_some("no-controls"))}
             data-testid="app" data-embed="1" data-speed={state.speed.to_string()}>
            if opts.controls {
                <header class="topbar embed-bar">
                    { toolbar(state, true) }
                    <span class="spacer"></span>
                    { open }
                </header>
            } else {
                <div class="embed-corner">{ open }</div>
            }
            { link_banner(state, None) }
            <main class="workspace embed-view">
                { view_area(state, false) }
            </main>
        </div>
    }
}

/// The run controls, shared by the full app and the embed frame (`compact` there).
fn toolbar(state: &State, compact: bool) -> Html {
    html! {
        <Toolbar
            mode={state.mode}
            speed={state.speed}
            seed={state.seed}
            clock={state.clock}
            can_advance={state.can_advance()}
            {compact}
        />
    }
}

/// Why the opened link failed, if it did; the full app lets the user dismiss it.
fn link_banner(state: &State, on_dismiss: Option<Callback<MouseEvent>>) -> Html {
    let Some(reason) = &state.link_error else {
        return Html::default();
    };
    html! {
        <div class="banner error" role="alert" data-testid="link-banner">
            <span class="banner-text">
                <strong>{ "This link could not be opened: " }</strong>
                <span data-testid="link-reason">{ reason.to_string() }</span>
            </span>
            if let Some(onclick) = on_dismiss {
                <button class="btn small" data-testid="link-banner-close" aria-label="Dismiss"
                        {onclick}>{ "Dismiss" }</button>
            }
        </div>
    }
}

/// The views (with their tabs in the full app, a single one in the embed frame).
fn view_area(state: &State, tabs: bool) -> Html {
    html! {
        <ViewArea
            tab={state.tab}
            clock={state.clock}
            expanded={state.expanded.clone()}
            playing={state.mode != Mode::Paused}
            selected={state.selected}
            filter={state.filter.clone()}
            {tabs}
        />
    }
}

fn status_line(state: &State) -> (&'static str, String) {
    let c = &state.clock;
    if state.is_booting() {
        return ("idle", "Loading…".to_string());
    }
    let counts = format!(
        "{} messages · {} in flight",
        fmt::count(u64::from(c.records)),
        c.in_flight
    );
    match (state.mode, c.stop) {
        (Mode::Playing, _) => ("running", format!("Playing at {}× · {counts}", state.speed)),
        (Mode::RunToEnd, _) => (
            "running",
            format!(
                "Running to the end… {}% · {counts}",
                (c.progress() * 100.0) as u32
            ),
        ),
        (Mode::SeekTo { t, .. }, _) => (
            "running",
            format!(
                "Going to {}… {}% · {counts}",
                fmt::clock(t),
                (state.mode.busy_progress(c).unwrap_or(0.0) * 100.0) as u32
            ),
        ),
        (Mode::Paused, Some(StopReason::Finished { .. })) => (
            "idle",
            format!("Finished at {} · {counts}", fmt::clock(c.now)),
        ),
        (
            Mode::Paused,
            Some(stop @ (StopReason::EventBudgetExhausted { .. } | StopReason::PendingLimit { .. })),
        ) => {
            ("error", format!("Stopped: {stop} · {counts}"))
        }
        (Mode::Paused, Some(StopReason::Idle { .. })) => {
            ("idle", format!("Nothing left to happen · {counts}"))
        }
        (Mode::Paused, None) if c.records >= TRACE_LIMIT => (
            "error",
            format!(
                "Paused for good: the trace holds {} records, as many as this page keeps · Reset or shorten the scenario",
                fmt::count(u64::from(c.records))
            ),
        ),
        (Mode::Paused, None) if c.events == 0 => {
            ("idle", "Ready: press Play (Space) or Step (→)".to_string())
        }
        (Mode::Paused, None) => ("idle", format!("Paused · {counts}")),
    }
}
