//! Validation and compilation of a `World` into the engine's flat, interned tables (`Program`):
//! every name resolved to a small integer id, every reference checked, every parameter range
//! checked. A bad world is a `WorldError` with a readable location — never a panic.
//!
//! One concept in one file, over 800 lines: one pass that resolves and checks a world, whose
//! steps share the name tables they fill.

use crate::sim::dist::Dist;
use crate::sim::protocol::Protocol;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{NameId, NodeId};
use crate::sim::world::{
    Arrival, Balancer, BreakerPolicy, Burst, Call, Confirms, FaultKind, Handler, Keys,
    LinkSelector, OnError, OutlierPolicy, Overflow, RetryPolicy, Route, RunSettings, Source,
    Status, Step, Target, World,
};
use std::collections::BTreeMap;
use std::fmt;

/// Why a world cannot be simulated. `at` fields say where, e.g.
/// `service gateway, POST /checkout, step 2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldError {
    /// A node name is empty.
    EmptyName {
        /// What kind of thing was unnamed.
        what: &'static str,
    },
    /// Two nodes (services, queues, topics, subscriptions `topic/sub`, clients) share a name.
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A service declares the same route twice.
    DuplicateEndpoint {
        /// Service name.
        service: String,
        /// `POST /x` or `Method`.
        route: String,
    },
    /// A reference to a service that does not exist.
    UnknownService {
        /// The name used.
        name: String,
        /// Where it was used.
        at: String,
    },
    /// A call to a route or method the service does not declare.
    UnknownEndpoint {
        /// Service name.
        service: String,
        /// `POST /x` or `Method`.
        route: String,
        /// Where it was used.
        at: String,
    },
    /// A reference to a queue that does not exist.
    UnknownQueue {
        /// The name used.
        name: String,
        /// Where it was used.
        at: String,
    },
    /// A reference to a topic that does not exist.
    UnknownTopic {
        /// The name used.
        name: String,
        /// Where it was used.
        at: String,
    },
    /// A reference to a subscription the topic does not have.
    UnknownSubscription {
        /// Topic name.
        topic: String,
        /// Subscription name.
        subscription: String,
        /// Where it was used.
        at: String,
    },
    /// A link or partition names a node that does not exist.
    UnknownNode {
        /// The name used.
        name: String,
        /// Where it was used.
        at: String,
    },
    /// `ack` / `nack` in a REST or RPC handler.
    AckOutsideConsumer {
        /// Where.
        at: String,
    },
    /// A parameter out of range (probability, worker count, distribution, …).
    Invalid {
        /// Where.
        at: String,
        /// What is wrong.
        problem: String,
    },
    /// More of something than the engine's 32-bit ids can address.
    TooLarge {
        /// What overflowed.
        what: &'static str,
    },
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::EmptyName { what } => write!(f, "a {what} has an empty name"),
            WorldError::DuplicateName { name } => write!(f, "the name `{name}` is used twice"),
            WorldError::DuplicateEndpoint { service, route } => {
                write!(f, "service `{service}` declares `{route}` twice")
            }
            WorldError::UnknownService { name, at } => write!(f, "{at}: unknown service `{name}`"),
            WorldError::UnknownEndpoint { service, route, at } => {
                write!(f, "{at}: service `{service}` has no `{route}`")
            }
            WorldError::UnknownQueue { name, at } => write!(f, "{at}: unknown queue `{name}`"),
            WorldError::UnknownTopic { name, at } => write!(f, "{at}: unknown topic `{name}`"),
            WorldError::UnknownSubscription {
                topic,
                subscription,
                at,
            } => write!(
                f,
                "{at}: topic `{topic}` has no subscription `{subscription}`"
            ),
            WorldError::UnknownNode { name, at } => write!(f, "{at}: unknown node `{name}`"),
            WorldError::AckOutsideConsumer { at } => {
                write!(
                    f,
                    "{at}: ack/nack only make sense in a queue or subscription consumer"
                )
            }
            WorldError::Invalid { at, problem } => write!(f, "{at}: {problem}"),
            WorldError::TooLarge { what } => write!(f, "too many {what}"),
        }
    }
}

impl std::error::Error for WorldError {}

/// What kind of thing a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A service (index into `World::services`).
    Service,
    /// A queue.
    Queue,
    /// A topic.
    Topic,
    /// A subscription, named `topic/subscription`.
    Subscription,
    /// A client.
    Client,
}

/// A node of the topology: its name, kind, and index among nodes of that kind (services,
/// queues, topics and clients in world order; subscriptions topic by topic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Node name.
    pub name: String,
    /// Kind.
    pub kind: NodeKind,
    /// Index among nodes of the same kind.
    pub index: u32,
}

pub(crate) type StepRange = (u32, u32);

/// Typed indices into the `Program`'s tables.
pub(crate) type ServiceId = Id<ServiceP>;
pub(crate) type EndpointId = Id<EndpointP>;
pub(crate) type ConsumerId = Id<ConsumerP>;
pub(crate) type CallId = Id<CallSpec>;
pub(crate) type EdgeId = Id<EdgeP>;
pub(crate) type MailboxId = Id<MailboxP>;
pub(crate) type TopicId = Id<TopicP>;
pub(crate) type ClientId = Id<ClientP>;
pub(crate) type FaultId = Id<FaultP>;
pub(crate) type BalancerId = Id<BalancerP>;
pub(crate) type CacheId = Id<CacheP>;

/// Most keys a cache's requests may ask for.
pub const MAX_KEYS: u32 = 100_000_000;

/// Most replicas one service may have: a replica's index fits a call's `u16`, and each
/// replica is a node with its own lane in every view.
pub const MAX_REPLICAS: u32 = 1000;

#[derive(Clone, Debug)]
pub(crate) struct ServiceP {
    pub node: NodeId,
    pub workers: u32,
    pub backlog: u32,
    /// The token bucket of each replica (or of each caller at each replica), if any.
    pub rate_limit: Option<TokenBucket>,
    /// Longest a request may wait for a worker before it is shed; `SimTime::MAX`: no limit.
    pub shed_after: SimTime,
    /// A freed worker takes the newest waiting request while more than this many wait, else
    /// the oldest; `u32::MAX`: always the oldest.
    pub lifo_above: u32,
    /// The Universal Scalability Law's coefficients in millionths (contention α, coherence β);
    /// `None`: no slowdown, and a `work` step takes its sampled time.
    pub slowdown: Option<(u64, u64)>,
}

