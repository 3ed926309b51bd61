//! Synchronous calls (REST and RPC) from handlers and clients: attempts, timeouts and
//! propagated deadlines, retries with exponential backoff and jitter, circuit breakers per edge,
//! and the clients that generate load (constant or Poisson, with bursts).
//!
//! ```text
//! start_call ─► attempt ──breaker open / deadline passed──► failure ─┐
//!                  │ request hop                                     │
//!                  ▼                                                 ▼
//!          response │ timeout ──────────────────────────► retry? ──yes──► Retry event ─► attempt
//!                  ▼                                                 │no
//!               success ─────────────────────────────────────────► resolve(owner)
//! ```

use crate::sim::engine::{
    in_family, is_server_failure, is_success, reply_status, status_outcome, Ev, Failure, Hop, Msg,
    Payload, Sim,
};
use crate::sim::metrics::count_status;
use crate::sim::time::SimTime;
use crate::sim::trace::{
    BreakerState, DropReason, Kind, NameId, NodeId, Outcome, Record, RecordId, RejectReason,
    TraceId,
};
use crate::sim::world::{Arrival, Status};
use std::collections::VecDeque;

/// Who waits for a call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Owner {
    Task { task: u32, gen: u32 },
    Client(u32),
}

/// One outstanding call (all its attempts).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallRt {
    pub gen: u32,
    pub live: bool,
    pub spec: u32,
    pub owner: Owner,
    pub caller: NodeId,
    pub trace: TraceId,
    /// Cause of the next attempt's request: the handler's trigger first, then the last failure.
    pub cause: Option<RecordId>,
    pub attempt: u16,
    pub waiting: bool,
    pub sent: SimTime,
    /// Propagated deadline bounding every attempt (`SimTime::MAX`: none).
    pub deadline: SimTime,
    pub started: SimTime,
    pub probe: bool,
    /// Position in `Sim::task_calls` when the owner is a task (set when the call starts).
    pub at: u32,
}

/// Runtime state of one circuit breaker.
#[derive(Clone, Debug)]
pub(crate) struct BreakerRt {
    pub state: BreakerState,
    window: VecDeque<(SimTime, bool)>,
    failures: u32,
    probes: u32,
    successes: u32,
    gen: u32,
}

impl Default for BreakerRt {
    fn default() -> BreakerRt {
        BreakerRt {
            state: BreakerState::Closed,
            window: VecDeque::new(),
            failures: 0,
            probes: 0,
            successes: 0,
            gen: 0,
        }
    }
}

/// Runtime state of a client: how many rate-driven requests it has issued.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClientRt {
    pub k: u64,
}

fn retryable(f: Failure) -> bool {
    match f {
        Failure::Timeout | Failure::BreakerOpen | Failure::Unreachable | Failure::Overloaded => {
            true
        }
        Failure::Downstream(s) | Failure::Own(s) => is_server_failure(s),
        Failure::DeadlinePassed => false,
    }
}

/// The final status a client reports: a downstream status passes through as-is.
fn client_status(f: Failure, rpc: bool) -> Status {
    match f {
        Failure::Downstream(s) => in_family(s, rpc),
        Failure::Timeout
        | Failure::DeadlinePassed
        | Failure::BreakerOpen
        | Failure::Unreachable
        | Failure::Overloaded
        | Failure::Own(_) => reply_status(f, rpc),
    }
}

