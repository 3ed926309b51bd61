//! Playback toolbar: play/pause, step, run to end (with progress and cancel), reset, speed, seed
//! (editable, or a new random one), and the simulated clock with the event count.

use yew::prelude::*;

use super::context::{use_shared, Shared};
use super::dom;
use super::fmt;
use super::hooks::step_once;
use super::state::{Action, Clock, Mode, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub mode: Mode,
    pub speed: f64,
    pub seed: u64,
    pub clock: Clock,
    pub can_advance: bool,
    /// The embed's compact form: play/pause, step, reset and the clock only.
    #[prop_or_default]
    pub compact: bool,
}

fn speed_label(speed: f64) -> String {
    if speed < 1.0 {
        format!("{speed}×")
    } else {
        format!("{}×", speed as u64)
    }
}

#[function_component]
pub fn Toolbar(props: &ToolbarProps) -> Html {
    let Shared { run, dispatch } = use_shared();
    let d = &dispatch;
    let on_speed = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(speed) = select
                .value()
                .parse::<usize>()
                .ok()
                .and_then(|i| SPEEDS.get(i))
            {
                d.dispatch(Action::SetSpeed(*speed));
            }
        })
    };
    let on_seed = {
        let d = d.clone();
        let seed = props.seed;
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            match input.value().trim().parse::<u64>() {
                Ok(n) if n != seed => d.dispatch(Action::SetSeed(n)),
                // Not a number (or unchanged): show the seed in use again.
                _ => input.set_value(&seed.to_string()),
            }
        })
    };
    let on_seed_key = Callback::from(|e: KeyboardEvent| {
        if e.key() == "Enter" {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let _ = input.blur();
        }
    });
    let click = |a: Action| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(a.clone()))
    };
    let on_new_seed = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SetSeed(dom::random_seed())))
    };
    let on_step = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| step_once(&run, &d))
    };

    // Playing, or going to a time and playing once there.
    let playing = matches!(
        props.mode,
        Mode::Playing
            | Mode::SeekTo {
                then_play: true,
                ..
            }
    );
    let c = &props.clock;
    // A run to the end or a seek under way: its progress and a Cancel button.
    let busy = props.mode.busy_progress(c).map(|p| (p * 100.0) as u32);
    let busy_label = if props.mode == Mode::RunToEnd {
        "Running to the end"
    } else {
        "Going to a time"
    };

    html! {
        <div class="toolbar" role="toolbar" aria-label="Playback">
            <div class="group">
                <button class="btn primary play" data-testid="play"
                        title={if playing { "Pause (Space)" } else { "Play (Space)" }}
                        aria-label={if playing { "Pause" } else { "Play" }}
                        aria-pressed={playing.to_string()}
                        disabled={!props.can_advance && !playing}
                        onclick={click(Action::TogglePlay)}>
                    if playing {
                        <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5h3v11H4zM9 2.5h3v11H9z" /></svg>
                        <span>{ "Pause" }</span>
                    } else {
                        <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11l9-5.5z" /></svg>
                        <span>{ "Play" }</span>
                    }
                </button>
                <button class="btn" data-testid="step" title="Step one event (→)" aria-label="Step one event"
                        disabled={!props.can_advance} onclick={on_step}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 3v10l7-5zM11 3h2v10h-2z" /></svg>
                </button>
                <button class="btn" data-testid="reset" title="Reset to time zero" aria-label="Reset"
                        onclick={click(Action::Reset)}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M8 3a5 5 0 1 1-4.6 3H1.5L4.5 2l3 4H5.5A3 3 0 1 0 8 5z" /></svg>
                </button>
            </div>
            if !props.compact {
            <label class="field">
                <span>{ "Speed" }</span>
                <select onchange={on_speed} aria-label="Playback speed" data-testid="speed">
                    { for SPEEDS.iter().enumerate().map(|(i, s)| html! {
                        <option value={i.to_string()} selected={*s == props.speed}>{ speed_label(*s) }</option>
                    }) }
                </select>
            </label>
            if let Some(progress) = busy {
                <div class="run-to-end" role="group" aria-label={busy_label}>
                    <progress max="100" value={progress.to_string()} aria-label="Progress"></progress>
                    <span class="pct">{ format!("{progress}%") }</span>
                    <button class="btn small" data-testid="cancel" onclick={click(Action::Pause)}>{ "Cancel" }</button>
                </div>
            } else {
                <button class="btn" data-testid="run-to-end" title="Simulate to the end as fast as possible"
                        disabled={!props.can_advance} onclick={click(Action::RunToEnd)}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2 3v10l6-5zM8 3v10l6-5z" /></svg>
                    <span>{ "Run to end" }</span>
                </button>
            }
            <label class="field">
                <span>{ "Seed" }</span>
                <input class="seed" type="text" inputmode="numeric" data-testid="seed"
                       value={props.seed.to_string()} aria-label="Seed"
                       onchange={on_seed} onkeydown={on_seed_key} />
                <button class="btn icon" title="New random seed" aria-label="New random seed"
                        data-testid="new-seed" onclick={on_new_seed}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 2h10a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm2 2a1 1 0 1 0 0 2 1 1 0 0 0 0-2zm6 0a1 1 0 1 0 0 2 1 1 0 0 0 0-2zM8 7a1 1 0 1 0 0 2 1 1 0 0 0 0-2zm-3 3a1 1 0 1 0 0 2 1 1 0 0 0 0-2zm6 0a1 1 0 1 0 0 2 1 1 0 0 0 0-2z" /></svg>
                </button>
            </label>
            }
            <div class="clock" title="Simulated time / duration" aria-label="Simulated time" aria-live="off">
                <span class="clock-value" data-testid="sim-time" data-now-us={c.now.0.to_string()}>
                    { fmt::clock(c.now) }
                    <span class="clock-of">{ " / " }{ fmt::clock(c.duration) }</span>
                </span>
                <span class="clock-events" data-testid="events" data-events={c.events.to_string()}>
                    { fmt::count(c.events) }{ " events" }
                </span>
            </div>
        </div>
    }
}
