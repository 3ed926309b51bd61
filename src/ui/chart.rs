//! The metrics charts' pure parts: round axis tops and tick labels with enough decimals,
//! peak-keeping downsampling, the polyline of a series, fault bands (windows merged, labels
//! stacked so they never overlap) and the point under a hover. No DOM and no `Run`, so all of it
//! is tested natively.

use super::fmt;
use crate::sim::SimTime;

/// Points per chart line at most (each point is the peak of the buckets it covers).
pub const MAX_POINTS: usize = 240;

/// What a chart's values measure, for its tick labels and hover values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Per second.
    PerSecond,
    /// Microseconds, shown as µs, ms or s.
    Micros,
    /// A plain count (may be fractional at a tick).
    Count,
    /// Percent, 0–100.
    Percent,
}

/// Group `v` into at most `MAX_POINTS` points, keeping each group's peak.
pub fn downsample(v: &[f64]) -> Vec<f64> {
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

/// `v` with the fewest decimals (at most 3) that show it exactly, integers of five digits and
/// more grouped by thin spaces: `1`, `0.5`, `1.25`, `12 500`. Decided by arithmetic, never by
/// parsing the text back: `f64` parsing would bring its 20 KB power table into the first-load
/// half of the split wasm (data segments all stay there).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let v = if v == 0.0 { 0.0 } else { v };
    let mut scale = 1.0;
    for d in 0..=3usize {
        let scaled = v * scale;
        if (scaled - libm::round(scaled)).abs() <= 1e-6 * scaled.abs().max(1.0) {
            if d == 0 && v.abs() >= 10_000.0 {
                return fmt::count(libm::round(v.abs()) as u64);
            }
            return format!("{v:.d$}");
        }
        scale *= 10.0;
    }
    format!("{v:.3}")
}

/// Microseconds in the unit a scale up to `top` µs reads best in.
fn micros_unit(top: f64) -> (f64, &'static str) {
    if top >= 1_000_000.0 {
        (1_000_000.0, "s")
    } else if top >= 1_000.0 {
        (1_000.0, "ms")
    } else {
        (1.0, "µs")
    }
}

/// A value on an axis whose top is `top`, in `unit`, with as many decimals as it needs: the
/// middle tick of a scale up to 1 is `0.5`, not `0`.
pub fn tick(v: f64, top: f64, unit: Unit) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    match unit {
        Unit::PerSecond => format!("{}/s", number(v)),
        Unit::Micros => {
            let (div, name) = micros_unit(top);
            format!("{} {name}", number(v / div))
        }
        Unit::Count => number(v),
        Unit::Percent => format!("{}%", number(v)),
    }
}

/// The three tick labels of an axis from 0 to `top`: top, middle, zero.
pub fn ticks(top: f64, unit: Unit) -> [String; 3] {
    [
        tick(top, top, unit),
        tick(top / 2.0, top, unit),
        tick(0.0, top, unit),
    ]
}

/// A value read at a hover, in `unit`.
pub fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::PerSecond => fmt::rate(v),
        Unit::Micros => fmt::dur(SimTime(v.max(0.0) as u64)),
        Unit::Count => number((v * 100.0).round() / 100.0),
        Unit::Percent => format!("{v:.1}%"),
    }
}

/// Buckets a rate is averaged over: about one second of them (1 to 10), so that a few
/// requests per bucket (30/s in 110 ms buckets) read as a rate rather than as noise.
pub fn rate_window(bucket: SimTime) -> usize {
    (1_000_000u64.div_ceil(bucket.0.max(1)) as usize).clamp(1, 10)
}

/// Per-second rates of `counts` over the first `upto` buckets of `bucket_s` seconds, each the
/// mean of its bucket and the `window - 1` before it (fewer at the start). One pass.
pub fn trailing_rate(counts: &[u32], upto: usize, bucket_s: f64, window: usize) -> Vec<f64> {
    let window = window.max(1);
    let at = |i: usize| u64::from(counts.get(i).copied().unwrap_or(0));
    let mut sum = 0u64;
    (0..upto)
        .map(|i| {
            sum += at(i);
            if i >= window {
                sum -= at(i - window);
            }
            let n = (i + 1).min(window);
            sum as f64 / (n as f64 * bucket_s)
        })
        .collect()
}

/// The plot area of a chart, in SVG units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Plot {
    /// The x of point `i` of `n` evenly spaced from the left edge to the right.
    pub fn x_of(&self, i: usize, n: usize) -> f64 {
        self.x + self.w * i as f64 / (n.max(2) - 1) as f64
    }
    /// The y of `v` on a scale from 0 to `top`, clamped to the plot.
    pub fn y_of(&self, v: f64, top: f64) -> f64 {
        self.y + self.h - self.h * (v / top).clamp(0.0, 1.0)
    }
}

/// The `points` attribute of a polyline of `values` scaled to `top`.
pub fn polyline(values: &[f64], top: f64, plot: Plot) -> String {
    use std::fmt::Write;
    let mut pts = String::with_capacity(values.len() * 12);
    for (i, v) in values.iter().enumerate() {
        let _ = write!(
            pts,
            "{:.1},{:.1} ",
            plot.x_of(i, values.len()),
            plot.y_of(*v, top)
        );
    }
    pts
}

