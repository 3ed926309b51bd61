//! Brokers: queues and pub/sub. A mailbox is a queue, or one subscription's own backlog, with
//! capacity (waiting messages only) and overflow policy, FIFO dispatch to competing consumers
//! with bounded concurrency, visibility timeout / ack deadline (extended while a consumer still
//! handles the message, up to its `max_extension`), receipt handles (an ack with the latest
//! delivery's handle deletes; a superseded one is stale), nack, redelivery, max attempts and
//! dead-lettering; topics fan out to matching subscriptions. Every enqueue and publish is
//! answered with a confirm (ack, or nack from a full queue) that travels back to the producer.
//! Which real system each behaviour follows is in docs/semantics.md.
//!
//! ```text
//! enqueue ─► [ready FIFO] ─dispatch─► in flight ──ack──► gone
//!   ◄─confirm─┘                        │   (late ack, latest handle: gone from ready too)
//! publish ─► topic ─fanout─► [sub ready]   │
//!                                          ├─nack / visibility expiry─► front of ready (attempt+1)
//!                                          └─ … attempts exhausted ─► DLQ (or discarded)
//! ```
//!
//! One concept in one file, over 800 lines: a message's life in a mailbox (accept, deliver,
//! confirm, ack, redeliver, dead-letter) reads in one place.

use super::net::Msg;
use super::services::{Origin, Task};
use super::{EventKind, Sim};
use crate::sim::compile::{ConsumerId, MailboxId, Program, ServiceId, TopicId};
use crate::sim::kernel::{Event, Hop};
use crate::sim::protocol::{sat16, Failure};
use crate::sim::slab::{Id, Slab};
use crate::sim::time::SimTime;
use crate::sim::trace::{DropReason, Kind, NameId, Outcome, RecordId, RejectReason, TraceId};
use crate::sim::world::Overflow;
use std::collections::VecDeque;

/// Runtime state of a queue or subscription.
#[derive(Clone, Debug, Default)]
struct MailboxRt {
    /// Waiting messages, oldest first.
    ready: VecDeque<Id<Stored>>,
    /// Delivered, not yet acked.
    in_flight: u32,
    /// Round-robin cursor over the consumers.
    rr: u32,
}

/// A message stored in a mailbox.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stored {
    /// Delivery counter; never reset when the slot is reused, so stale timers are recognisable.
    delivery: u32,
    in_flight: bool,
    attempts: u32,
    label: NameId,
    trace: TraceId,
    /// The record that put it here (enqueue, fanout or dead-letter).
    cause: Option<RecordId>,
    delivered_at: SimTime,
    /// When the current delivery's visibility timeout / ack deadline ends (moved by extensions).
    deadline: SimTime,
    consumer: ConsumerId,
    /// The task handling the current delivery (`held`: its delivery arrived), whose
    /// liveness lets its consumer extend the deadline.
    holder: Id<Task>,
    holder_gen: u32,
    held: bool,
}

/// Every mailbox, the messages they hold, and how busy each consumer is.
#[derive(Clone, Debug)]
pub(crate) struct Brokers {
    mailboxes: Vec<MailboxRt>,
    stored: Slab<Stored>,
    /// Per consumer: deliveries it is handling now.
    consumer_busy: Vec<u32>,
}

impl Brokers {
    pub(crate) fn new(prog: &Program) -> Brokers {
        Brokers {
            mailboxes: vec![MailboxRt::default(); prog.mailboxes.len()],
            stored: Slab::default(),
            consumer_busy: vec![0; prog.consumers.len()],
        }
    }

    /// Messages stored in every mailbox (waiting or delivered, not yet acked).
    #[inline]
    pub(crate) fn stored_count(&self) -> u32 {
        self.stored.len()
    }

    /// Messages waiting in mailbox `m`, and delivered but not yet acked.
    pub(crate) fn depth(&self, m: usize) -> (u32, u32) {
        let rt = &self.mailboxes[m];
        (rt.ready.len() as u32, rt.in_flight)
    }
}

/// A mailbox's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BrokerEv {
    /// A delivery's visibility timeout / ack deadline fired.
    Visibility {
        mailbox: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
    },
}

