//! The live run, outside the reducer: the `Sim` plus what the views derive from its trace,
//! kept up to date incrementally (each frame indexes only the records appended since the last):
//! filtered log rows, long records for the timeline, chart buckets, "what it caused" lookups,
//! and the topology layout. No DOM here; `RunHandle` is how components share it.
//! Views only ever borrow the run shared while they render: the indexes a view builds on first
//! use (a filter's log rows, what a record caused, finished buckets' percentiles) are caches in
//! their own cells inside `Run`, so reading never needs the run itself mutably.

use std::cell::{Ref, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use super::state::{Clock, LogFilter, OutcomeFilter};
use super::topology_layout::Topology;
use crate::scenario::Compiled;
use crate::sim::{
    Kind, NodeId, NodeKind, Outcome, Record, RecordId, RejectReason, Sim, SimTime, TraceId,
};

/// Records longer than this (fault windows, long spans) are listed apart, so the timeline finds
/// them without scanning the whole trace.
pub const LONG: SimTime = SimTime::from_secs(2);

/// Shared, mutable access to the current run. Equal when it is the same cell, so passing it as a
/// prop never causes a re-render by itself.
#[derive(Clone, Default)]
pub struct RunHandle(pub Rc<RefCell<Option<Run>>>);

impl PartialEq for RunHandle {
    fn eq(&self, other: &RunHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Clients given series of their own on the charts (in world order); the rest count only in
/// the whole run's series, so a link naming 10,000 clients costs what 64 do.
pub const TRACKED_CLIENTS: usize = 64;
const UNTRACKED: u8 = u8::MAX;

/// One series' counts per chart bucket: the whole run's, or one client's.
#[derive(Default)]
pub struct Buckets {
    /// Replies (and timeouts) reaching the client, per bucket (by arrival).
    pub replies: Vec<u32>,
    /// Of those, failures.
    pub errors: Vec<u32>,
    /// Attempts after a call's first (retries, and hedges), handlers' included, per bucket (by
    /// sending): a handler's retry counts for the client whose request it serves.
    pub retries: Vec<u32>,
    /// Attempts an open circuit breaker refused, handlers' included, per bucket.
    pub rejections: Vec<u32>,
    /// Client-visible latencies (µs) of the replies, per bucket (a finished bucket's are sorted
    /// in place when its percentiles are first asked for).
    latencies: RefCell<Vec<Vec<u32>>>,
    /// Percentiles of finished buckets, computed once.
    percentiles: RefCell<Vec<[u32; 3]>>,
}

impl Buckets {
    fn grow(&mut self, n: usize) {
        if self.replies.len() < n {
            self.replies.resize(n, 0);
            self.errors.resize(n, 0);
            self.retries.resize(n, 0);
            self.rejections.resize(n, 0);
            self.latencies.get_mut().resize(n, Vec::new());
        }
    }

    /// p50/p95/p99 (µs) of client-visible latency per bucket of `bucket` up to `now`; buckets
    /// before the current one are final and computed only once.
    pub fn percentiles(&self, now: SimTime, bucket: SimTime) -> Vec<[u32; 3]> {
        let mut latencies = self.latencies.borrow_mut();
        let mut done = self.percentiles.borrow_mut();
        let current = (now.0 / bucket.0.max(1)) as usize;
        let finished = current.min(latencies.len());
        while done.len() < finished {
            let i = done.len();
            done.push(pcts(&mut latencies[i]));
        }
        let mut out = done.clone();
        if let Some(last) = latencies.get(finished) {
            out.push(pcts(&mut last.clone()));
        }
        out
    }
}

/// Per-bucket counts for the metrics charts: every message, the whole run's client series and
/// each client's (the first `TRACKED_CLIENTS`).
pub struct Charts {
    /// Width of one bucket.
    pub bucket: SimTime,
    /// Messages that arrived (or were lost), per bucket.
    pub messages: Vec<u32>,
    /// Every client together.
    pub all: Buckets,
    /// Each tracked client, in world order (grown as it sees records).
    pub clients: Vec<Buckets>,
    /// The tracked client a node is (`UNTRACKED` for others and non-clients).
    client_of_node: Vec<u8>,
    /// The tracked client whose request each trace id is (`UNTRACKED` when not tracked).
    client_of_trace: Vec<u8>,
}

impl Charts {
    fn new(duration: SimTime, sim: &Sim) -> Charts {
        let mut k = 0usize;
        let client_of_node = sim
            .nodes()
            .iter()
            .map(|n| {
                if n.kind != NodeKind::Client {
                    return UNTRACKED;
                }
                k += 1;
                if k <= TRACKED_CLIENTS {
                    (k - 1) as u8
                } else {
                    UNTRACKED
                }
            })
            .collect();
        Charts {
            bucket: SimTime((duration.0 / 200).max(10_000)),
            messages: Vec::new(),
            all: Buckets::default(),
            clients: (0..k.min(TRACKED_CLIENTS))
                .map(|_| Buckets::default())
                .collect(),
            client_of_node,
            client_of_trace: Vec::new(),
        }
    }

    fn slot(&mut self, t: SimTime) -> usize {
        let i = (t.0 / self.bucket.0).min(100_000) as usize;
        if i >= self.messages.len() {
            self.messages.resize(i + 1, 0);
        }
        self.all.grow(i + 1);
        i
    }

    fn client_of(&self, n: NodeId) -> u8 {
        self.client_of_node
            .get(n.0 as usize)
            .copied()
            .unwrap_or(UNTRACKED)
    }

    /// The tracked client whose request `r` belongs to.
    fn client_of_record(&mut self, r: &Record) -> Option<&mut Buckets> {
        if r.trace == TraceId::NONE {
            return None;
        }
        let t = r.trace.0 as usize;
        let from = self.client_of(r.from);
        if from != UNTRACKED {
            if self.client_of_trace.len() <= t {
                self.client_of_trace.resize(t + 1, UNTRACKED);
            }
            self.client_of_trace[t] = from;
        }
        let k = self.client_of_trace.get(t).copied().unwrap_or(UNTRACKED);
        self.clients.get_mut(usize::from(k))
    }

    /// Count one record; `started` gives when the request a client reply answers began.
    fn add(&mut self, r: &Record, to_client: bool, started: impl FnOnce() -> SimTime) {
        let i = self.slot(r.recv);
        if r.kind.is_hop() {
            self.messages[i] += 1;
        }
        let request = matches!(r.kind, Kind::RestRequest | Kind::RpcRequest);
        let retry = request && r.attempt > 1;
        let rejected = request && r.outcome == Outcome::Rejected(RejectReason::BreakerOpen);
        if retry || rejected {
            let s = self.slot(r.send);
            let count = |b: &mut Buckets, at: usize| {
                b.grow(at + 1);
                b.retries[at] += u32::from(retry);
                b.rejections[at] += u32::from(rejected);
            };
            count(&mut self.all, s);
            if let Some(b) = self.client_of_record(r) {
                count(b, s);
            }
        } else if r.trace != TraceId::NONE {
            // Learn which client each trace is as its first record passes.
            let _ = self.client_of_record(r);
        }
        let reply = matches!(
            r.kind,
            Kind::RestResponse | Kind::RpcResponse | Kind::Timeout
        );
        if to_client && reply && !r.late {
            let latency = (r.recv - started()).0.min(u64::from(u32::MAX)) as u32;
            let failed = !r.outcome.is_success();
            let k = self.client_of(r.to);
            for b in std::iter::once(&mut self.all).chain(self.clients.get_mut(usize::from(k))) {
                b.grow(i + 1);
                b.replies[i] += 1;
                b.errors[i] += u32::from(failed);
                b.latencies.get_mut()[i].push(latency);
            }
        }
    }
}

fn pcts(v: &mut [u32]) -> [u32; 3] {
    if v.is_empty() {
        return [0; 3];
    }
    v.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    };
    [at(0.50), at(0.95), at(0.99)]
}

/// The log rows (trace indices) matching one filter, extended as the trace grows.
struct LogRows {
    filter: LogFilter,
    /// The nodes the filter's `node` stands for.
    nodes: Vec<NodeId>,
    needle: String,
    node_hit: Vec<bool>,
    name_hit: Vec<bool>,
    rows: Vec<u32>,
    upto: usize,
}

/// A scheduled fault's window, for the timeline's shaded bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultSpan {
    pub from: NodeId,
    pub to: NodeId,
    pub name: crate::sim::NameId,
    pub start: SimTime,
    /// `None` while the fault is still on.
    pub end: Option<SimTime>,
}

type ViewTopology = (bool, Rc<BTreeSet<String>>, Rc<Topology>);

/// A run being played: the engine and the views' indices over its trace.
pub struct Run {
    pub id: u32,
    pub sim: Sim,
    pub duration: SimTime,
    pub topology: Topology,
    /// The same graph with layers top to bottom, for narrow screens.
    pub topology_vertical: Topology,
    /// Replicated services: name and replica nodes.
    pub groups: Vec<(String, Vec<NodeId>)>,
    /// The topology view's graph last asked for: (vertical, expanded services, graph).
    view_topology: RefCell<Option<ViewTopology>>,
    /// Timeline lanes, top to bottom (clients, then services/queues/topics by layer).
    pub lanes: Vec<NodeId>,
    /// Lane of each node (index = `NodeId`).
    pub lane_of: Vec<usize>,
    /// Records longer than `LONG` (indices into the trace).
    pub long: Vec<u32>,
    /// The longest duration among `long`: a long record ending after `t + long_max` began
    /// after `t`, which bounds the part of `long` a time window needs to look at.
    pub long_max: SimTime,
    pub charts: Charts,
    pub faults: Vec<FaultSpan>,
    /// Number of log rows with no filter.
    pub log_total: usize,
    is_client: Vec<bool>,
    /// Node and interned names in lower case for the log's text filter. ASCII case folding only:
    /// names are ASCII by the language's grammar, and std's Unicode case table would add about
    /// 11 KB gzip to the bundle for labels alone.
    lower_nodes: Vec<String>,
    lower_names: Vec<String>,
    synced: usize,
    /// The rows of the filter asked for last, extended as the trace grows.
    log: RefCell<Option<LogRows>>,
    /// What the record asked for last caused: (record, trace length scanned to, children).
    caused: RefCell<Option<(u32, usize, Vec<u32>)>>,
}

impl Run {
    /// Start a run of `compiled` (compiled once, on Apply) with `seed`.
    pub fn new(id: u32, compiled: &Compiled, seed: u64) -> Run {
        let sim = Sim::start(&compiled.checked, seed);
        let world = &compiled.world;
        let topology = Topology::build(world, &sim, false);
        let topology_vertical = Topology::build(world, &sim, true);
        let mut order: Vec<usize> = (0..sim.nodes().len()).collect();
        order.sort_by(|&a, &b| {
            let (na, nb) = (&topology.nodes[a], &topology.nodes[b]);
            (na.layer, na.y as i64, a).cmp(&(nb.layer, nb.y as i64, b))
        });
        let mut lane_of = vec![0; order.len()];
        for (lane, &n) in order.iter().enumerate() {
            lane_of[n] = lane;
        }
        let mut run = Run {
            id,
            duration: world.run.duration,
            groups: super::topology_layout::replica_groups(&sim),
            view_topology: RefCell::new(None),
            topology,
            topology_vertical,
            lanes: order.iter().map(|&n| NodeId(n as u32)).collect(),
            lane_of,
            long: Vec::new(),
            long_max: SimTime::ZERO,
            charts: Charts::new(world.run.duration, &sim),
            faults: Vec::new(),
            log_total: 0,
            is_client: sim
                .nodes()
                .iter()
                .map(|n| n.kind == NodeKind::Client)
                .collect(),
            lower_nodes: sim
                .nodes()
                .iter()
                .map(|n| n.name.to_ascii_lowercase())
                .collect(),
            lower_names: sim.names().iter().map(|n| n.to_ascii_lowercase()).collect(),
            synced: 0,
            log: RefCell::new(None),
            caused: RefCell::new(None),
            sim,
        };
        // The default filter's rows are kept up to date as the run goes (see `sync`), so the
        // log opens at once even after a run to the end of millions of records.
        *run.log.get_mut() = Some(run.new_log(&LogFilter::default()));
        run
    }

    /// The graph the topology view draws: replicated services stacked but those `expanded`.
    pub fn view_topology(&self, vertical: bool, expanded: &Rc<BTreeSet<String>>) -> Rc<Topology> {
        let mut cell = self.view_topology.borrow_mut();
        if let Some((v, e, t)) = cell.as_ref() {
            if *v == vertical && e == expanded {
                return t.clone();
            }
        }
        let base = if vertical {
            &self.topology_vertical
        } else {
            &self.topology
        };
        let t = Rc::new(base.grouped(self.sim.nodes(), &self.groups, expanded));
        *cell = Some((vertical, expanded.clone(), t.clone()));
        t
    }

    /// The replicated service `n` is a replica of: (name, replicas).
    pub fn group_of(&self, n: NodeId) -> Option<&(String, Vec<NodeId>)> {
        self.groups.iter().find(|g| g.1.contains(&n))
    }

    /// The nodes a log filter's `node` stands for.
    fn filter_nodes(&self, f: &LogFilter) -> Vec<NodeId> {
        match (f.node, f.replicas) {
            (Some(n), true) => self.group_of(n).map_or(vec![n], |g| g.1.clone()),
            (Some(n), false) => vec![n],
            (None, _) => Vec::new(),
        }
    }

    fn new_log(&self, filter: &LogFilter) -> LogRows {
        let needle = filter.text.trim().to_ascii_lowercase();
        let hit = |names: &[String]| -> Vec<bool> {
            names
                .iter()
                .map(|n| !needle.is_empty() && n.contains(needle.as_str()))
                .collect()
        };
        LogRows {
            nodes: self.filter_nodes(filter),
            filter: filter.clone(),
            node_hit: hit(&self.lower_nodes),
            name_hit: hit(&self.lower_names),
            needle,
            rows: Vec::new(),
            upto: 0,
        }
    }

    /// Brings the current filter's rows up to the end of the trace.
    fn catch_up_log(&self, log: &mut Option<LogRows>) {
        let Some(log) = log.as_mut() else {
            return;
        };
        let records = self.sim.trace().records();
        for r in records.range(log.upto..) {
            if in_log(r) && matches(&self.sim, r, log) {
                log.rows.push(r.id.0);
            }
        }
        log.upto = records.len();
    }

    /// Where the run stands, for the reducer.
    pub fn clock(&self) -> Clock {
        Clock {
            run_id: self.id,
            built: true,
            now: self.sim.now(),
            duration: self.duration,
            events: self.sim.events_processed(),
            records: self.sim.trace().len() as u32,
            in_flight: self.sim.in_flight_count(),
            stop: self.sim.stop_reason(),
        }
    }

    /// Advance simulated time by up to `by`, processing at most `cap` events and stopping early
    /// when `out_of_time` says the frame's budget is spent (checked every 64 events). Returns
    /// whether the whole `by` was simulated.
    pub fn advance(
        &mut self,
        by: SimTime,
        cap: u64,
        out_of_time: &mut dyn FnMut() -> bool,
    ) -> bool {
        let target = self.sim.now() + by;
        let mut n = 0u64;
        let mut done = true;
        while self.sim.stop_reason().is_none() {
            match self.sim.next_event_time() {
                Some(t) if t <= target => {
                    if self.sim.step().is_none() {
                        break;
                    }
                    n += 1;
                    if n >= cap || (n.is_multiple_of(64) && out_of_time()) {
                        done = false;
                        break;
                    }
                }
                Some(_) | None => break,
            }
        }
        if done {
            // No event left before the target: move the clock there (stops at the duration).
            self.sim.run_until(target);
        }
        self.sync();
        done
    }

    /// Process exactly one event (if the run can go on). Returns whether one was processed.
    pub fn step(&mut self) -> bool {
        let stepped = self.sim.step().is_some();
        self.sync();
        stepped
    }

    /// Index the records appended since the last call.
    fn sync(&mut self) {
        let records = self.sim.trace().records();
        for r in records.range(self.synced..) {
            if r.duration() > LONG {
                self.long.push(r.id.0);
                self.long_max = self.long_max.max(r.duration());
            }
            if in_log(r) {
                self.log_total += 1;
            }
            match r.kind {
                Kind::FaultStart => self.faults.push(FaultSpan {
                    from: r.from,
                    to: r.to,
                    name: r.name,
                    start: r.send,
                    end: None,
                }),
                Kind::FaultEnd => {
                    let open = self.faults.iter_mut().rev().find(|f| {
                        f.end.is_none() && f.from == r.from && f.to == r.to && f.name == r.name
                    });
                    match open {
                        Some(f) => f.end = Some(r.recv),
                        None => self.faults.push(FaultSpan {
                            from: r.from,
                            to: r.to,
                            name: r.name,
                            start: r.send,
                            end: Some(r.recv),
                        }),
                    }
                }
                _ => {}
            }
            let to_client = self
                .is_client
                .get(r.to.0 as usize)
                .copied()
                .unwrap_or(false);
            let trace = self.sim.trace();
            self.charts.add(r, to_client, || {
                r.cause
                    .and_then(|c| trace.get(c))
                    .map_or(r.send, |c| c.send)
            });
        }
        self.synced = records.len();
        let mut log = self.log.take();
        self.catch_up_log(&mut log);
        *self.log.get_mut() = log;
    }

    /// Trace indices of the log rows matching `filter`, oldest first.
    pub fn log_rows(&self, filter: &LogFilter) -> Ref<'_, [u32]> {
        {
            let mut log = self.log.borrow_mut();
            if log.as_ref().is_none_or(|l| l.filter != *filter) {
                *log = Some(self.new_log(filter));
            }
            self.catch_up_log(&mut log);
        }
        Ref::map(self.log.borrow(), |l| {
            l.as_ref().expect("log rows built above").rows.as_slice()
        })
    }

    /// Records caused directly by `id` (retries, fan-out, deliveries, dead letters, replies…).
    pub fn caused_by(&self, id: RecordId) -> Ref<'_, [u32]> {
        {
            let mut caused = self.caused.borrow_mut();
            let records = self.sim.trace().records();
            let start = match &*caused {
                Some((c, upto, _)) if *c == id.0 => *upto,
                _ => {
                    *caused = Some((id.0, id.0 as usize + 1, Vec::new()));
                    id.0 as usize + 1
                }
            };
            let (_, upto, kids) = caused.as_mut().expect("set above");
            for r in records.range(start.min(records.len())..) {
                if r.cause == Some(id) {
                    kids.push(r.id.0);
                }
            }
            *upto = records.len().max(start);
        }
        Ref::map(self.caused.borrow(), |c| {
            c.as_ref().expect("set above").2.as_slice()
        })
    }

    /// The chain of causes of `id`, nearest first, up to the originating client request.
    pub fn cause_chain(&self, id: RecordId) -> Vec<RecordId> {
        let mut chain = Vec::new();
        let mut at = self.sim.trace().get(id).and_then(|r| r.cause);
        while let Some(c) = at {
            if chain.len() >= 256 || chain.contains(&c) {
                break;
            }
            chain.push(c);
            at = self.sim.trace().get(c).and_then(|r| r.cause);
        }
        chain
    }

    /// Name of a node ("?" when out of range).
    pub fn node_name(&self, n: NodeId) -> &str {
        self.sim
            .nodes()
            .get(n.0 as usize)
            .map_or("?", |n| n.name.as_str())
    }

    /// An interned name ("" when out of range).
    pub fn name(&self, n: crate::sim::NameId) -> &str {
        self.sim
            .names()
            .get(n.0 as usize)
            .map_or("", |n| n.as_str())
    }
}

