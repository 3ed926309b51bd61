//! The network: messages on the wire. Sending samples a link's latency (plus active spikes) and
//! decides now how the message fares. Every message rides a TCP connection, so a lost
//! transmission is sent again after a retransmission timeout (RFC 6298, with Linux's constants)
//! and shows as delay; only a connection that loses every retransmission gives up, and then the
//! message is lost (loss, partition). Its arrival is an event, and the engine hands what it
//! carried to the mechanism that owns it. A doomed message still travels so the views can draw
//! it, and is recorded as dropped where it was going.

use super::{Payload, Sim};
use crate::sim::compile::link_key;
use crate::sim::kernel::{Event, Hop};
use crate::sim::slab::{Id, Slab};
use crate::sim::time::SimTime;
use crate::sim::trace::{DropReason, Outcome};

/// First retransmission timeout: Linux's `TCP_RTO_MIN` (200 ms), the RTO of a connection whose
/// round trip is far below it, as between services in one data centre. RFC 6298 §2.4 suggests
/// 1 s; Linux uses the lower bound.
pub(crate) const RTO_MIN: SimTime = SimTime::from_millis(200);
/// Longest retransmission timeout: Linux's `TCP_RTO_MAX` (120 s). Each timeout doubles the next
/// (RFC 6298 §5.5, exponential backoff) up to it.
pub(crate) const RTO_MAX: SimTime = SimTime::from_secs(120);
/// Retransmissions before the connection gives up: Linux's `tcp_retries2` default (15, about
/// 924 s with the timeouts above).
pub(crate) const MAX_RETRANSMITS: u32 = 15;

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

    /// The latency of a message from node `a` to node `b` sent now, retransmissions included,
    /// and whether it is doomed (its connection gave up: decided now, after the latency draw).
    ///
    /// A transmission sent while a partition cuts the two apart is lost; so is one with the
    /// link's loss chance. Each loss waits one retransmission timeout (200 ms, doubling, at most
    /// 120 s) before the next try; the message arrives one latency after the try that got
    /// through. Simplified on purpose: each message is retransmitted on its own (no
    /// head-of-line blocking behind an earlier lost segment, no congestion window), and the
    /// latency drawn for the first try holds for the last.
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
        let partition_end = self
            .faults
            .on_route(&self.prog, a, b, &mut latency, &mut keep);
        let now = self.k.now();
        let mut waited = SimTime::ZERO;
        let mut rto = RTO_MIN;
        let mut tries = 0;
        if let Some(end) = partition_end {
            while now + waited < end {
                if tries == MAX_RETRANSMITS {
                    return (latency, Some(DropReason::Partition));
                }
                waited = waited + rto;
                rto = (rto + rto).min(RTO_MAX);
                tries += 1;
            }
        }
        let loss = 1.0 - keep;
        while self.k.rng().chance(loss) {
            if tries == MAX_RETRANSMITS {
                return (latency, Some(DropReason::Loss));
            }
            waited = waited + rto;
            rto = (rto + rto).min(RTO_MAX);
            tries += 1;
        }
        (latency + waited, None)
    }

    /// Take the message in `slot` off the wire; with why it is lost, if it is (lost on the way,
    /// or its destination is a crashed service).
    pub(super) fn take_arrival(&mut self, slot: Id<Msg>) -> (Msg, Option<DropReason>) {
        let msg = self.net.msgs[slot];
        self.net.msgs.remove(slot);
        self.net.in_flight = self.net.in_flight.saturating_sub(1);
        // A request to a stopped process on a live host is refused, not lost: the services
        // module answers it.
        let doom = msg.doom.or_else(|| {
            (self.node_is_crashed_service(msg.hop.to) && !self.refuses_request(&msg.payload))
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
