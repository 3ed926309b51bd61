//! What the views read of a run as it is now: messages on the wire, mailbox depths, service
//! load, users thinking and waiting, breaker states, crashes and partitions; and name lookups
//! for records. Plain copies, so a view never holds a borrow of the engine.

use super::Sim;
use crate::sim::compile::{NodeInfo, NodeKind};
use crate::sim::metrics::Metrics;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{
    format_record, BreakerState, DropReason, Kind, Mechanism, NameId, Names, NodeId, Record, Trace,
    TraceId,
};

/// A message currently on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Kind of hop.
    pub kind: Kind,
    /// Endpoint/method/queue/topic name.
    pub name: NameId,
    /// Message label.
    pub label: NameId,
    /// When it left.
    pub sent: SimTime,
    /// When it arrives (or is found lost).
    pub arrives: SimTime,
    /// Trace id.
    pub trace: TraceId,
    /// Attempt / delivery number.
    pub attempt: u16,
    /// Already known to be lost (loss or partition): it will not arrive.
    pub doomed: Option<DropReason>,
}

/// Live state of a queue or subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxView {
    /// The queue / subscription node.
    pub node: NodeId,
    /// Messages waiting.
    pub depth: u32,
    /// Delivered, not yet acked.
    pub in_flight: u32,
}

/// Live state of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceView {
    /// The service node.
    pub node: NodeId,
    /// Busy workers.
    pub busy: u32,
    /// Requests waiting for a worker.
    pub backlog: u32,
    /// Worker count.
    pub workers: u32,
    /// Currently crashed.
    pub crashed: bool,
    /// Replies its endpoints sent so far, and how many of them were errors (the endpoints'
    /// metrics summed; a view keeps its own history to show a recent share).
    pub replies: u64,
    pub errors: u64,
}

/// Live state of a client of users (a closed loop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsersView {
    /// The client node.
    pub node: NodeId,
    /// Users so far: those at the start plus those bursts added.
    pub users: u32,
    /// Users thinking (between an answer and their next request).
    pub thinking: u32,
    /// Users waiting for an answer (a call in progress, retries included).
    pub waiting: u32,
}

/// Live state of a circuit breaker on an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerView {
    /// Caller.
    pub from: NodeId,
    /// Callee.
    pub to: NodeId,
    /// Endpoint / method.
    pub name: NameId,
    /// State now.
    pub state: BreakerState,
}

/// Live state of a replicated service's load balancer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancerView {
    /// The service's name (`orders`; its replicas are `orders#1`, …).
    pub service: NameId,
    /// Each replica in order: its node, attempts in flight to it from the balancer, and
    /// whether it is ejected now.
    pub replicas: Vec<ReplicaView>,
}

/// Live state of a read-through cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheView {
    /// The cache's name.
    pub name: NameId,
    /// Entries now (fresh or not yet found stale).
    pub entries: u32,
    /// Most entries.
    pub capacity: u32,
}

/// One replica as its load balancer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    /// The replica's node.
    pub node: NodeId,
    /// Attempts sent to it and not over yet.
    pub active: u32,
    /// Out of rotation now (outlier ejection).
    pub ejected: bool,
}

/// An active partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// One side.
    pub a: Vec<NodeId>,
    /// Other side.
    pub b: Vec<NodeId>,
    /// When it heals.
    pub until: SimTime,
}

