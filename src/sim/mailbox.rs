//! Queues and pub/sub: mailboxes (a queue, or one subscription's own backlog) with capacity and
//! overflow policy, FIFO dispatch to competing consumers with bounded concurrency, visibility
//! timeout / ack deadline, ack and nack, redelivery, max attempts and dead-lettering; topics
//! fanning out to matching subscriptions.
//!
//! ```text
//! enqueue ─► [ready FIFO] ─dispatch─► in flight ──ack──► gone
//! publish ─► topic ─fanout─► [sub ready]   │
//!                                          ├─nack / visibility expiry─► front of ready (attempt+1)
//!                                          └─ … attempts exhausted ─► DLQ (or discarded)
//! ```

use crate::sim::engine::{sat16, Ev, Failure, Hop, Msg, Origin, Payload, Sim, Task};
use crate::sim::time::SimTime;
use crate::sim::trace::{DropReason, Kind, NameId, Outcome, RecordId, RejectReason, TraceId};
use crate::sim::world::Overflow;
use std::collections::VecDeque;

/// Runtime state of a queue or subscription.
#[derive(Clone, Debug, Default)]
pub(crate) struct MailboxRt {
    /// Waiting messages (slots into `Sim::stored`), oldest first.
    pub ready: VecDeque<u32>,
    /// Delivered, not yet acked.
    pub in_flight: u32,
    /// Waiting + in flight (what capacity counts).
    pub stored: u32,
    /// Round-robin cursor over the consumers.
    pub rr: u32,
}

/// A message stored in a mailbox.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stored {
    /// Delivery counter; never reset when the slot is reused, so stale timers are recognisable.
    pub delivery: u32,
    pub live: bool,
    pub in_flight: bool,
    pub attempts: u32,
    pub label: NameId,
    pub trace: TraceId,
    /// The record that put it here (enqueue, fanout or dead-letter).
    pub cause: Option<RecordId>,
    pub delivered_at: SimTime,
    pub consumer: u32,
}

enum Admit {
    Accept,
    EvictOldest,
    Reject,
}

impl Sim {
    pub(crate) fn touch_mailbox(&mut self, m: u32) {
        let rt = &self.mailboxes[m as usize];
        let (depth, inf) = (rt.ready.len() as u32, rt.in_flight);
        let mm = &mut self.metrics.mailboxes[m as usize];
        mm.depth.set(self.now, u64::from(depth));
        mm.in_flight.set(self.now, u64::from(inf));
        mm.series.update(self.now, depth, inf);
    }

    fn admit(&self, m: u32) -> Admit {
        let p = &self.prog.mailboxes[m as usize];
        let rt = &self.mailboxes[m as usize];
        if rt.stored < p.capacity {
            Admit::Accept
        } else {
            match p.overflow {
                Overflow::DropOldest if !rt.ready.is_empty() => Admit::EvictOldest,
                Overflow::DropOldest | Overflow::Reject => Admit::Reject,
            }
        }
    }

    /// Store a message at the back of `m` (reusing `slot` when moving a dead letter).
    fn store(&mut self, m: u32, slot: Option<u32>, label: NameId, trace: TraceId, cause: RecordId) {
        let fresh = |delivery: u32| crate::sim::mailbox::Stored {
            delivery,
            live: true,
            in_flight: false,
            attempts: 0,
            label,
            trace,
            cause: Some(cause),
            delivered_at: SimTime::ZERO,
            consumer: 0,
        };
        let slot = match slot.or_else(|| self.free_stored.pop()) {
            Some(s) => {
                let d = self.stored[s as usize].delivery;
                self.stored[s as usize] = fresh(d);
                s
            }
            None => {
                self.stored.push(fresh(0));
                (self.stored.len() - 1) as u32
            }
        };
        let rt = &mut self.mailboxes[m as usize];
        rt.ready.push_back(slot);
        rt.stored += 1;
        self.metrics.mailboxes[m as usize].accepted += 1;
    }

    fn free_stored_slot(&mut self, slot: u32) {
        let st = &mut self.stored[slot as usize];
        st.live = false;
        st.in_flight = false;
        self.free_stored.push(slot);
    }

