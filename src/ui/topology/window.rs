//! Which part of a big graph goes into the DOM: the scrolling pane and the window of the graph it
//! shows (`Pane`, `Rect`), curves cut to the part in view, which edges to draw (at most
//! `MAX_EDGES`), and finding a node by name. Pure geometry, no DOM.

use super::super::topology_layout::{MAX_NODE_W, NODE_H};

/// Most edges a big graph draws at once. One topic with 5,000 subscriptions has 10,000 edges,
/// thousands of them passing through any view as tall curves on the same pixels; rasterising
/// them took seconds per frame. Edges between two nodes in view come first, then edges with one
/// end in view, then those only passing through.
pub const MAX_EDGES: usize = 300;

/// The scrolling pane of a big graph: where it is scrolled and how large it is, read on scroll
/// and resize (never during a render, which would force a layout).
pub struct Pane {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub measured: bool,
    /// The scroll position the last render's window was made for, in steps of a quarter pane.
    pub step: (i64, i64),
}

impl Pane {
    pub fn step_of(&self) -> (i64, i64) {
        let (sx, sy) = self.quantum();
        (
            (self.left / sx).floor() as i64,
            (self.top / sy).floor() as i64,
        )
    }

    fn quantum(&self) -> (f64, f64) {
        ((self.width / 4.0).max(40.0), (self.height / 4.0).max(40.0))
    }

    /// The part of the graph to put in the DOM: the view wherever it is within the current step
    /// of a quarter pane, and an eighth of a pane more on every side (the render for the next
    /// step comes with the scroll event, before the frame is painted; this covers the rest).
    pub fn window(&self) -> Rect {
        let (sx, sy) = self.quantum();
        let (x, y) = (self.step.0 as f64 * sx, self.step.1 as f64 * sy);
        Rect {
            x0: x - sx / 2.0,
            y0: y - sy / 2.0,
            x1: x + self.width + sx * 1.5,
            y1: y + self.height + sy * 1.5,
        }
    }
}

/// An area of the graph, in its own coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub const ALL: Rect = Rect {
        x0: f64::NEG_INFINITY,
        y0: f64::NEG_INFINITY,
        x1: f64::INFINITY,
        y1: f64::INFINITY,
    };

    pub fn hits(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        x1 >= self.x0 && x0 <= self.x1 && y1 >= self.y0 && y0 <= self.y1
    }

    /// Whether a node centred at (x, y), with room for its badges, reaches into the area.
    pub fn has_node(&self, x: f64, y: f64) -> bool {
        self.hits(
            x - MAX_NODE_W / 2.0 - 20.0,
            y - NODE_H / 2.0 - 12.0,
            x + MAX_NODE_W / 2.0 + 20.0,
            y + NODE_H / 2.0,
        )
    }

    /// Whether a curve lies wholly inside the area.
    pub fn contains_curve(&self, c: &[(f64, f64); 4]) -> bool {
        c.iter()
            .all(|p| p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1)
    }

    /// Whether a curve reaches into the area (a Bézier curve stays inside its control points).
    pub fn has_curve(&self, c: &[(f64, f64); 4]) -> bool {
        let xs = c.iter().map(|p| p.0);
        let ys = c.iter().map(|p| p.1);
        self.hits(
            xs.clone().fold(f64::INFINITY, f64::min),
            ys.clone().fold(f64::INFINITY, f64::min),
            xs.fold(f64::NEG_INFINITY, f64::max),
            ys.fold(f64::NEG_INFINITY, f64::max),
        )
    }
}

type Curve = [(f64, f64); 4];

/// The halves of a cubic Bézier curve (de Casteljau at t = ½); the ends stay exactly the same.
fn split(c: &Curve) -> (Curve, Curve) {
    let mid = |a: (f64, f64), b: (f64, f64)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let (ab, bc, cd) = (mid(c[0], c[1]), mid(c[1], c[2]), mid(c[2], c[3]));
    let (abc, bcd) = (mid(ab, bc), mid(bc, cd));
    let m = mid(abc, bcd);
    ([c[0], ab, abc, m], [m, bcd, cd, c[3]])
}

/// The parts of `c` that reach into `r`, in order: halved until a part lies inside `r`, is
/// smaller than 400 px, or is 18 halvings deep.
fn visible_parts(c: Curve, r: &Rect, depth: u32, out: &mut Vec<Curve>) {
    if !r.has_curve(&c) {
        return;
    }
    let (w, h) = (
        c.iter().map(|p| p.0).fold(f64::MIN, f64::max)
            - c.iter().map(|p| p.0).fold(f64::MAX, f64::min),
        c.iter().map(|p| p.1).fold(f64::MIN, f64::max)
            - c.iter().map(|p| p.1).fold(f64::MAX, f64::min),
    );
    if depth == 0 || r.contains_curve(&c) || w.max(h) < 400.0 {
        out.push(c);
        return;
    }
    let (a, b) = split(&c);
    visible_parts(a, r, depth - 1, out);
    visible_parts(b, r, depth - 1, out);
}

/// SVG path data for the part of curve `c` in `r` (the same curve, cut where it leaves `r`), and
/// whether it still ends where `c` ends (where its arrowhead goes).
pub fn visible_path(c: Curve, r: &Rect) -> (String, bool) {
    let mut parts = Vec::new();
    visible_parts(c, r, 18, &mut parts);
    let mut d = String::new();
    let mut at = None;
    for p in &parts {
        if at != Some(p[0]) {
            d.push_str(&format!("M{:.1} {:.1}", p[0].0, p[0].1));
        }
        d.push_str(&format!(
            "C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
            p[1].0, p[1].1, p[2].0, p[2].1, p[3].0, p[3].1
        ));
        at = Some(p[3]);
    }
    let to_end = parts.last().is_some_and(|p| p[3] == c[3]);
    (d, to_end)
}

