//! The simulation core: `Sim`, its event queue ordered by `(time, seq)`, the step loop, the
//! network (latency, loss, partitions), services (worker pool + bounded backlog), handler
//! execution, faults, and the live views the UI reads. Calls/retries/breakers live in
//! `calls.rs`, queues and pub/sub in `mailbox.rs`.
//!
//! ```text
//!   heap (time, seq) ──pop──► handle(event) ──► may send messages / schedule events / append records
//!                                   │
//!                                   └──► runnable tasks (FIFO) drained after each event, so a long
//!                                        backlog never recurses
//! ```

use crate::sim::chunked::Chunked;
use crate::sim::compile::{self, link_key, FaultKindP, NodeInfo, NodeKind, Program, StepP};
use crate::sim::dist::SimRng;
use crate::sim::metrics::{count_status, Metrics};
use crate::sim::time::SimTime;
use crate::sim::trace::{
    format_record, BreakerState, DropReason, Kind, Mechanism, NameId, Names, NodeId, Outcome,
    Record, RecordId, RejectReason, Trace, TraceId,
};
use crate::sim::world::{GrpcCode, Status, World};
use crate::sim::WorldError;
use std::collections::VecDeque;

/// Why the run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The clock reached the world's duration.
    Finished {
        /// The duration.
        at: SimTime,
    },
    /// The event budget ran out first (e.g. a retry storm); raise `RunSettings::event_budget`.
    EventBudgetExhausted {
        /// The budget.
        budget: u64,
    },
    /// Nothing left to happen: the event queue is empty (nothing can ever happen again).
    Idle {
        /// Time of the last event.
        at: SimTime,
    },
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Finished { at } => write!(f, "finished at {at}"),
            StopReason::EventBudgetExhausted { budget } => write!(
                f,
                "event budget of {budget} events exhausted (runaway retries?)"
            ),
            StopReason::Idle { at } => write!(f, "idle since {at}: nothing left to happen"),
        }
    }
}

/// What kind of event a step processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A message arrived (or was found lost) at its destination.
    MessageArrived(Kind),
    /// A work span ended.
    WorkDone,
    /// A call attempt's deadline fired.
    CallTimeout,
    /// A retry's backoff ended.
    Retry,
    /// A client's next rate-driven request.
    ClientRequest,
    /// A client burst.
    Burst,
    /// A delivery's visibility timeout / ack deadline fired.
    VisibilityExpired,
    /// A fault began.
    FaultStarted,
    /// A fault ended.
    FaultEnded,
    /// A breaker's cooldown ended.
    BreakerHalfOpen,
}

/// What one `step()` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepInfo {
    /// Simulated time of the event.
    pub time: SimTime,
    /// The event.
    pub event: EventKind,
    /// Ids of the records appended by this step.
    pub records: std::ops::Range<u32>,
}

/// A message currently on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Kind of hop.
    pub kind: Kind,
    /// Endpoint/method/queue/topic name.
    pub name: NameId,
    /// Message label.
    pub label: NameId,
    /// When it left.
    pub sent: SimTime,
    /// When it arrives (or is found lost).
    pub arrives: SimTime,
    /// Trace id.
    pub trace: TraceId,
    /// Attempt / delivery number.
    pub attempt: u16,
    /// Already known to be lost (loss or partition): it will not arrive.
    pub doomed: Option<DropReason>,
}

/// Live state of a queue or subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxView {
    /// The queue / subscription node.
    pub node: NodeId,
    /// Messages waiting.
    pub depth: u32,
    /// Delivered, not yet acked.
    pub in_flight: u32,
}

/// Live state of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceView {
    /// The service node.
    pub node: NodeId,
    /// Busy workers.
    pub busy: u32,
    /// Requests waiting for a worker.
    pub backlog: u32,
    /// Worker count.
    pub workers: u32,
    /// Currently crashed.
    pub crashed: bool,
}

/// Live state of a circuit breaker on an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerView {
    /// Caller.
    pub from: NodeId,
    /// Callee.
    pub to: NodeId,
    /// Endpoint / method.
    pub name: NameId,
    /// State now.
    pub state: BreakerState,
}

/// An active partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// One side.
    pub a: Vec<NodeId>,
    /// Other side.
    pub b: Vec<NodeId>,
    /// When it heals.
    pub until: SimTime,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Ev {
    Arrive(u32),
    WorkDone {
        task: u32,
        gen: u32,
    },
    CallTimeout {
        call: u32,
        gen: u32,
        attempt: u16,
    },
    Retry {
        call: u32,
        gen: u32,
    },
    ClientTick(u32),
    Burst {
        client: u32,
        count: u32,
    },
    Visibility {
        mailbox: u32,
        slot: u32,
        delivery: u32,
    },
    FaultStart(u32),
    FaultEnd(u32),
    HalfOpen {
        edge: u32,
        gen: u32,
    },
}

/// An `Ev` packed into two words. The queue stores and moves events in this form because a
/// two-word struct is passed in registers and copied as two 8-byte moves, where the 16-byte enum
/// went through memory and was read back with wider loads than the stores that had just built it
/// (a store-to-load forwarding stall on every schedule and every step).
///
/// Layout: low byte of `a` the variant, high half of `a` the first field; low and high halves of
/// `b` the second and third fields (zero when absent).
#[derive(Clone, Copy, Debug)]
struct PackedEv {
    a: u64,
    b: u64,
}

impl Ev {
    #[inline(always)]
    fn pack(self) -> PackedEv {
        let (tag, x, y, z): (u8, u32, u32, u32) = match self {
            Ev::Arrive(slot) => (0, slot, 0, 0),
            Ev::WorkDone { task, gen } => (1, task, gen, 0),
            Ev::CallTimeout { call, gen, attempt } => (2, call, gen, u32::from(attempt)),
            Ev::Retry { call, gen } => (3, call, gen, 0),
            Ev::ClientTick(c) => (4, c, 0, 0),
            Ev::Burst { client, count } => (5, client, count, 0),
            Ev::Visibility {
                mailbox,
                slot,
                delivery,
            } => (6, mailbox, slot, delivery),
            Ev::FaultStart(f) => (7, f, 0, 0),
            Ev::FaultEnd(f) => (8, f, 0, 0),
            Ev::HalfOpen { edge, gen } => (9, edge, gen, 0),
        };
        PackedEv {
            a: u64::from(tag) | u64::from(x) << 32,
            b: u64::from(y) | u64::from(z) << 32,
        }
    }

