//! Metrics view: tables per endpoint/method, consumer, client and queue/subscription (count,
//! throughput, errors, p50/p95/p99; per client also goodput next to throughput, and the users
//! thinking and waiting of a closed loop), and the time-series charts of `charts` (a series per
//! client, fault bands, values on hover) that grow while the run plays.
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

mod charts;

/// Rows a table draws at most; past it, the busiest ones and a note.
pub const MAX_ROWS: usize = 50;
/// Lines the depth chart draws at most, the "others" line included.
pub const MAX_LINES: usize = 6;

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    /// Only to re-render as the run moves (the numbers come from the run itself).
    pub clock: Clock,
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

/// The note under a table that shows only some of its rows; none when it shows them all.
/// The clients' names, in declared order (the index of each client's metrics).
pub fn client_names(run: &Run) -> Vec<&str> {
    run.sim
        .nodes()
        .iter()
        .filter(|n| n.kind == NodeKind::Client)
        .map(|n| n.name.as_str())
        .collect()
}

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
    let hover_at = use_state(|| None::<(f64, &'static str)>);
    let hover = charts::Hover {
        at: *hover_at,
        set: {
            let hover_at = hover_at.clone();
            Callback::from(move |at: charts::HoverAt| hover_at.set(at))
        },
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
    let charts = charts::charts(run, &needle, &hover);
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
    let client_names = client_names(run);
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
}
