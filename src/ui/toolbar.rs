//! Playback toolbar: play/pause, step, speed, reset, seed, simulated clock and share.

use yew::prelude::*;

use super::state::{Action, State, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub speed: f64,
    pub seed: u64,
    pub dispatch: UseReducerDispatcher<State>,
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
    let on_speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(speed) = select
                .value()
                .parse::<usize>()
                .ok()
                .and_then(|i| SPEEDS.get(i))
            {
                dispatch.dispatch(Action::SetSpeed(*speed));
            }
        })
    };

    html! {
        <div class="toolbar" role="toolbar" aria-label="Playback">
            <div class="group">
                <button class="btn primary" title="Play (Space)" aria-label="Play" disabled=true>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11l9-5.5z" /></svg>
                    <span>{ "Play" }</span>
                </button>
                <button class="btn" title="Step one event (→)" aria-label="Step one event" disabled=true>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 3v10l7-5zM11 3h2v10h-2z" /></svg>
                </button>
                <button class="btn" title="Reset" aria-label="Reset" disabled=true>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M8 3a5 5 0 1 1-4.6 3H1.5L4.5 2l3 4H5.5A3 3 0 1 0 8 5z" /></svg>
                </button>
            </div>
            <label class="field">
                <span>{ "Speed" }</span>
                <select onchange={on_speed} aria-label="Playback speed">
                    { for SPEEDS.iter().enumerate().map(|(i, s)| html! {
                        <option value={i.to_string()} selected={*s == props.speed}>{ speed_label(*s) }</option>
                    }) }
                </select>
            </label>
            <label class="field">
                <span>{ "Seed" }</span>
                <input class="seed" type="text" inputmode="numeric" value={props.seed.to_string()} aria-label="Seed" disabled=true />
            </label>
            <div class="clock" title="Simulated time" aria-label="Simulated time">
                <span class="clock-value">{ "0.000 s" }</span>
                <span class="clock-events">{ "0 events" }</span>
            </div>
            <div class="group end">
                <button class="btn" title="Copy a link that replays this run exactly" disabled=true>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M11 2a2.5 2.5 0 1 1-1.9 4.1L6 7.8a2.5 2.5 0 0 1 0 .4l3.1 1.7A2.5 2.5 0 1 1 8.5 11L5.4 9.3a2.5 2.5 0 1 1 0-2.6L8.5 5A2.5 2.5 0 0 1 11 2z" /></svg>
                    <span>{ "Share" }</span>
                </button>
            </div>
        </div>
    }
}