    #[inline(always)]
    fn unpack(p: PackedEv) -> Ev {
        let (x, y, z) = ((p.a >> 32) as u32, p.b as u32, (p.b >> 32) as u32);
        match p.a as u8 {
            0 => Ev::Arrive(x),
            1 => Ev::WorkDone { task: x, gen: y },
            2 => Ev::CallTimeout {
                call: x,
                gen: y,
                // Packed from a u16, so this is exact.
                attempt: z as u16,
            },
            3 => Ev::Retry { call: x, gen: y },
            4 => Ev::ClientTick(x),
            5 => Ev::Burst {
                client: x,
                count: y,
            },
            6 => Ev::Visibility {
                mailbox: x,
                slot: y,
                delivery: z,
            },
            7 => Ev::FaultStart(x),
            8 => Ev::FaultEnd(x),
            9 => Ev::HalfOpen { edge: x, gen: y },
            tag => unreachable!("event tag {tag}: only `Ev::pack` makes a `PackedEv`"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// `time << 64 | seq`: ordering by this one integer is ordering by `(time, seq)`, and a
    /// `u128` comparison is two instructions without a branch, where the tuple's needs two.
    key: u128,
    ev: PackedEv,
}

impl Entry {
    #[inline]
    fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// The pending events of later instants: a binary min-heap on `Entry::key`. Keys are unique
/// (`seq` is), so the order events leave it is fully determined. Hand-written rather than a
/// `BinaryHeap` because std's `pop` sifts the hole all the way to the bottom and back up: fewer
/// comparisons on big heaps, but more moves on the small ones typical here (a handful of pending
/// work spans and client ticks), where it showed up as a tenth of the M/M/c benchmark's time.
#[derive(Clone, Debug, Default)]
struct EventHeap {
    v: Vec<Entry>,
}

impl EventHeap {
    #[inline]
    fn peek_time(&self) -> Option<u64> {
        self.v.first().map(Entry::time)
    }

    #[inline]
    fn push(&mut self, e: Entry) {
        let mut i = self.v.len();
        self.v.push(e);
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.v[parent];
            if p.key < e.key {
                break;
            }
            self.v[i] = p;
            i = parent;
        }
        self.v[i] = e;
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.v[0];
        // Sift `last` down from the root's hole.
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && self.v[r].key < self.v[l].key {
                r
            } else {
                l
            };
            let child = self.v[c];
            if last.key < child.key {
                break;
            }
            self.v[i] = child;
            i = c;
        }
        self.v[i] = last;
        Some(top)
    }
}

/// Why a handler step (or a whole call) failed; mapped to a status per family when replying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An attempt's deadline passed.
    Timeout,
    /// The propagated deadline had passed before the work could start / the call be sent.
    DeadlinePassed,
    /// The callee replied with an error status.
    Downstream(Status),
    /// The breaker refused the call.
    BreakerOpen,
    /// The message could not reach a broker (lost, partitioned).
    Unreachable,
    /// A full queue refused the message.
    Overloaded,
    /// A `fail` step or an error-rate spike.
    Own(Status),
}

/// `status` in the family of the handler: gRPC codes for RPC, HTTP for REST.
pub(crate) fn in_family(s: Status, rpc: bool) -> Status {
    match (s, rpc) {
        (Status::Grpc(g), true) => Status::Grpc(g),
        (Status::Http(c), true) => Status::Grpc(GrpcCode::from_http(c)),
        (Status::Http(c), false) => Status::Http(c),
        (Status::Grpc(g), false) => Status::Http(g.to_http()),
    }
}

/// The status a handler replies with when it fails this way.
pub(crate) fn reply_status(f: Failure, rpc: bool) -> Status {
    match (f, rpc) {
        (Failure::Timeout | Failure::DeadlinePassed, true) => {
            Status::Grpc(GrpcCode::DeadlineExceeded)
        }
        (Failure::Timeout | Failure::DeadlinePassed, false) => Status::Http(504),
        (Failure::Downstream(s), true) => in_family(s, true),
        (Failure::Downstream(_), false) => Status::Http(502),
        (Failure::BreakerOpen | Failure::Unreachable, true) => Status::Grpc(GrpcCode::Unavailable),
        (Failure::BreakerOpen | Failure::Unreachable, false) => Status::Http(503),
        (Failure::Overloaded, true) => Status::Grpc(GrpcCode::ResourceExhausted),
        (Failure::Overloaded, false) => Status::Http(503),
        (Failure::Own(s), r) => in_family(s, r),
    }
}

/// Whether a status is a success (2xx/3xx or OK).
pub(crate) fn is_success(s: Status) -> bool {
    match s {
        Status::Http(c) => (200..400).contains(&c),
        Status::Grpc(g) => g == GrpcCode::Ok,
    }
}

/// Whether a status is the server's fault (counts against breakers, is retried).
pub(crate) fn is_server_failure(s: Status) -> bool {
    match s {
        Status::Http(c) => c >= 500 || c == 429,
        Status::Grpc(g) => matches!(
            g,
            GrpcCode::DeadlineExceeded
                | GrpcCode::ResourceExhausted
                | GrpcCode::Internal
                | GrpcCode::Unavailable
                | GrpcCode::Unknown
                | GrpcCode::Aborted
                | GrpcCode::DataLoss
        ),
    }
}

pub(crate) fn status_outcome(s: Status) -> Outcome {
    match s {
        Status::Http(c) => Outcome::Http(c),
        Status::Grpc(g) => Outcome::Grpc(g),
    }
}

pub(crate) fn sat16(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Where a task came from (what it must answer).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    Request {
        caller: NodeId,
        call: u32,
        call_gen: u32,
        attempt: u16,
        endpoint: u32,
    },
    Delivery {
        mailbox: u32,
        slot: u32,
        delivery: u32,
        consumer: u32,
        attempt: u16,
    },
}

/// One handler execution: a request being served or a message being consumed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Task {
    pub gen: u32,
    pub live: bool,
    pub started: bool,
    pub replied: bool,
    pub settled: bool,
    pub service: u32,
    pub pc: u32,
    pub end: u32,
    pub pending: u32,
    pub origin: Origin,
    pub trace: TraceId,
    pub cause: Option<RecordId>,
    pub name: NameId,
    pub label: NameId,
    pub arrived: SimTime,
    pub deadline: SimTime,
    pub failure: Option<Failure>,
    pub working_since: Option<SimTime>,
    /// Position of this task's slot in its service's `ServiceRt::live` (set by `new_task`).
    pub at: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ServiceRt {
    pub busy: u32,
    pub backlog: VecDeque<(u32, u32)>,
    /// Slots of this service's live tasks (running, waiting or consuming), in no order: a crash
    /// visits these instead of every task slot of the run (millions in a retry storm).
    pub live: Vec<u32>,
    pub crashes: u32,
    pub epoch: u32,
    pub error_p: f64,
}

/// What a message carries besides its header.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Payload {
    Request {
        call: u32,
        gen: u32,
        endpoint: u32,
        deadline: SimTime,
    },
    Response {
        call: u32,
        gen: u32,
        status: Status,
    },
    Enqueue {
        task: u32,
        gen: u32,
        mailbox: u32,
    },
    Publish {
        task: u32,
        gen: u32,
        topic: u32,
        attrs: u32,
    },
    Deliver {
        mailbox: u32,
        slot: u32,
        delivery: u32,
        consumer: u32,
        epoch: u32,
    },
    Ack {
        mailbox: u32,
        slot: u32,
        delivery: u32,
        nack: bool,
    },
}

/// The header of a hop: everything its record needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hop {
    pub kind: Kind,
    pub from: NodeId,
    pub to: NodeId,
    pub name: NameId,
    pub label: NameId,
    pub trace: TraceId,
    pub cause: Option<RecordId>,
    pub attempt: u16,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Msg {
    pub live: bool,
    pub hop: Hop,
    pub sent: SimTime,
    pub arrives: SimTime,
    pub doom: Option<DropReason>,
    pub payload: Payload,
}

