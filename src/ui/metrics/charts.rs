//! The metrics view's SVG time-series charts: throughput, retries and breaker rejections,
//! client-visible latency, users thinking and waiting, cache hit ratio and queue depth (waiting
//! and in flight). With two clients or more, each client is a series of its own (a colour, named
//! in the legend) and each measure a line style; with one, the lines are as they always were.
//! Every chart shades the scenario's fault windows, and a hover (or the arrow keys on a focused
//! chart) draws a rule at that time on every chart at once and lists the values of the chart
//! pointed at.
//!
//! Each frame costs one pass over the charts' buckets (at most a few hundred per line); a
//! client's latency percentiles are computed once per finished bucket (`run::Buckets`).

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::super::chart::{
    self, downsample, fault_bands, hover_index, nice_max, rate_window, trailing_rate, Band,
    FaultWindow, Plot, Unit,
};
use super::super::fmt;
use super::super::run::{Buckets, Run};
use super::{client_names, name_matches, pick_rows, MAX_LINES};
use crate::sim::{SeriesPoint, SimTime};

const CHART_W: f64 = 360.0;
const CHART_H: f64 = 130.0;
const PAD_L: f64 = 50.0;
const PAD_B: f64 = 18.0;
const PAD_T: f64 = 8.0;
/// The plot area inside every chart.
pub const PLOT: Plot = Plot {
    x: PAD_L,
    y: PAD_T,
    w: CHART_W - PAD_L - 8.0,
    h: CHART_H - PAD_T - PAD_B,
};
/// Series colours, one per series in order (the theme's palette, both themes).
const CLASSES: [&str; MAX_LINES] = ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"];

/// How a line is stroked: with several series, the measure a line shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    fn class(self) -> &'static str {
        match self {
            Dash::Solid => "d-solid",
            Dash::Dashed => "d-dash",
            Dash::Dotted => "d-dot",
        }
    }
    fn of(measure: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted][measure.min(2)]
    }
}

/// One line of a chart: its name in the hover values, colour, stroke, values at evenly spaced
/// times from 0 to the chart's end.
pub struct Line {
    pub label: String,
    pub class: &'static str,
    pub dash: Dash,
    pub values: Vec<f64>,
}

/// One legend entry: a series (a colour, `data-series` = its name) or a measure (a stroke).
pub struct Key {
    pub label: String,
    pub class: &'static str,
    pub dash: Dash,
    pub series: bool,
}

/// One chart's lines and legend.
pub struct Lines {
    pub lines: Vec<Line>,
    pub legend: Vec<Key>,
}

impl Lines {
    /// Lines of their own colours, each its own legend entry.
    fn plain(lines: Vec<Line>) -> Lines {
        let legend = lines
            .iter()
            .map(|l| Key {
                label: l.label.clone(),
                class: l.class,
                dash: l.dash,
                series: false,
            })
            .collect();
        Lines { lines, legend }
    }
}

/// A series to chart: its name, its colour, and its values per measure (`None`: not known for
/// this series, e.g. the percentiles of "others").
pub struct SeriesIn {
    pub name: String,
    pub class: &'static str,
    pub measures: Vec<Option<Vec<f64>>>,
}

