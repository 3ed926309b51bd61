//! Timeline view: a lane per client, service, queue, topic and subscription, time running left
//! to right; each message an arrow from (sender lane, send time) to (receiver lane, receive time),
//! so its slope shows its latency (a Lamport diagram as the run plays). Work spans are bars;
//! drops, timeouts, retries, redeliveries and dead letters have their own marks; faults shade
//! the lanes they hit. Zoom (wheel, buttons, +/−), pan (drag, ←/→), a playhead, and "follow"
//! while playing. Drawn on a canvas, only what is in view, with level of detail when it is
//! dense; when there are more lanes than fit, they scroll (a scroll bar, the wheel over the lane
//! names, ↑/↓) and only those in view are drawn. Clicking an arrow selects its record (and the log
//! row), and a selection made elsewhere brings it into view.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d as Ctx;
use yew::prelude::*;

use super::context::use_shared;

use super::detail::Detail;
use super::dom::Listener;
use super::fmt;
use super::run::{Run, LONG};
use super::state::{Action, Clock};
use crate::sim::{Kind, Mechanism, NodeKind, Outcome, Record, RecordId, RejectReason, SimTime};

/// Width of the lane-label column, in CSS pixels.
const LEFT: f64 = 124.0;
/// Height of the time axis.
const TOP: f64 = 24.0;
const RIGHT: f64 = 10.0;
/// Default visible span: one simulated second.
const DEFAULT_SPAN: f64 = 1_000_000.0;
const MIN_SPAN: f64 = 200.0;
/// While playing, draws are at least this far apart (ms of wall time).
const MIN_DRAW_MS: f64 = 30.0;
/// Above this many records in view, arrows lose their heads.
const DENSE: usize = 1_500;
/// Above this many, arrows that would land on the same pixels are drawn once.
const VERY_DENSE: usize = 12_000;

/// What part of time is shown (µs) and whether it tracks the playhead.
#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    t0: f64,
    span: f64,
    follow: bool,
    /// How far the lanes are scrolled down (px), when there are more than fit.
    y0: f64,
}

/// How the lanes fit the canvas at the last draw: how many, their height and the height of the
/// plot (px).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Fit {
    lanes: usize,
    lane_h: f64,
    plot: f64,
}

impl Fit {
    /// How `lanes` lanes fit a canvas `h` px high.
    fn of(lanes: usize, h: f64) -> Fit {
        let lanes = lanes.max(1);
        Fit {
            lanes,
            lane_h: ((h - TOP - 4.0) / lanes as f64).clamp(16.0, 64.0),
            plot: (h - TOP).max(1.0),
        }
    }

    /// More lanes than fit: they scroll.
    fn overflows(&self) -> bool {
        self.lane_h > 0.0 && self.lanes as f64 * self.lane_h + 4.0 > self.plot + 0.5
    }
}

/// The lanes in view when `lanes` lanes of `lane_h` px are scrolled down by `y0` px in a plot
/// `plot` px high: (`y0` kept within bounds, first lane, one past the last, all lanes' height).
pub fn lane_window(lanes: usize, lane_h: f64, plot: f64, y0: f64) -> (f64, usize, usize, f64) {
    let content = lanes as f64 * lane_h + 4.0;
    if lane_h <= 0.0 {
        return (0.0, 0, lanes, content);
    }
    let y0 = y0.clamp(0.0, (content - plot).max(0.0));
    let first = ((y0 / lane_h) as usize).min(lanes);
    let last = (((y0 + plot) / lane_h).ceil() as usize).min(lanes);
    (y0, first, last, content)
}

struct Drag {
    x0: f64,
    t0: f64,
    moved: bool,
}

/// A drawn mark that a click can select.
#[derive(Clone, Copy)]
struct Hit {
    id: RecordId,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    /// A bar (work span) rather than an arrow.
    bar: bool,
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub clock: Clock,
    pub playing: bool,
    pub selected: Option<RecordId>,
}

/// Colours read from the stylesheet's variables, so the canvas follows the theme.
struct Palette {
    text: String,
    muted: String,
    border: String,
    band: String,
    panel: String,
    rest: String,
    rpc: String,
    queue: String,
    pubsub: String,
    ok: String,
    warn: String,
    err: String,
    accent: String,
}

impl Palette {
    fn read(el: &web_sys::Element) -> Palette {
        let style = web_sys::window().and_then(|w| w.get_computed_style(el).ok().flatten());
        let var = |name: &str, fallback: &str| {
            style
                .as_ref()
                .and_then(|s| s.get_property_value(name).ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| fallback.to_string())
        };
        Palette {
            text: var("--text", "#1b2330"),
            muted: var("--muted", "#667085"),
            border: var("--border", "#dfe3e8"),
            band: var("--panel-2", "#f1f3f6"),
            panel: var("--panel", "#ffffff"),
            rest: var("--rest", "#2563eb"),
            rpc: var("--rpc", "#7c3aed"),
            queue: var("--queue", "#d97706"),
            pubsub: var("--pubsub", "#db2777"),
            ok: var("--ok", "#059669"),
            warn: var("--warn", "#d97706"),
            err: var("--err", "#dc2626"),
            accent: var("--accent", "#2563eb"),
        }
    }
}

