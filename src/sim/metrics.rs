//! Metrics kept while a run advances, all in simulated time: a log-bucketed latency histogram
//! (HDR-style, relative error < 0.4%), fixed-interval time series for charts, and per-endpoint,
//! per-consumer, per-client, per-service and per-mailbox counters.

use crate::sim::time::SimTime;
use crate::sim::world::Status;
use std::collections::BTreeMap;

/// Sub-buckets per power of two. Bucket width / lower bound ≤ 1/128, and a value is reported as
/// its bucket's midpoint, so the relative error is < 1/256 ≈ 0.4%.
const SUB: u64 = 128;
const SUB_BITS: u32 = 7;

/// A latency histogram over microseconds: exact below 256 µs, then 128 log-spaced buckets per
/// power of two. Tracks the exact count, sum, min and max alongside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < 2 * SUB {
        v as usize
    } else {
        let msb = 63 - v.leading_zeros(); // ≥ 8
        let shift = msb - SUB_BITS; // ≥ 1
        let sub = (v >> shift) - SUB; // 0..128
        (2 * SUB + u64::from(shift - 1) * SUB + sub) as usize
    }
}

/// Lowest value and width of a bucket.
fn bucket_range(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < 2 * SUB {
        (i, 1)
    } else {
        let shift = (i - 2 * SUB) / SUB + 1;
        let sub = (i - 2 * SUB) % SUB;
        ((SUB + sub) << shift, 1u64 << shift)
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram::default()
    }
    /// Add one value.
    #[inline]
    pub fn record(&mut self, t: SimTime) {
        let v = t.0;
        let b = bucket_of(v);
        if b >= self.counts.len() {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        if v > self.max {
            self.max = v;
        }
        self.count += 1;
        self.sum += u128::from(v);
    }
    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Exact mean in microseconds (0 when empty).
    pub fn mean_micros(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
    /// Exact largest value.
    pub fn max(&self) -> SimTime {
        SimTime(self.max)
    }
    /// Exact smallest value.
    pub fn min(&self) -> SimTime {
        SimTime(self.min)
    }
    /// The value at quantile `q` in `[0, 1]` (nearest-rank), within 0.4% of the exact one;
    /// clamped to the exact min and max. Zero when empty.
    pub fn quantile(&self, q: f64) -> SimTime {
        if self.count == 0 {
            return SimTime::ZERO;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = (libm::ceil(q * self.count as f64) as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, w) = bucket_range(i);
                let mid = lo + (w - 1) / 2;
                return SimTime(mid.clamp(self.min, self.max));
            }
        }
        SimTime(self.max)
    }
    /// Median.
    pub fn p50(&self) -> SimTime {
        self.quantile(0.50)
    }
    /// 95th percentile.
    pub fn p95(&self) -> SimTime {
        self.quantile(0.95)
    }
    /// 99th percentile.
    pub fn p99(&self) -> SimTime {
        self.quantile(0.99)
    }
}

/// One point of a time series: the state at the end of an interval and the peak within it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeriesPoint {
    /// Waiting items (queue depth, or service backlog) at the end of the interval.
    pub depth: u32,
    /// Highest depth seen within the interval.
    pub max_depth: u32,
    /// Items being processed (delivered-unacked, or busy workers) at the end of the interval.
    pub in_flight: u32,
}

/// Fixed-interval samples: point `i` covers `[i·interval, (i+1)·interval)`. Updated on every
/// change, so no change is missed by the peaks. Capped at 100 000 points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// Width of one point.
    pub interval: SimTime,
    /// The points, from time zero up to the last change.
    pub points: Vec<SeriesPoint>,
    /// End of the last point's interval: changes before it need no division.
    end: u64,
}

const SERIES_CAP: u64 = 100_000;

impl Series {
    pub(crate) fn new(interval: SimTime) -> Series {
        let interval = interval.0.max(1);
        Series {
            interval: SimTime(interval),
            points: vec![SeriesPoint::default()],
            end: interval,
        }
    }
    #[inline]
    pub(crate) fn update(&mut self, now: SimTime, depth: u32, in_flight: u32) {
        if now.0 < self.end {
            if let Some(p) = self.points.last_mut() {
                p.depth = depth;
                p.in_flight = in_flight;
                p.max_depth = p.max_depth.max(depth);
            }
            return;
        }
        let idx = now.0 / self.interval.0;
        if idx >= SERIES_CAP {
            return;
        }
        self.end = (idx + 1).saturating_mul(self.interval.0);
        let idx = idx as usize;
        if idx >= self.points.len() {
            let last = *self.points.last().expect("series starts with one point");
            let carry = SeriesPoint {
                depth: last.depth,
                max_depth: last.depth,
                in_flight: last.in_flight,
            };
            self.points.resize(idx + 1, carry);
        }
        let p = &mut self.points[idx];
        p.depth = depth;
        p.in_flight = in_flight;
        p.max_depth = p.max_depth.max(depth);
    }
}

