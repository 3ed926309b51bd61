//! Synchronous calls (REST and RPC) from handlers and clients: attempts, timeouts and
//! propagated deadlines, retries with exponential backoff and jitter, retry budgets (gRPC's
//! retry throttling) and hedged calls (several attempts in flight at once). Each attempt asks
//! the edge's circuit breaker (`breakers.rs`) first and reports its outcome to it after.
//!
//! ```text
//! start_call ─► attempt ──breaker open / deadline passed──► failure ─┐
//!                  │ request hop                                     │
//!                  ▼                                                 ▼
//!          response │ timeout ──────────────────────────► retry? ──yes──► Retry event ─► attempt
//!                  ▼                                                 │no
//!               success ─────────────────────────────────────────► resolve(owner)
//! ```
//!
//! A hedged call sends its first attempt, then one more each `delay` (a `Hedge` event) while
//! none has ended the call; a non-fatal failure sends the next at once. Its attempts in flight
//! are a bit mask in `Calls::hedged`, with what each needs when it ends; the first success or
//! fatal answer resolves the call and abandons the others (their answers are recorded late).

use std::collections::VecDeque;

use super::breakers::Admission;
use super::caches::Lookup;
use super::net::Msg;
use super::services::Task;
use super::{EventKind, Sim};
use crate::sim::compile::{CallId, CallSpec, ClientId, EndpointId, Program};
use crate::sim::kernel::{Event, Hop};
use crate::sim::protocol::{
    is_5xx, is_server_failure, is_success, status_outcome, Failure, Protocol,
};
use crate::sim::slab::{Id, Slab};
use crate::sim::time::SimTime;
use crate::sim::trace::{
    DropReason, Kind, NameId, NodeId, Outcome, RecordId, RejectReason, TraceId,
};
use crate::sim::world::Status;

/// Who waits for a call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Owner {
    Task { task: Id<Task>, gen: u32 },
    Client(ClientId),
}

/// A call's part in its cache (see `caches.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheRole {
    /// No cache, or none to fill.
    None,
    /// It missed: its success fills `key`.
    Fill,
    /// It missed in a coalescing cache: its success fills `key`, and calls missing the key
    /// meanwhile wait for its outcome.
    Lead,
    /// It waits for another call's fetch of `key`, and takes its outcome.
    Parked,
}

/// One outstanding call (all its attempts).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallRt {
    spec: CallId,
    owner: Owner,
    caller: NodeId,
    trace: TraceId,
    /// Cause of the next attempt's request: the handler's trigger first, then the last failure.
    cause: Option<RecordId>,
    attempt: u16,
    waiting: bool,
    sent: SimTime,
    /// The call's deadline, bounding every attempt and backoff: its own budget from the start,
    /// or the propagated deadline if sooner (`SimTime::MAX`: none).
    deadline: SimTime,
    /// An attempt of this call has started its handler (so a later one repeats the work).
    reached: bool,
    started: SimTime,
    /// This attempt is one of its breaker's half-open probes.
    probe: bool,
    /// The replica the current attempt went to, when the callee is replicated; counted in
    /// flight by its balancer while `waiting`.
    replica: u16,
    /// Its part in its cache, and the key it asked for.
    role: CacheRole,
    key: u32,
    /// Position in `Calls::task_calls` when the owner is a task (set when the call starts).
    at: u32,
    /// A hedged call: its attempts in flight are in `Calls::hedged` (then `waiting` means
    /// "any", and `sent`, `replica` and `probe` describe the attempt that just ended).
    hedged: bool,
    /// Its place in its call site's connection pool: `NO_POOL`, `POOL_WAITING` or `POOL_HELD`.
    pooled: u8,
}

const NO_POOL: u8 = 0;
const POOL_WAITING: u8 = 1;
const POOL_HELD: u8 = 2;

/// A call site's connection pool: connections in use and the calls waiting for one, first
/// come first served. A waiter that left (timed out, freed) stays in `waiting` until popped,
/// recognised by its generation or its `pooled` state.
#[derive(Clone, Debug, Default)]
struct PoolRt {
    in_use: u32,
    waiting: VecDeque<(Id<CallRt>, u32)>,
    /// Calls waiting now (`waiting` less those that left).
    waiters: u32,
    /// A release is handing connections to waiters (see `pool_release`).
    releasing: bool,
}

/// The most attempts a hedged call makes (gRPC's client-side limit on `maxAttempts`).
const MAX_HEDGE: usize = 5;

/// The attempts of a hedged call in flight: bit `k - 1` of `mask` for attempt `k`, with what
/// each needs when it ends or is abandoned.
#[derive(Clone, Copy, Debug, Default)]
struct Hedged {
    mask: u8,
    /// Which of them are breaker probes.
    probes: u8,
    /// The last attempt the call may send (lowered when the retry budget refuses a hedge).
    last: u16,
    sent: [SimTime; MAX_HEDGE],
    replica: [u16; MAX_HEDGE],
}

/// Every outstanding call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Calls {
    calls: Slab<CallRt>,
    /// Live calls owned by a task (not by a client), in no order; see `free_calls_of_dead_tasks`.
    task_calls: Vec<Id<CallRt>>,
    /// Per call site, its retry budget's tokens in thousandths (unused without a budget).
    tokens: Vec<u32>,
    /// Per call slot, the attempts in flight of a hedged call (grown on the first hedged call).
    hedged: Vec<Hedged>,
    /// Per call site, its connection pool (unused without one).
    pools: Vec<PoolRt>,
}

impl Calls {
    pub(crate) fn new(prog: &Program) -> Calls {
        Calls {
            tokens: prog
                .calls
                .iter()
                .map(|c| c.budget.map_or(0, |b| b.max_milli))
                .collect(),
            pools: vec![PoolRt::default(); prog.calls.len()],
            ..Calls::default()
        }
    }

