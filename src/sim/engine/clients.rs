//! Load-generating clients. Open loop: requests at a constant rate or as a Poisson process
//! between their start and stop, the rate steady or ramping linearly, plus bursts at set times.
//! Closed loop: users, each sending a request, waiting for its final answer, thinking, and
//! sending again. Each request is a new trace and one call (with its retries); the client
//! records what it finally saw.

use super::calls::Owner;
use super::{EventKind, Sim};
use crate::sim::compile::{CallId, ClientId, Program};
use crate::sim::kernel::Event;
use crate::sim::metrics::count_status;
use crate::sim::protocol::{is_success, Failure};
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::world::{Arrival, Status};

/// Runtime state of a client.
#[derive(Clone, Copy, Debug, Default)]
struct ClientRt {
    /// Rate-driven requests issued (constant spacing): the index of the next one.
    k: u64,
    /// A ramped Poisson client: its last request's time on the unit-rate clock (the integrated
    /// rate at that request).
    s: f64,
    /// A client of users: users so far (at the start and from bursts), thinking now, waiting
    /// for an answer now.
    users: u32,
    thinking: u32,
    waiting: u32,
}

/// Every client's runtime state.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    rt: Vec<ClientRt>,
}

impl Clients {
    pub(crate) fn new(prog: &Program) -> Clients {
        Clients {
            rt: vec![ClientRt::default(); prog.clients.len()],
        }
    }

    /// A client's users now: (so far, thinking, waiting).
    pub(super) fn users(&self, client: usize) -> (u32, u32, u32) {
        self.rt
            .get(client)
            .map_or((0, 0, 0), |r| (r.users, r.thinking, r.waiting))
    }
}

/// A client's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientEv {
    /// The next rate-driven request.
    Tick(ClientId),
    /// `count` burst requests still to issue, one per event, so the event budget bounds even a
    /// huge burst. For a client of users, each is a user who joins.
    Burst { client: ClientId, count: u32 },
    /// A client of users starts: every user begins thinking.
    UsersArrive(ClientId),
    /// A user's think time ended: it sends its next request.
    Think(ClientId),
}