/// Time-weighted accounting of a level (depth, in-system count): exact integral over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub value: u64,
    pub since: SimTime,
    pub area: u128,
    pub max: u64,
}

impl Level {
    #[inline]
    pub fn set(&mut self, now: SimTime, v: u64) {
        self.area += u128::from(self.value) * u128::from(now.0 - self.since.0);
        self.since = now;
        self.value = v;
        self.max = self.max.max(v);
    }
    /// Time average over `[0, now]`.
    pub fn mean(&self, now: SimTime) -> f64 {
        if now.0 == 0 {
            return self.value as f64;
        }
        let area = self.area + u128::from(self.value) * u128::from(now.0 - self.since.0);
        area as f64 / now.0 as f64
    }
}

/// Count one `status` in a by-status map. Every reply and every client outcome passes here, and
/// the status is nearly always one seen before: updating in place searches the tree once, where
/// `entry().or_insert()` also built and matched an entry each time.
#[inline]
pub(crate) fn count_status(map: &mut BTreeMap<Status, u64>, status: Status) {
    match map.get_mut(&status) {
        Some(n) => *n += 1,
        None => {
            map.insert(status, 1);
        }
    }
}

/// Per REST endpoint / RPC method (server side): latency is from the request's arrival at the
/// service to the reply being sent (backlog wait + handler).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointMetrics {
    /// Requests that arrived.
    pub requests: u64,
    /// Replies sent, by status (successes included).
    pub replies: BTreeMap<Status, u64>,
    /// Replies that were errors (not 2xx/3xx, not OK).
    pub errors: u64,
    /// Requests refused because the backlog was full.
    pub rejected: u64,
    /// Requests admitted for a call whose earlier attempt had already been admitted: the
    /// handler's work (and its effects) done again because of a retry.
    pub repeats: u64,
    /// Requests answered from the idempotency-key store, without running the handler.
    pub replayed: u64,
    /// Time in system, arrival → reply.
    pub latency: Histogram,
}

impl EndpointMetrics {
    /// Requests per second over `[0, now]`.
    pub fn throughput(&self, now: SimTime) -> f64 {
        throughput(self.requests, now)
    }
    /// Fraction of replies that were errors (0 when none were sent).
    pub fn error_rate(&self) -> f64 {
        let n: u64 = self.replies.values().sum();
        if n == 0 {
            0.0
        } else {
            self.errors as f64 / n as f64
        }
    }
}

/// Per queue/subscription consumer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerMetrics {
    /// Deliveries that reached the consumer.
    pub delivered: u64,
    /// Acks that removed a message (an ack lost on the way, or refused, does not count).
    pub acked: u64,
    /// Acks and nacks refused because the delivery they answer was superseded (the message was
    /// delivered again, dead-lettered or discarded since).
    pub stale_acks: u64,
    /// Handlers that ended in nack (`nack` steps; failures in subscription consumers).
    pub nacked: u64,
    /// Queue consumers' handlers that failed without acking: the message comes back when its
    /// visibility timeout ends (SQS has no nack).
    pub failed: u64,
    /// Delivery arrival → handler end.
    pub latency: Histogram,
}

impl ConsumerMetrics {
    /// Deliveries per second over `[0, now]`.
    pub fn throughput(&self, now: SimTime) -> f64 {
        throughput(self.delivered, now)
    }
}

/// Per call site (one `call` step, or one client's target): what its calls cost, so retries
/// made inside handlers are as visible as a client's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallMetrics {
    /// Attempts sent (first tries and retries).
    pub attempts: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Retries and hedges the call site's retry budget refused (gRPC's retry throttling).
    pub throttled: u64,
    /// Hedged attempts sent (attempts after the first of a hedged call).
    pub hedges: u64,
    /// Attempts that ran out of time (their own limit or the call's deadline).
    pub attempt_timeouts: u64,
    /// Calls that ended in success.
    pub ok: u64,
    /// Calls that ended because their time ran out.
    pub timed_out: u64,
    /// Calls that ended in another failure (an error status, a breaker rejection…).
    pub failed: u64,
    /// Calls that had to wait for a connection of the call site's pool.
    pub pool_waited: u64,
    /// Calls that waited for a connection longer than the pool's wait, and failed unsent.
    pub pool_timeouts: u64,
    /// Most connections of the pool in use at once.
    pub pool_max_in_use: u32,
    /// Most calls waiting for a connection at once.
    pub pool_max_waiting: u32,
}

