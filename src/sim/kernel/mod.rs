//! The kernel: simulated time, the pending-event queue ordered by `(time, seq)`, the run's one
//! seeded RNG, trace emission, the metrics sink, and the stop rules (duration, event budget,
//! idleness). It knows no mechanism: events reach it packed (`Packed`) by the `Event` each
//! mechanism implements for its own event enum, and leave it the same way for the engine to hand
//! to their owner.
//!
//! ```text
//!   mechanism ──schedule(at, ev)──► [heap of later instants] + [immediate queue of now]
//!                                              │ pop: the next event, clock advanced
//!                                              ▼
//!   engine::Sim::step ──► owner's handler ──► emit(record) / schedule(…) / rng() / metrics_mut()
//! ```

mod queue;

pub(crate) use queue::Packed;

use crate::sim::dist::SimRng;
use crate::sim::metrics::Metrics;
use crate::sim::time::SimTime;
use crate::sim::trace::{Kind, NameId, NodeId, Outcome, Record, RecordId, Trace, TraceId};
use queue::{Entry, EventHeap};
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
    /// More tasks, calls and messages were pending at once than `RunSettings::pending_limit`.
    PendingLimit {
        /// The limit.
        limit: u64,
        /// When it was passed.
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
            StopReason::PendingLimit { limit, at } => write!(
                f,
                "over {} tasks, calls, messages and timers pending at once at {at} (a load far beyond what the services can serve?)",
                grouped(*limit)
            ),
        }
    }
}

/// `n` with a comma between groups of three digits (`1,000,000`).
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A mechanism's event enum: how it packs into the kernel's two words and back.
///
/// `MECH` is the owning mechanism's number (the tag's high nibble); `engine::Sim::handle` routes
/// on it, and its `match` refuses two mechanisms with the same number (an unreachable arm is a
/// compile error: the `match` denies unreachable patterns). Each variant picks its own low
/// nibble, and `unpack` refuses one it does not know.
pub(crate) trait Event: Copy {
    /// The owning mechanism's number, 0..=15.
    const MECH: u8;
    /// The event as a variant number (0..=15) and up to three fields.
    fn pack(self) -> (u8, u32, u32, u32);
    /// The event back from `pack`'s variant number and fields.
    fn unpack(variant: u8, x: u32, y: u32, z: u32) -> Self;

    /// Packs the event with its mechanism's number.
    #[inline(always)]
    fn packed(self) -> Packed {
        const { assert!(Self::MECH < 16, "a mechanism number is one nibble") };
        let (v, x, y, z) = self.pack();
        debug_assert!(v < 16, "a variant number is one nibble");
        Packed::new(Self::MECH << 4 | (v & 0xF), x, y, z)
    }

    /// Unpacks an event whose mechanism number is `MECH`.
    #[inline(always)]
    fn from_packed(p: Packed) -> Self {
        let (x, y, z) = p.fields();
        Self::unpack(p.tag() & 0xF, x, y, z)
    }
}

/// The header of a message hop: everything its trace record needs besides times and outcome.
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

/// Time, the event queue, the RNG, the trace and the metrics of one run.
#[derive(Clone)]
pub(crate) struct Kernel {
    rng: SimRng,
    now: SimTime,
    /// Sequence number of the next heap entry (ties between equal times go first-scheduled).
    seq: u64,
    heap: EventHeap,
    /// Events scheduled for the current instant while processing it, in the order scheduled:
    /// they follow every heap entry of the same time (those were scheduled before this instant
    /// began). Their time is `now`, and their order is this queue's, so they need no key.
    immediate: VecDeque<Packed>,
    duration: SimTime,
    budget: u64,
    pending_limit: u64,
    seed: u64,
    tracing: bool,
    stop: Option<StopReason>,
    events: u64,
    trace: Trace,
    next_record: u32,
    next_trace: u32,
    metrics: Metrics,
}

