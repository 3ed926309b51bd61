//! Services: worker pools with bounded backlogs, and the tasks that run handlers on them (a
//! request being served or a message being consumed). A task runs its steps until one blocks
//! (work, a call, a publish or enqueue), then waits for the event that resumes it; when its
//! handler ends it replies (or settles its delivery) and frees its worker. Crashes and restarts
//! of a service are here too: a crash loses every task of the service and their pending calls.
//!
//! One concept in one file, over 800 lines: a task's life (arrival, steps, reply, end, crash)
//! reads in one place, and the hot path stays in one module for the optimiser.

use super::brokers::{BrokerMsg, Stored};
use super::calls::{CallMsg, CallRt, Owner, Request};
use super::net::Msg;
use super::{EventKind, Sim};
use crate::sim::compile::{
    CallId, ConsumerId, EndpointId, EndpointP, MailboxId, Program, ServiceId, StepP, StepRange,
    TokenBucket,
};
use crate::sim::kernel::{Event, Hop};
use crate::sim::metrics::count_status;
use crate::sim::protocol::{is_success, sat16, Failure, Protocol};
use crate::sim::slab::{Id, Slab};
use crate::sim::time::SimTime;
use crate::sim::trace::{
    DropReason, Kind, NameId, NodeId, Outcome, Record, RecordId, RejectReason, TraceId,
};
use crate::sim::world::{Confirms, GrpcCode, OnError, Status};
use std::collections::{BTreeMap, VecDeque};

/// Where a task came from (what it must answer).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    Request {
        caller: NodeId,
        call: Id<CallRt>,
        call_gen: u32,
        attempt: u16,
        endpoint: EndpointId,
        /// Carries the call's idempotency key.
        keyed: bool,
    },
    Delivery {
        mailbox: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
        consumer: ConsumerId,
        attempt: u16,
    },
}

/// One handler execution: a request being served or a message being consumed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Task {
    started: bool,
    replied: bool,
    settled: bool,
    service: ServiceId,
    pc: u32,
    end: u32,
    pending: u32,
    origin: Origin,
    trace: TraceId,
    cause: Option<RecordId>,
    name: NameId,
    label: NameId,
    arrived: SimTime,
    deadline: SimTime,
    failure: Option<Failure>,
    working_since: Option<SimTime>,
    /// What the reply asks the caller to wait before a retry (`retry-after`; zero: nothing).
    retry_after: SimTime,
    /// When this consumer task's ack or nack reaches its broker (or is lost): its consumer slot
    /// stays taken until then, as RabbitMQ's prefetch counts unacked deliveries and an SQS
    /// consumer deletes a message before it receives the next.
    ack_lands: SimTime,
    /// Producer confirms: sequence numbers of this task's broker sends (the first of the
    /// current step, and the latest), and whether it waits for a confirm now.
    confirm_first: u32,
    confirm_seq: u32,
    confirm_wait: bool,
    /// Position of this task's slot in its service's `ServiceRt::live` (set by `new_task`).
    at: u32,
}

/// The hop of an answer (a response, or news of a broken connection) from endpoint `ep` back to
/// `to`, in the request's trace.
#[inline]
fn answer_hop(
    ep: &EndpointP,
    to: NodeId,
    trace: TraceId,
    cause: Option<RecordId>,
    attempt: u16,
) -> Hop {
    Hop {
        kind: ep.protocol.response_kind(),
        from: ep.node,
        to,
        name: ep.name,
        label: NameId::EMPTY,
        trace,
        cause,
        attempt,
    }
}

impl Task {
    /// A task that has not started: it runs `steps` of service `svc` for `origin`, in the trace
    /// of `hop` (whose cause, name and label it takes), arrived at `arrived`, with `deadline`.
    /// The one place a task's fields are listed, so a new field is added once.
    #[inline(always)]
    fn new(
        svc: ServiceId,
        steps: StepRange,
        origin: Origin,
        hop: &Hop,
        arrived: SimTime,
        deadline: SimTime,
    ) -> Task {
        Task {
            started: false,
            replied: false,
            settled: false,
            service: svc,
            pc: steps.0,
            end: steps.1,
            pending: 0,
            origin,
            trace: hop.trace,
            cause: hop.cause,
            name: hop.name,
            label: hop.label,
            arrived,
            deadline,
            failure: None,
            working_since: None,
            retry_after: SimTime::ZERO,
            ack_lands: SimTime::ZERO,
            confirm_first: 0,
            confirm_seq: 0,
            confirm_wait: false,
            at: 0,
        }
    }

    /// The record of this task's work span on `node`, from `since` to `now`, ending as `outcome`.
    #[inline]
    fn work_span(&self, node: NodeId, since: SimTime, now: SimTime, outcome: Outcome) -> Record {
        Record {
            send: since,
            recv: now,
            id: RecordId(0),
            trace: self.trace,
            cause: self.cause,
            from: node,
            to: node,
            name: self.name,
            label: self.label,
            outcome,
            attempt: self.attempt(),
            kind: Kind::Work,
            late: false,
        }
    }

