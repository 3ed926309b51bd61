//! Timeline view: a lane per client, service, queue, topic and subscription, time running left
//! to right; each message an arrow from (sender lane, send time) to (receiver lane, receive time),
//! so its slope shows its latency (a Lamport diagram as the run plays). Work spans are bars;
//! drops, timeouts, retries, redeliveries and dead letters have their own marks; faults shade
//! the lanes they hit. Zoom (wheel, buttons, +/−), pan (drag, ←/→), a playhead, and "follow"
//! while playing. Drawn on a canvas, only what is in view, with level of detail when it is
//! dense; when there are more lanes than fit, they scroll (a scroll bar, the wheel over the lane
//! names, ↑/↓) and only those in view are drawn. Clicking an arrow selects its record (and the log
//! row), and a selection made elsewhere brings it into view. This file is the component (the
//! view's state, input, effects); what is drawn is `scene`'s, plain data tested natively, and
//! `paint` puts a scene on the canvas.

mod paint;
mod scene;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::context::use_shared;
use super::detail::Detail;
use super::dom::Listener;
use super::fmt;
use super::state::{Action, Clock};
use crate::sim::{RecordId, SimTime};
use paint::Palette;
use scene::{lane_window, pick, Fit, Hit, View, LEFT, RIGHT};

/// Default visible span: one simulated second.
const DEFAULT_SPAN: f64 = 1_000_000.0;
const MIN_SPAN: f64 = 200.0;
/// While playing, draws are at least this far apart (ms of wall time).
const MIN_DRAW_MS: f64 = 30.0;

struct Drag {
    x0: f64,
    t0: f64,
    moved: bool,
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub clock: Clock,
    pub playing: bool,
    pub selected: Option<RecordId>,
}