/// A rate limit in exact integers: tokens are counted in units of 1/`TokenBucket::UNIT` of a
/// token, so a refill of `per_minute_milli` units per microsecond is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenBucket {
    /// The rate in thousandths of a token per minute (as the language writes rates), which is
    /// also the units added per microsecond.
    pub per_minute_milli: u64,
    /// A full bucket, in units.
    pub cap: u64,
    /// Each calling node has its own bucket of this size (else one for every caller).
    pub per_caller: bool,
}

impl TokenBucket {
    /// One token, in units: a rate of `r` thousandths of a token per minute is `r` / (60,000 ×
    /// 1,000,000) tokens per µs, so with this unit it adds exactly `r` units per µs.
    pub const UNIT: u64 = 60_000 * 1_000_000;
}

/// Most requests a rate limit may admit per second, and most a bucket may hold.
pub const MAX_RATE_LIMIT: f64 = 1_000_000.0;
/// Largest token bucket (`burst`).
pub const MAX_BURST: u32 = 1_000_000;

/// The load balancer in front of a replicated service's replicas.
#[derive(Clone, Debug)]
pub(crate) struct BalancerP {
    /// The service's name (its replicas are `name#1`, …).
    pub name: NameId,
    pub policy: Balancer,
    pub outlier: Option<OutlierPolicy>,
    /// The replicas, in order.
    pub replicas: Vec<ServiceId>,
}