    /// The attempt number a task serves: the request's attempt or the delivery count.
    fn attempt(&self) -> u16 {
        match self.origin {
            Origin::Request { attempt, .. } | Origin::Delivery { attempt, .. } => attempt,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct ServiceRt {
    busy: u32,
    backlog: VecDeque<(Id<Task>, u32)>,
    /// Slots of this service's live tasks (running, waiting or consuming), in no order: a crash
    /// visits these instead of every task slot of the run (millions in a retry storm).
    live: Vec<Id<Task>>,
    /// Lives of the service: bumped by each crash, so deliveries sent before it are known lost.
    epoch: u32,
    /// The rate limiter's bucket (in `TokenBucket::UNIT`s) as of `refilled`; unused without
    /// a rate limit.
    tokens: u64,
    refilled: SimTime,
}

/// Bucket `b` holding `tokens` as of `refilled`, at `now`: refilled for the time since, then one
/// token taken. `None` if there was one; else how long until there will be.
fn take_from(
    tokens: &mut u64,
    refilled: &mut SimTime,
    b: TokenBucket,
    now: SimTime,
) -> Option<SimTime> {
    let elapsed = (now - *refilled).as_micros();
    *tokens = tokens
        .saturating_add(b.per_minute_milli.saturating_mul(elapsed))
        .min(b.cap);
    *refilled = now;
    if *tokens >= TokenBucket::UNIT {
        *tokens -= TokenBucket::UNIT;
        return None;
    }
    let missing = TokenBucket::UNIT - *tokens;
    Some(SimTime::from_micros(missing.div_ceil(b.per_minute_milli)))
}

/// What an endpoint that dedupes knows of an idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyState {
    /// A request with this key is being handled.
    InProgress,
    /// The first answer given for this key.
    Done(Status),
}

/// An idempotency key at one endpoint: (endpoint, the call's slot, the call's generation).
type Key = (u32, u32, u32);

/// Every service's workers and backlog, and every task.
#[derive(Clone, Debug)]
pub(crate) struct Services {
    rt: Vec<ServiceRt>,
    tasks: Slab<Task>,
    /// Tasks ready to run their next steps, drained after each event, so a long backlog never
    /// recurses.
    runnable: VecDeque<(Id<Task>, u32)>,
    /// Idempotency keys seen by endpoints that dedupe. Kept for the whole run (real stores
    /// expire keys after hours, longer than any run here).
    keys: BTreeMap<Key, KeyState>,
    /// The buckets of rate limits `per-caller`, by (service replica, calling node): (tokens in
    /// `TokenBucket::UNIT`s, as of when). A pair not here yet has a full bucket, which is what
    /// a bucket made full at the start would still hold.
    caller_buckets: BTreeMap<(u32, NodeId), (u64, SimTime)>,
}

impl Services {
    pub(crate) fn new(prog: &Program) -> Services {
        let rt = prog
            .services
            .iter()
            .map(|sp| ServiceRt {
                // A bucket starts full, as Envoy's does.
                tokens: sp.rate_limit.map_or(0, |b| b.cap),
                ..ServiceRt::default()
            })
            .collect();
        Services {
            rt,
            tasks: Slab::default(),
            runnable: VecDeque::new(),
            keys: BTreeMap::new(),
            caller_buckets: BTreeMap::new(),
        }
    }

    /// Whether `t` is still the task of generation `gen` (not ended, not lost to a crash).
    #[inline]
    pub(crate) fn task_alive(&self, t: Id<Task>, gen: u32) -> bool {
        self.tasks.is_current(t, gen)
    }

    /// Live tasks.
    #[inline]
    pub(crate) fn task_count(&self) -> u32 {
        self.tasks.len()
    }

    /// What task `t` answers, and the trace, cause and label of what it handles (for the
    /// records it makes elsewhere, e.g. a consumer's ack).
    pub(crate) fn task_origin(&self, t: Id<Task>) -> (Origin, Hop) {
        let task = &self.tasks[t];
        let hop = Hop {
            kind: Kind::Work,
            from: NodeId(u32::MAX),
            to: NodeId(u32::MAX),
            name: task.name,
            label: task.label,
            trace: task.trace,
            cause: task.cause,
            attempt: task.attempt(),
        };
        (task.origin, hop)
    }

    /// The generation of live task `t` (to recognise it later with `task_alive`).
    #[inline]
    pub(crate) fn task_gen(&self, t: Id<Task>) -> u32 {
        self.tasks.gen(t)
    }

    /// Whether task `t` of generation `gen` is alive and has not settled its delivery yet (its
    /// consumer still holds the message).
    pub(crate) fn holds(&self, t: Id<Task>, gen: u32) -> bool {
        self.tasks.is_current(t, gen) && !self.tasks[t].settled
    }

    /// Whether a confirm of send `seq` of task `t` (generation `gen`) answers the send the task
    /// waits for now (any send of its current step: a retry's or the first one's).
    pub(crate) fn confirm_awaited(&self, t: Id<Task>, gen: u32, seq: u32) -> bool {
        self.tasks.is_current(t, gen) && {
            let task = &self.tasks[t];
            task.confirm_wait && (task.confirm_first..=task.confirm_seq).contains(&seq)
        }
    }

    /// Task `t` no longer waits for a confirm.
    pub(crate) fn end_confirm_wait(&mut self, t: Id<Task>) {
        self.tasks[t].confirm_wait = false;
    }

    /// Consumer task `t`'s ack or nack reaches its broker at `at`.
    pub(crate) fn set_ack_lands(&mut self, t: Id<Task>, at: SimTime) {
        self.tasks[t].ack_lands = at;
    }

    /// Marks the task's delivery as settled; `false` if it already was.
    pub(crate) fn mark_settled(&mut self, t: Id<Task>) -> bool {
        let task = &mut self.tasks[t];
        !std::mem::replace(&mut task.settled, true)
    }

    /// Lives of service `s` so far (see `ServiceRt::epoch`).
    pub(crate) fn epoch(&self, s: ServiceId) -> u32 {
        self.rt[s.ix()].epoch
    }

    /// Busy workers and backlog length of service `s`.
    pub(crate) fn load(&self, s: ServiceId) -> (u32, u32) {
        let rt = &self.rt[s.ix()];
        (rt.busy, rt.backlog.len() as u32)
    }

    /// Service `s`'s bucket `b` at `now` (the caller's own if `b` is per caller): refilled for
    /// the time since it was last looked at, then one token taken. `None` if there was one;
    /// else how long until there will be.
    fn take_token(
        &mut self,
        s: ServiceId,
        caller: NodeId,
        b: TokenBucket,
        now: SimTime,
    ) -> Option<SimTime> {
        if b.per_caller {
            let (tokens, refilled) = self
                .caller_buckets
                .entry((s.raw(), caller))
                .or_insert((b.cap, now));
            return take_from(tokens, refilled, b, now);
        }
        let rt = &mut self.rt[s.ix()];
        take_from(&mut rt.tokens, &mut rt.refilled, b, now)
    }

    /// Every service's live task list matches a scan of every slot (tests only).
    #[cfg(test)]
    pub(crate) fn check_live_lists(&self) -> Result<(), String> {
        for (s, rt) in self.rt.iter().enumerate() {
            let mut listed = rt.live.clone();
            listed.sort_unstable();
            let scanned: Vec<Id<Task>> = self
                .tasks
                .iter_live()
                .filter(|(_, t)| t.service.ix() == s)
                .map(|(i, _)| i)
                .collect();
            if listed != scanned {
                return Err(format!(
                    "service {s}: listed {listed:?}, scanned {scanned:?}"
                ));
            }
            for (at, &t) in rt.live.iter().enumerate() {
                if self.tasks[t].at as usize != at {
                    return Err(format!("service {s}: task {t:?} not at {at}"));
                }
            }
        }
        Ok(())
    }
}

/// A task's own event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskEv {
    /// A work span ended.
    WorkDone { task: Id<Task>, gen: u32 },
    /// A consumer's ack landed after its handler ended, in the consuming service's `epoch`-th
    /// life: the consumer's slot is free.
    SlotFree {
        consumer: ConsumerId,
        mailbox: MailboxId,
        epoch: u32,
    },
    /// A producer's wait for the confirm of its send `seq` ended.
    ConfirmTimeout { task: Id<Task>, gen: u32, seq: u32 },
}

impl Event for TaskEv {
    const MECH: u8 = 1;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            TaskEv::WorkDone { task, gen } => (0, task.raw(), gen, 0),
            TaskEv::SlotFree {
                consumer,
                mailbox,
                epoch,
            } => (1, consumer.raw(), mailbox.raw(), epoch),
            TaskEv::ConfirmTimeout { task, gen, seq } => (2, task.raw(), gen, seq),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, z: u32) -> TaskEv {
        match v {
            0 => TaskEv::WorkDone {
                task: Id::new(x),
                gen: y,
            },
            1 => TaskEv::SlotFree {
                consumer: Id::new(x),
                mailbox: Id::new(y),
                epoch: z,
            },
            2 => TaskEv::ConfirmTimeout {
                task: Id::new(x),
                gen: y,
                seq: z,
            },
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    pub(super) fn on_task_event(&mut self, ev: TaskEv) -> EventKind {
        match ev {
            TaskEv::WorkDone { task, gen } => {
                self.work_done(task, gen);
                EventKind::WorkDone
            }
            TaskEv::SlotFree {
                consumer,
                mailbox,
                epoch,
            } => {
                let svc = self.prog.consumers[consumer.ix()].service;
                if self.services.epoch(svc) == epoch {
                    self.consumer_finished(consumer, mailbox);
                }
                EventKind::ConsumerFreed
            }
            TaskEv::ConfirmTimeout { task, gen, seq } => {
                self.confirm_timed_out(task, gen, seq);
                EventKind::ConfirmTimeout
            }
        }
    }

    pub(crate) fn touch_service(&mut self, s: ServiceId) {
        let rt = &self.services.rt[s.ix()];
        let (busy, backlog) = (rt.busy, rt.backlog.len() as u32);
        let now = self.k.now();
        let m = &mut self.k.metrics_mut().services[s.ix()];
        m.in_system.set(now, u64::from(busy) + u64::from(backlog));
        m.backlog.set(now, u64::from(backlog));
        m.series.update(now, backlog, busy);
    }

    /// Store a new live task and return its slot. Inlined into its two callers so the task they
    /// build is written straight into the slot (see `send` on why copying it was slow).
    #[inline(always)]
    pub(crate) fn new_task(&mut self, t: Task) -> Id<Task> {
        let live = &mut self.services.rt[t.service.ix()].live;
        let at = live.len() as u32;
        let i = self.services.tasks.insert(Task { at, ..t });
        live.push(i);
        i
    }

    fn free_task(&mut self, t: Id<Task>) {
        if !self.services.tasks.remove(t) {
            return;
        }
        let task = &self.services.tasks[t];
        let (service, at) = (task.service.ix(), task.at as usize);
        let live = &mut self.services.rt[service].live;
        live.swap_remove(at);
        if let Some(&moved) = live.get(at) {
            self.services.tasks[moved].at = at as u32;
        }
    }

    pub(crate) fn make_runnable(&mut self, t: Id<Task>) {
        let gen = self.services.tasks.gen(t);
        self.services.runnable.push_back((t, gen));
    }

    /// Run the tasks made runnable by the event just handled (and those they make runnable).
    #[inline]
    pub(super) fn run_runnable(&mut self) {
        if self.services.runnable.is_empty() {
            return;
        }
        while let Some((t, gen)) = self.services.runnable.pop_front() {
            if self.services.task_alive(t, gen) {
                self.run_task(t);
            }
        }
    }

    /// A delivery reached a live consumer of service `svc`: a task runs the consumer's handler
    /// (steps `steps`) on the message `hop` describes (its trace, label, cause and the
    /// mailbox's name).
    pub(crate) fn start_consumer_task(
        &mut self,
        svc: ServiceId,
        steps: StepRange,
        origin: Origin,
        hop: &Hop,
    ) -> Id<Task> {
        let t = self.new_task(Task::new(
            svc,
            steps,
            origin,
            hop,
            self.k.now(),
            SimTime::MAX,
        ));
        self.make_runnable(t);
        t
    }

    /// A request reached a live service: take a worker, wait in the backlog, or be refused.
    pub(super) fn request_arrived(&mut self, msg: &Msg, doom: Option<DropReason>, req: Request) {
        let Request {
            call,
            gen,
            endpoint,
            deadline,
            keyed,
        } = req;
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            return;
        }
        let now = self.k.now();
        let ep = &self.prog.endpoints[endpoint.ix()];
        let (svc, protocol, steps, name) = (ep.service, ep.protocol, ep.steps, ep.name);
        if self.faults.crashed(svc) {
            // Nothing listens: the caller's connection attempt is refused at once.
            let rec = self.k.emit_hop(
                &msg.hop,
                msg.sent,
                now,
                Outcome::Rejected(RejectReason::Refused),
                false,
            );
            let hop = answer_hop(ep, msg.hop.from, msg.hop.trace, Some(rec), msg.hop.attempt);
            self.send(
                hop,
                CallMsg::Broken {
                    call,
                    gen,
                    reset: false,
                },
            );
            return;
        }
        let key = (keyed && ep.dedupe).then_some((endpoint.raw(), call.raw(), gen));
        let sp = &self.prog.services[svc.ix()];
        let (workers, cap, limit) = (sp.workers, sp.backlog, sp.rate_limit);
        let rt = &self.services.rt[svc.ix()];
        let admit_now = rt.busy < workers;
        let admit_later = !admit_now && (rt.backlog.len() as u64) < u64::from(cap);
        self.k.metrics_mut().endpoints[endpoint.ix()].requests += 1;
        // The rate limiter comes first, in front of the handler (Envoy's local rate limit is
        // an HTTP filter before the router): no token, no worker, no backlog, no key lookup.
        if let Some(bucket) = limit {
            if let Some(wait) = self.services.take_token(svc, msg.hop.from, bucket, now) {
                self.rate_limited(msg, svc, endpoint, call, gen, protocol, wait);
                return;
            }
        }
        // A key seen before is answered from the store, before any worker is needed: the
        // stored answer, or 409 while the first request is still being handled.
        if let Some(state) = key.and_then(|k| self.services.keys.get(&k).copied()) {
            let rec = self.k.emit_hop(&msg.hop, msg.sent, now, Outcome::Ok, false);
            let status = match state {
                KeyState::Done(s) => {
                    self.k.metrics_mut().endpoints[endpoint.ix()].replayed += 1;
                    s
                }
                KeyState::InProgress => Status::Http(409),
            };
            self.respond_at_once(msg, rec, endpoint, call, gen, status, SimTime::ZERO);
            return;
        }
        if !admit_now && !admit_later {
            let rec = self.k.emit_hop(
                &msg.hop,
                msg.sent,
                now,
                Outcome::Rejected(RejectReason::BacklogFull),
                false,
            );
            let metrics = self.k.metrics_mut();
            metrics.services[svc.ix()].rejected += 1;
            metrics.endpoints[endpoint.ix()].rejected += 1;
            let status = protocol.reply_status(Failure::Overloaded);
            self.respond_at_once(msg, rec, endpoint, call, gen, status, SimTime::ZERO);
            return;
        }
        if let Some(k) = key {
            self.services.keys.insert(k, KeyState::InProgress);
        }
        if self.call_reached(call, gen) {
            self.k.metrics_mut().endpoints[endpoint.ix()].repeats += 1;
        }
        let rec = self.k.emit_hop(&msg.hop, msg.sent, now, Outcome::Ok, false);
        let origin = Origin::Request {
            caller: msg.hop.from,
            call,
            call_gen: gen,
            attempt: msg.hop.attempt,
            endpoint,
            keyed: key.is_some(),
        };
        let hop = Hop {
            cause: Some(rec),
            name,
            label: NameId::EMPTY,
            ..msg.hop
        };
        let t = self.new_task(Task::new(svc, steps, origin, &hop, now, deadline));
        let gen_t = self.services.tasks.gen(t);
        let rt = &mut self.services.rt[svc.ix()];
        if admit_now {
            rt.busy += 1;
            self.make_runnable(t);
        } else {
            rt.backlog.push_back((t, gen_t));
        }
        self.touch_service(svc);
    }

    /// Refuse a request the rate limiter of service `svc` had no token for: 429 or
    /// RESOURCE_EXHAUSTED at once, asking the caller to retry once a token is there (`wait`
    /// from now), rounded up as the header carries it: whole seconds in HTTP's `Retry-After`
    /// (RFC 9110 §10.2.3), whole milliseconds in gRPC's `grpc-retry-pushback-ms` (gRFC A6).
    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn rate_limited(
        &mut self,
        msg: &Msg,
        svc: ServiceId,
        endpoint: EndpointId,
        call: Id<CallRt>,
        gen: u32,
        protocol: Protocol,
        wait: SimTime,
    ) {
        let now = self.k.now();
        let rec = self.k.emit_hop(
            &msg.hop,
            msg.sent,
            now,
            Outcome::Rejected(RejectReason::RateLimited),
            false,
        );
        self.k.metrics_mut().services[svc.ix()].rate_limited += 1;
        let step = match protocol {
            Protocol::Rest => 1_000_000,
            Protocol::Grpc => 1_000,
        };
        let retry_after = SimTime::from_micros(wait.as_micros().div_ceil(step) * step);
        let status = protocol.rate_limited();
        self.respond_at_once(msg, rec, endpoint, call, gen, status, retry_after);
    }

    /// Answer a request without a task (rejected, or answered from the key store): the
    /// endpoint's counters and the response hop, caused by the request's record `rec`, asking
    /// for `retry_after` (zero: nothing).
    #[allow(clippy::too_many_arguments)]
    fn respond_at_once(
        &mut self,
        msg: &Msg,
        rec: RecordId,
        endpoint: EndpointId,
        call: Id<CallRt>,
        gen: u32,
        status: Status,
        retry_after: SimTime,
    ) {
        let m = &mut self.k.metrics_mut().endpoints[endpoint.ix()];
        if !is_success(status) {
            m.errors += 1;
        }
        count_status(&mut m.replies, status);
        let ep = &self.prog.endpoints[endpoint.ix()];
        let hop = answer_hop(ep, msg.hop.from, msg.hop.trace, Some(rec), msg.hop.attempt);
        self.send(
            hop,
            CallMsg::Response {
                call,
                gen,
                status,
                retry_after,
            },
        );
    }

    /// Free a worker and hand it to the next live request in the backlog: the oldest, or the
    /// newest while more than the service's `lifo_above` wait. A request that has waited
    /// longer than `shed_after` is shed instead, and the next one is looked at.
    fn release_worker(&mut self, svc: ServiceId) {
        let sp = &self.prog.services[svc.ix()];
        let (shed_after, lifo_above) = (sp.shed_after, sp.lifo_above as usize);
        if shed_after != SimTime::MAX || lifo_above != u32::MAX as usize {
            self.release_worker_ordered(svc, shed_after, lifo_above);
            return;
        }
        // Plain FIFO with no shedding: the hot path of every service without admission control.
        let services = &mut self.services;
        let rt = &mut services.rt[svc.ix()];
        rt.busy = rt.busy.saturating_sub(1);
        while let Some((t, gen)) = rt.backlog.pop_front() {
            if services.tasks.is_current(t, gen) {
                rt.busy += 1;
                services.runnable.push_back((t, gen));
                break;
            }
        }
        self.touch_service(svc);
    }

    /// `release_worker` for a service with `shed-after` or a LIFO order.
    #[inline(never)]
    fn release_worker_ordered(&mut self, svc: ServiceId, shed_after: SimTime, lifo_above: usize) {
        let rt = &mut self.services.rt[svc.ix()];
        rt.busy = rt.busy.saturating_sub(1);
        loop {
            let rt = &mut self.services.rt[svc.ix()];
            let next = if rt.backlog.len() > lifo_above {
                rt.backlog.pop_back()
            } else {
                rt.backlog.pop_front()
            };
            let Some((t, gen)) = next else { break };
            if !self.services.tasks.is_current(t, gen) {
                continue;
            }
            if self.k.now() - self.services.tasks[t].arrived > shed_after {
                self.shed(t);
                continue;
            }
            self.services.rt[svc.ix()].busy += 1;
            self.services.runnable.push_back((t, gen));
            break;
        }
        self.touch_service(svc);
    }

    /// Drop waiting request task `t` without serving it: 503 / UNAVAILABLE, as a server that
    /// sheds load answers (the request was not processed, so a retry is safe).
    #[cold]
    fn shed(&mut self, t: Id<Task>) {
        let task = self.services.tasks[t];
        let Origin::Request {
            call,
            call_gen,
            endpoint,
            keyed,
            ..
        } = task.origin
        else {
            unreachable!("only requests wait in a backlog")
        };
        let protocol = self.prog.endpoints[endpoint.ix()].protocol;
        self.k.metrics_mut().services[task.service.ix()].shed += 1;
        self.reply(t, protocol.shed());
        if keyed {
            // Never processed: the key may be tried again (`reply` stored the 503).
            let key = (endpoint.raw(), call.raw(), call_gen);
            self.services.keys.remove(&key);
        }
        self.free_task(t);
    }

    /// The protocol a task answers in (`None` for a consumer).
    fn task_protocol(&self, t: &Task) -> Option<Protocol> {
        match t.origin {
            Origin::Request { endpoint, .. } => Some(self.prog.endpoints[endpoint.ix()].protocol),
            Origin::Delivery { .. } => None,
        }
    }

    /// Run a task's steps until one blocks (work, call, publish, enqueue) or the handler ends.
    fn run_task(&mut self, t: Id<Task>) {
        let now = self.k.now();
        if !self.services.tasks[t].started {
            self.services.tasks[t].started = true;
            if self.services.tasks[t].deadline <= now {
                // gRPC servers refuse work whose deadline has already passed.
                self.finish_task(t, Some(Failure::DeadlinePassed));
                return;
            }
        }
        loop {
            let task = &self.services.tasks[t];
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
            self.services.tasks[t].pc += 1;
            match step {
                StepP::Work(d) => {
                    let mut dur = d.sample(self.k.rng());
                    let task = &self.services.tasks[t];
                    if let Some((a, b)) = self.prog.services[task.service.ix()].slowdown {
                        if let Origin::Request { .. } = task.origin {
                            dur = slowed(dur, a, b, self.services.rt[task.service.ix()].busy);
                        }
                    }
                    let gen = self.services.tasks.gen(t);
                    self.services.tasks[t].working_since = Some(now);
                    self.k
                        .schedule(now + dur, TaskEv::WorkDone { task: t, gen });
                    return;
                }
                StepP::Call(c) => {
                    self.services.tasks[t].pending = 1;
                    self.start_task_call(t, c);
                }
                StepP::Parallel { first, count } => {
                    self.services.tasks[t].pending = count;
                    for c in first..first + count {
                        self.start_task_call(t, Id::new(c));
                    }
                }
                StepP::Publish { .. } | StepP::Enqueue { .. } => self.send_to_broker(t, 1),
                StepP::Reply(status) => {
                    if !self.services.tasks[t].replied {
                        // An error-rate spike turns the service's own answer into an error and
                        // abandons the rest of the handler, as a failing process would.
                        if self.spiked(self.services.tasks[t].service) {
                            let injected = Failure::Own(Status::Grpc(GrpcCode::Internal));
                            self.finish_task(t, Some(injected));
                            return;
                        }
                        self.reply(t, status);
                    }
                }
                StepP::RetryAfter(d) => self.services.tasks[t].retry_after = d,
                StepP::Fail { p, status } => {
                    if self.k.rng().chance(p) {
                        let protocol = self
                            .task_protocol(&self.services.tasks[t])
                            .unwrap_or(Protocol::Rest);
                        let st = status.unwrap_or(protocol.internal_error());
                        self.finish_task(t, Some(Failure::Own(st)));
                        return;
                    }
                }
                StepP::Ack => {
                    if self.spiked(self.services.tasks[t].service) {
                        self.settle_failed(t);
                    } else {
                        self.settle(t, false);
                    }
                }
                StepP::Nack => self.settle(t, true),
            }
        }
    }

    /// The broker step task `t` has just taken (at `pc - 1`): where it sends, what, and how
    /// it waits for the confirm.
    fn broker_step(&self, t: Id<Task>, seq: u32) -> (Hop, BrokerMsg, Confirms) {
        let task = &self.services.tasks[t];
        let gen = self.services.tasks.gen(t);
        let from = self.prog.services[task.service.ix()].node;
        let (kind, to, name, label, payload, confirms) = match self.prog.steps[task.pc as usize - 1]
        {
            StepP::Publish {
                topic,
                label,
                attrs,
            } => {
                let tp = &self.prog.topics[topic.ix()];
                let payload = BrokerMsg::Publish {
                    task: t,
                    gen,
                    topic,
                    attrs,
                    seq,
                };
                (Kind::Publish, tp.node, tp.name, label, payload, tp.confirms)
            }
            StepP::Enqueue { mailbox, label } => {
                let mb = &self.prog.mailboxes[mailbox.ix()];
                let payload = BrokerMsg::Enqueue {
                    task: t,
                    gen,
                    mailbox,
                    seq,
                };
                (Kind::Enqueue, mb.node, mb.name, label, payload, mb.confirms)
            }
            other => unreachable!("not a broker step: {other:?}"),
        };
        let hop = Hop {
            kind,
            from,
            to,
            name,
            label,
            trace: task.trace,
            cause: task.cause,
            attempt: 1,
        };
        (hop, payload, confirms)
    }

    /// Task `t` sends (attempt `attempt` of) its publish or enqueue step to the broker and
    /// waits for the broker's confirm (`producer_done` resumes it), or for its confirm timeout.
    fn send_to_broker(&mut self, t: Id<Task>, attempt: u16) {
        let seq = self.services.tasks[t].confirm_seq.wrapping_add(1);
        let (hop, payload, confirms) = self.broker_step(t, seq);
        let task = &mut self.services.tasks[t];
        task.pending = 1;
        task.confirm_seq = seq;
        task.confirm_wait = true;
        if attempt == 1 {
            task.confirm_first = seq;
        }
        self.send(Hop { attempt, ..hop }, payload);
        let gen = self.services.tasks.gen(t);
        self.k.schedule(
            self.k.now() + confirms.timeout,
            TaskEv::ConfirmTimeout { task: t, gen, seq },
        );
    }

    /// No confirm came for send `seq` of task `t` in time: send again, or fail the step.
    fn confirm_timed_out(&mut self, t: Id<Task>, gen: u32, seq: u32) {
        if !self.services.task_alive(t, gen) {
            return;
        }
        let task = self.services.tasks[t];
        if !task.confirm_wait || task.confirm_seq != seq {
            return;
        }
        let attempt = sat16(seq.wrapping_sub(task.confirm_first).saturating_add(1));
        let (hop, _, confirms) = self.broker_step(t, seq);
        let now = self.k.now();
        let timeout = Hop {
            kind: Kind::Timeout,
            from: hop.to,
            to: hop.from,
            attempt,
            ..hop
        };
        self.k.emit_hop(
            &timeout,
            now - confirms.timeout,
            now,
            Outcome::Timeout,
            false,
        );
        if u32::from(attempt) <= confirms.retries {
            self.send_to_broker(t, attempt + 1);
        } else {
            // No confirm after every send: to the producer the broker is unreachable
            // (503 / UNAVAILABLE), though a message may well have been stored.
            self.services.tasks[t].confirm_wait = false;
            self.producer_done(t, gen, Err(Failure::Unreachable));
        }
    }

    /// Start call spec `c` on behalf of task `t`; an immediate outcome counts down `pending`.
    fn start_task_call(&mut self, t: Id<Task>, c: CallId) {
        let task = self.services.tasks[t];
        let owner = Owner::Task {
            task: t,
            gen: self.services.tasks.gen(t),
        };
        let caller = self.prog.services[task.service.ix()].node;
        if let Some(result) =
            self.start_call(c, owner, caller, task.trace, task.cause, task.deadline)
        {
            self.task_call_done(t, c, result);
        }
    }

    /// A call made by task `t` finished (after retries).
    pub(crate) fn task_call_done(
        &mut self,
        t: Id<Task>,
        spec: CallId,
        result: Result<Status, Failure>,
    ) {
        let on_error = self.prog.calls[spec.ix()].on_error;
        let task = &mut self.services.tasks[t];
        task.pending = task.pending.saturating_sub(1);
        if let Err(f) = result {
            if on_error == OnError::Fail && task.failure.is_none() {
                task.failure = Some(f);
            }
        }
        if task.pending == 0 {
            self.make_runnable(t);
        }
    }

    /// A producer's enqueue/publish reached the broker (or could not).
    pub(crate) fn producer_done(&mut self, t: Id<Task>, gen: u32, result: Result<(), Failure>) {
        if !self.services.task_alive(t, gen) {
            return;
        }
        let task = &mut self.services.tasks[t];
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

    fn work_done(&mut self, t: Id<Task>, gen: u32) {
        if !self.services.task_alive(t, gen) {
            return;
        }
        let task = self.services.tasks[t];
        let node = self.prog.services[task.service.ix()].node;
        let now = self.k.now();
        self.k
            .emit(task.work_span(node, task.working_since.unwrap_or(now), now, Outcome::Ok));
        self.services.tasks[t].working_since = None;
        self.run_task(t);
    }

    /// Send the response of request task `t` with `status` (converted to its protocol's family).
    fn reply(&mut self, t: Id<Task>, status: Status) {
        let task = self.services.tasks[t];
        let Origin::Request {
            caller,
            call,
            call_gen,
            attempt,
            endpoint,
            keyed,
        } = task.origin
        else {
            return; // `reply` in a consumer is ignored
        };
        self.services.tasks[t].replied = true;
        let ep = &self.prog.endpoints[endpoint.ix()];
        let protocol = ep.protocol;
        let status = protocol.in_family(status);
        if keyed {
            // Like Stripe's keys, the first answer is kept whatever it was, errors included.
            let key = (endpoint.raw(), call.raw(), call_gen);
            self.services.keys.insert(key, KeyState::Done(status));
        }
        let hop = answer_hop(ep, caller, task.trace, task.cause, attempt);
        let now = self.k.now();
        let m = &mut self.k.metrics_mut().endpoints[endpoint.ix()];
        count_status(&mut m.replies, status);
        if !is_success(status) {
            m.errors += 1;
        }
        m.latency.record(now - task.arrived);
        self.send(
            hop,
            CallMsg::Response {
                call,
                gen: call_gen,
                status,
                retry_after: task.retry_after,
            },
        );
    }

    /// The handler ended (normally, or with `failure`): reply or ack/nack if not done yet,
    /// then free the worker or consumer slot.
    fn finish_task(&mut self, t: Id<Task>, failure: Option<Failure>) {
        let task = self.services.tasks[t];
        match task.origin {
            Origin::Request { endpoint, .. } => {
                let protocol = self.prog.endpoints[endpoint.ix()].protocol;
                if !task.replied {
                    let failure = failure.or_else(|| {
                        self.spiked(task.service)
                            .then_some(Failure::Own(Status::Grpc(GrpcCode::Internal)))
                    });
                    let status = match failure {
                        Some(f) => protocol.reply_status(f),
                        None => protocol.ok(),
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
                    if failure.is_some() || self.spiked(task.service) {
                        self.settle_failed(t);
                    } else {
                        self.settle(t, false);
                    }
                }
                let now = self.k.now();
                let m = &mut self.k.metrics_mut().consumers[consumer.ix()];
                m.latency.record(now - task.arrived);
                let lands = self.services.tasks[t].ack_lands;
                self.free_task(t);
                if lands > now {
                    let epoch = self.services.epoch(task.service);
                    self.k.schedule(
                        lands,
                        TaskEv::SlotFree {
                            consumer,
                            mailbox,
                            epoch,
                        },
                    );
                } else {
                    self.consumer_finished(consumer, mailbox);
                }
            }
        }
    }

    /// Lose every task of the service (running, waiting, consuming) and its pending calls.
    pub(super) fn crash(&mut self, s: ServiceId) {
        let node = self.prog.services[s.ix()].node;
        let rt = &mut self.services.rt[s.ix()];
        rt.epoch = rt.epoch.wrapping_add(1);
        rt.busy = 0;
        rt.backlog.clear();
        // The service's own tasks, in slot order (the order every run has always used).
        let mut victims = rt.live.clone();
        victims.sort_unstable();
        let now = self.k.now();
        for i in victims {
            let Some(&task) = self.services.tasks.get(i) else {
                continue;
            };
            if task.service != s {
                continue;
            }
            if let Some(since) = task.working_since {
                self.k.emit(task.work_span(
                    node,
                    since,
                    now,
                    Outcome::Dropped(DropReason::Crashed),
                ));
                self.k.metrics_mut().services[s.ix()].lost_to_crash += 1;
            }
            // The process died with the request's connection open: its caller sees a reset
            // (unless the whole host vanished, and with it every packet).
            if let Origin::Request {
                caller,
                call,
                call_gen,
                attempt,
                endpoint,
                ..
            } = task.origin
            {
                if !task.replied && self.faults.refuses(s) {
                    let ep = &self.prog.endpoints[endpoint.ix()];
                    let hop = answer_hop(ep, caller, task.trace, task.cause, attempt);
                    self.send(
                        hop,
                        CallMsg::Broken {
                            call,
                            gen: call_gen,
                            reset: true,
                        },
                    );
                }
            }
            self.free_task(i);
        }
        // Keys whose request was lost with the crash may be tried again.
        let endpoints = &self.prog.endpoints;
        self.services.keys.retain(|&(e, _, _), state| {
            *state != KeyState::InProgress || endpoints[e as usize].service != s
        });
        self.free_calls_of_dead_tasks();
        self.consumers_crashed(s);
        self.touch_service(s);
    }

    /// The service is back: its consumers take up their queues and subscriptions again.
    pub(super) fn restart(&mut self, s: ServiceId) {
        for c in self.prog.service_consumers[s.ix()].clone() {
            let m = self.prog.consumers[c.ix()].mailbox;
            self.try_dispatch(m);
        }
    }
}

/// Longest a slowed-down `work` step may take: the language's longest duration, 1,000,000 s.
const MAX_SLOWED: u128 = 1_000_000_000_000;

/// `dur` slowed down by the Universal Scalability Law with `n` requests in service:
/// multiplied by `1 + α(n−1) + βn(n−1)`, α and β in millionths; exact in integers, rounded to
/// the nearest microsecond, at most `MAX_SLOWED`.
fn slowed(dur: SimTime, alpha_ppm: u64, beta_ppm: u64, n: u32) -> SimTime {
    let n = u128::from(n.max(1));
    // At most 10^6 + 2·10^6·2^64: no overflow; the product saturates (then is capped).
    let factor_ppm =
        1_000_000 + u128::from(alpha_ppm) * (n - 1) + u128::from(beta_ppm) * n * (n - 1);
    let us = u128::from(dur.as_micros())
        .saturating_mul(factor_ppm)
        .saturating_add(500_000)
        / 1_000_000;
    SimTime::from_micros(us.min(MAX_SLOWED) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowed_is_the_usl_factor_rounded_and_capped() {
        let ms = SimTime::from_millis;
        assert_eq!(slowed(ms(10), 100_000, 10_000, 1), ms(10));
        assert_eq!(slowed(ms(10), 100_000, 10_000, 0), ms(10));
        assert_eq!(
            slowed(ms(10), 100_000, 10_000, 3),
            SimTime::from_micros(12_600)
        );
        // 1 µs × 1.5 rounds to 2 µs; × 1.4 to 1 µs.
        assert_eq!(
            slowed(SimTime::from_micros(1), 500_000, 0, 2),
            SimTime::from_micros(2)
        );
        assert_eq!(
            slowed(SimTime::from_micros(1), 400_000, 0, 2),
            SimTime::from_micros(1)
        );
        // A factor of about 10^8 on 1 s is capped at 1,000,000 s.
        let capped = slowed(SimTime::from_secs(1), 0, 1_000_000, 10_000);
        assert_eq!(capped, SimTime::from_secs(1_000_000));
        assert_eq!(slowed(SimTime::MAX, 1_000_000, 1_000_000, u32::MAX), capped);
    }
}