/// Per client (caller side, including network, retries and backoff).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientMetrics {
    /// Requests started.
    pub sent: u64,
    /// Requests finished (success or final failure).
    pub completed: u64,
    /// Final outcomes by the status received. A request the client gave up on (its own
    /// timeout) has no status: it is counted in `timed_out` instead.
    pub outcomes: BTreeMap<Status, u64>,
    /// Final outcomes that were errors (`timed_out` included).
    pub errors: u64,
    /// Requests the client gave up on when its own timeout (or deadline) ran out.
    pub timed_out: u64,
    /// Requests whose connection was refused or reset (after any retries): no status either.
    pub connection_errors: u64,
    /// Attempts that timed out (including retried ones).
    pub timeouts: u64,
    /// Retries issued.
    pub retries: u64,
    /// Attempts refused by an open breaker.
    pub breaker_rejections: u64,
    /// Start of first attempt → final outcome.
    pub latency: Histogram,
    /// Final outcomes that were successes (2xx/3xx, OK): answered in time, since an answer
    /// after the call's whole timeout is late and the call already ended as `timed_out`.
    pub ok: u64,
    /// A client of users: users waiting for an answer (a call in progress, retries included).
    pub(crate) waiting: Level,
    /// A client of users: users thinking (between an answer and their next request).
    pub(crate) thinking: Level,
    /// A client of users: users over time, `depth` = waiting for an answer, `in_flight` =
    /// thinking. `None` for a rate-driven client.
    pub users_series: Option<Series>,
}

impl ClientMetrics {
    /// Completed requests per second over `[0, now]`: every final answer, failures included.
    pub fn throughput(&self, now: SimTime) -> f64 {
        throughput(self.completed, now)
    }
    /// Goodput: successful answers per second over `[0, now]`.
    pub fn goodput(&self, now: SimTime) -> f64 {
        throughput(self.ok, now)
    }
    /// A client of users: users waiting for an answer now.
    pub fn users_waiting(&self) -> u64 {
        self.waiting.value
    }
    /// A client of users: users thinking now.
    pub fn users_thinking(&self) -> u64 {
        self.thinking.value
    }
    /// Time-average number of users waiting over `[0, now]`.
    pub fn mean_waiting(&self, now: SimTime) -> f64 {
        self.waiting.mean(now)
    }
    /// Time-average number of users thinking over `[0, now]`.
    pub fn mean_thinking(&self, now: SimTime) -> f64 {
        self.thinking.mean(now)
    }
}

/// Per service: worker pool and backlog over time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceMetrics {
    /// Requests refused with a full backlog.
    pub rejected: u64,
    /// Requests refused by the rate limiter (no token).
    pub rate_limited: u64,
    /// Requests shed: they waited longer than `shed-after` for a worker.
    pub shed: u64,
    /// Work spans lost to crashes.
    pub lost_to_crash: u64,
    /// `depth` = backlog, `in_flight` = busy workers.
    pub series: Series,
    pub(crate) in_system: Level,
    pub(crate) backlog: Level,
}

impl ServiceMetrics {
    /// Time-average number of requests in the service (busy + waiting) up to `now`.
    pub fn mean_in_system(&self, now: SimTime) -> f64 {
        self.in_system.mean(now)
    }
    /// Time-average backlog length up to `now`.
    pub fn mean_backlog(&self, now: SimTime) -> f64 {
        self.backlog.mean(now)
    }
    /// Largest backlog seen.
    pub fn max_backlog(&self) -> u64 {
        self.backlog.max
    }
}

/// Per queue or subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxMetrics {
    /// Messages accepted.
    pub accepted: u64,
    /// Messages refused (full, reject policy).
    pub rejected: u64,
    /// Messages evicted (full, drop-oldest policy).
    pub evicted: u64,
    /// Deliveries dispatched (first and repeated).
    pub deliveries: u64,
    /// Messages removed by an ack.
    pub acked: u64,
    /// Acks and nacks refused: the delivery they answer was superseded.
    pub stale_acks: u64,
    /// Visibility timeouts / ack deadlines extended because the consumer still held the message.
    pub extensions: u64,
    /// Times a message became available again (visibility / ack deadline expiry, nack).
    pub redeliveries: u64,
    /// Messages dead-lettered (moved to a DLQ or discarded for lack of one).
    pub dead_letters: u64,
    /// Subscriptions only: published messages skipped by the attribute filter.
    pub filtered: u64,
    /// `depth` = waiting messages, `in_flight` = delivered but not yet acked.
    pub series: Series,
    pub(crate) depth: Level,
    pub(crate) in_flight: Level,
}

