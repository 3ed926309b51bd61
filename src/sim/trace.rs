//! The trace: an append-only, chunked list of compact `Record`s, one per message hop, work span,
//! timeout, dead letter, breaker transition and fault edge; its canonical byte encoding and hash;
//! and the stable one-line text form used by golden tests and the CLI.
//!
//! A record is appended when its outcome is known (a message when it arrives or is dropped, a
//! span when it ends) and never changes afterwards. Every view is a projection of this list.

use crate::sim::chunked::{Chunked, Iter, View};
use crate::sim::time::SimTime;
use crate::sim::world::GrpcCode;
use std::fmt::Write as _;

/// Index of a record in the trace (record `n` is `trace.records()[n]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u32);

/// Identifies one originating client request; every record it causes (across REST, RPC, queues
/// and pub/sub) carries the same trace id. Faults and breaker transitions use `TraceId::NONE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceId(pub u32);

impl TraceId {
    /// "Not part of any request".
    pub const NONE: TraceId = TraceId(u32::MAX);
}

/// Interned node (service, queue, topic, subscription or client); index into `Sim::nodes()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Interned name (endpoint, method, queue, topic, message label, fault text); index into
/// `Sim::names()`. `NameId::EMPTY` is the empty string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameId(pub u32);

impl NameId {
    /// The empty name (no label).
    pub const EMPTY: NameId = NameId(0);
}

/// What a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    /// REST request hop, caller → callee.
    RestRequest = 0,
    /// REST response hop, callee → caller.
    RestResponse = 1,
    /// RPC request hop.
    RpcRequest = 2,
    /// RPC response hop.
    RpcResponse = 3,
    /// Producer → queue.
    Enqueue = 4,
    /// Queue → consumer.
    QueueDeliver = 5,
    /// Producer → topic.
    Publish = 6,
    /// Topic → subscription (inside the broker; no network).
    Fanout = 7,
    /// Subscription → consumer.
    SubscriptionDeliver = 8,
    /// Consumer → queue/subscription acknowledgement.
    Ack = 9,
    /// Consumer → queue/subscription negative acknowledgement.
    Nack = 10,
    /// A span of work on a service (from = to = the service).
    Work = 11,
    /// A deadline passed: a call timeout (callee → caller, send = attempt sent), or a visibility /
    /// ack deadline (mailbox → consumer, send = delivered; outcome Redelivered or DeadLettered).
    Timeout = 12,
    /// A message out of attempts leaves its mailbox: to the dead-letter queue (mailbox → DLQ,
    /// outcome DeadLettered, or Dropped(Overflow) if the DLQ is full), or, with no DLQ
    /// configured, nowhere (mailbox → itself, Dropped(NoDeadLetterQueue)).
    DeadLetter = 13,
    /// A waiting message evicted by a full drop-oldest mailbox (Dropped(Overflow)).
    Discard = 14,
    /// Circuit breaker transition on the edge caller → callee; outcome carries the new state.
    Breaker = 15,
    /// A scheduled fault begins (name = its description).
    FaultStart = 16,
    /// A scheduled fault ends.
    FaultEnd = 17,
    /// A load balancer takes a replica out of rotation (outlier ejection; from = to = the
    /// replica, name = its service).
    Eject = 18,
    /// An ejected replica is back in rotation (send = when it was ejected).
    Return = 19,
    /// A call looked its key up in a read-through cache (from = to = the caller, name = the
    /// cache; outcome `Cache(Hit | Miss | Joined)`).
    Cache = 20,
}