/// Which edges to draw, given for each edge `None` when it does not reach into the view, else how
/// many of its ends are in view: at most `MAX_EDGES`, more ends in view first, ties in declared
/// order; returned in declared order, with how many edges reach into the view.
pub fn edges_to_draw(in_view: impl Iterator<Item = Option<usize>>) -> (Vec<usize>, usize) {
    let mut by_ends: [Vec<usize>; 3] = Default::default();
    for (i, ends) in in_view.enumerate() {
        if let Some(ends) = ends {
            by_ends[ends.min(2)].push(i);
        }
    }
    let total = by_ends.iter().map(Vec::len).sum();
    let mut out: Vec<usize> = by_ends
        .into_iter()
        .rev()
        .flatten()
        .take(MAX_EDGES)
        .collect();
    out.sort_unstable();
    (out, total)
}

/// The node a search for `text` finds: the one with exactly that name (ignoring ASCII case), else
/// the first whose name contains it.
pub fn find_node<'a>(
    mut names: impl Iterator<Item = &'a str> + Clone,
    text: &str,
) -> Option<usize> {
    let needle = text.trim().to_ascii_lowercase();
    if needle.is_empty() {
        return None;
    }
    names
        .clone()
        .position(|n| n.eq_ignore_ascii_case(&needle))
        .or_else(|| names.position(|n| n.to_ascii_lowercase().contains(&needle)))
}

#[cfg(test)]
mod tests {
    use super::{edges_to_draw, find_node, visible_path, Rect, MAX_EDGES};

    #[test]
    fn a_long_curve_is_cut_to_the_part_in_view() {
        // From a topic at y = 200,000 to a subscription at y = 100, seen around y = 0..1,000.
        let c = [
            (0.0, 200_000.0),
            (60.0, 200_000.0),
            (60.0, 100.0),
            (120.0, 100.0),
        ];
        let view = Rect {
            x0: -100.0,
            y0: -200.0,
            x1: 900.0,
            y1: 1_000.0,
        };
        let (d, to_end) = visible_path(c, &view);
        assert!(to_end, "the end is in view: the arrowhead stays");
        assert!(d.ends_with("120.0 100.0"), "{d}");
        assert!(d.len() < 300, "a few pieces, not the whole curve: {d}");
        let ys: Vec<f64> = d
            .split(['M', 'C', ' '])
            .filter_map(|t| t.parse().ok())
            .skip(1)
            .step_by(2)
            .collect();
        assert!(ys.iter().all(|&y| y < 30_000.0), "{d}");
        // Seen from the topic's end, the arrowhead is off screen.
        let near_topic = Rect {
            x0: -100.0,
            y0: 199_500.0,
            x1: 900.0,
            y1: 200_500.0,
        };
        let (d, to_end) = visible_path(c, &near_topic);
        assert!(!to_end && d.starts_with("M0.0 200000.0"), "{d}");
        // Out of view: nothing.
        let far = Rect {
            x0: 5_000.0,
            y0: 0.0,
            x1: 6_000.0,
            y1: 10.0,
        };
        assert_eq!(visible_path(c, &far), (String::new(), false));
        assert!(view.contains_curve(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]));
    }

    #[test]
    fn a_big_view_draws_its_own_edges_first_and_at_most_max_edges() {
        // 10,000 edges passing through, then 5 with one end in view, then 2 with both.
        let mut v: Vec<Option<usize>> = vec![Some(0); 10_000];
        v.extend([Some(1); 5]);
        v.extend([None, Some(2), Some(2)]);
        let (drawn, total) = edges_to_draw(v.into_iter());
        assert_eq!(total, 10_007);
        assert_eq!(drawn.len(), MAX_EDGES);
        assert!(drawn.windows(2).all(|w| w[0] < w[1]), "declared order");
        for i in [10_000, 10_004, 10_006, 10_007] {
            assert!(drawn.contains(&i), "edge {i} has an end in view");
        }
        assert!(!drawn.contains(&10_005), "out of view");
        assert!(
            drawn.contains(&0) && !drawn.contains(&9_999),
            "passing edges in declared order"
        );
        // Few edges: all of those in view.
        let (drawn, total) = edges_to_draw([Some(0), None, Some(1)].into_iter());
        assert_eq!((drawn, total), (vec![0, 2], 2));
    }

    #[test]
    fn finding_a_node_prefers_the_exact_name() {
        let names = ["s1", "s10", "S100", "payments"];
        let find = |t: &str| find_node(names.iter().copied(), t);
        assert_eq!(find("s10"), Some(1));
        assert_eq!(find(" s100 "), Some(2));
        assert_eq!(find("PAY"), Some(3));
        assert_eq!(find("s"), Some(0));
        assert_eq!(find("nope"), None);
        assert_eq!(find("  "), None);
    }

    #[test]
    fn only_nodes_and_curves_reaching_into_the_window_are_drawn() {
        let r = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 800.0,
            y1: 600.0,
        };
        assert!(r.has_node(400.0, 300.0));
        // Just outside, but its badges would show.
        assert!(r.has_node(-70.0, 300.0));
        assert!(!r.has_node(-200.0, 300.0));
        assert!(!r.has_node(400.0, 700.0));
        assert!(r.has_curve(&[(-100.0, 50.0), (0.0, 50.0), (900.0, 50.0), (1_000.0, 50.0)]));
        assert!(!r.has_curve(&[
            (900.0, 50.0),
            (950.0, 50.0),
            (1_000.0, 60.0),
            (1_100.0, 60.0)
        ]));
    }
}
