//! Metrics view: tables per endpoint/method, consumer, client and queue/subscription (count,
//! throughput, errors, p50/p95/p99; per client also goodput next to throughput, and the users
//! thinking and waiting of a closed loop), and small SVG time-series charts — throughput,
//! client-visible latency percentiles, users thinking and waiting (when a client has users) and
//! queue depth — that grow while the run plays.
//!
//! A small link can name 10,000 queues or endpoints, and this view is drawn on every frame while
//! the run plays: a table draws at most `MAX_ROWS` rows (the busiest, with a note saying how many
//! more and a filter by name), and the depth chart at most `MAX_LINES` lines (the highest peaks,
//! the rest as one line of their highest depth). Nothing here costs more than one pass over the
//! rows per frame.

use yew::prelude::*;

use super::context::use_shared;
use super::fmt;
use super::run::Run;
use super::state::Clock;
use super::views::empty_state;
use crate::sim::{Histogram, NodeKind, SimTime};

/// Points per chart line at most (each point is the peak of the buckets it covers).
const MAX_POINTS: usize = 240;
/// Rows a table draws at most; past it, the busiest ones and a note.
pub const MAX_ROWS: usize = 50;
/// Lines the depth chart draws at most, the "others" line included.
pub const MAX_LINES: usize = 6;
const CHART_W: f64 = 360.0;
const CHART_H: f64 = 130.0;
const PAD_L: f64 = 44.0;
const PAD_B: f64 = 18.0;
const PAD_T: f64 = 8.0;

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    /// Only to re-render as the run moves (the numbers come from the run itself).
    pub clock: Clock,
}

/// One line of a chart: legend text, CSS class, values at evenly spaced times from 0 to `end`.
struct Line {
    label: String,
    class: &'static str,
    values: Vec<f64>,
}

/// Group `v` into at most `MAX_POINTS` points, keeping each group's peak.
fn downsample(v: &[f64]) -> Vec<f64> {
    if v.len() <= MAX_POINTS {
        return v.to_vec();
    }
    let per = v.len().div_ceil(MAX_POINTS);
    v.chunks(per)
        .map(|c| c.iter().copied().fold(0.0, f64::max))
        .collect()
}

/// A round number ≥ `v` for the top of an axis.
pub fn nice_max(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mut p = 1.0;
    while p * 10.0 < v {
        p *= 10.0;
    }
    while p > v {
        p /= 10.0;
    }
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if p * m >= v {
            return p * m;
        }
    }
    p * 10.0
}

/// The rows of a table to draw, and how many matched the filter.
#[derive(Debug, PartialEq)]
pub struct Shown {
    /// Row indices to draw: every match in declared order when at most `limit` match, otherwise
    /// the `limit` with the largest weight, largest first (ties in declared order).
    pub rows: Vec<usize>,
    /// How many rows matched.
    pub matching: usize,
}

/// Picks what a table of `n` rows shows: the rows `keep` accepts, at most `limit`, the heaviest
/// by `weight` when more match. One pass plus a partial selection, never a full sort.
pub fn pick_rows(
    n: usize,
    limit: usize,
    weight: impl Fn(usize) -> u64,
    keep: impl Fn(usize) -> bool,
) -> Shown {
    let mut rows: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
    let matching = rows.len();
    if matching > limit {
        let key = |&i: &usize| (std::cmp::Reverse(weight(i)), i);
        if limit > 0 {
            rows.select_nth_unstable_by_key(limit - 1, key);
        }
        rows.truncate(limit);
        rows.sort_unstable_by_key(key);
    }
    Shown { rows, matching }
}

/// Whether `name` holds `needle`, ignoring ASCII case. An empty needle matches. ASCII folding
/// only, as in the log's filter: names are ASCII by the language's grammar, and std's Unicode
/// case tables would add about 9 KB gzip to the first load (their data stays in the first half
/// of the split wasm).
pub fn name_matches(name: &str, needle: &str) -> bool {
    let (h, n) = (name.as_bytes(), needle.as_bytes());
    n.is_empty() || (h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n)))
}

/// The per-point maximum of several series, each cut at `upto(series)` points.
fn highest_of<'a>(series: impl Iterator<Item = &'a [crate::sim::SeriesPoint]>) -> Vec<f64> {
    let mut out: Vec<u32> = Vec::new();
    for points in series {
        if out.len() < points.len() {
            out.resize(points.len(), 0);
        }
        for (o, p) in out.iter_mut().zip(points) {
            *o = (*o).max(p.max_depth);
        }
    }
    out.into_iter().map(f64::from).collect()
}