impl MailboxMetrics {
    /// Time-average depth (waiting messages) up to `now`.
    pub fn mean_depth(&self, now: SimTime) -> f64 {
        self.depth.mean(now)
    }
    /// Largest depth seen.
    pub fn max_depth(&self) -> u64 {
        self.depth.max
    }
    /// Time-average delivered-unacked count up to `now`.
    pub fn mean_in_flight(&self, now: SimTime) -> f64 {
        self.in_flight.mean(now)
    }
}

/// Whole-run counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Events processed.
    pub events: u64,
    /// Messages sent over the network (requests, responses, queue/topic traffic, acks).
    pub messages: u64,
    /// Records produced (whether or not the trace is kept).
    pub records: u64,
    /// Messages lost (loss, partition, crashed receiver).
    pub dropped: u64,
    /// Client requests started.
    pub requests: u64,
}

/// Counts of one load balancer (a replicated service's), per replica in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BalancerMetrics {
    /// Attempts it sent to each replica (refused connections included, which never reach
    /// the replica's endpoint counts).
    pub sent: Vec<u64>,
    /// Attempts to each replica that ended in a server error as outlier detection counts
    /// them (5xx, refused or reset connection, timeout).
    pub errors: Vec<u64>,
    /// Times each replica was taken out of rotation.
    pub ejections: Vec<u64>,
}

/// Counts of one read-through cache, and its lookups per time bucket (for the hit ratio over
/// time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheMetrics {
    /// Lookups answered from a fresh entry.
    pub hits: u64,
    /// Lookups that found no fresh entry and fetched.
    pub misses: u64,
    /// Lookups that found no fresh entry and joined a fetch already under way.
    pub joined: u64,
    /// Entries written by a successful fetch.
    pub fills: u64,
    /// Entries dropped to make room (least recently used first).
    pub evictions: u64,
    /// Entries found stale by a lookup.
    pub expired: u64,
    /// Entries dropped by `flush` faults.
    pub flushed: u64,
    /// Entries now.
    pub entries: u64,
    /// Width of a bucket of `buckets`.
    pub interval: SimTime,
    /// Per bucket of `interval` from 0: (hits, lookups).
    pub buckets: Vec<(u32, u32)>,
}

impl CacheMetrics {
    /// Share of lookups that hit, over the run (0 with no lookups).
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses + self.joined;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }

    /// Count a lookup at `now`.
    pub(crate) fn lookup(&mut self, now: SimTime, hit: bool) {
        let b = (now.0 / self.interval.0.max(1)) as usize;
        if self.buckets.len() <= b {
            self.buckets.resize(b + 1, (0, 0));
        }
        let x = &mut self.buckets[b];
        x.0 += u32::from(hit);
        x.1 += 1;
    }
}

/// All metrics of a run. Vectors are indexed like the world: `endpoints` in service order then
/// declaration order, `consumers` likewise, `clients` in world order, `services` in world order
/// with each replica of a replicated service in turn, `mailboxes` queues first then
/// subscriptions topic by topic, `balancers` in the order of the replicated services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metrics {
    /// Totals.
    pub totals: Totals,
    /// Per endpoint.
    pub endpoints: Vec<EndpointMetrics>,
    /// Per consumer.
    pub consumers: Vec<ConsumerMetrics>,
    /// Per client.
    pub clients: Vec<ClientMetrics>,
    /// Per service.
    pub services: Vec<ServiceMetrics>,
    /// Per queue / subscription.
    pub mailboxes: Vec<MailboxMetrics>,
    /// Per call site, in the order of `Sim::call_site_label`.
    pub calls: Vec<CallMetrics>,
    /// Per load balancer.
    pub balancers: Vec<BalancerMetrics>,
    /// Per cache.
    pub caches: Vec<CacheMetrics>,
}

