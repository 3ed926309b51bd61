//! Message log: every message and event of the run as a windowed list (only the rows in view,
//! at most `MAX_ROWS`, are in the DOM however long the trace), with filters by service,
//! mechanism, outcome and text; it follows the tail while playing unless the user scrolled up.
//! Selecting a row (click, or ↑/↓ when the list has focus) shows its detail and selects it on the
//! timeline too.

use std::rc::Rc;

use yew::prelude::*;

use super::context::use_shared;
use super::detail::{kind_word, name_text, outcome_class, Detail};
use super::dom::{self, Listener};
use super::fmt;
use super::state::{Action, Clock, LogFilter, OutcomeFilter, State};
use super::views::empty_state;
use crate::sim::{Mechanism, NodeId, RecordId};

/// Height of one row, in pixels (matches `.log-row` in style.css).
pub const ROW_H: f64 = 26.0;
/// Longest node name in the route column before it is cut in the middle (the full route is
/// the cell's tooltip).
const ROUTE_NAME: usize = 14;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 6;
/// Hard cap on rows in the DOM.
pub const MAX_ROWS: usize = 200;
/// While playing and following the tail, the list refreshes at most this often (ms of wall
/// time): rows flying past at 60 fps cannot be read anyway, and each refresh lays the list out.
const PLAY_REFRESH_MS: f64 = 80.0;
/// Browsers cap element heights (~33M px in Chromium); past this the scrollbar maps
/// proportionally onto the rows instead of one pixel per pixel.
const MAX_PX: f64 = 8_000_000.0;

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub clock: Clock,
    pub filter: LogFilter,
    pub selected: Option<RecordId>,
    pub playing: bool,
}

/// The last rendered list, reused between throttled refreshes.
struct Shown {
    at: f64,
    html: Html,
    filter: LogFilter,
    selected: Option<RecordId>,
    run_id: u32,
}

/// Where the list is scrolled; lives outside Yew state so the scroll handler reads it fresh.
struct Scroll {
    top: f64,
    height: f64,
    follow: bool,
    /// `height` is current (re-measured after a resize or when the detail panel comes or goes).
    measured: bool,
    /// Rows in the list at the last render.
    total: usize,
    /// Virtual height of the list at the last render.
    virt: f64,
    /// The last render reused the previous list: nothing to scroll.
    reused: bool,
}

/// Which slice of `total` rows to render for a viewport: (first row, row count, pixel offset of
/// the first rendered row, total virtual height).
pub fn window(total: usize, top: f64, height: f64, follow: bool) -> (usize, usize, f64, f64) {
    let full = total as f64 * ROW_H;
    let virt = full.min(MAX_PX);
    let max_top = (virt - height).max(0.0);
    let top = if follow {
        max_top
    } else {
        top.clamp(0.0, max_top)
    };
    let visible = (height / ROW_H).ceil() as usize + 1;
    let (first, offset) = if full <= MAX_PX {
        let first = ((top / ROW_H) as usize).saturating_sub(OVERSCAN);
        (first, first as f64 * ROW_H)
    } else {
        let ratio = if max_top > 0.0 { top / max_top } else { 0.0 };
        let first = (ratio * total.saturating_sub(visible) as f64) as usize;
        (first, top)
    };
    let first = first.min(total);
    let count = (visible + 2 * OVERSCAN).min(MAX_ROWS).min(total - first);
    (first, count, offset, virt)
}

