//! `Sim`, the composition of one run: the kernel plus one sub-state per mechanism, and the one
//! place that registers mechanisms — which mechanism owns each event (`handle`) and each kind of
//! message (`Payload`, `message_arrived`). Each mechanism module owns its state (private fields),
//! its events and its messages, and extends `Sim` with the handlers for them; it reaches other
//! mechanisms only through their methods.
//!
//! ```text
//!   kernel.pop() ──► handle(event) ──► owner's handler ──► send / schedule / emit records
//!                          │
//!                          └──► run_runnable(): tasks made runnable, drained after each event,
//!                               so a long backlog never recurses
//! ```
//!
//! Mechanisms: `net` (messages on the wire), `services` (workers, backlogs, handler tasks,
//! crashes), `calls` (REST/RPC attempts, deadlines, retries), `breakers`, `clients`, `brokers`
//! (queues, subscriptions, topics), `faults` (what is in force now); `views` is what the UI reads.

mod balancers;
mod breakers;
mod brokers;
mod caches;
mod calls;
mod clients;
mod faults;
mod net;
mod services;
mod views;

pub use views::{
    BalancerView, BreakerView, CacheView, InFlight, MailboxView, Partition, ReplicaView,
    ServiceView, UsersView,
};

use crate::sim::compile::{CheckedWorld, Program};
use crate::sim::kernel::{Event, Kernel, KernelSettings, Packed, StopReason};
use crate::sim::metrics::{Metrics, Series};
use crate::sim::time::SimTime;
use crate::sim::trace::{DropReason, Kind};
use crate::sim::world::World;
use crate::sim::WorldError;
use balancers::{BalancerEv, Balancers};
use breakers::{BreakerEv, Breakers};
use brokers::{BrokerEv, BrokerMsg, Brokers};
use caches::Caches;
use calls::{CallEv, CallMsg, Calls};
use clients::{ClientEv, Clients};
use faults::{ActiveFaults, FaultEv};
use net::{Msg, NetEv, Network};
use services::{Services, TaskEv};

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
    /// A hedged call's delay ended (its next attempt may be sent).
    Hedge,
    /// A call's wait for a connection of its pool ended.
    PoolWait,
    /// A client's next rate-driven request.
    ClientRequest,
    /// A client burst.
    Burst,
    /// A client's users began thinking, at the client's start.
    UsersArrived,
    /// A delivery's visibility timeout / ack deadline fired.
    VisibilityExpired,
    /// A consumer's ack reached its broker after its handler ended: the consumer takes the
    /// next message.
    ConsumerFreed,
    /// A producer's wait for its broker's confirm timed out.
    ConfirmTimeout,
    /// A fault began.
    FaultStarted,
    /// A fault ended.
    FaultEnded,
    /// A breaker's cooldown ended.
    BreakerHalfOpen,
    /// An ejected replica's time out of its load balancer ended.
    ReplicaReturned,
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

/// What a message carries besides its header: one variant per mechanism that sends messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Payload {
    Call(CallMsg),
    Broker(BrokerMsg),
}

impl From<CallMsg> for Payload {
    #[inline(always)]
    fn from(m: CallMsg) -> Payload {
        Payload::Call(m)
    }
}

impl From<BrokerMsg> for Payload {
    #[inline(always)]
    fn from(m: BrokerMsg) -> Payload {
        Payload::Broker(m)
    }
}

/// A deterministic simulation of one world with one seed.
///
/// Lifecycle: `Sim::new(world, seed)` validates and compiles the world and schedules clients
/// and faults; `step()` processes one event; `run_until(t)`, `run_events(n)` and `run_to_end()`
/// loop over `step()`. `trace()` and `metrics()` may be read at any point. Cloning a `Sim`
/// snapshots the whole run (a clone continues exactly like the original would).
#[derive(Clone)]
pub struct Sim {
    k: Kernel,
    prog: Program,
    net: Network,
    services: Services,
    calls: Calls,
    breakers: Breakers,
    balancers: Balancers,
    caches: Caches,
    clients: Clients,
    brokers: Brokers,
    faults: ActiveFaults,
}