impl Kind {
    /// Short lower-case word used in the text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RestRequest => "rest",
            Kind::RestResponse => "rest-reply",
            Kind::RpcRequest => "rpc",
            Kind::RpcResponse => "rpc-reply",
            Kind::Enqueue => "enqueue",
            Kind::QueueDeliver => "deliver",
            Kind::Publish => "publish",
            Kind::Fanout => "fanout",
            Kind::SubscriptionDeliver => "deliver",
            Kind::Ack => "ack",
            Kind::Nack => "nack",
            Kind::Work => "work",
            Kind::Timeout => "timeout",
            Kind::DeadLetter => "dead-letter",
            Kind::Discard => "discard",
            Kind::Breaker => "breaker",
            Kind::FaultStart => "fault",
            Kind::FaultEnd => "fault-end",
            Kind::Eject => "eject",
            Kind::Return => "return",
            Kind::Cache => "cache",
        }
    }
    /// Whether the record is a message travelling between two nodes over the network.
    pub fn is_hop(self) -> bool {
        match self {
            Kind::RestRequest
            | Kind::RestResponse
            | Kind::RpcRequest
            | Kind::RpcResponse
            | Kind::Enqueue
            | Kind::QueueDeliver
            | Kind::Publish
            | Kind::SubscriptionDeliver
            | Kind::Ack
            | Kind::Nack => true,
            Kind::Fanout
            | Kind::Work
            | Kind::Timeout
            | Kind::DeadLetter
            | Kind::Discard
            | Kind::Breaker
            | Kind::FaultStart
            | Kind::FaultEnd
            | Kind::Eject
            | Kind::Return
            | Kind::Cache => false,
        }
    }
    /// The communication mechanism, for colouring. Ack/Nack/DeadLetter/Discard are reported as
    /// `Queue`; use `Sim::mechanism` (a record) or `Sim::hop_mechanism` (a message in flight) to
    /// tell queue from pub/sub by the nodes involved.
    pub fn mechanism(self) -> Mechanism {
        match self {
            Kind::RestRequest | Kind::RestResponse => Mechanism::Rest,
            Kind::RpcRequest | Kind::RpcResponse => Mechanism::Rpc,
            Kind::Enqueue
            | Kind::QueueDeliver
            | Kind::Ack
            | Kind::Nack
            | Kind::DeadLetter
            | Kind::Discard => Mechanism::Queue,
            Kind::Publish | Kind::Fanout | Kind::SubscriptionDeliver => Mechanism::PubSub,
            Kind::Work
            | Kind::Timeout
            | Kind::Breaker
            | Kind::FaultStart
            | Kind::FaultEnd
            | Kind::Eject
            | Kind::Return
            | Kind::Cache => Mechanism::Internal,
        }
    }
}

/// The four ways services talk, plus engine-internal records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// Synchronous HTTP-style request/response.
    Rest,
    /// Synchronous gRPC-style unary call.
    Rpc,
    /// Point-to-point queue.
    Queue,
    /// Topic and subscriptions.
    PubSub,
    /// Work spans, timeouts, breaker and fault markers.
    Internal,
}

/// How every view and export presents a mechanism: one table, so the log, the timeline, the
/// topology and the files agree.
impl Mechanism {
    /// Every mechanism, in the order filters and legends list them.
    pub const ALL: [Mechanism; 5] = [
        Mechanism::Rest,
        Mechanism::Rpc,
        Mechanism::Queue,
        Mechanism::PubSub,
        Mechanism::Internal,
    ];

    /// Short lower-case name, as used in every export and in filter values.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Rest => "rest",
            Mechanism::Rpc => "rpc",
            Mechanism::Queue => "queue",
            Mechanism::PubSub => "pubsub",
            Mechanism::Internal => "internal",
        }
    }

    /// The mechanism named by `as_str`.
    pub fn from_slug(s: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Short label, as shown in chips and legends.
    pub fn label(self) -> &'static str {
        match self {
            Mechanism::Rest => "REST",
            Mechanism::Rpc => "RPC",
            Mechanism::Queue => "Queue",
            Mechanism::PubSub => "Pub/Sub",
            Mechanism::Internal => "Event",
        }
    }

    /// What a filter on the mechanism keeps, in words.
    pub fn filter_label(self) -> &'static str {
        match self {
            Mechanism::Internal => "Events (timeouts, faults…)",
            m => m.label(),
        }
    }

    /// The colour token (the CSS class that colours it: `mech-rest`, …).
    pub fn colour(self) -> &'static str {
        match self {
            Mechanism::Rest => "mech-rest",
            Mechanism::Rpc => "mech-rpc",
            Mechanism::Queue => "mech-queue",
            Mechanism::PubSub => "mech-pubsub",
            Mechanism::Internal => "mech-internal",
        }
    }
}