/// Arrow styles, each drawn as one batched path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Rest,
    Rpc,
    Queue,
    PubSub,
    Failed,
    Warn,
    Dropped,
}

const STYLES: [Style; 7] = [
    Style::Rest,
    Style::Rpc,
    Style::Queue,
    Style::PubSub,
    Style::Failed,
    Style::Warn,
    Style::Dropped,
];

fn style_of(mech: Mechanism, r: &Record) -> Style {
    match r.outcome {
        Outcome::Dropped(_) => Style::Dropped,
        Outcome::Redelivered => Style::Warn,
        o if !o.is_success() && !matches!(o, Outcome::Breaker(_)) => Style::Failed,
        _ => mech_style(mech),
    }
}

/// The colour of a mechanism on the canvas (internal records share pub/sub's).
fn mech_style(mech: Mechanism) -> Style {
    match mech {
        Mechanism::Rest => Style::Rest,
        Mechanism::Rpc => Style::Rpc,
        Mechanism::Queue => Style::Queue,
        Mechanism::PubSub | Mechanism::Internal => Style::PubSub,
    }
}

/// A tick step (µs) of 1, 2 or 5 × 10ⁿ giving at most `max_ticks` ticks over `span`.
pub fn tick_step(span: f64, max_ticks: f64) -> f64 {
    let raw = span / max_ticks.max(1.0);
    let mut p = 1.0;
    while p * 10.0 <= raw {
        p *= 10.0;
    }
    for m in [1.0, 2.0, 5.0, 10.0] {
        if p * m >= raw {
            return p * m;
        }
    }
    p * 10.0
}

/// An axis label for time `t` (µs) with as many decimals as the step needs.
pub fn tick_label(t: f64, step: f64) -> String {
    let decimals = if step >= 1e6 {
        0
    } else if step >= 1e5 {
        1
    } else if step >= 1e4 {
        2
    } else if step >= 1e3 {
        3
    } else {
        6
    };
    format!("{:.*}s", decimals, t / 1e6)
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
                let (list, drawn) = draw(&c, &w, pal, r, v, selected);
                let _ = c.set_attribute("data-arrows", &drawn.to_string());
                // A point on one drawn arrow, so end-to-end tests can click it. The point is
                // rounded the way the test clicks it, and must pick that same arrow: where
                // arrows cross, the midpoint of one can be nearer another.
                let probe = list.iter().find_map(|h| {
                    let (x, y) = (((h.x1 + h.x2) / 2.0).round(), ((h.y1 + h.y2) / 2.0).round());
                    let clickable = !h.bar
                        && x > LEFT
                        && (h.x2 - h.x1).abs() + (h.y2 - h.y1).abs() > 12.0
                        && pick(&list, x, y) == Some(h.id);
                    clickable.then(|| format!("{x:.0} {y:.0} {}", h.id.0))
                });
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

/// The record under (x, y): the nearest arrow within 6 px, else a bar containing the point.
fn pick(hits: &[Hit], x: f64, y: f64) -> Option<RecordId> {
    let mut best: Option<(f64, RecordId)> = None;
    for h in hits {
        let d = if h.bar {
            if x >= h.x1 - 2.0 && x <= h.x2 + 2.0 && y >= h.y1 && y <= h.y2 {
                5.0
            } else {
                continue;
            }
        } else {
            seg_dist(x, y, h)
        };
        if d <= 6.0 && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, h.id));
        }
    }
    best.map(|(_, id)| id)
}