/// Which records are log rows: every message and event, but not work spans (those are bars on
/// the timeline).
pub fn in_log(r: &Record) -> bool {
    r.kind != Kind::Work
}

fn matches(sim: &Sim, r: &Record, log: &LogRows) -> bool {
    let f = &log.filter;
    if f.node.is_some() && !log.nodes.iter().any(|&n| r.from == n || r.to == n) {
        return false;
    }
    if let Some(m) = f.mechanism {
        if sim.mechanism(r) != m {
            return false;
        }
    }
    let outcome_ok = match f.outcome {
        OutcomeFilter::All => true,
        OutcomeFilter::Success => r.outcome.is_success(),
        OutcomeFilter::Failure => !r.outcome.is_success(),
        OutcomeFilter::Dropped => {
            matches!(r.outcome, Outcome::Dropped(_)) || r.kind == Kind::Discard
        }
        OutcomeFilter::Timeout => r.outcome == Outcome::Timeout || r.kind == Kind::Timeout,
        OutcomeFilter::Retry => r.attempt > 1 || r.outcome == Outcome::Redelivered,
        OutcomeFilter::DeadLetter => {
            r.outcome == Outcome::DeadLettered || r.kind == Kind::DeadLetter
        }
    };
    if !outcome_ok {
        return false;
    }
    if log.needle.is_empty() {
        return true;
    }
    let hit = |v: &[bool], i: u32| v.get(i as usize).copied().unwrap_or(false);
    hit(&log.node_hit, r.from.0)
        || hit(&log.node_hit, r.to.0)
        || hit(&log.name_hit, r.name.0)
        || hit(&log.name_hit, r.label.0)
        || r.kind.as_str().contains(log.needle.as_str())
        || r.outcome
            .to_string()
            .to_ascii_lowercase()
            .contains(log.needle.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{compile, gallery::GALLERY};

    fn run_of(id: &str) -> Run {
        let e = GALLERY.iter().find(|e| e.id == id).expect("gallery entry");
        let c = compile(e.text).expect("gallery compiles");
        Run::new(1, &c, c.seed)
    }

    #[test]
    fn advance_moves_the_clock_by_the_budget_and_indexes_records() {
        let mut run = run_of("checkout");
        assert!(run.advance(SimTime::from_secs(2), u64::MAX, &mut || false));
        assert_eq!(run.sim.now(), SimTime::from_secs(2));
        let clock = run.clock();
        assert!(clock.records > 0 && clock.events > 0);
        let all = run.log_rows(&LogFilter::default()).len();
        let expected = run
            .sim
            .trace()
            .records()
            .iter()
            .filter(|r| in_log(r))
            .count();
        assert_eq!(all, expected);
    }

    #[test]
    fn the_event_cap_stops_a_frame_early() {
        let mut run = run_of("checkout");
        assert!(!run.advance(SimTime::from_secs(10), 50, &mut || false));
        assert_eq!(run.sim.events_processed(), 50);
        assert!(run.sim.now() < SimTime::from_secs(10));
    }

    #[test]
    fn a_filter_to_a_replicated_service_shows_all_its_replicas() {
        let mut run = run_of("lb-sinkhole");
        let n = |name: &str| run.sim.node_id(name).expect(name);
        let replicas = [n("catalog#1"), n("catalog#2"), n("catalog#3")];
        assert_eq!(
            run.group_of(replicas[1]).map(|g| g.0.as_str()),
            Some("catalog")
        );
        assert_eq!(run.group_of(n("shop")), None);
        run.advance(SimTime::from_secs(2), u64::MAX, &mut || false);
        let all = LogFilter {
            node: Some(replicas[0]),
            replicas: true,
            ..LogFilter::default()
        };
        let rows = run.log_rows(&all).to_vec();
        let records = run.sim.trace().records();
        for r in replicas {
            assert!(rows.iter().any(|&i| {
                let rec = records[i as usize];
                rec.from == r || rec.to == r
            }));
        }
        let one = LogFilter {
            node: Some(replicas[0]),
            ..LogFilter::default()
        };
        let first = run.log_rows(&one).len();
        assert!(first > 0 && first < rows.len());
        // The graph the view draws stacks it, once per orientation and expansion.
        let none = Rc::default();
        let t = run.view_topology(false, &none);
        assert!(Rc::ptr_eq(&t, &run.view_topology(false, &none)));
        assert!(!t.nodes[replicas[1].0 as usize].shown);
        let open = Rc::new(BTreeSet::from(["catalog".to_string()]));
        assert!(run.view_topology(false, &open).nodes[replicas[1].0 as usize].shown);
    }

    #[test]
    fn step_processes_exactly_one_event() {
        let mut run = run_of("rest-chain");
        run.advance(SimTime::from_millis(500), u64::MAX, &mut || false);
        let before = run.sim.events_processed();
        assert!(run.step());
        assert_eq!(run.sim.events_processed(), before + 1);
    }

    #[test]
    fn log_filters_extend_incrementally_and_match_a_full_rebuild() {
        let mut run = run_of("checkout");
        let payments = run.sim.node_id("payments").expect("node");
        let filter = LogFilter {
            node: Some(payments),
            text: "charge".into(),
            ..LogFilter::default()
        };
        run.advance(SimTime::from_secs(5), u64::MAX, &mut || false);
        let _ = run.log_rows(&filter).len();
        run.advance(SimTime::from_secs(30), u64::MAX, &mut || false);
        let incremental = run.log_rows(&filter).to_vec();
        *run.log.get_mut() = None;
        let rebuilt = run.log_rows(&filter).to_vec();
        assert_eq!(incremental, rebuilt);
        assert!(!rebuilt.is_empty());
        for &i in &rebuilt {
            let r = run.sim.trace().records()[i as usize];
            assert!(r.from == payments || r.to == payments);
        }
        let again = LogFilter {
            outcome: OutcomeFilter::Retry,
            ..LogFilter::default()
        };
        assert!(
            !run.log_rows(&again).is_empty(),
            "checkout redelivers by 35 s"
        );
    }

    #[test]
    fn the_default_log_rows_keep_up_with_the_run_before_the_log_is_opened() {
        let mut run = run_of("retry-storm");
        run.advance(SimTime::from_secs(20), u64::MAX, &mut || false);
        let log = run
            .log
            .get_mut()
            .as_ref()
            .expect("default rows from the start");
        let len = run.sim.trace().len();
        assert!(len > 1_000, "a storm of records by 20 s");
        assert_eq!(log.upto, len, "indexed as the records arrived");
        let kept = log.rows.clone();
        *run.log.get_mut() = None;
        assert_eq!(
            &*run.log_rows(&LogFilter::default()),
            &kept[..],
            "same as a rebuild"
        );
    }

    #[test]
    fn cause_chains_end_at_a_client_request_and_children_point_back() {
        let mut run = run_of("checkout");
        run.advance(SimTime::from_secs(3), u64::MAX, &mut || false);
        let ack = run
            .sim
            .trace()
            .records()
            .iter()
            .find(|r| r.kind == Kind::Ack)
            .copied()
            .expect("an ack by 3 s");
        let chain = run.cause_chain(ack.id);
        let root = run
            .sim
            .trace()
            .get(*chain.last().expect("has causes"))
            .copied()
            .expect("root");
        assert_eq!(root.kind, Kind::RestRequest);
        assert!(root.cause.is_none());
        let kids = run.caused_by(root.id).to_vec();
        assert!(!kids.is_empty());
        for k in kids {
            assert_eq!(run.sim.trace().records()[k as usize].cause, Some(root.id));
        }
    }

    #[test]
    fn charts_count_client_replies_with_latency() {
        let mut run = run_of("rest-chain");
        run.advance(SimTime::from_secs(5), u64::MAX, &mut || false);
        let replies: u32 = run.charts.all.replies.iter().sum();
        assert!(replies > 100, "{replies}");
        let p = run.charts.all.percentiles(run.sim.now(), run.charts.bucket);
        assert!(p.iter().any(|b| b[0] > 0 && b[0] <= b[1] && b[1] <= b[2]));
        // One client: its series is the whole run's.
        assert_eq!(run.charts.clients.len(), 1);
        assert_eq!(run.charts.clients[0].replies, run.charts.all.replies);
    }

    /// Each client's series counts its own replies, and the retries and breaker rejections made
    /// for its requests, handlers' included; together they are the whole run's.
    #[test]
    fn charts_keep_a_series_per_client_with_retries_and_rejections() {
        let mut run = run_of("circuit-breaker");
        run.advance(SimTime::from_secs(20), u64::MAX, &mut || false);
        let c = &run.charts;
        assert_eq!(c.clients.len(), 2);
        let sum = |v: &[u32]| v.iter().map(|&n| u64::from(n)).sum::<u64>();
        for field in [
            |b: &Buckets| b.replies.clone(),
            |b: &Buckets| b.errors.clone(),
            |b: &Buckets| b.retries.clone(),
            |b: &Buckets| b.rejections.clone(),
        ] {
            assert_eq!(
                sum(&field(&c.all)),
                sum(&field(&c.clients[0])) + sum(&field(&c.clients[1]))
            );
        }
        let m = run.sim.metrics();
        for k in 0..2 {
            assert_eq!(sum(&c.clients[k].replies), m.clients[k].completed);
        }
        // Only the protected page has a breaker: its client sees the rejections.
        assert_eq!(sum(&c.clients[0].rejections), 0);
        assert!(sum(&c.clients[1].rejections) > 0);
        // Retries in handlers count for the client they serve.
        let mut retried = run_of("retry-storm");
        retried.advance(SimTime::from_secs(12), u64::MAX, &mut || false);
        let handler_retries: u64 = retried.sim.metrics().calls.iter().map(|c| c.retries).sum();
        let charted = sum(&retried.charts.all.retries);
        assert!(
            charted > 0 && charted + 100 >= handler_retries,
            "{charted} vs {handler_retries}"
        );
        assert!(sum(&retried.charts.clients[0].retries) > sum(&retried.charts.clients[1].retries));
    }
}