impl Sim {
    /// Start a call; `Some(result)` if it finished at once (breaker open with no retries left,
    /// deadline already passed), `None` if the owner must wait.
    pub(crate) fn start_call(
        &mut self,
        spec: u32,
        owner: Owner,
        caller: NodeId,
        trace: TraceId,
        cause: Option<RecordId>,
        deadline: SimTime,
    ) -> Option<Result<Status, Failure>> {
        let call = CallRt {
            gen: 0,
            live: true,
            spec,
            owner,
            caller,
            trace,
            cause,
            attempt: 0,
            waiting: false,
            sent: self.now,
            deadline,
            started: self.now,
            probe: false,
            at: self.task_calls.len() as u32,
        };
        let c = match self.free_calls.pop() {
            Some(i) => {
                let gen = self.calls[i as usize].gen;
                self.calls[i as usize] = CallRt { gen, ..call };
                i
            }
            None => {
                self.calls.push(call);
                (self.calls.len() - 1) as u32
            }
        };
        if matches!(owner, Owner::Task { .. }) {
            self.task_calls.push(c);
        }
        let result = self.next_attempt(c);
        if result.is_some() {
            self.free_call(c);
        }
        result
    }

    fn free_call(&mut self, c: u32) {
        let call = self.calls[c as usize];
        if !call.live {
            return;
        }
        if matches!(call.owner, Owner::Task { .. }) {
            self.task_calls.swap_remove(call.at as usize);
            if let Some(&moved) = self.task_calls.get(call.at as usize) {
                self.calls[moved as usize].at = call.at;
            }
        }
        if call.probe {
            if let Some(edge) = self.prog.calls[call.spec as usize].edge {
                let b = &mut self.breakers[edge as usize];
                b.probes = b.probes.saturating_sub(1);
            }
        }
        let x = &mut self.calls[c as usize];
        x.live = false;
        x.probe = false;
        x.gen = x.gen.wrapping_add(1);
        self.free_calls.push(c);
    }

    fn call_current(&self, c: u32, gen: u32) -> bool {
        self.calls
            .get(c as usize)
            .is_some_and(|x| x.live && x.gen == gen)
    }

    fn owner_alive(&self, c: u32) -> bool {
        match self.calls[c as usize].owner {
            Owner::Task { task, gen } => self.task_alive(task, gen),
            Owner::Client(_) => true,
        }
    }

    /// Free every call whose owning task is gone (after a crash). Only calls owned by tasks can
    /// be such calls, so only those are visited (a client's pending requests can number hundreds
    /// of thousands), in slot order as a scan of every call would.
    pub(crate) fn free_calls_of_dead_tasks(&mut self) {
        let mut owned = self.task_calls.clone();
        owned.sort_unstable();
        for c in owned {
            if self.calls[c as usize].live && !self.owner_alive(c) {
                self.free_call(c);
            }
        }
    }

    /// Make the next attempt; `Some` if the call is over without waiting.
    fn next_attempt(&mut self, c: u32) -> Option<Result<Status, Failure>> {
        let x = &mut self.calls[c as usize];
        x.attempt = x.attempt.saturating_add(1);
        match self.send_attempt(c) {
            Ok(()) => None,
            Err(f) => {
                if self.schedule_retry(c, f) {
                    None
                } else {
                    Some(Err(f))
                }
            }
        }
    }