fn seg_dist(x: f64, y: f64, h: &Hit) -> f64 {
    let (dx, dy) = (h.x2 - h.x1, h.y2 - h.y1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((x - h.x1) * dx + (y - h.y1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (h.x1 + t * dx, h.y1 + t * dy);
    ((x - px).powi(2) + (y - py).powi(2)).sqrt()
}

fn dash(ctx: &Ctx, on: f64, off: f64) {
    let a = js_sys::Array::new();
    if on > 0.0 {
        a.push(&on.into());
        a.push(&off.into());
    }
    let _ = ctx.set_line_dash(&a);
}

/// Draw the visible part of the run; returns what a click can select and how many arrows were drawn.
fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    wrap: &web_sys::HtmlElement,
    pal: &Palette,
    run: &Run,
    v: View,
    selected: Option<RecordId>,
) -> (Vec<Hit>, usize) {
    let mut hits = Vec::new();
    let (w, h) = (
        f64::from(wrap.client_width()).max(1.0),
        f64::from(wrap.client_height()).max(1.0),
    );
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let (pw_px, ph_px) = ((w * dpr) as u32, (h * dpr) as u32);
    if canvas.width() != pw_px || canvas.height() != ph_px {
        canvas.set_width(pw_px);
        canvas.set_height(ph_px);
    }
    // Opaque: the compositor need not blend the canvas with what is under it.
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"alpha".into(), &false.into());
    let Some(ctx) = canvas
        .get_context_with_context_options("2d", &options)
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<Ctx>().ok())
    else {
        return (hits, 0);
    };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str(&pal.panel);
    ctx.fill_rect(0.0, 0.0, w, h);

    let fit = Fit::of(run.lanes.len(), h);
    let (lanes, lane_h) = (fit.lanes, fit.lane_h);
    // More lanes than fit scroll by `y0`; only lanes `first..last` are in view.
    let (y0, first, last, _) = lane_window(lanes, lane_h, fit.plot, v.y0);
    let plot_w = (w - LEFT - RIGHT).max(1.0);
    let (t0, t1) = (v.t0, v.t0 + v.span);
    let x_of = |t: f64| LEFT + (t - t0) / v.span * plot_w;
    let y_of = |n: crate::sim::NodeId| {
        let lane = run.lane_of.get(n.0 as usize).copied().unwrap_or(0);
        TOP + lane_h * (lane as f64 + 0.5) - y0
    };
    // Whether a mark between these heights can show (both ends above or both below: no).
    let shows = |ya: f64, yb: f64| !(ya.max(yb) < TOP - lane_h || ya.min(yb) > h + lane_h);
    let now = run.sim.now().0 as f64;

    // Lanes in view: alternating bands, centre lines, labels; under the time axis.
    ctx.save();
    ctx.begin_path();
    ctx.rect(0.0, TOP, w, h - TOP);
    ctx.clip();
    for (i, n) in run.lanes.iter().enumerate().take(last).skip(first) {
        let y = TOP + lane_h * i as f64 - y0;
        if i % 2 == 1 {
            ctx.set_fill_style_str(&pal.band);
            ctx.fill_rect(0.0, y, w, lane_h);
        }
        ctx.set_stroke_style_str(&pal.border);
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(LEFT, y + lane_h / 2.0);
        ctx.line_to(w - RIGHT, y + lane_h / 2.0);
        ctx.stroke();
        let info = &run.sim.nodes()[n.0 as usize];
        let color = match info.kind {
            NodeKind::Service => &pal.text,
            NodeKind::Queue => &pal.queue,
            NodeKind::Topic | NodeKind::Subscription => &pal.pubsub,
            NodeKind::Client => &pal.muted,
        };
        ctx.set_fill_style_str(color);
        ctx.fill_rect(8.0, y + lane_h / 2.0 - 3.0, 6.0, 6.0);
        ctx.set_fill_style_str(&pal.text);
        ctx.set_font("12px system-ui, sans-serif");
        ctx.set_text_baseline("middle");
        ctx.set_text_align("left");
        let label: String = if info.name.chars().count() > 16 {
            info.name.chars().take(15).chain(['…']).collect()
        } else {
            info.name.clone()
        };
        let _ = ctx.fill_text(&label, 20.0, y + lane_h / 2.0);
    }
    ctx.restore();
    // The axis and fault labels below are placed for the baseline the lane labels set.
    ctx.set_text_baseline("middle");
    ctx.set_stroke_style_str(&pal.border);
    ctx.begin_path();
    ctx.move_to(LEFT - 0.5, TOP);
    ctx.line_to(LEFT - 0.5, h);
    ctx.stroke();

    // Time axis.
    let step = tick_step(v.span, plot_w / 90.0);
    ctx.set_fill_style_str(&pal.muted);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("center");
    let mut t = (t0 / step).ceil() * step;
    while t <= t1 {
        let x = x_of(t);
        ctx.set_stroke_style_str(&pal.border);
        ctx.begin_path();
        ctx.move_to(x, TOP - 5.0);
        ctx.line_to(x, h);
        ctx.set_global_alpha(0.5);
        ctx.stroke();
        ctx.set_global_alpha(1.0);
        let _ = ctx.fill_text(&tick_label(t, step), x, TOP / 2.0);
        t += step;
    }

    // Clip the plot area for everything drawn in time.
    ctx.save();
    ctx.begin_path();
    ctx.rect(LEFT, TOP, plot_w, h - TOP);
    ctx.clip();

    // Fault windows shade the lanes they involve.
    for f in &run.faults {
        let (a, b) = (f.start.0 as f64, f.end.map_or(now, |e| e.0 as f64));
        if b < t0 || a > t1 {
            continue;
        }
        let (la, lb) = (
            run.lane_of.get(f.from.0 as usize).copied().unwrap_or(0),
            run.lane_of.get(f.to.0 as usize).copied().unwrap_or(0),
        );
        let (x1, x2) = (x_of(a).max(LEFT), x_of(b).min(w));
        ctx.set_fill_style_str(&pal.err);
        ctx.set_global_alpha(0.09);
        for lane in if la == lb { vec![la] } else { vec![la, lb] } {
            ctx.fill_rect(
                x1,
                TOP + lane_h * lane as f64 - y0,
                (x2 - x1).max(2.0),
                lane_h,
            );
        }
        ctx.set_global_alpha(1.0);
        ctx.set_text_align("left");
        ctx.set_font("11px system-ui, sans-serif");
        let _ = ctx.fill_text(
            run.name(f.name),
            x1 + 4.0,
            TOP + lane_h * la.min(lb) as f64 - y0 + 9.0,
        );
    }

    // Records in view: those ending at or after t0 (the trace is in end-time order), whose start
    // is before t1; long ones come from their own list.
    let records = run.sim.trace().records();
    let lo = records.partition_point(|r| (r.recv.0 as f64) < t0);
    let limit = t1 + LONG.0 as f64;
    let hi = lo
        + records
            .range(lo..)
            .partition_point(|r| (r.recv.0 as f64) <= limit);
    // Long records are in end-time order too: only those ending in [t0, t1 + the longest one]
    // can overlap the window (a storm of 10 s timeouts makes a million of them).
    let recv_of = |i: u32| {
        records
            .get(i as usize)
            .map_or(f64::MAX, |r| r.recv.0 as f64)
    };
    let long = &run.long[long_window(&run.long, recv_of, t0, t1, run.long_max.0 as f64)];
    let in_view = || {
        records
            .range(lo..hi)
            .iter()
            .filter(move |r| (r.send.0 as f64) <= t1 && r.duration() <= LONG)
            .chain(
                long.iter()
                    .filter_map(|&i| records.get(i as usize))
                    .filter(move |r| (r.send.0 as f64) <= t1),
            )
    };
    // An upper bound of what is in view decides the level of detail.
    let count = hi - lo + long.len();
    let dense = count > DENSE;
    let very_dense = count > VERY_DENSE;

    // Work spans: translucent bars on the service's lane, one batched path. When very dense,
    // each lane's busy pixel columns are merged into runs first.
    ctx.set_fill_style_str(&pal.muted);
    ctx.set_global_alpha(0.28);
    ctx.begin_path();
    let bh = (lane_h * 0.36).min(12.0);
    if very_dense {
        let cols = (w as usize) + 2;
        let mut busy = vec![false; cols * (last - first)];
        for r in in_view().filter(|r| r.kind == Kind::Work) {
            let lane = run.lane_of.get(r.from.0 as usize).copied().unwrap_or(0);
            if !(first..last).contains(&lane) {
                continue;
            }
            let a = x_of(r.send.0 as f64).clamp(0.0, w) as usize;
            let b = x_of(r.recv.0 as f64).clamp(0.0, w) as usize;
            for c in a..=b.min(cols - 1) {
                busy[(lane - first) * cols + c] = true;
            }
        }
        for lane in first..last {
            let y = TOP + lane_h * (lane as f64 + 0.5) - y0;
            let row = &busy[(lane - first) * cols..(lane - first + 1) * cols];
            let mut c = 0;
            while c < cols {
                if row[c] {
                    let start = c;
                    while c < cols && row[c] {
                        c += 1;
                    }
                    ctx.rect(start as f64, y - bh / 2.0, (c - start) as f64, bh);
                }
                c += 1;
            }
        }
    } else {
        for r in in_view().filter(|r| r.kind == Kind::Work) {
            let (x1, x2) = (x_of(r.send.0 as f64), x_of(r.recv.0 as f64));
            let y = y_of(r.from);
            if !shows(y, y) {
                continue;
            }
            ctx.rect(x1, y - bh / 2.0, (x2 - x1).max(1.0), bh);
            hits.push(Hit {
                id: r.id,
                x1,
                y1: y - bh / 2.0,
                x2,
                y2: y + bh / 2.0,
                bar: true,
            });
        }
    }
    ctx.fill();
    ctx.set_global_alpha(1.0);
    // Very dense: per pair of lanes, the pixels of the last arrow drawn (the trace is in end-time
    // order, so repeats come together). Only pairs that occur get an entry: a table of every
    // pair would be lanes² entries, 10⁸ for 10,000 lanes.
    let mut last_px: HashMap<u64, (i32, i32)> = HashMap::new();
    let mut seen_px: HashSet<u64> = HashSet::new();
    let si_of = |r: &Record| {
        let style = style_of(run.sim.mechanism(r), r);
        STYLES.iter().position(|s| *s == style).unwrap_or(0)
    };

    // Arrows, batched per style.
    let mut segs: Vec<Vec<[f64; 4]>> = vec![Vec::new(); STYLES.len()];
    let mut drawn = 0usize;
    let mut timeouts: Vec<(f64, f64, f64)> = Vec::new();
    let mut rings: Vec<(f64, f64)> = Vec::new();
    let mut crosses: Vec<(f64, f64)> = Vec::new();
    let mut triangles: Vec<(f64, f64)> = Vec::new();
    let mut squares: Vec<(f64, f64)> = Vec::new();
    let mut labels: Vec<(f64, f64, &'static str, bool)> = Vec::new();
    // Marks (timeouts, rings, crosses) only on lanes in view; when very dense, at most one of
    // each kind per lane per pixel column, as a storm puts thousands on the same pixels.
    let mut marks = MarkGrid::new(first..last, w, very_dense);
    let lane_of = |n: crate::sim::NodeId| run.lane_of.get(n.0 as usize).copied().unwrap_or(0);
    for r in in_view() {
        let (x1, x2) = (x_of(r.send.0 as f64), x_of(r.recv.0 as f64));
        match r.kind {
            Kind::Work | Kind::FaultStart | Kind::FaultEnd => continue,
            Kind::Timeout => {
                // Call timeout: the caller (receiver lane) stops waiting. Visibility/ack deadline:
                // the message comes back to its queue or goes to the dead-letter queue.
                let timeout = r.outcome == Outcome::Timeout;
                let (node, mark) = if timeout {
                    (r.to, Mark::Timeout)
                } else {
                    (r.from, Mark::Ring)
                };
                if !marks.first_at(mark, lane_of(node), x2) {
                    continue;
                }
                let y = y_of(node);
                if timeout {
                    timeouts.push((x1, x2, y));
                } else {
                    rings.push((x2, y));
                }
                hits.push(Hit {
                    id: r.id,
                    x1: x2 - 4.0,
                    y1: y,
                    x2: x2 + 4.0,
                    y2: y,
                    bar: false,
                });
                continue;
            }
            Kind::Breaker => {
                let word = match r.outcome {
                    Outcome::Breaker(s) => s.as_str(),
                    _ => "breaker",
                };
                labels.push((
                    x2,
                    y_of(r.from),
                    word,
                    r.outcome == Outcome::Breaker(crate::sim::BreakerState::Open),
                ));
                continue;
            }
            Kind::Discard => {
                if marks.first_at(Mark::Cross, lane_of(r.from), x2) {
                    crosses.push((x2, y_of(r.from)));
                }
                continue;
            }
            _ => {}
        }
        // Refused before it left the caller (open breaker, deadline already passed): a mark on
        // the caller's lane, not an arrow.
        if matches!(
            r.outcome,
            Outcome::Rejected(RejectReason::BreakerOpen | RejectReason::DeadlinePassed)
        ) {
            if !marks.first_at(Mark::Cross, lane_of(r.from), x1) {
                continue;
            }
            crosses.push((x1, y_of(r.from)));
            hits.push(Hit {
                id: r.id,
                x1: x1 - 4.0,
                y1: y_of(r.from),
                x2: x1 + 4.0,
                y2: y_of(r.from),
                bar: false,
            });
            continue;
        }
        let (y1, y2) = (y_of(r.from), y_of(r.to));
        if !shows(y1, y2) {
            continue;
        }
        // Dense: an arrow on the same pixels as one already drawn adds nothing. A topic with
        // 1,000 subscriptions sends 1,000 arrows at once from one lane, nearly all leaving the
        // view through the same pixels.
        if dense && !seen_px.insert(pixel_key(si_of(r), [x1, y1, x2, y2], TOP, h)) {
            continue;
        }
        if very_dense {
            let pair = run.lane_of.get(r.from.0 as usize).copied().unwrap_or(0) as u64
                * lanes as u64
                + run.lane_of.get(r.to.0 as usize).copied().unwrap_or(0) as u64;
            let px = (x1 as i32, x2 as i32);
            let last = last_px.entry(pair).or_insert((i32::MIN, i32::MIN));
            if *last == px {
                continue;
            }
            *last = px;
        }
        let si = si_of(r);
        segs[si].push([x1, y1, x2, y2]);
        drawn += 1;
        hits.push(Hit {
            id: r.id,
            x1,
            y1,
            x2,
            y2,
            bar: false,
        });
        if matches!(r.outcome, Outcome::Dropped(_)) {
            crosses.push((x2, y2));
        }
        if r.attempt > 1 && matches!(r.kind, Kind::RestRequest | Kind::RpcRequest) {
            triangles.push((x1, y1));
        }
        if r.kind == Kind::DeadLetter {
            squares.push((x2, y2));
        }
        if r.outcome == Outcome::Redelivered {
            rings.push((x2, y2));
        }
    }

    // In flight: arrows growing towards their receiver, up to the playhead.
    let flights = run.sim.in_flight();
    let mut heads: Vec<(f64, f64, usize)> = Vec::new();
    for m in flights.iter() {
        let (a, b) = (m.sent.0 as f64, m.arrives.0 as f64);
        if b < t0 || a > t1 || !shows(y_of(m.from), y_of(m.to)) {
            continue;
        }
        let f = if b > a {
            ((now - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let (x1, y1) = (x_of(a), y_of(m.from));
        let (x2, y2) = (
            x_of(a + (b - a) * f),
            y_of(m.from) + (y_of(m.to) - y_of(m.from)) * f,
        );
        // Coloured as the record it becomes will be (an ack to a subscription is pub/sub).
        let style = mech_style(run.sim.hop_mechanism(m.kind, m.from, m.to));
        let si = STYLES.iter().position(|s| *s == style).unwrap_or(0);
        segs[si].push([x1, y1, x2, y2]);
        heads.push((x2, y2, si));
        drawn += 1;
    }

    let color = |s: Style| -> &str {
        match s {
            Style::Rest => &pal.rest,
            Style::Rpc => &pal.rpc,
            Style::Queue => &pal.queue,
            Style::PubSub => &pal.pubsub,
            Style::Failed | Style::Dropped => &pal.err,
            Style::Warn => &pal.warn,
        }
    };
    ctx.set_line_width(if dense { 1.0 } else { 1.4 });
    for (si, list) in segs.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let s = STYLES[si];
        ctx.set_stroke_style_str(color(s));
        if s == Style::Dropped {
            dash(&ctx, 4.0, 3.0);
        }
        ctx.set_global_alpha(if very_dense { 0.55 } else { 1.0 });
        ctx.begin_path();
        for [x1, y1, x2, y2] in list {
            ctx.move_to(*x1, *y1);
            ctx.line_to(*x2, *y2);
        }
        ctx.stroke();
        dash(&ctx, 0.0, 0.0);
        ctx.set_global_alpha(1.0);
        if !dense {
            ctx.set_fill_style_str(color(s));
            ctx.begin_path();
            for [x1, y1, x2, y2] in list {
                arrow_head(&ctx, *x1, *y1, *x2, *y2);
            }
            ctx.fill();
        }
    }
    for (x, y, si) in &heads {
        ctx.set_fill_style_str(color(STYLES[*si]));
        ctx.begin_path();
        let _ = ctx.arc(*x, *y, 3.5, 0.0, std::f64::consts::TAU);
        ctx.fill();
    }

    // Marks.
    ctx.set_line_width(1.5);
    ctx.set_stroke_style_str(&pal.err);
    ctx.set_fill_style_str(&pal.err);
    // Each wait line is stroked on its own (one long dashed path is far slower in Chromium), but
    // the dash and alpha are set once for all of them, and the diamonds fill as one path.
    if !timeouts.is_empty() {
        dash(&ctx, 3.0, 3.0);
        ctx.set_global_alpha(0.6);
        for &(x1, x2, y) in &timeouts {
            ctx.begin_path();
            ctx.move_to(x1, y - 7.0);
            ctx.line_to(x2, y - 7.0);
            ctx.stroke();
        }
        dash(&ctx, 0.0, 0.0);
        ctx.set_global_alpha(1.0);
        ctx.begin_path();
        for &(_, x2, y) in &timeouts {
            ctx.move_to(x2, y - 6.0);
            ctx.line_to(x2 + 5.0, y);
            ctx.line_to(x2, y + 6.0);
            ctx.line_to(x2 - 5.0, y);
            ctx.close_path();
        }
        ctx.fill();
    }
    ctx.begin_path();
    for &(x, y) in &crosses {
        ctx.move_to(x - 4.0, y - 4.0);
        ctx.line_to(x + 4.0, y + 4.0);
        ctx.move_to(x + 4.0, y - 4.0);
        ctx.line_to(x - 4.0, y + 4.0);
    }
    ctx.stroke();
    ctx.begin_path();
    for &(x, y) in &squares {
        ctx.rect(x - 4.0, y - 4.0, 8.0, 8.0);
    }
    ctx.fill();
    ctx.set_stroke_style_str(&pal.warn);
    ctx.set_fill_style_str(&pal.warn);
    ctx.begin_path();
    for &(x, y) in &rings {
        // A fresh subpath per ring, so no line joins one ring to the next.
        ctx.move_to(x + 5.0, y);
        let _ = ctx.arc(x, y, 5.0, 0.0, std::f64::consts::TAU);
    }
    ctx.stroke();
    ctx.begin_path();
    for &(x, y) in &triangles {
        ctx.move_to(x, y - 6.0);
        ctx.line_to(x + 5.0, y + 3.0);
        ctx.line_to(x - 5.0, y + 3.0);
        ctx.close_path();
    }
    ctx.fill();
    ctx.set_font("bold 10px system-ui, sans-serif");
    ctx.set_text_align("center");
    for &(x, y, word, bad) in &labels {
        ctx.set_fill_style_str(if bad { &pal.err } else { &pal.ok });
        ctx.fill_rect(x - 0.75, y - lane_h / 2.0 + 2.0, 1.5, lane_h - 4.0);
        let _ = ctx.fill_text(word, x, y - lane_h / 2.0 + 8.0);
    }

    // The selected record, on top.
    if let Some(r) = selected.and_then(|id| run.sim.trace().get(id)) {
        let (x1, x2) = (x_of(r.send.0 as f64), x_of(r.recv.0 as f64));
        let (y1, y2) = (y_of(r.from), y_of(r.to));
        ctx.set_stroke_style_str(&pal.accent);
        ctx.set_line_width(3.0);
        ctx.begin_path();
        if r.kind == Kind::Work {
            ctx.rect(x1 - 2.0, y1 - 8.0, (x2 - x1).max(1.0) + 4.0, 16.0);
        } else {
            ctx.move_to(x1, y1);
            ctx.line_to(x2, y2);
        }
        ctx.stroke();
        ctx.set_fill_style_str(&pal.accent);
        for (x, y) in [(x1, y1), (x2, y2)] {
            ctx.begin_path();
            let _ = ctx.arc(x, y, 4.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    }

    // Playhead.
    let xp = x_of(now);
    ctx.set_stroke_style_str(&pal.accent);
    ctx.set_line_width(1.5);
    ctx.begin_path();
    ctx.move_to(xp, TOP);
    ctx.line_to(xp, h);
    ctx.stroke();
    ctx.restore();
    if xp >= LEFT && xp <= w - RIGHT {
        ctx.set_fill_style_str(&pal.accent);
        ctx.begin_path();
        ctx.move_to(xp - 5.0, TOP - 7.0);
        ctx.line_to(xp + 5.0, TOP - 7.0);
        ctx.line_to(xp, TOP);
        ctx.close_path();
        ctx.fill();
    }
    (hits, drawn)
}

/// The part of `long` (record indices in end-time order; `recv_of` gives an end time) whose
/// records can overlap the window `t0..=t1`, when none lasts longer than `longest`: those
/// ending from `t0` to `t1 + longest` (a later end means a start after `t1`).
fn long_window(
    long: &[u32],
    recv_of: impl Fn(u32) -> f64,
    t0: f64,
    t1: f64,
    longest: f64,
) -> std::ops::Range<usize> {
    let lo = long.partition_point(|&i| recv_of(i) < t0);
    let hi = lo + long[lo..].partition_point(|&i| recv_of(i) <= t1 + longest);
    lo..hi
}

/// The segment `a` clipped to the heights `top..=bottom` (it is drawn only there), rounded to
/// whole pixels and packed with its style `si`: two arrows with the same key cover the same
/// pixels. A segment entirely outside keeps its ends (the caller skips it anyway).
fn pixel_key(si: usize, a: [f64; 4], top: f64, bottom: f64) -> u64 {
    let [mut x1, mut y1, mut x2, mut y2] = a;
    let at = |y: f64, x1: f64, y1: f64, x2: f64, y2: f64| x1 + (x2 - x1) * (y - y1) / (y2 - y1);
    for edge in [top, bottom] {
        let (out1, out2) = if edge == top {
            (y1 < top, y2 < top)
        } else {
            (y1 > bottom, y2 > bottom)
        };
        if out1 && !out2 {
            x1 = at(edge, x1, y1, x2, y2);
            y1 = edge;
        } else if out2 && !out1 {
            x2 = at(edge, x1, y1, x2, y2);
            y2 = edge;
        }
    }
    // 12 bits each: a canvas wider or taller than 4,095 px shares keys past that, which at
    // worst leaves out an arrow there that a denser view would show.
    let q = |v: f64| (v.round().clamp(0.0, 4095.0) as u64) & 0xfff;
    (si as u64) << 48 | q(x1) << 36 | q(y1) << 24 | q(x2) << 12 | q(y2)
}

/// The kinds of mark that [`MarkGrid`] thins out.
#[derive(Clone, Copy)]
enum Mark {
    Timeout = 0,
    Ring = 1,
    Cross = 2,
}

/// Which lanes' marks are drawn and, when thinning, which (kind, lane, pixel column) cells
/// already hold one.
struct MarkGrid {
    lanes: std::ops::Range<usize>,
    cols: usize,
    /// Empty when not thinning.
    taken: Vec<bool>,
}

impl MarkGrid {
    fn new(lanes: std::ops::Range<usize>, width: f64, thin: bool) -> MarkGrid {
        let cols = width.max(1.0) as usize + 2;
        let taken = if thin {
            vec![false; 3 * cols * lanes.len()]
        } else {
            Vec::new()
        };
        MarkGrid { lanes, cols, taken }
    }

    /// Whether a `mark` at `x` on `lane` should be drawn: its lane is in view and, when
    /// thinning, no mark of its kind is on that pixel column yet.
    fn first_at(&mut self, mark: Mark, lane: usize, x: f64) -> bool {
        if !self.lanes.contains(&lane) {
            return false;
        }
        if self.taken.is_empty() {
            return true;
        }
        let col = (x.max(0.0) as usize).min(self.cols - 1);
        let i = ((mark as usize) * self.lanes.len() + lane - self.lanes.start) * self.cols + col;
        !std::mem::replace(&mut self.taken[i], true)
    }
}

fn arrow_head(ctx: &Ctx, x1: f64, y1: f64, x2: f64, y2: f64) {
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 8.0 {
        return;
    }
    let (ux, uy) = (dx / len, dy / len);
    let (bx, by) = (x2 - ux * 7.0, y2 - uy * 7.0);
    ctx.move_to(x2, y2);
    ctx.line_to(bx - uy * 3.5, by + ux * 3.5);
    ctx.line_to(bx + uy * 3.5, by - ux * 3.5);
    ctx.close_path();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_leaving_the_view_through_the_same_pixels_share_a_key() {
        let (top, bottom) = (24.0, 600.0);
        // From one lane in view to lanes far below it, sent together: one key.
        let a = pixel_key(3, [200.0, 100.0, 200.4, 5_000.0], top, bottom);
        let b = pixel_key(3, [200.0, 100.0, 200.5, 9_000.0], top, bottom);
        assert_eq!(a, b);
        // Another style, another start, or an end in view: other keys.
        assert_ne!(a, pixel_key(2, [200.0, 100.0, 200.4, 5_000.0], top, bottom));
        assert_ne!(a, pixel_key(3, [210.0, 100.0, 210.4, 5_000.0], top, bottom));
        assert_ne!(
            pixel_key(3, [200.0, 100.0, 260.0, 300.0], top, bottom),
            pixel_key(3, [200.0, 100.0, 260.0, 340.0], top, bottom)
        );
        // Clipped at the top too; a horizontal segment in view is kept as it is.
        let up = pixel_key(0, [50.0, -900.0, 60.0, 300.0], top, bottom);
        let up2 = pixel_key(0, [49.9, -950.0, 60.0, 300.0], top, bottom);
        assert_eq!(up, up2);
        let flat = pixel_key(1, [10.0, 50.0, 90.0, 50.0], top, bottom);
        assert_eq!(flat & 0xfff, 50);
    }

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(1_000_000.0, 10.0), 100_000.0);
        assert_eq!(tick_step(1_000_000.0, 4.0), 500_000.0);
        assert_eq!(tick_step(3_000.0, 10.0), 500.0);
        assert_eq!(tick_label(1_500_000.0, 100_000.0), "1.5s");
        assert_eq!(tick_label(2_000_000.0, 1_000_000.0), "2s");
    }

    #[test]
    fn picking_prefers_the_nearest_arrow() {
        let hits = [
            Hit {
                id: RecordId(1),
                x1: 0.0,
                y1: 0.0,
                x2: 100.0,
                y2: 0.0,
                bar: false,
            },
            Hit {
                id: RecordId(2),
                x1: 0.0,
                y1: 10.0,
                x2: 100.0,
                y2: 10.0,
                bar: false,
            },
        ];
        assert_eq!(pick(&hits, 50.0, 2.0), Some(RecordId(1)));
        assert_eq!(pick(&hits, 50.0, 8.0), Some(RecordId(2)));
        assert_eq!(pick(&hits, 50.0, 40.0), None);
    }

    #[test]
    fn lanes_scroll_within_bounds_and_show_only_those_in_view() {
        // Ten lanes of 20 px fit a 300 px plot: no scrolling, all lanes shown.
        assert_eq!(lane_window(10, 20.0, 300.0, 50.0), (0.0, 0, 10, 204.0));
        // 10,000 lanes of 16 px in a 500 px plot: about 32 in view wherever it is scrolled.
        let (y0, first, last, content) = lane_window(10_000, 16.0, 500.0, 1_600.0);
        assert_eq!((y0, first, last, content), (1_600.0, 100, 132, 160_004.0));
        // Scrolled past the end: the last lanes fill the plot.
        let (y0, first, last, _) = lane_window(10_000, 16.0, 500.0, 1e9);
        assert_eq!(y0, 160_004.0 - 500.0);
        assert_eq!(last, 10_000);
        assert!(first < 10_000 - 30);
    }

    #[test]
    fn marks_show_only_on_lanes_in_view_and_thin_to_one_per_pixel_when_very_dense() {
        let mut all = MarkGrid::new(3..6, 100.0, false);
        assert!(!all.first_at(Mark::Timeout, 2, 10.0), "lane above the view");
        assert!(!all.first_at(Mark::Timeout, 6, 10.0), "lane below the view");
        assert!(all.first_at(Mark::Timeout, 3, 10.0));
        assert!(
            all.first_at(Mark::Timeout, 3, 10.0),
            "no thinning: every mark"
        );

        let mut thin = MarkGrid::new(3..6, 100.0, true);
        assert!(thin.first_at(Mark::Timeout, 4, 10.2));
        assert!(!thin.first_at(Mark::Timeout, 4, 10.9), "same pixel column");
        assert!(thin.first_at(Mark::Ring, 4, 10.2), "another kind of mark");
        assert!(thin.first_at(Mark::Timeout, 5, 10.2), "another lane");
        assert!(thin.first_at(Mark::Timeout, 4, 11.0), "next column");
        // Off either edge of the canvas: clamped into the grid, never out of bounds.
        assert!(thin.first_at(Mark::Cross, 5, -40.0));
        assert!(thin.first_at(Mark::Cross, 5, 1e9));
        assert!(!thin.first_at(Mark::Cross, 5, 2e9));
    }

    #[test]
    fn only_long_records_that_can_overlap_the_window_are_visited() {
        // Record i ends at 10·i; durations are at most 25.
        let long: Vec<u32> = (0..100).collect();
        let recv = |i: u32| f64::from(i) * 10.0;
        assert_eq!(
            long_window(&long, recv, 300.0, 400.0, 25.0),
            30..43,
            "ends 300 to 425"
        );
        // A window before every end, one after them all, and no long records.
        assert_eq!(long_window(&long, recv, -50.0, -40.0, 25.0), 0..0);
        assert_eq!(long_window(&long, recv, 2000.0, 3000.0, 25.0), 100..100);
        assert_eq!(long_window(&[], recv, 0.0, 1.0, 25.0), 0..0);
    }

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
