//! The page: header with toolbar, the scenario editor pane, the tabbed view area and the status
//! bar; and the side effects that drive them — building the run, the animation-frame loop,
//! keyboard shortcuts — each in its own `use_effect_with` (autosave and history: `drafts`).

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::dom::{self, FrameLoop, Listener};
use super::drafts::{self, HistoryRecorder, Saving};
use super::editor::Editor;
use super::embed::EmbedOptions;
use super::fmt;
use super::history_panel::HistoryButton;
use super::host::{self, Command};
use super::run::{Run, RunHandle};
use super::share::{self, EmbedButton, ExportMenu, Popover, ShareButton};
use super::state::{Action, Mode, State, TRACE_LIMIT};
use super::storage_note::StorageNote;
use super::toolbar::Toolbar;
use super::views::ViewArea;
use crate::sim::{SimTime, StopReason};

/// Longest wall time a frame may spend simulating while playing, in milliseconds.
const PLAY_BUDGET_MS: f64 = 8.0;
/// Same for "run to end", which trades smoothness for speed but keeps the page responsive.
const RUN_TO_END_BUDGET_MS: f64 = 14.0;
/// Most events one playing frame may process, whatever the speed.
const FRAME_EVENT_CAP: u64 = 100_000;

/// Process exactly one event (pausing first), then report the new clock.
pub fn step_once(run: &RunHandle, dispatch: &UseReducerDispatcher<State>) {
    dispatch.dispatch(Action::Pause);
    let clock = {
        let mut cell = run.0.borrow_mut();
        let Some(r) = cell.as_mut() else {
            return;
        };
        r.step();
        r.clock()
    };
    dispatch.dispatch(Action::Advanced(clock));
}

/// Move the run to simulated time `t`, paused: forward over as many frames as it takes
/// (`Mode::SeekTo`, so a far seek never freezes the page), backward by replaying a fresh run
/// from zero (the run is deterministic, so the replay is the same run) — `pending_start` tells
/// the build effect where the new run should seek to.
fn seek(
    run: &RunHandle,
    dispatch: &UseReducerDispatcher<State>,
    pending_start: &std::rc::Rc<std::cell::RefCell<Option<SimTime>>>,
    t: SimTime,
) {
    dispatch.dispatch(Action::Pause);
    let Some(now) = run.0.borrow().as_ref().map(|r| r.clock().now) else {
        return;
    };
    if t < now {
        *pending_start.borrow_mut() = Some(t);
        dispatch.dispatch(Action::Reset);
    } else {
        dispatch.dispatch(Action::SeekTo(t));
    }
}

/// Why a run can go no further, as the host page's `finished` event names it.
fn finish_reason(state: &State) -> Option<&'static str> {
    let c = &state.clock;
    if !c.built {
        return None;
    }
    match c.stop {
        Some(StopReason::Finished { .. }) => Some("finished"),
        Some(StopReason::Idle { .. }) => Some("idle"),
        Some(StopReason::EventBudgetExhausted { .. }) => Some("event-budget"),
        Some(StopReason::PendingLimit { .. }) => Some("pending-limit"),
        None if c.records >= TRACE_LIMIT => Some("trace-limit"),
        None => None,
    }
}

/// The state the page opens with. A share link in the fragment wins over the autosave (see
/// `State::open`) — unless it is this tab's own link (a reload), whose text the autosave
/// already holds, maybe edited. A framed page reads no draft (`drafts::keeps_text`).
fn opening_state(opts: &EmbedOptions) -> State {
    let keep = drafts::keeps_text(opts);
    let fragment = share::current_fragment();
    let own = drafts::own_link(keep, &fragment);
    let state = State::open(
        (!own).then_some(fragment.as_str()),
        drafts::opening_draft(keep),
    );
    with_options(state, opts)
}

/// `state` with the query's view (the embed's one view, or the full app's first tab) and speed.
fn with_options(mut state: State, opts: &EmbedOptions) -> State {
    state.tab = opts.view;
    if let Some(speed) = opts.speed {
        state.speed = speed;
    }
    state
}