/// The note under a table that shows only some of its rows; none when it shows them all.
fn rows_note(shown: &Shown, total: usize, what: &str, by: &str, filtered: bool) -> Html {
    let drawn = shown.rows.len();
    if drawn == total {
        return html! {};
    }
    let text = if filtered && shown.matching <= drawn {
        format!(
            "{} of {} {what} match the filter.",
            fmt::count(drawn as u64),
            fmt::count(total as u64)
        )
    } else {
        let of = if filtered {
            format!(
                "{} matching of {}",
                fmt::count(shown.matching as u64),
                fmt::count(total as u64)
            )
        } else {
            fmt::count(total as u64)
        };
        format!(
            "The {drawn} with the most {by} of {of} {what}; {} more not shown. Filter by name to find one.",
            fmt::count((shown.matching - drawn) as u64)
        )
    };
    html! { <p class="table-note muted small" data-testid="rows-note">{ text }</p> }
}

fn chart(title: &str, id: &str, lines: Vec<Line>, end: SimTime, fmt_y: fn(f64) -> String) -> Html {
    let lines: Vec<Line> = lines
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
    let (pw, ph) = (CHART_W - PAD_L - 8.0, CHART_H - PAD_T - PAD_B);
    let has_data = lines.iter().any(|l| l.values.len() > 1);
    let polylines = lines.iter().map(|l| {
        let n = l.values.len().max(2) - 1;
        let mut pts = String::with_capacity(l.values.len() * 12);
        for (i, y) in l.values.iter().enumerate() {
            let x = PAD_L + pw * i as f64 / n as f64;
            let y = PAD_T + ph - ph * (y / top).clamp(0.0, 1.0);
            pts.push_str(&format!("{x:.1},{y:.1} "));
        }
        html! { <polyline class={classes!("series", l.class)} points={pts} /> }
    });
    html! {
        <figure class="chart" data-testid={id.to_string()}>
            <figcaption>
                <span class="chart-title">{ title }</span>
                <span class="chart-legend">
                    { for lines.iter().map(|l| html! { <span class={classes!("key", l.class)}>{ &l.label }</span> }) }
                </span>
            </figcaption>
            <svg viewBox={format!("0 0 {CHART_W} {CHART_H}")} role="img" aria-label={title.to_string()}>
                <line class="axis" x1={PAD_L.to_string()} y1={(PAD_T + ph).to_string()} x2={(PAD_L + pw).to_string()} y2={(PAD_T + ph).to_string()} />
                <line class="grid" x1={PAD_L.to_string()} y1={PAD_T.to_string()} x2={(PAD_L + pw).to_string()} y2={PAD_T.to_string()} />
                <line class="grid" x1={PAD_L.to_string()} y1={(PAD_T + ph / 2.0).to_string()} x2={(PAD_L + pw).to_string()} y2={(PAD_T + ph / 2.0).to_string()} />
                <text class="tick" x={(PAD_L - 4.0).to_string()} y={(PAD_T + 4.0).to_string()} text-anchor="end">{ fmt_y(top) }</text>
                <text class="tick" x={(PAD_L - 4.0).to_string()} y={(PAD_T + ph / 2.0 + 4.0).to_string()} text-anchor="end">{ fmt_y(top / 2.0) }</text>
                <text class="tick" x={(PAD_L - 4.0).to_string()} y={(PAD_T + ph + 4.0).to_string()} text-anchor="end">{ "0" }</text>
                <text class="tick" x={PAD_L.to_string()} y={(CHART_H - 4.0).to_string()} text-anchor="start">{ "0 s" }</text>
                <text class="tick" x={(PAD_L + pw).to_string()} y={(CHART_H - 4.0).to_string()} text-anchor="end">{ fmt::clock(end) }</text>
                if has_data {
                    { for polylines }
                } else {
                    <text class="tick" x={(PAD_L + pw / 2.0).to_string()} y={(PAD_T + ph / 2.0).to_string()} text-anchor="middle">{ "no data yet" }</text>
                }
            </svg>
        </figure>
    }
}

fn per_s(v: f64) -> String {
    fmt::rate(v)
}

fn ms(v: f64) -> String {
    fmt::dur(SimTime(v as u64))
}