/// The point of `n` under a hover at `frac` of the plot's width (0 = left edge, 1 = right).
pub fn hover_index(frac: f64, n: usize) -> Option<usize> {
    if n == 0 || frac.is_nan() {
        return None;
    }
    let last = (n - 1) as f64;
    Some((frac.clamp(0.0, 1.0) * last).round() as usize)
}

/// A fault's window as the trace records it: start, end (`None` while on) and its text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultWindow<'a> {
    pub start: SimTime,
    pub end: Option<SimTime>,
    pub text: &'a str,
}

/// A fault band drawn over a chart: from `x`, `w` wide, the label at `label_x` on label row
/// `row` (`None`: no room for a label; the title still names it on hover).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub x: f64,
    pub w: f64,
    pub label: String,
    /// Every fault in the band, one per line, with its window.
    pub title: String,
    pub label_x: f64,
    pub row: Option<u8>,
}

/// Label rows a chart stacks at most.
pub const BAND_ROWS: u8 = 3;
/// Width of one label character in SVG units (9 px sans-serif, generous).
const CHAR_W: f64 = 5.4;

/// The first word of a fault's text: `crash`, `partition`, `latency`, `flush`…
fn kind_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("fault")
}

/// The bands of `faults` over a chart running from 0 to `end` across `plot`: faults with the
/// same window are one band (`latency ×2`, or `2 faults` when of different kinds), a fault
/// still on runs to `end`, an instant one is a thin mark; labels go on the first of
/// `BAND_ROWS` rows where they overlap no earlier label, else none.
pub fn fault_bands<'a>(
    faults: impl IntoIterator<Item = FaultWindow<'a>>,
    end: SimTime,
    plot: Plot,
) -> Vec<Band> {
    if end.0 == 0 {
        return Vec::new();
    }
    // (start, end, kinds, texts)
    let mut merged: Vec<(SimTime, SimTime, Vec<&str>, Vec<&str>)> = Vec::new();
    for f in faults {
        if f.start > end {
            continue;
        }
        let stop = f.end.unwrap_or(end).min(end).max(f.start);
        match merged.iter_mut().find(|m| m.0 == f.start && m.1 == stop) {
            Some(m) => {
                m.2.push(kind_word(f.text));
                m.3.push(f.text);
            }
            None => merged.push((f.start, stop, vec![kind_word(f.text)], vec![f.text])),
        }
    }
    merged.sort_by_key(|m| (m.0, m.1));
    let scale = plot.w / end.0 as f64;
    let mut row_end = [f64::NEG_INFINITY; BAND_ROWS as usize];
    merged
        .into_iter()
        .map(|(start, stop, kinds, texts)| {
            let x = plot.x + scale * start.0 as f64;
            let w = (scale * (stop.0 - start.0) as f64).max(1.5);
            let label = match kinds.len() {
                1 => kinds[0].to_string(),
                n if kinds.iter().all(|k| *k == kinds[0]) => format!("{} ×{n}", kinds[0]),
                n => format!("{n} faults"),
            };
            let lw = CHAR_W * label.chars().count() as f64;
            let label_x = (x + 2.0).min(plot.x + plot.w - lw).max(plot.x);
            let row = (0..BAND_ROWS).find(|&r| row_end[r as usize] <= label_x);
            if let Some(r) = row {
                row_end[r as usize] = label_x + lw + 4.0;
            }
            let title = texts
                .iter()
                .map(|t| format!("{t} ({} – {})", fmt::clock(start), fmt::clock(stop)))
                .collect::<Vec<_>>()
                .join("\n");
            Band {
                x,
                w,
                label,
                title,
                label_x,
                row,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Plot = Plot {
        x: 40.0,
        y: 8.0,
        w: 300.0,
        h: 100.0,
    };

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(1.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(230.0), 250.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    /// The middle tick keeps its decimals: a scale up to 1 reads "1, 0.5, 0", not "1, 0, 0".
    #[test]
    fn ticks_have_enough_decimals() {
        assert_eq!(ticks(1.0, Unit::Count), ["1", "0.5", "0"]);
        assert_eq!(ticks(2.5, Unit::Count), ["2.5", "1.25", "0"]);
        assert_eq!(ticks(0.5, Unit::PerSecond), ["0.5/s", "0.25/s", "0"]);
        assert_eq!(ticks(25.0, Unit::PerSecond), ["25/s", "12.5/s", "0"]);
        assert_eq!(ticks(2_500.0, Unit::Micros), ["2.5 ms", "1.25 ms", "0"]);
        assert_eq!(ticks(250.0, Unit::Micros), ["250 µs", "125 µs", "0"]);
        assert_eq!(ticks(1_000_000.0, Unit::Micros), ["1 s", "0.5 s", "0"]);
        assert_eq!(ticks(100.0, Unit::Percent), ["100%", "50%", "0"]);
        assert_eq!(
            ticks(25_000.0, Unit::Count),
            ["25\u{202F}000", "12\u{202F}500", "0"]
        );
        // Every round top's middle tick is exact.
        for top in [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 25.0, 50.0] {
            let mid: f64 = ticks(top, Unit::Count)[1].parse().expect("a number");
            assert_eq!(mid, top / 2.0, "top {top}");
        }
    }

    #[test]
    fn hover_values_read_in_their_unit() {
        assert_eq!(value(12.34, Unit::PerSecond), "12.3/s");
        assert_eq!(value(1_500.0, Unit::Micros), "1.5 ms");
        assert_eq!(value(3.0, Unit::Count), "3");
        assert_eq!(value(2.5, Unit::Count), "2.5");
        assert_eq!(value(42.34, Unit::Percent), "42.3%");
    }

    #[test]
    fn rates_average_the_last_second() {
        assert_eq!(rate_window(SimTime::from_millis(110)), 10);
        assert_eq!(rate_window(SimTime::from_millis(300)), 4);
        assert_eq!(rate_window(SimTime::from_secs(5)), 1);
        assert_eq!(rate_window(SimTime::from_millis(10)), 10);
        // Buckets of 0.5 s, a window of 2: the start averages what there is.
        let r = trailing_rate(&[1, 3, 5], 4, 0.5, 2);
        assert_eq!(r, vec![2.0, 4.0, 8.0, 5.0]);
        assert_eq!(trailing_rate(&[4, 4], 2, 1.0, 1), vec![4.0, 4.0]);
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
    fn polylines_span_the_plot() {
        let p = polyline(&[0.0, 5.0, 10.0], 10.0, PLOT);
        assert_eq!(p, "40.0,108.0 190.0,58.0 340.0,8.0 ");
        // Values over the top are clamped to it.
        assert_eq!(polyline(&[20.0], 10.0, PLOT), "40.0,8.0 ");
    }

    #[test]
    fn hovers_snap_to_the_nearest_point() {
        assert_eq!(hover_index(0.0, 5), Some(0));
        assert_eq!(hover_index(0.49, 5), Some(2));
        assert_eq!(hover_index(1.7, 5), Some(4));
        assert_eq!(hover_index(-1.0, 5), Some(0));
        assert_eq!(hover_index(0.5, 0), None);
        assert_eq!(hover_index(f64::NAN, 3), None);
    }

    fn w(start: u64, end: Option<u64>, text: &str) -> FaultWindow<'_> {
        FaultWindow {
            start: SimTime::from_secs(start),
            end: end.map(SimTime::from_secs),
            text,
        }
    }

    #[test]
    fn fault_bands_scale_merge_and_stack_labels() {
        let faults = [
            w(10, Some(30), "latency +2000ms a <-> b"),
            w(10, Some(30), "latency +2000ms c <-> d"),
            w(11, Some(12), "crash e"),
            w(40, None, "partition f <-> g"),
            w(50, Some(50), "flush products"),
            w(70, Some(80), "crash late"),
        ];
        let bands = fault_bands(faults, SimTime::from_secs(60), PLOT);
        assert_eq!(bands.len(), 4, "{bands:?}");
        // The two identical windows are one band, 10 s to 30 s of 60 s.
        assert_eq!(bands[0].label, "latency ×2");
        assert_eq!(bands[0].x, 90.0);
        assert!((bands[0].w - 100.0).abs() < 1e-9);
        assert!(bands[0].title.contains("a <-> b") && bands[0].title.contains("c <-> d"));
        assert_eq!(bands[0].row, Some(0));
        // A label starting under the first goes on the next row.
        assert_eq!(bands[1].label, "crash");
        assert_eq!(bands[1].row, Some(1));
        // Still on: runs to the chart's end.
        assert_eq!(bands[2].label, "partition");
        assert!((bands[2].x + bands[2].w - (PLOT.x + PLOT.w)).abs() < 1e-9);
        assert_eq!(bands[2].row, Some(0));
        // An instant fault is a thin mark, its label kept inside the plot.
        assert_eq!(bands[3].w, 1.5);
        assert!(bands[3].label_x + 5.4 * 5.0 <= PLOT.x + PLOT.w);
        // Nothing to draw at time zero.
        assert!(fault_bands(faults, SimTime::ZERO, PLOT).is_empty());
        // Different kinds in one window.
        let two = fault_bands(
            [w(1, Some(2), "crash a"), w(1, Some(2), "partition b <-> c")],
            SimTime::from_secs(10),
            PLOT,
        );
        assert_eq!(two[0].label, "2 faults");
    }

    #[test]
    fn labels_that_find_no_row_are_left_off() {
        let texts: Vec<String> = (0..5).map(|i| format!("crash s{i}")).collect();
        let faults: Vec<FaultWindow> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| w(10, Some(11 + i as u64), t))
            .collect();
        let bands = fault_bands(faults, SimTime::from_secs(60), PLOT);
        let rows: Vec<Option<u8>> = bands.iter().map(|b| b.row).collect();
        assert_eq!(rows, vec![Some(0), Some(1), Some(2), None, None]);
    }
}
