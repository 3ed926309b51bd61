//! The run summary: the engine's metrics by name, in milliseconds, for people and for programs
//! (the CLI's `run` prints it as text tables or JSON; field list in docs/cli.md). A projection of
//! a `Sim` like every export, so the app can show the same figures.

use crate::sim::{Histogram, Names, NodeKind, Sim, SimTime, Status, StopReason};
use serde::Serialize;
use std::collections::BTreeMap;

/// A run in figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    /// `finished`, `event_budget_exhausted`, `idle` or `pending_limit`.
    pub stop: &'static str,
    pub stop_message: String,
    pub simulated_s: f64,
    pub wall_ms: f64,
    pub events: u64,
    pub messages: u64,
    pub records: u64,
    pub dropped: u64,
    pub requests: u64,
    pub trace_hash: String,
    pub endpoints: Vec<EndpointSummary>,
    pub consumers: Vec<ConsumerSummary>,
    pub clients: Vec<ClientSummary>,
    /// Every call site (a `call` step or a client's target), retries made in handlers included.
    pub calls: Vec<CallSiteSummary>,
    pub mailboxes: Vec<MailboxSummary>,
    pub services: Vec<ServiceSummary>,
    /// Every replicated service's load balancer, replica by replica.
    pub balancers: Vec<BalancerSummary>,
    /// Every read-through cache.
    pub caches: Vec<CacheSummary>,
}

/// A read-through cache over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheSummary {
    pub name: String,
    pub hits: u64,
    pub misses: u64,
    /// Misses that waited for a fetch of the same key already under way (coalescing).
    pub joined: u64,
    /// Hits over lookups.
    pub hit_ratio: f64,
    pub fills: u64,
    pub evictions: u64,
    pub expired: u64,
    pub flushed: u64,
    /// Entries at the end.
    pub entries: u64,
}

/// A replicated service's load balancer: its service's name and each replica's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BalancerSummary {
    pub name: String,
    pub replicas: Vec<ReplicaSummary>,
}

/// One replica as its balancer saw it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaSummary {
    pub name: String,
    /// Attempts sent to it (refused connections included).
    pub sent: u64,
    /// Attempts that ended in a server error (5xx, refused or reset connection, timeout).
    pub errors: u64,
    /// Times outlier detection took it out of rotation.
    pub ejections: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub mean: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    pub max: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointSummary {
    pub name: String,
    pub count: u64,
    pub errors: u64,
    pub rejected: u64,
    /// Requests that ran the handler again for a call it had already admitted (a retry).
    pub repeats: u64,
    /// Requests answered from the idempotency-key store.
    pub replayed: u64,
    pub by_status: BTreeMap<String, u64>,
    pub latency_ms: Latency,
}

/// One call site: `caller -> callee endpoint`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallSiteSummary {
    pub name: String,
    pub attempts: u64,
    pub retries: u64,
    /// Hedged attempts sent (after the first of a hedged call).
    pub hedges: u64,
    /// Retries and hedges refused by the call site's retry budget.
    pub throttled: u64,
    pub attempt_timeouts: u64,
    pub ok: u64,
    pub timed_out: u64,
    pub failed: u64,
    /// Calls with no outcome yet when the run stopped (no timeout, and no answer).
    pub waiting: u64,
    /// The call site's connection pool, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolSummary>,
}