/// What the kernel needs to start a run.
pub(crate) struct KernelSettings {
    pub seed: u64,
    pub duration: SimTime,
    pub budget: u64,
    pub pending_limit: u64,
    pub tracing: bool,
    pub trace_limit: Option<u32>,
}

impl Kernel {
    pub(crate) fn new(s: KernelSettings, metrics: Metrics) -> Kernel {
        Kernel {
            rng: SimRng::new(s.seed),
            now: SimTime::ZERO,
            seq: 0,
            heap: EventHeap::default(),
            immediate: VecDeque::new(),
            duration: s.duration,
            budget: s.budget,
            pending_limit: s.pending_limit,
            seed: s.seed,
            tracing: s.tracing,
            stop: None,
            events: 0,
            trace: Trace::with_limit(s.trace_limit),
            next_record: 0,
            next_trace: 0,
            metrics,
        }
    }

    // ----- clock ---------------------------------------------------------------------------------

    #[inline(always)]
    pub(crate) fn now(&self) -> SimTime {
        self.now
    }
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }
    pub(crate) fn duration(&self) -> SimTime {
        self.duration
    }
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }
    pub(crate) fn events(&self) -> u64 {
        self.events
    }
    pub(crate) fn stop(&self) -> Option<StopReason> {
        self.stop
    }

    /// Events waiting in the queue (later instants and this one), stale timers included.
    #[inline]
    pub(crate) fn queued(&self) -> usize {
        self.heap.len() + self.immediate.len()
    }

    /// Time of the next pending event, if any.
    pub(crate) fn next_event_time(&self) -> Option<SimTime> {
        if !self.immediate.is_empty() {
            return Some(self.now);
        }
        self.heap.peek_time().map(SimTime)
    }

    /// The run's one random number generator.
    #[inline(always)]
    pub(crate) fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    // ----- event queue ---------------------------------------------------------------------------

    /// Schedule `ev` at `at`. Inlined so that the event is packed where it is built (in
    /// registers), not built in memory and packed here.
    #[inline(always)]
    pub(crate) fn schedule<E: Event>(&mut self, at: SimTime, ev: E) {
        self.schedule_packed(at, ev.packed());
    }

    fn schedule_packed(&mut self, at: SimTime, ev: Packed) {
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

    /// Take the next event and move the clock to it, or set the stop reason and return `None`:
    /// the next event is past the duration, the event budget is spent, or nothing is left.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Packed> {
        if self.stop.is_some() {
            return None;
        }
        // Heap entries at `now` precede `immediate` (see `Kernel::immediate`); otherwise
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
        Some(ev)
    }

    /// Stop the run if `pending` (tasks, calls and messages held now) is over the limit.
    #[inline]
    pub(crate) fn check_pending(&mut self, pending: u64) {
        if pending > self.pending_limit && self.stop.is_none() {
            self.stop = Some(StopReason::PendingLimit {
                limit: self.pending_limit,
                at: self.now,
            });
        }
    }

    /// After every event due by `limit` (capped at the duration) has run: move the clock to the
    /// limit, and finish the run if that is the duration.
    pub(crate) fn advance_to(&mut self, limit: SimTime) {
        if self.stop.is_some() {
            return;
        }
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

    // ----- trace and metrics -----------------------------------------------------------------------

    /// Id of the next record to be emitted.
    pub(crate) fn next_record(&self) -> u32 {
        self.next_record
    }

    /// The trace so far (empty when tracing is off).
    pub(crate) fn trace(&self) -> &Trace {
        &self.trace
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    #[inline(always)]
    pub(crate) fn metrics_mut(&mut self) -> &mut Metrics {
        &mut self.metrics
    }

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

    /// A fresh trace id for a new originating request.
    pub(crate) fn new_trace_id(&mut self) -> TraceId {
        let t = TraceId(self.next_trace);
        self.next_trace = self.next_trace.wrapping_add(1);
        if self.next_trace == u32::MAX {
            self.next_trace = 0;
        }
        t
    }
}