/// Why a message or stored message was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum DropReason {
    /// Random network loss.
    Loss = 0,
    /// Sender and receiver were on opposite sides of a partition when it was sent.
    Partition = 1,
    /// The receiver was crashed when it arrived (or the work was running when it crashed).
    Crashed = 2,
    /// Evicted by a drop-oldest queue, or a dead-letter queue was full.
    Overflow = 3,
    /// Dead-lettered with no dead-letter queue configured.
    NoDeadLetterQueue = 4,
}

impl DropReason {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Crashed => "crashed",
            DropReason::Overflow => "overflow",
            DropReason::NoDeadLetterQueue => "no-dlq",
        }
    }
}

/// Why a request or message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RejectReason {
    /// All workers busy and the backlog full.
    BacklogFull = 0,
    /// Queue or subscription at capacity with the reject policy.
    QueueFull = 1,
    /// Circuit breaker open (the call never left the caller).
    BreakerOpen = 2,
    /// Ack/nack for a delivery that had already timed out and been redelivered.
    StaleAck = 3,
    /// The propagated deadline had already passed before the call could be sent / started.
    DeadlinePassed = 4,
    /// Nothing listens at the destination: its process is down on a live host (TCP RST to the
    /// connection attempt).
    Refused = 5,
    /// The connection broke while the request was being handled: the server's process died.
    Reset = 6,
    /// The service's rate limiter had no token for the request (429 / RESOURCE_EXHAUSTED).
    RateLimited = 7,
    /// No connection of the caller's pool came free within its wait (the call never left).
    PoolTimeout = 8,
}

impl RejectReason {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::BacklogFull => "backlog-full",
            RejectReason::QueueFull => "queue-full",
            RejectReason::BreakerOpen => "breaker-open",
            RejectReason::StaleAck => "stale",
            RejectReason::DeadlinePassed => "deadline-passed",
            RejectReason::Refused => "refused",
            RejectReason::Reset => "reset",
            RejectReason::RateLimited => "rate-limited",
            RejectReason::PoolTimeout => "pool-timeout",
        }
    }
}

/// Circuit breaker state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum BreakerState {
    /// Calls flow; outcomes are counted.
    Closed = 0,
    /// Calls are rejected at once.
    Open = 1,
    /// A limited number of probe calls flow.
    HalfOpen = 2,
}

impl BreakerState {
    /// Upper-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "CLOSED",
            BreakerState::Open => "OPEN",
            BreakerState::HalfOpen => "HALF-OPEN",
        }
    }
}

/// How a record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Arrived / done.
    Ok,
    /// A REST response with this HTTP status.
    Http(u16),
    /// An RPC response with this gRPC code.
    Grpc(GrpcCode),
    /// A call attempt's deadline passed before its response arrived.
    Timeout,
    /// Lost.
    Dropped(DropReason),
    /// Not acked in time (or nacked): the message is available again.
    Redelivered,
    /// Out of attempts: moved to the dead-letter queue.
    DeadLettered,
    /// Refused.
    Rejected(RejectReason),
    /// A breaker transition to this state.
    Breaker(BreakerState),
    /// What a read-through cache lookup found.
    Cache(CacheResult),
}

/// What a read-through cache lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum CacheResult {
    /// A fresh entry: the call is answered from the cache.
    Hit = 0,
    /// No fresh entry: the call goes on, and its success fills the entry.
    Miss = 1,
    /// No fresh entry, but the key is already being fetched: the call waits for that fetch.
    Joined = 2,
}

impl CacheResult {
    /// Upper-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheResult::Hit => "HIT",
            CacheResult::Miss => "MISS",
            CacheResult::Joined => "JOINED",
        }
    }
}