/// A call site's connection pool: its size, its state when the run stopped, and what waited.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolSummary {
    pub size: u32,
    pub in_use: u32,
    /// Calls waiting for a connection when the run stopped.
    pub waiting: u32,
    /// Calls that had to wait for a connection.
    pub waited: u64,
    /// Calls that gave up waiting (`pool-wait`) and failed unsent.
    pub timeouts: u64,
    pub max_in_use: u32,
    pub max_waiting: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsumerSummary {
    pub name: String,
    pub delivered: u64,
    pub acked: u64,
    pub nacked: u64,
    /// Queue consumers' failures that left the message unacked (back after its visibility
    /// timeout).
    pub failed: u64,
    /// Acks and nacks refused because their delivery was superseded.
    pub stale_acks: u64,
    pub latency_ms: Latency,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientSummary {
    pub name: String,
    pub sent: u64,
    pub completed: u64,
    pub errors: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
    /// Requests the client gave up on at its own timeout (they have no status).
    pub timed_out: u64,
    /// Requests whose connection was refused or reset (they have no status either).
    pub connection_errors: u64,
    pub retries: u64,
    pub breaker_rejections: u64,
    pub by_status: BTreeMap<String, u64>,
    pub latency_ms: Latency,
    /// Requests answered with a success (2xx/3xx, OK), so within the call's whole timeout.
    pub ok: u64,
    /// Every final answer per second of the run (`completed` over the simulated time).
    pub throughput_per_s: f64,
    /// Successful answers per second of the run (`ok` over the simulated time).
    pub goodput_per_s: f64,
    /// A client of users (closed loop): its users now and on average.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<UsersSummary>,
}

/// A closed-loop client's users.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsersSummary {
    /// Users so far: those at the start and those bursts added.
    pub users: u32,
    /// Thinking at the end of the run.
    pub thinking: u32,
    /// Waiting for an answer at the end of the run.
    pub waiting: u32,
    /// Time-average users thinking over the run.
    pub mean_thinking: f64,
    /// Time-average users waiting over the run.
    pub mean_waiting: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MailboxSummary {
    pub name: String,
    /// `queue` or `subscription`.
    pub kind: &'static str,
    pub accepted: u64,
    pub rejected: u64,
    pub evicted: u64,
    pub deliveries: u64,
    pub acked: u64,
    /// Acks and nacks refused: their delivery was superseded.
    pub stale_acks: u64,
    /// Visibility timeouts / ack deadlines extended while a consumer still held the message.
    pub extensions: u64,
    pub redeliveries: u64,
    pub dead_letters: u64,
    pub filtered: u64,
    pub max_depth: u64,
    pub mean_depth: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSummary {
    pub name: String,
    pub rejected: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub lost_to_crash: u64,
    pub max_backlog: u64,
    pub mean_backlog: f64,
}

fn ms(t: SimTime) -> f64 {
    round3(t.as_millis_f64())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn latency(h: &Histogram) -> Latency {
    if h.count() == 0 {
        return Latency {
            mean: 0.0,
            p50: 0.0,
            p95: 0.0,
            p99: 0.0,
            max: 0.0,
        };
    }
    Latency {
        mean: round3(h.mean_micros() / 1000.0),
        p50: ms(h.p50()),
        p95: ms(h.p95()),
        p99: ms(h.p99()),
        max: ms(h.max()),
    }
}

fn status_key(s: &Status) -> String {
    match s {
        Status::Http(code) => code.to_string(),
        Status::Grpc(code) => code.as_str().to_string(),
    }
}

fn by_status(m: &BTreeMap<Status, u64>) -> BTreeMap<String, u64> {
    m.iter().map(|(s, n)| (status_key(s), *n)).collect()
}

/// The summary of a run: `name` and `seed` as the reader knows them, and `wall_ms`, the wall time
/// it took (measured by the caller: this layer reads no clock).
pub fn summarize(name: &str, seed: u64, sim: &Sim, stop: StopReason, wall_ms: f64) -> Summary {
    let m = sim.metrics();
    let now = sim.now();
    let waiting = sim.calls_waiting();
    let users = sim.users();
    let nodes = sim.nodes();
    let clients: Vec<&str> = nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Client)
        .map(|n| n.name.as_str())
        .collect();
    let services: Vec<&str> = nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Service)
        .map(|n| n.name.as_str())
        .collect();
    Summary {
        scenario: name.to_string(),
        seed,
        stop: match stop {
            StopReason::Finished { .. } => "finished",
            StopReason::EventBudgetExhausted { .. } => "event_budget_exhausted",
            StopReason::Idle { .. } => "idle",
            StopReason::PendingLimit { .. } => "pending_limit",
        },
        stop_message: stop.to_string(),
        simulated_s: round3(now.as_secs_f64()),
        wall_ms: round3(wall_ms),
        events: m.totals.events,
        messages: m.totals.messages,
        records: m.totals.records,
        dropped: m.totals.dropped,
        requests: m.totals.requests,
        trace_hash: format!("{:016x}", sim.trace_hash()),
        endpoints: m
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| EndpointSummary {
                name: sim.endpoint_label(i),
                count: e.requests,
                errors: e.errors,
                rejected: e.rejected,
                repeats: e.repeats,
                replayed: e.replayed,
                by_status: by_status(&e.replies),
                latency_ms: latency(&e.latency),
            })
            .collect(),
        consumers: m
            .consumers
            .iter()
            .enumerate()
            .map(|(i, c)| ConsumerSummary {
                name: sim.consumer_label(i),
                delivered: c.delivered,
                acked: c.acked,
                nacked: c.nacked,
                failed: c.failed,
                stale_acks: c.stale_acks,
                latency_ms: latency(&c.latency),
            })
            .collect(),
        clients: m
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| ClientSummary {
                name: clients.get(i).copied().unwrap_or("?").to_string(),
                sent: c.sent,
                completed: c.completed,
                errors: c.errors,
                timeouts: c.timeouts,
                timed_out: c.timed_out,
                connection_errors: c.connection_errors,
                retries: c.retries,
                breaker_rejections: c.breaker_rejections,
                by_status: by_status(&c.outcomes),
                latency_ms: latency(&c.latency),
                ok: c.ok,
                throughput_per_s: round3(c.throughput(now)),
                goodput_per_s: round3(c.goodput(now)),
                users: users.get(i).copied().flatten().map(|u| UsersSummary {
                    users: u.users,
                    thinking: u.thinking,
                    waiting: u.waiting,
                    mean_thinking: round3(c.mean_thinking(now)),
                    mean_waiting: round3(c.mean_waiting(now)),
                }),
            })
            .collect(),
        calls: m
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| CallSiteSummary {
                name: sim.call_site_label(i),
                attempts: c.attempts,
                retries: c.retries,
                hedges: c.hedges,
                throttled: c.throttled,
                attempt_timeouts: c.attempt_timeouts,
                ok: c.ok,
                timed_out: c.timed_out,
                failed: c.failed,
                waiting: waiting.get(i).copied().unwrap_or(0),
                pool: sim.call_pool(i).map(|(size, in_use, waiting)| PoolSummary {
                    size,
                    in_use,
                    waiting,
                    waited: c.pool_waited,
                    timeouts: c.pool_timeouts,
                    max_in_use: c.pool_max_in_use,
                    max_waiting: c.pool_max_waiting,
                }),
            })
            .collect(),
        caches: m
            .caches
            .iter()
            .zip(sim.caches())
            .map(|(c, v)| CacheSummary {
                name: sim.name(v.name).to_string(),
                hits: c.hits,
                misses: c.misses,
                joined: c.joined,
                hit_ratio: round3(c.hit_ratio()),
                fills: c.fills,
                evictions: c.evictions,
                expired: c.expired,
                flushed: c.flushed,
                entries: c.entries,
            })
            .collect(),
        balancers: m
            .balancers
            .iter()
            .enumerate()
            .map(|(i, b)| BalancerSummary {
                name: sim.balancer_label(i).to_string(),
                replicas: sim
                    .balancer_replicas(i)
                    .into_iter()
                    .enumerate()
                    .map(|(r, name)| ReplicaSummary {
                        name: name.to_string(),
                        sent: b.sent[r],
                        errors: b.errors[r],
                        ejections: b.ejections[r],
                    })
                    .collect(),
            })
            .collect(),
        mailboxes: m
            .mailboxes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let node = sim.mailbox_node(i).and_then(|id| nodes.get(id.0 as usize));
                MailboxSummary {
                    name: node.map_or_else(|| "?".to_string(), |n| n.name.clone()),
                    kind: match node.map(|n| n.kind) {
                        Some(NodeKind::Subscription) => "subscription",
                        _ => "queue",
                    },
                    accepted: b.accepted,
                    rejected: b.rejected,
                    evicted: b.evicted,
                    deliveries: b.deliveries,
                    acked: b.acked,
                    stale_acks: b.stale_acks,
                    extensions: b.extensions,
                    redeliveries: b.redeliveries,
                    dead_letters: b.dead_letters,
                    filtered: b.filtered,
                    max_depth: b.max_depth(),
                    mean_depth: round3(b.mean_depth(now)),
                }
            })
            .collect(),
        services: m
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| ServiceSummary {
                name: services.get(i).copied().unwrap_or("?").to_string(),
                rejected: s.rejected,
                rate_limited: s.rate_limited,
                shed: s.shed,
                lost_to_crash: s.lost_to_crash,
                max_backlog: s.max_backlog(),
                mean_backlog: round3(s.mean_backlog(now)),
            })
            .collect(),
    }
}

