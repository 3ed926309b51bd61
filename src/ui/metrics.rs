//! Metrics view: tables per endpoint/method, consumer, client and queue/subscription (count,
//! throughput, errors, p50/p95/p99), and small SVG time-series charts — throughput, client-visible
//! latency percentiles and queue depth — that grow while the run plays.

use yew::prelude::*;

use super::fmt;
use super::run::{Run, RunHandle};
use super::state::Clock;
use super::views::empty_state;
use crate::sim::{Histogram, NodeKind, SimTime};

/// Points per chart line at most (each point is the peak of the buckets it covers).
const MAX_POINTS: usize = 240;
const CHART_W: f64 = 360.0;
const CHART_H: f64 = 130.0;
const PAD_L: f64 = 44.0;
const PAD_B: f64 = 18.0;
const PAD_T: f64 = 8.0;

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    pub run: RunHandle,
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

fn charts(run: &mut Run) -> Html {
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
    let classes = ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"];
    let depth_lines: Vec<Line> = run
        .sim
        .metrics()
        .mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let upto =
                ((now.0 / m.series.interval.0.max(1)) as usize + 1).min(m.series.points.len());
            Line {
                label: run
                    .sim
                    .mailbox_node(i)
                    .map_or(String::new(), |n| run.node_name(n).to_string()),
                class: classes[i % classes.len()],
                values: m.series.points[..upto]
                    .iter()
                    .map(|p| f64::from(p.max_depth))
                    .collect(),
            }
        })
        .collect();
    html! {
        <div class="charts">
            { chart("Throughput", "chart-throughput", throughput, now, per_s) }
            { chart("Client-visible latency", "chart-latency", latency, now, ms) }
            if depth_lines.is_empty() {
                <figure class="chart empty"><figcaption><span class="chart-title">{ "Queue depth" }</span></figcaption>
                    <p class="muted small">{ "This scenario has no queues or subscriptions." }</p></figure>
            } else {
                { chart("Queue depth (peak per interval)", "chart-depth", depth_lines, now, depth) }
            }
        </div>
    }
}

#[function_component]
pub fn MetricsView(props: &MetricsProps) -> Html {
    let mut cell = props.run.0.borrow_mut();
    let Some(run) = cell.as_mut() else {
        return html! {};
    };
    if run.sim.events_processed() == 0 {
        return empty_state(
            "No metrics yet",
            "Press Play (Space): throughput, error rate and p50/p95/p99 latency per endpoint, and queue depth over time, fill in as the run plays.",
        );
    }
    let charts = charts(run);
    let run: &Run = run;
    let now = run.sim.now();
    let m = run.sim.metrics();
    let tput = |n: u64| fmt::rate(crate::sim::metrics::throughput(n, now));

    let endpoints = m.endpoints.iter().enumerate().map(|(i, e)| html! {
        <tr>
            <th scope="row">{ run.sim.endpoint_label(i) }</th>
            <td class="num">{ fmt::count(e.requests) }</td>
            <td class="num">{ tput(e.requests) }</td>
            { error_cell(e.errors, e.requests) }
            <td class={if e.rejected > 0 { "num err" } else { "num" }}>{ fmt::count(e.rejected) }</td>
            { pct_cells(&e.latency) }
        </tr>
    });
    let consumers = m.consumers.iter().enumerate().map(|(i, c)| {
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
    let clients = m.clients.iter().enumerate().map(|(i, c)| html! {
        <tr>
            <th scope="row">{ client_names.get(i).copied().unwrap_or("client") }</th>
            <td class="num">{ fmt::count(c.sent) }</td>
            <td class="num">{ tput(c.completed) }</td>
            { error_cell(c.errors, c.completed) }
            <td class="num">{ format!("{} / {}", fmt::count(c.timeouts), fmt::count(c.retries)) }</td>
            { pct_cells(&c.latency) }
        </tr>
    });
    let live = run.sim.mailboxes();
    let mailboxes = m.mailboxes.iter().enumerate().map(|(i, b)| {
        let node = run.sim.mailbox_node(i);
        let now_depth = node
            .and_then(|n| live.iter().find(|l| l.node == n))
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
            { charts }
            <div class="tables">
                if !m.endpoints.is_empty() {
                    <table class="metrics-table" data-testid="endpoint-table">
                        <caption>{ "Endpoints and methods (server side)" }</caption>
                        <thead><tr><th>{ "Endpoint" }</th><th class="num">{ "Requests" }</th><th class="num">{ "Throughput" }</th><th class="num">{ "Errors" }</th><th class="num">{ "Rejected" }</th>{ pct_head.clone() }</tr></thead>
                        <tbody>{ for endpoints }</tbody>
                    </table>
                }
                if !m.consumers.is_empty() {
                    <table class="metrics-table">
                        <caption>{ "Consumers" }</caption>
                        <thead><tr><th>{ "Consumer" }</th><th class="num">{ "Delivered" }</th><th class="num">{ "Throughput" }</th><th class="num">{ "Nacked" }</th><th class="num">{ "Acked" }</th>{ pct_head.clone() }</tr></thead>
                        <tbody>{ for consumers }</tbody>
                    </table>
                }
                if !m.clients.is_empty() {
                    <table class="metrics-table">
                        <caption>{ "Clients (end to end, with retries)" }</caption>
                        <thead><tr><th>{ "Client" }</th><th class="num">{ "Sent" }</th><th class="num">{ "Completed/s" }</th><th class="num">{ "Errors" }</th><th class="num">{ "Timeouts / retries" }</th>{ pct_head }</tr></thead>
                        <tbody>{ for clients }</tbody>
                    </table>
                }
                if !m.mailboxes.is_empty() {
                    <table class="metrics-table">
                        <caption>{ "Queues and subscriptions" }</caption>
                        <thead><tr><th>{ "Mailbox" }</th><th class="num">{ "Accepted" }</th><th class="num">{ "Depth now" }</th><th class="num">{ "Max depth" }</th><th class="num">{ "Redelivered" }</th><th class="num">{ "Dead letters" }</th><th class="num">{ "Refused" }</th></tr></thead>
                        <tbody>{ for mailboxes }</tbody>
                    </table>
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
}
