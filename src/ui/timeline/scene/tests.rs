//! The scene builder's tests: geometry helpers, and what is drawn for windows of real runs
//! (lanes, ticks, arrows and bars where their records say, selection, the dense-window skip rule).

use super::*;
use crate::scenario::{compile, gallery::GALLERY};
use crate::sim::SimTime;

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

fn run_of(id: &str, secs: u64) -> Run {
    let e = GALLERY.iter().find(|e| e.id == id).expect("gallery entry");
    let c = compile(e.text).expect("gallery compiles");
    let mut run = Run::new(1, &c, c.seed);
    run.advance(SimTime::from_secs(secs), u64::MAX, &mut || false);
    run
}

fn view(t0: f64, span: f64) -> View {
    View {
        t0,
        span,
        follow: false,
        y0: 0.0,
    }
}

/// The records an arrow is drawn for in `t0..=t1`, by the rules stated in `build`, before
/// any is skipped for density (every lane in view).
fn arrow_records(run: &Run, t0: f64, t1: f64) -> Vec<Record> {
    run.sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.recv.0 as f64 >= t0 && r.send.0 as f64 <= t1)
        .filter(|r| {
            !matches!(
                r.kind,
                Kind::Work
                    | Kind::FaultStart
                    | Kind::FaultEnd
                    | Kind::Timeout
                    | Kind::Breaker
                    | Kind::Eject
                    | Kind::Return
                    | Kind::Cache
                    | Kind::Discard
            ) && !matches!(
                r.outcome,
                Outcome::Rejected(RejectReason::BreakerOpen | RejectReason::DeadlinePassed)
            )
        })
        .copied()
        .collect()
}

#[test]
fn a_small_window_draws_every_lane_arrow_and_bar_where_its_records_say() {
    let run = run_of("rest-chain", 1);
    let (w, h) = (800.0, 500.0);
    let v = view(0.0, 1_000_000.0);
    let s = build(&run, v, None, w, h);
    let lane_h = Fit::of(run.lanes.len(), h).lane_h;
    assert_eq!(s.lane_h, lane_h);

    // Every lane fits: one per node, top to bottom, labelled with its node's name.
    assert_eq!(s.lanes.len(), run.lanes.len());
    for (i, (lane, n)) in s.lanes.iter().zip(&run.lanes).enumerate() {
        assert_eq!(lane.top, TOP + lane_h * i as f64);
        assert_eq!(lane.band, i % 2 == 1);
        assert_eq!(lane.label, run.node_name(*n));
    }

    // The axis: a tick every 0.2 s across the second.
    let labels: Vec<&str> = s.ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["0.0s", "0.2s", "0.4s", "0.6s", "0.8s", "1.0s"]);
    assert_eq!(s.ticks[0].0, LEFT);

    // Not dense: one arrow per message record in the window, plus one per message in flight,
    // each from its sender's lane to its receiver's, with heads drawn.
    let records = arrow_records(&run, 0.0, 1_000_000.0);
    assert!(!records.is_empty() && records.len() < DENSE);
    assert!(!s.dense && !s.very_dense);
    let arrows: usize = s.arrows.iter().map(Vec::len).sum();
    assert_eq!(s.drawn, arrows);
    assert_eq!(s.drawn, records.len() + s.heads.len());
    assert_eq!(s.heads.len(), run.sim.in_flight().len());
    let centre = |n: NodeId| TOP + lane_h * (run.lane_of[n.0 as usize] as f64 + 0.5);
    let x_of = |t: SimTime| LEFT + t.0 as f64 / 1e6 * (w - LEFT - RIGHT);
    for r in &records {
        let hit = s
            .hits
            .iter()
            .find(|h| h.id == r.id && !h.bar)
            .expect("every arrow can be clicked");
        assert_eq!((hit.y1, hit.y2), (centre(r.from), centre(r.to)));
        assert_eq!((hit.x1, hit.x2), (x_of(r.send), x_of(r.recv)));
        let style = STYLES
            .iter()
            .position(|&st| st == style_of(run.sim.mechanism(r), r))
            .expect("a style");
        assert!(s.arrows[style].contains(&[hit.x1, hit.y1, hit.x2, hit.y2]));
    }

    // A bar per work span, on the lane of the service doing the work.
    let work: Vec<&Record> = run
        .sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Work)
        .collect();
    assert!(!work.is_empty());
    assert_eq!(s.bars.len(), work.len());
    for (bar, r) in s.bars.iter().zip(&work) {
        let bh = (lane_h * 0.36).min(12.0);
        assert_eq!(bar[1], centre(r.from) - bh / 2.0);
    }

    // The playhead at the run's clock; nothing selected.
    assert_eq!(s.playhead, x_of(run.sim.now()));
    assert_eq!(s.selected, None);
}