    /// Outstanding calls.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.calls.len()
    }

    /// Call site `spec`'s pool now: connections in use and calls waiting for one.
    pub(crate) fn pool_load(&self, spec: usize) -> (u32, u32) {
        self.pools
            .get(spec)
            .map_or((0, 0), |p| (p.in_use, p.waiters))
    }

    /// Calls still outstanding, per call site (`n` sites).
    pub(crate) fn outstanding(&self, n: usize) -> Vec<u64> {
        let mut out = vec![0u64; n];
        for (_, c) in self.calls.iter_live() {
            if let Some(x) = out.get_mut(c.spec.ix()) {
                *x += 1;
            }
        }
        out
    }

    /// The list of task-owned calls matches a scan of every slot (tests only).
    #[cfg(test)]
    pub(crate) fn check_task_calls(&self) -> Result<(), String> {
        let mut listed = self.task_calls.clone();
        listed.sort_unstable();
        let scanned: Vec<Id<CallRt>> = self
            .calls
            .iter_live()
            .filter(|(_, c)| matches!(c.owner, Owner::Task { .. }))
            .map(|(i, _)| i)
            .collect();
        if listed != scanned {
            return Err(format!("listed {listed:?}, scanned {scanned:?}"));
        }
        for (at, &c) in self.task_calls.iter().enumerate() {
            if self.calls[c].at as usize != at {
                return Err(format!("call {c:?} not at {at}"));
            }
        }
        Ok(())
    }
}

/// A call's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallEv {
    /// An attempt's deadline fired.
    Timeout {
        call: Id<CallRt>,
        gen: u32,
        attempt: u16,
    },
    /// A retry's backoff ended.
    Retry { call: Id<CallRt>, gen: u32 },
    /// A hedged call's delay ended: time to send `attempt`, unless it was sent already.
    Hedge {
        call: Id<CallRt>,
        gen: u32,
        attempt: u16,
    },
    /// A call's wait for a pooled connection ended, unless it has one by now.
    PoolWait { call: Id<CallRt>, gen: u32 },
}

impl Event for CallEv {
    const MECH: u8 = 2;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            CallEv::Timeout { call, gen, attempt } => (0, call.raw(), gen, u32::from(attempt)),
            CallEv::Retry { call, gen } => (1, call.raw(), gen, 0),
            CallEv::Hedge { call, gen, attempt } => (2, call.raw(), gen, u32::from(attempt)),
            CallEv::PoolWait { call, gen } => (3, call.raw(), gen, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, z: u32) -> CallEv {
        let call = Id::new(x);
        match v {
            // Packed from a u16, so this is exact.
            0 => CallEv::Timeout {
                call,
                gen: y,
                attempt: z as u16,
            },
            1 => CallEv::Retry { call, gen: y },
            2 => CallEv::Hedge {
                call,
                gen: y,
                attempt: z as u16,
            },
            3 => CallEv::PoolWait { call, gen: y },
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

/// An attempt's request (see `CallMsg::Request`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    pub call: Id<CallRt>,
    pub gen: u32,
    pub endpoint: EndpointId,
    pub deadline: SimTime,
    pub keyed: bool,
}

/// What a call's messages carry.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CallMsg {
    /// An attempt's request, to an endpoint; `deadline` is what the server learns of the
    /// caller's deadline (`SimTime::MAX` when the protocol does not carry it); `keyed`: it
    /// carries the call's idempotency key (the call's slot and generation).
    Request(Request),
    /// The server's answer to an attempt.
    Response {
        call: Id<CallRt>,
        gen: u32,
        status: Status,
        /// The server asks for this wait before a retry (zero: it does not).
        retry_after: SimTime,
    },
    /// The attempt's connection failed at the server: refused (nothing listens) or reset (the
    /// process died while handling it). What the caller's TCP stack learns, not an answer.
    Broken {
        call: Id<CallRt>,
        gen: u32,
        reset: bool,
    },
}

impl Sim {
    pub(super) fn on_call_event(&mut self, ev: CallEv) -> EventKind {
        match ev {
            CallEv::Timeout { call, gen, attempt } => {
                self.call_timeout(call, gen, attempt);
                EventKind::CallTimeout
            }
            CallEv::Retry { call, gen } => {
                self.retry_fire(call, gen);
                EventKind::Retry
            }
            CallEv::Hedge { call, gen, attempt } => {
                self.hedge_fire(call, gen, attempt);
                EventKind::Hedge
            }
            CallEv::PoolWait { call, gen } => {
                self.pool_wait_over(call, gen);
                EventKind::PoolWait
            }
        }
    }

    /// Start a call; `Some(result)` if it finished at once (breaker open with no retries left,
    /// deadline already passed), `None` if the owner must wait.
    pub(crate) fn start_call(
        &mut self,
        spec: CallId,
        owner: Owner,
        caller: NodeId,
        trace: TraceId,
        cause: Option<RecordId>,
        deadline: SimTime,
    ) -> Option<Result<Status, Failure>> {
        let now = self.k.now();
        let sp = &self.prog.calls[spec.ix()];
        let deadline = deadline.min(now.saturating_add(sp.timeout));
        let new = CallRt {
            spec,
            owner,
            caller,
            trace,
            cause,
            attempt: 0,
            waiting: false,
            sent: now,
            deadline,
            reached: false,
            started: now,
            probe: false,
            replica: 0,
            role: CacheRole::None,
            key: 0,
            at: 0,
            hedged: sp.hedge.is_some(),
            pooled: NO_POOL,
        };
        if sp.plain {
            // Most calls use none of the blocks below: one test instead of one per block.
            let c = self.new_call(new);
            let result = self.next_attempt(c);
            if result.is_some() {
                self.free_call(c);
            }
            return result;
        }
        self.start_call_with_blocks(new)
    }