#[function_component]
pub fn TimelineView(props: &TimelineProps) -> Html {
    let shared = use_shared();
    let view = use_mut_ref(|| View {
        t0: 0.0,
        span: DEFAULT_SPAN,
        follow: true,
        y0: 0.0,
    });
    let fit = use_mut_ref(Fit::default);
    let strip = use_node_ref();
    let drag = use_mut_ref(|| None::<Drag>);
    let hits: Rc<RefCell<Vec<Hit>>> = use_mut_ref(Vec::new);
    // Reading the theme's colours costs a style query each; while playing they are re-read
    // once a second or so.
    let palette = use_mut_ref(|| None::<(u32, Palette)>);
    // Wall time and inputs of the last draw: while playing, at most ~30 draws a second
    // (rasterising thousands of arrows is the expensive part of a frame).
    let last_draw = use_mut_ref(|| (0.0f64, None::<(bool, f64, f64, Option<RecordId>, f64)>));
    let redraw = use_force_update();
    let canvas = use_node_ref();
    let wrap = use_node_ref();

    let now = props.clock.now.0 as f64;
    let lane_count = shared
        .run
        .0
        .borrow()
        .as_ref()
        .map_or(0, |r| r.lanes.len().max(1));
    let lanes_shown = {
        // Follow: keep the playhead near the right edge.
        let mut v = view.borrow_mut();
        if v.follow {
            v.t0 = (now - v.span * 0.9).max(0.0);
        }
        let f = *fit.borrow();
        let (y0, first, last, content) = lane_window(lane_count, f.lane_h, f.plot, v.y0);
        v.y0 = y0;
        f.overflows().then_some((first, last, content))
    };
    // The lane scroll bar follows the view (moved by the wheel, keys or a selection).
    {
        let (strip, view) = (strip.clone(), view.clone());
        use_effect(move || {
            if let Some(el) = strip.cast::<web_sys::HtmlElement>() {
                super::dom::apply_css(&el);
                let y0 = view.borrow().y0;
                if (f64::from(el.scroll_top()) - y0).abs() >= 1.0 {
                    el.set_scroll_top(y0 as i32);
                }
            }
        });
    }

    // Draw after every render (the clock, the selection or the view moved).
    {
        let (run, view, hits, canvas, wrap) = (
            shared.run.clone(),
            view.clone(),
            hits.clone(),
            canvas.clone(),
            wrap.clone(),
        );
        let selected = props.selected;
        let (palette, playing, last_draw) = (palette.clone(), props.playing, last_draw.clone());
        let (fit, redraw) = (fit.clone(), redraw.clone());
        use_effect(move || {
            // How many lanes fit decides whether the lane scroll bar shows, which this render
            // has already laid out. On the first render, or after a resize, that is not known
            // yet: record it and render again before drawing, so a tab that opens draws once.
            if let (Some(w), Some(r)) =
                (wrap.cast::<web_sys::HtmlElement>(), run.0.borrow().as_ref())
            {
                let new_fit = Fit::of(r.lanes.len(), f64::from(w.client_height()).max(1.0));
                if std::mem::replace(&mut *fit.borrow_mut(), new_fit) != new_fit {
                    redraw.force_update();
                    return;
                }
            }
            let wall = super::dom::now_ms();
            // What the user chose to see; a following view moves by itself and does not count.
            let inputs = {
                let v = view.borrow();
                (
                    v.follow,
                    v.span,
                    if v.follow { 0.0 } else { v.t0 },
                    selected,
                    v.y0,
                )
            };
            {
                let mut last = last_draw.borrow_mut();
                if playing && wall - last.0 < MIN_DRAW_MS && last.1 == Some(inputs) {
                    return;
                }
                *last = (wall, Some(inputs));
            }
            let (Some(c), Some(w)) = (
                canvas.cast::<web_sys::HtmlCanvasElement>(),
                wrap.cast::<web_sys::HtmlElement>(),
            ) else {
                return;
            };
            let cell = run.0.borrow();
            if let Some(r) = cell.as_ref() {
                let v = *view.borrow();
                let mut cached = palette.borrow_mut();
                if !playing || cached.as_ref().is_none_or(|(n, _)| *n >= 60) {
                    *cached = Some((0, Palette::read(c.as_ref())));
                }
                let Some((n, pal)) = cached.as_mut() else {
                    return;
                };
                *n += 1;
                let (width, height) = paint::size(&w);
                let scene = scene::build(r, v, selected, width, height);
                let (list, drawn) = if paint::paint(&c, pal, &scene) {
                    (scene.hits, scene.drawn)
                } else {
                    (Vec::new(), 0)
                };
                let _ = c.set_attribute("data-arrows", &drawn.to_string());
                // A point on one drawn arrow, so end-to-end tests can click it.
                let probe = scene::probe(&list).map(|(x, y, id)| format!("{x:.0} {y:.0} {}", id.0));
                let _ = match probe {
                    Some(p) => c.set_attribute("data-probe", &p),
                    None => c.remove_attribute("data-probe"),
                };
                *hits.borrow_mut() = list;
            }
        });
    }

    // Wheel zoom needs a non-passive listener to keep the page from scrolling.
    {
        let (canvas, view, redraw, fit) =
            (canvas.clone(), view.clone(), redraw.clone(), fit.clone());
        use_effect_with((), move |_| {
            let listener = canvas.cast::<web_sys::Element>().map(|el| {
                let target = el.clone();
                Listener::new(el.as_ref(), "wheel", false, move |e| {
                    let Some(w) = e.dyn_ref::<web_sys::WheelEvent>() else {
                        return;
                    };
                    e.prevent_default();
                    let width = f64::from(target.client_width()) - LEFT - RIGHT;
                    let mut v = view.borrow_mut();
                    let f = *fit.borrow();
                    let lanes_scroll = f.overflows()
                        && f64::from(w.offset_x()) < LEFT
                        && w.delta_y().abs() >= w.delta_x().abs();
                    if lanes_scroll {
                        // Over the lane names the wheel scrolls the lanes (when they overflow;
                        // `lane_window` keeps it in bounds at the next render).
                        v.y0 = (v.y0 + w.delta_y()).max(0.0);
                    } else if w.shift_key() || w.delta_x().abs() > w.delta_y().abs() {
                        let d = if w.delta_x() != 0.0 {
                            w.delta_x()
                        } else {
                            w.delta_y()
                        };
                        v.t0 = (v.t0 + d / width.max(1.0) * v.span).max(0.0);
                        v.follow = false;
                    } else {
                        let x = f64::from(w.offset_x()) - LEFT;
                        let at = v.t0 + (x / width.max(1.0)).clamp(0.0, 1.0) * v.span;
                        let factor = (w.delta_y() * 0.0015).clamp(-0.5, 0.5).exp();
                        zoom(&mut v, factor, at);
                    }
                    drop(v);
                    redraw.force_update();
                })
            });
            move || drop(listener)
        });
    }

    // A selection made elsewhere comes into view: its time, and its sender's lane.
    {
        let (run, view, redraw, fit) = (
            shared.run.clone(),
            view.clone(),
            redraw.clone(),
            fit.clone(),
        );
        use_effect_with(props.selected, move |selected| {
            let Some(id) = *selected else {
                return;
            };
            let cell = run.0.borrow();
            let Some((r, lane)) = cell.as_ref().and_then(|run| {
                let r = run.sim.trace().get(id).copied()?;
                Some((r, run.lane_of.get(r.from.0 as usize).copied().unwrap_or(0)))
            }) else {
                return;
            };
            let mut v = view.borrow_mut();
            let mut moved = false;
            let (a, b) = (r.send.0 as f64, r.recv.0 as f64);
            if b < v.t0 || a > v.t0 + v.span {
                v.follow = false;
                if b - a > v.span * 0.8 {
                    v.span = ((b - a) * 1.25).max(MIN_SPAN);
                }
                v.t0 = ((a + b) / 2.0 - v.span / 2.0).max(0.0);
                moved = true;
            }
            let f = *fit.borrow();
            let y = lane as f64 * f.lane_h;
            if f.overflows() && (y < v.y0 || y + f.lane_h > v.y0 + f.plot) {
                v.y0 = (y - f.plot / 2.0).max(0.0);
                moved = true;
            }
            if moved {
                drop(v);
                redraw.force_update();
            }
        });
    }

    let set_view = |f: ViewEdit| {
        let (view, redraw) = (view.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            f(&mut view.borrow_mut(), now);
            redraw.force_update();
        })
    };
    let zoom_in = set_view(Rc::new(|v, now| {
        let at = if v.follow { now } else { v.t0 + v.span / 2.0 };
        zoom(v, 0.5, at)
    }));
    let zoom_out = set_view(Rc::new(|v, now| {
        let at = if v.follow { now } else { v.t0 + v.span / 2.0 };
        zoom(v, 2.0, at)
    }));
    let fit_all = set_view(Rc::new(|v, now| {
        v.follow = false;
        v.t0 = 0.0;
        v.span = (now * 1.02).max(10_000.0);
    }));
    let toggle_follow = set_view(Rc::new(|v, _| v.follow = !v.follow));

    let on_down = {
        let (drag, view) = (drag.clone(), view.clone());
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            let el: web_sys::Element = e.target_unchecked_into();
            let _ = el.set_pointer_capture(e.pointer_id());
            *drag.borrow_mut() = Some(Drag {
                x0: f64::from(e.client_x()),
                t0: view.borrow().t0,
                moved: false,
            });
        })
    };
    let on_move = {
        let (drag, view, redraw) = (drag.clone(), view.clone(), redraw.clone());
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            let Some(d) = d.as_mut() else {
                return;
            };
            let el: web_sys::Element = e.target_unchecked_into();
            let width = (f64::from(el.client_width()) - LEFT - RIGHT).max(1.0);
            let dx = f64::from(e.client_x()) - d.x0;
            if dx.abs() > 3.0 {
                d.moved = true;
            }
            if d.moved {
                let mut v = view.borrow_mut();
                v.follow = false;
                v.t0 = (d.t0 - dx / width * v.span).max(0.0);
                drop(v);
                redraw.force_update();
            }
        })
    };
    let on_up = {
        let (drag, hits, d) = (drag.clone(), hits.clone(), shared.dispatch.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(g) = drag.borrow_mut().take() else {
                return;
            };
            if g.moved {
                return;
            }
            let (x, y) = (f64::from(e.offset_x()), f64::from(e.offset_y()));
            let picked = pick(&hits.borrow(), x, y);
            d.dispatch(Action::Select(picked));
        })
    };
    let on_key = {
        let (view, redraw, fit) = (view.clone(), redraw.clone(), fit.clone());
        Callback::from(move |e: KeyboardEvent| {
            let mut v = view.borrow_mut();
            let mid = if v.follow { now } else { v.t0 + v.span / 2.0 };
            let f = *fit.borrow();
            match e.key().as_str() {
                // Lanes scroll only when there are more than fit.
                "ArrowUp" if f.overflows() => v.y0 = (v.y0 - f.lane_h).max(0.0),
                "ArrowDown" if f.overflows() => v.y0 += f.lane_h,
                "PageUp" if f.overflows() => v.y0 = (v.y0 - f.plot * 0.9).max(0.0),
                "PageDown" if f.overflows() => v.y0 += f.plot * 0.9,
                "+" | "=" => zoom(&mut v, 0.5, mid),
                "-" | "_" => zoom(&mut v, 2.0, mid),
                "ArrowLeft" => {
                    v.follow = false;
                    v.t0 = (v.t0 - v.span * 0.1).max(0.0);
                }
                "ArrowRight" => {
                    v.follow = false;
                    v.t0 += v.span * 0.1;
                }
                "f" => v.follow = !v.follow,
                _ => return,
            }
            e.prevent_default();
            e.stop_propagation();
            drop(v);
            redraw.force_update();
        })
    };

    // The lane scroll bar, dragged or wheeled by the user.
    let on_strip = {
        let (view, redraw) = (view.clone(), redraw.clone());
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            let top = f64::from(el.scroll_top());
            let mut v = view.borrow_mut();
            // Our own scroll to where the view already is comes back here too: nothing to do.
            if (top - v.y0).abs() >= 1.0 {
                v.y0 = top;
                drop(v);
                redraw.force_update();
            }
        })
    };

    let v = *view.borrow();
    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    let empty = run.sim.trace().is_empty() && run.sim.in_flight_count() == 0;
    let selected = props
        .selected
        .filter(|id| run.sim.trace().get(*id).is_some());
    let range = format!(
        "{} – {}",
        fmt::clock(SimTime(v.t0 as u64)),
        fmt::clock(SimTime((v.t0 + v.span) as u64))
    );

    html! {
        <div class={classes!("timeline-view", selected.is_some().then_some("with-detail"))} data-testid="timeline">
            <div class="view-bar">
                <div class="group">
                    <button class="btn small icon" title="Zoom out (−)" aria-label="Zoom out" onclick={zoom_out}>{ "−" }</button>
                    <button class="btn small icon" title="Zoom in (+)" aria-label="Zoom in" onclick={zoom_in}>{ "+" }</button>
                    <button class="btn small" title="Show the whole run so far" onclick={fit_all}>{ "Fit" }</button>
                    <button class={classes!("btn", "small", v.follow.then_some("on"))} aria-pressed={v.follow.to_string()}
                            data-testid="follow-playhead" title="Keep the playhead in view (f)" onclick={toggle_follow}>
                        { "Follow" }
                    </button>
                </div>
                <span class="range muted small" data-testid="range">{ range }{ " · " }{ fmt::dur(SimTime(v.span as u64)) }</span>
                if let Some((first, last, _)) = lanes_shown {
                    <span class="muted small" data-testid="lanes" title="Scroll the lanes: the bar on the right, the wheel over the names, or ↑/↓ and Page Up/Down">
                        { format!(
                            "Lanes {}–{} of {} · scroll over the names or ↑/↓",
                            fmt::count(first as u64 + 1),
                            fmt::count(last as u64),
                            fmt::count(lane_count as u64)
                        ) }
                    </span>
                }
                <span class="spacer"></span>
                <div class="legend small" aria-label="Legend">
                    <span class="key mech-rest">{ "REST" }</span>
                    <span class="key mech-rpc">{ "RPC" }</span>
                    <span class="key mech-queue">{ "Queue" }</span>
                    <span class="key mech-pubsub">{ "Pub/Sub" }</span>
                    <span class="mark m-drop">{ "✕ drop" }</span>
                    <span class="mark m-timeout">{ "◆ timeout" }</span>
                    <span class="mark m-retry">{ "▲ retry" }</span>
                    <span class="mark m-redeliver">{ "○ redelivery" }</span>
                    <span class="mark m-dlq">{ "■ dead letter" }</span>
                </div>
            </div>
            <div class="timeline-wrap" ref={wrap}>
                <canvas ref={canvas} class="timeline-canvas" tabindex="0" data-testid="timeline-canvas"
                        role="img" aria-label="Timeline: drag to pan, wheel or +/− to zoom, click an arrow to select it"
                        onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up} onkeydown={on_key} />
                if let Some((_, _, content)) = lanes_shown {
                    <div class="lane-scroll" ref={strip} onscroll={on_strip} aria-hidden="true" data-testid="lane-scroll">
                        <div class="lane-scroll-inner" data-css={format!("height:{content:.0}px")}></div>
                    </div>
                }
                if empty {
                    <p class="hint-overlay">{ "Press Play (Space) or Step (→): messages appear as arrows from sender to receiver." }</p>
                }
            </div>
            if let Some(id) = selected {
                <Detail clock={props.clock} {id} />
            }
        </div>
    }
}

/// A change to the view given the current time.
type ViewEdit = Rc<dyn Fn(&mut View, f64)>;

/// Scale the span by `factor` keeping time `at` at the same place on screen.
fn zoom(v: &mut View, factor: f64, at: f64) {
    let span = (v.span * factor).clamp(MIN_SPAN, 3.6e9);
    if v.follow {
        v.span = span;
        return;
    }
    let frac = if v.span > 0.0 {
        (at - v.t0) / v.span
    } else {
        0.5
    };
    v.t0 = (at - frac * span).max(0.0);
    v.span = span;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooming_keeps_the_anchor_in_place() {
        let mut v = View {
            t0: 1_000.0,
            span: 1_000.0,
            follow: false,
            y0: 0.0,
        };
        zoom(&mut v, 0.5, 1_500.0);
        assert_eq!(v.span, 500.0);
        assert_eq!(v.t0, 1_250.0);
    }
}