impl Event for ClientEv {
    const MECH: u8 = 4;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            ClientEv::Tick(c) => (0, c.raw(), 0, 0),
            ClientEv::Burst { client, count } => (1, client.raw(), count, 0),
            ClientEv::UsersArrive(c) => (2, c.raw(), 0, 0),
            ClientEv::Think(c) => (3, c.raw(), 0, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, _: u32) -> ClientEv {
        match v {
            0 => ClientEv::Tick(Id::new(x)),
            1 => ClientEv::Burst {
                client: Id::new(x),
                count: y,
            },
            2 => ClientEv::UsersArrive(Id::new(x)),
            3 => ClientEv::Think(Id::new(x)),
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

/// Seconds after the start at which a ramp's integrated rate reaches `n`: the rate goes
/// linearly from `r0` to `r1` (per second) over `over` seconds, then stays at `r1`. `None` if it
/// never does (a ramp down to 0/s that has ended).
///
/// On the ramp the integrated rate is `Λ(t) = r0·t + a·t²` with `a = (r1 − r0) / (2·over)`; its
/// root `t = 2n / (r0 + √(r0² + 4an))` is the stable form whether the ramp goes up or down.
fn ramp_time(r0: f64, r1: f64, over: f64, n: f64) -> Option<f64> {
    if n <= 0.0 {
        return Some(0.0);
    }
    let at_end = (r0 + r1) / 2.0 * over;
    if n <= at_end {
        let a = (r1 - r0) / (2.0 * over);
        let disc = (r0 * r0 + 4.0 * a * n).max(0.0);
        Some(2.0 * n / (r0 + libm::sqrt(disc)))
    } else if r1 > 0.0 {
        Some(over + (n - at_end) / r1)
    } else {
        None
    }
}

impl Sim {
    /// Schedule every client's first request (or its users' arrival) and its bursts.
    pub(super) fn schedule_clients(&mut self) {
        for c in 0..self.prog.clients.len() {
            let cp = &self.prog.clients[c];
            if cp.users > 0 {
                let start = cp.start;
                self.k
                    .schedule(start, ClientEv::UsersArrive(Id::new(c as u32)));
            } else {
                self.schedule_first_tick(Id::new(c as u32));
            }
            for b in 0..self.prog.clients[c].bursts.len() {
                let burst = self.prog.clients[c].bursts[b];
                self.k.schedule(
                    burst.at,
                    ClientEv::Burst {
                        client: Id::new(c as u32),
                        count: burst.count,
                    },
                );
            }
        }
    }

    pub(super) fn on_client_event(&mut self, ev: ClientEv) -> EventKind {
        match ev {
            ClientEv::Tick(c) => {
                self.client_tick(c);
                EventKind::ClientRequest
            }
            ClientEv::Burst { client, count } => {
                if self.prog.clients[client.ix()].users > 0 {
                    self.clients.rt[client.ix()].users += 1;
                    self.user_request(client);
                } else {
                    self.client_request(client);
                }
                if count > 1 {
                    let now = self.k.now();
                    self.k.schedule(
                        now,
                        ClientEv::Burst {
                            client,
                            count: count - 1,
                        },
                    );
                }
                EventKind::Burst
            }
            ClientEv::UsersArrive(c) => {
                let n = self.prog.clients[c.ix()].users;
                self.clients.rt[c.ix()].users += n;
                for _ in 0..n {
                    self.user_thinks(c);
                }
                self.user_levels(c);
                EventKind::UsersArrived
            }
            ClientEv::Think(c) => {
                let rt = &mut self.clients.rt[c.ix()];
                rt.thinking = rt.thinking.saturating_sub(1);
                self.user_request(c);
                EventKind::ClientRequest
            }
        }
    }

    fn client_gap(&mut self, client: ClientId) -> SimTime {
        let rate = self.prog.clients[client.ix()].rate;
        SimTime::from_micros_f64(self.k.rng().exp_f64(1e6 / rate))
    }

    /// A ramped Poisson client's next request: one more unit-rate exponential gap, mapped
    /// through the inverse of the integrated rate (Çinlar's inversion method).
    fn ramp_poisson_next(&mut self, client: ClientId) -> Option<SimTime> {
        let cp = &self.prog.clients[client.ix()];
        let (start, r0, (r1, over)) = (cp.start, cp.rate, cp.ramp?);
        let gap = self.k.rng().exp1();
        let rt = &mut self.clients.rt[client.ix()];
        rt.s += gap;
        ramp_time(r0, r1, over, rt.s).map(|t| start + SimTime::from_micros_f64(t * 1e6))
    }

    fn schedule_first_tick(&mut self, client: ClientId) {
        let cp = &self.prog.clients[client.ix()];
        let ramp_up = cp.ramp.is_some_and(|(to, _)| to > 0.0);
        if cp.rate <= 0.0 && !ramp_up {
            return;
        }
        let (start, stop, arrival, ramped) = (cp.start, cp.stop, cp.arrival, cp.ramp.is_some());
        let at = match (arrival, ramped) {
            (Arrival::Constant, _) => Some(start),
            (Arrival::Poisson, false) => Some(start + self.client_gap(client)),
            (Arrival::Poisson, true) => self.ramp_poisson_next(client),
        };
        if let Some(at) = at.filter(|&at| at < stop) {
            self.k.schedule(at, ClientEv::Tick(client));
        }
    }

    fn client_tick(&mut self, client: ClientId) {
        self.client_request(client);
        let cp = &self.prog.clients[client.ix()];
        let (start, stop, rate, arrival, ramp) = (cp.start, cp.stop, cp.rate, cp.arrival, cp.ramp);
        let next = match (arrival, ramp) {
            (Arrival::Constant, None) => {
                let rt = &mut self.clients.rt[client.ix()];
                rt.k += 1;
                // k-th request exactly at start + k/rate: no accumulated rounding drift.
                Some(start + SimTime::from_micros_f64(rt.k as f64 * 1e6 / rate))
            }
            (Arrival::Poisson, None) => Some(self.k.now() + self.client_gap(client)),
            (Arrival::Constant, Some((to, over))) => {
                let rt = &mut self.clients.rt[client.ix()];
                rt.k += 1;
                // k-th request when the integrated rate reaches k, as for a steady rate.
                ramp_time(rate, to, over, rt.k as f64)
                    .map(|t| start + SimTime::from_micros_f64(t * 1e6))
            }
            (Arrival::Poisson, Some(_)) => self.ramp_poisson_next(client),
        };
        if let Some(next) = next.filter(|&t| t < stop) {
            self.k.schedule(next, ClientEv::Tick(client));
        }
    }

    /// A user sends a request now.
    fn user_request(&mut self, client: ClientId) {
        self.clients.rt[client.ix()].waiting += 1;
        self.user_levels(client);
        self.client_request(client);
    }

    /// A user (who has just arrived or had its answer) begins thinking, unless the client has
    /// stopped or will have by the end of the think time: then the user leaves.
    fn user_thinks(&mut self, client: ClientId) {
        let now = self.k.now();
        let cp = &self.prog.clients[client.ix()];
        let (think, stop) = (cp.think, cp.stop);
        if now >= stop {
            return;
        }
        let at = now + think.sample(self.k.rng());
        if at < stop {
            self.clients.rt[client.ix()].thinking += 1;
            self.k.schedule(at, ClientEv::Think(client));
        }
    }

    /// Record how many users wait and think from now on.
    fn user_levels(&mut self, client: ClientId) {
        let now = self.k.now();
        let rt = self.clients.rt[client.ix()];
        let m = &mut self.k.metrics_mut().clients[client.ix()];
        m.waiting.set(now, u64::from(rt.waiting));
        m.thinking.set(now, u64::from(rt.thinking));
        if let Some(series) = &mut m.users_series {
            series.update(now, rt.waiting, rt.thinking);
        }
    }

    /// Issue one client request now (a new trace).
    fn client_request(&mut self, client: ClientId) {
        let trace = self.k.new_trace_id();
        let metrics = self.k.metrics_mut();
        metrics.totals.requests += 1;
        metrics.clients[client.ix()].sent += 1;
        let cp = &self.prog.clients[client.ix()];
        let (spec, node) = (cp.call, cp.node);
        let started = self.k.now();
        if let Some(result) =
            self.start_call(spec, Owner::Client(client), node, trace, None, SimTime::MAX)
        {
            self.client_done(client, started, spec, result);
        }
    }

    /// The client's call is over: record what it saw; a user then thinks.
    pub(crate) fn client_done(
        &mut self,
        client: ClientId,
        started: SimTime,
        spec: CallId,
        result: Result<Status, Failure>,
    ) {
        self.record_outcome(client, started, spec, result);
        if self.prog.clients[client.ix()].users > 0 {
            let rt = &mut self.clients.rt[client.ix()];
            rt.waiting = rt.waiting.saturating_sub(1);
            self.user_thinks(client);
            self.user_levels(client);
        }
    }

    fn record_outcome(
        &mut self,
        client: ClientId,
        started: SimTime,
        spec: CallId,
        result: Result<Status, Failure>,
    ) {
        let protocol = self.prog.calls[spec.ix()].protocol;
        let now = self.k.now();
        let m = &mut self.k.metrics_mut().clients[client.ix()];
        m.completed += 1;
        m.latency.record(now - started);
        let status = match result {
            Ok(s) => protocol.in_family(s),
            // The client's own timeout is not a status (RFC 9110 §15.6.5 gives 504 to gateways).
            Err(Failure::Timeout | Failure::DeadlinePassed) => {
                m.timed_out += 1;
                m.errors += 1;
                return;
            }
            // Nor is a refused or reset connection (gRPC libraries report it as UNAVAILABLE).
            // Nor is an exhausted connection pool (HikariCP throws, no request is sent).
            Err(Failure::Refused | Failure::Reset | Failure::PoolTimeout) => {
                m.connection_errors += 1;
                m.errors += 1;
                return;
            }
            Err(f) => protocol.reply_status(f),
        };
        count_status(&mut m.outcomes, status);
        if is_success(status) {
            m.ok += 1;
        } else {
            m.errors += 1;
        }
    }
}