fn depth(v: f64) -> String {
    fmt::count(v as u64)
}

fn pct(v: f64) -> String {
    format!("{v:.0}%")
}

/// Each cache's hit ratio (in %) per interval up to now (the first six caches); an interval
/// with no lookups repeats the last value.
fn cache_lines(run: &Run) -> Option<Vec<Line>> {
    let caches = &run.sim.metrics().caches;
    if caches.is_empty() {
        return None;
    }
    let now = run.sim.now();
    let views = run.sim.caches();
    let classes = ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"];
    Some(
        caches
            .iter()
            .zip(&views)
            .take(classes.len())
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
                    class: classes[i],
                    values,
                }
            })
            .collect(),
    )
}

fn pct_cells(h: &Histogram) -> Html {
    if h.count() == 0 {
        return html! { <><td class="num muted">{ "–" }</td><td class="num muted">{ "–" }</td><td class="num muted">{ "–" }</td></> };
    }
    html! { <>
        <td class="num">{ fmt::dur(h.p50()) }</td>
        <td class="num">{ fmt::dur(h.p95()) }</td>
        <td class="num">{ fmt::dur(h.p99()) }</td>
    </> }
}

fn error_cell(errors: u64, of: u64) -> Html {
    let cls = if errors > 0 { "num err" } else { "num" };
    html! { <td class={cls}>{ fmt::count(errors) }<span class="muted">{ format!(" ({})", fmt::percent(errors, of)) }</span></td> }
}

/// Goodput (successful answers per second) next to throughput (every answer per second), with
/// a bar whose filled part is goodput's share of throughput.
fn goodput_cell(ok: u64, completed: u64, now: SimTime) -> Html {
    let (good, all) = (
        crate::sim::metrics::throughput(ok, now),
        crate::sim::metrics::throughput(completed, now),
    );
    let share = if completed == 0 {
        0.0
    } else {
        ok as f64 / completed as f64
    };
    html! {
        <td class="num" title={format!("{} of the answers were successes", fmt::percent(ok, completed))}>
            { format!("{} / {}", fmt::rate(good), fmt::rate(all)) }
            <svg class="goodput-bar" viewBox="0 0 40 6" width="40" height="6" aria-hidden="true">
                <rect class="all" x="0" y="0" width="40" height="6" />
                <rect class="good" x="0" y="0" width={format!("{:.1}", 40.0 * share)} height="6" />
            </svg>
        </td>
    }
}

/// A client of users' users thinking and waiting now; a dash for a rate-driven client.
fn users_cell(users: Option<crate::sim::UsersView>) -> Html {
    match users {
        Some(u) => html! {
            <td class="num" title={format!("{} users", fmt::count(u64::from(u.users)))}>
                { format!("{} / {}", fmt::count(u64::from(u.thinking)), fmt::count(u64::from(u.waiting))) }
            </td>
        },
        None => html! { <td class="num muted">{ "–" }</td> },
    }
}

fn charts(run: &Run, filter: &str) -> Html {
    let now = run.sim.now();
    let bucket_s = run.charts.bucket.as_secs_f64();
    let current = ((now.0 / run.charts.bucket.0) as usize + 1).min(run.charts.messages.len());
    let rate = |v: &[u32]| -> Vec<f64> {
        v.iter()
            .take(current)
            .map(|&n| f64::from(n) / bucket_s)
            .collect()
    };
    let throughput = vec![
        Line {
            label: "messages".into(),
            class: "s-a",
            values: rate(&run.charts.messages),
        },
        Line {
            label: "client replies".into(),
            class: "s-b",
            values: rate(&run.charts.replies),
        },
        Line {
            label: "errors".into(),
            class: "s-err",
            values: rate(&run.charts.errors),
        },
    ];
    let p = run.charts.percentiles(now);
    let latency = ["p50", "p95", "p99"]
        .iter()
        .enumerate()
        .map(|(k, label)| Line {
            label: (*label).into(),
            class: ["s-a", "s-b", "s-err"][k],
            values: p.iter().map(|b| f64::from(b[k])).collect(),
        })
        .collect();
    let run: &Run = run;
    let depth_lines = depth_lines(run, filter);
    let users = users_lines(run);
    let caches = cache_lines(run);
    html! {
        <div class="charts">
            { chart("Throughput", "chart-throughput", throughput, now, per_s) }
            { chart("Client-visible latency", "chart-latency", latency, now, ms) }
            if let Some(users) = users {
                { chart("Users (closed-loop clients)", "chart-users", users, now, depth) }
            }
            if let Some(caches) = caches {
                { chart("Cache hit ratio", "chart-caches", caches, now, pct) }
            }
            if run.sim.metrics().mailboxes.is_empty() {
                <figure class="chart empty"><figcaption><span class="chart-title">{ "Queue depth" }</span></figcaption>
                    <p class="muted small">{ "This scenario has no queues or subscriptions." }</p></figure>
            } else {
                { chart("Queue depth (peak per interval)", "chart-depth", depth_lines, now, depth) }
            }
        </div>
    }
}

