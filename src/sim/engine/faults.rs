//! Faults on a schedule: crashes, error-rate spikes, latency spikes, loss and partitions. One
//! `ActiveFaults` says what is in force now; every match on a fault's kind is in this file: what
//! starting and ending one does, what it does to a message's route, and the nodes its records
//! name.

use super::{CallMsg, Payload, Sim};
use crate::sim::compile::{link_key, FaultId, FaultKindP, NodeKind, Program, ServiceId};
use crate::sim::kernel::Event;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{Kind, NameId, NodeId, Outcome, Record, RecordId, TraceId};

use super::views::Partition;
use super::EventKind;

/// The faults in force now.
#[derive(Clone, Debug)]
pub(crate) struct ActiveFaults {
    /// Active network faults (latency spikes, loss, partitions), as fault indices, oldest first.
    net: Vec<FaultId>,
    /// Active error spikes, as fault indices, oldest first.
    errors: Vec<FaultId>,
    /// Per service: crash faults in force (overlapping crashes nest).
    crashes: Vec<u32>,
    /// Per service: of those, the ones whose host vanished (a black hole, not a refusing host).
    vanished: Vec<u32>,
    /// Per service: the chance that an outcome decided now is turned into an error.
    error_p: Vec<f64>,
}

impl ActiveFaults {
    pub(crate) fn new(prog: &Program) -> ActiveFaults {
        ActiveFaults {
            net: Vec::new(),
            errors: Vec::new(),
            crashes: vec![0; prog.services.len()],
            vanished: vec![0; prog.services.len()],
            error_p: vec![0.0; prog.services.len()],
        }
    }

    /// Whether service `s` is crashed now.
    #[inline]
    pub(crate) fn crashed(&self, s: ServiceId) -> bool {
        self.crashes[s.ix()] > 0
    }

    /// Whether the service is down with its host up, so connections to it are refused (rather
    /// than lost, as when its host vanished).
    pub(crate) fn refuses(&self, s: ServiceId) -> bool {
        self.crashes[s.ix()] > 0 && self.vanished[s.ix()] == 0
    }

    /// The active network faults' effect on a message from node `a` to node `b`: extra latency
    /// and loss folded into `latency` and `keep` (the chance it survives), in the order the
    /// faults started; if a partition cuts the two apart, when the last such partition ends.
    pub(crate) fn on_route(
        &self,
        prog: &Program,
        a: u32,
        b: u32,
        latency: &mut SimTime,
        keep: &mut f64,
    ) -> Option<SimTime> {
        let mut partitioned: Option<SimTime> = None;
        if self.net.is_empty() {
            return partitioned;
        }
        let key = link_key(a, b);
        for &fi in self.net.iter() {
            match &prog.faults[fi.ix()].kind {
                FaultKindP::LatencySpike { link, extra } => {
                    if link.is_none_or(|l| l == key) {
                        *latency = *latency + *extra;
                    }
                }
                FaultKindP::Loss { link, p } => {
                    if link.is_none_or(|l| l == key) {
                        *keep *= 1.0 - p;
                    }
                }
                FaultKindP::Partition { a: sa, b: sb } => {
                    let in_a = |n: u32| sa.binary_search(&n).is_ok();
                    let in_b = |n: u32| sb.binary_search(&n).is_ok();
                    if (in_a(a) && in_b(b)) || (in_b(a) && in_a(b)) {
                        let end = prog.faults[fi.ix()].end;
                        partitioned = Some(partitioned.map_or(end, |e| e.max(end)));
                    }
                }
                FaultKindP::Crash(..) | FaultKindP::ErrorSpike { .. } | FaultKindP::Flush(_) => {}
            }
        }
        partitioned
    }

    /// Partitions in force now, oldest first.
    pub(crate) fn partitions(&self, prog: &Program) -> Vec<Partition> {
        let mut v = Vec::new();
        for &fi in self.net.iter() {
            let f = &prog.faults[fi.ix()];
            if let FaultKindP::Partition { a, b } = &f.kind {
                v.push(Partition {
                    a: a.iter().map(|&n| NodeId(n)).collect(),
                    b: b.iter().map(|&n| NodeId(n)).collect(),
                    until: f.end,
                });
            }
        }
        v
    }

    fn recompute_error_p(&mut self, prog: &Program, svc: ServiceId) {
        let mut keep = 1.0;
        for &fi in self.errors.iter() {
            if let FaultKindP::ErrorSpike { service, p } = prog.faults[fi.ix()].kind {
                if service == svc {
                    keep *= 1.0 - p;
                }
            }
        }
        self.error_p[svc.ix()] = 1.0 - keep;
    }
}

/// A fault's edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultEv {
    Start(FaultId),
    End(FaultId),
}

impl Event for FaultEv {
    const MECH: u8 = 6;
    #[inline(always)]
    fn pack(self) -> (u8, u32, u32, u32) {
        match self {
            FaultEv::Start(f) => (0, f.raw(), 0, 0),
            FaultEv::End(f) => (1, f.raw(), 0, 0),
        }
    }
    #[inline(always)]
    fn unpack(v: u8, x: u32, _: u32, _: u32) -> FaultEv {
        match v {
            0 => FaultEv::Start(Id::new(x)),
            1 => FaultEv::End(Id::new(x)),
            v => unreachable!("variant {v}: only `pack` makes these"),
        }
    }
}