#[derive(Clone, Debug)]
pub(crate) struct EndpointP {
    pub service: ServiceId,
    pub node: NodeId,
    pub name: NameId,
    pub protocol: Protocol,
    pub steps: StepRange,
    /// Honours idempotency keys.
    pub dedupe: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ConsumerP {
    pub service: ServiceId,
    pub node: NodeId,
    pub mailbox: MailboxId,
    pub concurrency: u32,
    pub steps: StepRange,
    /// Longest a delivery's visibility / ack deadline is extended while the handler runs,
    /// counted from the delivery (`SimTime::ZERO`: never).
    pub max_extension: SimTime,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum StepP {
    Work(Dist),
    Call(CallId),
    Parallel {
        first: u32,
        count: u32,
    },
    Publish {
        topic: TopicId,
        label: NameId,
        attrs: u32,
    },
    Enqueue {
        mailbox: MailboxId,
        label: NameId,
    },
    Reply(Status),
    RetryAfter(SimTime),
    Fail {
        p: f64,
        status: Option<Status>,
    },
    Ack,
    Nack,
}

#[derive(Clone, Debug)]
pub(crate) struct CallSpec {
    pub endpoint: EndpointId,
    pub caller: NodeId,
    pub callee: NodeId,
    pub protocol: Protocol,
    pub name: NameId,
    /// The whole call's budget (`SimTime::MAX`: none).
    pub timeout: SimTime,
    /// Each attempt's limit (`SimTime::MAX`: none).
    pub attempt_timeout: SimTime,
    pub retry: RetryPolicy,
    /// Statuses that are retried.
    pub retry_on: Box<[Status]>,
    /// Whether an attempt that may have reached the server can be repeated: every gRPC call
    /// (its retry codes say the server did not act), REST `GET`/`PUT`/`DELETE`, and REST calls
    /// marked `idempotent` or sending an idempotency key (RFC 9110 §9.2.2).
    pub repeatable: bool,
    /// Every attempt carries the call's idempotency key.
    pub key: bool,
    pub edge: Option<EdgeId>,
    /// The target's load balancer, if it is replicated; then `targets` is the called endpoint
    /// in each replica (`endpoint` and `callee` are the first replica's).
    pub balancer: Option<BalancerId>,
    pub targets: Box<[EndpointId]>,
    /// Read through this cache.
    pub cache: Option<CacheId>,
    pub on_error: OnError,
    /// Retry throttling, in thousandths of a token (as gRPC's core keeps it): the most tokens
    /// and what a success gives back. `None`: no budget.
    pub budget: Option<BudgetP>,
    /// Hedging: attempts in all (2–5) and the delay between them. `None`: not hedged.
    pub hedge: Option<(u16, SimTime)>,
    /// Connection pool: connections and the longest wait for one. `None`: no pool.
    pub pool: Option<(u32, SimTime)>,
    /// None of the blocks that keep per-call state beyond the call itself (balancer, cache,
    /// retry budget, hedging, pool): the engine's hot path skips their bookkeeping in one test.
    pub plain: bool,
}

/// A call site's retry budget (gRFC A6 `retryThrottling`), in thousandths of a token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BudgetP {
    pub max_milli: u32,
    pub ratio_milli: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct EdgeP {
    pub from: NodeId,
    pub to: NodeId,
    pub name: NameId,
    pub policy: BreakerPolicy,
}

#[derive(Clone, Debug)]
pub(crate) struct MailboxP {
    pub node: NodeId,
    pub name: NameId,
    pub is_subscription: bool,
    pub capacity: u32,
    pub overflow: Overflow,
    pub visibility: SimTime,
    pub max_attempts: u32,
    pub dlq: Option<MailboxId>,
    pub filter: Option<(NameId, NameId)>,
    pub consumers: Vec<ConsumerId>,
    /// Queues: how producers wait for confirms (unused for subscriptions).
    pub confirms: Confirms,
}

#[derive(Clone, Debug)]
pub(crate) struct TopicP {
    pub node: NodeId,
    pub name: NameId,
    pub subscriptions: Vec<MailboxId>,
    pub confirms: Confirms,
}

#[derive(Clone, Debug)]
pub(crate) struct ClientP {
    pub node: NodeId,
    pub call: CallId,
    pub rate: f64,
    pub arrival: Arrival,
    pub start: SimTime,
    pub stop: SimTime,
    pub bursts: Vec<Burst>,
    /// A linear ramp: requests per second at its end, and its length in seconds.
    pub ramp: Option<(f64, f64)>,
    /// A closed loop: users at the start (0 for a rate-driven client) and their think time.
    pub users: u32,
    pub think: Dist,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct LinkP {
    pub latency: Dist,
    pub loss: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct NetworkP {
    pub latency: Dist,
    pub loss: f64,
    pub links: BTreeMap<(u32, u32), LinkP>,
}

#[derive(Clone, Debug)]
pub(crate) enum FaultKindP {
    /// A service's process stops (`false`) or its host vanishes (`true`).
    Crash(ServiceId, bool),
    LatencySpike {
        link: Option<(u32, u32)>,
        extra: SimTime,
    },
    ErrorSpike {
        service: ServiceId,
        p: f64,
    },
    Partition {
        a: Vec<u32>,
        b: Vec<u32>,
    },
    Loss {
        link: Option<(u32, u32)>,
        p: f64,
    },
    Flush(CacheId),
}

/// A read-through cache.
#[derive(Clone, Debug)]
pub(crate) struct CacheP {
    pub name: NameId,
    pub capacity: u32,
    /// Fresh for this long after a fill (`SimTime::MAX`: for ever).
    pub ttl: SimTime,
    pub keys: Keys,
    pub coalesce: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct FaultP {
    pub at: SimTime,
    pub end: SimTime,
    pub kind: FaultKindP,
    pub text: NameId,
}

/// The compiled world: flat tables indexed by small integers.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub nodes: Vec<NodeInfo>,
    pub names: Vec<String>,
    pub services: Vec<ServiceP>,
    pub endpoints: Vec<EndpointP>,
    pub consumers: Vec<ConsumerP>,
    pub steps: Vec<StepP>,
    pub calls: Vec<CallSpec>,
    pub attrs: Vec<Vec<(NameId, NameId)>>,
    pub mailboxes: Vec<MailboxP>,
    pub topics: Vec<TopicP>,
    pub clients: Vec<ClientP>,
    pub edges: Vec<EdgeP>,
    pub network: NetworkP,
    pub faults: Vec<FaultP>,
    pub balancers: Vec<BalancerP>,
    pub caches: Vec<CacheP>,
    /// Which endpoints each service serves (for metrics/UI).
    pub service_consumers: Vec<Vec<ConsumerId>>,
}

/// Ordered link key: the unordered pair as (smaller, larger).
pub(crate) fn link_key(a: u32, b: u32) -> (u32, u32) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

pub(crate) fn validate(world: &World) -> Result<(), WorldError> {
    compile(world).map(|_| ())
}

/// A world that passed validation, compiled once: what `Sim::start` runs, as many times as
/// wanted (a Reset, a new seed) without compiling it again.
#[derive(Clone, Debug)]
pub struct CheckedWorld {
    pub(crate) prog: Program,
    pub(crate) run: RunSettings,
}

impl CheckedWorld {
    /// Validate and compile `world`.
    pub fn new(world: &World) -> Result<CheckedWorld, WorldError> {
        Ok(CheckedWorld {
            prog: compile(world)?,
            run: world.run.clone(),
        })
    }

    /// The run settings it was compiled with (duration, budget, tracing).
    pub fn run(&self) -> &RunSettings {
        &self.run
    }

    /// The same world run for `d` (the compiled tables do not depend on the duration).
    pub fn with_duration(mut self, d: SimTime) -> CheckedWorld {
        self.run.duration = d;
        self
    }

    /// The same world with another pending-work limit (see `RunSettings::pending_limit`).
    pub fn with_pending_limit(mut self, n: u64) -> CheckedWorld {
        self.run.pending_limit = n;
        self
    }
}

fn route_text(r: &Route) -> String {
    match r {
        Route::Rest { method, path } => format!("{} {}", method.as_str(), path),
        Route::Rpc { method } => method.clone(),
    }
}

fn target_route(t: &Target) -> Route {
    match t {
        Target::Rest { method, path, .. } => Route::Rest {
            method: *method,
            path: path.clone(),
        },
        Target::Rpc { method, .. } => Route::Rpc {
            method: method.clone(),
        },
    }
}

fn check_prob(p: f64, at: &str, what: &str) -> Result<(), WorldError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(WorldError::Invalid {
            at: at.to_string(),
            problem: format!("{what} must be between 0 and 1 (got {p})"),
        })
    }
}

fn check_dist(d: &Dist, at: &str) -> Result<(), WorldError> {
    match d.problem() {
        None => Ok(()),
        Some(p) => Err(WorldError::Invalid {
            at: at.to_string(),
            problem: p.to_string(),
        }),
    }
}

fn check_status(s: &Status, at: &str) -> Result<(), WorldError> {
    match *s {
        Status::Http(c) if !(100..=599).contains(&c) => Err(WorldError::Invalid {
            at: at.to_string(),
            problem: format!("HTTP status {c} is outside 100..=599"),
        }),
        Status::Http(_) | Status::Grpc(_) => Ok(()),
    }
}

fn invalid(at: &str, problem: impl Into<String>) -> WorldError {
    WorldError::Invalid {
        at: at.to_string(),
        problem: problem.into(),
    }
}

fn to_u32(n: usize, what: &'static str) -> Result<u32, WorldError> {
    u32::try_from(n)
        .ok()
        .filter(|&v| v < u32::MAX - 1)
        .ok_or(WorldError::TooLarge { what })
}

struct Compiler<'w> {
    world: &'w World,
    prog: Program,
    name_ids: BTreeMap<String, NameId>,
    node_ids: BTreeMap<String, NodeId>,
    endpoint_ids: BTreeMap<(u32, Route), u32>,
    queue_ids: BTreeMap<String, u32>,
    topic_ids: BTreeMap<String, u32>,
    /// (topic index, subscription name) → mailbox index.
    sub_ids: BTreeMap<(u32, String), u32>,
    /// Service name → its replicas (one for a service that is not replicated); and each
    /// replica's own name (`orders#2`) → itself.
    service_ids: BTreeMap<String, Vec<u32>>,
    /// Replicated service name → its replicas' nodes (their names are nodes; its own is not).
    groups: BTreeMap<String, Vec<u32>>,
    /// Per compiled service (replica): the world service it copies.
    origin: Vec<usize>,
    /// Breaker edge key (caller node, endpoint) → declared policy (first wins).
    edge_policies: BTreeMap<(u32, u32), BreakerPolicy>,
    /// Call spec → its edge key.
    call_edges: Vec<(u32, u32)>,
}

pub(crate) fn compile(world: &World) -> Result<Program, WorldError> {
    let mut c = Compiler {
        world,
        prog: Program {
            nodes: Vec::new(),
            names: vec![String::new()],
            services: Vec::new(),
            endpoints: Vec::new(),
            consumers: Vec::new(),
            steps: Vec::new(),
            calls: Vec::new(),
            attrs: Vec::new(),
            mailboxes: Vec::new(),
            topics: Vec::new(),
            clients: Vec::new(),
            edges: Vec::new(),
            network: NetworkP {
                latency: world.network.latency,
                loss: world.network.loss,
                links: BTreeMap::new(),
            },
            faults: Vec::new(),
            balancers: Vec::new(),
            caches: Vec::new(),
            service_consumers: Vec::new(),
        },
        name_ids: BTreeMap::new(),
        node_ids: BTreeMap::new(),
        endpoint_ids: BTreeMap::new(),
        queue_ids: BTreeMap::new(),
        topic_ids: BTreeMap::new(),
        sub_ids: BTreeMap::new(),
        service_ids: BTreeMap::new(),
        groups: BTreeMap::new(),
        origin: Vec::new(),
        edge_policies: BTreeMap::new(),
        call_edges: Vec::new(),
    };
    c.name_ids.insert(String::new(), NameId::EMPTY);
    c.declare_nodes()?;
    c.declare_endpoints()?;
    c.compile_mailboxes()?;
    c.compile_caches()?;
    c.compile_handlers()?;
    c.compile_clients()?;
    c.compile_network()?;
    c.compile_faults()?;
    c.resolve_edges()?;
    Ok(c.prog)
}

impl<'w> Compiler<'w> {
    fn intern(&mut self, s: &str) -> Result<NameId, WorldError> {
        if let Some(&id) = self.name_ids.get(s) {
            return Ok(id);
        }
        let id = NameId(to_u32(self.prog.names.len(), "names")?);
        self.prog.names.push(s.to_string());
        self.name_ids.insert(s.to_string(), id);
        Ok(id)
    }