impl Event for BrokerEv {
    const MECH: u8 = 5;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            BrokerEv::Visibility {
                mailbox,
                slot,
                delivery,
            } => (0, mailbox.raw(), slot.raw(), delivery),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, y: u32, z: u32) -> BrokerEv {
        match v {
            0 => BrokerEv::Visibility {
                mailbox: Id::new(x),
                slot: Id::new(y),
                delivery: z,
            },
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

/// What brokers' messages carry.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BrokerMsg {
    /// A producing task's message to a queue.
    Enqueue {
        task: Id<Task>,
        gen: u32,
        mailbox: MailboxId,
        /// The producer's send number (echoed in the confirm).
        seq: u32,
    },
    /// A producing task's message to a topic, with its attribute set.
    Publish {
        task: Id<Task>,
        gen: u32,
        topic: TopicId,
        attrs: u32,
        seq: u32,
    },
    /// The broker's confirm of a producer's send `seq`: `ok` (stored), or refused (full).
    Confirm {
        task: Id<Task>,
        gen: u32,
        seq: u32,
        ok: bool,
    },
    /// A delivery to a consumer, sent in the consuming service's `epoch`-th life.
    Deliver {
        mailbox: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
        consumer: ConsumerId,
        epoch: u32,
    },
    /// A consumer's ack or nack of a delivery: `(slot, delivery)` is its receipt handle.
    Ack {
        mailbox: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
        consumer: ConsumerId,
        nack: bool,
    },
}

enum Admit {
    Accept,
    EvictOldest,
    Reject,
}

impl Sim {
    pub(super) fn on_broker_event(&mut self, ev: BrokerEv) -> EventKind {
        match ev {
            BrokerEv::Visibility {
                mailbox,
                slot,
                delivery,
            } => {
                self.visibility_expired(mailbox, slot, delivery);
                EventKind::VisibilityExpired
            }
        }
    }

    /// A broker message arrived (or is found lost): hand it to its handler.
    pub(super) fn on_broker_message(&mut self, msg: &Msg, doom: Option<DropReason>, m: BrokerMsg) {
        match m {
            BrokerMsg::Enqueue {
                task,
                gen,
                mailbox,
                seq,
            } => self.enqueue_arrived(msg, doom, (task, gen, seq), mailbox),
            BrokerMsg::Publish {
                task,
                gen,
                topic,
                attrs,
                seq,
            } => self.publish_arrived(msg, doom, (task, gen, seq), topic, attrs),
            BrokerMsg::Confirm { task, gen, seq, ok } => {
                self.confirm_arrived(msg, doom, task, gen, seq, ok)
            }
            BrokerMsg::Deliver {
                mailbox,
                slot,
                delivery,
                consumer,
                epoch,
            } => self.deliver_arrived(msg, doom, mailbox, slot, delivery, consumer, epoch),
            BrokerMsg::Ack {
                mailbox,
                slot,
                delivery,
                consumer,
                nack,
            } => self.ack_arrived(msg, doom, mailbox, slot, delivery, consumer, nack),
        }
    }

    /// The service's consumers lost everything they were handling (it crashed).
    pub(crate) fn consumers_crashed(&mut self, s: ServiceId) {
        for &c in self.prog.service_consumers[s.ix()].iter() {
            self.brokers.consumer_busy[c.ix()] = 0;
        }
    }

    /// A consumer finished a delivery of mailbox `m`: it may take the next one.
    pub(crate) fn consumer_finished(&mut self, consumer: ConsumerId, m: MailboxId) {
        let b = &mut self.brokers.consumer_busy[consumer.ix()];
        *b = b.saturating_sub(1);
        self.try_dispatch(m);
    }

    pub(crate) fn touch_mailbox(&mut self, m: MailboxId) {
        let rt = &self.brokers.mailboxes[m.ix()];
        let (depth, inf) = (rt.ready.len() as u32, rt.in_flight);
        let now = self.k.now();
        let mm = &mut self.k.metrics_mut().mailboxes[m.ix()];
        mm.depth.set(now, u64::from(depth));
        mm.in_flight.set(now, u64::from(inf));
        mm.series.update(now, depth, inf);
    }

    fn admit(&self, m: MailboxId) -> Admit {
        let p = &self.prog.mailboxes[m.ix()];
        let rt = &self.brokers.mailboxes[m.ix()];
        // Like RabbitMQ's `max-length`, capacity counts ready messages only: deliveries not
        // yet acked do not take room (docs/semantics.md, "Queues").
        if (rt.ready.len() as u64) < u64::from(p.capacity) {
            Admit::Accept
        } else {
            match p.overflow {
                Overflow::DropOldest if !rt.ready.is_empty() => Admit::EvictOldest,
                Overflow::DropOldest | Overflow::Reject => Admit::Reject,
            }
        }
    }

    /// Store a message at the back of `m` (reusing `slot` when moving a dead letter).
    fn store(
        &mut self,
        m: MailboxId,
        slot: Option<Id<Stored>>,
        label: NameId,
        trace: TraceId,
        cause: RecordId,
    ) {
        let fresh = |delivery: u32| Stored {
            delivery,
            in_flight: false,
            attempts: 0,
            label,
            trace,
            cause: Some(cause),
            delivered_at: SimTime::ZERO,
            deadline: SimTime::ZERO,
            consumer: Id::new(0),
            holder: Id::new(0),
            holder_gen: 0,
            held: false,
        };
        let stored = &mut self.brokers.stored;
        // The delivery count goes on from the slot's last one, one past it, so a receipt handle
        // (slot, delivery) of a message that left (a dead letter moving on, a freed slot reused)
        // never matches what is stored there now.
        let slot = match slot {
            Some(s) => {
                stored[s] = fresh(stored[s].delivery.wrapping_add(1));
                s
            }
            None => stored.insert_with(|old| fresh(old.map_or(0, |o| o.delivery.wrapping_add(1)))),
        };
        let rt = &mut self.brokers.mailboxes[m.ix()];
        rt.ready.push_back(slot);
        self.k.metrics_mut().mailboxes[m.ix()].accepted += 1;
    }

    fn free_stored_slot(&mut self, slot: Id<Stored>) {
        let stored = &mut self.brokers.stored;
        stored[slot].in_flight = false;
        stored.remove(slot);
    }

    /// Drop-oldest overflow: discard the oldest waiting message.
    fn evict_oldest(&mut self, m: MailboxId) {
        let Some(slot) = self.brokers.mailboxes[m.ix()].ready.pop_front() else {
            return;
        };
        self.k.metrics_mut().mailboxes[m.ix()].evicted += 1;
        let st = self.brokers.stored[slot];
        let p = &self.prog.mailboxes[m.ix()];
        let hop = Hop {
            kind: Kind::Discard,
            from: p.node,
            to: p.node,
            name: p.name,
            label: st.label,
            trace: st.trace,
            cause: st.cause,
            attempt: sat16(st.attempts.max(1)),
        };
        self.k.emit_hop(
            &hop,
            self.k.now(),
            self.k.now(),
            Outcome::Dropped(DropReason::Overflow),
            false,
        );
        self.free_stored_slot(slot);
    }

    /// Hand waiting messages to consumers with free slots, round-robin, oldest first.
    pub(crate) fn try_dispatch(&mut self, m: MailboxId) {
        let mi = m.ix();
        let n = self.prog.mailboxes[mi].consumers.len() as u32;
        let mut changed = false;
        while n > 0 && !self.brokers.mailboxes[mi].ready.is_empty() {
            let rr = self.brokers.mailboxes[mi].rr;
            let mut pick = None;
            for k in 0..n {
                let ci = self.prog.mailboxes[mi].consumers[((rr + k) % n) as usize];
                let cp = &self.prog.consumers[ci.ix()];
                if !self.faults.crashed(cp.service)
                    && self.brokers.consumer_busy[ci.ix()] < cp.concurrency
                {
                    pick = Some((k, ci));
                    break;
                }
            }
            let Some((k, ci)) = pick else {
                break;
            };
            changed = true;
            let rt = &mut self.brokers.mailboxes[mi];
            rt.rr = (rr + k + 1) % n;
            let slot = rt.ready.pop_front().expect("checked non-empty");
            rt.in_flight += 1;
            self.brokers.consumer_busy[ci.ix()] += 1;
            let st = &mut self.brokers.stored[slot];
            st.in_flight = true;
            st.attempts = st.attempts.saturating_add(1);
            st.delivery = st.delivery.wrapping_add(1);
            st.delivered_at = self.k.now();
            st.deadline = self.k.now() + self.prog.mailboxes[mi].visibility;
            st.consumer = ci;
            st.held = false;
            let st = *st;
            self.k.metrics_mut().mailboxes[mi].deliveries += 1;
            let p = &self.prog.mailboxes[mi];
            let cp = &self.prog.consumers[ci.ix()];
            let hop = Hop {
                kind: if p.is_subscription {
                    Kind::SubscriptionDeliver
                } else {
                    Kind::QueueDeliver
                },
                from: p.node,
                to: cp.node,
                name: p.name,
                label: st.label,
                trace: st.trace,
                cause: st.cause,
                attempt: sat16(st.attempts),
            };
            let epoch = self.services.epoch(cp.service);
            self.k.schedule(
                st.deadline,
                BrokerEv::Visibility {
                    mailbox: m,
                    slot,
                    delivery: st.delivery,
                },
            );
            self.send(
                hop,
                BrokerMsg::Deliver {
                    mailbox: m,
                    slot,
                    delivery: st.delivery,
                    consumer: ci,
                    epoch,
                },
            );
        }
        if changed {
            self.touch_mailbox(m);
        }
    }

    fn enqueue_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        producer: (Id<Task>, u32, u32),
        m: MailboxId,
    ) {
        if let Some(reason) = doom {
            // Lost on the way: the producer hears nothing, and waits for its confirm timeout.
            self.emit_dropped(msg, reason);
            return;
        }
        match self.admit(m) {
            Admit::Reject => {
                let rec = self.k.emit_hop(
                    &msg.hop,
                    msg.sent,
                    self.k.now(),
                    Outcome::Rejected(RejectReason::QueueFull),
                    false,
                );
                self.k.metrics_mut().mailboxes[m.ix()].rejected += 1;
                self.send_confirm(msg, rec, producer, false);
            }
            admit @ (Admit::Accept | Admit::EvictOldest) => {
                let rec = self
                    .k
                    .emit_hop(&msg.hop, msg.sent, self.k.now(), Outcome::Ok, false);
                if matches!(admit, Admit::EvictOldest) {
                    self.evict_oldest(m);
                }
                self.store(m, None, msg.hop.label, msg.hop.trace, rec);
                self.touch_mailbox(m);
                self.send_confirm(msg, rec, producer, true);
                self.try_dispatch(m);
            }
        }
    }

    /// The broker confirms the producer's send (record `cause`): `ok` (stored) or not (refused
    /// by a full queue: RabbitMQ's `basic.nack` under `reject-publish`). The confirm travels
    /// back to the producer like any message, and may be lost.
    fn send_confirm(
        &mut self,
        msg: &Msg,
        cause: RecordId,
        producer: (Id<Task>, u32, u32),
        ok: bool,
    ) {
        let (task, gen, seq) = producer;
        let hop = Hop {
            kind: if ok { Kind::Ack } else { Kind::Nack },
            from: msg.hop.to,
            to: msg.hop.from,
            cause: Some(cause),
            ..msg.hop
        };
        self.send(hop, BrokerMsg::Confirm { task, gen, seq, ok });
    }

    /// A confirm reached its producer: if the producer still waits for it (for this send or an
    /// earlier one of the same step), the step ends; otherwise it is late and ignored.
    fn confirm_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        task: Id<Task>,
        gen: u32,
        seq: u32,
        ok: bool,
    ) {
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            return;
        }
        let awaited = self.services.confirm_awaited(task, gen, seq);
        self.k
            .emit_hop(&msg.hop, msg.sent, self.k.now(), Outcome::Ok, !awaited);
        if awaited {
            self.services.end_confirm_wait(task);
            let result = if ok { Ok(()) } else { Err(Failure::Overloaded) };
            self.producer_done(task, gen, result);
        }
    }

    fn publish_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        producer: (Id<Task>, u32, u32),
        topic: TopicId,
        attrs: u32,
    ) {
        if let Some(reason) = doom {
            // Lost on the way: the publisher waits for its confirm timeout.
            self.emit_dropped(msg, reason);
            return;
        }
        let rec = self
            .k
            .emit_hop(&msg.hop, msg.sent, self.k.now(), Outcome::Ok, false);
        let tnode = self.prog.topics[topic.ix()].node;
        let nsubs = self.prog.topics[topic.ix()].subscriptions.len();
        for i in 0..nsubs {
            let m = self.prog.topics[topic.ix()].subscriptions[i];
            let p = &self.prog.mailboxes[m.ix()];
            if let Some(f) = p.filter {
                if !self.prog.attrs[attrs as usize].contains(&f) {
                    self.k.metrics_mut().mailboxes[m.ix()].filtered += 1;
                    continue;
                }
            }
            let hop = Hop {
                kind: Kind::Fanout,
                from: tnode,
                to: p.node,
                name: p.name,
                label: msg.hop.label,
                trace: msg.hop.trace,
                cause: Some(rec),
                attempt: 1,
            };
            match self.admit(m) {
                Admit::Reject => {
                    self.k.emit_hop(
                        &hop,
                        self.k.now(),
                        self.k.now(),
                        Outcome::Rejected(RejectReason::QueueFull),
                        false,
                    );
                    self.k.metrics_mut().mailboxes[m.ix()].rejected += 1;
                }
                admit @ (Admit::Accept | Admit::EvictOldest) => {
                    let r = self
                        .k
                        .emit_hop(&hop, self.k.now(), self.k.now(), Outcome::Ok, false);
                    if matches!(admit, Admit::EvictOldest) {
                        self.evict_oldest(m);
                    }
                    self.store(m, None, msg.hop.label, msg.hop.trace, r);
                    self.touch_mailbox(m);
                    self.try_dispatch(m);
                }
            }
        }
        // Pub/Sub confirms a publish once the topic has it, whatever its subscriptions' backlogs.
        self.send_confirm(msg, rec, producer, true);
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        m: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
        consumer: ConsumerId,
        epoch: u32,
    ) {
        let cp = &self.prog.consumers[consumer.ix()];
        let (svc, steps) = (cp.service, cp.steps);
        let same_life = self.services.epoch(svc) == epoch;
        let doom = doom.or((!same_life).then_some(DropReason::Crashed));
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            if same_life {
                let b = &mut self.brokers.consumer_busy[consumer.ix()];
                *b = b.saturating_sub(1);
                self.try_dispatch(m);
            }
            return;
        }
        let rec = self
            .k
            .emit_hop(&msg.hop, msg.sent, self.k.now(), Outcome::Ok, false);
        self.k.metrics_mut().consumers[consumer.ix()].delivered += 1;
        let name = self.prog.mailboxes[m.ix()].name;
        let origin = Origin::Delivery {
            mailbox: m,
            slot,
            delivery,
            consumer,
            attempt: msg.hop.attempt,
        };
        let hop = Hop {
            cause: Some(rec),
            name,
            ..msg.hop
        };
        let t = self.start_consumer_task(svc, steps, origin, &hop);
        if self.delivery_current(slot, delivery) {
            let gen = self.services.task_gen(t);
            let st = &mut self.brokers.stored[slot];
            (st.holder, st.holder_gen, st.held) = (t, gen, true);
        }
    }

    /// The consumer acks (or nacks) the message it is handling: an ack/nack hop to the mailbox.
    pub(crate) fn settle(&mut self, t: Id<Task>, nack: bool) {
        let (origin, task) = self.services.task_origin(t);
        let Origin::Delivery {
            mailbox,
            slot,
            delivery,
            consumer,
            attempt,
        } = origin
        else {
            return;
        };
        if !self.services.mark_settled(t) {
            return;
        }
        let p = &self.prog.mailboxes[mailbox.ix()];
        let cp = &self.prog.consumers[consumer.ix()];
        let hop = Hop {
            kind: if nack { Kind::Nack } else { Kind::Ack },
            from: cp.node,
            to: p.node,
            name: p.name,
            label: task.label,
            trace: task.trace,
            cause: task.cause,
            attempt,
        };
        if nack {
            self.k.metrics_mut().consumers[consumer.ix()].nacked += 1;
        }
        let lands = self.send(
            hop,
            BrokerMsg::Ack {
                mailbox,
                slot,
                delivery,
                consumer,
                nack,
            },
        );
        self.services.set_ack_lands(t, lands);
    }

    /// The consumer's handler failed (a `fail` step, a failed call, an injected error). SQS has
    /// no nack: a queue's message is simply not deleted, and comes back when its visibility
    /// timeout ends. Pub/Sub client libraries nack a message whose callback raised, so a
    /// subscription's message is handed back at once.
    pub(crate) fn settle_failed(&mut self, t: Id<Task>) {
        let (origin, _) = self.services.task_origin(t);
        let Origin::Delivery {
            mailbox, consumer, ..
        } = origin
        else {
            return;
        };
        if self.prog.mailboxes[mailbox.ix()].is_subscription {
            self.settle(t, true);
        } else if self.services.mark_settled(t) {
            self.k.metrics_mut().consumers[consumer.ix()].failed += 1;
        }
    }

    fn delivery_current(&self, slot: Id<Stored>, delivery: u32) -> bool {
        self.brokers
            .stored
            .get(slot)
            .is_some_and(|s| s.in_flight && s.delivery == delivery)
    }

    fn out_of_attempts(&self, m: MailboxId, slot: Id<Stored>) -> bool {
        self.brokers.stored[slot].attempts >= self.prog.mailboxes[m.ix()].max_attempts
    }

    /// An ack or nack reached the mailbox. Its receipt handle `(slot, delivery)` is honoured if
    /// it is the message's latest delivery, as SQS `DeleteMessage` does: even after the
    /// visibility timeout, as long as nobody else has received the message since. A superseded
    /// handle (delivered again, dead-lettered, discarded) is refused as stale; so is a nack of
    /// a message no longer in flight.
    #[allow(clippy::too_many_arguments)]
    fn ack_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        m: MailboxId,
        slot: Id<Stored>,
        delivery: u32,
        consumer: ConsumerId,
        nack: bool,
    ) {
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            return;
        }
        let st = self.brokers.stored.get(slot).copied();
        let latest = st.is_some_and(|s| s.delivery == delivery);
        let in_flight = st.is_some_and(|s| s.in_flight);
        if !latest || (nack && !in_flight) {
            self.k.emit_hop(
                &msg.hop,
                msg.sent,
                self.k.now(),
                Outcome::Rejected(RejectReason::StaleAck),
                false,
            );
            let metrics = self.k.metrics_mut();
            metrics.mailboxes[m.ix()].stale_acks += 1;
            metrics.consumers[consumer.ix()].stale_acks += 1;
            return;
        }
        if !nack {
            self.k
                .emit_hop(&msg.hop, msg.sent, self.k.now(), Outcome::Ok, false);
            let rt = &mut self.brokers.mailboxes[m.ix()];
            if in_flight {
                rt.in_flight = rt.in_flight.saturating_sub(1);
            } else if let Some(at) = rt.ready.iter().position(|&s| s == slot) {
                // Back in line after its visibility timeout, not received again: the latest
                // receipt handle still deletes it.
                rt.ready.remove(at);
            }
            let metrics = self.k.metrics_mut();
            metrics.mailboxes[m.ix()].acked += 1;
            metrics.consumers[consumer.ix()].acked += 1;
            self.free_stored_slot(slot);
            self.touch_mailbox(m);
        } else {
            let outcome = if self.out_of_attempts(m, slot) {
                Outcome::DeadLettered
            } else {
                Outcome::Redelivered
            };
            let rec = self
                .k
                .emit_hop(&msg.hop, msg.sent, self.k.now(), outcome, false);
            self.requeue_or_dead_letter(m, slot, rec);
            self.try_dispatch(m);
        }
    }

    fn visibility_expired(&mut self, m: MailboxId, slot: Id<Stored>, delivery: u32) {
        if !self.delivery_current(slot, delivery) {
            return;
        }
        let st = self.brokers.stored[slot];
        let now = self.k.now();
        if now < st.deadline {
            return; // an earlier timer of an extended delivery
        }
        // Lease management: a consumer still handling the message extends its deadline by the
        // mailbox's period, up to its `max_extension` after the delivery.
        let max_extension = self.prog.consumers[st.consumer.ix()].max_extension;
        if st.held && max_extension > SimTime::ZERO && self.services.holds(st.holder, st.holder_gen)
        {
            let period = self.prog.mailboxes[m.ix()].visibility;
            let until = (now + period).min(st.delivered_at + max_extension);
            if until > now {
                self.brokers.stored[slot].deadline = until;
                self.k.metrics_mut().mailboxes[m.ix()].extensions += 1;
                self.k.schedule(
                    until,
                    BrokerEv::Visibility {
                        mailbox: m,
                        slot,
                        delivery,
                    },
                );
                return;
            }
        }
        let outcome = if self.out_of_attempts(m, slot) {
            Outcome::DeadLettered
        } else {
            Outcome::Redelivered
        };
        let p = &self.prog.mailboxes[m.ix()];
        let hop = Hop {
            kind: Kind::Timeout,
            from: p.node,
            to: self.prog.consumers[st.consumer.ix()].node,
            name: p.name,
            label: st.label,
            trace: st.trace,
            cause: st.cause,
            attempt: sat16(st.attempts),
        };
        let rec = self
            .k
            .emit_hop(&hop, st.delivered_at, self.k.now(), outcome, false);
        self.requeue_or_dead_letter(m, slot, rec);
        self.try_dispatch(m);
    }

    /// A delivery failed (nack or expiry): back to the front of the line, or dead-letter.
    fn requeue_or_dead_letter(&mut self, m: MailboxId, slot: Id<Stored>, cause: RecordId) {
        self.brokers.mailboxes[m.ix()].in_flight =
            self.brokers.mailboxes[m.ix()].in_flight.saturating_sub(1);
        self.brokers.stored[slot].in_flight = false;
        if self.out_of_attempts(m, slot) {
            self.dead_letter(m, slot, cause);
        } else {
            self.brokers.mailboxes[m.ix()].ready.push_front(slot);
            self.k.metrics_mut().mailboxes[m.ix()].redeliveries += 1;
        }
        self.touch_mailbox(m);
    }

    fn dead_letter(&mut self, m: MailboxId, slot: Id<Stored>, cause: RecordId) {
        self.k.metrics_mut().mailboxes[m.ix()].dead_letters += 1;
        let st = self.brokers.stored[slot];
        let p = &self.prog.mailboxes[m.ix()];
        let (from, dlq) = (p.node, p.dlq);
        let mut hop = Hop {
            kind: Kind::DeadLetter,
            from,
            to: from,
            name: p.name,
            label: st.label,
            trace: st.trace,
            cause: Some(cause),
            attempt: sat16(st.attempts),
        };
        match dlq {
            None => {
                self.k.emit_hop(
                    &hop,
                    self.k.now(),
                    self.k.now(),
                    Outcome::Dropped(DropReason::NoDeadLetterQueue),
                    false,
                );
                self.free_stored_slot(slot);
            }
            Some(d) => {
                let dp = &self.prog.mailboxes[d.ix()];
                hop.to = dp.node;
                hop.name = dp.name;
                match self.admit(d) {
                    Admit::Reject => {
                        self.k.emit_hop(
                            &hop,
                            self.k.now(),
                            self.k.now(),
                            Outcome::Dropped(DropReason::Overflow),
                            false,
                        );
                        self.k.metrics_mut().mailboxes[d.ix()].rejected += 1;
                        self.free_stored_slot(slot);
                    }
                    admit @ (Admit::Accept | Admit::EvictOldest) => {
                        let r = self.k.emit_hop(
                            &hop,
                            self.k.now(),
                            self.k.now(),
                            Outcome::DeadLettered,
                            false,
                        );
                        if matches!(admit, Admit::EvictOldest) {
                            self.evict_oldest(d);
                        }
                        self.store(d, Some(slot), st.label, st.trace, r);
                        self.touch_mailbox(d);
                        self.try_dispatch(d);
                    }
                }
            }
        }
    }
}