/// The users chart's lines, thinking and waiting, summed over every client of users; `None`
/// when no client has users.
fn users_lines(run: &Run) -> Option<Vec<Line>> {
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
                values: thinking,
            },
            Line {
                label: "waiting".into(),
                class: "s-b",
                values: waiting,
            },
        ]
    })
}

/// The depth chart's lines: one per mailbox matching `filter` when at most `MAX_LINES` do;
/// otherwise the `MAX_LINES - 1` highest peaks and one line of the highest depth of all others.
fn depth_lines(run: &Run, filter: &str) -> Vec<Line> {
    const CLASSES: [&str; MAX_LINES] = ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"];
    let now = run.sim.now();
    let boxes = &run.sim.metrics().mailboxes;
    let name = |i: usize| run.sim.mailbox_node(i).map_or("", |n| run.node_name(n));
    let keep = |i: usize| name_matches(name(i), filter);
    let upto = |i: usize| {
        let series = &boxes[i].series;
        let n = ((now.0 / series.interval.0.max(1)) as usize + 1).min(series.points.len());
        &series.points[..n]
    };
    let line = |i: usize, class| Line {
        label: name(i).to_string(),
        class,
        values: upto(i).iter().map(|p| f64::from(p.max_depth)).collect(),
    };
    let shown = pick_rows(boxes.len(), MAX_LINES, |i| boxes[i].max_depth(), keep);
    if shown.matching <= MAX_LINES {
        return shown
            .rows
            .iter()
            .enumerate()
            .map(|(k, &i)| line(i, CLASSES[k]))
            .collect();
    }
    let top = &shown.rows[..MAX_LINES - 1];
    let mut lines: Vec<Line> = top
        .iter()
        .enumerate()
        .map(|(k, &i)| line(i, CLASSES[k]))
        .collect();
    // Idle mailboxes (no depth ever) add nothing to the maximum: skipped without a look at
    // their series.
    let others = (0..boxes.len())
        .filter(|&i| boxes[i].max_depth() > 0 && !top.contains(&i) && keep(i))
        .map(upto);
    lines.push(Line {
        label: format!(
            "{} others (highest)",
            fmt::count((shown.matching - top.len()) as u64)
        ),
        class: "s-rest",
        values: highest_of(others),
    });
    lines
}