/// A deterministic simulation of one world with one seed.
///
/// Lifecycle: `Sim::new(world, seed)` validates and compiles the world and schedules clients
/// and faults; `step()` processes one event; `run_until(t)`, `run_events(n)` and `run_to_end()`
/// loop over `step()`. `trace()` and `metrics()` may be read at any point. Cloning a `Sim`
/// snapshots the whole run (a clone continues exactly like the original would).
#[derive(Clone)]
pub struct Sim {
    pub(crate) prog: Program,
    pub(crate) rng: SimRng,
    pub(crate) now: SimTime,
    /// Sequence number of the next heap entry (ties between equal times go first-scheduled).
    seq: u64,
    heap: EventHeap,
    /// Events scheduled for the current instant while processing it, in the order scheduled:
    /// they follow every heap entry of the same time (those were scheduled before this instant
    /// began). Their time is `now`, and their order is this queue's, so they need no key.
    immediate: VecDeque<PackedEv>,
    duration: SimTime,
    budget: u64,
    seed: u64,
    tracing: bool,
    stop: Option<StopReason>,
    events: u64,
    pub(crate) trace: Trace,
    next_record: u32,
    pub(crate) next_trace: u32,
    pub(crate) metrics: Metrics,
    pub(crate) services: Vec<ServiceRt>,
    pub(crate) tasks: Chunked<Task>,
    free_tasks: Vec<u32>,
    runnable: VecDeque<(u32, u32)>,
    msgs: Chunked<Msg>,
    free_msgs: Vec<u32>,
    in_flight_count: u32,
    pub(crate) calls: Chunked<crate::sim::calls::CallRt>,
    pub(crate) free_calls: Vec<u32>,
    /// Live calls owned by a task (not by a client), in no order; see `free_calls_of_dead_tasks`.
    pub(crate) task_calls: Vec<u32>,
    pub(crate) breakers: Vec<crate::sim::calls::BreakerRt>,
    pub(crate) clients: Vec<crate::sim::calls::ClientRt>,
    pub(crate) mailboxes: Vec<crate::sim::mailbox::MailboxRt>,
    pub(crate) stored: Chunked<crate::sim::mailbox::Stored>,
    pub(crate) free_stored: Vec<u32>,
    pub(crate) consumer_busy: Vec<u32>,
    /// Active network faults (latency spikes, loss, partitions), as fault indices.
    net_faults: Vec<u32>,
    /// Active error spikes, as fault indices.
    error_faults: Vec<u32>,
}

impl Sim {
    /// Validate and compile `world`, seed the RNG, and schedule clients, bursts and faults.
    pub fn new(world: World, seed: u64) -> Result<Sim, WorldError> {
        let prog = compile::compile(&world)?;
        let run = &world.run;
        let interval = run
            .series_interval
            .unwrap_or(SimTime((run.duration.0 / 500).max(1_000)));
        let metrics = Metrics::new(
            prog.endpoints.len(),
            prog.consumers.len(),
            prog.clients.len(),
            prog.services.len(),
            prog.mailboxes.len(),
            interval,
        );
        let mut sim = Sim {
            rng: SimRng::new(seed),
            now: SimTime::ZERO,
            seq: 0,
            heap: EventHeap::default(),
            immediate: VecDeque::new(),
            duration: run.duration,
            budget: run.event_budget,
            seed,
            tracing: run.trace,
            stop: None,
            events: 0,
            trace: Trace::with_limit(run.trace_limit),
            next_record: 0,
            next_trace: 0,
            metrics,
            services: vec![ServiceRt::default(); prog.services.len()],
            tasks: Chunked::new(),
            free_tasks: Vec::new(),
            runnable: VecDeque::new(),
            msgs: Chunked::new(),
            free_msgs: Vec::new(),
            in_flight_count: 0,
            calls: Chunked::new(),
            free_calls: Vec::new(),
            task_calls: Vec::new(),
            breakers: prog
                .edges
                .iter()
                .map(|_| crate::sim::calls::BreakerRt::default())
                .collect(),
            clients: vec![crate::sim::calls::ClientRt::default(); prog.clients.len()],
            mailboxes: vec![crate::sim::mailbox::MailboxRt::default(); prog.mailboxes.len()],
            stored: Chunked::new(),
            free_stored: Vec::new(),
            consumer_busy: vec![0; prog.consumers.len()],
            net_faults: Vec::new(),
            error_faults: Vec::new(),
            prog,
        };
        for i in 0..sim.prog.faults.len() {
            let f = &sim.prog.faults[i];
            let (at, end) = (f.at, f.end);
            sim.schedule(at, Ev::FaultStart(i as u32));
            sim.schedule(end, Ev::FaultEnd(i as u32));
        }
        for c in 0..sim.prog.clients.len() {
            sim.schedule_first_tick(c as u32);
            for b in 0..sim.prog.clients[c].bursts.len() {
                let burst = sim.prog.clients[c].bursts[b];
                sim.schedule(
                    burst.at,
                    Ev::Burst {
                        client: c as u32,
                        count: burst.count,
                    },
                );
            }
        }
        Ok(sim)
    }