/// The lines of `series` over `measures` (name, class when alone): one series keeps a colour
/// per measure, as the charts always were; several get a colour each, the measure as its
/// stroke, and a legend of series and strokes.
pub fn series_lines(series: Vec<SeriesIn>, measures: &[(&str, &'static str)]) -> Lines {
    if series.len() == 1 {
        let one = series.into_iter().next().expect("one series");
        return Lines::plain(
            one.measures
                .into_iter()
                .zip(measures)
                .filter_map(|(v, (name, class))| {
                    v.map(|values| Line {
                        label: (*name).to_string(),
                        class,
                        dash: Dash::Solid,
                        values,
                    })
                })
                .collect(),
        );
    }
    let mut legend: Vec<Key> = series
        .iter()
        .filter(|s| s.measures.iter().any(Option::is_some))
        .map(|s| Key {
            label: s.name.clone(),
            class: s.class,
            dash: Dash::Solid,
            series: true,
        })
        .collect();
    if measures.len() > 1 {
        legend.extend(measures.iter().enumerate().map(|(m, (name, _))| Key {
            label: (*name).to_string(),
            class: "s-key",
            dash: Dash::of(m),
            series: false,
        }));
    }
    let mut lines = Vec::new();
    for s in series {
        for (m, v) in s.measures.into_iter().enumerate() {
            if let Some(values) = v {
                let label = if measures.len() > 1 {
                    format!("{} {}", s.name, measures[m].0)
                } else {
                    s.name.clone()
                };
                lines.push(Line {
                    label,
                    class: s.class,
                    dash: Dash::of(m),
                    values,
                });
            }
        }
    }
    Lines { lines, legend }
}

/// Where the hover is: a fraction of the plot's width, and the chart the pointer (or the focus)
/// is on, the one whose values are listed; every chart draws the rule.
pub type HoverAt = Option<(f64, &'static str)>;

/// The hover shared by every chart, and how to move it.
#[derive(Clone, PartialEq)]
pub struct Hover {
    pub at: HoverAt,
    pub set: Callback<HoverAt>,
}

/// Where a pointer is over a chart's SVG, as a fraction of the plot's width.
fn pointer_frac(e: &PointerEvent) -> Option<f64> {
    // Yew delegates events to its root, so `current_target` is not the chart: the chart is
    // the plot SVG the pointer is in.
    let target: web_sys::Element = e.target()?.dyn_into().ok()?;
    let svg = target.closest("svg.plot").ok()??;
    let rect = svg.get_bounding_client_rect();
    if rect.width() <= 0.0 {
        return None;
    }
    let x = (f64::from(e.client_x()) - rect.left()) / rect.width() * CHART_W;
    Some(((x - PLOT.x) / PLOT.w).clamp(0.0, 1.0))
}

/// A legend's sample of a line: its stroke, in the key's colour.
fn swatch(dash: Dash) -> Html {
    html! {
        <svg class="swatch" width="14" height="6" viewBox="0 0 14 6" aria-hidden="true">
            <line class={classes!("series", dash.class())} x1="0" y1="3" x2="14" y2="3" />
        </svg>
    }
}

/// One chart: title, legend, axes with ticks, fault bands, lines, and the hover's rule and
/// values.
pub fn chart(
    title: &str,
    id: &'static str,
    data: Lines,
    end: SimTime,
    unit: Unit,
    bands: &[Band],
    hover: &Hover,
) -> Html {
    let lines: Vec<Line> = data
        .lines
        .into_iter()
        .map(|l| Line {
            values: downsample(&l.values),
            ..l
        })
        .collect();
    let top = nice_max(
        lines
            .iter()
            .flat_map(|l| l.values.iter().copied())
            .fold(0.0, f64::max),
    );
    let [t_top, t_mid, t_zero] = chart::ticks(top, unit);
    let p = PLOT;
    let has_data = lines.iter().any(|l| l.values.len() > 1);
    let n = lines.iter().map(|l| l.values.len()).max().unwrap_or(0);
    let polylines = lines.iter().map(|l| {
        html! { <polyline class={classes!("series", l.class, l.dash.class())} points={chart::polyline(&l.values, top, p)} /> }
    });
    let bands_svg = bands.iter().map(|b| {
        let label = b.row.map(|row| {
            html! { <text class="fault-label" x={format!("{:.1}", b.label_x)} y={format!("{:.1}", p.y + 9.0 + 10.0 * f64::from(row))}>{ &b.label }</text> }
        });
        html! {
            <g class="fault" data-fault-band="">
                <rect class="fault-band" x={format!("{:.1}", b.x)} y={p.y.to_string()} width={format!("{:.1}", b.w)} height={p.h.to_string()}>
                    <title>{ &b.title }</title>
                </rect>
                { for label }
            </g>
        }
    });
    // The hover: the point under it, its time, and each line's value there.
    let at = hover
        .at
        .filter(|_| has_data)
        .and_then(|(f, _)| hover_index(f, n).map(|i| (f, i)));
    let listed = hover.at.is_some_and(|(_, on)| on == id);
    let rule = at.map(|(_, i)| {
        let x = p.x_of(i, n);
        let dots = lines.iter().filter_map(|l| {
            let j = hover_index(i as f64 / (n.max(2) - 1) as f64, l.values.len())?;
            let y = p.y_of(l.values[j], top);
            Some(html! { <circle class={classes!("hover-dot", l.class)} cx={format!("{:.1}", p.x_of(j, l.values.len()))} cy={format!("{y:.1}")} r="2.5" /> })
        });
        html! { <g class="hover"><line class="hover-rule" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={p.y.to_string()} y2={(p.y + p.h).to_string()} />{ for dots }</g> }
    });
    let readout = at.filter(|_| listed).map(|(_, i)| {
        let frac = i as f64 / (n.max(2) - 1) as f64;
        let t = SimTime((end.0 as f64 * frac) as u64);
        let values = lines.iter().filter_map(|l| {
            let j = hover_index(frac, l.values.len())?;
            Some(html! {
                <span class={classes!("key", l.class)}>
                    { swatch(l.dash) }{ format!("{} {}", l.label, chart::value(l.values[j], unit)) }
                </span>
            })
        });
        // Under the plot, so the lines stay in view: at the edge the rule is near, or centred.
        let side = if frac < 0.25 {
            "at-left"
        } else if frac > 0.75 {
            "at-right"
        } else {
            "at-mid"
        };
        html! {
            <div class={classes!("chart-readout", side)} data-testid="chart-readout">
                <span class="readout-time">{ fmt::clock(t) }</span>{ for values }
            </div>
        }
    });
    let set = hover.set.clone();
    let on_move =
        Callback::from(move |e: PointerEvent| set.emit(pointer_frac(&e).map(|f| (f, id))));
    let on_down = on_move.clone();
    let set = hover.set.clone();
    let on_leave = Callback::from(move |_: PointerEvent| set.emit(None));
    let set = hover.set.clone();
    let on_blur = Callback::from(move |_: FocusEvent| set.emit(None));
    let (set, current) = (hover.set.clone(), hover.at.map(|(f, _)| f));
    let step = 1.0 / (n.max(2) - 1) as f64;
    let on_key = Callback::from(move |e: KeyboardEvent| {
        let from = current.unwrap_or(1.0);
        let to = match e.key().as_str() {
            "ArrowLeft" => Some((from - step).max(0.0)),
            "ArrowRight" => Some((from + step).min(1.0)),
            "Home" => Some(0.0),
            "End" => Some(1.0),
            "Escape" => None,
            _ => return,
        };
        // The page's → (step one event) is not for a focused chart.
        e.prevent_default();
        e.stop_propagation();
        set.emit(to.map(|f| (f, id)));
    });
    let set = hover.set.clone();
    let on_focus = Callback::from(move |_: FocusEvent| {
        if current.is_none() {
            set.emit(Some((1.0, id)));
        }
    });
    let legend = data.legend.iter().map(|k| {
        html! {
            <span class={classes!("key", k.class)} data-series={k.series.then(|| k.label.clone())}>{ swatch(k.dash) }{ &k.label }</span>
        }
    });
    html! {
        <figure class="chart" data-testid={id.to_string()} data-lines={lines.len().to_string()}>
            <figcaption>
                <span class="chart-title">{ title }</span>
                <span class="chart-legend">{ for legend }</span>
            </figcaption>
            <div class="chart-plot">
            <svg class="plot" viewBox={format!("0 0 {CHART_W} {CHART_H}")} role="img" tabindex="0"
                 aria-label={format!("{title}: hover, or use the arrow keys, for the values at a time")}
                 onpointermove={on_move} onpointerdown={on_down} onpointerleave={on_leave}
                 onkeydown={on_key} onfocus={on_focus} onblur={on_blur}>
                { for bands_svg }
                <line class="axis" x1={p.x.to_string()} y1={(p.y + p.h).to_string()} x2={(p.x + p.w).to_string()} y2={(p.y + p.h).to_string()} />
                <line class="grid" x1={p.x.to_string()} y1={p.y.to_string()} x2={(p.x + p.w).to_string()} y2={p.y.to_string()} />
                <line class="grid" x1={p.x.to_string()} y1={(p.y + p.h / 2.0).to_string()} x2={(p.x + p.w).to_string()} y2={(p.y + p.h / 2.0).to_string()} />
                <text class="tick" x={(p.x - 4.0).to_string()} y={(p.y + 4.0).to_string()} text-anchor="end">{ t_top }</text>
                <text class="tick" x={(p.x - 4.0).to_string()} y={(p.y + p.h / 2.0 + 4.0).to_string()} text-anchor="end">{ t_mid }</text>
                <text class="tick" x={(p.x - 4.0).to_string()} y={(p.y + p.h + 4.0).to_string()} text-anchor="end">{ t_zero }</text>
                <text class="tick" x={p.x.to_string()} y={(CHART_H - 4.0).to_string()} text-anchor="start">{ "0 s" }</text>
                <text class="tick" x={(p.x + p.w).to_string()} y={(CHART_H - 4.0).to_string()} text-anchor="end">{ fmt::clock(end) }</text>
                if has_data {
                    { for polylines }
                    { for rule }
                } else {
                    <text class="tick" x={(p.x + p.w / 2.0).to_string()} y={(p.y + p.h / 2.0).to_string()} text-anchor="middle">{ "no data yet" }</text>
                }
            </svg>
            { for readout }
            </div>
        </figure>
    }
}

/// Each cache's hit ratio (in %) per interval up to now (the first six caches); an interval
/// with no lookups repeats the last value.
fn cache_lines(run: &Run) -> Option<Lines> {
    let caches = &run.sim.metrics().caches;
    if caches.is_empty() {
        return None;
    }
    let now = run.sim.now();
    let views = run.sim.caches();
    Some(Lines::plain(
        caches
            .iter()
            .zip(&views)
            .take(CLASSES.len())
            .enumerate()
            .map(|(i, (c, v))| {
                let current = (now.0 / c.interval.0.max(1)) as usize + 1;
                let mut last = 0.0;
                let values = (0..current)
                    .map(|b| {
                        if let Some(&(hits, lookups)) = c.buckets.get(b) {
                            if lookups > 0 {
                                last = 100.0 * f64::from(hits) / f64::from(lookups);
                            }
                        }
                        last
                    })
                    .collect();
                Line {
                    label: run.name(v.name).to_string(),
                    class: CLASSES[i],
                    dash: Dash::Solid,
                    values,
                }
            })
            .collect(),
    ))
}

/// The clients the charts draw as series: every client when at most `MAX_LINES`, otherwise the
/// `MAX_LINES - 1` that sent most (of those with series of their own) and "others".
/// (name, index into `Charts::clients`, `None` for "others").
pub fn chart_clients(run: &Run) -> Vec<(String, Option<usize>)> {
    let names = client_names(run);
    let tracked = run.charts.clients.len();
    let m = run.sim.metrics();
    if names.len() <= MAX_LINES {
        return (0..names.len().min(tracked))
            .map(|i| (names[i].to_string(), Some(i)))
            .collect();
    }
    let shown = pick_rows(tracked, MAX_LINES - 1, |i| m.clients[i].sent, |_| true);
    let mut out: Vec<(String, Option<usize>)> = shown
        .rows
        .iter()
        .map(|&i| (names[i].to_string(), Some(i)))
        .collect();
    out.push((
        format!(
            "{} others",
            fmt::count((names.len() - shown.rows.len()) as u64)
        ),
        None,
    ));
    out
}

/// A series' per-bucket counts as rates per second (averaged over about a second), up to
/// `current` buckets of `bucket`.
fn rate(v: &[u32], current: usize, bucket: SimTime) -> Vec<f64> {
    trailing_rate(v, current, bucket.as_secs_f64(), rate_window(bucket))
}

/// "Others": the whole run's counts less those of the series shown.
fn rest(all: &[u32], shown: &[&[u32]], current: usize) -> Vec<u32> {
    (0..current)
        .map(|i| {
            let s: u32 = shown.iter().map(|v| v.get(i).copied().unwrap_or(0)).sum();
            all.get(i).copied().unwrap_or(0).saturating_sub(s)
        })
        .collect()
}

/// Per-client lines of the counts `field` picks (one measure each), rates per second.
fn client_series(
    run: &Run,
    clients: &[(String, Option<usize>)],
    current: usize,
    fields: &[fn(&Buckets) -> &[u32]],
) -> Vec<SeriesIn> {
    let bucket = run.charts.bucket;
    let shown: Vec<&Buckets> = clients
        .iter()
        .filter_map(|(_, i)| i.and_then(|i| run.charts.clients.get(i)))
        .collect();
    clients
        .iter()
        .enumerate()
        .map(|(k, (name, i))| {
            let counts = i.and_then(|i| run.charts.clients.get(i));
            let measures = fields
                .iter()
                .map(|f| {
                    Some(match counts {
                        Some(b) => rate(f(b), current, bucket),
                        None => {
                            let parts: Vec<&[u32]> = shown.iter().map(|b| f(b)).collect();
                            rate(&rest(f(&run.charts.all), &parts, current), current, bucket)
                        }
                    })
                })
                .collect();
            SeriesIn {
                name: name.clone(),
                class: if i.is_some() { CLASSES[k] } else { "s-rest" },
                measures,
            }
        })
        .collect()
}

/// Every chart of the view, for the mailboxes matching `filter`, under the shared `hover`.
pub fn charts(run: &Run, filter: &str, hover: &Hover) -> Html {
    let now = run.sim.now();
    let bucket = run.charts.bucket;
    let current = ((now.0 / bucket.0) as usize + 1).min(run.charts.messages.len());
    let clients = chart_clients(run);
    let many = clients.len() > 1;
    let all = &run.charts.all;
    let throughput = if many {
        series_lines(
            client_series(run, &clients, current, &[|b| &b.replies, |b| &b.errors]),
            &[("replies", "s-b"), ("errors", "s-err")],
        )
    } else {
        Lines::plain(vec![
            Line {
                label: "messages".into(),
                class: "s-a",
                dash: Dash::Solid,
                values: rate(&run.charts.messages, current, bucket),
            },
            Line {
                label: "client replies".into(),
                class: "s-b",
                dash: Dash::Solid,
                values: rate(&all.replies, current, bucket),
            },
            Line {
                label: "errors".into(),
                class: "s-err",
                dash: Dash::Solid,
                values: rate(&all.errors, current, bucket),
            },
        ])
    };
    let retry_measures = [("retries", "s-a"), ("breaker rejections", "s-err")];
    let retries = if many {
        series_lines(
            client_series(run, &clients, current, &[|b| &b.retries, |b| &b.rejections]),
            &retry_measures,
        )
    } else {
        series_lines(
            vec![SeriesIn {
                name: String::new(),
                class: "s-a",
                measures: vec![
                    Some(rate(&all.retries, current, bucket)),
                    Some(rate(&all.rejections, current, bucket)),
                ],
            }],
            &retry_measures,
        )
    };
    let pcts = |b: &Buckets, k: usize| -> Vec<f64> {
        b.percentiles(now, bucket)
            .iter()
            .map(|p| f64::from(p[k]))
            .collect()
    };
    let latency = if many {
        series_lines(
            clients
                .iter()
                .enumerate()
                .map(|(k, (name, i))| {
                    let b = i.and_then(|i| run.charts.clients.get(i));
                    SeriesIn {
                        name: name.clone(),
                        class: if i.is_some() { CLASSES[k] } else { "s-rest" },
                        measures: vec![b.map(|b| pcts(b, 0)), b.map(|b| pcts(b, 2))],
                    }
                })
                .collect(),
            &[("p50", "s-a"), ("p99", "s-err")],
        )
    } else {
        let p = all.percentiles(now, bucket);
        Lines::plain(
            ["p50", "p95", "p99"]
                .iter()
                .enumerate()
                .map(|(k, label)| Line {
                    label: (*label).into(),
                    class: ["s-a", "s-b", "s-err"][k],
                    dash: Dash::Solid,
                    values: p.iter().map(|b| f64::from(b[k])).collect(),
                })
                .collect(),
        )
    };
    let bands = fault_bands(
        run.faults.iter().map(|f| FaultWindow {
            start: f.start,
            end: f.end,
            text: run.name(f.name),
        }),
        now,
        PLOT,
    );
    let depth = depth_lines(run, filter);
    let users = users_lines(run);
    let caches = cache_lines(run);
    let has_clients = !run.sim.metrics().clients.is_empty();
    html! {
        <div class="charts">
            { chart("Throughput", "chart-throughput", throughput, now, Unit::PerSecond, &bands, hover) }
            if has_clients {
                { chart("Retries and breaker rejections", "chart-retries", retries, now, Unit::PerSecond, &bands, hover) }
            }
            { chart("Client-visible latency", "chart-latency", latency, now, Unit::Micros, &bands, hover) }
            if let Some(users) = users {
                { chart("Users (closed-loop clients)", "chart-users", Lines::plain(users), now, Unit::Count, &bands, hover) }
            }
            if let Some(caches) = caches {
                { chart("Cache hit ratio", "chart-caches", caches, now, Unit::Percent, &bands, hover) }
            }
            if run.sim.metrics().mailboxes.is_empty() {
                <figure class="chart empty"><figcaption><span class="chart-title">{ "Queue depth" }</span></figcaption>
                    <p class="muted small">{ "This scenario has no queues or subscriptions." }</p></figure>
            } else {
                { chart("Queue depth: waiting (peak) and in flight", "chart-depth", depth, now, Unit::Count, &bands, hover) }
            }
        </div>
    }
}

/// The users chart's lines, thinking and waiting, summed over every client of users; `None`
/// when no client has users.
pub fn users_lines(run: &Run) -> Option<Vec<Line>> {
    let now = run.sim.now();
    let mut thinking: Vec<f64> = Vec::new();
    let mut waiting: Vec<f64> = Vec::new();
    let mut any = false;
    for series in run
        .sim
        .metrics()
        .clients
        .iter()
        .filter_map(|c| c.users_series.as_ref())
    {
        any = true;
        // Up to now: a series ends at its last change, and holds its last point after it.
        let n = ((now.0 / series.interval.0.max(1)) as usize + 1).min(100_000);
        if thinking.len() < n {
            thinking.resize(n, 0.0);
            waiting.resize(n, 0.0);
        }
        let Some(last) = series.points.last() else {
            continue;
        };
        for i in 0..n {
            let p = series.points.get(i).unwrap_or(last);
            thinking[i] += f64::from(p.in_flight);
            waiting[i] += f64::from(p.depth);
        }
    }
    any.then(|| {
        vec![
            Line {
                label: "thinking".into(),
                class: "s-a",
                dash: Dash::Solid,
                values: thinking,
            },
            Line {
                label: "waiting".into(),
                class: "s-b",
                dash: Dash::Solid,
                values: waiting,
            },
        ]
    })
}

/// The per-point maximum of several series of `pick`.
pub fn highest_of<'a>(
    series: impl Iterator<Item = &'a [SeriesPoint]>,
    pick: fn(&SeriesPoint) -> u32,
) -> Vec<f64> {
    let mut out: Vec<u32> = Vec::new();
    for points in series {
        if out.len() < points.len() {
            out.resize(points.len(), 0);
        }
        for (o, p) in out.iter_mut().zip(points) {
            *o = (*o).max(pick(p));
        }
    }
    out.into_iter().map(f64::from).collect()
}

/// The depth chart's series, waiting (the peak of each interval) and in flight (delivered, not
/// yet acked): one per mailbox matching `filter` when at most `MAX_LINES` do; otherwise the
/// `MAX_LINES - 1` highest peaks and one series of the highest of all others.
pub fn depth_lines(run: &Run, filter: &str) -> Lines {
    const MEASURES: [(&str, &str); 2] = [("waiting", "s-c"), ("in flight", "s-a")];
    let now = run.sim.now();
    let boxes = &run.sim.metrics().mailboxes;
    let name = |i: usize| run.sim.mailbox_node(i).map_or("", |n| run.node_name(n));
    let keep = |i: usize| name_matches(name(i), filter);
    let upto = |i: usize| {
        let series = &boxes[i].series;
        let n = ((now.0 / series.interval.0.max(1)) as usize + 1).min(series.points.len());
        &series.points[..n]
    };
    let series = |i: usize, class| SeriesIn {
        name: name(i).to_string(),
        class,
        measures: vec![
            Some(upto(i).iter().map(|p| f64::from(p.max_depth)).collect()),
            Some(upto(i).iter().map(|p| f64::from(p.in_flight)).collect()),
        ],
    };
    let shown = pick_rows(boxes.len(), MAX_LINES, |i| boxes[i].max_depth(), keep);
    if shown.matching <= MAX_LINES {
        let all: Vec<SeriesIn> = shown
            .rows
            .iter()
            .enumerate()
            .map(|(k, &i)| series(i, CLASSES[k]))
            .collect();
        if all.is_empty() {
            return Lines {
                lines: Vec::new(),
                legend: Vec::new(),
            };
        }
        return series_lines(all, &MEASURES);
    }
    let top = &shown.rows[..MAX_LINES - 1];
    let mut all: Vec<SeriesIn> = top
        .iter()
        .enumerate()
        .map(|(k, &i)| series(i, CLASSES[k]))
        .collect();
    // Idle mailboxes (nothing waiting or in flight, ever) add nothing to the maximum: skipped
    // without a look at their series.
    let others = || {
        (0..boxes.len())
            .filter(|&i| {
                (boxes[i].max_depth() > 0 || boxes[i].mean_in_flight(now) > 0.0)
                    && !top.contains(&i)
                    && keep(i)
            })
            .map(upto)
    };
    all.push(SeriesIn {
        name: format!(
            "{} others (highest)",
            fmt::count((shown.matching - top.len()) as u64)
        ),
        class: "s-rest",
        measures: vec![
            Some(highest_of(others(), |p| p.max_depth)),
            Some(highest_of(others(), |p| p.in_flight)),
        ],
    });
    series_lines(all, &MEASURES)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The users chart sums every client of users, holds a client's last point up to now, and
    /// is absent when no client has users.
    #[test]
    fn the_users_chart_sums_closed_loop_clients_up_to_now() {
        use crate::scenario::compile;
        let text = "scenario \"u\" duration 10s\nservice a time 10ms\n\
                    client one users 2 think 100ms until 1s -> a GET /x\n\
                    client two users 3 think 200ms -> a GET /x\n\
                    client open rate 1/s -> a GET /x\na GET /x:\n  work\n";
        let c = compile(text).expect("compiles");
        let mut run = Run::new(1, &c, c.seed);
        run.advance(SimTime::from_secs(2), u64::MAX, &mut || false);
        let lines = users_lines(&run).expect("two clients of users");
        let (thinking, waiting) = (&lines[0].values, &lines[1].values);
        // 20 ms points up to 2 s; at 0 every one of the 5 users thinks.
        assert_eq!(thinking.len(), 101);
        assert_eq!((thinking[0], waiting[0]), (5.0, 0.0));
        // Past `until` client `one` has left; `two`'s 3 users are all somewhere.
        let last = thinking.len() - 1;
        assert_eq!(thinking[last] + waiting[last], 3.0);
        let open =
            compile("service a\nclient c rate 1/s -> a GET /x\na GET /x:\n").expect("compiles");
        let mut run = Run::new(1, &open, open.seed);
        run.advance(SimTime::from_secs(1), u64::MAX, &mut || false);
        assert!(users_lines(&run).is_none());
    }

    #[test]
    fn the_others_line_is_the_highest_of_each_point() {
        let p = |d: u32, f: u32| SeriesPoint {
            max_depth: d,
            in_flight: f,
            ..SeriesPoint::default()
        };
        let a = [p(1, 4), p(5, 0)];
        let b = [p(3, 1), p(2, 2), p(7, 0)];
        let v = highest_of([&a[..], &b[..]].into_iter(), |p| p.max_depth);
        assert_eq!(v, vec![3.0, 5.0, 7.0]);
        let v = highest_of([&a[..], &b[..]].into_iter(), |p| p.in_flight);
        assert_eq!(v, vec![4.0, 2.0, 0.0]);
    }

    fn series(name: &str, class: &'static str, m: usize) -> SeriesIn {
        SeriesIn {
            name: name.into(),
            class,
            measures: (0..m).map(|k| Some(vec![k as f64])).collect(),
        }
    }

    /// One series keeps a colour per measure; several get a colour each, a stroke per
    /// measure, and a legend naming each series and each stroke.
    #[test]
    fn series_get_colours_and_measures_get_strokes() {
        let measures = [("replies", "s-b"), ("errors", "s-err")];
        let one = series_lines(vec![series("web", "s-a", 2)], &measures);
        let classes: Vec<_> = one.lines.iter().map(|l| (l.class, l.dash)).collect();
        assert_eq!(classes, [("s-b", Dash::Solid), ("s-err", Dash::Solid)]);
        assert!(one.legend.iter().all(|k| !k.series));
        let two = series_lines(
            vec![series("web", "s-a", 2), series("mobile", "s-b", 2)],
            &measures,
        );
        let lines: Vec<_> = two
            .lines
            .iter()
            .map(|l| (l.label.as_str(), l.class, l.dash))
            .collect();
        assert_eq!(
            lines,
            [
                ("web replies", "s-a", Dash::Solid),
                ("web errors", "s-a", Dash::Dashed),
                ("mobile replies", "s-b", Dash::Solid),
                ("mobile errors", "s-b", Dash::Dashed),
            ]
        );
        let series_keys: Vec<_> = two
            .legend
            .iter()
            .filter(|k| k.series)
            .map(|k| k.label.as_str())
            .collect();
        assert_eq!(series_keys, ["web", "mobile"]);
        assert_eq!(two.legend.len(), 4);
        // A measure unknown for a series (others' percentiles) is left out.
        let mut others = series("others", "s-rest", 2);
        others.measures[1] = None;
        let three = series_lines(vec![series("web", "s-a", 2), others], &measures);
        assert_eq!(three.lines.len(), 3);
        // A series with nothing known is left out of the legend too.
        let none = SeriesIn {
            name: "others".into(),
            class: "s-rest",
            measures: vec![None, None],
        };
        let four = series_lines(vec![series("web", "s-a", 2), none], &measures);
        assert_eq!(four.legend.iter().filter(|k| k.series).count(), 1);
    }

    /// Two clients give two series on the client charts, named after them; a fault band per
    /// fault window; the depth chart shows waiting and in flight.
    #[test]
    fn two_clients_are_two_series_on_a_real_run() {
        use crate::scenario::{compile, gallery::GALLERY};
        let g = GALLERY
            .iter()
            .find(|e| e.id == "circuit-breaker")
            .expect("in the gallery");
        let c = compile(g.text).expect("compiles");
        let mut run = Run::new(1, &c, c.seed);
        run.advance(SimTime::from_secs(15), u64::MAX, &mut || false);
        let clients = chart_clients(&run);
        assert_eq!(
            clients,
            [
                ("shoppers-a".to_string(), Some(0)),
                ("shoppers-b".to_string(), Some(1))
            ]
        );
        let current = run.charts.messages.len();
        let s = client_series(&run, &clients, current, &[|b| &b.rejections]);
        let total = |v: &Option<Vec<f64>>| v.as_ref().map_or(0.0, |v| v.iter().sum::<f64>());
        assert_eq!(total(&s[0].measures[0]), 0.0);
        assert!(total(&s[1].measures[0]) > 0.0, "the breaker's page");
        assert_eq!(run.faults.len(), 2);
    }

    #[test]
    fn many_clients_are_the_busiest_and_others() {
        use crate::scenario::compile;
        let mut text = String::from("scenario \"m\" duration 5s\nservice a time 1ms\n");
        for i in 0..9 {
            text.push_str(&format!("client c{i} rate {}/s -> a GET /x\n", i + 1));
        }
        text.push_str("a GET /x:\n  work\n");
        let c = compile(&text).expect("compiles");
        let mut run = Run::new(1, &c, c.seed);
        run.advance(SimTime::from_secs(3), u64::MAX, &mut || false);
        let clients = chart_clients(&run);
        assert_eq!(clients.len(), MAX_LINES);
        assert_eq!(clients[0], ("c8".to_string(), Some(8)));
        assert_eq!(clients[MAX_LINES - 1], ("4 others".to_string(), None));
        // "Others" is the whole run less the series shown.
        let current = run.charts.messages.len();
        let s = client_series(&run, &clients, current, &[|b| &b.replies]);
        let sum: f64 = s
            .iter()
            .map(|x| x.measures[0].as_ref().expect("known").iter().sum::<f64>())
            .sum();
        let all: f64 = rate(&run.charts.all.replies, current, run.charts.bucket)
            .iter()
            .sum();
        assert!((sum - all).abs() < 1e-6);
    }
}