impl Metrics {
    /// Zeroed metrics for every part of `prog`, with time series in buckets of `interval`.
    pub(crate) fn new(prog: &crate::sim::compile::Program, interval: SimTime) -> Metrics {
        let (endpoints, consumers, clients) = (
            prog.endpoints.len(),
            prog.consumers.len(),
            prog.clients.len(),
        );
        let (services, mailboxes, calls) =
            (prog.services.len(), prog.mailboxes.len(), prog.calls.len());
        let balancers: Vec<usize> = prog.balancers.iter().map(|b| b.replicas.len()).collect();
        Metrics {
            totals: Totals::default(),
            endpoints: vec![EndpointMetrics::default(); endpoints],
            consumers: vec![ConsumerMetrics::default(); consumers],
            clients: vec![ClientMetrics::default(); clients],
            services: vec![
                ServiceMetrics {
                    rejected: 0,
                    rate_limited: 0,
                    shed: 0,
                    lost_to_crash: 0,
                    series: Series::new(interval),
                    in_system: Level::default(),
                    backlog: Level::default(),
                };
                services
            ],
            mailboxes: vec![
                MailboxMetrics {
                    accepted: 0,
                    rejected: 0,
                    evicted: 0,
                    deliveries: 0,
                    acked: 0,
                    stale_acks: 0,
                    extensions: 0,
                    redeliveries: 0,
                    dead_letters: 0,
                    filtered: 0,
                    series: Series::new(interval),
                    depth: Level::default(),
                    in_flight: Level::default(),
                };
                mailboxes
            ],
            calls: vec![CallMetrics::default(); calls],
            balancers: balancers
                .iter()
                .map(|&n| BalancerMetrics {
                    sent: vec![0; n],
                    errors: vec![0; n],
                    ejections: vec![0; n],
                })
                .collect(),
            caches: vec![
                CacheMetrics {
                    interval,
                    ..CacheMetrics::default()
                };
                prog.caches.len()
            ],
        }
    }
}

/// Requests per second given a count over a span of simulated time (0 for an empty span).
pub fn throughput(count: u64, over: SimTime) -> f64 {
    if over.0 == 0 {
        0.0
    } else {
        count as f64 / over.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dist::SimRng;

    #[test]
    fn buckets_are_contiguous_and_monotone() {
        // Exact buckets below 256, then 56 groups of 128 (shift 1..=56) up to u64::MAX.
        let total = (2 * SUB + 56 * SUB) as usize;
        let mut prev_end = 0u64;
        for i in 0..total {
            let (lo, w) = bucket_range(i);
            assert_eq!(lo, prev_end, "bucket {i}");
            assert_eq!(bucket_of(lo), i);
            let hi = lo + (w - 1);
            assert_eq!(bucket_of(hi), i);
            prev_end = hi.wrapping_add(1);
        }
        assert_eq!(prev_end, 0, "the last bucket ends at u64::MAX");
        assert_eq!(bucket_of(u64::MAX), total - 1);
    }

    #[test]
    fn quantiles_within_one_percent() {
        // Log-uniform values over 1 µs .. 100 s: compare against exact order statistics.
        let mut rng = SimRng::new(11);
        let mut h = Histogram::new();
        let mut vals = Vec::new();
        for _ in 0..100_000 {
            let v = libm::exp(rng.unit() * libm::log(1e8)) as u64;
            vals.push(v);
            h.record(SimTime(v));
        }
        vals.sort_unstable();
        for q in [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let rank = (libm::ceil(q * vals.len() as f64) as usize).clamp(1, vals.len());
            let exact = vals[rank - 1] as f64;
            let got = h.quantile(q).0 as f64;
            let err = (got - exact).abs() / exact.max(1.0);
            assert!(err <= 0.01, "q={q} exact={exact} got={got} err={err}");
        }
        assert_eq!(h.max().0, *vals.last().expect("non-empty"));
        assert_eq!(h.count(), 100_000);
    }

    #[test]
    fn every_value_maps_within_error_bound() {
        for v in (1..2_000_000u64)
            .step_by(997)
            .chain([u64::MAX / 3, u64::MAX])
        {
            let (lo, w) = bucket_range(bucket_of(v));
            let mid = lo + (w - 1) / 2;
            let err = (mid as f64 - v as f64).abs() / v as f64;
            assert!(err < 0.004, "v={v} mid={mid}");
        }
    }

    #[test]
    fn series_carries_forward_and_tracks_peaks() {
        let mut s = Series::new(SimTime(10));
        s.update(SimTime(3), 5, 1);
        s.update(SimTime(4), 2, 1);
        s.update(SimTime(35), 0, 0);
        assert_eq!(s.points.len(), 4);
        assert_eq!(
            s.points[0],
            SeriesPoint {
                depth: 2,
                max_depth: 5,
                in_flight: 1
            }
        );
        assert_eq!(
            s.points[2],
            SeriesPoint {
                depth: 2,
                max_depth: 2,
                in_flight: 1
            }
        );
        assert_eq!(
            s.points[3],
            SeriesPoint {
                depth: 0,
                max_depth: 2,
                in_flight: 0
            }
        );
    }

    #[test]
    fn level_integrates_exactly() {
        let mut l = Level::default();
        l.set(SimTime(10), 2);
        l.set(SimTime(20), 0);
        assert_eq!(l.mean(SimTime(40)), 0.5);
    }
}