    /// Start a call that uses a cache, a pool, a balancer, a budget or hedging.
    #[inline(never)]
    fn start_call_with_blocks(&mut self, mut new: CallRt) -> Option<Result<Status, Failure>> {
        let (spec, caller, trace, cause, deadline) =
            (new.spec, new.caller, new.trace, new.cause, new.deadline);
        if let Some(cache) = self.prog.calls[spec.ix()].cache {
            new.key = self.cache_key(cache);
            new.role = match self.cache_lookup(cache, new.key, caller, trace, cause) {
                Lookup::Hit => {
                    let ok = self.prog.calls[spec.ix()].protocol.ok();
                    self.k.metrics_mut().calls[spec.ix()].ok += 1;
                    return Some(Ok(ok));
                }
                Lookup::Fetch { lead: false } => CacheRole::Fill,
                Lookup::Fetch { lead: true } => CacheRole::Lead,
                Lookup::Join => CacheRole::Parked,
            };
        }
        let (role, key) = (new.role, new.key);
        let c = self.new_call(new);
        if let Some((size, wait)) = self.prog.calls[spec.ix()].pool {
            if !self.pool_acquire(c, size, wait) {
                return None;
            }
        }
        if role == CacheRole::Parked {
            let cache = self.prog.calls[spec.ix()]
                .cache
                .expect("a parked call has a cache");
            self.cache_park(cache, key, c);
            // It waits for the fetch it joined, but no longer than its own deadline.
            if deadline < SimTime::MAX {
                let gen = self.calls.calls.gen(c);
                self.k.schedule(
                    deadline,
                    CallEv::Timeout {
                        call: c,
                        gen,
                        attempt: 0,
                    },
                );
            }
            return None;
        }
        let result = self.begin_call(c);
        if result.is_some() {
            self.free_call(c);
        }
        result
    }

    /// Keep a new call; a task's call is also listed in `task_calls`.
    #[inline(always)]
    fn new_call(&mut self, mut new: CallRt) -> Id<CallRt> {
        let calls = &mut self.calls;
        new.at = calls.task_calls.len() as u32;
        let c = calls.calls.insert(new);
        if matches!(new.owner, Owner::Task { .. }) {
            calls.task_calls.push(c);
        }
        c
    }

    /// The first attempt (or, for a hedged call, the first of its hedges); `Some` if the call
    /// is over without waiting.
    fn begin_call(&mut self, c: Id<CallRt>) -> Option<Result<Status, Failure>> {
        match self.prog.calls[self.calls.calls[c].spec.ix()].hedge {
            None => self.next_attempt(c),
            Some((attempts, _)) => self.first_hedge(c, attempts),
        }
    }

    fn free_call(&mut self, c: Id<CallRt>) {
        let calls = &mut self.calls;
        let Some(&call) = calls.calls.get(c) else {
            return;
        };
        if matches!(call.owner, Owner::Task { .. }) {
            calls.task_calls.swap_remove(call.at as usize);
            if let Some(&moved) = calls.task_calls.get(call.at as usize) {
                calls.calls[moved].at = call.at;
            }
        }
        let spec = &self.prog.calls[call.spec.ix()];
        if !spec.plain {
            self.free_call_with_blocks(c, call);
            return;
        }
        if call.probe {
            if let Some(edge) = spec.edge {
                self.breakers.release_probe(edge);
            }
        }
        let calls = &mut self.calls;
        calls.calls[c].probe = false;
        calls.calls.remove(c);
    }

    /// `free_call` for a call that uses a cache, a pool, a balancer, a budget or hedging.
    #[inline(never)]
    fn free_call_with_blocks(&mut self, c: Id<CallRt>, call: CallRt) {
        if call.pooled == POOL_WAITING {
            self.calls.pools[call.spec.ix()].waiters -= 1;
        }
        if call.probe {
            if let Some(edge) = self.prog.calls[call.spec.ix()].edge {
                self.breakers.release_probe(edge);
            }
        }
        let spec = &self.prog.calls[call.spec.ix()];
        if call.hedged {
            // Every attempt still in flight is abandoned (gRPC cancels them).
            let h = std::mem::take(&mut self.calls.hedged[c.raw() as usize]);
            for k in 0..MAX_HEDGE {
                if h.mask & (1 << k) == 0 {
                    continue;
                }
                if h.probes & (1 << k) != 0 {
                    if let Some(edge) = spec.edge {
                        self.breakers.release_probe(edge);
                    }
                }
                if let Some(b) = spec.balancer {
                    self.balancers.attempt_over(b, h.replica[k]);
                }
            }
        } else if call.waiting {
            if let Some(b) = spec.balancer {
                self.balancers.attempt_over(b, call.replica);
            }
        }
        let calls = &mut self.calls;
        calls.calls[c].probe = false;
        calls.calls.remove(c);
        if let Some(cache) = self.prog.calls[call.spec.ix()].cache {
            match call.role {
                CacheRole::Parked => self.cache_unpark(cache, call.key, c),
                // The fetch was abandoned (its owner is gone): the first waiter whose owner is
                // alive fetches instead, and the others wait for it.
                CacheRole::Lead => {
                    let mut waiters = self.cache_fetch_over(cache, call.key);
                    if let Some(i) = waiters.iter().position(|&w| self.owner_alive(w)) {
                        let w = waiters.remove(i);
                        self.calls.calls[w].role = CacheRole::Lead;
                        self.cache_refetch(cache, call.key, waiters);
                        if let Some(result) = self.begin_call(w) {
                            self.resolve(w, result);
                        }
                    }
                }
                CacheRole::None | CacheRole::Fill => {}
            }
        }
        if call.pooled == POOL_HELD {
            self.pool_release(call.spec);
        }
    }

