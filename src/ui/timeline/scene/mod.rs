//! What the timeline draws for a window of time and lanes, as plain data: the lanes in view, the
//! time axis, fault bands, work bars, arrows batched by style, marks, the selection and the
//! playhead, with the level of detail for dense windows (arrows on the same pixels drawn once)
//! and what a click can select. No canvas here (`paint` draws a `Scene`), so it is tested natively.

use std::collections::{HashMap, HashSet};

use super::super::run::{Run, LONG};
use crate::sim::{Kind, Mechanism, NodeId, NodeKind, Outcome, Record, RecordId, RejectReason};

/// Width of the lane-label column, in CSS pixels.
pub const LEFT: f64 = 124.0;
/// Height of the time axis.
pub const TOP: f64 = 24.0;
pub const RIGHT: f64 = 10.0;
/// Above this many records in view, arrows lose their heads.
const DENSE: usize = 1_500;
/// Above this many, arrows that would land on the same pixels are drawn once.
const VERY_DENSE: usize = 12_000;

/// What part of time is shown (µs) and whether it tracks the playhead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub t0: f64,
    pub span: f64,
    pub follow: bool,
    /// How far the lanes are scrolled down (px), when there are more than fit.
    pub y0: f64,
}

/// How the lanes fit the canvas at the last draw: how many, their height and the height of the
/// plot (px).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Fit {
    pub lanes: usize,
    pub lane_h: f64,
    pub plot: f64,
}

impl Fit {
    /// How `lanes` lanes fit a canvas `h` px high.
    pub fn of(lanes: usize, h: f64) -> Fit {
        let lanes = lanes.max(1);
        Fit {
            lanes,
            lane_h: ((h - TOP - 4.0) / lanes as f64).clamp(16.0, 64.0),
            plot: (h - TOP).max(1.0),
        }
    }

    /// More lanes than fit: they scroll.
    pub fn overflows(&self) -> bool {
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

/// A drawn mark that a click can select.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: RecordId,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    /// A bar (work span) rather than an arrow.
    pub bar: bool,
}

/// Arrow styles, each drawn as one batched path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Rest,
    Rpc,
    Queue,
    PubSub,
    Failed,
    Warn,
    Dropped,
}

pub const STYLES: [Style; 7] = [
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

/// The record under (x, y): the nearest arrow within 6 px, else a bar containing the point.
pub fn pick(hits: &[Hit], x: f64, y: f64) -> Option<RecordId> {
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

/// A point on one drawn arrow for end-to-end tests to click, with the arrow it selects. The
/// point is whole pixels (as a test clicks) and every point within 2 px of it picks that same
/// arrow: a browser may report the click a pixel off (sub-pixel layout, offsets rounded to
/// integers), and where arrows cross, a point on one can be nearer another. Points along each
/// arrow are tried from its middle outwards.
///
/// This runs on every frame, so its cost is bounded: at most `PROBED` arrows are tried, and each
/// candidate point is checked against only the hits whose boxes come within reach of it (a
/// dense retry storm draws thousands of arrows; checking every one against every other was a
/// half-second frame).
pub fn probe(hits: &[Hit]) -> Option<(f64, f64, RecordId)> {
    const ALONG: [f64; 5] = [0.5, 0.35, 0.65, 0.2, 0.8];
    const PROBED: usize = 32;
    // pick() reaches 6 px from an arrow and 2 px beyond a bar; the probe looks 2 px around.
    const REACH: f64 = 6.0 + 2.0 + 1.0;
    let mut near: Vec<Hit> = Vec::new();
    hits.iter()
        .filter(|h| !h.bar && (h.x2 - h.x1).abs() + (h.y2 - h.y1).abs() > 12.0)
        .take(PROBED)
        .flat_map(|h| {
            ALONG.iter().map(move |t| {
                let x = (h.x1 + t * (h.x2 - h.x1)).round();
                let y = (h.y1 + t * (h.y2 - h.y1)).round();
                (x, y, h.id)
            })
        })
        .find(|&(x, y, id)| {
            if x <= LEFT + 2.0 {
                return false;
            }
            near.clear();
            near.extend(
                hits.iter()
                    .filter(|h| {
                        x >= h.x1.min(h.x2) - REACH
                            && x <= h.x1.max(h.x2) + REACH
                            && y >= h.y1.min(h.y2) - REACH
                            && y <= h.y1.max(h.y2) + REACH
                    })
                    .cloned(),
            );
            (-2..=2).all(|dx| {
                (-2..=2).all(|dy| pick(&near, x + f64::from(dx), y + f64::from(dy)) == Some(id))
            })
        })
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

/// A lane in view: its top (px), whether it is a shaded band, what it is and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub top: f64,
    pub band: bool,
    pub kind: NodeKind,
    pub label: String,
}

/// A fault's window over the lanes it involves: from `x`, `width` px wide, on the lanes whose
/// tops are `tops`, with its name at (`x` + 4, `label_y`).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultBand {
    pub x: f64,
    pub width: f64,
    pub tops: Vec<f64>,
    pub label: String,
    pub label_y: f64,
}

/// The selected record, drawn on top: a bar around a work span, else its arrow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selected {
    pub bar: bool,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
}