#[function_component]
pub fn App() -> Html {
    // The query string (`?embed=1&view=…`, `?readonly=1`) is read once; see `embed`.
    let opts = use_memo((), |_| EmbedOptions::current());
    let state = {
        let opts = opts.clone();
        use_reducer(move || {
            if dom::lazy_half_ready() {
                opening_state(&opts)
            } else {
                // The first paint shows the text; the run follows with the rest of the app.
                let keep = drafts::keeps_text(&opts);
                with_options(State::booting(drafts::opening_draft(keep)), &opts)
            }
        })
    };
    let dispatch = state.dispatcher();
    let keep = drafts::keeps_text(&opts);
    // Booting: open for real once the rest of the app is in (the loader's event comes after the
    // code is ready, never from inside a call into it).
    {
        let dispatch = dispatch.clone();
        let opts = opts.clone();
        use_effect_with(state.booting, move |&booting| {
            let boot = move || dispatch.dispatch(Action::Boot(Box::new(opening_state(&opts))));
            let listener = booting
                .then(|| {
                    Listener::on_window(dom::LAZY_READY_EVENT, {
                        let boot = boot.clone();
                        move |_| boot()
                    })
                })
                .flatten();
            // The event may have fired before this listener existed (the first render can load
            // the lazy half itself, and a framed page may run this effect late): ask again.
            // A second `Boot` is ignored.
            if booting && dom::lazy_half_ready() {
                boot();
            }
            move || drop(listener)
        });
    }
    let run = RunHandle(use_mut_ref(|| None::<Run>));
    // Where the next run built starts (`t=` for the first, a backward seek later), and whether
    // it plays at once (`autoplay=`, the first run only).
    let pending_start = use_mut_ref(|| opts.start_at);
    let autoplay_due = use_mut_ref(|| opts.autoplay);
    // The host page hears `ready` for the first run built and after each `load` command.
    let ready_due = use_mut_ref(|| true);

    // `theme=` forces the colour scheme through `data-theme` on <html>.
    use_effect_with(opts.theme, |theme| {
        if let Some(theme) = theme {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-theme", theme.attr());
            }
        }
    });

    // Build the engine whenever a new run is due (Apply, Reset, seed, gallery pick).
    {
        let run = run.clone();
        let dispatch = dispatch.clone();
        let applied = state.applied.clone();
        let seed = state.seed;
        let pending_start = pending_start.clone();
        use_effect_with(state.run_id, move |&run_id| {
            if let Some(applied) = applied {
                // The world was compiled once, on Apply; this only starts a run of it.
                let r = Run::new(run_id, &applied.compiled, seed);
                let clock = r.clock();
                *run.0.borrow_mut() = Some(r);
                dispatch.dispatch(Action::Advanced(clock));
                // A start time (the `t=` option, or a seek backwards): the frame loop gets there,
                // then pauses (or plays, if autoplay asks below).
                if let Some(t) = pending_start.borrow_mut().take() {
                    dispatch.dispatch(Action::SeekTo(t));
                }
                if std::mem::take(&mut *autoplay_due.borrow_mut()) {
                    dispatch.dispatch(Action::Play);
                }
            }
        });
    }

    // The frame loop: alive while playing or running to the end, dropped (cancelled) otherwise.
    {
        let run = run.clone();
        let dispatch = dispatch.clone();
        use_effect_with(
            (state.mode, state.speed, state.run_id),
            move |&(mode, speed, _)| {
                let frames = (mode != Mode::Paused).then(|| {
                    let mut last: Option<f64> = None;
                    FrameLoop::start(move |ts| {
                        // A hidden tab delivers no frames; never try to catch up more than 100 ms.
                        let dt = last.map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
                        last = Some(ts);
                        let start = dom::now_ms();
                        let clock = {
                            let mut cell = run.0.borrow_mut();
                            let Some(r) = cell.as_mut() else {
                                return false;
                            };
                            match mode {
                                Mode::Playing => {
                                    let by = SimTime::from_micros_f64(dt * 1_000.0 * speed);
                                    r.advance(by, FRAME_EVENT_CAP, &mut || {
                                        dom::now_ms() - start > PLAY_BUDGET_MS
                                    });
                                }
                                Mode::RunToEnd => {
                                    r.advance(SimTime::MAX, u64::MAX, &mut || {
                                        dom::now_ms() - start > RUN_TO_END_BUDGET_MS
                                    });
                                }
                                Mode::SeekTo { t, .. } => {
                                    let by = t.saturating_sub(r.clock().now);
                                    r.advance(by, u64::MAX, &mut || {
                                        dom::now_ms() - start > RUN_TO_END_BUDGET_MS
                                    });
                                }
                                Mode::Paused => {}
                            }
                            r.clock()
                        };
                        dispatch.dispatch(Action::Advanced(clock));
                        clock.stop.is_none() && clock.records < TRACE_LIMIT
                    })
                });
                move || drop(frames)
            },
        );
    }

    // Autosave and the history (`drafts`); opening someone's link never replaces one's own
    // saved draft, and a framed page keeps nothing.
    let saving = drafts::use_drafts(&state, keep);

    // The share-link fragment of the current run, encoded (a DEFLATE) once per scenario and seed
    // rather than on every render.
    let link = {
        let state = state.clone();
        use_memo(
            (state.applied.as_ref().map(|a| a.version), state.seed),
            move |_| state.link_fragment(),
        )
    };

    // The URL mirrors the applied scenario and seed (`#s=1.…`) and, in the full app, the view
    // (`?view=log`); it is replaced in place only when it changed. A link that failed to load
    // stays in the address bar until the user acts. While booting the URL is left alone: the
    // opening state still has to read it.
    {
        let version = state.applied.as_ref().map(|a| a.version);
        let view = (!opts.embed).then_some(state.tab);
        let link = link.clone();
        use_effect_with(
            (
                version,
                state.seed,
                state.hold_url,
                state.hold_autosave,
                view,
                state.booting,
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

    // A link pasted into the address bar of an open tab changes only the fragment, which does
    // not reload the page; reload so it opens like any link. (`replaceState` fires no
    // `hashchange`, so the app's own URL updates never get here.)
    use_effect_with((), |_| {
        let listener = Listener::on_window("hashchange", |_: web_sys::Event| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        move || drop(listener)
    });

    // The host page (when framed): commands in, events out. See `host` and docs/embedding.md.
    {
        let run = run.clone();
        let dispatch = dispatch.clone();
        let ready_due = ready_due.clone();
        use_effect_with((), move |_| {
            let listener = host::listen(move |command| match command {
                Command::Play => dispatch.dispatch(Action::Play),
                Command::Pause => dispatch.dispatch(Action::Pause),
                Command::Step => step_once(&run, &dispatch),
                Command::Seek(t) => seek(&run, &dispatch, &pending_start, t),
                Command::SetSpeed(x) => dispatch.dispatch(Action::SetSpeed(x)),
                Command::Load(fragment) => {
                    *ready_due.borrow_mut() = true;
                    dispatch.dispatch(Action::OpenLink(fragment));
                }
            });
            move || drop(listener)
        });
    }
    {
        let c = state.clock;
        use_effect_with((c.run_id, c.built, c.now, c.events), move |_| {
            if !c.built || !host::framed() {
                return;
            }
            if std::mem::take(&mut *ready_due.borrow_mut()) {
                host::post(host::Event::Ready {
                    t: c.now,
                    duration: c.duration,
                });
            }
            host::post(host::Event::Tick {
                t: c.now,
                events: c.events,
            });
        });
        let reason = finish_reason(&state);
        use_effect_with((c.run_id, reason), move |&(_, reason)| {
            if let Some(reason) = reason {
                host::post(host::Event::Finished {
                    t: c.now,
                    events: c.events,
                    reason,
                });
            }
        });
        use_effect_with(state.link_error.clone(), |link_error| {
            if let Some(e) = link_error {
                host::post(host::Event::Error {
                    message: &format!("This link could not be opened: {e}"),
                });
            }
        });
    }

    // Keyboard: Space play/pause, → step, Ctrl/Cmd+Enter apply.
    {
        let run = run.clone();
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = Listener::on_window("keydown", move |e: web_sys::Event| {
                let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if (k.ctrl_key() || k.meta_key()) && k.key() == "Enter" {
                    e.prevent_default();
                    dispatch.dispatch(Action::Apply);
                    return;
                }
                if k.ctrl_key() || k.meta_key() || k.alt_key() || dom::typing_target(&e) {
                    return;
                }
                let on_control = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY")
                            || el.get_attribute("role").as_deref() == Some("tab")
                    });
                match k.key().as_str() {
                    // Space on a focused button presses that button instead.
                    " " if !on_control => {
                        e.prevent_default();
                        dispatch.dispatch(Action::TogglePlay);
                    }
                    "ArrowRight" => {
                        e.prevent_default();
                        step_once(&run, &dispatch);
                    }
                    _ => {}
                }
            });
            move || drop(listener)
        });
    }

    let on_fragment = {
        let link = link.clone();
        Callback::from(move |()| (*link).clone())
    }; // One header popover at a time (Share, Embed, Export); Escape or a click elsewhere closes it.
    let popover = use_state_eq(|| Popover::None);
    {
        let popover = popover.clone();
        use_effect_with(*popover == Popover::None, move |&closed| {
            let listeners = (!closed).then(|| {
                let on_click = {
                    let popover = popover.clone();
                    Listener::on_window("pointerdown", move |e: web_sys::Event| {
                        let inside = e
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .and_then(|el| el.closest(".share-tools").ok().flatten())
                            .is_some();
                        if !inside {
                            popover.set(Popover::None);
                        }
                    })
                };
                let on_key = Listener::on_window("keydown", move |e: web_sys::Event| {
                    if e.dyn_ref::<web_sys::KeyboardEvent>()
                        .is_some_and(|k| k.key() == "Escape")
                    {
                        popover.set(Popover::None);
                    }
                });
                (on_click, on_key)
            });
            move || drop(listeners)
        });
    }
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
    if opts.embed {
        return embed_frame(&state, &opts, link.as_ref().as_deref(), run, dispatch);
    }
    let (status_class, status) = status_line(&state);
    // Said once the page is up (the note's code is not part of the first render).
    let storage_note = match saving {
        Saving::Refused(refusal) if !state.booting => html! {
            <StorageNote {refusal} draft={state.draft.clone()} tab={state.tab} />
        },
        _ => Html::default(),
    };
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
                { toolbar(&state, &run, &dispatch, false) }
                <div class="share-tools">
                    // Once booted: the history's code is not part of the first render.
                    if keep && !state.booting {
                        <HistoryButton open={history_open} on_open={on_history_open} {on_restore} />
                    }
                    <ShareButton applied={state.applied.clone()} fragment={on_fragment.clone()}
                                 tab={state.tab} open={share_open} on_open={on_share_open} />
                    <EmbedButton applied={state.applied.clone()} fragment={on_fragment}
                                 tab={state.tab} open={embed_open} on_open={on_embed_open} />
                    <ExportMenu run={run.clone()} applied={state.applied.clone()}
                                open={export_open} on_open={on_export_open} />
                </div>
            </header>
            <div class="banners">
                { link_banner(&state, Some(on_dismiss)) }
                { storage_note }
            </div>
            if keep && !state.booting {
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
                    dirty={!state.booting && state.draft_is_dirty()}
                    loading={state.booting}
                    keeps_text={keep}
                    dispatch={dispatch.clone()}
                />
                }
                { view_area(&state, run, dispatch, true) }
            </main>
            <footer class="statusbar">
                <span class={classes!("status-dot", status_class)} aria-hidden="true"></span>
                <span data-testid="status">{ status }</span>
                <span class="spacer"></span>
                <span class="muted">{ "Everything runs in this tab. Nothing is uploaded." }</span>
            </footer>
        </div>
    }
}