    fn add_node(&mut self, name: &str, kind: NodeKind, index: usize) -> Result<NodeId, WorldError> {
        if name.is_empty() {
            let what = match kind {
                NodeKind::Service => "service",
                NodeKind::Queue => "queue",
                NodeKind::Topic => "topic",
                NodeKind::Subscription => "subscription",
                NodeKind::Client => "client",
            };
            return Err(WorldError::EmptyName { what });
        }
        if self.node_ids.contains_key(name) || self.groups.contains_key(name) {
            return Err(WorldError::DuplicateName {
                name: name.to_string(),
            });
        }
        let id = NodeId(to_u32(self.prog.nodes.len(), "nodes")?);
        self.prog.nodes.push(NodeInfo {
            name: name.to_string(),
            kind,
            index: to_u32(index, "nodes")?,
        });
        self.node_ids.insert(name.to_string(), id);
        Ok(id)
    }

    fn declare_nodes(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for (i, s) in w.services.iter().enumerate() {
            let at = format!("service {}", s.name);
            if s.workers == 0 {
                return Err(invalid(&at, "workers must be at least 1"));
            }
            if s.replicas == 0 || s.replicas > MAX_REPLICAS {
                return Err(invalid(
                    &at,
                    format!("replicas must be from 1 to {MAX_REPLICAS}"),
                ));
            }
            check_dist(&s.service_time, &at)?;
            if let Some(o) = &s.outlier {
                if o.consecutive == 0 {
                    return Err(invalid(&at, "outlier ejection needs at least 1 error"));
                }
                if !(o.max_percent > 0.0 && o.max_percent <= 1.0) {
                    return Err(invalid(
                        &at,
                        "the most replicas ejected must be in (0%, 100%]",
                    ));
                }
            }
            if s.name.is_empty() {
                return Err(WorldError::EmptyName { what: "service" });
            }
            let rate_limit = match s.rate_limit {
                None => None,
                Some(r) => {
                    if !(r.per_second > 0.0 && r.per_second <= MAX_RATE_LIMIT) {
                        return Err(invalid(
                            &at,
                            "a rate limit must be above 0/s and at most 1000000/s",
                        ));
                    }
                    if r.burst == 0 || r.burst > MAX_BURST {
                        return Err(invalid(
                            &at,
                            format!("a rate limit's burst must be from 1 to {MAX_BURST}"),
                        ));
                    }
                    // Rates are exact to 0.001 a minute; the product is exact in an f64.
                    let per_minute_milli = (r.per_second * 60_000.0).round().max(1.0) as u64;
                    Some(TokenBucket {
                        per_minute_milli,
                        cap: u64::from(r.burst) * TokenBucket::UNIT,
                        per_caller: r.per_caller,
                    })
                }
            };
            if s.shed_after == Some(SimTime::ZERO) {
                return Err(invalid(&at, "shed-after must be greater than zero"));
            }
            let slowdown = match s.slowdown {
                None => None,
                Some(u) => {
                    let share = |x: f64| (0.0..=1.0).contains(&x).then(|| (x * 1e6).round() as u64);
                    match (share(u.contention), share(u.coherence)) {
                        (Some(a), Some(b)) => Some((a, b)),
                        _ => {
                            return Err(invalid(
                                &at,
                                "contention and coherence must be shares from 0 to 1",
                            ))
                        }
                    }
                }
            };
            let replicated = s.replicas > 1;
            if replicated
                && (self.node_ids.contains_key(&s.name) || self.groups.contains_key(&s.name))
            {
                return Err(WorldError::DuplicateName {
                    name: s.name.clone(),
                });
            }
            let mut members = Vec::with_capacity(s.replicas as usize);
            let mut nodes = Vec::with_capacity(s.replicas as usize);
            for r in 0..s.replicas {
                let index = self.prog.services.len();
                let name = if replicated {
                    format!("{}#{}", s.name, r + 1)
                } else {
                    s.name.clone()
                };
                let node = self.add_node(&name, NodeKind::Service, index)?;
                if replicated {
                    self.service_ids.insert(name, vec![index as u32]);
                }
                members.push(index as u32);
                nodes.push(node.0);
                self.origin.push(i);
                self.prog.services.push(ServiceP {
                    node,
                    workers: s.workers,
                    backlog: s.backlog,
                    rate_limit,
                    shed_after: s.shed_after.unwrap_or(SimTime::MAX),
                    lifo_above: s.lifo_above.unwrap_or(u32::MAX),
                    slowdown,
                });
                self.prog.service_consumers.push(Vec::new());
            }
            if replicated {
                self.groups.insert(s.name.clone(), nodes);
                let name = self.intern(&s.name)?;
                self.prog.balancers.push(BalancerP {
                    name,
                    policy: s.balancer,
                    outlier: s.outlier,
                    replicas: members.iter().map(|&m| Id::new(m)).collect(),
                });
            }
            self.service_ids.insert(s.name.clone(), members);
        }
        for (i, q) in w.queues.iter().enumerate() {
            self.add_node(&q.name, NodeKind::Queue, i)?;
            self.queue_ids.insert(q.name.clone(), to_u32(i, "queues")?);
        }
        for (i, t) in w.topics.iter().enumerate() {
            self.add_node(&t.name, NodeKind::Topic, i)?;
            self.topic_ids.insert(t.name.clone(), to_u32(i, "topics")?);
        }
        let mut sub_index = 0usize;
        for t in w.topics.iter() {
            for s in t.subscriptions.iter() {
                if s.name.is_empty() {
                    return Err(WorldError::EmptyName {
                        what: "subscription",
                    });
                }
                self.add_node(
                    &format!("{}/{}", t.name, s.name),
                    NodeKind::Subscription,
                    sub_index,
                )?;
                sub_index += 1;
            }
        }
        for (i, c) in w.clients.iter().enumerate() {
            self.add_node(&c.name, NodeKind::Client, i)?;
        }
        Ok(())
    }