    /// Take a connection of call `c`'s pool (`size` connections) if one is free: `true`. Else
    /// the call waits for one, at most `wait` (or to its deadline): `false`.
    fn pool_acquire(&mut self, c: Id<CallRt>, size: u32, wait: SimTime) -> bool {
        let now = self.k.now();
        let call = self.calls.calls[c];
        let gen = self.calls.calls.gen(c);
        let p = &mut self.calls.pools[call.spec.ix()];
        let m = &mut self.k.metrics_mut().calls[call.spec.ix()];
        if p.in_use < size {
            p.in_use += 1;
            m.pool_max_in_use = m.pool_max_in_use.max(p.in_use);
            self.calls.calls[c].pooled = POOL_HELD;
            return true;
        }
        p.waiting.push_back((c, gen));
        p.waiters += 1;
        m.pool_waited += 1;
        m.pool_max_waiting = m.pool_max_waiting.max(p.waiters);
        self.calls.calls[c].pooled = POOL_WAITING;
        let until = now.saturating_add(wait).min(call.deadline);
        self.k.schedule(until, CallEv::PoolWait { call: c, gen });
        false
    }

    /// A connection of call site `spec`'s pool is free again: hand it to the oldest call still
    /// waiting, which sends its first attempt now. A call that ends at once frees it again;
    /// the loop (not recursion) hands it on, so a long queue never deepens the stack.
    fn pool_release(&mut self, spec: CallId) {
        let size = self.prog.calls[spec.ix()]
            .pool
            .expect("only a pooled call holds a connection")
            .0;
        let p = &mut self.calls.pools[spec.ix()];
        p.in_use -= 1;
        if p.releasing {
            return;
        }
        p.releasing = true;
        loop {
            let p = &mut self.calls.pools[spec.ix()];
            if p.in_use >= size {
                break;
            }
            let Some((w, gen)) = p.waiting.pop_front() else {
                break;
            };
            if !self.calls.calls.is_current(w, gen) || self.calls.calls[w].pooled != POOL_WAITING {
                continue;
            }
            let p = &mut self.calls.pools[spec.ix()];
            p.waiters -= 1;
            p.in_use += 1;
            self.calls.calls[w].pooled = POOL_HELD;
            if !self.owner_alive(w) {
                self.free_call(w);
                continue;
            }
            if let Some(result) = self.begin_call(w) {
                self.resolve(w, result);
            }
        }
        self.calls.pools[spec.ix()].releasing = false;
    }

    /// Call `c`'s wait for a connection ended: if it still has none, it fails without being
    /// sent (its deadline first: a timeout; else the pool's wait: `pool-timeout`).
    fn pool_wait_over(&mut self, c: Id<CallRt>, gen: u32) {
        if !self.calls.calls.is_current(c, gen) || self.calls.calls[c].pooled != POOL_WAITING {
            return;
        }
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        let call = self.calls.calls[c];
        self.calls.calls[c].pooled = NO_POOL;
        self.calls.pools[call.spec.ix()].waiters -= 1;
        let now = self.k.now();
        let spec = &self.prog.calls[call.spec.ix()];
        let (kind, outcome, failure) = if call.deadline <= now {
            (Kind::Timeout, Outcome::Timeout, Failure::Timeout)
        } else {
            (
                spec.protocol.request_kind(),
                Outcome::Rejected(RejectReason::PoolTimeout),
                Failure::PoolTimeout,
            )
        };
        let hop = if kind == Kind::Timeout {
            Hop {
                kind,
                from: spec.callee,
                to: call.caller,
                name: spec.name,
                label: NameId::EMPTY,
                trace: call.trace,
                cause: call.cause,
                attempt: 1,
            }
        } else {
            Hop {
                kind,
                from: call.caller,
                to: spec.callee,
                name: spec.name,
                label: NameId::EMPTY,
                trace: call.trace,
                cause: call.cause,
                attempt: 1,
            }
        };
        if failure == Failure::PoolTimeout {
            self.k.metrics_mut().calls[call.spec.ix()].pool_timeouts += 1;
        }
        let rec = self.k.emit_hop(&hop, call.started, now, outcome, false);
        self.calls.calls[c].cause = Some(rec);
        self.resolve(c, Err(failure));
    }

    fn owner_alive(&self, c: Id<CallRt>) -> bool {
        match self.calls.calls[c].owner {
            Owner::Task { task, gen } => self.services.task_alive(task, gen),
            Owner::Client(_) => true,
        }
    }

    /// Free every call whose owning task is gone (after a crash). Only calls owned by tasks can
    /// be such calls, so only those are visited (a client's pending requests can number hundreds
    /// of thousands), in slot order as a scan of every call would.
    pub(crate) fn free_calls_of_dead_tasks(&mut self) {
        let mut owned = self.calls.task_calls.clone();
        owned.sort_unstable();
        for c in owned {
            if self.calls.calls.is_live(c) && !self.owner_alive(c) {
                self.free_call(c);
            }
        }
    }

    /// Make the next attempt; `Some` if the call is over without waiting.
    fn next_attempt(&mut self, c: Id<CallRt>) -> Option<Result<Status, Failure>> {
        let x = &mut self.calls.calls[c];
        x.attempt = x.attempt.saturating_add(1);
        match self.send_attempt(c) {
            Ok(()) => None,
            Err(f) => {
                if self.schedule_retry(c, f, SimTime::ZERO) {
                    None
                } else {
                    Some(Err(f))
                }
            }
        }
    }