impl Outcome {
    /// `(tag, value)` used by the canonical encoding.
    fn code(self) -> (u8, u16) {
        match self {
            Outcome::Ok => (0, 0),
            Outcome::Http(c) => (1, c),
            Outcome::Grpc(g) => (2, g as u16),
            Outcome::Timeout => (3, 0),
            Outcome::Dropped(r) => (4, r as u16),
            Outcome::Redelivered => (5, 0),
            Outcome::DeadLettered => (6, 0),
            Outcome::Rejected(r) => (7, r as u16),
            Outcome::Breaker(s) => (8, s as u16),
            Outcome::Cache(r) => (9, r as u16),
        }
    }
    /// Whether this is a success (Ok, 2xx/3xx, gRPC OK).
    pub fn is_success(self) -> bool {
        match self {
            Outcome::Ok => true,
            Outcome::Http(c) => (200..400).contains(&c),
            Outcome::Grpc(g) => g == GrpcCode::Ok,
            Outcome::Cache(r) => r == CacheResult::Hit,
            Outcome::Timeout
            | Outcome::Dropped(_)
            | Outcome::Redelivered
            | Outcome::DeadLettered
            | Outcome::Rejected(_)
            | Outcome::Breaker(_) => false,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Outcome::Ok => f.write_str("OK"),
            Outcome::Http(c) => write!(f, "{c}"),
            Outcome::Grpc(g) => f.write_str(g.as_str()),
            Outcome::Timeout => f.write_str("TIMEOUT"),
            Outcome::Dropped(r) => write!(f, "DROPPED({})", r.as_str()),
            Outcome::Redelivered => f.write_str("REDELIVERED"),
            Outcome::DeadLettered => f.write_str("DEAD-LETTERED"),
            Outcome::Rejected(r) => write!(f, "REJECTED({})", r.as_str()),
            Outcome::Breaker(s) => f.write_str(s.as_str()),
            Outcome::Cache(r) => f.write_str(r.as_str()),
        }
    }
}

/// One trace entry. 56 bytes (asserted by a test); never modified after it is appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// When the message was sent / the span or window began.
    pub send: SimTime,
    /// When it arrived / ended / was decided.
    pub recv: SimTime,
    /// This record's index in the trace.
    pub id: RecordId,
    /// The originating client request.
    pub trace: TraceId,
    /// The record that made this happen (the message that started the handler, the request a
    /// response answers, the failure a retry follows); `None` for client requests and faults.
    pub cause: Option<RecordId>,
    /// Sender (or the service for a span).
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Endpoint, method, queue or topic name (fault text for fault records).
    pub name: NameId,
    /// Message label (e.g. `OrderCreated`), or `NameId::EMPTY`.
    pub label: NameId,
    /// How it ended.
    pub outcome: Outcome,
    /// Attempt number: call attempt for requests/responses/timeouts, delivery count for queue
    /// and subscription deliveries, acks and redeliveries; 1 otherwise.
    pub attempt: u16,
    /// What it is.
    pub kind: Kind,
    /// A response (or producer confirmation) that arrived after the caller stopped waiting:
    /// its deadline had passed, or the calling handler was gone.
    pub late: bool,
}

/// Size of the canonical encoding of one record, in bytes.
pub const ENCODED_LEN: usize = 4 + 4 + 4 + 1 + 4 + 4 + 4 + 4 + 8 + 8 + 1 + 2 + 2 + 1;

