//! Load-generating clients: requests at a constant rate or as a Poisson process between their
//! start and stop, plus bursts at set times. Each request is a new trace and one call (with its
//! retries); the client records what it finally saw.

use super::calls::Owner;
use super::{EventKind, Sim};
use crate::sim::compile::{CallId, ClientId, Program};
use crate::sim::kernel::Event;
use crate::sim::metrics::count_status;
use crate::sim::protocol::{is_success, Failure};
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::world::{Arrival, Status};

/// Runtime state of a client: how many rate-driven requests it has issued.
#[derive(Clone, Copy, Debug, Default)]
struct ClientRt {
    k: u64,
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
}

/// A client's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientEv {
    /// The next rate-driven request.
    Tick(ClientId),
    /// `count` burst requests still to issue, one per event, so the event budget bounds even a
    /// huge burst.
    Burst { client: ClientId, count: u32 },
}

impl Event for ClientEv {
    const MECH: u8 = 4;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            ClientEv::Tick(c) => (0, c.raw(), 0, 0),
            ClientEv::Burst { client, count } => (1, client.raw(), count, 0),
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
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    /// Schedule every client's first request and its bursts.
    pub(super) fn schedule_clients(&mut self) {
        for c in 0..self.prog.clients.len() {
            self.schedule_first_tick(Id::new(c as u32));
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
                self.client_request(client);
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
        }
    }

    fn client_gap(&mut self, client: ClientId) -> SimTime {
        let rate = self.prog.clients[client.ix()].rate;
        SimTime::from_micros_f64(self.k.rng().exp_f64(1e6 / rate))
    }

    fn schedule_first_tick(&mut self, client: ClientId) {
        let cp = &self.prog.clients[client.ix()];
        if cp.rate <= 0.0 {
            return;
        }
        let (start, stop, arrival) = (cp.start, cp.stop, cp.arrival);
        let at = match arrival {
            Arrival::Constant => start,
            Arrival::Poisson => start + self.client_gap(client),
        };
        if at < stop {
            self.k.schedule(at, ClientEv::Tick(client));
        }
    }

    fn client_tick(&mut self, client: ClientId) {
        self.client_request(client);
        let cp = &self.prog.clients[client.ix()];
        let (start, stop, rate, arrival) = (cp.start, cp.stop, cp.rate, cp.arrival);
        let next = match arrival {
            Arrival::Constant => {
                let rt = &mut self.clients.rt[client.ix()];
                rt.k += 1;
                // k-th request exactly at start + k/rate: no accumulated rounding drift.
                start + SimTime::from_micros_f64(rt.k as f64 * 1e6 / rate)
            }
            Arrival::Poisson => self.k.now() + self.client_gap(client),
        };
        if next < stop {
            self.k.schedule(next, ClientEv::Tick(client));
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

    /// The client's call is over: record what it saw.
    pub(crate) fn client_done(
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
            Err(Failure::Refused | Failure::Reset) => {
                m.connection_errors += 1;
                m.errors += 1;
                return;
            }
            Err(f) => protocol.reply_status(f),
        };
        count_status(&mut m.outcomes, status);
        if !is_success(status) {
            m.errors += 1;
        }
    }
}