    fn declare_endpoints(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for si in 0..self.prog.services.len() {
            let s = &w.services[self.origin[si]];
            for e in s.endpoints.iter() {
                let key = (si as u32, e.route.clone());
                let text = route_text(&e.route);
                if self.endpoint_ids.contains_key(&key) {
                    return Err(WorldError::DuplicateEndpoint {
                        service: s.name.clone(),
                        route: text,
                    });
                }
                let name = self.intern(&text)?;
                let id = to_u32(self.prog.endpoints.len(), "endpoints")?;
                self.endpoint_ids.insert(key, id);
                self.prog.endpoints.push(EndpointP {
                    service: Id::new(si as u32),
                    node: self.prog.services[si].node,
                    name,
                    protocol: if matches!(e.route, Route::Rpc { .. }) {
                        Protocol::Grpc
                    } else {
                        Protocol::Rest
                    },
                    steps: (0, 0),
                    dedupe: e.dedupe,
                });
            }
        }
        Ok(())
    }

    fn queue_ref(&self, name: &str, at: &str) -> Result<MailboxId, WorldError> {
        self.queue_ids
            .get(name)
            .copied()
            .map(Id::new)
            .ok_or_else(|| WorldError::UnknownQueue {
                name: name.to_string(),
                at: at.to_string(),
            })
    }

    fn node_ref(&self, name: &str, at: &str) -> Result<u32, WorldError> {
        self.node_ids
            .get(name)
            .map(|n| n.0)
            .ok_or_else(|| WorldError::UnknownNode {
                name: name.to_string(),
                at: at.to_string(),
            })
    }

    /// A service's replicas (the one service if it is not replicated; one replica by its own
    /// name, `orders#2`).
    fn service_ref(&self, name: &str, at: &str) -> Result<&[u32], WorldError> {
        self.service_ids
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| WorldError::UnknownService {
                name: name.to_string(),
                at: at.to_string(),
            })
    }

    /// The nodes a name stands for: a replicated service's replicas, or the one node.
    fn nodes_ref(&self, name: &str, at: &str) -> Result<Vec<u32>, WorldError> {
        match self.groups.get(name) {
            Some(nodes) => Ok(nodes.clone()),
            None => Ok(vec![self.node_ref(name, at)?]),
        }
    }

    fn compile_mailboxes(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for q in w.queues.iter() {
            let at = format!("queue {}", q.name);
            let dlq = match &q.dlq {
                Some(d) => {
                    let i = self.queue_ref(d, &at)?;
                    if d == &q.name {
                        return Err(invalid(&at, "a queue cannot be its own dead-letter queue"));
                    }
                    Some(i)
                }
                None => None,
            };
            if q.max_attempts == Some(0) {
                return Err(invalid(&at, "max-attempts must be at least 1"));
            }
            let node = NodeId(self.node_ref(&q.name, &at)?);
            let name = self.intern(&q.name)?;
            self.prog.mailboxes.push(MailboxP {
                node,
                name,
                is_subscription: false,
                capacity: q.capacity,
                overflow: q.overflow,
                visibility: q.visibility,
                max_attempts: q.max_attempts.unwrap_or(u32::MAX),
                dlq,
                filter: None,
                consumers: Vec::new(),
                confirms: q.confirms,
            });
        }
        for (ti, t) in w.topics.iter().enumerate() {
            let tnode = NodeId(self.node_ref(&t.name, "topic")?);
            let tname = self.intern(&t.name)?;
            let mut subs = Vec::new();
            for s in t.subscriptions.iter() {
                let full = format!("{}/{}", t.name, s.name);
                let at = format!("subscription {full}");
                let dlq = match &s.dlq {
                    Some(d) => Some(self.queue_ref(d, &at)?),
                    None => None,
                };
                if s.max_attempts == Some(0) {
                    return Err(invalid(&at, "max-attempts must be at least 1"));
                }
                let filter = match &s.filter {
                    Some(f) => Some((self.intern(&f.key)?, self.intern(&f.value)?)),
                    None => None,
                };
                let node = NodeId(self.node_ref(&full, &at)?);
                let name = self.intern(&full)?;
                let idx = to_u32(self.prog.mailboxes.len(), "subscriptions")?;
                self.sub_ids.insert((ti as u32, s.name.clone()), idx);
                subs.push(Id::new(idx));
                self.prog.mailboxes.push(MailboxP {
                    node,
                    name,
                    is_subscription: true,
                    capacity: s.capacity,
                    overflow: s.overflow,
                    visibility: s.ack_deadline,
                    max_attempts: s.max_attempts.unwrap_or(u32::MAX),
                    dlq,
                    filter,
                    consumers: Vec::new(),
                    confirms: t.confirms,
                });
            }
            self.prog.topics.push(TopicP {
                node: tnode,
                name: tname,
                subscriptions: subs,
                confirms: t.confirms,
            });
        }
        Ok(())
    }

