//! The bridge to the host page of a framed app (see `ui::host` and docs/embedding.md): its
//! commands drive the run, and the run's progress goes back to it as events.

use yew::prelude::*;

use super::super::host::{self, Command};
use super::super::run::RunHandle;
use super::super::state::{Action, State, TRACE_LIMIT};
use super::playback::{seek, step_once, PendingStart};
use crate::sim::StopReason;

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

/// Commands in, events out. The host page hears `ready` for the first run built and after each
/// `load` command, then `tick`s as the run moves, `finished` once, and an `error` for a link
/// that could not be opened.
#[hook]
pub fn use_host_bridge(
    state: &State,
    run: &RunHandle,
    dispatch: &UseReducerDispatcher<State>,
    pending_start: &PendingStart,
) {
    let ready_due = use_mut_ref(|| true);
    {
        let run = run.clone();
        let dispatch = dispatch.clone();
        let ready_due = ready_due.clone();
        let pending_start = pending_start.clone();
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
    let reason = finish_reason(state);
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