/// The embed's minimal frame: an optional compact toolbar, one view without tabs, and a link
/// that opens the same scenario in the full app (page address without the query, plus the
/// current `#s=1.…` fragment).
fn embed_frame(
    state: &UseReducerHandle<State>,
    opts: &EmbedOptions,
    link: Option<&str>,
    run: RunHandle,
    dispatch: UseReducerDispatcher<State>,
) -> Html {
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
                    { toolbar(state, &run, &dispatch, true) }
                    <span class="spacer"></span>
                    { open }
                </header>
            } else {
                <div class="embed-corner">{ open }</div>
            }
            { link_banner(state, None) }
            <main class="workspace embed-view">
                { view_area(state, run, dispatch, false) }
            </main>
        </div>
    }
}

/// The run controls, shared by the full app and the embed frame (`compact` there).
fn toolbar(
    state: &State,
    run: &RunHandle,
    dispatch: &UseReducerDispatcher<State>,
    compact: bool,
) -> Html {
    html! {
        <Toolbar
            mode={state.mode}
            speed={state.speed}
            seed={state.seed}
            clock={state.clock}
            can_advance={state.can_advance()}
            run={run.clone()}
            dispatch={dispatch.clone()}
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
fn view_area(
    state: &State,
    run: RunHandle,
    dispatch: UseReducerDispatcher<State>,
    tabs: bool,
) -> Html {
    html! {
        <ViewArea
            tab={state.tab}
            {run}
            clock={state.clock}
            playing={state.mode != Mode::Paused}
            selected={state.selected}
            filter={state.filter.clone()}
            {dispatch}
            {tabs}
        />
    }
}

fn status_line(state: &State) -> (&'static str, String) {
    let c = &state.clock;
    if state.booting {
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