    fn compile_call(
        &mut self,
        call: &Call,
        caller: NodeId,
        at: &str,
    ) -> Result<CallId, WorldError> {
        let svc_name = call.target.service();
        let members = self.service_ref(svc_name, at)?.to_vec();
        let route = target_route(&call.target);
        let mut targets = Vec::with_capacity(members.len());
        for &svc in &members {
            let endpoint = *self
                .endpoint_ids
                .get(&(svc, route.clone()))
                .ok_or_else(|| WorldError::UnknownEndpoint {
                    service: svc_name.to_string(),
                    route: route_text(&route),
                    at: at.to_string(),
                })?;
            targets.push(Id::new(endpoint));
        }
        let endpoint = targets[0].raw();
        // A call names a whole replicated service (its balancer), never one replica.
        let balancer = if self.groups.contains_key(svc_name) {
            let first = Id::new(members[0]);
            let b = self
                .prog
                .balancers
                .iter()
                .position(|b| b.replicas[0] == first)
                .expect("every replicated service has a balancer");
            Some(Id::new(b as u32))
        } else {
            if members.len() == 1
                && self.world.services[self.origin[members[0] as usize]].replicas > 1
            {
                return Err(invalid(
                    at,
                    "call the replicated service by its own name, not one replica",
                ));
            }
            targets.clear();
            None
        };
        let retry = match call.retry {
            Some(r) => {
                if r.max_attempts == 0 {
                    return Err(invalid(at, "retry max attempts must be at least 1"));
                }
                if !(r.multiplier.is_finite() && r.multiplier >= 0.0) {
                    return Err(invalid(
                        at,
                        "backoff multiplier must be a finite number >= 0",
                    ));
                }
                check_prob(r.jitter, at, "jitter")?;
                r
            }
            None => RetryPolicy {
                max_attempts: 1,
                base: SimTime::ZERO,
                multiplier: 1.0,
                max_backoff: SimTime::ZERO,
                jitter: 0.0,
            },
        };
        if call.retry.is_some() && call.hedge.is_some() {
            return Err(invalid(
                at,
                "a call has a retry policy or a hedging policy, not both",
            ));
        }
        let hedge = match call.hedge {
            Some(h) => {
                if !(2..=5).contains(&h.max_attempts) {
                    return Err(invalid(at, "hedging max attempts must be 2 to 5"));
                }
                Some((h.max_attempts as u16, h.delay))
            }
            None => None,
        };
        let budget = match call.retry_budget {
            Some(b) => {
                if !(1..=1000).contains(&b.max_tokens) {
                    return Err(invalid(at, "retry budget max tokens must be 1 to 1000"));
                }
                if !(b.token_ratio.is_finite() && b.token_ratio > 0.0 && b.token_ratio <= 1.0) {
                    return Err(invalid(at, "retry budget token ratio must be in (0, 1]"));
                }
                // gRPC keeps three decimals of `tokenRatio`.
                let ratio_milli = libm::round(b.token_ratio * 1000.0) as u32;
                if ratio_milli == 0 {
                    return Err(invalid(
                        at,
                        "retry budget token ratio must be at least 0.001",
                    ));
                }
                Some(BudgetP {
                    max_milli: b.max_tokens * 1000,
                    ratio_milli,
                })
            }
            None => None,
        };
        if let Some(b) = call.breaker {
            if !(b.failure_ratio > 0.0 && b.failure_ratio <= 1.0) {
                return Err(invalid(at, "breaker failure ratio must be in (0, 1]"));
            }
            if b.half_open_probes == 0 {
                return Err(invalid(at, "breaker needs at least one half-open probe"));
            }
        }
        let ep = &self.prog.endpoints[endpoint as usize];
        let rest = ep.protocol == Protocol::Rest;
        if !rest && (call.idempotent || call.idempotency_key) {
            return Err(invalid(
                at,
                "`idempotent` and idempotency keys are for REST calls",
            ));
        }
        let retry_on: Box<[Status]> = match &call.retry_on {
            Some(list) => {
                for &s in list {
                    if ep.protocol.in_family(s) != s {
                        return Err(invalid(
                            at,
                            "retry-on statuses must be of the call's protocol",
                        ));
                    }
                }
                list.clone().into_boxed_slice()
            }
            None => ep.protocol.default_retry_on().into(),
        };
        let idempotent_method = match &call.target {
            Target::Rest { method, .. } => method.is_idempotent(),
            Target::Rpc { .. } => true,
        };
        let repeatable = idempotent_method || call.idempotent || call.idempotency_key;
        if hedge.is_some() && !repeatable {
            return Err(invalid(
                at,
                "hedging sends the request more than once: a REST POST or PATCH must be idempotent",
            ));
        }
        if let Some(p) = call.pool {
            if p.size == 0 || p.wait == SimTime::ZERO {
                return Err(invalid(
                    at,
                    "a pool needs at least one connection and a wait above zero",
                ));
            }
            if hedge.is_some() || call.cache.is_some() {
                return Err(invalid(
                    at,
                    "a pooled call cannot be hedged or read through a cache",
                ));
            }
        }
        let spec = CallSpec {
            endpoint: Id::new(endpoint),
            caller,
            callee: ep.node,
            protocol: ep.protocol,
            name: ep.name,
            timeout: call.timeout.unwrap_or(SimTime::MAX),
            attempt_timeout: call.attempt_timeout.unwrap_or(SimTime::MAX),
            retry,
            retry_on,
            repeatable,
            key: call.idempotency_key,
            edge: None,
            on_error: call.on_error,
            balancer,
            targets: targets.into_boxed_slice(),
            cache: match &call.cache {
                Some(name) => Some(self.cache_ref(name, at)?),
                None => None,
            },
            plain: balancer.is_none()
                && call.cache.is_none()
                && budget.is_none()
                && hedge.is_none()
                && call.pool.is_none(),
            budget,
            hedge,
            pool: call.pool.map(|p| (p.size, p.wait)),
        };
        let key = (caller.0, endpoint);
        if let Some(b) = call.breaker {
            self.edge_policies.entry(key).or_insert(b);
        }
        let id = to_u32(self.prog.calls.len(), "calls")?;
        self.prog.calls.push(spec);
        self.call_edges.push(key);
        Ok(Id::new(id))
    }

    fn compile_handler(
        &mut self,
        h: &Handler,
        service: usize,
        consumer: bool,
        at: &str,
    ) -> Result<StepRange, WorldError> {
        let default_time = self.world.services[self.origin[service]].service_time;
        let caller = self.prog.services[service].node;
        let mut out = Vec::with_capacity(h.steps.len());
        for (i, step) in h.steps.iter().enumerate() {
            let at = format!("{at}, step {}", i + 1);
            let s = match step {
                Step::Work { time } => {
                    let d = time.unwrap_or(default_time);
                    check_dist(&d, &at)?;
                    StepP::Work(d)
                }
                Step::Call(c) => StepP::Call(self.compile_call(c, caller, &at)?),
                Step::Parallel(calls) => {
                    let first = to_u32(self.prog.calls.len(), "calls")?;
                    for c in calls {
                        self.compile_call(c, caller, &at)?;
                    }
                    StepP::Parallel {
                        first,
                        count: to_u32(calls.len(), "calls")?,
                    }
                }
                Step::Publish {
                    topic,
                    message,
                    attributes,
                } => {
                    let t = *self
                        .topic_ids
                        .get(topic)
                        .ok_or_else(|| WorldError::UnknownTopic {
                            name: topic.clone(),
                            at: at.clone(),
                        })?;
                    let mut attrs = Vec::with_capacity(attributes.len());
                    for (k, v) in attributes {
                        attrs.push((self.intern(k)?, self.intern(v)?));
                    }
                    let a = to_u32(self.prog.attrs.len(), "attribute sets")?;
                    self.prog.attrs.push(attrs);
                    StepP::Publish {
                        topic: Id::new(t),
                        label: self.intern(message)?,
                        attrs: a,
                    }
                }
                Step::Enqueue { queue, message } => StepP::Enqueue {
                    mailbox: self.queue_ref(queue, &at)?,
                    label: self.intern(message)?,
                },
                Step::Reply(st) => {
                    check_status(st, &at)?;
                    StepP::Reply(*st)
                }
                Step::RetryAfter(_) if consumer => {
                    return Err(invalid(
                        &at,
                        "a consumer sends no reply to carry `retry-after`",
                    ));
                }
                Step::RetryAfter(d) => StepP::RetryAfter(*d),
                Step::Fail {
                    probability,
                    status,
                } => {
                    check_prob(*probability, &at, "failure probability")?;
                    if let Some(st) = status {
                        check_status(st, &at)?;
                    }
                    StepP::Fail {
                        p: *probability,
                        status: *status,
                    }
                }
                Step::Ack | Step::Nack if !consumer => {
                    return Err(WorldError::AckOutsideConsumer { at });
                }
                Step::Ack => StepP::Ack,
                Step::Nack => StepP::Nack,
            };
            out.push(s);
        }
        let start = to_u32(self.prog.steps.len(), "steps")?;
        self.prog.steps.extend(out);
        let end = to_u32(self.prog.steps.len(), "steps")?;
        Ok((start, end))
    }