#[function_component]
pub fn LogView(props: &LogProps) -> Html {
    let shared = use_shared();
    let scroll = use_mut_ref(|| Scroll {
        top: 0.0,
        height: 400.0,
        follow: true,
        measured: false,
        total: 0,
        virt: 0.0,
        reused: false,
    });
    let shown = use_mut_ref(|| None::<Shown>);
    let redraw = use_force_update();
    let body = use_node_ref();

    // After every render: when following, stick to the bottom (a write only: reading layout
    // every frame would force a reflow); measure the viewport only when it may have changed.
    {
        let (scroll, body, redraw) = (scroll.clone(), body.clone(), redraw.clone());
        use_effect(move || {
            if let Some(el) = body.cast::<web_sys::HtmlElement>() {
                // Sizes first: the scroll position below depends on the spacer's height.
                dom::apply_css(&el);
                let mut s = scroll.borrow_mut();
                if std::mem::take(&mut s.reused) {
                    return;
                }
                if s.follow {
                    el.set_scroll_top(s.virt as i32);
                }
                if !s.measured {
                    s.measured = true;
                    let h = f64::from(el.client_height());
                    if h > 0.0 && (h - s.height).abs() > 0.5 {
                        s.height = h;
                        drop(s);
                        redraw.force_update();
                    }
                }
            }
        });
    }
    // The viewport changes size with the window.
    {
        let (scroll, redraw) = (scroll.clone(), redraw.clone());
        use_effect_with((), move |_| {
            let l = Listener::on_window("resize", move |_| {
                scroll.borrow_mut().measured = false;
                redraw.force_update();
            });
            move || drop(l)
        });
    }
    // A selection made elsewhere (timeline, detail links) scrolls its row into view.
    {
        let (scroll, body, run, filter, redraw) = (
            scroll.clone(),
            body.clone(),
            shared.run.clone(),
            props.filter.clone(),
            redraw.clone(),
        );
        use_effect_with(props.selected, move |selected| {
            // The detail panel opens or closes with the selection: the viewport changes size.
            scroll.borrow_mut().measured = false;
            redraw.force_update();
            let Some(id) = *selected else {
                return;
            };
            let Some(el) = body.cast::<web_sys::HtmlElement>() else {
                return;
            };
            let cell = run.0.borrow();
            let Some(r) = cell.as_ref() else {
                return;
            };
            let rows = r.log_rows(&filter);
            let Ok(i) = rows.binary_search(&id.0) else {
                return;
            };
            let total = rows.len();
            drop(rows);
            drop(cell);
            let mut s = scroll.borrow_mut();
            // The DOM may have scrolled since the last scroll event was handled.
            s.top = f64::from(el.scroll_top());
            s.height = f64::from(el.client_height()).max(ROW_H);
            s.measured = true;
            let y = i as f64 * ROW_H;
            if total as f64 * ROW_H <= MAX_PX && (y < s.top || y + ROW_H > s.top + s.height) {
                s.follow = false;
                s.top = (y - s.height / 2.0).max(0.0);
                el.set_scroll_top(s.top as i32);
            }
            drop(s);
            redraw.force_update();
        });
    }

    let on_scroll = {
        let (scroll, redraw) = (scroll.clone(), redraw.clone());
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlElement = e.target_unchecked_into();
            let top = f64::from(el.scroll_top());
            let at_bottom =
                top + f64::from(el.client_height()) >= f64::from(el.scroll_height()) - ROW_H / 2.0;
            let mut s = scroll.borrow_mut();
            // Re-render only when a different slice of rows is due (our own scroll to the bottom
            // while following lands where the last render already was).
            let before = window(s.total, s.top, s.height, s.follow);
            s.top = top;
            let changed_follow = s.follow != at_bottom;
            s.follow = at_bottom;
            let after = window(s.total, s.top, s.height, s.follow);
            drop(s);
            if changed_follow || before.0 != after.0 || before.1 != after.1 {
                redraw.force_update();
            }
        })
    };
    let follow = {
        let (scroll, redraw) = (scroll.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            scroll.borrow_mut().follow = true;
            redraw.force_update();
        })
    };

    let wall = super::dom::now_ms();
    {
        let mut s = scroll.borrow_mut();
        if props.playing && s.follow && s.measured {
            if let Some(last) = shown.borrow().as_ref() {
                if wall - last.at < PLAY_REFRESH_MS
                    && last.filter == props.filter
                    && last.selected == props.selected
                    && last.run_id == props.clock.run_id
                {
                    s.reused = true;
                    return last.html.clone();
                }
            }
        }
    }

    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    let total_records = run.sim.trace().len();
    let rows = run.log_rows(&props.filter);
    let total = rows.len();
    let mut s = scroll.borrow_mut();
    let (first, count, offset, virt) = window(total, s.top, s.height, s.follow);
    let following = s.follow;
    s.total = total;
    s.virt = virt;
    drop(s);

    let visible: Vec<u32> = rows[first..first + count].to_vec();
    drop(rows);
    let on_key = {
        let (run, filter) = (shared.run.clone(), props.filter.clone());
        let (d, selected) = (shared.dispatch.clone(), props.selected);
        let page = (scroll.borrow().height / ROW_H) as usize;
        Callback::from(move |e: KeyboardEvent| {
            let cell = run.0.borrow();
            let Some(r) = cell.as_ref() else {
                return;
            };
            let rows = r.log_rows(&filter);
            if rows.is_empty() {
                return;
            }
            let last = rows.len() - 1;
            let at = selected.and_then(|s| rows.binary_search(&s.0).ok());
            let next = match (e.key().as_str(), at) {
                ("ArrowDown", Some(i)) => (i + 1).min(last),
                ("ArrowUp", Some(i)) => i.saturating_sub(1),
                ("PageDown", Some(i)) => (i + page).min(last),
                ("PageUp", Some(i)) => i.saturating_sub(page),
                ("ArrowDown" | "ArrowUp" | "PageDown" | "PageUp", None) => last,
                ("Home", _) => 0,
                ("End", _) => last,
                ("Escape", _) => {
                    drop(rows);
                    drop(cell);
                    d.dispatch(Action::Select(None));
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            e.stop_propagation();
            let id = RecordId(rows[next]);
            drop(rows);
            drop(cell);
            d.dispatch(Action::Select(Some(id)));
        })
    };

    let run_ref = run;
    let row_html = visible.iter().enumerate().map(|(k, &i)| {
        let r = run_ref.sim.trace().records()[i as usize];
        let mech = run_ref.sim.mechanism(&r);
        let selected = props.selected == Some(r.id);
        let onclick = {
            let d = shared.dispatch.clone();
            let id = r.id;
            Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(Some(id))))
        };
        html! {
            <div key={r.id.0} class={classes!("log-row", selected.then_some("selected"), outcome_class(r.outcome))}
                 role="row" aria-rowindex={(first + k + 2).to_string()} aria-selected={selected.to_string()}
                 data-id={r.id.0.to_string()} {onclick}>
                // The time the row happened (arrived, ended, was decided): rows are in that
                // order, so the column reads down in order; the send time is in the tooltip.
                <span role="gridcell" class="c-time"
                      title={format!("at {} s (sent at {} s)", fmt::stamp(r.recv), fmt::stamp(r.send))}>
                    { fmt::stamp(r.recv) }
                </span>
                <span role="gridcell" class="c-route"
                      title={format!("{} → {}", run_ref.node_name(r.from), run_ref.node_name(r.to))}>
                    <span class="from">{ fmt::middle(run_ref.node_name(r.from), ROUTE_NAME) }</span>
                    <span class="arrow">{ "→" }</span>
                    <span class="to">{ fmt::middle(run_ref.node_name(r.to), ROUTE_NAME) }</span>
                </span>
                <span role="gridcell" class="c-mech"><span class={classes!("chip", mech.colour())}>{ mech.label() }</span></span>
                <span role="gridcell" class="c-name"><span class="kind">{ kind_word(r.kind) }</span>{ " " }{ name_text(run_ref, &r) }</span>
                <span role="gridcell" class={classes!("c-outcome", outcome_class(r.outcome))}
                      title={format!("{}{}", r.outcome, if r.late { " · late" } else { "" })}>
                    { r.outcome.to_string() }{ if r.late { " · late" } else { "" } }
                </span>
                <span role="gridcell" class="c-latency">{ fmt::dur(r.duration()) }</span>
                <span role="gridcell" class="c-attempt">{ r.attempt }</span>
            </div>
        }
    });

    let filters = html! {
        <FilterBar run_id={props.clock.run_id} filter={props.filter.clone()} />
    };
    // Before the first record: messages may already be on the wire (the first Step sends a
    // request that lands later); say so rather than show an empty log with "1 in flight".
    let flying = if total_records == 0 {
        run_ref.sim.in_flight()
    } else {
        Vec::new()
    };
    let nothing = if let Some(first) = flying.iter().min_by_key(|m| m.arrives) {
        let n = flying.len();
        Some(empty_state(
            if n == 1 { "A message is on its way" } else { "Messages are on their way" },
            &format!(
                "{n} in flight: {} → {} lands at {} s. A message appears here when it arrives (or is lost), with its time, route, outcome and latency; Step (→) again.",
                run_ref.node_name(first.from),
                run_ref.node_name(first.to),
                fmt::stamp(first.arrives),
            ),
        ))
    } else if total_records == 0 {
        Some(empty_state(
            "No messages yet",
            "Press Play (Space) or Step (→): every message appears here with its time, route, outcome and latency.",
        ))
    } else if total == 0 {
        Some(empty_state(
            "No messages match these filters",
            "Change or clear the filters above to see more.",
        ))
    } else {
        None
    };

    let selected = props
        .selected
        .filter(|id| run_ref.sim.trace().get(*id).is_some());
    let html = html! {
        <div class={classes!("log-view", selected.is_some().then_some("with-detail"))} data-testid="log">
            { filters }
            <div class="view-bar">
                <span class="muted small" data-testid="log-count" data-total={total.to_string()}>
                    { format!("{} of {} messages", fmt::count(total as u64), fmt::count(run_ref.log_total as u64)) }
                </span>
                <span class="spacer"></span>
                if !following && total > 0 {
                    <button class="btn small" data-testid="follow" onclick={follow}>{ "↓ Follow latest" }</button>
                } else if total > 0 {
                    <span class="muted small">{ "Following the latest" }</span>
                }
            </div>
            <div class="log-table" role="grid" aria-label="Message log" aria-rowcount={(total + 1).to_string()}>
                <div class="log-row log-header" role="row" aria-rowindex="1">
                    <span role="columnheader" class="c-time">{ "Time (s)" }</span>
                    <span role="columnheader" class="c-route">{ "From → to" }</span>
                    <span role="columnheader" class="c-mech">{ "Mechanism" }</span>
                    <span role="columnheader" class="c-name">{ "Name" }</span>
                    <span role="columnheader" class="c-outcome">{ "Outcome" }</span>
                    <span role="columnheader" class="c-latency">{ "Latency" }</span>
                    <span role="columnheader" class="c-attempt">{ "Try" }</span>
                </div>
                <div class="log-body" ref={body} tabindex="0" onscroll={on_scroll} onkeydown={on_key}
                     aria-label="Messages: ↑/↓ select, Home/End jump">
                    if let Some(n) = nothing {
                        { n }
                    } else {
                        <div class="log-spacer" data-css={format!("height:{virt:.0}px")}>
                            <div class="log-rows" data-testid="log-rows" data-css={format!("transform:translateY({offset:.0}px)")}>
                                { for row_html }
                            </div>
                        </div>
                    }
                </div>
            </div>
            if let Some(id) = selected {
                <Detail clock={props.clock} {id} />
            }
        </div>
    };
    *shown.borrow_mut() = Some(Shown {
        at: wall,
        html: html.clone(),
        filter: props.filter.clone(),
        selected: props.selected,
        run_id: props.clock.run_id,
    });
    html
}