/// Everything drawn for one window, in canvas pixels (CSS px), in the order it is painted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    /// The canvas's size.
    pub w: f64,
    pub h: f64,
    pub lane_h: f64,
    /// Width of the plot right of the lane labels.
    pub plot_w: f64,
    pub lanes: Vec<Lane>,
    /// Time-axis ticks: x and label.
    pub ticks: Vec<(f64, String)>,
    pub faults: Vec<FaultBand>,
    /// Work spans (merged per pixel column when very dense): x, y, width, height.
    pub bars: Vec<[f64; 4]>,
    /// More records in view than arrows with heads can show.
    pub dense: bool,
    pub very_dense: bool,
    /// Arrows as segments (x1, y1, x2, y2), batched by style (index into `STYLES`); messages in
    /// flight are among them, growing towards their receiver.
    pub arrows: Vec<Vec<[f64; 4]>>,
    /// The heads of the arrows in flight: where they are now, and their style.
    pub heads: Vec<(f64, f64, usize)>,
    /// Call timeouts: the wait from x1 to x2 at height y, and a diamond at x2.
    pub timeouts: Vec<(f64, f64, f64)>,
    /// Redeliveries and visibility / ack deadlines.
    pub rings: Vec<(f64, f64)>,
    /// Drops, discards and calls refused before they left.
    pub crosses: Vec<(f64, f64)>,
    /// Retries, at the retried request's start.
    pub triangles: Vec<(f64, f64)>,
    /// Dead letters.
    pub squares: Vec<(f64, f64)>,
    /// Breaker state changes: x, lane centre, word, and whether it is bad news (open).
    pub labels: Vec<(f64, f64, &'static str, bool)>,
    pub selected: Option<Selected>,
    /// The playhead's x.
    pub playhead: f64,
    /// What a click can select.
    pub hits: Vec<Hit>,
    /// Arrows drawn (with those in flight).
    pub drawn: usize,
}