    // ----- clock and event queue -------------------------------------------------------------

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The seed this run was created with.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The world's duration: the run finishes when the clock reaches it.
    pub fn duration(&self) -> SimTime {
        self.duration
    }
    /// The world's event budget.
    pub fn event_budget(&self) -> u64 {
        self.budget
    }
    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events
    }
    /// Why the run stopped, if it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop
    }
    /// Time of the next pending event, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        if !self.immediate.is_empty() {
            return Some(self.now);
        }
        self.heap.peek_time().map(SimTime)
    }

    /// Schedule `ev` at `at`. Inlined so that the event is packed where it is built (in
    /// registers), not built in memory and packed here.
    #[inline(always)]
    pub(crate) fn schedule(&mut self, at: SimTime, ev: Ev) {
        self.schedule_packed(at, ev.pack());
    }

    fn schedule_packed(&mut self, at: SimTime, ev: PackedEv) {
        if at == self.now && self.events > 0 {
            self.immediate.push_back(ev);
        } else {
            let seq = self.seq;
            self.seq += 1;
            self.heap.push(Entry {
                key: u128::from(at.0) << 64 | u128::from(seq),
                ev,
            });
        }
    }

    /// Process one event. Returns `None` (and sets `stop_reason`) when the run cannot go on:
    /// the next event is past the duration, the event budget is spent, or nothing is left.
    pub fn step(&mut self) -> Option<StepInfo> {
        if self.stop.is_some() {
            return None;
        }
        // Heap entries at `now` precede `immediate` (see `Sim::immediate`); otherwise
        // `immediate` holds the next events, all at `now`.
        let (next, from_heap) = match self.heap.peek_time() {
            Some(t) if t == self.now.0 || self.immediate.is_empty() => (SimTime(t), true),
            _ if !self.immediate.is_empty() => (self.now, false),
            _ => {
                self.stop = Some(StopReason::Idle { at: self.now });
                return None;
            }
        };
        if next > self.duration {
            self.now = self.duration;
            self.stop = Some(StopReason::Finished { at: self.duration });
            return None;
        }
        if self.events >= self.budget {
            self.stop = Some(StopReason::EventBudgetExhausted {
                budget: self.budget,
            });
            return None;
        }
        let popped = if from_heap {
            self.heap.pop().map(|e| e.ev)
        } else {
            self.immediate.pop_front()
        };
        let Some(ev) = popped else {
            unreachable!("an event was peeked");
        };
        self.now = next;
        self.events += 1;
        self.metrics.totals.events = self.events;
        let first = self.next_record;
        let event = self.handle(ev);
        if !self.runnable.is_empty() {
            self.drain_runnable();
        }
        Some(StepInfo {
            time: self.now,
            event,
            records: first..self.next_record,
        })
    }

    /// Process up to `n` events; returns how many were processed.
    pub fn run_events(&mut self, n: u64) -> u64 {
        let mut done = 0;
        while done < n && self.step().is_some() {
            done += 1;
        }
        done
    }

    /// Process every event up to and including time `t` (capped at the duration), then advance
    /// the clock to `t`. Reaching the duration stops the run with `Finished`.
    pub fn run_until(&mut self, t: SimTime) {
        let limit = t.min(self.duration);
        while self.stop.is_none() {
            match self.next_event_time() {
                Some(et) if et <= limit => {
                    if self.step().is_none() {
                        break;
                    }
                }
                Some(_) | None => break,
            }
        }
        if self.stop.is_none() {
            if self.next_event_time().is_none() && self.events > 0 && limit < self.duration {
                // Nothing can ever happen again; keep the clock moving for the UI anyway.
                self.now = self.now.max(limit);
                return;
            }
            self.now = self.now.max(limit);
            if limit >= self.duration {
                self.stop = Some(StopReason::Finished { at: self.duration });
            }
        }
    }

    /// Run until the duration (or the budget, or idleness) stops the run.
    pub fn run_to_end(&mut self) -> StopReason {
        while self.step().is_some() {}
        self.stop
            .unwrap_or(StopReason::Finished { at: self.duration })
    }

    fn handle(&mut self, ev: PackedEv) -> EventKind {
        match Ev::unpack(ev) {
            Ev::Arrive(slot) => EventKind::MessageArrived(self.arrive(slot)),
            Ev::WorkDone { task, gen } => {
                self.work_done(task, gen);
                EventKind::WorkDone
            }
            Ev::CallTimeout { call, gen, attempt } => {
                self.call_timeout(call, gen, attempt);
                EventKind::CallTimeout
            }
            Ev::Retry { call, gen } => {
                self.retry_fire(call, gen);
                EventKind::Retry
            }
            Ev::ClientTick(c) => {
                self.client_tick(c);
                EventKind::ClientRequest
            }
            Ev::Burst { client, count } => {
                // One request per event, so the event budget bounds even a huge burst.
                self.client_request(client);
                if count > 1 {
                    self.schedule(
                        self.now,
                        Ev::Burst {
                            client,
                            count: count - 1,
                        },
                    );
                }
                EventKind::Burst
            }
            Ev::Visibility {
                mailbox,
                slot,
                delivery,
            } => {
                self.visibility_expired(mailbox, slot, delivery);
                EventKind::VisibilityExpired
            }
            Ev::FaultStart(f) => {
                self.fault_start(f);
                EventKind::FaultStarted
            }
            Ev::FaultEnd(f) => {
                self.fault_end(f);
                EventKind::FaultEnded
            }
            Ev::HalfOpen { edge, gen } => {
                self.half_open(edge, gen);
                EventKind::BreakerHalfOpen
            }
        }
    }

    // ----- trace -------------------------------------------------------------------------------

    /// Append a record (its `id` is assigned here) and return its id. Inlined: it runs for every
    /// record, and the record is then built in place instead of passed through memory.
    #[inline]
    pub(crate) fn emit(&mut self, mut r: Record) -> RecordId {
        let id = RecordId(self.next_record);
        self.next_record = self.next_record.wrapping_add(1);
        self.metrics.totals.records += 1;
        if self.tracing {
            r.id = id;
            self.trace.push(r);
        }
        id
    }

    /// Append a record describing `hop` with the given times and outcome.
    pub(crate) fn emit_hop(
        &mut self,
        hop: &Hop,
        send: SimTime,
        recv: SimTime,
        outcome: Outcome,
        late: bool,
    ) -> RecordId {
        self.emit(Record {
            send,
            recv,
            id: RecordId(0),
            trace: hop.trace,
            cause: hop.cause,
            from: hop.from,
            to: hop.to,
            name: hop.name,
            label: hop.label,
            outcome,
            attempt: hop.attempt,
            kind: hop.kind,
            late,
        })
    }

    /// Record that `msg` was lost now, on its way or at its destination, for `reason`.
    pub(crate) fn emit_dropped(&mut self, msg: &Msg, reason: DropReason) {
        self.emit_hop(
            &msg.hop,
            msg.sent,
            self.now,
            Outcome::Dropped(reason),
            false,
        );
    }

    pub(crate) fn new_trace_id(&mut self) -> TraceId {
        let t = TraceId(self.next_trace);
        self.next_trace = self.next_trace.wrapping_add(1);
        if self.next_trace == u32::MAX {
            self.next_trace = 0;
        }
        t
    }

    // ----- network -----------------------------------------------------------------------------

    /// Put a message on the wire: sample latency (plus active spikes), decide partition / loss
    /// now, and schedule its arrival. A doomed message still "travels" so the UI can draw it.
    ///
    /// Inlined into its few callers so that the hop and payload they build are written straight
    /// into the message's slot: copying them from the caller's just-written stack as one block
    /// stalled on store-to-load forwarding, a measurable share of every message.
    #[inline(always)]
    pub(crate) fn send(&mut self, hop: Hop, payload: Payload) {
        let (latency, doom) = self.route(hop.from.0, hop.to.0);
        let arrives = self.now + latency;
        let msg = Msg {
            live: true,
            hop,
            sent: self.now,
            arrives,
            doom,
            payload,
        };
        let slot = match self.free_msgs.pop() {
            Some(s) => {
                self.msgs[s as usize] = msg;
                s
            }
            None => {
                self.msgs.push(msg);
                (self.msgs.len() - 1) as u32
            }
        };
        self.in_flight_count += 1;
        self.metrics.totals.messages += 1;
        self.schedule(arrives, Ev::Arrive(slot));
    }

    /// The latency of a message from node `a` to node `b` sent now, and whether it is doomed
    /// (partitioned, or lost: decided now, after the latency draw).
    fn route(&mut self, a: u32, b: u32) -> (SimTime, Option<DropReason>) {
        let net = &self.prog.network;
        let (dist, base_loss) = if net.links.is_empty() {
            (net.latency, net.loss)
        } else {
            match net.links.get(&link_key(a, b)) {
                Some(l) => (l.latency, l.loss),
                None => (net.latency, net.loss),
            }
        };
        let mut latency = dist.sample(&mut self.rng);
        let mut keep = 1.0 - base_loss;
        let mut partitioned = false;
        if !self.net_faults.is_empty() {
            let key = link_key(a, b);
            for &fi in self.net_faults.iter() {
                match &self.prog.faults[fi as usize].kind {
                    FaultKindP::LatencySpike { link, extra } => {
                        if link.is_none_or(|l| l == key) {
                            latency = latency + *extra;
                        }
                    }
                    FaultKindP::Loss { link, p } => {
                        if link.is_none_or(|l| l == key) {
                            keep *= 1.0 - p;
                        }
                    }
                    FaultKindP::Partition { a: sa, b: sb } => {
                        let in_a = |n: u32| sa.binary_search(&n).is_ok();
                        let in_b = |n: u32| sb.binary_search(&n).is_ok();
                        if (in_a(a) && in_b(b)) || (in_b(a) && in_a(b)) {
                            partitioned = true;
                        }
                    }
                    FaultKindP::Crash(_) | FaultKindP::ErrorSpike { .. } => {}
                }
            }
        }
        let doom = if partitioned {
            Some(DropReason::Partition)
        } else if self.rng.chance(1.0 - keep) {
            Some(DropReason::Loss)
        } else {
            None
        };
        (latency, doom)
    }

    fn arrive(&mut self, slot: u32) -> Kind {
        let msg = self.msgs[slot as usize];
        self.msgs[slot as usize].live = false;
        self.free_msgs.push(slot);
        self.in_flight_count = self.in_flight_count.saturating_sub(1);
        let to = msg.hop.to;
        let doom = msg.doom.or_else(|| {
            let n = &self.prog.nodes[to.0 as usize];
            match n.kind {
                NodeKind::Service => {
                    (self.services[n.index as usize].crashes > 0).then_some(DropReason::Crashed)
                }
                NodeKind::Queue | NodeKind::Topic | NodeKind::Subscription | NodeKind::Client => {
                    None
                }
            }
        });
        if doom.is_some() {
            self.metrics.totals.dropped += 1;
        }
        match msg.payload {
            Payload::Request {
                call,
                gen,
                endpoint,
                deadline,
            } => self.request_arrived(&msg, doom, call, gen, endpoint, deadline),
            Payload::Response { call, gen, status } => {
                self.response_arrived(&msg, doom, call, gen, status)
            }
            Payload::Enqueue { task, gen, mailbox } => {
                self.enqueue_arrived(&msg, doom, task, gen, mailbox)
            }
            Payload::Publish {
                task,
                gen,
                topic,
                attrs,
            } => self.publish_arrived(&msg, doom, task, gen, topic, attrs),
            Payload::Deliver {
                mailbox,
                slot,
                delivery,
                consumer,
                epoch,
            } => self.deliver_arrived(&msg, doom, mailbox, slot, delivery, consumer, epoch),
            Payload::Ack {
                mailbox,
                slot,
                delivery,
                nack,
            } => self.ack_arrived(&msg, doom, mailbox, slot, delivery, nack),
        }
        msg.hop.kind
    }

    // ----- services and tasks ------------------------------------------------------------------

    pub(crate) fn touch_service(&mut self, s: u32) {
        let rt = &self.services[s as usize];
        let (busy, backlog) = (rt.busy, rt.backlog.len() as u32);
        let m = &mut self.metrics.services[s as usize];
        m.in_system
            .set(self.now, u64::from(busy) + u64::from(backlog));
        m.backlog.set(self.now, u64::from(backlog));
        m.series.update(self.now, backlog, busy);
    }

    /// Store a new live task and return its slot. Inlined into its two callers so the task they
    /// build is written straight into the slot (see `send` on why copying it was slow).
    #[inline(always)]
    pub(crate) fn new_task(&mut self, t: Task) -> u32 {
        let live = &mut self.services[t.service as usize].live;
        let at = live.len() as u32;
        let i = match self.free_tasks.pop() {
            Some(i) => {
                let gen = self.tasks[i as usize].gen;
                self.tasks[i as usize] = Task { gen, at, ..t };
                i
            }
            None => {
                self.tasks.push(Task { gen: 0, at, ..t });
                (self.tasks.len() - 1) as u32
            }
        };
        live.push(i);
        i
    }

    fn free_task(&mut self, t: u32) {
        let task = &mut self.tasks[t as usize];
        if !task.live {
            return;
        }
        task.live = false;
        task.gen = task.gen.wrapping_add(1);
        let (service, at) = (task.service as usize, task.at as usize);
        self.free_tasks.push(t);
        let live = &mut self.services[service].live;
        live.swap_remove(at);
        if let Some(&moved) = live.get(at) {
            self.tasks[moved as usize].at = at as u32;
        }
    }

    /// The attempt number a task serves: the request's attempt or the delivery count.
    fn task_attempt(task: &Task) -> u16 {
        match task.origin {
            Origin::Request { attempt, .. } | Origin::Delivery { attempt, .. } => attempt,
        }
    }

    pub(crate) fn task_alive(&self, t: u32, gen: u32) -> bool {
        self.tasks
            .get(t as usize)
            .is_some_and(|x| x.live && x.gen == gen)
    }

    pub(crate) fn make_runnable(&mut self, t: u32) {
        let gen = self.tasks[t as usize].gen;
        self.runnable.push_back((t, gen));
    }

    fn drain_runnable(&mut self) {
        while let Some((t, gen)) = self.runnable.pop_front() {
            if self.task_alive(t, gen) {
                self.run_task(t);
            }
        }
    }

    /// A request reached a live service: take a worker, wait in the backlog, or be refused.
    fn request_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        call: u32,
        gen: u32,
        endpoint: u32,
        deadline: SimTime,
    ) {
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            return;
        }
        let ep = &self.prog.endpoints[endpoint as usize];
        let (svc, rpc, steps, name) = (ep.service, ep.rpc, ep.steps, ep.name);
        let sp = &self.prog.services[svc as usize];
        let (workers, cap, node) = (sp.workers, sp.backlog, sp.node);
        let rt = &self.services[svc as usize];
        let admit_now = rt.busy < workers;
        let admit_later = !admit_now && (rt.backlog.len() as u64) < u64::from(cap);
        self.metrics.endpoints[endpoint as usize].requests += 1;
        if !admit_now && !admit_later {
            let rec = self.emit_hop(
                &msg.hop,
                msg.sent,
                self.now,
                Outcome::Rejected(RejectReason::BacklogFull),
                false,
            );
            self.metrics.services[svc as usize].rejected += 1;
            let status = reply_status(Failure::Overloaded, rpc);
            let m = &mut self.metrics.endpoints[endpoint as usize];
            m.rejected += 1;
            m.errors += 1;
            count_status(&mut m.replies, status);
            let hop = Hop {
                kind: if rpc {
                    Kind::RpcResponse
                } else {
                    Kind::RestResponse
                },
                from: node,
                to: msg.hop.from,
                name,
                label: NameId::EMPTY,
                trace: msg.hop.trace,
                cause: Some(rec),
                attempt: msg.hop.attempt,
            };
            self.send(hop, Payload::Response { call, gen, status });
            return;
        }
        let rec = self.emit_hop(&msg.hop, msg.sent, self.now, Outcome::Ok, false);
        let t = self.new_task(Task {
            gen: 0,
            live: true,
            started: false,
            replied: false,
            settled: false,
            service: svc,
            pc: steps.0,
            end: steps.1,
            pending: 0,
            origin: Origin::Request {
                caller: msg.hop.from,
                call,
                call_gen: gen,
                attempt: msg.hop.attempt,
                endpoint,
            },
            trace: msg.hop.trace,
            cause: Some(rec),
            name,
            label: NameId::EMPTY,
            arrived: self.now,
            deadline,
            failure: None,
            working_since: None,
            at: 0,
        });
        let gen_t = self.tasks[t as usize].gen;
        let rt = &mut self.services[svc as usize];
        if admit_now {
            rt.busy += 1;
            self.make_runnable(t);
        } else {
            rt.backlog.push_back((t, gen_t));
        }
        self.touch_service(svc);
    }

    /// Free a worker and hand it to the next live request in the backlog.
    fn release_worker(&mut self, svc: u32) {
        let rt = &mut self.services[svc as usize];
        rt.busy = rt.busy.saturating_sub(1);
        while let Some((t, gen)) = self.services[svc as usize].backlog.pop_front() {
            if self.task_alive(t, gen) {
                self.services[svc as usize].busy += 1;
                self.runnable.push_back((t, gen));
                break;
            }
        }
        self.touch_service(svc);
    }

    fn is_rpc_task(&self, t: &Task) -> bool {
        match t.origin {
            Origin::Request { endpoint, .. } => self.prog.endpoints[endpoint as usize].rpc,
            Origin::Delivery { .. } => false,
        }
    }

    /// Run a task's steps until one blocks (work, call, publish, enqueue) or the handler ends.
    fn run_task(&mut self, t: u32) {
        let ti = t as usize;
        if !self.tasks[ti].started {
            self.tasks[ti].started = true;
            if self.tasks[ti].deadline <= self.now {
                // gRPC servers refuse work whose deadline has already passed.
                self.finish_task(t, Some(Failure::DeadlinePassed));
                return;
            }
        }
        loop {
            let task = &self.tasks[ti];
            if task.pending > 0 {
                return;
            }
            if let Some(f) = task.failure {
                self.finish_task(t, Some(f));
                return;
            }
            if task.pc >= task.end {
                self.finish_task(t, None);
                return;
            }
            let step = self.prog.steps[task.pc as usize];
            self.tasks[ti].pc += 1;
            match step {
                StepP::Work(d) => {
                    let dur = d.sample(&mut self.rng);
                    let task = &mut self.tasks[ti];
                    task.working_since = Some(self.now);
                    let gen = task.gen;
                    self.schedule(self.now + dur, Ev::WorkDone { task: t, gen });
                    return;
                }
                StepP::Call(c) => {
                    self.tasks[ti].pending = 1;
                    self.start_task_call(t, c);
                }
                StepP::Parallel { first, count } => {
                    self.tasks[ti].pending = count;
                    for c in first..first + count {
                        self.start_task_call(t, c);
                    }
                }
                StepP::Publish {
                    topic,
                    label,
                    attrs,
                } => {
                    let tp = &self.prog.topics[topic as usize];
                    let (to, name) = (tp.node, tp.name);
                    let gen = self.tasks[ti].gen;
                    let payload = Payload::Publish {
                        task: t,
                        gen,
                        topic,
                        attrs,
                    };
                    self.send_to_broker(t, Kind::Publish, to, name, label, payload);
                }
                StepP::Enqueue { mailbox, label } => {
                    let mb = &self.prog.mailboxes[mailbox as usize];
                    let (to, name) = (mb.node, mb.name);
                    let gen = self.tasks[ti].gen;
                    let payload = Payload::Enqueue {
                        task: t,
                        gen,
                        mailbox,
                    };
                    self.send_to_broker(t, Kind::Enqueue, to, name, label, payload);
                }
                StepP::Reply(status) => {
                    if !self.tasks[ti].replied {
                        // An error-rate spike turns the service's own answer into an error and
                        // abandons the rest of the handler, as a failing process would.
                        if self.spiked(self.tasks[ti].service) {
                            let injected = Failure::Own(Status::Grpc(GrpcCode::Internal));
                            self.finish_task(t, Some(injected));
                            return;
                        }
                        self.reply(t, status);
                    }
                }
                StepP::Fail { p, status } => {
                    if self.rng.chance(p) {
                        let rpc = self.is_rpc_task(&self.tasks[ti]);
                        let st = status.unwrap_or(if rpc {
                            Status::Grpc(GrpcCode::Internal)
                        } else {
                            Status::Http(500)
                        });
                        self.finish_task(t, Some(Failure::Own(st)));
                        return;
                    }
                }
                StepP::Ack => {
                    let nack = self.spiked(self.tasks[ti].service);
                    self.settle(t, nack);
                }
                StepP::Nack => self.settle(t, true),
            }
        }
    }

    /// Task `t` sends a message to a queue or topic and waits for the broker to take it
    /// (`producer_done` resumes it).
    fn send_to_broker(
        &mut self,
        t: u32,
        kind: Kind,
        to: NodeId,
        name: NameId,
        label: NameId,
        payload: Payload,
    ) {
        let task = self.tasks[t as usize];
        self.tasks[t as usize].pending = 1;
        let hop = Hop {
            kind,
            from: self.prog.services[task.service as usize].node,
            to,
            name,
            label,
            trace: task.trace,
            cause: task.cause,
            attempt: 1,
        };
        self.send(hop, payload);
    }

    /// Start call spec `c` on behalf of task `t`; an immediate outcome counts down `pending`.
    fn start_task_call(&mut self, t: u32, c: u32) {
        let task = self.tasks[t as usize];
        let owner = crate::sim::calls::Owner::Task {
            task: t,
            gen: task.gen,
        };
        let caller = self.prog.services[task.service as usize].node;
        if let Some(result) =
            self.start_call(c, owner, caller, task.trace, task.cause, task.deadline)
        {
            self.task_call_done(t, c, result);
        }
    }

    /// A call made by task `t` finished (after retries).
    pub(crate) fn task_call_done(&mut self, t: u32, spec: u32, result: Result<Status, Failure>) {
        let on_error = self.prog.calls[spec as usize].on_error;
        let task = &mut self.tasks[t as usize];
        task.pending = task.pending.saturating_sub(1);
        if let Err(f) = result {
            if on_error == crate::sim::world::OnError::Fail && task.failure.is_none() {
                task.failure = Some(f);
            }
        }
        if task.pending == 0 {
            self.make_runnable(t);
        }
    }

    /// A producer's enqueue/publish reached the broker (or could not).
    pub(crate) fn producer_done(&mut self, t: u32, gen: u32, result: Result<(), Failure>) {
        if !self.task_alive(t, gen) {
            return;
        }
        let task = &mut self.tasks[t as usize];
        task.pending = task.pending.saturating_sub(1);
        if let Err(f) = result {
            if task.failure.is_none() {
                task.failure = Some(f);
            }
        }
        if task.pending == 0 {
            self.make_runnable(t);
        }
    }

    fn work_done(&mut self, t: u32, gen: u32) {
        if !self.task_alive(t, gen) {
            return;
        }
        let task = self.tasks[t as usize];
        let node = self.prog.services[task.service as usize].node;
        self.emit(Record {
            send: task.working_since.unwrap_or(self.now),
            recv: self.now,
            id: RecordId(0),
            trace: task.trace,
            cause: task.cause,
            from: node,
            to: node,
            name: task.name,
            label: task.label,
            outcome: Outcome::Ok,
            attempt: Sim::task_attempt(&task),
            kind: Kind::Work,
            late: false,
        });
        self.tasks[t as usize].working_since = None;
        self.run_task(t);
    }

    /// Send the response of request task `t` with `status` (converted to its family).
    fn reply(&mut self, t: u32, status: Status) {
        let task = self.tasks[t as usize];
        let Origin::Request {
            caller,
            call,
            call_gen,
            attempt,
            endpoint,
        } = task.origin
        else {
            return; // `reply` in a consumer is ignored
        };
        self.tasks[t as usize].replied = true;
        let ep = &self.prog.endpoints[endpoint as usize];
        let rpc = ep.rpc;
        let status = in_family(status, rpc);
        let hop = Hop {
            kind: if rpc {
                Kind::RpcResponse
            } else {
                Kind::RestResponse
            },
            from: ep.node,
            to: caller,
            name: ep.name,
            label: NameId::EMPTY,
            trace: task.trace,
            cause: task.cause,
            attempt,
        };
        let m = &mut self.metrics.endpoints[endpoint as usize];
        count_status(&mut m.replies, status);
        if !is_success(status) {
            m.errors += 1;
        }
        m.latency.record(self.now - task.arrived);
        self.send(
            hop,
            Payload::Response {
                call,
                gen: call_gen,
                status,
            },
        );
    }

    /// The handler ended (normally, or with `failure`): reply or ack/nack if not done yet,
    /// then free the worker or consumer slot.
    fn finish_task(&mut self, t: u32, failure: Option<Failure>) {
        let task = self.tasks[t as usize];
        match task.origin {
            Origin::Request { endpoint, .. } => {
                let rpc = self.prog.endpoints[endpoint as usize].rpc;
                if !task.replied {
                    let failure = failure.or_else(|| {
                        self.spiked(task.service)
                            .then_some(Failure::Own(Status::Grpc(GrpcCode::Internal)))
                    });
                    let status = match failure {
                        Some(f) => reply_status(f, rpc),
                        None => {
                            if rpc {
                                Status::Grpc(GrpcCode::Ok)
                            } else {
                                Status::Http(200)
                            }
                        }
                    };
                    self.reply(t, status);
                }
                self.free_task(t);
                self.release_worker(task.service);
            }
            Origin::Delivery {
                mailbox, consumer, ..
            } => {
                if !task.settled {
                    let nack = failure.is_some() || self.spiked(task.service);
                    self.settle(t, nack);
                }
                let m = &mut self.metrics.consumers[consumer as usize];
                m.latency.record(self.now - task.arrived);
                self.free_task(t);
                let b = &mut self.consumer_busy[consumer as usize];
                *b = b.saturating_sub(1);
                self.try_dispatch(mailbox);
            }
        }
    }

    // ----- faults ------------------------------------------------------------------------------

    /// Whether an active error-rate spike on `service` fails the outcome being decided now.
    /// Draws from the RNG only while a spike is active, so runs without one are unaffected.
    fn spiked(&mut self, service: u32) -> bool {
        let p = self.services[service as usize].error_p;
        p > 0.0 && self.rng.chance(p)
    }

    fn fault_nodes(&self, f: u32) -> (NodeId, NodeId) {
        let none = NodeId(u32::MAX);
        match &self.prog.faults[f as usize].kind {
            FaultKindP::Crash(s) | FaultKindP::ErrorSpike { service: s, .. } => {
                let n = self.prog.services[*s as usize].node;
                (n, n)
            }
            FaultKindP::LatencySpike { link, .. } | FaultKindP::Loss { link, .. } => match link {
                Some((a, b)) => (NodeId(*a), NodeId(*b)),
                None => (none, none),
            },
            FaultKindP::Partition { a, b } => (
                a.first().map_or(none, |&n| NodeId(n)),
                b.first().map_or(none, |&n| NodeId(n)),
            ),
        }
    }

    fn fault_record(&mut self, f: u32, kind: Kind) {
        let (from, to) = self.fault_nodes(f);
        let fp = &self.prog.faults[f as usize];
        let (send, text) = (fp.at, fp.text);
        self.emit(Record {
            send,
            recv: self.now,
            id: RecordId(0),
            trace: TraceId::NONE,
            cause: None,
            from,
            to,
            name: text,
            label: NameId::EMPTY,
            outcome: Outcome::Ok,
            attempt: 1,
            kind,
            late: false,
        });
    }

    fn recompute_error_p(&mut self, svc: u32) {
        let mut keep = 1.0;
        for &fi in self.error_faults.iter() {
            if let FaultKindP::ErrorSpike { service, p } = self.prog.faults[fi as usize].kind {
                if service == svc {
                    keep *= 1.0 - p;
                }
            }
        }
        self.services[svc as usize].error_p = 1.0 - keep;
    }

    fn fault_start(&mut self, f: u32) {
        self.fault_record(f, Kind::FaultStart);
        match self.prog.faults[f as usize].kind {
            FaultKindP::Crash(s) => {
                self.services[s as usize].crashes += 1;
                if self.services[s as usize].crashes == 1 {
                    self.crash(s);
                }
            }
            FaultKindP::ErrorSpike { service, .. } => {
                self.error_faults.push(f);
                self.recompute_error_p(service);
            }
            FaultKindP::LatencySpike { .. }
            | FaultKindP::Loss { .. }
            | FaultKindP::Partition { .. } => self.net_faults.push(f),
        }
    }

    fn fault_end(&mut self, f: u32) {
        match self.prog.faults[f as usize].kind {
            FaultKindP::Crash(s) => {
                let rt = &mut self.services[s as usize];
                rt.crashes = rt.crashes.saturating_sub(1);
                if rt.crashes == 0 {
                    self.restart(s);
                }
            }
            FaultKindP::ErrorSpike { service, .. } => {
                self.error_faults.retain(|&x| x != f);
                self.recompute_error_p(service);
            }
            FaultKindP::LatencySpike { .. }
            | FaultKindP::Loss { .. }
            | FaultKindP::Partition { .. } => self.net_faults.retain(|&x| x != f),
        }
        self.fault_record(f, Kind::FaultEnd);
    }

    /// Lose every task of the service (running, waiting, consuming) and its pending calls.
    fn crash(&mut self, s: u32) {
        let node = self.prog.services[s as usize].node;
        let rt = &mut self.services[s as usize];
        rt.epoch = rt.epoch.wrapping_add(1);
        rt.busy = 0;
        rt.backlog.clear();
        // The service's own tasks, in slot order (the order every run has always used).
        let mut victims = rt.live.clone();
        victims.sort_unstable();
        for i in victims {
            let task = self.tasks[i as usize];
            if !task.live || task.service != s {
                continue;
            }
            if let Some(since) = task.working_since {
                self.emit(Record {
                    send: since,
                    recv: self.now,
                    id: RecordId(0),
                    trace: task.trace,
                    cause: task.cause,
                    from: node,
                    to: node,
                    name: task.name,
                    label: task.label,
                    outcome: Outcome::Dropped(DropReason::Crashed),
                    attempt: Sim::task_attempt(&task),
                    kind: Kind::Work,
                    late: false,
                });
                self.metrics.services[s as usize].lost_to_crash += 1;
            }
            self.free_task(i);
        }
        self.free_calls_of_dead_tasks();
        for c in self.prog.service_consumers[s as usize].clone() {
            self.consumer_busy[c as usize] = 0;
        }
        self.touch_service(s);
    }

    fn restart(&mut self, s: u32) {
        for c in self.prog.service_consumers[s as usize].clone() {
            let m = self.prog.consumers[c as usize].mailbox;
            self.try_dispatch(m);
        }
    }

    pub(crate) fn service_crashed(&self, s: u32) -> bool {
        self.services[s as usize].crashes > 0
    }

    // ----- views ---------------------------------------------------------------------------------

    /// The trace so far (empty when tracing is off).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    /// `trace().hash()`: FNV-1a 64 over the canonical encoding of every record.
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }
    /// Metrics so far.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// Every node: services, queues, topics, subscriptions (`topic/sub`), clients, in that order.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.prog.nodes
    }
    /// Interned names; `NameId(i)` is `names()[i]`.
    pub fn names(&self) -> &[String] {
        &self.prog.names
    }
    /// A node id by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.prog
            .nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }
    /// Display label of endpoint `i` (metrics index), e.g. `gateway POST /checkout`.
    pub fn endpoint_label(&self, i: usize) -> String {
        match self.prog.endpoints.get(i) {
            Some(e) => format!(
                "{} {}",
                self.prog.nodes[e.node.0 as usize].name, self.prog.names[e.name.0 as usize]
            ),
            None => String::new(),
        }
    }
    /// Display label of consumer `i`, e.g. `payments <- payments-q`.
    pub fn consumer_label(&self, i: usize) -> String {
        match self.prog.consumers.get(i) {
            Some(c) => format!(
                "{} <- {}",
                self.prog.nodes[c.node.0 as usize].name,
                self.prog.names[self.prog.mailboxes[c.mailbox as usize].name.0 as usize]
            ),
            None => String::new(),
        }
    }
    /// Node of mailbox `i` (metrics index).
    pub fn mailbox_node(&self, i: usize) -> Option<NodeId> {
        self.prog.mailboxes.get(i).map(|m| m.node)
    }
    /// Messages on the wire now.
    pub fn in_flight(&self) -> Vec<InFlight> {
        let mut v = Vec::with_capacity(self.in_flight_count as usize);
        for m in self.msgs.iter().filter(|m| m.live) {
            v.push(InFlight {
                from: m.hop.from,
                to: m.hop.to,
                kind: m.hop.kind,
                name: m.hop.name,
                label: m.hop.label,
                sent: m.sent,
                arrives: m.arrives,
                trace: m.hop.trace,
                attempt: m.hop.attempt,
                doomed: m.doom,
            });
        }
        v.sort_by_key(|m| (m.sent, m.arrives));
        v
    }
    /// Number of messages on the wire now.
    pub fn in_flight_count(&self) -> u32 {
        self.in_flight_count
    }
    /// Depth and in-flight count of every queue and subscription now.
    pub fn mailboxes(&self) -> Vec<MailboxView> {
        self.prog
            .mailboxes
            .iter()
            .zip(self.mailboxes.iter())
            .map(|(p, rt)| MailboxView {
                node: p.node,
                depth: rt.ready.len() as u32,
                in_flight: rt.in_flight,
            })
            .collect()
    }
    /// Busy workers, backlog and crash state of every service now.
    pub fn services(&self) -> Vec<ServiceView> {
        self.prog
            .services
            .iter()
            .zip(self.services.iter())
            .map(|(p, rt)| ServiceView {
                node: p.node,
                busy: rt.busy,
                backlog: rt.backlog.len() as u32,
                workers: p.workers,
                crashed: rt.crashes > 0,
            })
            .collect()
    }
    /// Services crashed now.
    pub fn crashed(&self) -> Vec<NodeId> {
        self.prog
            .services
            .iter()
            .zip(self.services.iter())
            .filter(|(_, rt)| rt.crashes > 0)
            .map(|(p, _)| p.node)
            .collect()
    }
    /// Partitions active now.
    pub fn partitions(&self) -> Vec<Partition> {
        let mut v = Vec::new();
        for &fi in self.net_faults.iter() {
            let f = &self.prog.faults[fi as usize];
            if let FaultKindP::Partition { a, b } = &f.kind {
                v.push(Partition {
                    a: a.iter().map(|&n| NodeId(n)).collect(),
                    b: b.iter().map(|&n| NodeId(n)).collect(),
                    until: f.end,
                });
            }
        }
        v
    }
    /// Whether messages between `a` and `b` are currently cut by a partition.
    pub fn is_partitioned(&self, a: NodeId, b: NodeId) -> bool {
        self.partitions().iter().any(|p| {
            (p.a.contains(&a) && p.b.contains(&b)) || (p.a.contains(&b) && p.b.contains(&a))
        })
    }
    /// The mechanism of a record, telling queue from pub/sub by the nodes involved.
    pub fn mechanism(&self, r: &Record) -> Mechanism {
        let base = r.kind.mechanism();
        if base != Mechanism::Queue {
            return base;
        }
        let is_sub = |n: NodeId| {
            self.prog
                .nodes
                .get(n.0 as usize)
                .is_some_and(|x| x.kind == NodeKind::Subscription)
        };
        if is_sub(r.from) || is_sub(r.to) {
            Mechanism::PubSub
        } else {
            Mechanism::Queue
        }
    }
    /// The stable one-line text of a record.
    pub fn format_record(&self, r: &Record) -> String {
        format_record(r, self)
    }
    /// Every record as text, one per line.
    pub fn format_trace(&self) -> String {
        let mut s = String::new();
        for r in self.trace.records() {
            s.push_str(&format_record(r, self));
            s.push('\n');
        }
        s
    }
}

