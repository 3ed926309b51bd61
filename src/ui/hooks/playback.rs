//! Playback: building each run when one is due, the animation-frame loop that advances it, and
//! the one-event step and the seek that the toolbar, the keys and the host page share.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::super::dom::{self, FrameLoop};
use super::super::run::{Run, RunHandle};
use super::super::state::{Action, Mode, State, TRACE_LIMIT};
use crate::sim::SimTime;

/// Longest wall time a frame may spend simulating while playing, in milliseconds.
const PLAY_BUDGET_MS: f64 = 8.0;
/// Same for "run to end", which trades smoothness for speed but keeps the page responsive.
const RUN_TO_END_BUDGET_MS: f64 = 14.0;
/// Most events one playing frame may process, whatever the speed.
const FRAME_EVENT_CAP: u64 = 100_000;

/// Where the next run built starts (`t=` for the first, a backward seek later).
pub type PendingStart = Rc<RefCell<Option<SimTime>>>;

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
pub fn seek(
    run: &RunHandle,
    dispatch: &UseReducerDispatcher<State>,
    pending_start: &PendingStart,
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

/// Build the engine whenever a new run is due (Apply, Reset, seed, gallery pick). The first run
/// built plays at once when `autoplay` (the `autoplay=` option).
#[hook]
pub fn use_run_builder(
    state: &State,
    run: &RunHandle,
    dispatch: &UseReducerDispatcher<State>,
    pending_start: &PendingStart,
    autoplay: bool,
) {
    let autoplay_due = use_mut_ref(|| autoplay);
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

/// The frame loop: alive while playing or running to the end, dropped (cancelled) otherwise.
#[hook]
pub fn use_frame_loop(state: &State, run: &RunHandle, dispatch: &UseReducerDispatcher<State>) {
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