impl Sim {
    /// The trace so far (empty when tracing is off).
    pub fn trace(&self) -> &Trace {
        self.k.trace()
    }
    /// `trace().hash()`: FNV-1a 64 over the canonical encoding of every record.
    pub fn trace_hash(&self) -> u64 {
        self.k.trace().hash()
    }
    /// Metrics so far.
    pub fn metrics(&self) -> &Metrics {
        self.k.metrics()
    }
    /// Every node: services, queues, topics, subscriptions (`topic/sub`), clients, in that order.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.prog.nodes
    }
    /// Interned names; `NameId(i)` is `names()[i]`.
    pub fn names(&self) -> &[String] {
        &self.prog.names
    }
    /// A node id by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.prog
            .nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }
    /// The nodes a name stands for: a replicated service's replicas (`orders` → `orders#1`,
    /// `orders#2`, …), else the one node of that name (none if there is none).
    pub fn node_ids(&self, name: &str) -> Vec<NodeId> {
        if let Some(b) = self
            .prog
            .balancers
            .iter()
            .find(|b| self.prog.names[b.name.0 as usize] == name)
        {
            return b
                .replicas
                .iter()
                .map(|&s| self.prog.services[s].node)
                .collect();
        }
        self.node_id(name).into_iter().collect()
    }
    /// Display label of endpoint `i` (metrics index), e.g. `gateway POST /checkout`.
    pub fn endpoint_label(&self, i: usize) -> String {
        match self.prog.endpoints.get(i) {
            Some(e) => format!(
                "{} {}",
                self.prog.nodes[e.node.0 as usize].name, self.prog.names[e.name.0 as usize]
            ),
            None => String::new(),
        }
    }
    /// Display label of balancer `i` (metrics index): its service's name, `orders`.
    pub fn balancer_label(&self, i: usize) -> &str {
        self.prog
            .balancers
            .get(i)
            .map_or("", |b| &self.prog.names[b.name.0 as usize])
    }
    /// The replicas' node names of balancer `i`, in order.
    pub fn balancer_replicas(&self, i: usize) -> Vec<&str> {
        self.prog.balancers.get(i).map_or(Vec::new(), |b| {
            b.replicas
                .iter()
                .map(|&s| {
                    self.prog.nodes[self.prog.services[s].node.0 as usize]
                        .name
                        .as_str()
                })
                .collect()
        })
    }
    /// Calls still waiting for their outcome now, per call site (metrics index): at the end of
    /// a run, the calls that neither completed nor failed (no timeout, and no answer).
    pub fn calls_waiting(&self) -> Vec<u64> {
        self.calls.outstanding(self.prog.calls.len())
    }
    /// Call site `i`'s connection pool now (metrics index): `(connections, in use, waiting)`;
    /// `None` if it has no pool.
    pub fn call_pool(&self, i: usize) -> Option<(u32, u32, u32)> {
        let (size, _) = self.prog.calls.get(i)?.pool?;
        let (in_use, waiting) = self.calls.pool_load(i);
        Some((size, in_use, waiting))
    }
    /// The caller and callee nodes of call site `i` (metrics index), and whether the callee is
    /// replicated (then the node is its first replica; the site's calls go to all of them).
    pub fn call_site_nodes(&self, i: usize) -> Option<(NodeId, NodeId, bool)> {
        let c = self.prog.calls.get(i)?;
        Some((c.caller, c.callee, c.balancer.is_some()))
    }
    /// Display label of call site `i` (metrics index), e.g. `gateway -> orders CreateOrder`.
    pub fn call_site_label(&self, i: usize) -> String {
        match self.prog.calls.get(i) {
            Some(c) => format!(
                "{} -> {} {}",
                self.prog.nodes[c.caller.0 as usize].name,
                // A replicated callee by its service's name: the site calls them all.
                match c.balancer {
                    Some(b) => &self.prog.names[self.prog.balancers[b.ix()].name.0 as usize],
                    None => &self.prog.nodes[c.callee.0 as usize].name,
                },
                self.prog.names[c.name.0 as usize]
            ),
            None => String::new(),
        }
    }
    /// Display label of consumer `i`, e.g. `payments <- payments-q`.
    pub fn consumer_label(&self, i: usize) -> String {
        match self.prog.consumers.get(i) {
            Some(c) => format!(
                "{} <- {}",
                self.prog.nodes[c.node.0 as usize].name,
                self.prog.names[self.prog.mailboxes[c.mailbox.ix()].name.0 as usize]
            ),
            None => String::new(),
        }
    }
    /// Node of mailbox `i` (metrics index).
    pub fn mailbox_node(&self, i: usize) -> Option<NodeId> {
        self.prog.mailboxes.get(i).map(|m| m.node)
    }
    /// Messages on the wire now.
    pub fn in_flight(&self) -> Vec<InFlight> {
        let mut v = Vec::with_capacity(self.net.in_flight() as usize);
        for m in self.net.iter() {
            v.push(InFlight {
                from: m.hop.from,
                to: m.hop.to,
                kind: m.hop.kind,
                name: m.hop.name,
                label: m.hop.label,
                sent: m.sent,
                arrives: m.arrives,
                trace: m.hop.trace,
                attempt: m.hop.attempt,
                doomed: m.doom,
            });
        }
        v.sort_by_key(|m| (m.sent, m.arrives));
        v
    }
    /// Number of messages on the wire now.
    pub fn in_flight_count(&self) -> u32 {
        self.net.in_flight()
    }
    /// Depth and in-flight count of every queue and subscription now.
    pub fn mailboxes(&self) -> Vec<MailboxView> {
        self.prog
            .mailboxes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (depth, in_flight) = self.brokers.depth(i);
                MailboxView {
                    node: p.node,
                    depth,
                    in_flight,
                }
            })
            .collect()
    }
    /// Users of every client now, in client order; `None` for a rate-driven client.
    pub fn users(&self) -> Vec<Option<UsersView>> {
        self.prog
            .clients
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (p.users > 0).then(|| {
                    let (users, thinking, waiting) = self.clients.users(i);
                    UsersView {
                        node: p.node,
                        users,
                        thinking,
                        waiting,
                    }
                })
            })
            .collect()
    }
    /// Busy workers, backlog and crash state of every service now.
    pub fn services(&self) -> Vec<ServiceView> {
        let mut answered = vec![(0u64, 0u64); self.prog.services.len()];
        for (ep, m) in self.prog.endpoints.iter().zip(&self.k.metrics().endpoints) {
            if let Some(a) = answered.get_mut(ep.service.ix()) {
                a.0 += m.replies.values().sum::<u64>();
                a.1 += m.errors;
            }
        }
        self.prog
            .services
            .iter()
            .zip(answered)
            .enumerate()
            .map(|(i, (p, (replies, errors)))| {
                let (busy, backlog) = self.services.load(Id::new(i as u32));
                ServiceView {
                    node: p.node,
                    busy,
                    backlog,
                    workers: p.workers,
                    crashed: self.faults.crashed(Id::new(i as u32)),
                    replies,
                    errors,
                }
            })
            .collect()
    }
    /// Services crashed now.
    pub fn crashed(&self) -> Vec<NodeId> {
        self.prog
            .services
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.faults.crashed(Id::new(i as u32)))
            .map(|(_, p)| p.node)
            .collect()
    }
    /// Partitions active now.
    pub fn partitions(&self) -> Vec<Partition> {
        self.faults.partitions(&self.prog)
    }
    /// Whether messages between `a` and `b` are currently cut by a partition.
    pub fn is_partitioned(&self, a: NodeId, b: NodeId) -> bool {
        self.partitions().iter().any(|p| {
            (p.a.contains(&a) && p.b.contains(&b)) || (p.a.contains(&b) && p.b.contains(&a))
        })
    }
    /// The mechanism of a record, telling queue from pub/sub by the nodes involved.
    pub fn mechanism(&self, r: &Record) -> Mechanism {
        self.hop_mechanism(r.kind, r.from, r.to)
    }
    /// The mechanism of a hop of `kind` from `from` to `to` (a record, or a message in flight):
    /// a queue-kind hop to or from a subscription (or from a topic: its confirm to a publisher)
    /// is pub/sub.
    pub fn hop_mechanism(&self, kind: Kind, from: NodeId, to: NodeId) -> Mechanism {
        let base = kind.mechanism();
        if base != Mechanism::Queue {
            return base;
        }
        let is_sub = |n: NodeId| {
            self.prog
                .nodes
                .get(n.0 as usize)
                .is_some_and(|x| matches!(x.kind, NodeKind::Subscription | NodeKind::Topic))
        };
        if is_sub(from) || is_sub(to) {
            Mechanism::PubSub
        } else {
            Mechanism::Queue
        }
    }
    /// The stable one-line text of a record.
    pub fn format_record(&self, r: &Record) -> String {
        format_record(r, self)
    }
    /// Every record as text, one per line.
    pub fn format_trace(&self) -> String {
        let mut s = String::new();
        for r in self.k.trace().records() {
            s.push_str(&format_record(r, self));
            s.push('\n');
        }
        s
    }

    /// Every cache: its entries now.
    pub fn caches(&self) -> Vec<CacheView> {
        self.prog
            .caches
            .iter()
            .enumerate()
            .map(|(i, c)| CacheView {
                name: c.name,
                entries: self.caches.len(i) as u32,
                capacity: c.capacity,
            })
            .collect()
    }

    /// Every replicated service's load balancer: its replicas' load and health now.
    pub fn balancers(&self) -> Vec<BalancerView> {
        self.prog
            .balancers
            .iter()
            .enumerate()
            .map(|(b, bp)| BalancerView {
                service: bp.name,
                replicas: bp
                    .replicas
                    .iter()
                    .enumerate()
                    .map(|(r, &s)| {
                        let (active, ejected) = self.balancers.replica(b, r);
                        ReplicaView {
                            node: self.prog.services[s].node,
                            active,
                            ejected,
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    /// Breaker state of every edge that has one.
    pub fn breakers(&self) -> Vec<BreakerView> {
        self.prog
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| BreakerView {
                from: e.from,
                to: e.to,
                name: e.name,
                state: self.breakers.state(i),
            })
            .collect()
    }
}

/// Name lookups (bring the `Names` trait into scope to call `sim.node_name(id)` / `sim.name(id)`):
/// `*` for `NodeId(u32::MAX)` (faults on every link), `?` for an unknown name.
impl Names for Sim {
    fn node_name(&self, n: NodeId) -> &str {
        self.prog
            .nodes
            .get(n.0 as usize)
            .map_or("*", |x| x.name.as_str())
    }
    fn name(&self, n: NameId) -> &str {
        self.prog
            .names
            .get(n.0 as usize)
            .map_or("?", |x| x.as_str())
    }
}