impl Record {
    /// Canonical little-endian encoding, field by field:
    /// `id u32, trace u32, cause u32 (u32::MAX = none), kind u8, from u32, to u32, name u32,
    /// label u32, send u64, recv u64, outcome tag u8, outcome value u16, attempt u16, late u8`
    /// (51 bytes). Outcome tags: Ok 0, Http 1, Grpc 2, Timeout 3, Dropped 4, Redelivered 5,
    /// DeadLettered 6, Rejected 7, Breaker 8; values are the status / code / reason discriminant.
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        let mut b = [0u8; ENCODED_LEN];
        let mut i = 0;
        let mut put = |bytes: &[u8]| {
            b[i..i + bytes.len()].copy_from_slice(bytes);
            i += bytes.len();
        };
        put(&self.id.0.to_le_bytes());
        put(&self.trace.0.to_le_bytes());
        put(&self.cause.map_or(u32::MAX, |c| c.0).to_le_bytes());
        put(&[self.kind as u8]);
        put(&self.from.0.to_le_bytes());
        put(&self.to.0.to_le_bytes());
        put(&self.name.0.to_le_bytes());
        put(&self.label.0.to_le_bytes());
        put(&self.send.0.to_le_bytes());
        put(&self.recv.0.to_le_bytes());
        let (tag, val) = self.outcome.code();
        put(&[tag]);
        put(&val.to_le_bytes());
        put(&self.attempt.to_le_bytes());
        put(&[u8::from(self.late)]);
        b
    }

    /// Latency of the hop / length of the span.
    pub fn duration(&self) -> SimTime {
        self.recv - self.send
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 over a byte slice, continuing from `h`.
pub fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The retained records of a trace, in order: a cheap, copyable view (`len`, `get`, `[i]`, `iter`,
/// `range`, `chunks`, `partition_point`, `first`, `last`). `records[i]` has id
/// `trace.first_id() + i`.
pub type Records<'a> = View<'a, Record>;

/// Iterator over `Records`, in trace order.
pub type RecordIter<'a> = Iter<'a, Record>;

/// The append-only list of records of one run (or, with a retention limit, its most recent
/// records: ids stay global, and `records()[i]` has id `first_id() + i`).
///
/// Records live in fixed-size chunks, so appending never copies earlier records (a doubling
/// `Vec` would copy the whole trace at once — over 100 MB for two million records — and keep up to
/// half its memory as slack).
#[derive(Clone, Debug)]
pub struct Trace {
    /// The retained records, after `skip` discarded ones still sharing the first chunk.
    records: Chunked<Record>,
    /// Discarded records at the front of `records` (fewer than a chunk's worth: whole chunks of
    /// discarded records are freed).
    skip: usize,
    /// `records.len()` at which the oldest are discarded (`skip + 2 * limit`), precomputed so
    /// that `push` makes one comparison for the limit.
    discard_at: usize,
    first: u32,
    limit: u32,
}

impl Default for Trace {
    fn default() -> Trace {
        Trace::with_limit(None)
    }
}

impl Trace {
    pub(crate) fn with_limit(limit: Option<u32>) -> Trace {
        let limit = limit.map_or(u32::MAX, |l| l.max(1));
        Trace {
            records: Chunked::new(),
            skip: 0,
            discard_at: Trace::twice(limit),
            first: 0,
            limit,
        }
    }
    /// Retained records, in the order they were appended (= order their outcomes became known).
    /// Without a retention limit this is every record and `records()[id]` is record `id`.
    pub fn records(&self) -> Records<'_> {
        self.records.view(self.skip..)
    }
    /// Id of `records()[0]` (0 unless a retention limit discarded older records).
    pub fn first_id(&self) -> RecordId {
        RecordId(self.first)
    }
    /// Number of retained records.
    #[inline]
    pub fn len(&self) -> usize {
        self.records.len() - self.skip
    }
    /// Whether no record is retained.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A record by id (`None` if unknown or discarded by the retention limit).
    pub fn get(&self, id: RecordId) -> Option<&Record> {
        id.0.checked_sub(self.first)
            .and_then(|i| self.records().get(i as usize))
    }
    /// FNV-1a 64 over the canonical encoding (`Record::encode`) of every retained record in
    /// order, starting from the FNV offset basis. Equal hashes mean byte-identical traces.
    pub fn hash(&self) -> u64 {
        self.records()
            .iter()
            .fold(FNV_OFFSET, |h, r| fnv1a(h, &r.encode()))
    }
    #[inline]
    pub(crate) fn push(&mut self, r: Record) {
        if self.records.len() >= self.discard_at {
            self.discard_oldest();
        }
        self.records.push(r);
    }
    /// Keeps the newest `limit` records (called at twice that, so the work is amortised and the
    /// retained count stays between `limit` and `2 * limit`). Discarded records are skipped;
    /// chunks holding only discarded records are freed, and no retained record moves.
    #[cold]
    #[inline(never)]
    fn discard_oldest(&mut self) {
        let drop = self.len() - self.limit as usize;
        self.first = self.first.wrapping_add(drop as u32);
        self.skip += drop;
        self.skip -= self.records.drop_front_chunks(self.skip);
        self.discard_at = self.skip.saturating_add(Trace::twice(self.limit));
    }
    /// `2 * limit` as a `usize` (saturating where `usize` is 32 bits: no limit is then reached).
    fn twice(limit: u32) -> usize {
        usize::try_from(2 * u64::from(limit)).unwrap_or(usize::MAX)
    }
}

/// Name lookups needed to print records: node names and interned names.
pub trait Names {
    /// Name of a node.
    fn node_name(&self, n: NodeId) -> &str;
    /// An interned name.
    fn name(&self, n: NameId) -> &str;
}

/// Stable one-line text of a record, e.g.
/// `    10.000ms    12.345ms  gateway -> orders  rpc CreateOrder  OK  attempt 1`
/// (send time, receive time, from -> to, kind, name and label, outcome, attempt, `LATE`).
pub fn format_record(r: &Record, names: &dyn Names) -> String {
    let mut s = String::with_capacity(96);
    let _ = write!(
        s,
        "{:>12}{:>12}  {} -> {}  {}",
        r.send,
        r.recv,
        names.node_name(r.from),
        names.node_name(r.to),
        r.kind.as_str()
    );
    let name = names.name(r.name);
    if !name.is_empty() {
        let _ = write!(s, " {name}");
    }
    let label = names.name(r.label);
    if !label.is_empty() {
        let _ = write!(s, " [{label}]");
    }
    let _ = write!(s, "  {}  attempt {}", r.outcome, r.attempt);
    if r.late {
        s.push_str("  LATE");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::chunked::CHUNK;

    #[test]
    fn record_is_compact() {
        assert_eq!(std::mem::size_of::<Record>(), 56);
        assert!(std::mem::size_of::<Record>() <= 64);
        assert_eq!(ENCODED_LEN, 51);
    }

    /// A record with id `i` whose arrival time never decreases with `i`, like the engine's.
    fn rec(i: u32) -> Record {
        Record {
            send: SimTime(u64::from(i / 3)),
            recv: SimTime(u64::from(i / 3) + 5),
            id: RecordId(i),
            trace: TraceId(i % 11),
            cause: i.checked_sub(1).map(RecordId),
            from: NodeId(i % 3),
            to: NodeId(i % 5),
            name: NameId(i % 7),
            label: NameId::EMPTY,
            outcome: Outcome::Ok,
            attempt: 1,
            kind: Kind::Work,
            late: false,
        }
    }

    fn filled(n: u32, limit: Option<u32>) -> Trace {
        let mut t = Trace::with_limit(limit);
        for i in 0..n {
            t.push(rec(i));
        }
        t
    }

    #[test]
    fn appending_across_chunks_keeps_order_and_ids() {
        let n = 3 * CHUNK as u32 + 5;
        let t = filled(n, None);
        let records = t.records();
        assert_eq!((t.len(), records.len()), (n as usize, n as usize));
        assert_eq!(t.first_id(), RecordId(0));
        assert!(records.iter().map(|r| r.id.0).eq(0..n));
        assert!(records.iter().rev().map(|r| r.id.0).eq((0..n).rev()));
        for i in [
            0,
            1,
            CHUNK as u32 - 1,
            CHUNK as u32,
            2 * CHUNK as u32 + 1,
            n - 1,
        ] {
            assert_eq!(records[i as usize], rec(i));
            assert_eq!(t.get(RecordId(i)), Some(&rec(i)));
        }
        assert_eq!(t.get(RecordId(n)), None);
        assert_eq!(records.last(), Some(&rec(n - 1)));
        assert_eq!(
            records.chunks().map(<[Record]>::len).collect::<Vec<_>>(),
            [CHUNK, CHUNK, CHUNK, 5]
        );
    }

    #[test]
    fn records_agree_with_a_vec() {
        let mut seed = 7u64;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % m
        };
        for n in [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 77] {
            let t = filled(n as u32, None);
            let model: Vec<Record> = (0..n as u32).map(rec).collect();
            let records = t.records();
            assert_eq!(records.to_vec(), model);
            assert_eq!(
                t.hash(),
                model.iter().fold(FNV_OFFSET, |h, r| fnv1a(h, &r.encode()))
            );
            for _ in 0..300 {
                let a = next(n + 1);
                let b = a + next(n + 1 - a);
                let (view, slice) = (records.range(a..b), &model[a..b]);
                assert!(view.iter().eq(slice), "{n}: {a}..{b}");
                assert_eq!(view.len(), slice.len());
                assert_eq!(view.last(), slice.last());
                let i = next(n + 1);
                assert_eq!(records.get(i), model.get(i));
                // Arrival times are non-decreasing, so this is a valid binary search.
                let t0 = SimTime(next(n / 3 + 8) as u64);
                assert_eq!(
                    view.partition_point(|r| r.recv < t0),
                    slice.partition_point(|r| r.recv < t0),
                    "{n}: {a}..{b} before {t0:?}"
                );
            }
        }
    }

    #[test]
    fn retention_keeps_the_newest_records_with_global_ids() {
        for limit in [1, 5, CHUNK as u32 - 1, CHUNK as u32 + 7, 2 * CHUNK as u32] {
            let mut t = Trace::with_limit(Some(limit));
            // The retained count the `Vec`-based trace kept (drain to `limit` at `2 * limit`),
            // which the chunked one keeps exactly.
            let mut model_len = 0usize;
            let n = 7 * CHUNK as u32 + 3;
            for i in 0..n {
                if model_len as u64 >= 2 * u64::from(limit) {
                    model_len = limit as usize;
                }
                model_len += 1;
                t.push(rec(i));
                assert_eq!(t.len(), model_len, "limit {limit}, after record {i}");
                assert_eq!(t.first_id().0 as usize, i as usize + 1 - model_len);
                // Memory stays bounded: discarded records never fill a whole chunk.
                assert!(t.skip < CHUNK, "limit {limit}: {} discarded kept", t.skip);
            }
            let first = t.first_id().0;
            assert!(
                t.records().iter().map(|r| r.id.0).eq(first..n),
                "limit {limit}"
            );
            assert_eq!(t.records()[0], rec(first));
            let (records, mid) = (t.records(), first + (n - first) / 2);
            assert_eq!(
                records.partition_point(|r| r.id.0 < mid),
                (mid - first) as usize
            );
            assert!(records.range(1..).iter().map(|r| r.id.0).eq(first + 1..n));
            assert_eq!(t.get(RecordId(first)), Some(&rec(first)));
            assert_eq!(t.get(RecordId(n - 1)), Some(&rec(n - 1)));
            assert_eq!(t.get(RecordId(first.wrapping_sub(1))), None);
            assert_eq!(t.get(RecordId(n)), None);
            assert_eq!(
                t.hash(),
                (first..n).fold(FNV_OFFSET, |h, i| fnv1a(h, &rec(i).encode()))
            );
        }
    }

    #[test]
    fn growing_never_moves_a_record() {
        let mut t = filled(1, None);
        let at: *const Record = &t.records()[0];
        for i in 1..10 * CHUNK as u32 {
            t.push(rec(i));
        }
        assert_eq!(&t.records()[0] as *const Record, at, "record 0 moved");

        // With a retention limit, discarding old records does not move the retained ones.
        let mut t = filled(3 * CHUNK as u32 + 1, Some(2 * CHUNK as u32));
        let newest = t.len() - 1;
        let at: *const Record = &t.records()[newest];
        let id = t.records()[newest].id;
        for i in 3 * CHUNK as u32 + 1..4 * CHUNK as u32 + 1 {
            t.push(rec(i));
        }
        assert!(t.first_id().0 > 0, "the limit discarded records");
        let r = t.get(id).expect("still retained");
        assert_eq!(r as *const Record, at, "a retained record moved");
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
    }
}