#[test]
fn the_selection_is_drawn_on_its_record() {
    let run = run_of("rest-chain", 1);
    let r = arrow_records(&run, 0.0, 1e6)[3];
    let s = build(&run, view(0.0, 1e6), Some(r.id), 800.0, 500.0);
    let hit = s.hits.iter().find(|h| h.id == r.id).expect("drawn");
    let sel = s.selected.expect("selected");
    assert!(!sel.bar);
    assert_eq!(
        (sel.x1, sel.y1, sel.x2, sel.y2),
        (hit.x1, hit.y1, hit.x2, hit.y2)
    );
    assert_eq!(
        pick(&s.hits, (hit.x1 + hit.x2) / 2.0, (hit.y1 + hit.y2) / 2.0),
        Some(r.id)
    );
}

#[test]
fn a_window_before_the_run_draws_no_records_and_scrolled_lanes_show_only_those_in_view() {
    let run = run_of("checkout", 2);
    // Lanes scrolled down in a short canvas: only those in view, tops from the plot's top.
    let (h, y0) = (TOP + 3.0 * 16.0, 16.0);
    let fit = Fit::of(run.lanes.len(), h);
    assert!(fit.overflows(), "{} lanes in 3 rows", run.lanes.len());
    let s = build(
        &run,
        View {
            y0,
            ..view(0.0, 2e6)
        },
        None,
        800.0,
        h,
    );
    let (_, first, last, _) = lane_window(run.lanes.len(), fit.lane_h, fit.plot, y0);
    assert_eq!(s.lanes.len(), last - first);
    assert_eq!(s.lanes[0].top, TOP + fit.lane_h * first as f64 - y0);
    assert_eq!(s.lanes[0].label, run.node_name(run.lanes[first]));
    // A window far past the clock: no record, no flight reaches it.
    let s = build(&run, view(60e6, 1e6), None, 800.0, 500.0);
    assert_eq!((s.drawn, s.bars.len(), s.hits.len()), (0, 0, 0));
}

#[test]
fn a_dense_window_draws_arrows_on_the_same_pixels_once() {
    // The first 5 s of a retry storm: thousands of records, mostly between the same lanes.
    let run = run_of("retry-storm", 20);
    let (w, h) = (800.0, 500.0);
    let t1 = 5e6;
    let s = build(&run, view(0.0, t1), None, w, h);
    assert!(
        s.dense && !s.very_dense,
        "a dense but not very dense window"
    );
    // Without heads, in flight or not.
    let records = arrow_records(&run, 0.0, t1);
    // Skipped: exactly the arrows whose (style, pixels) an earlier one already had.
    let lane_h = Fit::of(run.lanes.len(), h).lane_h;
    let x_of = |t: SimTime| LEFT + t.0 as f64 / t1 * (w - LEFT - RIGHT);
    let y_of = |n: NodeId| TOP + lane_h * (run.lane_of[n.0 as usize] as f64 + 0.5);
    let mut keys = HashSet::new();
    let kept = records
        .iter()
        .filter(|r| {
            let si = STYLES
                .iter()
                .position(|&st| st == style_of(run.sim.mechanism(r), r))
                .expect("a style");
            let seg = [x_of(r.send), y_of(r.from), x_of(r.recv), y_of(r.to)];
            keys.insert(pixel_key(si, seg, TOP, h))
        })
        .count();
    assert!(
        kept < records.len(),
        "some skipped: {kept} of {}",
        records.len()
    );
    assert_eq!(s.drawn - s.heads.len(), kept);
    let arrow_hits = s.hits.iter().filter(|h| !h.bar).count();
    assert!(arrow_hits >= kept, "every arrow drawn can be clicked");
}

#[test]
fn the_probe_point_picks_its_arrow_a_pixel_or_two_either_way() {
    let arrow = |id, x1, y1, x2, y2| Hit {
        id: RecordId(id),
        x1,
        y1,
        x2,
        y2,
        bar: false,
    };
    // Two arrows crossing at their midpoints: the probe moves along the first, away from the
    // crossing, to a point that picks it from every neighbouring pixel.
    let hits = [
        arrow(1, 200.0, 100.0, 300.0, 200.0),
        arrow(2, 200.0, 200.0, 300.0, 100.0),
    ];
    let (x, y, id) = probe(&hits).expect("a clickable point");
    assert_eq!(id, RecordId(1));
    assert_ne!((x, y), (250.0, 150.0), "the crossing is ambiguous");
    for dx in -2..=2 {
        for dy in -2..=2 {
            assert_eq!(pick(&hits, x + f64::from(dx), y + f64::from(dy)), Some(id));
        }
    }
    // Arrows too short, left of the lane names, or bars: no probe.
    assert_eq!(probe(&[arrow(3, 200.0, 100.0, 205.0, 104.0)]), None);
    assert_eq!(probe(&[arrow(4, 10.0, 100.0, 100.0, 200.0)]), None);
    let mut bar = arrow(5, 200.0, 100.0, 300.0, 200.0);
    bar.bar = true;
    assert_eq!(probe(&[bar]), None);
}