    fn compile_handlers(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        let mut ep = 0usize;
        for si in 0..self.prog.services.len() {
            let s = &w.services[self.origin[si]];
            for e in s.endpoints.iter() {
                let at = format!("service {}, {}", s.name, route_text(&e.route));
                let range = self.compile_handler(&e.handler, si, false, &at)?;
                self.prog.endpoints[ep].steps = range;
                ep += 1;
            }
            for c in s.consumers.iter() {
                let (mailbox, what) = match &c.source {
                    Source::Queue(q) => {
                        let at = format!("service {}, consumer of {q}", s.name);
                        (self.queue_ref(q, &at)?, q.clone())
                    }
                    Source::Subscription {
                        topic,
                        subscription,
                    } => {
                        let at = format!("service {}, subscriber of {topic}", s.name);
                        let t =
                            *self
                                .topic_ids
                                .get(topic)
                                .ok_or_else(|| WorldError::UnknownTopic {
                                    name: topic.clone(),
                                    at: at.clone(),
                                })?;
                        let m = *self
                            .sub_ids
                            .get(&(t, subscription.clone()))
                            .ok_or_else(|| WorldError::UnknownSubscription {
                                topic: topic.clone(),
                                subscription: subscription.clone(),
                                at,
                            })?;
                        (Id::new(m), format!("{topic}/{subscription}"))
                    }
                };
                let at = format!("service {}, consumer of {what}", s.name);
                if c.concurrency == 0 {
                    return Err(invalid(&at, "consumer concurrency must be at least 1"));
                }
                let steps = self.compile_handler(&c.handler, si, true, &at)?;
                let id = to_u32(self.prog.consumers.len(), "consumers")?;
                self.prog.consumers.push(ConsumerP {
                    service: Id::new(si as u32),
                    node: self.prog.services[si].node,
                    mailbox,
                    concurrency: c.concurrency,
                    steps,
                    max_extension: c.max_extension.unwrap_or(
                        if self.prog.mailboxes[mailbox].is_subscription {
                            // Pub/Sub client libraries extend leases up to an hour by default.
                            SimTime::from_secs(3600)
                        } else {
                            SimTime::ZERO
                        },
                    ),
                });
                self.prog.mailboxes[mailbox].consumers.push(Id::new(id));
                self.prog.service_consumers[si].push(Id::new(id));
            }
        }
        Ok(())
    }

    fn cache_ref(&self, name: &str, at: &str) -> Result<CacheId, WorldError> {
        self.world
            .caches
            .iter()
            .position(|c| c.name == name)
            .map(|i| Id::new(i as u32))
            .ok_or_else(|| invalid(at, format!("no cache named `{name}`")))
    }

    /// Caches, before the handlers whose calls name them. A cache is not a node, but its name
    /// is taken from the one set of names.
    fn compile_caches(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for (i, c) in w.caches.iter().enumerate() {
            let at = format!("cache {}", c.name);
            if c.name.is_empty() {
                return Err(WorldError::EmptyName { what: "cache" });
            }
            if self.node_ids.contains_key(&c.name)
                || self.groups.contains_key(&c.name)
                || w.caches[..i].iter().any(|d| d.name == c.name)
            {
                return Err(WorldError::DuplicateName {
                    name: c.name.clone(),
                });
            }
            if c.capacity == 0 {
                return Err(invalid(&at, "capacity must be at least 1"));
            }
            if c.ttl == Some(SimTime::ZERO) {
                return Err(invalid(&at, "ttl must be more than zero"));
            }
            let n = match c.keys {
                Keys::Uniform { n } => n,
                Keys::Zipf { n, s } => {
                    if !(s.is_finite() && s > 0.0 && s <= 10.0) {
                        return Err(invalid(&at, "the Zipf exponent must be in (0, 10]"));
                    }
                    n
                }
            };
            if n == 0 || n > MAX_KEYS {
                return Err(invalid(&at, format!("keys must be from 1 to {MAX_KEYS}")));
            }
            let name = self.intern(&c.name)?;
            self.prog.caches.push(CacheP {
                name,
                capacity: c.capacity,
                ttl: c.ttl.unwrap_or(SimTime::MAX),
                keys: c.keys,
                coalesce: c.coalesce,
            });
        }
        Ok(())
    }

    fn compile_clients(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for c in w.clients.iter() {
            let at = format!("client {}", c.name);
            if !(c.rate.is_finite() && c.rate >= 0.0) {
                return Err(invalid(&at, "rate must be a finite number >= 0"));
            }
            let node = NodeId(self.node_ref(&c.name, &at)?);
            let call = self.compile_call(&c.call, node, &at)?;
            let mut bursts = c.bursts.clone();
            bursts.sort_by_key(|b| b.at);
            if let Some(r) = &c.ramp {
                if !(r.to.is_finite() && r.to >= 0.0) {
                    return Err(invalid(&at, "a ramp's rate must be a finite number >= 0"));
                }
                if r.over == SimTime::ZERO {
                    return Err(invalid(&at, "a ramp must last longer than zero"));
                }
            }
            if let Some(u) = &c.users {
                if u.count == 0 {
                    return Err(invalid(&at, "a client of users needs at least one user"));
                }
                if c.rate != 0.0 || c.ramp.is_some() {
                    return Err(invalid(
                        &at,
                        "a client has either a rate or users, not both",
                    ));
                }
                check_dist(&u.think, &at)?;
                let mean = u.think.mean_micros();
                if mean.is_nan() || mean <= 0.0 {
                    return Err(invalid(
                        &at,
                        "think time must have a mean greater than zero",
                    ));
                }
            }
            self.prog.clients.push(ClientP {
                node,
                call,
                rate: c.rate,
                arrival: c.arrival,
                start: c.start,
                stop: c.stop.unwrap_or(SimTime::MAX),
                bursts,
                ramp: c.ramp.map(|r| (r.to, r.over.as_secs_f64())),
                users: c.users.map_or(0, |u| u.count),
                think: c.users.map_or(Dist::ZERO, |u| u.think),
            });
        }
        Ok(())
    }