    fn send_attempt(&mut self, c: Id<CallRt>) -> Result<(), Failure> {
        let now = self.k.now();
        let x = &self.calls.calls[c];
        let (spec_id, owner, deadline, caller, trace, cause, attempt) = (
            x.spec, x.owner, x.deadline, x.caller, x.trace, x.cause, x.attempt,
        );
        let spec = &self.prog.calls[spec_id.ix()];
        let (protocol, mut callee, name, attempt_timeout, edge, mut endpoint, keyed, balancer) = (
            spec.protocol,
            spec.callee,
            spec.name,
            spec.attempt_timeout,
            spec.edge,
            spec.endpoint,
            spec.key,
            spec.balancer,
        );
        let hop = Hop {
            kind: protocol.request_kind(),
            from: caller,
            to: callee,
            name,
            label: NameId::EMPTY,
            trace,
            cause,
            attempt,
        };
        if deadline <= now {
            let rec = self.k.emit_hop(
                &hop,
                now,
                now,
                Outcome::Rejected(RejectReason::DeadlinePassed),
                false,
            );
            self.calls.calls[c].cause = Some(rec);
            return Err(Failure::DeadlinePassed);
        }
        if let Some(e) = edge {
            match self.breaker_admit(e) {
                Admission::Closed => {}
                Admission::Probe => self.calls.calls[c].probe = true,
                Admission::Refused => {
                    let rec = self.k.emit_hop(
                        &hop,
                        now,
                        now,
                        Outcome::Rejected(RejectReason::BreakerOpen),
                        false,
                    );
                    self.calls.calls[c].cause = Some(rec);
                    if let Owner::Client(cl) = owner {
                        self.k.metrics_mut().clients[cl.ix()].breaker_rejections += 1;
                    }
                    return Err(Failure::BreakerOpen);
                }
            }
        }
        if let Some(b) = balancer {
            let r = self.balancer_pick(b);
            endpoint = self.prog.calls[spec_id.ix()].targets[usize::from(r)];
            callee = self.prog.endpoints[endpoint.ix()].node;
            self.calls.calls[c].replica = r;
        }
        let hop = Hop { to: callee, ..hop };
        self.k.metrics_mut().calls[spec_id.ix()].attempts += 1;
        let attempt_deadline = deadline.min(now.saturating_add(attempt_timeout));
        let gen = self.calls.calls.gen(c);
        self.send(
            hop,
            CallMsg::Request(Request {
                call: c,
                gen,
                endpoint,
                deadline: if protocol.carries_deadline() {
                    attempt_deadline
                } else {
                    SimTime::MAX
                },
                keyed,
            }),
        );
        let x = &mut self.calls.calls[c];
        x.waiting = true;
        x.sent = now;
        if attempt_deadline < SimTime::MAX {
            self.k.schedule(
                attempt_deadline,
                CallEv::Timeout {
                    call: c,
                    gen,
                    attempt,
                },
            );
        }
        Ok(())
    }

    /// After a failed attempt: schedule a retry if the policy and the deadline allow, after the
    /// backoff, or after `pushback` if the server asked for one (urllib3 sleeps for
    /// `Retry-After` instead of its backoff; gRFC A6 retries after the server's pushback).
    fn schedule_retry(&mut self, c: Id<CallRt>, f: Failure, pushback: SimTime) -> bool {
        let call = self.calls.calls[c];
        let spec = &self.prog.calls[call.spec.ix()];
        let r = spec.retry;
        if !may_retry(spec, f) {
            return false;
        }
        // gRPC counts the failure against the budget before it looks at the attempts left.
        let allowed = self.budget_failure(call.spec);
        if u32::from(call.attempt) >= r.max_attempts {
            return false;
        }
        if !allowed {
            self.k.metrics_mut().calls[call.spec.ix()].throttled += 1;
            return false;
        }
        let k = f64::from(call.attempt.saturating_sub(1));
        let grown = r.base.0 as f64 * libm::pow(r.multiplier, k);
        let capped = if grown.is_finite() {
            grown.min(r.max_backoff.0 as f64)
        } else {
            r.max_backoff.0 as f64
        };
        let delay = if pushback > SimTime::ZERO {
            pushback.0 as f64
        } else if r.jitter > 0.0 {
            capped * (1.0 - r.jitter * self.k.rng().unit())
        } else {
            capped
        };
        let at = self.k.now() + SimTime::from_micros_f64(delay);
        // Simplified on purpose: a retry that could not start before the deadline is not
        // waited for; the call ends now with the last attempt's outcome.
        if at >= call.deadline {
            return false;
        }
        let metrics = self.k.metrics_mut();
        metrics.calls[call.spec.ix()].retries += 1;
        if let Owner::Client(cl) = call.owner {
            metrics.clients[cl.ix()].retries += 1;
        }
        let gen = self.calls.calls.gen(c);
        self.k.schedule(at, CallEv::Retry { call: c, gen });
        true
    }