/// A change to the filter from a control's new value.
type FilterEdit = Rc<dyn Fn(&mut LogFilter, String)>;

/// Most nodes offered in the node filter's list; a list of thousands takes the browser hundreds
/// of milliseconds to build and nobody scrolls through it.
const LISTED_NODES: usize = 200;

/// The nodes the node filter lists (indices, in declaration order) and how many it leaves out:
/// all of them in a world of up to `LISTED_NODES`; else the first `LISTED_NODES` that have a
/// path to or from anything (those without one carry no messages), and the node filtered to.
fn listed_nodes(run: &super::run::Run, filtered: Option<NodeId>) -> (Vec<usize>, usize) {
    let total = run.sim.nodes().len();
    if total <= LISTED_NODES {
        return ((0..total).collect(), 0);
    }
    let mut linked = vec![false; total];
    for e in &run.topology.edges {
        for n in [e.from, e.to] {
            if let Some(l) = linked.get_mut(n.0 as usize) {
                *l = true;
            }
        }
    }
    let mut listed: Vec<usize> = (0..total)
        .filter(|&i| linked[i])
        .take(LISTED_NODES)
        .collect();
    if let Some(n) = filtered.map(|n| n.0 as usize) {
        if n < total && !listed.contains(&n) {
            listed.push(n);
            listed.sort_unstable();
        }
    }
    let hidden = total - listed.len();
    (listed, hidden)
}

