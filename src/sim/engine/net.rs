//! The network: messages on the wire. Sending samples a link's latency (plus active spikes) and
//! decides now whether the message is lost (loss, partition); its arrival is an event, and the
//! engine hands what it carried to the mechanism that owns it. A doomed message still travels so
//! the views can draw it, and is recorded as dropped where it was going.

use super::{Payload, Sim};
use crate::sim::compile::link_key;
use crate::sim::kernel::{Event, Hop};
use crate::sim::slab::{Id, Slab};
use crate::sim::time::SimTime;
use crate::sim::trace::{DropReason, Outcome};

/// A message on the wire.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Msg {
    pub hop: Hop,
    pub sent: SimTime,
    pub arrives: SimTime,
    /// Already known to be lost (loss or partition): it will not arrive.
    pub doom: Option<DropReason>,
    pub payload: Payload,
}

/// Messages on the wire, in a slab (the slot is the arrival event's only field).
#[derive(Clone, Debug, Default)]
pub(crate) struct Network {
    msgs: Slab<Msg>,
    in_flight: u32,
}

impl Network {
    /// Messages on the wire now, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Msg> {
        self.msgs.iter_live().map(|(_, m)| m)
    }

    pub(crate) fn in_flight(&self) -> u32 {
        self.in_flight
    }
}

/// The network's one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetEv {
    /// The message in this slot reached its destination (or is found lost there).
    Arrive(Id<Msg>),
}

impl Event for NetEv {
    const MECH: u8 = 0;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            NetEv::Arrive(m) => (0, m.raw(), 0, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, _: u32, _: u32) -> NetEv {
        match v {
            0 => NetEv::Arrive(Id::new(x)),
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    /// Put a message on the wire: sample latency (plus active spikes), decide partition / loss
    /// now, and schedule its arrival.
    ///
    /// Inlined into its few callers so that the hop and payload they build are written straight
    /// into the message's slot: copying them from the caller's just-written stack as one block
    /// stalled on store-to-load forwarding, a measurable share of every message.
    #[inline(always)]
    /// Send a message; returns when it arrives (or is found lost).
    pub(crate) fn send(&mut self, hop: Hop, payload: impl Into<Payload>) -> SimTime {
        let (latency, doom) = self.route(hop.from.0, hop.to.0);
        let now = self.k.now();
        let arrives = now + latency;
        let payload = payload.into();
        let slot = self.net.msgs.insert(Msg {
            hop,
            sent: now,
            arrives,
            doom,
            payload,
        });
        self.net.in_flight += 1;
        self.k.metrics_mut().totals.messages += 1;
        self.k.schedule(arrives, NetEv::Arrive(slot));
        arrives
    }

    /// The latency of a message from node `a` to node `b` sent now, and whether it is doomed
    /// (partitioned, or lost: decided now, after the latency draw).
    fn route(&mut self, a: u32, b: u32) -> (SimTime, Option<DropReason>) {
        let net = &self.prog.network;
        let (dist, base_loss) = if net.links.is_empty() {
            (net.latency, net.loss)
        } else {
            match net.links.get(&link_key(a, b)) {
                Some(l) => (l.latency, l.loss),
                None => (net.latency, net.loss),
            }
        };
        let mut latency = dist.sample(self.k.rng());
        let mut keep = 1.0 - base_loss;
        let partitioned = self
            .faults
            .on_route(&self.prog, a, b, &mut latency, &mut keep);
        let doom = if partitioned {
            Some(DropReason::Partition)
        } else if self.k.rng().chance(1.0 - keep) {
            Some(DropReason::Loss)
        } else {
            None
        };
        (latency, doom)
    }

    /// Take the message in `slot` off the wire; with why it is lost, if it is (lost on the way,
    /// or its destination is a crashed service).
    pub(super) fn take_arrival(&mut self, slot: Id<Msg>) -> (Msg, Option<DropReason>) {
        let msg = self.net.msgs[slot];
        self.net.msgs.remove(slot);
        self.net.in_flight = self.net.in_flight.saturating_sub(1);
        let doom = msg.doom.or_else(|| {
            self.node_is_crashed_service(msg.hop.to)
                .then_some(DropReason::Crashed)
        });
        if doom.is_some() {
            self.k.metrics_mut().totals.dropped += 1;
        }
        (msg, doom)
    }

    /// Record that `msg` was lost now, on its way or at its destination, for `reason`.
    pub(crate) fn emit_dropped(&mut self, msg: &Msg, reason: DropReason) {
        let now = self.k.now();
        self.k
            .emit_hop(&msg.hop, msg.sent, now, Outcome::Dropped(reason), false);
    }
}
