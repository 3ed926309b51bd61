//! The timeline as a standalone SVG file: a lane per node, each message an arrow from (sender
//! lane, send time) to (receiver lane, receive time) so slope shows latency, work spans as bars,
//! lost messages dashed and crossed, timeouts, dead letters, redeliveries and faults marked.
//! Styles and fonts are inline so the file opens the same in any viewer.

use std::fmt::Write;

use super::escape::xml;
use super::is_failure;
use crate::sim::{Kind, NodeKind, Outcome, Record, Sim, SimTime};

/// What part of the run to draw, and how big.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvgOptions {
    /// Start of the window.
    pub from: SimTime,
    /// End of the window; `None` = the last record's time.
    pub to: Option<SimTime>,
    /// Total width in pixels.
    pub width: u32,
    /// At most this many records are drawn (the earliest in the window), so files stay openable.
    pub max_records: usize,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions {
            from: SimTime(0),
            to: None,
            width: 1200,
            max_records: 5_000,
        }
    }
}

const LABEL_W: f64 = 180.0;
const AXIS_H: f64 = 34.0;
const LANE_H: f64 = 44.0;
const PAD_R: f64 = 20.0;

const STYLE: &str = "
text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:12px;fill:#1b2330}
.bg{fill:#ffffff}.lane{fill:#f6f7f9}.lane2{fill:#ffffff}.grid{stroke:#e3e7ec;stroke-width:1}
.tick{font-size:11px;fill:#667085}.lbl{font-weight:600}.kind{font-size:10px;fill:#667085}
.m{fill:none;stroke-width:1.4}.rest{stroke:#2563eb;color:#2563eb}.rpc{stroke:#7c3aed;color:#7c3aed}
.queue{stroke:#d97706;color:#d97706}.pubsub{stroke:#db2777;color:#db2777}
.internal{stroke:#64748b;color:#64748b}.fail{stroke:#dc2626;color:#dc2626}
.lost{stroke-dasharray:4 3}.span{fill:#94a3b8;fill-opacity:.45}
.mark{fill:none;stroke-width:1.6}.note{font-size:11px;fill:#667085}";

/// Nice tick step (1, 2 or 5 × 10^k microseconds) giving about `target` ticks over `span`.
fn tick_step(span: u64, target: u64) -> u64 {
    let raw = (span / target.max(1)).max(1);
    let mut p = 1u64;
    while p.saturating_mul(10) <= raw {
        p = p.saturating_mul(10);
    }
    for m in [1, 2, 5, 10] {
        if p.saturating_mul(m) >= raw {
            return p.saturating_mul(m);
        }
    }
    p.saturating_mul(10)
}

fn fmt_time(us: u64) -> String {
    if us == 0 {
        "0".to_string()
    } else if us >= 1_000_000 && us.is_multiple_of(100_000) {
        format!("{}s", us as f64 / 1e6)
    } else if us >= 1_000 {
        format!("{}ms", us as f64 / 1e3)
    } else {
        format!("{us}µs")
    }
}

/// Timeline of `sim`'s trace within `opts`' window, as a complete SVG document.
pub fn timeline_svg(sim: &Sim, opts: SvgOptions) -> String {
    let records = sim.trace().records();
    let end = opts
        .to
        .unwrap_or_else(|| records.iter().map(|r| r.recv).max().unwrap_or(SimTime(0)));
    let from = opts.from.min(end);
    let span = (end.0 - from.0).max(1);
    let in_window = |r: &&Record| r.recv >= from && r.send <= end;
    let shown: Vec<&Record> = records
        .iter()
        .filter(in_window)
        .take(opts.max_records)
        .collect();
    let total_in_window = records.iter().filter(in_window).count();

    let nodes = sim.nodes();
    // Lanes read top-down like the flow: clients, services, queues, topics, subscriptions.
    let rank = |k: NodeKind| match k {
        NodeKind::Client => 0,
        NodeKind::Service => 1,
        NodeKind::Queue => 2,
        NodeKind::Topic => 3,
        NodeKind::Subscription => 4,
    };
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| rank(nodes[i].kind));
    let mut lane_of = vec![0u32; nodes.len()];
    for (lane, &i) in order.iter().enumerate() {
        lane_of[i] = lane as u32;
    }
    let lane = |n: crate::sim::NodeId| lane_of.get(n.0 as usize).copied().unwrap_or(0);
    let width = f64::from(opts.width.max(400));
    let plot_w = width - LABEL_W - PAD_R;
    let height = AXIS_H + LANE_H * nodes.len().max(1) as f64 + 24.0;
    let x = |t: SimTime| LABEL_W + (t.0.saturating_sub(from.0)) as f64 / span as f64 * plot_w;
    let y = |n: u32| AXIS_H + LANE_H * (f64::from(n) + 0.5);

    let mut s = String::with_capacity(4096 + shown.len() * 160);
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <title>Switchboard timeline</title>\n<style>{STYLE}\n</style>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" \
         fill=\"context-stroke\"/></marker></defs>\n\
         <rect class=\"bg\" width=\"{width}\" height=\"{height}\"/>\n"
    );
    // Lanes with their names.
    for (i, node) in order.iter().map(|&n| &nodes[n]).enumerate() {
        let top = AXIS_H + LANE_H * i as f64;
        let class = if i % 2 == 0 { "lane" } else { "lane2" };
        let _ = writeln!(
            s,
            "<rect class=\"{class}\" x=\"0\" y=\"{top}\" width=\"{width}\" height=\"{LANE_H}\"/>"
        );
        let _ = write!(s, "<text class=\"lbl\" x=\"12\" y=\"{}\">", top + 20.0);
        xml(&mut s, &node.name);
        // Spelled out rather than `format!("{:?}", ..).to_lowercase()`, which needs std's
        // Unicode lowercase table (about 12 KB of wasm).
        let kind = match node.kind {
            NodeKind::Service => "service",
            NodeKind::Queue => "queue",
            NodeKind::Topic => "topic",
            NodeKind::Subscription => "subscription",
            NodeKind::Client => "client",
        };
        let _ = writeln!(
            s,
            "</text><text class=\"kind\" x=\"12\" y=\"{}\">{kind}</text>",
            top + 34.0
        );
    }
    // Time axis and grid.
    let step = tick_step(span, 8);
    let mut t = from.0.div_ceil(step) * step;
    while t <= end.0 {
        let tx = x(SimTime(t));
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{}\"/>\
             <text class=\"tick\" x=\"{tx:.1}\" y=\"20\" text-anchor=\"middle\">{}</text>",
            AXIS_H - 6.0,
            height - 24.0,
            fmt_time(t)
        );
        t = match t.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }

    for r in &shown {
        let mut class = sim.mechanism(r).as_str();
        if is_failure(r) {
            class = "fail";
        }
        let (x1, x2) = (x(r.send), x(r.recv));
        let (y1, y2) = (y(lane(r.from)), y(lane(r.to)));
        match r.kind {
            Kind::Work => {
                let _ = write!(
                    s,
                    "<rect class=\"span\" x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"8\" rx=\"2\">",
                    y1 - 4.0,
                    (x2 - x1).max(1.0)
                );
            }
            k if k.is_hop() => {
                let lost = matches!(r.outcome, Outcome::Dropped(_));
                let dash = if lost { " lost" } else { "" };
                let marker = if lost {
                    ""
                } else {
                    " marker-end=\"url(#arrow)\""
                };
                let _ = write!(
                    s,
                    "<line class=\"m {class}{dash}\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"{marker}>"
                );
                if lost {
                    s.push_str("</line>");
                    let _ = write!(
                        s,
                        "<path class=\"mark fail\" d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\">",
                        x2 - 4.0,
                        y2 - 4.0
                    );
                    push_title(&mut s, sim, r);
                    s.push_str("</path>\n");
                    continue;
                }
            }
            _ => {
                // Timeouts and dead letters as rings on the lane; other markers as diamonds.
                let shape = match r.kind {
                    Kind::Timeout | Kind::DeadLetter | Kind::Discard => format!(
                        "<circle class=\"mark {class}\" cx=\"{x2:.1}\" cy=\"{y1:.1}\" r=\"5\">"
                    ),
                    _ => format!(
                        "<path class=\"mark {class}\" d=\"M{x2:.1} {:.1}l5 5l-5 5l-5 -5z\">",
                        y1 - 5.0
                    ),
                };
                s.push_str(&shape);
                push_title(&mut s, sim, r);
                s.push_str(if shape.starts_with("<circle") {
                    "</circle>\n"
                } else {
                    "</path>\n"
                });
                continue;
            }
        }
        push_title(&mut s, sim, r);
        s.push_str(if r.kind == Kind::Work {
            "</rect>\n"
        } else {
            "</line>\n"
        });
    }
    if shown.len() < total_in_window {
        let _ = writeln!(
            s,
            "<text class=\"note\" x=\"{LABEL_W}\" y=\"{}\">Showing the first {} of {} records in this window.</text>",
            height - 8.0,
            shown.len(),
            total_in_window
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A `<title>` tooltip: the record's one-line text form.
fn push_title(s: &mut String, sim: &Sim, r: &Record) {
    s.push_str("<title>");
    xml(s, &sim.format_record(r));
    s.push_str("</title>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1_000_000, 8), 200_000);
        assert_eq!(tick_step(60_000_000, 8), 10_000_000);
        assert_eq!(tick_step(1, 8), 1);
        assert_eq!(tick_step(u64::MAX, 8), 5_000_000_000_000_000_000);
    }

    #[test]
    fn times_read_naturally() {
        assert_eq!(fmt_time(0), "0");
        assert_eq!(fmt_time(250), "250µs");
        assert_eq!(fmt_time(2_500), "2.5ms");
        assert_eq!(fmt_time(3_000_000), "3s");
    }
}