#[derive(Properties, PartialEq)]
struct FilterBarProps {
    /// The run the node list is of (the handle stays the same cell across runs).
    run_id: u32,
    filter: LogFilter,
}

/// The filter controls: a component of their own, so the node list (one option per node,
/// thousands in a big world) is rebuilt only when the filter or the run changes, not every frame.
#[function_component]
fn FilterBar(props: &FilterBarProps) -> Html {
    let shared = use_shared();
    let cell = shared.run.0.borrow();
    let Some(run) = cell.as_ref() else {
        return html! {};
    };
    filter_bar(run, &props.filter, &shared.dispatch)
}

fn filter_bar(run: &super::run::Run, f: &LogFilter, d: &UseReducerDispatcher<State>) -> Html {
    let set = |change: FilterEdit| {
        let (d, f) = (d.clone(), f.clone());
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let mut next = f.clone();
            change(&mut next, el.value());
            d.dispatch(Action::SetFilter(next));
        })
    };
    // `g<id>`: all the replicas of the service whose first replica is `id`.
    let on_node = set(Rc::new(|f, v| {
        f.replicas = v.starts_with('g');
        f.node = v.trim_start_matches('g').parse::<u32>().ok().map(NodeId);
    }));
    let on_mech = set(Rc::new(|f, v| f.mechanism = Mechanism::from_slug(&v)));
    let on_outcome = set(Rc::new(|f, v| {
        f.outcome = v
            .parse::<usize>()
            .ok()
            .and_then(|i| OutcomeFilter::ALL.get(i).copied())
            .unwrap_or_default()
    }));
    let on_text = {
        let (d, f) = (d.clone(), f.clone());
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut next = f.clone();
            next.text = el.value();
            d.dispatch(Action::SetFilter(next));
        })
    };
    let clear = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SetFilter(LogFilter::default())))
    };
    let (listed, hidden) = listed_nodes(run, f.node);
    let nodes = run.sim.nodes();
    let mech_value = f.mechanism.map_or("", Mechanism::as_str);
    let mechs = std::iter::once(("", "All mechanisms"))
        .chain(Mechanism::ALL.map(|m| (m.as_str(), m.filter_label())));
    html! {
        <div class="filters" role="search" aria-label="Filter messages">
            <select aria-label="Service" data-testid="filter-node" onchange={on_node}>
                <option value="" selected={f.node.is_none()}>{ "All nodes" }</option>
                { for run.groups.iter().filter_map(|(name, m)| m.first().map(|&first| (name, m.len(), first))).map(|(name, n, first)| html! {
                    <option value={format!("g{}", first.0)} selected={f.replicas && f.node == Some(first)}>
                        { format!("{name} (all {n} replicas)") }
                    </option>
                }) }
                { for listed.iter().map(|&i| html! {
                    <option value={i.to_string()} selected={!f.replicas && f.node == Some(NodeId(i as u32))}>{ &nodes[i].name }</option>
                }) }
                if hidden > 0 {
                    <option value="more" disabled=true data-testid="filter-node-more">
                        { format!("… {} more: click one in the topology, or type its name in the text filter", fmt::count(hidden as u64)) }
                    </option>
                }
            </select>
            <select aria-label="Mechanism" data-testid="filter-mech" onchange={on_mech}>
                { for mechs.map(|(v, l)| html! {
                    <option value={v} selected={v == mech_value}>{ l }</option>
                }) }
            </select>
            <select aria-label="Outcome" data-testid="filter-outcome" onchange={on_outcome}>
                { for OutcomeFilter::ALL.iter().enumerate().map(|(i, o)| html! {
                    <option value={i.to_string()} selected={*o == f.outcome}>{ o.label() }</option>
                }) }
            </select>
            <input type="search" placeholder="Filter text…" aria-label="Filter text" data-testid="filter-text"
                   value={f.text.clone()} oninput={on_text} />
            if !f.is_empty() {
                <button class="btn small" onclick={clear}>{ "Clear" }</button>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_never_exceeds_the_row_cap() {
        for total in [0usize, 1, 10, 1_000, 100_000, 5_000_000] {
            for height in [100.0, 800.0, 20_000.0] {
                for top in [0.0, 1e3, 1e6, 1e9] {
                    for follow in [false, true] {
                        let (first, count, _, virt) = window(total, top, height, follow);
                        assert!(count <= MAX_ROWS);
                        assert!(first + count <= total);
                        assert!(virt <= MAX_PX);
                    }
                }
            }
        }
    }

    #[test]
    fn following_shows_the_last_rows() {
        let (first, count, _, _) = window(100_000, 0.0, 520.0, true);
        assert_eq!(first + count, 100_000);
        let (first, count, _, _) = window(5_000_000, 0.0, 520.0, true);
        assert_eq!(first + count, 5_000_000);
    }

    #[test]
    fn scrolling_to_the_top_shows_the_first_rows() {
        let (first, count, offset, _) = window(100_000, 0.0, 520.0, false);
        assert_eq!((first, offset), (0, 0.0));
        assert!(count >= 21);
    }
}