/// What to draw of `run` in a `w` × `h` px canvas for view `v`, with `selected` highlighted.
pub fn build(run: &Run, v: View, selected: Option<RecordId>, w: f64, h: f64) -> Scene {
    let mut hits = Vec::new();
    let fit = Fit::of(run.lanes.len(), h);
    let (lanes, lane_h) = (fit.lanes, fit.lane_h);
    // More lanes than fit scroll by `y0`; only lanes `first..last` are in view.
    let (y0, first, last, _) = lane_window(lanes, lane_h, fit.plot, v.y0);
    let plot_w = (w - LEFT - RIGHT).max(1.0);
    let (t0, t1) = (v.t0, v.t0 + v.span);
    let x_of = |t: f64| LEFT + (t - t0) / v.span * plot_w;
    let y_of = |n: NodeId| {
        let lane = run.lane_of.get(n.0 as usize).copied().unwrap_or(0);
        TOP + lane_h * (lane as f64 + 0.5) - y0
    };
    // Whether a mark between these heights can show (both ends above or both below: no).
    let shows = |ya: f64, yb: f64| !(ya.max(yb) < TOP - lane_h || ya.min(yb) > h + lane_h);
    let now = run.sim.now().0 as f64;

    // Lanes in view: alternating bands, labels.
    let lanes_in_view = run
        .lanes
        .iter()
        .enumerate()
        .take(last)
        .skip(first)
        .map(|(i, n)| {
            let info = &run.sim.nodes()[n.0 as usize];
            let label: String = if info.name.chars().count() > 16 {
                info.name.chars().take(15).chain(['…']).collect()
            } else {
                info.name.clone()
            };
            Lane {
                top: TOP + lane_h * i as f64 - y0,
                band: i % 2 == 1,
                kind: info.kind,
                label,
            }
        })
        .collect();

    // Time axis.
    let step = tick_step(v.span, plot_w / 90.0);
    let mut ticks = Vec::new();
    let mut t = (t0 / step).ceil() * step;
    while t <= t1 {
        ticks.push((x_of(t), tick_label(t, step)));
        t += step;
    }

    // Fault windows shade the lanes they involve.
    let mut faults = Vec::new();
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
        let involved = if la == lb { vec![la] } else { vec![la, lb] };
        faults.push(FaultBand {
            x: x1,
            width: (x2 - x1).max(2.0),
            tops: involved
                .into_iter()
                .map(|lane| TOP + lane_h * lane as f64 - y0)
                .collect(),
            label: run.name(f.name).to_string(),
            label_y: TOP + lane_h * la.min(lb) as f64 - y0 + 9.0,
        });
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

    // Work spans: bars on the service's lane. When very dense, each lane's busy pixel columns
    // are merged into runs first.
    let mut bars = Vec::new();
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
                    bars.push([start as f64, y - bh / 2.0, (c - start) as f64, bh]);
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
            bars.push([x1, y - bh / 2.0, (x2 - x1).max(1.0), bh]);
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
    let lane_of = |n: NodeId| run.lane_of.get(n.0 as usize).copied().unwrap_or(0);
    for r in in_view() {
        let (x1, x2) = (x_of(r.send.0 as f64), x_of(r.recv.0 as f64));
        match r.kind {
            // Cache lookups happen inside the caller: the log lists them, the timeline shows
            // the calls a miss makes (a hit makes none).
            Kind::Work | Kind::FaultStart | Kind::FaultEnd | Kind::Cache => continue,
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
            // A load balancer takes a replica out of rotation, or puts it back: a label on the
            // replica's lane, like a breaker's.
            Kind::Eject | Kind::Return => {
                let eject = r.kind == Kind::Eject;
                labels.push((
                    x2,
                    y_of(r.from),
                    if eject { "EJECTED" } else { "BACK" },
                    eject,
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

    let selected = selected
        .and_then(|id| run.sim.trace().get(id))
        .map(|r| Selected {
            bar: r.kind == Kind::Work,
            x1: x_of(r.send.0 as f64),
            y1: y_of(r.from),
            x2: x_of(r.recv.0 as f64),
            y2: y_of(r.to),
        });

    Scene {
        w,
        h,
        lane_h,
        plot_w,
        lanes: lanes_in_view,
        ticks,
        faults,
        bars,
        dense,
        very_dense,
        arrows: segs,
        heads,
        timeouts,
        rings,
        crosses,
        triangles,
        squares,
        labels,
        selected,
        playhead: x_of(now),
        hits,
        drawn,
    }
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

#[cfg(test)]
mod tests;
