//! Circuit breakers, one per edge that has a policy, as resilience4j's `CircuitBreaker`: a
//! sliding time window of attempt outcomes opens the breaker at the failure ratio (an attempt
//! slower than the policy's slow-call threshold counts as failed); after the cooldown it lets a
//! number of probes through (half-open) and, once all of them have ended, closes if their
//! failure share is below the ratio and opens again otherwise.
//!
//! ```text
//! Closed ──failures ≥ ratio × window (≥ min requests)──► Open ──cooldown──► HalfOpen
//!    ▲                                                     ▲                  │
//!    └────── every probe ended, failure share < ratio ─────┼──────────────────┤
//!                                                          └─ share ≥ ratio ──┘
//! ```

use super::{EventKind, Sim};
use crate::sim::compile::{EdgeId, Program};
use crate::sim::kernel::Event;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{BreakerState, Kind, NameId, Outcome, Record, RecordId, TraceId};
use std::collections::VecDeque;

/// Runtime state of one circuit breaker.
#[derive(Clone, Debug)]
struct BreakerRt {
    state: BreakerState,
    window: VecDeque<(SimTime, bool)>,
    failures: u32,
    /// Half-open: probes let through (a probe whose call ended with no outcome gives its
    /// permit back).
    probes: u32,
    /// Half-open: probes that ended, and how many of them failed.
    probe_results: u32,
    probe_failures: u32,
    gen: u32,
}

impl Default for BreakerRt {
    fn default() -> BreakerRt {
        BreakerRt {
            state: BreakerState::Closed,
            window: VecDeque::new(),
            failures: 0,
            probes: 0,
            probe_results: 0,
            probe_failures: 0,
            gen: 0,
        }
    }
}

/// Every edge's breaker (edges without a policy have one that never sees an attempt).
#[derive(Clone, Debug)]
pub(crate) struct Breakers {
    rt: Vec<BreakerRt>,
}

impl Breakers {
    pub(crate) fn new(prog: &Program) -> Breakers {
        Breakers {
            rt: vec![BreakerRt::default(); prog.edges.len()],
        }
    }

    /// State of edge `e`'s breaker now.
    pub(crate) fn state(&self, e: usize) -> BreakerState {
        self.rt[e].state
    }

    /// A probe's call ended without reporting an outcome (its owner is gone).
    pub(crate) fn release_probe(&mut self, e: EdgeId) {
        let b = &mut self.rt[e.ix()];
        b.probes = b.probes.saturating_sub(1);
    }
}

/// What the breaker says to an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Closed: go ahead.
    Closed,
    /// Half-open: go ahead as one of the probes.
    Probe,
    /// Open, or every probe is out: refused.
    Refused,
}

/// A breaker's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BreakerEv {
    /// The cooldown of the breaker's `gen`-th opening ended.
    HalfOpen { edge: EdgeId, gen: u32 },
}

impl Event for BreakerEv {
    const MECH: u8 = 3;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            BreakerEv::HalfOpen { edge, gen } => (0, edge.raw(), gen, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, _: u32) -> BreakerEv {
        match v {
            0 => BreakerEv::HalfOpen {
                edge: Id::new(x),
                gen: y,
            },
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    pub(super) fn on_breaker_event(&mut self, ev: BreakerEv) -> EventKind {
        match ev {
            BreakerEv::HalfOpen { edge, gen } => {
                self.half_open(edge, gen);
                EventKind::BreakerHalfOpen
            }
        }
    }

    /// Ask edge `e`'s breaker to let an attempt through.
    pub(crate) fn breaker_admit(&mut self, e: EdgeId) -> Admission {
        let probes_allowed = self.prog.edges[e.ix()].policy.half_open_probes;
        let b = &mut self.breakers.rt[e.ix()];
        match b.state {
            BreakerState::Closed => Admission::Closed,
            BreakerState::Open => Admission::Refused,
            BreakerState::HalfOpen => {
                if b.probes < probes_allowed {
                    b.probes += 1;
                    Admission::Probe
                } else {
                    Admission::Refused
                }
            }
        }
    }

    fn breaker_record(
        &mut self,
        edge: EdgeId,
        state: BreakerState,
        trace: TraceId,
        cause: Option<RecordId>,
    ) {
        let e = &self.prog.edges[edge.ix()];
        let (from, to, name) = (e.from, e.to, e.name);
        let now = self.k.now();
        self.k.emit(Record {
            send: now,
            recv: now,
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

    fn breaker_open(&mut self, edge: EdgeId, trace: TraceId, cause: Option<RecordId>) {
        let cooldown = self.prog.edges[edge.ix()].policy.cooldown;
        let b = &mut self.breakers.rt[edge.ix()];
        b.state = BreakerState::Open;
        b.gen = b.gen.wrapping_add(1);
        b.window.clear();
        b.failures = 0;
        b.probes = 0;
        b.probe_results = 0;
        b.probe_failures = 0;
        let gen = b.gen;
        self.breaker_record(edge, BreakerState::Open, trace, cause);
        let at = self.k.now() + cooldown;
        self.k.schedule(at, BreakerEv::HalfOpen { edge, gen });
    }

    fn half_open(&mut self, edge: EdgeId, gen: u32) {
        let b = &mut self.breakers.rt[edge.ix()];
        if b.gen != gen || b.state != BreakerState::Open {
            return;
        }
        b.state = BreakerState::HalfOpen;
        b.probes = 0;
        b.probe_results = 0;
        b.probe_failures = 0;
        self.breaker_record(edge, BreakerState::HalfOpen, TraceId::NONE, None);
    }

    /// Count an attempt's outcome against edge `edge`'s breaker; `probe` says whether the
    /// attempt was let through as a half-open probe. `trace` and `cause` are the attempt's, for
    /// the transition's record.
    pub(crate) fn breaker_feedback(
        &mut self,
        edge: EdgeId,
        probe: bool,
        trace: TraceId,
        cause: Option<RecordId>,
        ok: bool,
    ) {
        let policy = self.prog.edges[edge.ix()].policy;
        let now = self.k.now();
        let b = &mut self.breakers.rt[edge.ix()];
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
                    self.breaker_open(edge, trace, cause);
                }
            }
            BreakerState::HalfOpen => {
                // resilience4j decides once every permitted call has ended, on their failure
                // rate, rather than on the first failure.
                if probe {
                    b.probe_results += 1;
                    if !ok {
                        b.probe_failures += 1;
                    }
                    let n = policy.half_open_probes;
                    if b.probe_results >= n {
                        if f64::from(b.probe_failures) >= policy.failure_ratio * f64::from(n) {
                            self.breaker_open(edge, trace, cause);
                        } else {
                            b.state = BreakerState::Closed;
                            b.gen = b.gen.wrapping_add(1);
                            b.window.clear();
                            b.failures = 0;
                            self.breaker_record(edge, BreakerState::Closed, trace, cause);
                        }
                    }
                }
            }
            BreakerState::Open => {}
        }
    }
}
