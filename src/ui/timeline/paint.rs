//! The timeline's canvas painter: sizes the canvas for the device's pixel ratio and paints a
//! `Scene` in the theme's colours (read from the stylesheet). Decides nothing about what is
//! drawn; that is `scene`'s.

use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d as Ctx;

use super::scene::{Scene, Style, LEFT, RIGHT, STYLES, TOP};
use crate::sim::NodeKind;

/// Colours read from the stylesheet's variables, so the canvas follows the theme.
pub struct Palette {
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
    pub fn read(el: &web_sys::Element) -> Palette {
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

/// The canvas's size in CSS pixels: that of `wrap`, which it fills.
pub fn size(wrap: &web_sys::HtmlElement) -> (f64, f64) {
    (
        f64::from(wrap.client_width()).max(1.0),
        f64::from(wrap.client_height()).max(1.0),
    )
}

fn dash(ctx: &Ctx, on: f64, off: f64) {
    let a = js_sys::Array::new();
    if on > 0.0 {
        a.push(&on.into());
        a.push(&off.into());
    }
    let _ = ctx.set_line_dash(&a);
}

/// Paint `scene` on `canvas` (sized to the scene at the device's pixel ratio); `false` when the
/// canvas gives no 2D context (then nothing is drawn, and nothing can be clicked).
pub fn paint(canvas: &web_sys::HtmlCanvasElement, pal: &Palette, scene: &Scene) -> bool {
    let (w, h, lane_h) = (scene.w, scene.h, scene.lane_h);
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
        return false;
    };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str(&pal.panel);
    ctx.fill_rect(0.0, 0.0, w, h);

    // Lanes in view: alternating bands, centre lines, labels; under the time axis.
    ctx.save();
    ctx.begin_path();
    ctx.rect(0.0, TOP, w, h - TOP);
    ctx.clip();
    for lane in &scene.lanes {
        let y = lane.top;
        if lane.band {
            ctx.set_fill_style_str(&pal.band);
            ctx.fill_rect(0.0, y, w, lane_h);
        }
        ctx.set_stroke_style_str(&pal.border);
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(LEFT, y + lane_h / 2.0);
        ctx.line_to(w - RIGHT, y + lane_h / 2.0);
        ctx.stroke();
        let color = match lane.kind {
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
        let _ = ctx.fill_text(&lane.label, 20.0, y + lane_h / 2.0);
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
    ctx.set_fill_style_str(&pal.muted);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("center");
    for (x, label) in &scene.ticks {
        let x = *x;
        ctx.set_stroke_style_str(&pal.border);
        ctx.begin_path();
        ctx.move_to(x, TOP - 5.0);
        ctx.line_to(x, h);
        ctx.set_global_alpha(0.5);
        ctx.stroke();
        ctx.set_global_alpha(1.0);
        let _ = ctx.fill_text(label, x, TOP / 2.0);
    }

    // Clip the plot area for everything drawn in time.
    ctx.save();
    ctx.begin_path();
    ctx.rect(LEFT, TOP, scene.plot_w, h - TOP);
    ctx.clip();

    // Fault windows shade the lanes they involve.
    for f in &scene.faults {
        ctx.set_fill_style_str(&pal.err);
        ctx.set_global_alpha(0.09);
        for &top in &f.tops {
            ctx.fill_rect(f.x, top, f.width, lane_h);
        }
        ctx.set_global_alpha(1.0);
        ctx.set_text_align("left");
        ctx.set_font("11px system-ui, sans-serif");
        let _ = ctx.fill_text(&f.label, f.x + 4.0, f.label_y);
    }

    // Work spans: translucent bars, one batched path.
    ctx.set_fill_style_str(&pal.muted);
    ctx.set_global_alpha(0.28);
    ctx.begin_path();
    for &[x, y, bw, bh] in &scene.bars {
        ctx.rect(x, y, bw, bh);
    }
    ctx.fill();
    ctx.set_global_alpha(1.0);

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
    let (dense, very_dense) = (scene.dense, scene.very_dense);
    ctx.set_line_width(if dense { 1.0 } else { 1.4 });
    for (si, list) in scene.arrows.iter().enumerate() {
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
    for (x, y, si) in &scene.heads {
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
    if !scene.timeouts.is_empty() {
        dash(&ctx, 3.0, 3.0);
        ctx.set_global_alpha(0.6);
        for &(x1, x2, y) in &scene.timeouts {
            ctx.begin_path();
            ctx.move_to(x1, y - 7.0);
            ctx.line_to(x2, y - 7.0);
            ctx.stroke();
        }
        dash(&ctx, 0.0, 0.0);
        ctx.set_global_alpha(1.0);
        ctx.begin_path();
        for &(_, x2, y) in &scene.timeouts {
            ctx.move_to(x2, y - 6.0);
            ctx.line_to(x2 + 5.0, y);
            ctx.line_to(x2, y + 6.0);
            ctx.line_to(x2 - 5.0, y);
            ctx.close_path();
        }
        ctx.fill();
    }
    ctx.begin_path();
    for &(x, y) in &scene.crosses {
        ctx.move_to(x - 4.0, y - 4.0);
        ctx.line_to(x + 4.0, y + 4.0);
        ctx.move_to(x + 4.0, y - 4.0);
        ctx.line_to(x - 4.0, y + 4.0);
    }
    ctx.stroke();
    ctx.begin_path();
    for &(x, y) in &scene.squares {
        ctx.rect(x - 4.0, y - 4.0, 8.0, 8.0);
    }
    ctx.fill();
    ctx.set_stroke_style_str(&pal.warn);
    ctx.set_fill_style_str(&pal.warn);
    ctx.begin_path();
    for &(x, y) in &scene.rings {
        // A fresh subpath per ring, so no line joins one ring to the next.
        ctx.move_to(x + 5.0, y);
        let _ = ctx.arc(x, y, 5.0, 0.0, std::f64::consts::TAU);
    }
    ctx.stroke();
    ctx.begin_path();
    for &(x, y) in &scene.triangles {
        ctx.move_to(x, y - 6.0);
        ctx.line_to(x + 5.0, y + 3.0);
        ctx.line_to(x - 5.0, y + 3.0);
        ctx.close_path();
    }
    ctx.fill();
    ctx.set_font("bold 10px system-ui, sans-serif");
    ctx.set_text_align("center");
    for &(x, y, word, bad) in &scene.labels {
        ctx.set_fill_style_str(if bad { &pal.err } else { &pal.ok });
        ctx.fill_rect(x - 0.75, y - lane_h / 2.0 + 2.0, 1.5, lane_h - 4.0);
        let _ = ctx.fill_text(word, x, y - lane_h / 2.0 + 8.0);
    }

    // The selected record, on top.
    if let Some(s) = scene.selected {
        let (x1, y1, x2, y2) = (s.x1, s.y1, s.x2, s.y2);
        ctx.set_stroke_style_str(&pal.accent);
        ctx.set_line_width(3.0);
        ctx.begin_path();
        if s.bar {
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
    let xp = scene.playhead;
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
    true
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