/// Name lookups (bring the `Names` trait into scope to call `sim.node_name(id)` / `sim.name(id)`):
/// `*` for `NodeId(u32::MAX)` (faults on every link), `?` for an unknown name.
impl Names for Sim {
    fn node_name(&self, n: NodeId) -> &str {
        self.prog
            .nodes
            .get(n.0 as usize)
            .map_or("*", |x| x.name.as_str())
    }
    fn name(&self, n: NameId) -> &str {
        self.prog
            .names
            .get(n.0 as usize)
            .map_or("?", |x| x.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::reference::{reference_world, REFERENCE_SEED};
    use crate::sim::world::Fault;

    /// The event heap pops in `(time, seq)` order: checked against a sorted model over a
    /// deterministic mix of pushes and pops with many equal times.
    #[test]
    fn event_heap_pops_in_key_order() {
        let mut heap = EventHeap::default();
        let mut model: Vec<u128> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut seq = 0u64;
        for round in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) && !model.is_empty() {
                model.sort_unstable();
                let want = model.remove(0);
                let got = heap.pop().expect("the model is not empty");
                assert_eq!(got.key, want, "pop {round}");
            } else {
                let key = u128::from(x % 64) << 64 | u128::from(seq);
                seq += 1;
                model.push(key);
                heap.push(Entry {
                    key,
                    ev: Ev::ClientTick(round).pack(),
                });
            }
        }
        model.sort_unstable();
        for want in model {
            assert_eq!(heap.pop().map(|e| e.key), Some(want));
        }
        assert!(heap.pop().is_none());
    }