    fn send_attempt(&mut self, c: u32) -> Result<(), Failure> {
        let call = self.calls[c as usize];
        let spec = &self.prog.calls[call.spec as usize];
        let (rpc, callee, name, timeout, edge, endpoint) = (
            spec.rpc,
            spec.callee,
            spec.name,
            spec.timeout,
            spec.edge,
            spec.endpoint,
        );
        let hop = Hop {
            kind: if rpc {
                Kind::RpcRequest
            } else {
                Kind::RestRequest
            },
            from: call.caller,
            to: callee,
            name,
            label: NameId::EMPTY,
            trace: call.trace,
            cause: call.cause,
            attempt: call.attempt,
        };
        if call.deadline <= self.now {
            let rec = self.emit_hop(
                &hop,
                self.now,
                self.now,
                Outcome::Rejected(RejectReason::DeadlinePassed),
                false,
            );
            self.calls[c as usize].cause = Some(rec);
            return Err(Failure::DeadlinePassed);
        }
        if let Some(e) = edge {
            let probes_allowed = self.prog.edges[e as usize].policy.half_open_probes;
            let b = &mut self.breakers[e as usize];
            let allowed = match b.state {
                BreakerState::Closed => true,
                BreakerState::Open => false,
                BreakerState::HalfOpen => {
                    if b.probes < probes_allowed {
                        b.probes += 1;
                        self.calls[c as usize].probe = true;
                        true
                    } else {
                        false
                    }
                }
            };
            if !allowed {
                let rec = self.emit_hop(
                    &hop,
                    self.now,
                    self.now,
                    Outcome::Rejected(RejectReason::BreakerOpen),
                    false,
                );
                self.calls[c as usize].cause = Some(rec);
                if let Owner::Client(cl) = call.owner {
                    self.metrics.clients[cl as usize].breaker_rejections += 1;
                }
                return Err(Failure::BreakerOpen);
            }
        }
        let attempt_deadline = call.deadline.min(self.now + timeout);
        let gen = call.gen;
        self.send(
            hop,
            Payload::Request {
                call: c,
                gen,
                endpoint,
                // Only RPC carries the deadline to the server (gRPC propagation); REST
                // timeouts are the caller's business.
                deadline: if rpc { attempt_deadline } else { SimTime::MAX },
            },
        );
        let x = &mut self.calls[c as usize];
        x.waiting = true;
        x.sent = self.now;
        if attempt_deadline < SimTime::MAX {
            let attempt = x.attempt;
            self.schedule(
                attempt_deadline,
                Ev::CallTimeout {
                    call: c,
                    gen,
                    attempt,
                },
            );
        }
        Ok(())
    }

    /// After a failed attempt: schedule a retry if the policy and the deadline allow.
    fn schedule_retry(&mut self, c: u32, f: Failure) -> bool {
        let call = self.calls[c as usize];
        let r = self.prog.calls[call.spec as usize].retry;
        if !retryable(f) || u32::from(call.attempt) >= r.max_attempts {
            return false;
        }
        let k = f64::from(call.attempt.saturating_sub(1));
        let grown = r.base.0 as f64 * libm::pow(r.multiplier, k);
        let capped = if grown.is_finite() {
            grown.min(r.max_backoff.0 as f64)
        } else {
            r.max_backoff.0 as f64
        };
        let delay = if r.jitter > 0.0 {
            capped * (1.0 - r.jitter * self.rng.unit())
        } else {
            capped
        };
        let at = self.now + SimTime::from_micros_f64(delay);
        if at >= call.deadline {
            return false;
        }
        if let Owner::Client(cl) = call.owner {
            self.metrics.clients[cl as usize].retries += 1;
        }
        self.schedule(
            at,
            Ev::Retry {
                call: c,
                gen: call.gen,
            },
        );
        true
    }

    /// The call is over: tell its owner.
    fn resolve(&mut self, c: u32, result: Result<Status, Failure>) {
        let call = self.calls[c as usize];
        self.free_call(c);
        match call.owner {
            Owner::Task { task, gen } => {
                if self.task_alive(task, gen) {
                    self.task_call_done(task, call.spec, result);
                }
            }
            Owner::Client(cl) => self.client_done(cl, call.started, call.spec, result),
        }
    }