    /// The call is over: tell its owner (and, if it fetched for a coalescing cache, the calls
    /// that waited for it).
    fn resolve(&mut self, c: Id<CallRt>, result: Result<Status, Failure>) {
        let (spec, owner, started) = {
            let x = &self.calls.calls[c];
            (x.spec, x.owner, x.started)
        };
        let waiters = if self.prog.calls[spec.ix()].plain {
            Vec::new()
        } else {
            self.resolve_blocks(c, result)
        };
        let m = &mut self.k.metrics_mut().calls[spec.ix()];
        match result {
            Ok(_) => m.ok += 1,
            Err(Failure::Timeout | Failure::DeadlinePassed) => m.timed_out += 1,
            Err(_) => m.failed += 1,
        }
        self.free_call(c);
        match owner {
            Owner::Task { task, gen } => {
                if self.services.task_alive(task, gen) {
                    self.task_call_done(task, spec, result);
                }
            }
            Owner::Client(cl) => self.client_done(cl, started, spec, result),
        }
        for w in waiters {
            if self.calls.calls.is_live(w) && self.calls.calls[w].role == CacheRole::Parked {
                self.calls.calls[w].role = CacheRole::None;
                if self.owner_alive(w) {
                    self.resolve(w, result);
                } else {
                    self.free_call(w);
                }
            }
        }
    }

    /// What `resolve` does for a cache or a retry budget: fill the cache, hand the outcome to
    /// the calls that waited for this fetch (returned), count a success in the budget.
    #[inline(never)]
    fn resolve_blocks(
        &mut self,
        c: Id<CallRt>,
        result: Result<Status, Failure>,
    ) -> Vec<Id<CallRt>> {
        let call = self.calls.calls[c];
        let mut waiters = Vec::new();
        if let Some(cache) = self.prog.calls[call.spec.ix()].cache {
            if matches!(call.role, CacheRole::Fill | CacheRole::Lead) && result.is_ok() {
                self.cache_fill(cache, call.key);
            }
            if call.role == CacheRole::Lead {
                waiters = self.cache_fetch_over(cache, call.key);
                self.calls.calls[c].role = CacheRole::None;
            }
        }
        if result.is_ok() {
            self.budget_success(call.spec);
        }
        waiters
    }

    pub(super) fn response_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        c: Id<CallRt>,
        gen: u32,
        status: Status,
        retry_after: SimTime,
    ) {
        if !self.answer_arrived(msg, doom, c, gen, status_outcome(status)) {
            return;
        }
        self.attempt_feedback(c, Some(status));
        if is_success(status) {
            self.resolve(c, Ok(status));
        } else {
            let f = Failure::Downstream(status);
            if self.calls.calls[c].hedged {
                self.hedge_failed(c, f);
            } else if !self.schedule_retry(c, f, retry_after) {
                self.resolve(c, Err(f));
            }
        }
    }