#[function_component]
pub fn MetricsView(_props: &MetricsProps) -> Html {
    let shared = use_shared();
    let filter = use_state(String::new);
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            filter.set(input.value());
        })
    };
    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    if run.sim.events_processed() == 0 {
        return empty_state(
            "No metrics yet",
            "Press Play (Space): throughput, error rate and p50/p95/p99 latency per endpoint, and queue depth over time, fill in as the run plays.",
        );
    }
    // Big worlds get the filter, and only they: a small one shows every row and line as before.
    let (big, needle) = {
        let m = run.sim.metrics();
        let big = [
            m.endpoints.len(),
            m.consumers.len(),
            m.clients.len(),
            m.mailboxes.len(),
        ]
        .iter()
        .any(|&n| n > MAX_ROWS)
            || m.mailboxes.len() > MAX_LINES;
        let needle = if big {
            filter.trim().to_string()
        } else {
            String::new()
        };
        (big, needle)
    };
    let filtered = !needle.is_empty();
    let charts = charts(run, &needle);
    let run: &Run = run;
    let now = run.sim.now();
    let m = run.sim.metrics();
    let tput = |n: u64| fmt::rate(crate::sim::metrics::throughput(n, now));

    let endpoints_shown = pick_rows(
        m.endpoints.len(),
        MAX_ROWS,
        |i| m.endpoints[i].requests,
        |i| !filtered || name_matches(&run.sim.endpoint_label(i), &needle),
    );
    let endpoints = endpoints_shown.rows.iter().map(|&i| {
        let e = &m.endpoints[i];
        html! {
            <tr>
                <th scope="row">{ run.sim.endpoint_label(i) }</th>
                <td class="num">{ fmt::count(e.requests) }</td>
                <td class="num">{ tput(e.requests) }</td>
                { error_cell(e.errors, e.requests) }
                <td class={if e.rejected > 0 { "num err" } else { "num" }}>{ fmt::count(e.rejected) }</td>
                { pct_cells(&e.latency) }
            </tr>
        }
    });
    let consumers_shown = pick_rows(
        m.consumers.len(),
        MAX_ROWS,
        |i| m.consumers[i].delivered,
        |i| !filtered || name_matches(&run.sim.consumer_label(i), &needle),
    );
    let consumers = consumers_shown.rows.iter().map(|&i| {
        let c = &m.consumers[i];
        html! {
            <tr>
                <th scope="row">{ run.sim.consumer_label(i) }</th>
                <td class="num">{ fmt::count(c.delivered) }</td>
                <td class="num">{ tput(c.delivered) }</td>
                { error_cell(c.nacked, c.delivered) }
                <td class="num">{ fmt::count(c.acked) }</td>
                { pct_cells(&c.latency) }
            </tr>
        }
    });
    let client_names: Vec<&str> = run
        .sim
        .nodes()
        .iter()
        .filter(|n| n.kind == NodeKind::Client)
        .map(|n| n.name.as_str())
        .collect();
    let client_name = |i: usize| client_names.get(i).copied().unwrap_or("client");
    let clients_shown = pick_rows(
        m.clients.len(),
        MAX_ROWS,
        |i| m.clients[i].sent,
        |i| name_matches(client_name(i), &needle),
    );
    let users = run.sim.users();
    let clients = clients_shown.rows.iter().map(|&i| {
        let c = &m.clients[i];
        html! {
            <tr>
                <th scope="row">{ client_name(i) }</th>
                <td class="num">{ fmt::count(c.sent) }</td>
                { goodput_cell(c.ok, c.completed, now) }
                { users_cell(users.get(i).copied().flatten()) }
                { error_cell(c.errors, c.completed) }
                <td class="num">{ format!("{} / {}", fmt::count(c.timeouts), fmt::count(c.retries)) }</td>
                { pct_cells(&c.latency) }
            </tr>
        }
    });
    // Call sites: where retries, timeouts and broken calls happen, handlers included.
    let waiting = run.sim.calls_waiting();
    let calls_shown = pick_rows(
        m.calls.len(),
        MAX_ROWS,
        |i| m.calls[i].attempts,
        |i| name_matches(&run.sim.call_site_label(i), &needle),
    );
    let calls = calls_shown.rows.iter().map(|&i| {
        let c = &m.calls[i];
        let ended = c.ok + c.timed_out + c.failed;
        html! {
            <tr>
                <th scope="row">{ run.sim.call_site_label(i) }</th>
                <td class="num">{ fmt::count(c.attempts) }</td>
                <td class="num">{ fmt::count(c.retries) }</td>
                <td class="num">{ format!("{} / {}", fmt::count(c.hedges), fmt::count(c.throttled)) }</td>
                <td class="num">{ fmt::count(c.attempt_timeouts) }</td>
                { error_cell(c.timed_out + c.failed, ended) }
                <td class="num">{ fmt::count(waiting.get(i).copied().unwrap_or(0)) }</td>
                <td class="num">{
                    match run.sim.call_pool(i) {
                        Some((size, in_use, queued)) => format!(
                            "{in_use}/{size} · {queued} · {}",
                            fmt::count(c.pool_timeouts)
                        ),
                        None => "—".to_string(),
                    }
                }</td>
            </tr>
        }
    });
    let cache_views = run.sim.caches();
    let caches = m.caches.iter().zip(&cache_views).map(|(c, v)| {
        html! {
            <tr>
                <th scope="row">{ run.name(v.name).to_string() }</th>
                <td class="num">{ format!("{:.1}%", 100.0 * c.hit_ratio()) }</td>
                <td class="num">{ fmt::count(c.hits) }</td>
                <td class="num">{ format!("{} / {}", fmt::count(c.misses), fmt::count(c.joined)) }</td>
                <td class="num">{ format!("{} / {}", fmt::count(u64::from(v.entries)), fmt::count(u64::from(v.capacity))) }</td>
                <td class="num">{ format!("{} / {}", fmt::count(c.evictions), fmt::count(c.expired)) }</td>
            </tr>
        }
    });
    // Every replica of every replicated service, one row each: (balancer, replica).
    let balancers = run.sim.balancers();
    let replica_rows: Vec<(usize, usize)> = balancers
        .iter()
        .enumerate()
        .flat_map(|(b, v)| (0..v.replicas.len()).map(move |r| (b, r)))
        .collect();
    let replicas_shown = pick_rows(
        replica_rows.len(),
        MAX_ROWS,
        |i| {
            let (b, r) = replica_rows[i];
            m.balancers[b].sent[r]
        },
        |i| {
            let (b, r) = replica_rows[i];
            name_matches(run.node_name(balancers[b].replicas[r].node), &needle)
        },
    );
    let replicas = replicas_shown.rows.iter().map(|&i| {
        let (b, r) = replica_rows[i];
        let (live, counts) = (&balancers[b].replicas[r], &m.balancers[b]);
        html! {
            <tr class={classes!(live.ejected.then_some("ejected"))}>
                <th scope="row">{ run.node_name(live.node).to_string() }</th>
                <td class="num">{ fmt::count(counts.sent[r]) }</td>
                { error_cell(counts.errors[r], counts.sent[r]) }
                <td class="num">{ fmt::count(u64::from(live.active)) }</td>
                <td class="num">{ fmt::count(counts.ejections[r]) }{ if live.ejected { " (out now)" } else { "" } }</td>
            </tr>
        }
    });
    // Services that turned requests away (full backlog, rate limit, shedding): only those rows,
    // so the table is there only when admission control is at work.
    let service_views = run.sim.services();
    let turned_away = |i: usize| {
        let v = &m.services[i];
        v.rejected + v.rate_limited + v.shed
    };
    let services_shown = pick_rows(m.services.len(), MAX_ROWS, turned_away, |i| {
        turned_away(i) > 0
            && service_views
                .get(i)
                .is_some_and(|v| name_matches(run.node_name(v.node), &needle))
    });
    let services = services_shown.rows.iter().map(|&i| {
        let v = &m.services[i];
        let cell = |n: u64| {
            html! { <td class={if n > 0 { "num err" } else { "num" }}>{ fmt::count(n) }</td> }
        };
        html! {
            <tr>
                <th scope="row">{ service_views.get(i).map_or("?", |s| run.node_name(s.node)).to_string() }</th>
                <td class="num">{ fmt::count(v.max_backlog()) }</td>
                { cell(v.rejected) }
                { cell(v.rate_limited) }
                { cell(v.shed) }
            </tr>
        }
    });
    // The live list is in mailbox order: row `i` is `live[i]` (checked, never searched).
    let live = run.sim.mailboxes();
    let mailbox_node = |i: usize| run.sim.mailbox_node(i);
    let mailboxes_shown = pick_rows(
        m.mailboxes.len(),
        MAX_ROWS,
        |i| m.mailboxes[i].accepted,
        |i| name_matches(mailbox_node(i).map_or("?", |n| run.node_name(n)), &needle),
    );
    let mailboxes = mailboxes_shown.rows.iter().map(|&i| {
        let b = &m.mailboxes[i];
        let node = mailbox_node(i);
        let now_depth = live
            .get(i)
            .filter(|l| Some(l.node) == node)
            .map_or(0, |l| l.depth);
        html! {
            <tr>
                <th scope="row">{ node.map_or("?", |n| run.node_name(n)) }</th>
                <td class="num">{ fmt::count(b.accepted) }</td>
                <td class="num">{ fmt::count(u64::from(now_depth)) }</td>
                <td class="num">{ fmt::count(b.max_depth()) }</td>
                <td class={if b.redeliveries > 0 { "num warn" } else { "num" }}>{ fmt::count(b.redeliveries) }</td>
                <td class={if b.dead_letters > 0 { "num err" } else { "num" }}>{ fmt::count(b.dead_letters) }</td>
                <td class={if b.rejected + b.evicted > 0 { "num err" } else { "num" }}>{ fmt::count(b.rejected + b.evicted) }</td>
            </tr>
        }
    });
    let pct_head = html! { <><th class="num">{ "p50" }</th><th class="num">{ "p95" }</th><th class="num">{ "p99" }</th></> };

    html! {
        <div class="metrics" data-testid="metrics">
            if big {
                <div class="metrics-bar">
                    <span class="small muted">{ format!(
                        "Tables show their {MAX_ROWS} busiest rows, the depth chart its {} highest queues; the filter finds the rest.",
                        MAX_LINES - 1
                    ) }</span>
                    <input type="search" placeholder="Filter by name…" aria-label="Filter the tables and the depth chart by name"
                           data-testid="metrics-filter" value={(*filter).clone()} oninput={on_filter} />
                </div>
            }
            { charts }
            <div class="tables">
                if !m.endpoints.is_empty() {
                    <div>
                        <table class="metrics-table" data-testid="endpoint-table">
                            <caption>{ "Endpoints and methods (server side)" }</caption>
                            <thead><tr><th>{ "Endpoint" }</th><th class="num">{ "Requests" }</th><th class="num">{ "Throughput" }</th><th class="num">{ "Errors" }</th><th class="num">{ "Rejected" }</th>{ pct_head.clone() }</tr></thead>
                            <tbody>{ for endpoints }</tbody>
                        </table>
                        { rows_note(&endpoints_shown, m.endpoints.len(), "endpoints", "requests", filtered) }
                    </div>
                }
                if !m.consumers.is_empty() {
                    <div>
                        <table class="metrics-table">
                            <caption>{ "Consumers" }</caption>
                            <thead><tr><th>{ "Consumer" }</th><th class="num">{ "Delivered" }</th><th class="num">{ "Throughput" }</th><th class="num">{ "Nacked" }</th><th class="num">{ "Acked" }</th>{ pct_head.clone() }</tr></thead>
                            <tbody>{ for consumers }</tbody>
                        </table>
                        { rows_note(&consumers_shown, m.consumers.len(), "consumers", "deliveries", filtered) }
                    </div>
                }
                if !m.clients.is_empty() {
                    <div>
                        <table class="metrics-table">
                            <caption>{ "Clients (end to end, with retries)" }</caption>
                            <thead><tr><th>{ "Client" }</th><th class="num">{ "Sent" }</th><th class="num" title="Successful answers per second, of all answers per second">{ "Goodput / throughput" }</th><th class="num" title="A client of users: thinking / waiting for an answer now">{ "Users thinking / waiting" }</th><th class="num">{ "Errors" }</th><th class="num">{ "Timeouts / retries" }</th>{ pct_head }</tr></thead>
                            <tbody>{ for clients }</tbody>
                        </table>
                        { rows_note(&clients_shown, m.clients.len(), "clients", "requests sent", filtered) }
                    </div>
                }
                if !m.calls.is_empty() {
                    <div>
                        <table class="metrics-table" data-testid="calls-table">
                            <caption>{ "Calls (per call site, retries in handlers included)" }</caption>
                            <thead><tr><th>{ "Call site" }</th><th class="num">{ "Attempts" }</th><th class="num">{ "Retries" }</th><th class="num" title="Hedged attempts sent / retries and hedges refused by the retry budget">{ "Hedges / throttled" }</th><th class="num">{ "Attempt timeouts" }</th><th class="num">{ "Failed" }</th><th class="num">{ "Waiting" }</th><th class="num" title="Connection pool: connections in use / its size · calls waiting for one · calls that gave up waiting (pool-wait)">{ "Pool: in use · waiting · timeouts" }</th></tr></thead>
                            <tbody>{ for calls }</tbody>
                        </table>
                        { rows_note(&calls_shown, m.calls.len(), "call sites", "attempts", filtered) }
                    </div>
                }
                if !m.caches.is_empty() {
                    <div>
                        <table class="metrics-table" data-testid="caches-table">
                            <caption>{ "Caches (read-through)" }</caption>
                            <thead><tr><th>{ "Cache" }</th><th class="num">{ "Hit ratio" }</th><th class="num">{ "Hits" }</th><th class="num">{ "Misses / joined" }</th><th class="num">{ "Entries" }</th><th class="num">{ "Evicted / expired" }</th></tr></thead>
                            <tbody>{ for caches }</tbody>
                        </table>
                    </div>
                }
                if !replica_rows.is_empty() {
                    <div>
                        <table class="metrics-table" data-testid="replicas-table">
                            <caption>{ "Replicas (as their load balancer sees them)" }</caption>
                            <thead><tr><th>{ "Replica" }</th><th class="num">{ "Sent" }</th><th class="num">{ "Server errors" }</th><th class="num">{ "In flight" }</th><th class="num">{ "Ejected" }</th></tr></thead>
                            <tbody>{ for replicas }</tbody>
                        </table>
                        { rows_note(&replicas_shown, replica_rows.len(), "replicas", "attempts sent", filtered) }
                    </div>
                }
                if services_shown.matching > 0 {
                    <div>
                        <table class="metrics-table" data-testid="services-table">
                            <caption>{ "Services that turned requests away" }</caption>
                            <thead><tr><th>{ "Service" }</th><th class="num">{ "Max backlog" }</th><th class="num" title="Refused: every worker busy and the backlog full">{ "Backlog full" }</th><th class="num" title="Refused by the service's rate limit (429 / RESOURCE_EXHAUSTED)">{ "Rate-limited" }</th><th class="num" title="Dropped after waiting longer than shed-after (503 / UNAVAILABLE)">{ "Shed" }</th></tr></thead>
                            <tbody>{ for services }</tbody>
                        </table>
                        { rows_note(&services_shown, services_shown.matching, "services", "requests turned away", filtered) }
                    </div>
                }
                if !m.mailboxes.is_empty() {
                    <div>
                        <table class="metrics-table" data-testid="mailbox-table">
                            <caption>{ "Queues and subscriptions" }</caption>
                            <thead><tr><th>{ "Mailbox" }</th><th class="num">{ "Accepted" }</th><th class="num">{ "Depth now" }</th><th class="num">{ "Max depth" }</th><th class="num">{ "Redelivered" }</th><th class="num">{ "Dead letters" }</th><th class="num">{ "Refused" }</th></tr></thead>
                            <tbody>{ for mailboxes }</tbody>
                        </table>
                        { rows_note(&mailboxes_shown, m.mailboxes.len(), "queues and subscriptions", "messages accepted", filtered) }
                    </div>
                }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(230.0), 250.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    #[test]
    fn downsampling_keeps_peaks_and_caps_points() {
        let mut v = vec![1.0; 1_000];
        v[500] = 9.0;
        let d = downsample(&v);
        assert!(d.len() <= MAX_POINTS);
        assert!(d.contains(&9.0));
    }

    #[test]
    fn small_tables_show_every_row_in_declared_order() {
        let w = [3, 9, 1];
        let s = pick_rows(3, MAX_ROWS, |i| w[i], |_| true);
        assert_eq!(
            s,
            Shown {
                rows: vec![0, 1, 2],
                matching: 3
            }
        );
    }

    #[test]
    fn big_tables_show_the_busiest_rows_first_ties_in_declared_order() {
        let n = 23_000;
        let weight = |i: usize| if i % 1000 == 7 { i as u64 } else { 0 };
        let s = pick_rows(n, 5, weight, |_| true);
        assert_eq!(s.matching, n);
        assert_eq!(s.rows, vec![22_007, 21_007, 20_007, 19_007, 18_007]);
        // All idle: the first declared.
        let s = pick_rows(n, MAX_ROWS, |_| 0, |_| true);
        assert_eq!(s.rows, (0..MAX_ROWS).collect::<Vec<_>>());
        // The filter first, then the cap.
        let s = pick_rows(n, 3, |_| 0, |i| i % 2 == 1);
        assert_eq!(
            s,
            Shown {
                rows: vec![1, 3, 5],
                matching: n / 2
            }
        );
        assert_eq!(pick_rows(4, 0, |_| 0, |_| true).rows, Vec::<usize>::new());
    }

    #[test]
    fn names_match_ignoring_case() {
        assert!(name_matches("Payments-Q", "payments"));
        assert!(name_matches("q-1234", ""));
        assert!(!name_matches("q", "q-1"));
        assert!(name_matches("Q-ünï", "q-ünï"));
        assert!(name_matches("PAYMENTS", "payMents"));
        assert!(!name_matches("orders", "pay"));
    }

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
        use crate::sim::SeriesPoint;
        let p = |d: u32| SeriesPoint {
            max_depth: d,
            ..SeriesPoint::default()
        };
        let a = [p(1), p(5)];
        let b = [p(3), p(2), p(7)];
        let v = highest_of([&a[..], &b[..]].into_iter());
        assert_eq!(v, vec![3.0, 5.0, 7.0]);
    }
}
