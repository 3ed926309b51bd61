//! Load balancers in front of replicated services, as Envoy's: each attempt of a call to the
//! service is sent to one replica, picked round-robin, at random, by fewest requests in flight
//! (a full scan), or by the power of two choices; and passive health checking (Envoy's
//! `consecutive_5xx` outlier detection) takes a replica that fails too often out of the
//! rotation for a while.
//!
//! ```text
//! attempt ─► pick (among replicas not ejected; all of them if fewer than half are left)
//!              │ active += 1
//!              ▼
//!        attempt over ─► active -= 1 ─► ok: errors = 0
//!                                       server error: errors += 1 ─► ≥ consecutive ─► eject
//! eject ─► out for base × times ejected ─► Return event ─► back in rotation
//! ```
//!
//! The balancer is one shared proxy in front of the service (every caller's picks and counts
//! go through the same state) and adds no network hop of its own.

use super::{EventKind, Sim};
use crate::sim::compile::{BalancerId, Program};
use crate::sim::kernel::Event;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{Kind, NameId, Outcome, Record, RecordId, TraceId};
use crate::sim::world::Balancer;

/// Runtime state of one replica, as its balancer sees it.
#[derive(Clone, Copy, Debug, Default)]
struct ReplicaRt {
    /// Attempts sent to it and not over yet.
    active: u32,
    /// Server errors in a row.
    errors: u32,
    /// Out of rotation since the first time until the second (`None`: in).
    ejected: Option<(SimTime, SimTime)>,
    /// Times it has been ejected (the next ejection lasts one base time longer).
    times: u32,
}

/// Runtime state of one load balancer.
#[derive(Clone, Debug)]
struct BalancerRt {
    /// Round-robin: the replica to try first next time.
    next: u32,
    replicas: Vec<ReplicaRt>,
    /// Replicas ejected now.
    out: u32,
    /// Candidates for the pick being made (kept to avoid an allocation per pick).
    scratch: Vec<u32>,
}

/// Every balancer's runtime state.
#[derive(Clone, Debug)]
pub(crate) struct Balancers {
    rt: Vec<BalancerRt>,
}

impl Balancers {
    pub(crate) fn new(prog: &Program) -> Balancers {
        Balancers {
            rt: prog
                .balancers
                .iter()
                .map(|b| BalancerRt {
                    next: 0,
                    replicas: vec![ReplicaRt::default(); b.replicas.len()],
                    out: 0,
                    scratch: Vec::with_capacity(b.replicas.len()),
                })
                .collect(),
        }
    }

    /// Replica `r` of balancer `b`: attempts in flight to it, and whether it is ejected now.
    pub(crate) fn replica(&self, b: usize, r: usize) -> (u32, bool) {
        let x = &self.rt[b].replicas[r];
        (x.active, x.ejected.is_some())
    }

    /// An attempt sent to replica `r` is over (answered, timed out or abandoned).
    pub(crate) fn attempt_over(&mut self, b: BalancerId, r: u16) {
        let x = &mut self.rt[b.ix()].replicas[usize::from(r)];
        x.active = x.active.saturating_sub(1);
    }
}

/// A balancer's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BalancerEv {
    /// Replica `replica`'s ejection ends.
    Return { balancer: BalancerId, replica: u32 },
}