    pub(crate) fn response_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        c: u32,
        gen: u32,
        status: Status,
    ) {
        if let Some(reason) = doom {
            // The caller keeps waiting until its deadline (if it has one).
            self.emit_dropped(msg, reason);
            return;
        }
        let known = self.call_current(c, gen);
        let current = known && {
            let x = &self.calls[c as usize];
            x.waiting && x.attempt == msg.hop.attempt && self.owner_alive(c)
        };
        let rec = self.emit_hop(
            &msg.hop,
            msg.sent,
            self.now,
            status_outcome(status),
            !current,
        );
        if !current {
            if known && !self.owner_alive(c) {
                self.free_call(c);
            }
            return;
        }
        let x = &mut self.calls[c as usize];
        x.waiting = false;
        x.cause = Some(rec);
        self.breaker_feedback(c, !is_server_failure(status));
        if is_success(status) {
            self.resolve(c, Ok(status));
        } else {
            let f = Failure::Downstream(status);
            if !self.schedule_retry(c, f) {
                self.resolve(c, Err(f));
            }
        }
    }

    pub(crate) fn call_timeout(&mut self, c: u32, gen: u32, attempt: u16) {
        if !self.call_current(c, gen) {
            return;
        }
        let call = self.calls[c as usize];
        if !call.waiting || call.attempt != attempt {
            return;
        }
        if !self.owner_alive(c) {
            self.free_call(c);
            return;
        }
        self.calls[c as usize].waiting = false;
        let spec = &self.prog.calls[call.spec as usize];
        let hop = Hop {
            kind: Kind::Timeout,
            from: spec.callee,
            to: call.caller,
            name: spec.name,
            label: NameId::EMPTY,
            trace: call.trace,
            cause: call.cause,
            attempt: call.attempt,
        };
        let rec = self.emit_hop(&hop, call.sent, self.now, Outcome::Timeout, false);
        self.calls[c as usize].cause = Some(rec);
        if let Owner::Client(cl) = call.owner {
            self.metrics.clients[cl as usize].timeouts += 1;
        }
        self.breaker_feedback(c, false);
        if !self.schedule_retry(c, Failure::Timeout) {
            self.resolve(c, Err(Failure::Timeout));
        }
    }

    pub(crate) fn retry_fire(&mut self, c: u32, gen: u32) {
        if !self.call_current(c, gen) {
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

    // ----- circuit breakers ----------------------------------------------------------------------

    fn breaker_record(
        &mut self,
        edge: u32,
        state: BreakerState,
        trace: TraceId,
        cause: Option<RecordId>,
    ) {
        let e = &self.prog.edges[edge as usize];
        let (from, to, name) = (e.from, e.to, e.name);
        self.emit(Record {
            send: self.now,
            recv: self.now,
            id: RecordId(0),
            trace,
            cause,
            from,
            to,
            name,
            label: NameId::EMPTY,
            outcome: Outcome::Breaker(state),
            attempt: 1,
            kind: Kind::Breaker,
            late: false,
        });
    }

    fn breaker_open(&mut self, edge: u32, trace: TraceId, cause: Option<RecordId>) {
        let cooldown = self.prog.edges[edge as usize].policy.cooldown;
        let b = &mut self.breakers[edge as usize];
        b.state = BreakerState::Open;
        b.gen = b.gen.wrapping_add(1);
        b.window.clear();
        b.failures = 0;
        b.probes = 0;
        b.successes = 0;
        let gen = b.gen;
        self.breaker_record(edge, BreakerState::Open, trace, cause);
        self.schedule(self.now + cooldown, Ev::HalfOpen { edge, gen });
    }

    pub(crate) fn half_open(&mut self, edge: u32, gen: u32) {
        let b = &mut self.breakers[edge as usize];
        if b.gen != gen || b.state != BreakerState::Open {
            return;
        }
        b.state = BreakerState::HalfOpen;
        b.probes = 0;
        b.successes = 0;
        self.breaker_record(edge, BreakerState::HalfOpen, TraceId::NONE, None);
    }

    /// Count an attempt's outcome against its edge's breaker.
    fn breaker_feedback(&mut self, c: u32, ok: bool) {
        let call = self.calls[c as usize];
        let Some(edge) = self.prog.calls[call.spec as usize].edge else {
            return;
        };
        self.calls[c as usize].probe = false;
        let policy = self.prog.edges[edge as usize].policy;
        let now = self.now;
        let b = &mut self.breakers[edge as usize];
        match b.state {
            BreakerState::Closed => {
                b.window.push_back((now, !ok));
                if !ok {
                    b.failures += 1;
                }
                while let Some(&(t, failed)) = b.window.front() {
                    if t + policy.window > now {
                        break;
                    }
                    b.window.pop_front();
                    if failed {
                        b.failures = b.failures.saturating_sub(1);
                    }
                }
                let n = b.window.len() as u64;
                if n >= u64::from(policy.min_requests.max(1))
                    && b.failures as f64 >= policy.failure_ratio * n as f64
                {
                    self.breaker_open(edge, call.trace, call.cause);
                }
            }
            BreakerState::HalfOpen => {
                if call.probe {
                    b.probes = b.probes.saturating_sub(1);
                    if !ok {
                        self.breaker_open(edge, call.trace, call.cause);
                    } else {
                        b.successes += 1;
                        if b.successes >= policy.half_open_probes {
                            b.state = BreakerState::Closed;
                            b.gen = b.gen.wrapping_add(1);
                            b.window.clear();
                            b.failures = 0;
                            self.breaker_record(edge, BreakerState::Closed, call.trace, call.cause);
                        }
                    }
                }
            }
            BreakerState::Open => {}
        }
    }

    /// Breaker state of every edge that has one.
    pub fn breakers(&self) -> Vec<crate::sim::engine::BreakerView> {
        self.prog
            .edges
            .iter()
            .zip(self.breakers.iter())
            .map(|(e, b)| crate::sim::engine::BreakerView {
                from: e.from,
                to: e.to,
                name: e.name,
                state: b.state,
            })
            .collect()
    }

    // ----- clients -------------------------------------------------------------------------------

    fn client_gap(&mut self, client: u32) -> SimTime {
        let rate = self.prog.clients[client as usize].rate;
        SimTime::from_micros_f64(self.rng.exp_f64(1e6 / rate))
    }

    pub(crate) fn schedule_first_tick(&mut self, client: u32) {
        let cp = &self.prog.clients[client as usize];
        if cp.rate <= 0.0 {
            return;
        }
        let (start, stop, arrival) = (cp.start, cp.stop, cp.arrival);
        let at = match arrival {
            Arrival::Constant => start,
            Arrival::Poisson => start + self.client_gap(client),
        };
        if at < stop {
            self.schedule(at, Ev::ClientTick(client));
        }
    }

    pub(crate) fn client_tick(&mut self, client: u32) {
        self.client_request(client);
        let cp = &self.prog.clients[client as usize];
        let (start, stop, rate, arrival) = (cp.start, cp.stop, cp.rate, cp.arrival);
        let next = match arrival {
            Arrival::Constant => {
                let rt = &mut self.clients[client as usize];
                rt.k += 1;
                // k-th request exactly at start + k/rate: no accumulated rounding drift.
                start + SimTime::from_micros_f64(rt.k as f64 * 1e6 / rate)
            }
            Arrival::Poisson => self.now + self.client_gap(client),
        };
        if next < stop {
            self.schedule(next, Ev::ClientTick(client));
        }
    }

    /// Issue one client request now (a new trace).
    pub(crate) fn client_request(&mut self, client: u32) {
        let trace = self.new_trace_id();
        self.metrics.totals.requests += 1;
        self.metrics.clients[client as usize].sent += 1;
        let cp = &self.prog.clients[client as usize];
        let (spec, node) = (cp.call, cp.node);
        let started = self.now;
        if let Some(result) =
            self.start_call(spec, Owner::Client(client), node, trace, None, SimTime::MAX)
        {
            self.client_done(client, started, spec, result);
        }
    }

    fn client_done(
        &mut self,
        client: u32,
        started: SimTime,
        spec: u32,
        result: Result<Status, Failure>,
    ) {
        let rpc = self.prog.calls[spec as usize].rpc;
        let status = match result {
            Ok(s) => in_family(s, rpc),
            Err(f) => client_status(f, rpc),
        };
        let m = &mut self.metrics.clients[client as usize];
        m.completed += 1;
        m.latency.record(self.now - started);
        count_status(&mut m.outcomes, status);
        if !is_success(status) {
            m.errors += 1;
        }
    }
}