    fn compile_network(&mut self) -> Result<(), WorldError> {
        let n = &self.world.network;
        check_dist(&n.latency, "network")?;
        check_prob(n.loss, "network", "loss")?;
        for l in n.links.iter() {
            let at = format!("link {} <-> {}", l.a, l.b);
            let sa = self.nodes_ref(&l.a, &at)?;
            let sb = self.nodes_ref(&l.b, &at)?;
            if let Some(d) = &l.latency {
                check_dist(d, &at)?;
            }
            if let Some(p) = l.loss {
                check_prob(p, &at, "loss")?;
            }
            for &a in &sa {
                for &b in &sb {
                    let entry = self
                        .prog
                        .network
                        .links
                        .entry(link_key(a, b))
                        .or_insert(LinkP {
                            latency: n.latency,
                            loss: n.loss,
                        });
                    if let Some(d) = l.latency {
                        entry.latency = d;
                    }
                    if let Some(p) = l.loss {
                        entry.loss = p;
                    }
                }
            }
        }
        Ok(())
    }

    /// The links a selector names: `[None]` for every link, else each pair of nodes (a
    /// replicated service's end stands for each replica).
    fn link_sel(&self, l: &LinkSelector, at: &str) -> Result<Vec<Option<(u32, u32)>>, WorldError> {
        match l {
            LinkSelector::All => Ok(vec![None]),
            LinkSelector::Between(a, b) => {
                let sb = self.nodes_ref(b, at)?;
                let mut out = Vec::new();
                for x in self.nodes_ref(a, at)? {
                    for &y in &sb {
                        out.push(Some(link_key(x, y)));
                    }
                }
                Ok(out)
            }
        }
    }

    fn compile_faults(&mut self) -> Result<(), WorldError> {
        let w = self.world;
        for (i, f) in w.faults.iter().enumerate() {
            let at = format!("fault {}", i + 1);
            let sel_text = |l: &LinkSelector| match l {
                LinkSelector::All => "all".to_string(),
                LinkSelector::Between(a, b) => format!("{a} <-> {b}"),
            };
            // A fault on a replicated service is one fault per replica, each named for it.
            let per_service = |c: &Self, service: &str| -> Result<Vec<(u32, String)>, WorldError> {
                let members = c.service_ref(service, &at)?;
                Ok(members
                    .iter()
                    .map(|&m| {
                        let name = &c.prog.nodes[c.prog.services[m as usize].node.0 as usize].name;
                        (m, name.clone())
                    })
                    .collect())
            };
            let mut out: Vec<(FaultKindP, String)> = Vec::new();
            match &f.kind {
                FaultKind::Crash { service, vanish } => {
                    for (m, name) in per_service(self, service)? {
                        out.push((
                            FaultKindP::Crash(Id::new(m), *vanish),
                            format!("{} {name}", if *vanish { "vanish" } else { "crash" }),
                        ));
                    }
                }
                FaultKind::LatencySpike { link, extra } => {
                    for l in self.link_sel(link, &at)? {
                        out.push((
                            FaultKindP::LatencySpike {
                                link: l,
                                extra: *extra,
                            },
                            format!("latency +{} {}", extra, sel_text(link)),
                        ));
                    }
                }
                FaultKind::ErrorSpike {
                    service,
                    probability,
                } => {
                    check_prob(*probability, &at, "error probability")?;
                    for (m, name) in per_service(self, service)? {
                        out.push((
                            FaultKindP::ErrorSpike {
                                service: Id::new(m),
                                p: *probability,
                            },
                            format!("errors {name} {probability}"),
                        ));
                    }
                }
                FaultKind::Partition { a, b } => {
                    if a.is_empty() || b.is_empty() {
                        return Err(invalid(&at, "both sides of a partition need a node"));
                    }
                    let mut sa = Vec::new();
                    for n in a {
                        sa.extend(self.nodes_ref(n, &at)?);
                    }
                    let mut sb = Vec::new();
                    for n in b {
                        sb.extend(self.nodes_ref(n, &at)?);
                    }
                    sa.sort_unstable();
                    sb.sort_unstable();
                    out.push((
                        FaultKindP::Partition { a: sa, b: sb },
                        format!("partition {} <-> {}", a.join(","), b.join(",")),
                    ));
                }
                FaultKind::Flush { cache } => {
                    out.push((
                        FaultKindP::Flush(self.cache_ref(cache, &at)?),
                        format!("flush {cache}"),
                    ));
                }
                FaultKind::Loss { link, probability } => {
                    check_prob(*probability, &at, "loss")?;
                    for l in self.link_sel(link, &at)? {
                        out.push((
                            FaultKindP::Loss {
                                link: l,
                                p: *probability,
                            },
                            format!("loss {} {}", probability, sel_text(link)),
                        ));
                    }
                }
            }
            for (kind, text) in out {
                let text = self.intern(&text)?;
                self.prog.faults.push(FaultP {
                    at: f.at,
                    end: f.at + f.duration,
                    kind,
                    text,
                });
            }
        }
        Ok(())
    }

    fn resolve_edges(&mut self) -> Result<(), WorldError> {
        let mut edge_of: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for (ci, key) in self.call_edges.iter().enumerate() {
            let Some(policy) = self.edge_policies.get(key) else {
                continue;
            };
            let next = to_u32(self.prog.edges.len(), "breaker edges")?;
            let edge = *edge_of.entry(*key).or_insert(next);
            if edge == next {
                let ep = &self.prog.endpoints[key.1 as usize];
                self.prog.edges.push(EdgeP {
                    from: NodeId(key.0),
                    to: ep.node,
                    name: ep.name,
                    policy: *policy,
                });
            }
            self.prog.calls[ci].edge = Some(Id::new(edge));
        }
        Ok(())
    }
}