impl Event for BalancerEv {
    const MECH: u8 = 7;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            BalancerEv::Return { balancer, replica } => (0, balancer.raw(), replica, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, _: u32) -> BalancerEv {
        match v {
            0 => BalancerEv::Return {
                balancer: Id::new(x),
                replica: y,
            },
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    pub(super) fn on_balancer_event(&mut self, ev: BalancerEv) -> EventKind {
        match ev {
            BalancerEv::Return { balancer, replica } => {
                self.replica_return(balancer, replica);
                EventKind::ReplicaReturned
            }
        }
    }

    /// Pick the replica for an attempt, and count the attempt as in flight to it.
    pub(crate) fn balancer_pick(&mut self, b: BalancerId) -> u16 {
        let policy = self.prog.balancers[b.ix()].policy;
        let rt = &mut self.balancers.rt[b.ix()];
        let n = rt.replicas.len() as u32;
        // Envoy's panic threshold (50% by default): with fewer than half the replicas in
        // rotation, the balancer ignores health and spreads over all of them.
        let panic = 2 * (n - rt.out) < n;
        rt.scratch.clear();
        for (i, x) in rt.replicas.iter().enumerate() {
            if panic || x.ejected.is_none() {
                rt.scratch.push(i as u32);
            }
        }
        let m = rt.scratch.len() as u64;
        let pick = match policy {
            Balancer::RoundRobin => {
                // The first candidate at or after the cursor, wrapping.
                let start = rt.next;
                let r = rt
                    .scratch
                    .iter()
                    .copied()
                    .find(|&i| i >= start)
                    .unwrap_or(rt.scratch[0]);
                rt.next = (r + 1) % n;
                r
            }
            Balancer::Random => rt.scratch[self.k.rng().below(m) as usize],
            Balancer::LeastRequests => {
                let least = rt
                    .scratch
                    .iter()
                    .map(|&i| rt.replicas[i as usize].active)
                    .min()
                    .expect("a balancer has at least two replicas");
                let replicas = &rt.replicas;
                rt.scratch.retain(|&i| replicas[i as usize].active == least);
                let ties = rt.scratch.len() as u64;
                if ties == 1 {
                    rt.scratch[0]
                } else {
                    rt.scratch[self.k.rng().below(ties) as usize]
                }
            }
            Balancer::PowerOfTwo => {
                // Two independent draws (possibly the same replica, as Envoy's); the second
                // wins only with strictly fewer requests in flight.
                let a = rt.scratch[self.k.rng().below(m) as usize];
                let c = rt.scratch[self.k.rng().below(m) as usize];
                if rt.replicas[c as usize].active < rt.replicas[a as usize].active {
                    c
                } else {
                    a
                }
            }
        };
        let rt = &mut self.balancers.rt[b.ix()];
        rt.replicas[pick as usize].active += 1;
        self.k.metrics_mut().balancers[b.ix()].sent[pick as usize] += 1;
        pick as u16
    }

    /// An attempt to replica `r` ended: `server_error` if it failed in a way outlier detection
    /// counts (a 5xx, a refused or reset connection, a timeout).
    pub(crate) fn balancer_feedback(
        &mut self,
        b: BalancerId,
        r: u16,
        server_error: bool,
        trace: TraceId,
        cause: Option<RecordId>,
    ) {
        if server_error {
            self.k.metrics_mut().balancers[b.ix()].errors[usize::from(r)] += 1;
        }
        let Some(policy) = self.prog.balancers[b.ix()].outlier else {
            return;
        };
        let rt = &mut self.balancers.rt[b.ix()];
        let n = rt.replicas.len() as u32;
        let x = &mut rt.replicas[usize::from(r)];
        // A replica already out is not judged again until it is back.
        if x.ejected.is_some() {
            return;
        }
        if !server_error {
            x.errors = 0;
            return;
        }
        x.errors += 1;
        if x.errors < policy.consecutive {
            return;
        }
        // Envoy ejects the first host whatever the limit, and another only while the share
        // out, counting it, stays within `max_ejection_percent`.
        if rt.out > 0 && f64::from(rt.out + 1) / f64::from(n) > policy.max_percent {
            return;
        }
        let x = &mut rt.replicas[usize::from(r)];
        x.errors = 0;
        x.times += 1;
        let now = self.k.now();
        let until = now + SimTime(policy.base.0.saturating_mul(u64::from(x.times)));
        x.ejected = Some((now, until));
        rt.out += 1;
        self.k.metrics_mut().balancers[b.ix()].ejections[usize::from(r)] += 1;
        self.replica_record(b, u32::from(r), Kind::Eject, now, trace, cause);
        self.k.schedule(
            until,
            BalancerEv::Return {
                balancer: b,
                replica: u32::from(r),
            },
        );
    }

    fn replica_return(&mut self, b: BalancerId, r: u32) {
        let rt = &mut self.balancers.rt[b.ix()];
        let x = &mut rt.replicas[r as usize];
        let Some((since, _)) = x.ejected.take() else {
            return;
        };
        x.errors = 0;
        rt.out -= 1;
        self.replica_record(b, r, Kind::Return, since, TraceId::NONE, None);
    }

    /// A record of replica `r` leaving (`Kind::Eject`) or re-entering (`Kind::Return`, `send`
    /// = when it left) its balancer's rotation; `name` is the balancer's service.
    fn replica_record(
        &mut self,
        b: BalancerId,
        r: u32,
        kind: Kind,
        send: SimTime,
        trace: TraceId,
        cause: Option<RecordId>,
    ) {
        let bp = &self.prog.balancers[b.ix()];
        let node = self.prog.services[bp.replicas[r as usize]].node;
        let name = bp.name;
        let now = self.k.now();
        self.k.emit(Record {
            send,
            recv: now,
            id: RecordId(0),
            trace,
            cause,
            from: node,
            to: node,
            name,
            label: NameId::EMPTY,
            outcome: Outcome::Ok,
            attempt: 1,
            kind,
            late: false,
        });
    }
}