impl Sim {
    /// Validate and compile `world`, seed the RNG, and schedule clients, bursts and faults.
    pub fn new(world: World, seed: u64) -> Result<Sim, WorldError> {
        Ok(Sim::start(&CheckedWorld::new(&world)?, seed))
    }

    /// A run of a world compiled before (`CheckedWorld::new`), with `seed`.
    pub fn start(world: &CheckedWorld, seed: u64) -> Sim {
        let prog = world.prog.clone();
        let run = &world.run;
        let interval = run
            .series_interval
            .unwrap_or(SimTime((run.duration.0 / 500).max(1_000)));
        let mut metrics = Metrics::new(&prog, interval);
        for (m, c) in metrics.clients.iter_mut().zip(&prog.clients) {
            if c.users > 0 {
                m.users_series = Some(Series::new(interval));
            }
        }
        let settings = KernelSettings {
            seed,
            duration: run.duration,
            budget: run.event_budget,
            pending_limit: run.pending_limit,
            tracing: run.trace,
            trace_limit: run.trace_limit,
        };
        let mut sim = Sim {
            k: Kernel::new(settings, metrics),
            net: Network::default(),
            services: Services::new(&prog),
            calls: Calls::new(&prog),
            breakers: Breakers::new(&prog),
            balancers: Balancers::new(&prog),
            caches: Caches::new(&prog),
            clients: Clients::new(&prog),
            brokers: Brokers::new(&prog),
            faults: ActiveFaults::new(&prog),
            prog,
        };
        // Faults first, then clients: the order of the first heap entries (and of a Poisson
        // client's first draws) is part of every trace.
        sim.schedule_faults();
        sim.schedule_clients();
        sim
    }