/// Rows of cells, each column padded to its widest cell; the first column left-aligned, and the
/// last too when `text_last` (a free-text column such as the statuses).
fn table(out: &mut String, rows: &[Vec<String>], text_last: bool) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let w = widths.get(c).copied().unwrap_or(0);
            if c == 0 {
                line.push_str(&format!("{cell:<w$}"));
            } else if c + 1 == r.len() && text_last {
                line.push_str(&format!("  {cell}"));
            } else {
                line.push_str(&format!("  {cell:>w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn statuses(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An endpoint's reply statuses, then its repeated and replayed requests if any.
fn endpoint_notes(e: &EndpointSummary) -> String {
    let mut s = statuses(&e.by_status);
    for (n, what) in [(e.repeats, "repeated"), (e.replayed, "replayed")] {
        if n > 0 {
            s.push_str(&format!(" {what}×{n}"));
        }
    }
    s
}

/// A client's outcomes: the statuses it received, then the requests it gave up on.
fn outcomes(c: &ClientSummary) -> String {
    let mut s = statuses(&c.by_status);
    for (n, what) in [
        (c.timed_out, "timed-out"),
        (c.connection_errors, "connection-error"),
    ] {
        if n > 0 {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("{what}×{n}"));
        }
    }
    s
}

fn lat_cells(l: &Latency) -> Vec<String> {
    vec![f1(l.mean), f1(l.p50), f1(l.p95), f1(l.p99), f1(l.max)]
}

/// The summary as aligned text tables (what `switchboard-cli run` prints).
pub fn render_text(s: &Summary) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "scenario \"{}\" seed {}: {} (simulated {:.3} s, wall {:.1} ms)\n",
        s.scenario, s.seed, s.stop_message, s.simulated_s, s.wall_ms
    ));
    out.push_str(&format!(
        "events {}  messages {}  dropped {}  requests {}  trace {}\n",
        s.events, s.messages, s.dropped, s.requests, s.trace_hash
    ));
    let lat_head = ["mean", "p50", "p95", "p99", "max"].map(str::to_string);
    if !s.endpoints.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            vec![
                "endpoint".to_string(),
                "count".into(),
                "errors".into(),
                "rejected".into(),
            ],
            lat_head.to_vec(),
            vec!["statuses (latency in ms)".into()],
        ]
        .concat()];
        for e in &s.endpoints {
            rows.push(
                [
                    vec![
                        e.name.clone(),
                        e.count.to_string(),
                        e.errors.to_string(),
                        e.rejected.to_string(),
                    ],
                    lat_cells(&e.latency_ms),
                    vec![endpoint_notes(e)],
                ]
                .concat(),
            );
        }
        table(&mut out, &rows, true);
    }
    if !s.consumers.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            vec![
                "consumer".to_string(),
                "delivered".into(),
                "acked".into(),
                "nacked".into(),
                "failed".into(),
                "stale".into(),
            ],
            lat_head.to_vec(),
        ]
        .concat()];
        for c in &s.consumers {
            rows.push(
                [
                    vec![
                        c.name.clone(),
                        c.delivered.to_string(),
                        c.acked.to_string(),
                        c.nacked.to_string(),
                        c.failed.to_string(),
                        c.stale_acks.to_string(),
                    ],
                    lat_cells(&c.latency_ms),
                ]
                .concat(),
            );
        }
        table(&mut out, &rows, false);
    }
    if !s.clients.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            vec![
                "client".to_string(),
                "sent".into(),
                "done".into(),
                "done/s".into(),
                "goodput/s".into(),
                "errors".into(),
                "timeouts".into(),
                "retries".into(),
                "breaker".into(),
            ],
            lat_head.to_vec(),
            vec!["outcomes".into()],
        ]
        .concat()];
        for c in &s.clients {
            rows.push(
                [
                    vec![
                        c.name.clone(),
                        c.sent.to_string(),
                        c.completed.to_string(),
                        f1(c.throughput_per_s),
                        f1(c.goodput_per_s),
                        c.errors.to_string(),
                        c.timeouts.to_string(),
                        c.retries.to_string(),
                        c.breaker_rejections.to_string(),
                    ],
                    lat_cells(&c.latency_ms),
                    vec![outcomes(c)],
                ]
                .concat(),
            );
        }
        table(&mut out, &rows, true);
    }
    if s.clients.iter().any(|c| c.users.is_some()) {
        out.push('\n');
        let mut rows = vec![[
            "client (users)",
            "users",
            "thinking",
            "waiting",
            "mean thinking",
            "mean waiting",
        ]
        .map(str::to_string)
        .to_vec()];
        for c in &s.clients {
            if let Some(u) = &c.users {
                rows.push(vec![
                    c.name.clone(),
                    u.users.to_string(),
                    u.thinking.to_string(),
                    u.waiting.to_string(),
                    f1(u.mean_thinking),
                    f1(u.mean_waiting),
                ]);
            }
        }
        table(&mut out, &rows, false);
    }
    if s.calls.iter().any(|c| c.attempts > 0) {
        out.push('\n');
        let mut rows = vec![[
            "call site",
            "attempts",
            "retries",
            "hedges",
            "throttled",
            "attempt timeouts",
            "ok",
            "timed out",
            "failed",
            "waiting",
        ]
        .map(str::to_string)
        .to_vec()];
        for c in s.calls.iter().filter(|c| c.attempts > 0) {
            rows.push(vec![
                c.name.clone(),
                c.attempts.to_string(),
                c.retries.to_string(),
                c.hedges.to_string(),
                c.throttled.to_string(),
                c.attempt_timeouts.to_string(),
                c.ok.to_string(),
                c.timed_out.to_string(),
                c.failed.to_string(),
                c.waiting.to_string(),
            ]);
        }
        table(&mut out, &rows, false);
    }
    if s.calls.iter().any(|c| c.pool.is_some()) {
        out.push('\n');
        let mut rows = vec![[
            "pool",
            "size",
            "in use",
            "waiting",
            "waited",
            "pool timeouts",
            "max in use",
            "max waiting",
        ]
        .map(str::to_string)
        .to_vec()];
        for c in &s.calls {
            if let Some(p) = &c.pool {
                rows.push(vec![
                    c.name.clone(),
                    p.size.to_string(),
                    p.in_use.to_string(),
                    p.waiting.to_string(),
                    p.waited.to_string(),
                    p.timeouts.to_string(),
                    p.max_in_use.to_string(),
                    p.max_waiting.to_string(),
                ]);
            }
        }
        table(&mut out, &rows, false);
    }
    if !s.caches.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            "cache",
            "hits",
            "misses",
            "joined",
            "hit ratio",
            "evicted",
            "expired",
            "flushed",
        ]
        .map(str::to_string)
        .to_vec()];
        for c in &s.caches {
            rows.push(vec![
                c.name.clone(),
                c.hits.to_string(),
                c.misses.to_string(),
                c.joined.to_string(),
                format!("{:.1}%", c.hit_ratio * 100.0),
                c.evictions.to_string(),
                c.expired.to_string(),
                c.flushed.to_string(),
            ]);
        }
        table(&mut out, &rows, false);
    }
    if !s.balancers.is_empty() {
        out.push('\n');
        let mut rows = vec![["replica", "sent", "server errors", "ejected"]
            .map(str::to_string)
            .to_vec()];
        for b in &s.balancers {
            for r in &b.replicas {
                rows.push(vec![
                    r.name.clone(),
                    r.sent.to_string(),
                    r.errors.to_string(),
                    r.ejections.to_string(),
                ]);
            }
        }
        table(&mut out, &rows, false);
    }
    if !s.mailboxes.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            "queue / subscription",
            "accepted",
            "rejected",
            "evicted",
            "max depth",
            "mean depth",
            "redelivered",
            "dead-lettered",
            "filtered",
        ]
        .map(str::to_string)
        .to_vec()];
        for b in &s.mailboxes {
            rows.push(vec![
                b.name.clone(),
                b.accepted.to_string(),
                b.rejected.to_string(),
                b.evicted.to_string(),
                b.max_depth.to_string(),
                f1(b.mean_depth),
                b.redeliveries.to_string(),
                b.dead_letters.to_string(),
                b.filtered.to_string(),
            ]);
        }
        table(&mut out, &rows, false);
    }
    // The admission columns only when some service refused or shed something, so the
    // tables of runs without admission control read as before.
    let admission = s.services.iter().any(|v| v.rate_limited > 0 || v.shed > 0);
    if s.services
        .iter()
        .any(|v| v.rejected > 0 || v.lost_to_crash > 0 || v.max_backlog > 0)
        || admission
    {
        out.push('\n');
        let mut head = vec!["service", "rejected"];
        if admission {
            head.extend(["rate-limited", "shed"]);
        }
        head.extend(["lost to crash", "max backlog", "mean backlog"]);
        let mut rows = vec![head.into_iter().map(str::to_string).collect::<Vec<_>>()];
        for v in &s.services {
            let mut row = vec![v.name.clone(), v.rejected.to_string()];
            if admission {
                row.extend([v.rate_limited.to_string(), v.shed.to_string()]);
            }
            row.extend([
                v.lost_to_crash.to_string(),
                v.max_backlog.to_string(),
                f1(v.mean_backlog),
            ]);
            rows.push(row);
        }
        table(&mut out, &rows, false);
    }
    out
}