impl Sim {
    /// Schedule every fault's start and end.
    pub(super) fn schedule_faults(&mut self) {
        for i in 0..self.prog.faults.len() {
            let f = &self.prog.faults[i];
            let (at, end) = (f.at, f.end);
            self.k.schedule(at, FaultEv::Start(Id::new(i as u32)));
            self.k.schedule(end, FaultEv::End(Id::new(i as u32)));
        }
    }

    pub(super) fn on_fault_event(&mut self, ev: FaultEv) -> EventKind {
        match ev {
            FaultEv::Start(f) => {
                self.fault_start(f);
                EventKind::FaultStarted
            }
            FaultEv::End(f) => {
                self.fault_end(f);
                EventKind::FaultEnded
            }
        }
    }

    /// Whether an active error-rate spike on `service` fails the outcome being decided now.
    /// Draws from the RNG only while a spike is active, so runs without one are unaffected.
    pub(crate) fn spiked(&mut self, service: ServiceId) -> bool {
        let p = self.faults.error_p[service.ix()];
        p > 0.0 && self.k.rng().chance(p)
    }

    /// Whether `node` is a service that is crashed now.
    /// Whether `payload` is a request to a service that refuses connections now.
    pub(crate) fn refuses_request(&self, payload: &Payload) -> bool {
        match payload {
            Payload::Call(CallMsg::Request(r)) => self
                .faults
                .refuses(self.prog.endpoints[r.endpoint.ix()].service),
            _ => false,
        }
    }

    pub(crate) fn node_is_crashed_service(&self, node: NodeId) -> bool {
        let n = &self.prog.nodes[node.0 as usize];
        match n.kind {
            NodeKind::Service => self.faults.crashed(Id::new(n.index)),
            NodeKind::Queue | NodeKind::Topic | NodeKind::Subscription | NodeKind::Client => false,
        }
    }

    fn fault_nodes(&self, f: FaultId) -> (NodeId, NodeId) {
        let none = NodeId(u32::MAX);
        match &self.prog.faults[f.ix()].kind {
            FaultKindP::Crash(s, _) | FaultKindP::ErrorSpike { service: s, .. } => {
                let n = self.prog.services[*s].node;
                (n, n)
            }
            FaultKindP::Flush(_) => (none, none),
            FaultKindP::LatencySpike { link, .. } | FaultKindP::Loss { link, .. } => match link {
                Some((a, b)) => (NodeId(*a), NodeId(*b)),
                None => (none, none),
            },
            FaultKindP::Partition { a, b } => (
                a.first().map_or(none, |&n| NodeId(n)),
                b.first().map_or(none, |&n| NodeId(n)),
            ),
        }
    }

    fn fault_record(&mut self, f: FaultId, kind: Kind) {
        let (from, to) = self.fault_nodes(f);
        let fp = &self.prog.faults[f.ix()];
        let (send, text) = (fp.at, fp.text);
        let now = self.k.now();
        self.k.emit(Record {
            send,
            recv: now,
            id: RecordId(0),
            trace: TraceId::NONE,
            cause: None,
            from,
            to,
            name: text,
            label: NameId::EMPTY,
            outcome: Outcome::Ok,
            attempt: 1,
            kind,
            late: false,
        });
    }

    fn fault_start(&mut self, f: FaultId) {
        self.fault_record(f, Kind::FaultStart);
        match self.prog.faults[f.ix()].kind {
            FaultKindP::Crash(s, vanish) => {
                if vanish {
                    self.faults.vanished[s.ix()] += 1;
                }
                self.faults.crashes[s.ix()] += 1;
                if self.faults.crashes[s.ix()] == 1 {
                    self.crash(s);
                }
            }
            FaultKindP::ErrorSpike { service, .. } => {
                self.faults.errors.push(f);
                self.faults.recompute_error_p(&self.prog, service);
            }
            FaultKindP::Flush(c) => self.cache_flush(c),
            FaultKindP::LatencySpike { .. }
            | FaultKindP::Loss { .. }
            | FaultKindP::Partition { .. } => self.faults.net.push(f),
        }
    }

    fn fault_end(&mut self, f: FaultId) {
        match self.prog.faults[f.ix()].kind {
            FaultKindP::Crash(s, vanish) => {
                if vanish {
                    let v = &mut self.faults.vanished[s.ix()];
                    *v = v.saturating_sub(1);
                }
                let n = &mut self.faults.crashes[s.ix()];
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.restart(s);
                }
            }
            FaultKindP::ErrorSpike { service, .. } => {
                self.faults.errors.retain(|&x| x != f);
                self.faults.recompute_error_p(&self.prog, service);
            }
            FaultKindP::Flush(_) => {}
            FaultKindP::LatencySpike { .. }
            | FaultKindP::Loss { .. }
            | FaultKindP::Partition { .. } => self.faults.net.retain(|&x| x != f),
        }
        self.fault_record(f, Kind::FaultEnd);
    }
}