    // ----- clock and step loop -------------------------------------------------------------------

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.k.now()
    }
    /// The seed this run was created with.
    pub fn seed(&self) -> u64 {
        self.k.seed()
    }
    /// The world's duration: the run finishes when the clock reaches it.
    pub fn duration(&self) -> SimTime {
        self.k.duration()
    }
    /// The world's event budget.
    pub fn event_budget(&self) -> u64 {
        self.k.budget()
    }
    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.k.events()
    }
    /// Why the run stopped, if it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.k.stop()
    }
    /// Time of the next pending event, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.k.next_event_time()
    }

    /// Process one event. Returns `None` (and sets `stop_reason`) when the run cannot go on:
    /// the next event is past the duration, the event budget is spent, or nothing is left.
    pub fn step(&mut self) -> Option<StepInfo> {
        self.step_inline()
    }

    /// `step`, inlined where a loop runs many events (`run_to_end`): the whole dispatch in the
    /// loop saves a call per event and lets the compiler see across it (about 5% fewer
    /// instructions on the M/M/c benchmark, docs/engine.md).
    #[inline(always)]
    fn step_inline(&mut self) -> Option<StepInfo> {
        let ev = self.k.pop()?;
        let first = self.k.next_record();
        let event = self.handle(ev);
        self.run_runnable();
        // Every 256th event: the overshoot is a few hundred events' worth of work, and the check
        // costs nothing measurable. Event counts are the same on every machine, so the stop is.
        if self.k.events().is_multiple_of(256) {
            self.k.check_pending(self.pending());
        }
        Some(StepInfo {
            time: self.k.now(),
            event,
            records: first..self.k.next_record(),
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
        let limit = t.min(self.k.duration());
        while self.k.stop().is_none() {
            match self.k.next_event_time() {
                Some(et) if et <= limit => {
                    if self.step().is_none() {
                        break;
                    }
                }
                Some(_) | None => break,
            }
        }
        self.k.advance_to(limit);
    }

    /// Run until the duration (or the budget, or idleness) stops the run.
    pub fn run_to_end(&mut self) -> StopReason {
        while self.step_inline().is_some() {}
        self.k.stop().unwrap_or(StopReason::Finished {
            at: self.k.duration(),
        })
    }

    /// Tasks, calls, messages (on the wire or stored) and timers held now.
    #[inline]
    fn pending(&self) -> u64 {
        u64::from(self.services.task_count())
            + u64::from(self.calls.len())
            + u64::from(self.net.in_flight())
            + u64::from(self.brokers.stored_count())
            + self.k.queued() as u64
    }

    // ----- registration ----------------------------------------------------------------------------

    /// Hand an event to the mechanism that owns it. Two mechanisms with the same `MECH` would
    /// make an arm unreachable: a compile error here.
    #[inline(always)]
    #[deny(unreachable_patterns)]
    fn handle(&mut self, ev: Packed) -> EventKind {
        match ev.mech() {
            NetEv::MECH => match NetEv::from_packed(ev) {
                NetEv::Arrive(slot) => {
                    let (msg, doom) = self.take_arrival(slot);
                    self.message_arrived(&msg, doom);
                    EventKind::MessageArrived(msg.hop.kind)
                }
            },
            TaskEv::MECH => self.on_task_event(TaskEv::from_packed(ev)),
            CallEv::MECH => self.on_call_event(CallEv::from_packed(ev)),
            BreakerEv::MECH => self.on_breaker_event(BreakerEv::from_packed(ev)),
            ClientEv::MECH => self.on_client_event(ClientEv::from_packed(ev)),
            BrokerEv::MECH => self.on_broker_event(BrokerEv::from_packed(ev)),
            FaultEv::MECH => self.on_fault_event(FaultEv::from_packed(ev)),
            BalancerEv::MECH => self.on_balancer_event(BalancerEv::from_packed(ev)),
            m => unreachable!("mechanism {m}: only `Event::packed` makes a `Packed`"),
        }
    }

    /// Hand what an arriving message carries to the mechanism that handles it.
    #[inline(always)]
    fn message_arrived(&mut self, msg: &Msg, doom: Option<DropReason>) {
        match msg.payload {
            Payload::Call(CallMsg::Request(req)) => self.request_arrived(msg, doom, req),
            Payload::Call(CallMsg::Response {
                call,
                gen,
                status,
                retry_after,
            }) => self.response_arrived(msg, doom, call, gen, status, retry_after),
            Payload::Call(CallMsg::Broken { call, gen, reset }) => {
                self.connection_broken(msg, doom, call, gen, reset)
            }
            Payload::Broker(m) => self.on_broker_message(msg, doom, m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::reference::{reference_world, REFERENCE_SEED};
    use crate::sim::slab::Id;
    use crate::sim::world::Fault;

    /// Packing an event into two words and back gives the same event, for every variant of
    /// every mechanism with fields at their extremes, and routes to its own mechanism.
    #[test]
    fn events_survive_packing() {
        fn check<E: Event + PartialEq + std::fmt::Debug>(ev: E) {
            let p = ev.packed();
            assert_eq!(p.mech(), E::MECH, "{ev:?}");
            assert_eq!(E::from_packed(p), ev);
        }
        let m = u32::MAX;
        check(NetEv::Arrive(Id::new(m)));
        check(TaskEv::WorkDone {
            task: Id::new(m),
            gen: 1,
        });
        check(CallEv::Timeout {
            call: Id::new(2),
            gen: m,
            attempt: u16::MAX,
        });
        check(CallEv::Retry {
            call: Id::new(m),
            gen: m,
        });
        check(ClientEv::Tick(Id::new(0)));
        check(ClientEv::Burst {
            client: Id::new(3),
            count: m,
        });
        check(ClientEv::UsersArrive(Id::new(m)));
        check(ClientEv::Think(Id::new(7)));
        check(BrokerEv::Visibility {
            mailbox: Id::new(m),
            slot: Id::new(4),
            delivery: m,
        });
        check(FaultEv::Start(Id::new(m)));
        check(FaultEv::End(Id::new(5)));
        check(BreakerEv::HalfOpen {
            edge: Id::new(6),
            gen: m,
        });
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
        let check = |sim: &Sim| {
            let at = sim.now();
            sim.services
                .check_live_lists()
                .unwrap_or_else(|e| panic!("{e} at {at}"));
            sim.calls
                .check_task_calls()
                .unwrap_or_else(|e| panic!("task-owned calls: {e} at {at}"));
        };
        let mut n = 0u64;
        while sim.step().is_some() {
            n += 1;
            if n.is_multiple_of(7) {
                check(&sim);
            }
        }
        check(&sim);
        assert!(n > 1_000, "{n} events");
    }
}