    /// Drop-oldest overflow: discard the oldest waiting message.
    fn evict_oldest(&mut self, m: u32) {
        let Some(slot) = self.mailboxes[m as usize].ready.pop_front() else {
            return;
        };
        self.mailboxes[m as usize].stored = self.mailboxes[m as usize].stored.saturating_sub(1);
        self.metrics.mailboxes[m as usize].evicted += 1;
        let st = self.stored[slot as usize];
        let p = &self.prog.mailboxes[m as usize];
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
        self.emit_hop(
            &hop,
            self.now,
            self.now,
            Outcome::Dropped(DropReason::Overflow),
            false,
        );
        self.free_stored_slot(slot);
    }

    /// Hand waiting messages to consumers with free slots, round-robin, oldest first.
    pub(crate) fn try_dispatch(&mut self, m: u32) {
        let mi = m as usize;
        let n = self.prog.mailboxes[mi].consumers.len() as u32;
        let mut changed = false;
        while n > 0 && !self.mailboxes[mi].ready.is_empty() {
            let rr = self.mailboxes[mi].rr;
            let mut pick = None;
            for k in 0..n {
                let ci = self.prog.mailboxes[mi].consumers[((rr + k) % n) as usize];
                let cp = &self.prog.consumers[ci as usize];
                if !self.service_crashed(cp.service)
                    && self.consumer_busy[ci as usize] < cp.concurrency
                {
                    pick = Some((k, ci));
                    break;
                }
            }
            let Some((k, ci)) = pick else {
                break;
            };
            changed = true;
            let rt = &mut self.mailboxes[mi];
            rt.rr = (rr + k + 1) % n;
            let slot = rt.ready.pop_front().expect("checked non-empty");
            rt.in_flight += 1;
            self.consumer_busy[ci as usize] += 1;
            let st = &mut self.stored[slot as usize];
            st.in_flight = true;
            st.attempts = st.attempts.saturating_add(1);
            st.delivery = st.delivery.wrapping_add(1);
            st.delivered_at = self.now;
            st.consumer = ci;
            let st = *st;
            self.metrics.mailboxes[mi].deliveries += 1;
            let p = &self.prog.mailboxes[mi];
            let cp = &self.prog.consumers[ci as usize];
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
            let visibility = p.visibility;
            let epoch = self.services[cp.service as usize].epoch;
            self.schedule(
                self.now + visibility,
                Ev::Visibility {
                    mailbox: m,
                    slot,
                    delivery: st.delivery,
                },
            );
            self.send(
                hop,
                Payload::Deliver {
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

    pub(crate) fn enqueue_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        task: u32,
        gen: u32,
        m: u32,
    ) {
        if let Some(reason) = doom {
            self.producer_message_lost(msg, reason, task, gen);
            return;
        }
        match self.admit(m) {
            Admit::Reject => {
                self.emit_hop(
                    &msg.hop,
                    msg.sent,
                    self.now,
                    Outcome::Rejected(RejectReason::QueueFull),
                    false,
                );
                self.metrics.mailboxes[m as usize].rejected += 1;
                self.producer_done(task, gen, Err(Failure::Overloaded));
            }
            admit @ (Admit::Accept | Admit::EvictOldest) => {
                let rec = self.emit_hop(&msg.hop, msg.sent, self.now, Outcome::Ok, false);
                if matches!(admit, Admit::EvictOldest) {
                    self.evict_oldest(m);
                }
                self.store(m, None, msg.hop.label, msg.hop.trace, rec);
                self.touch_mailbox(m);
                self.producer_done(task, gen, Ok(()));
                self.try_dispatch(m);
            }
        }
    }

    /// A producer's message was lost on its way to the broker: record the drop, and the
    /// producing handler fails as if the broker were unreachable.
    fn producer_message_lost(&mut self, msg: &Msg, reason: DropReason, task: u32, gen: u32) {
        self.emit_dropped(msg, reason);
        self.producer_done(task, gen, Err(Failure::Unreachable));
    }

    pub(crate) fn publish_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        task: u32,
        gen: u32,
        topic: u32,
        attrs: u32,
    ) {
        if let Some(reason) = doom {
            self.producer_message_lost(msg, reason, task, gen);
            return;
        }
        let rec = self.emit_hop(&msg.hop, msg.sent, self.now, Outcome::Ok, false);
        let tnode = self.prog.topics[topic as usize].node;
        let nsubs = self.prog.topics[topic as usize].subscriptions.len();
        for i in 0..nsubs {
            let m = self.prog.topics[topic as usize].subscriptions[i];
            let p = &self.prog.mailboxes[m as usize];
            if let Some(f) = p.filter {
                if !self.prog.attrs[attrs as usize].contains(&f) {
                    self.metrics.mailboxes[m as usize].filtered += 1;
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
                    self.emit_hop(
                        &hop,
                        self.now,
                        self.now,
                        Outcome::Rejected(RejectReason::QueueFull),
                        false,
                    );
                    self.metrics.mailboxes[m as usize].rejected += 1;
                }
                admit @ (Admit::Accept | Admit::EvictOldest) => {
                    let r = self.emit_hop(&hop, self.now, self.now, Outcome::Ok, false);
                    if matches!(admit, Admit::EvictOldest) {
                        self.evict_oldest(m);
                    }
                    self.store(m, None, msg.hop.label, msg.hop.trace, r);
                    self.touch_mailbox(m);
                    self.try_dispatch(m);
                }
            }
        }
        self.producer_done(task, gen, Ok(()));
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn deliver_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        m: u32,
        slot: u32,
        delivery: u32,
        consumer: u32,
        epoch: u32,
    ) {
        let cp = &self.prog.consumers[consumer as usize];
        let (svc, steps) = (cp.service, cp.steps);
        let same_life = self.services[svc as usize].epoch == epoch;
        let doom = doom.or((!same_life).then_some(DropReason::Crashed));
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            if same_life {
                let b = &mut self.consumer_busy[consumer as usize];
                *b = b.saturating_sub(1);
                self.try_dispatch(m);
            }
            return;
        }
        let rec = self.emit_hop(&msg.hop, msg.sent, self.now, Outcome::Ok, false);
        self.metrics.consumers[consumer as usize].delivered += 1;
        let name = self.prog.mailboxes[m as usize].name;
        let t = self.new_task(Task {
            gen: 0,
            live: true,
            started: false,
            replied: false,
            settled: false,
            service: svc,
            pc: steps.0,
            end: steps.1,
            pending: 0,
            origin: Origin::Delivery {
                mailbox: m,
                slot,
                delivery,
                consumer,
                attempt: msg.hop.attempt,
            },
            trace: msg.hop.trace,
            cause: Some(rec),
            name,
            label: msg.hop.label,
            arrived: self.now,
            deadline: SimTime::MAX,
            failure: None,
            working_since: None,
            at: 0,
        });
        self.make_runnable(t);
    }

    /// The consumer acks (or nacks) the message it is handling: an ack/nack hop to the mailbox.
    pub(crate) fn settle(&mut self, t: u32, nack: bool) {
        let task = self.tasks[t as usize];
        let Origin::Delivery {
            mailbox,
            slot,
            delivery,
            consumer,
            attempt,
        } = task.origin
        else {
            return;
        };
        if task.settled {
            return;
        }
        self.tasks[t as usize].settled = true;
        let p = &self.prog.mailboxes[mailbox as usize];
        let cp = &self.prog.consumers[consumer as usize];
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
        let cm = &mut self.metrics.consumers[consumer as usize];
        if nack {
            cm.nacked += 1;
        } else {
            cm.acked += 1;
        }
        self.send(
            hop,
            Payload::Ack {
                mailbox,
                slot,
                delivery,
                nack,
            },
        );
    }

    fn delivery_current(&self, slot: u32, delivery: u32) -> bool {
        self.stored
            .get(slot as usize)
            .is_some_and(|s| s.live && s.in_flight && s.delivery == delivery)
    }

    fn out_of_attempts(&self, m: u32, slot: u32) -> bool {
        self.stored[slot as usize].attempts >= self.prog.mailboxes[m as usize].max_attempts
    }

    pub(crate) fn ack_arrived(
        &mut self,
        msg: &Msg,
        doom: Option<DropReason>,
        m: u32,
        slot: u32,
        delivery: u32,
        nack: bool,
    ) {
        if let Some(reason) = doom {
            self.emit_dropped(msg, reason);
            return;
        }
        if !self.delivery_current(slot, delivery) {
            self.emit_hop(
                &msg.hop,
                msg.sent,
                self.now,
                Outcome::Rejected(RejectReason::StaleAck),
                false,
            );
            return;
        }
        if !nack {
            self.emit_hop(&msg.hop, msg.sent, self.now, Outcome::Ok, false);
            let rt = &mut self.mailboxes[m as usize];
            rt.in_flight = rt.in_flight.saturating_sub(1);
            rt.stored = rt.stored.saturating_sub(1);
            self.metrics.mailboxes[m as usize].acked += 1;
            self.free_stored_slot(slot);
            self.touch_mailbox(m);
        } else {
            let outcome = if self.out_of_attempts(m, slot) {
                Outcome::DeadLettered
            } else {
                Outcome::Redelivered
            };
            let rec = self.emit_hop(&msg.hop, msg.sent, self.now, outcome, false);
            self.requeue_or_dead_letter(m, slot, rec);
            self.try_dispatch(m);
        }
    }

    pub(crate) fn visibility_expired(&mut self, m: u32, slot: u32, delivery: u32) {
        if !self.delivery_current(slot, delivery) {
            return;
        }
        let st = self.stored[slot as usize];
        let outcome = if self.out_of_attempts(m, slot) {
            Outcome::DeadLettered
        } else {
            Outcome::Redelivered
        };
        let p = &self.prog.mailboxes[m as usize];
        let hop = Hop {
            kind: Kind::Timeout,
            from: p.node,
            to: self.prog.consumers[st.consumer as usize].node,
            name: p.name,
            label: st.label,
            trace: st.trace,
            cause: st.cause,
            attempt: sat16(st.attempts),
        };
        let rec = self.emit_hop(&hop, st.delivered_at, self.now, outcome, false);
        self.requeue_or_dead_letter(m, slot, rec);
        self.try_dispatch(m);
    }

    /// A delivery failed (nack or expiry): back to the front of the line, or dead-letter.
    fn requeue_or_dead_letter(&mut self, m: u32, slot: u32, cause: RecordId) {
        self.mailboxes[m as usize].in_flight =
            self.mailboxes[m as usize].in_flight.saturating_sub(1);
        self.stored[slot as usize].in_flight = false;
        if self.out_of_attempts(m, slot) {
            self.dead_letter(m, slot, cause);
        } else {
            self.mailboxes[m as usize].ready.push_front(slot);
            self.metrics.mailboxes[m as usize].redeliveries += 1;
        }
        self.touch_mailbox(m);
    }

    fn dead_letter(&mut self, m: u32, slot: u32, cause: RecordId) {
        self.mailboxes[m as usize].stored = self.mailboxes[m as usize].stored.saturating_sub(1);
        self.metrics.mailboxes[m as usize].dead_letters += 1;
        let st = self.stored[slot as usize];
        let p = &self.prog.mailboxes[m as usize];
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
                self.emit_hop(
                    &hop,
                    self.now,
                    self.now,
                    Outcome::Dropped(DropReason::NoDeadLetterQueue),
                    false,
                );
                self.free_stored_slot(slot);
            }
            Some(d) => {
                let dp = &self.prog.mailboxes[d as usize];
                hop.to = dp.node;
                hop.name = dp.name;
                match self.admit(d) {
                    Admit::Reject => {
                        self.emit_hop(
                            &hop,
                            self.now,
                            self.now,
                            Outcome::Dropped(DropReason::Overflow),
                            false,
                        );
                        self.metrics.mailboxes[d as usize].rejected += 1;
                        self.free_stored_slot(slot);
                    }
                    admit @ (Admit::Accept | Admit::EvictOldest) => {
                        let r =
                            self.emit_hop(&hop, self.now, self.now, Outcome::DeadLettered, false);
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