    /// Packing an event into two words and back gives the same event, for every variant with
    /// fields at their extremes.
    #[test]
    fn events_survive_packing() {
        let m = u32::MAX;
        let evs = [
            Ev::Arrive(m),
            Ev::WorkDone { task: m, gen: 1 },
            Ev::CallTimeout {
                call: 2,
                gen: m,
                attempt: u16::MAX,
            },
            Ev::Retry { call: m, gen: m },
            Ev::ClientTick(0),
            Ev::Burst {
                client: 3,
                count: m,
            },
            Ev::Visibility {
                mailbox: m,
                slot: 4,
                delivery: m,
            },
            Ev::FaultStart(m),
            Ev::FaultEnd(5),
            Ev::HalfOpen { edge: 6, gen: m },
        ];
        for ev in evs {
            assert_eq!(format!("{:?}", Ev::unpack(ev.pack())), format!("{ev:?}"));
        }
    }

    /// Each service's list of live tasks, and the list of task-owned calls, are exactly what a
    /// scan of every slot finds.
    fn assert_live_lists(sim: &Sim) {
        for (s, rt) in sim.services.iter().enumerate() {
            let mut listed = rt.live.clone();
            listed.sort_unstable();
            let scanned: Vec<u32> = (0..sim.tasks.len())
                .filter(|&i| sim.tasks[i].live && sim.tasks[i].service as usize == s)
                .map(|i| i as u32)
                .collect();
            assert_eq!(listed, scanned, "service {s} at {}", sim.now());
            for (at, &t) in rt.live.iter().enumerate() {
                assert_eq!(sim.tasks[t as usize].at as usize, at);
            }
        }
        let mut listed = sim.task_calls.clone();
        listed.sort_unstable();
        let scanned: Vec<u32> = (0..sim.calls.len())
            .filter(|&c| {
                let call = &sim.calls[c];
                call.live && matches!(call.owner, crate::sim::calls::Owner::Task { .. })
            })
            .map(|c| c as u32)
            .collect();
        assert_eq!(listed, scanned, "task-owned calls at {}", sim.now());
        for (at, &c) in sim.task_calls.iter().enumerate() {
            assert_eq!(sim.calls[c as usize].at as usize, at);
        }
    }

    #[test]
    fn live_task_and_call_lists_stay_exact_through_crashes() {
        let ms = SimTime::from_millis;
        let world = reference_world()
            .fault(Fault::crash("gateway", ms(1_200), ms(100)))
            .fault(Fault::crash("orders", ms(2_100), ms(300)))
            .fault(Fault::crash("emails", ms(2_200), ms(100)))
            .fault(Fault::crash("payments", ms(3_300), ms(50)));
        let mut sim = Sim::new(world, REFERENCE_SEED).expect("valid");
        let mut n = 0u64;
        while sim.step().is_some() {
            n += 1;
            if n.is_multiple_of(7) {
                assert_live_lists(&sim);
            }
        }
        assert_live_lists(&sim);
        assert!(n > 1_000, "{n} events");
    }
}