    /// What came back for an attempt arrived (an answer, or news of a broken connection), with
    /// this outcome: recorded (late if the caller no longer waits for that attempt); `true` if
    /// the caller was waiting for it, which now stops waiting.
    #[inline(always)]
    fn answer_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        c: Id<CallRt>,
        gen: u32,
        outcome: Outcome,
    ) -> bool {
        if let Some(reason) = doom {
            // The caller keeps waiting until its deadline (if it has one).
            self.emit_dropped(msg, reason);
            return false;
        }
        let known = self.calls.calls.is_current(c, gen);
        let current = known && self.awaited(c, msg.hop.attempt) && self.owner_alive(c);
        let now = self.k.now();
        let rec = self.k.emit_hop(&msg.hop, msg.sent, now, outcome, !current);
        if !current {
            if known && !self.owner_alive(c) {
                self.free_call(c);
            }
            return false;
        }
        self.attempt_ended(c, msg.hop.attempt);
        self.calls.calls[c].cause = Some(rec);
        true
    }

    /// Whether attempt `attempt` of call `c` is still waited for.
    #[inline(always)]
    fn awaited(&self, c: Id<CallRt>, attempt: u16) -> bool {
        let x = &self.calls.calls[c];
        if x.hedged {
            let bit = 1u32 << (attempt.saturating_sub(1).min(15));
            u32::from(self.calls.hedged[c.raw() as usize].mask) & bit != 0
        } else {
            x.waiting && x.attempt == attempt
        }
    }

    /// Attempt `attempt` of call `c` is no longer waited for. For a hedged call, its `sent`,
    /// `replica` and `probe` become that attempt's, for the feedback that follows.
    #[inline(always)]
    fn attempt_ended(&mut self, c: Id<CallRt>, attempt: u16) {
        let calls = &mut self.calls;
        let x = &mut calls.calls[c];
        if !x.hedged {
            x.waiting = false;
            return;
        }
        let h = &mut calls.hedged[c.raw() as usize];
        let k = usize::from(attempt - 1);
        h.mask &= !(1 << k);
        x.waiting = h.mask != 0;
        x.sent = h.sent[k];
        x.replica = h.replica[k];
        x.probe = h.probes & (1 << k) != 0;
        h.probes &= !(1 << k);
    }

    /// The attempt's connection failed (`CallMsg::Broken`): a failure the caller learns of
    /// now, like an error answer but with no status.
    pub(super) fn connection_broken(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        c: Id<CallRt>,
        gen: u32,
        reset: bool,
    ) {
        let (reason, f) = if reset {
            (RejectReason::Reset, Failure::Reset)
        } else {
            (RejectReason::Refused, Failure::Refused)
        };
        if !self.answer_arrived(msg, doom, c, gen, Outcome::Rejected(reason)) {
            return;
        }
        self.attempt_feedback(c, None);
        if self.calls.calls[c].hedged {
            self.hedge_failed(c, f);
        } else if !self.schedule_retry(c, f, SimTime::ZERO) {
            self.resolve(c, Err(f));
        }
    }

    fn call_timeout(&mut self, c: Id<CallRt>, gen: u32, attempt: u16) {
        if !self.calls.calls.is_current(c, gen) {
            return;
        }
        let call = self.calls.calls[c];
        if call.role == CacheRole::Parked {
            // A call waiting for another's fetch reached its own deadline.
            if attempt == 0 {
                self.parked_timeout(c, call);
            }
            return;
        }
        if !self.awaited(c, attempt) {
            return;
        }
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        self.attempt_ended(c, attempt);
        let call = self.calls.calls[c];
        let spec = &self.prog.calls[call.spec.ix()];
        let hop = Hop {
            kind: Kind::Timeout,
            from: self.attempt_callee(call),
            to: call.caller,
            name: spec.name,
            label: NameId::EMPTY,
            trace: call.trace,
            cause: call.cause,
            attempt,
        };
        let now = self.k.now();
        let rec = self
            .k
            .emit_hop(&hop, call.sent, now, Outcome::Timeout, false);
        self.calls.calls[c].cause = Some(rec);
        let metrics = self.k.metrics_mut();
        metrics.calls[call.spec.ix()].attempt_timeouts += 1;
        if let Owner::Client(cl) = call.owner {
            metrics.clients[cl.ix()].timeouts += 1;
        }
        self.attempt_feedback(c, None);
        // The call's own deadline ends it whatever the retry policy (gRFC A6: the deadline
        // covers every attempt); only an attempt's own limit leaves room for a retry.
        if now >= call.deadline {
            self.resolve(c, Err(Failure::Timeout));
        } else if call.hedged {
            self.hedge_failed(c, Failure::Timeout);
        } else if !self.schedule_retry(c, Failure::Timeout, SimTime::ZERO) {
            self.resolve(c, Err(Failure::Timeout));
        }
    }

    fn parked_timeout(&mut self, c: Id<CallRt>, call: CallRt) {
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        let spec = &self.prog.calls[call.spec.ix()];
        let hop = Hop {
            kind: Kind::Timeout,
            from: spec.callee,
            to: call.caller,
            name: spec.name,
            label: NameId::EMPTY,
            trace: call.trace,
            cause: call.cause,
            attempt: 1,
        };
        let now = self.k.now();
        self.k
            .emit_hop(&hop, call.started, now, Outcome::Timeout, false);
        if let Some(cache) = spec.cache {
            self.cache_unpark(cache, call.key, c);
        }
        self.calls.calls[c].role = CacheRole::None;
        self.resolve(c, Err(Failure::Timeout));
    }

    fn retry_fire(&mut self, c: Id<CallRt>, gen: u32) {
        if !self.calls.calls.is_current(c, gen) {
            return;
        }
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        if let Some(result) = self.next_attempt(c) {
            self.resolve(c, result);
        }
    }

    /// Start hedged call `c` (up to `attempts` attempts): its first attempt; `Some` if the call
    /// is over without waiting.
    fn first_hedge(&mut self, c: Id<CallRt>, attempts: u16) -> Option<Result<Status, Failure>> {
        let slot = c.raw() as usize;
        let hedged = &mut self.calls.hedged;
        if hedged.len() <= slot {
            hedged.resize(slot + 1, Hedged::default());
        }
        hedged[slot] = Hedged {
            last: attempts,
            ..Hedged::default()
        };
        self.hedge_send(c).err().map(Err)
    }

    /// Send the next attempt of a hedged call now (a hedge, after the first), and schedule the
    /// one after it. An attempt refused at once by an open breaker never left, so the next is
    /// tried (a non-fatal failure); `Err` if none could be sent.
    fn hedge_send(&mut self, c: Id<CallRt>) -> Result<(), Failure> {
        loop {
            let x = &mut self.calls.calls[c];
            x.attempt = x.attempt.saturating_add(1);
            let spec = x.spec;
            match self.send_attempt(c) {
                Ok(()) => {
                    let calls = &mut self.calls;
                    let x = &mut calls.calls[c];
                    let k = usize::from(x.attempt - 1);
                    let h = &mut calls.hedged[c.raw() as usize];
                    h.mask |= 1 << k;
                    h.sent[k] = x.sent;
                    h.replica[k] = x.replica;
                    if std::mem::take(&mut x.probe) {
                        h.probes |= 1 << k;
                    }
                    let (attempt, last, deadline) = (x.attempt, h.last, x.deadline);
                    if attempt > 1 {
                        self.k.metrics_mut().calls[spec.ix()].hedges += 1;
                    }
                    if attempt < last {
                        let (_, delay) = self.prog.calls[spec.ix()].hedge.expect("a hedged call");
                        let at = self.k.now().saturating_add(delay);
                        if at < deadline {
                            let gen = self.calls.calls.gen(c);
                            self.k.schedule(
                                at,
                                CallEv::Hedge {
                                    call: c,
                                    gen,
                                    attempt: attempt + 1,
                                },
                            );
                        }
                    }
                    return Ok(());
                }
                Err(f) => {
                    let attempt = self.calls.calls[c].attempt;
                    let last = self.calls.hedged[c.raw() as usize].last;
                    if matches!(f, Failure::DeadlinePassed) || attempt >= last {
                        return Err(f);
                    }
                    if !self.budget_failure(spec) {
                        self.hedge_throttled(c);
                        return Err(f);
                    }
                }
            }
        }
    }

    /// The retry budget refused the next hedge of call `c`: it sends no more.
    fn hedge_throttled(&mut self, c: Id<CallRt>) {
        let x = self.calls.calls[c];
        self.calls.hedged[c.raw() as usize].last = x.attempt;
        self.k.metrics_mut().calls[x.spec.ix()].throttled += 1;
    }

    /// An attempt of a hedged call failed with `f` (already recorded and reported): a fatal
    /// failure ends the call, abandoning the others; a non-fatal one sends the next hedge at
    /// once (gRFC A6), or ends the call if no other attempt is in flight or may follow.
    fn hedge_failed(&mut self, c: Id<CallRt>, f: Failure) {
        let call = self.calls.calls[c];
        if !may_retry(&self.prog.calls[call.spec.ix()], f) {
            self.resolve(c, Err(f));
            return;
        }
        let allowed = self.budget_failure(call.spec);
        let mut outcome = f;
        if call.attempt < self.calls.hedged[c.raw() as usize].last {
            if !allowed {
                self.hedge_throttled(c);
            } else if self.k.now() < call.deadline {
                match self.hedge_send(c) {
                    Ok(()) => return,
                    Err(g) => outcome = g,
                }
            }
        }
        if self.calls.hedged[c.raw() as usize].mask == 0 {
            self.resolve(c, Err(outcome));
        }
    }

    fn hedge_fire(&mut self, c: Id<CallRt>, gen: u32, attempt: u16) {
        if !self.calls.calls.is_current(c, gen) {
            return;
        }
        let call = self.calls.calls[c];
        // Sent already (an earlier failure sent it at once), or no more may be sent.
        if call.attempt.saturating_add(1) != attempt
            || attempt > self.calls.hedged[c.raw() as usize].last
        {
            return;
        }
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        if !self.budget_allows(call.spec) {
            self.hedge_throttled(c);
            return;
        }
        if let Err(f) = self.hedge_send(c) {
            if self.calls.hedged[c.raw() as usize].mask == 0 {
                self.resolve(c, Err(f));
            }
        }
    }

    /// An attempt of call site `spec` failed in a way the call would retry (or, hedged, that is
    /// not fatal): it takes a token from the site's retry budget. Whether the budget still allows
    /// a retry or a hedge (gRPC's `throttle()`); `true` without a budget.
    fn budget_failure(&mut self, spec: CallId) -> bool {
        let Some(b) = self.prog.calls[spec.ix()].budget else {
            return true;
        };
        let t = &mut self.calls.tokens[spec.ix()];
        *t = t.saturating_sub(1000);
        *t > b.max_milli / 2
    }

    /// A call of site `spec` succeeded: its budget gains `tokenRatio`, up to its maximum.
    fn budget_success(&mut self, spec: CallId) {
        if let Some(b) = self.prog.calls[spec.ix()].budget {
            let t = &mut self.calls.tokens[spec.ix()];
            *t = (*t + b.ratio_milli).min(b.max_milli);
        }
    }

    /// Whether site `spec`'s budget allows a hedge now (above half its maximum).
    fn budget_allows(&self, spec: CallId) -> bool {
        self.prog.calls[spec.ix()]
            .budget
            .is_none_or(|b| self.calls.tokens[spec.ix()] > b.max_milli / 2)
    }

    /// A request of call `c` (generation `gen`) starts its handler: whether an earlier attempt
    /// of the same call already did (the work is being repeated). Unknown once the caller has
    /// let go of the call.
    pub(crate) fn call_reached(&mut self, c: Id<CallRt>, gen: u32) -> bool {
        if !self.calls.calls.is_current(c, gen) {
            return false;
        }
        std::mem::replace(&mut self.calls.calls[c].reached, true)
    }

    /// The node the call's current attempt went to.
    fn attempt_callee(&self, call: CallRt) -> NodeId {
        let spec = &self.prog.calls[call.spec.ix()];
        match spec.balancer {
            Some(_) => self.prog.endpoints[spec.targets[usize::from(call.replica)].ix()].node,
            None => spec.callee,
        }
    }

    /// Report an attempt's outcome (the answer's status; `None`: no answer, as a timeout or a
    /// broken connection) to the callee's balancer and the edge's breaker, if there are.
    fn attempt_feedback(&mut self, c: Id<CallRt>, status: Option<Status>) {
        let x = &self.calls.calls[c];
        let (spec, replica, trace, cause, probe, sent) =
            (x.spec, x.replica, x.trace, x.cause, x.probe, x.sent);
        let spec = &self.prog.calls[spec.ix()];
        let edge = spec.edge;
        if let Some(b) = spec.balancer {
            self.balancers.attempt_over(b, replica);
            let server_error = status.is_none_or(is_5xx);
            self.balancer_feedback(b, replica, server_error, trace, cause);
        }
        let Some(edge) = edge else {
            return;
        };
        let ok = status.is_some_and(|s| !is_server_failure(s));
        self.calls.calls[c].probe = false;
        // resilience4j counts a call slower than the threshold as slow; here, as failed.
        let slow = self.prog.edges[edge.ix()]
            .policy
            .slow_call
            .is_some_and(|limit| self.k.now() - sent > limit);
        self.breaker_feedback(edge, probe, trace, cause, ok && !slow);
    }
}

/// Whether a failed attempt may be retried: never-sent attempts always; attempts that may have
/// reached the server only if repeating the call is safe, and then only on its retry statuses.
fn may_retry(spec: &CallSpec, f: Failure) -> bool {
    match f {
        Failure::BreakerOpen => true,
        Failure::Timeout => spec.repeatable,
        Failure::Downstream(s) => spec.repeatable && spec.retry_on.contains(&s),
        Failure::DeadlinePassed | Failure::PoolTimeout => false,
        // The request never reached a handler: safe to send again whatever the method (urllib3
        // retries connect errors for every method; gRPC retries an RPC that never left).
        Failure::Refused => true,
        // The server may have acted: as a timeout for REST, as UNAVAILABLE for gRPC.
        Failure::Reset => {
            spec.repeatable
                && (spec.protocol == Protocol::Rest
                    || spec
                        .retry_on
                        .contains(&Status::Grpc(crate::sim::world::GrpcCode::Unavailable)))
        }
        Failure::Unreachable | Failure::Overloaded | Failure::Own(_) => f.retryable(),
    }
}
