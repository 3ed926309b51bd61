//! The world model: plain data describing everything a run simulates (services and their
//! handlers, queues, topics and subscriptions, clients, network, fault schedule, run settings),
//! with a chainable typed builder. Names are `String`s here; the engine interns them.
//!
//! This is the contract the scenario language lowers into. Public names are stable: fields and
//! variants may be added, never renamed or removed.
//!
//! ```text
//! World
//! ├── services ── endpoints (REST `POST /x` | RPC `Method`) ── Handler = [Step]
//! │            └─ consumers (queue | subscription)          ── Handler = [Step]
//! ├── queues, topics ── subscriptions
//! ├── clients (rate, constant | poisson, ramp | users + think, bursts) ── Call
//! ├── network (default latency + loss, per-link overrides)
//! ├── faults (at t for d: crash | latency spike | error spike | partition | loss)
//! └── run (duration, event budget, tracing)
//! ```
//!
//! One concept in one file, over 800 lines: every type a world is made of, with its builder
//! methods and docs next to it (the public API of the engine reads as one page).

use crate::sim::dist::Dist;
use crate::sim::time::SimTime;
use serde::{Deserialize, Serialize};

/// Everything a simulation run needs except the seed. Build it with the chainable methods
/// (`World::new().service(..).queue(..)`) or fill the public fields directly.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// Services, each with endpoints (REST/RPC handlers) and message consumers.
    pub services: Vec<Service>,
    /// Point-to-point queues.
    pub queues: Vec<Queue>,
    /// Pub/sub topics with their subscriptions.
    pub topics: Vec<Topic>,
    /// Load generators.
    pub clients: Vec<Client>,
    /// Default link behaviour and per-link overrides.
    pub network: Network,
    /// Scheduled faults.
    pub faults: Vec<Fault>,
    /// Read-through caches that calls may go through.
    #[serde(default)]
    pub caches: Vec<Cache>,
    /// Duration, event budget and tracing.
    pub run: RunSettings,
}

impl World {
    /// An empty world with default run settings.
    pub fn new() -> World {
        World::default()
    }
    /// Add a service.
    pub fn service(mut self, s: Service) -> World {
        self.services.push(s);
        self
    }
    /// Add a queue.
    pub fn queue(mut self, q: Queue) -> World {
        self.queues.push(q);
        self
    }
    /// Add a topic.
    pub fn topic(mut self, t: Topic) -> World {
        self.topics.push(t);
        self
    }
    /// Add a cache.
    pub fn cache(mut self, c: Cache) -> World {
        self.caches.push(c);
        self
    }
    /// Add a client.
    pub fn client(mut self, c: Client) -> World {
        self.clients.push(c);
        self
    }
    /// Replace the network settings.
    pub fn network(mut self, n: Network) -> World {
        self.network = n;
        self
    }
    /// Add a per-link override.
    pub fn link(mut self, l: Link) -> World {
        self.network.links.push(l);
        self
    }
    /// Schedule a fault.
    pub fn fault(mut self, f: Fault) -> World {
        self.faults.push(f);
        self
    }
    /// Set how long the run lasts.
    pub fn duration(mut self, d: SimTime) -> World {
        self.run.duration = d;
        self
    }
    /// Set the maximum number of events processed before the run stops.
    pub fn event_budget(mut self, n: u64) -> World {
        self.run.event_budget = n;
        self
    }
    /// Turn trace recording on or off (metrics are always kept).
    pub fn tracing(mut self, on: bool) -> World {
        self.run.trace = on;
        self
    }
    /// Stop once more than `n` tasks, calls and messages are pending at once (see
    /// `RunSettings::pending_limit`).
    pub fn pending_limit(mut self, n: u64) -> World {
        self.run.pending_limit = n;
        self
    }
    /// Retain only about the last `n` records (see `RunSettings::trace_limit`).
    pub fn trace_limit(mut self, n: u32) -> World {
        self.run.trace_limit = Some(n);
        self
    }
    /// Check every reference and parameter without building a simulation.
    pub fn validate(&self) -> Result<(), crate::sim::WorldError> {
        crate::sim::compile::validate(self)
    }
}

/// How long a run lasts and what it records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Events after this time are not processed; the run stops with `StopReason::Finished`.
    pub duration: SimTime,
    /// Stop with `StopReason::EventBudgetExhausted` after this many events (guards retry storms).
    pub event_budget: u64,
    /// Stop with `StopReason::PendingLimit` when more than this many tasks, calls, messages (on
    /// the wire or stored in mailboxes) and timers are pending at once: what the run holds in
    /// memory besides its trace and metrics. Guards a small scenario with a huge load (a client at a million
    /// requests a second into hour-long work) from filling memory.
    #[serde(default = "default_pending_limit")]
    pub pending_limit: u64,
    /// Record the trace (on by default). Metrics are kept either way.
    pub trace: bool,
    /// Retain at most about this many most recent records (`None`: keep every record). Older
    /// records are discarded in batches (memory stays under about twice the limit); record ids
    /// stay global — see `Trace::first_id`.
    pub trace_limit: Option<u32>,
    /// Width of one point of the metrics time series (depth/in-flight/busy over time).
    /// `None` picks `duration / 500`, at least 1 ms.
    pub series_interval: Option<SimTime>,
}

/// About 150 MB of tasks, calls, messages and timers: far above any scenario meant to be read,
/// below what a browser tab can hold. (The test suites' 10M-event retry storm holds a million at
/// 124 s and reaches the page's 3M-record trace limit before two million.)
fn default_pending_limit() -> u64 {
    2_000_000
}

impl Default for RunSettings {
    fn default() -> RunSettings {
        RunSettings {
            duration: SimTime::from_secs(60),
            event_budget: 10_000_000,
            pending_limit: default_pending_limit(),
            trace: true,
            trace_limit: None,
            series_interval: None,
        }
    }
}

/// A virtual microservice: a pool of workers in front of a bounded backlog, serving REST
/// endpoints and RPC methods, and consuming from queues and subscriptions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Unique node name (services, queues, topics and clients share one namespace).
    pub name: String,
    /// Concurrency limit for REST/RPC handlers (the bulkhead). Must be ≥ 1.
    pub workers: u32,
    /// How many requests may wait for a worker; beyond it requests are rejected with
    /// 503 / RESOURCE_EXHAUSTED. `u32::MAX` means unbounded.
    pub backlog: u32,
    /// Default duration of a `work` step in this service's handlers.
    pub service_time: Dist,
    /// REST endpoints and RPC methods with their handlers.
    pub endpoints: Vec<Endpoint>,
    /// Queue and subscription consumers running on this service.
    pub consumers: Vec<Consumer>,
    /// How many copies of the service run, each with its own workers, backlog, consumers and
    /// faults (named `name#1`, `name#2`, …; with 1 the one copy is named `name`). Calls to the
    /// service go through its load balancer. Must be ≥ 1.
    #[serde(default = "one")]
    pub replicas: u32,
    /// How the load balancer in front of the replicas picks one for each attempt.
    #[serde(default)]
    pub balancer: Balancer,
    /// Passive health checking: replicas that fail too often are taken out of the balancer
    /// for a while. `None`: never.
    #[serde(default)]
    pub outlier: Option<OutlierPolicy>,
    /// Admission by a token bucket (each replica its own, as Envoy's *local* rate limit):
    /// requests finding no token are refused at once with 429 / RESOURCE_EXHAUSTED. `None`:
    /// no limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// A request that has waited longer than this in the backlog when a worker frees is shed
    /// (answered 503 / UNAVAILABLE without being served). `None`: never.
    #[serde(default)]
    pub shed_after: Option<SimTime>,
    /// Which waiting request a freed worker takes: the oldest (FIFO) while at most this many
    /// wait, the newest (LIFO) above it; `Some(0)` is always LIFO, `None` always FIFO
    /// (adaptive LIFO as in Facebook's *Fail at Scale*).
    #[serde(default)]
    pub lifo_above: Option<u32>,
    /// Load-dependent slowdown (the Universal Scalability Law's contention and coherence):
    /// each `work` step of a request handler takes its sampled time multiplied by
    /// `1 + contention·(N−1) + coherence·N·(N−1)`, `N` the busy workers when it starts.
    /// `None`: no slowdown.
    #[serde(default)]
    pub slowdown: Option<Slowdown>,
}

/// The Universal Scalability Law's two coefficients (Gunther), as shares from 0 to 1: with `N`
/// requests in service, each one's service time is multiplied by
/// `1 + contention·(N−1) + coherence·N·(N−1)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Slowdown {
    /// α: serialisation on a shared resource (a lock, a GC pause), linear in `N`.
    pub contention: f64,
    /// β: pairwise coordination (cache-line or lock hand-offs), quadratic in `N`.
    pub coherence: f64,
}

/// A token bucket refilled continuously at `per_second` tokens a second, holding at most
/// `burst`; it starts full and each request takes one token.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Tokens added per second (> 0, at most 1,000,000).
    pub per_second: f64,
    /// Bucket size: requests that may pass at once after a quiet spell (≥ 1).
    pub burst: u32,
    /// Each calling node (a client, a replica of a calling service) has its own bucket of this
    /// size at each replica, as an Envoy local rate limit descriptor keyed on the caller's
    /// identity; `false`: one bucket for all callers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_caller: bool,
}

fn one() -> u32 {
    1
}

/// How a load balancer picks a replica for an attempt (Envoy's load-balancer types). Replicas
/// the balancer has ejected are skipped while any other is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Balancer {
    /// Each replica in turn.
    #[default]
    RoundRobin,
    /// A replica drawn uniformly at random.
    Random,
    /// The replica with the fewest requests in flight from this balancer; ties drawn at random
    /// (Envoy's least-request `FULL_SCAN`).
    LeastRequests,
    /// Two replicas drawn at random, the one with fewer requests in flight (power of two
    /// choices: Envoy's least-request default).
    PowerOfTwo,
}

impl Balancer {
    /// Every balancer, in the order the language lists them.
    pub const ALL: [Balancer; 4] = [
        Balancer::RoundRobin,
        Balancer::Random,
        Balancer::LeastRequests,
        Balancer::PowerOfTwo,
    ];
    /// The language's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Balancer::RoundRobin => "round-robin",
            Balancer::Random => "random",
            Balancer::LeastRequests => "least-requests",
            Balancer::PowerOfTwo => "p2c",
        }
    }
}

/// Outlier ejection (Envoy's `consecutive_5xx` outlier detection): after `consecutive` server
/// errors in a row from one replica (5xx, or the gRPC codes that map to them, or a refused or
/// reset connection, or an attempt timeout), the balancer stops sending to it for `base`
/// times the number of times it has been ejected; at most `max_percent` of the replicas are
/// out at once, but always at least one may be.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutlierPolicy {
    /// Errors in a row that eject a replica (≥ 1; Envoy's default is 5).
    pub consecutive: u32,
    /// Base ejection time (Envoy's default is 30 s).
    pub base: SimTime,
    /// Most replicas out at once, as a share in `(0, 1]` (Envoy's default is 10%).
    pub max_percent: f64,
}

impl Default for OutlierPolicy {
    /// Envoy's defaults: 5 errors in a row, 30 s, at most 10% (at least one replica).
    fn default() -> OutlierPolicy {
        OutlierPolicy {
            consecutive: 5,
            base: SimTime::from_secs(30),
            max_percent: 0.1,
        }
    }
}

impl Service {
    /// A service with 1 worker, an unbounded backlog, zero service time and no handlers.
    pub fn new(name: impl Into<String>) -> Service {
        Service {
            name: name.into(),
            workers: 1,
            backlog: u32::MAX,
            service_time: Dist::ZERO,
            endpoints: Vec::new(),
            consumers: Vec::new(),
            replicas: 1,
            balancer: Balancer::RoundRobin,
            outlier: None,
            rate_limit: None,
            shed_after: None,
            lifo_above: None,
            slowdown: None,
        }
    }
    /// Slow each `work` step down with the busy workers (see `Slowdown`).
    pub fn slowdown(mut self, contention: f64, coherence: f64) -> Service {
        self.slowdown = Some(Slowdown {
            contention,
            coherence,
        });
        self
    }
    /// Admit at most `per_second` requests a second, `burst` at once (see `RateLimit`).
    pub fn rate_limit(mut self, per_second: f64, burst: u32) -> Service {
        self.rate_limit = Some(RateLimit {
            per_second,
            burst,
            per_caller: false,
        });
        self
    }
    /// Admit at most `per_second` requests a second, `burst` at once, from each calling node
    /// (see `RateLimit::per_caller`).
    pub fn rate_limit_per_caller(mut self, per_second: f64, burst: u32) -> Service {
        self.rate_limit = Some(RateLimit {
            per_second,
            burst,
            per_caller: true,
        });
        self
    }
    /// Shed requests that waited longer than `d` for a worker.
    pub fn shed_after(mut self, d: SimTime) -> Service {
        self.shed_after = Some(d);
        self
    }
    /// Serve the newest waiting request first once more than `n` wait (0: always).
    pub fn lifo_above(mut self, n: u32) -> Service {
        self.lifo_above = Some(n);
        self
    }
    /// Run `n` replicas behind a load balancer.
    pub fn replicas(mut self, n: u32) -> Service {
        self.replicas = n;
        self
    }
    /// Set the load balancer's policy.
    pub fn balancer(mut self, b: Balancer) -> Service {
        self.balancer = b;
        self
    }
    /// Eject replicas that fail (see `OutlierPolicy`).
    pub fn outlier(mut self, o: OutlierPolicy) -> Service {
        self.outlier = Some(o);
        self
    }
    /// Set the worker count.
    pub fn workers(mut self, n: u32) -> Service {
        self.workers = n;
        self
    }
    /// Set the backlog capacity.
    pub fn backlog(mut self, n: u32) -> Service {
        self.backlog = n;
        self
    }
    /// Set the default work-step duration.
    pub fn time(mut self, d: Dist) -> Service {
        self.service_time = d;
        self
    }
    /// Add a REST endpoint.
    pub fn rest(
        mut self,
        method: HttpMethod,
        path: impl Into<String>,
        handler: Handler,
    ) -> Service {
        self.endpoints.push(Endpoint {
            route: Route::Rest {
                method,
                path: path.into(),
            },
            handler,
            dedupe: false,
        });
        self
    }
    /// Make the endpoint added last honour idempotency keys.
    pub fn dedupe(mut self) -> Service {
        if let Some(e) = self.endpoints.last_mut() {
            e.dedupe = true;
        }
        self
    }
    /// Add an RPC method (called as `<service>.<method>`).
    pub fn rpc(mut self, method: impl Into<String>, handler: Handler) -> Service {
        self.endpoints.push(Endpoint {
            route: Route::Rpc {
                method: method.into(),
            },
            handler,
            dedupe: false,
        });
        self
    }
    /// Add a consumer.
    pub fn consumer(mut self, c: Consumer) -> Service {
        self.consumers.push(c);
        self
    }
    /// Consume a queue with `concurrency` parallel deliveries.
    pub fn consume(self, queue: impl Into<String>, concurrency: u32, handler: Handler) -> Service {
        self.consumer(Consumer {
            source: Source::Queue(queue.into()),
            concurrency,
            handler,
            max_extension: None,
        })
    }
    /// Set the last added consumer's `max_extension` (see `Consumer::max_extension`).
    pub fn max_extension(mut self, t: SimTime) -> Service {
        if let Some(c) = self.consumers.last_mut() {
            c.max_extension = Some(t);
        }
        self
    }
    /// Consume a topic subscription with `concurrency` parallel deliveries.
    pub fn subscribe(
        self,
        topic: impl Into<String>,
        subscription: impl Into<String>,
        concurrency: u32,
        handler: Handler,
    ) -> Service {
        self.consumer(Consumer {
            source: Source::Subscription {
                topic: topic.into(),
                subscription: subscription.into(),
            },
            concurrency,
            handler,
            max_extension: None,
        })
    }
}

/// HTTP request methods a REST endpoint can declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// Whether repeating the request has the effect of sending it once (RFC 9110 §9.2.2):
    /// `GET`, `PUT` and `DELETE` are; `POST` and `PATCH` are not.
    pub fn is_idempotent(self) -> bool {
        matches!(self, HttpMethod::Get | HttpMethod::Put | HttpMethod::Delete)
    }
    /// Upper-case wire name, e.g. `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// A handler bound to a REST route or an RPC method of its service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// How callers address it.
    pub route: Route,
    /// What it does.
    pub handler: Handler,
    /// REST: honour idempotency keys. A request whose key was answered before gets the stored
    /// answer without running the handler; one whose key is still being handled gets 409
    /// (the IETF `Idempotency-Key` draft, §2.6).
    #[serde(default)]
    pub dedupe: bool,
}

/// How an endpoint is addressed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Route {
    /// REST: method + path, e.g. `POST /checkout`.
    Rest {
        /// HTTP method.
        method: HttpMethod,
        /// Path, e.g. `/checkout` (matched exactly).
        path: String,
    },
    /// RPC stub: the method name of `Service.Method`.
    Rpc {
        /// Method name, e.g. `CreateOrder`.
        method: String,
    },
}

/// A consumer: a service pulling from a queue or a subscription with bounded concurrency
/// (prefetch). Consumers have their own concurrency, separate from the service's worker pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consumer {
    /// Where messages come from.
    pub source: Source,
    /// Maximum messages delivered and not yet finished at once (≥ 1).
    pub concurrency: u32,
    /// Steps run per message. Ends in an implicit `ack` unless it acked, nacked or failed
    /// (a failure: see `Step::Fail`).
    pub handler: Handler,
    /// How long in all the consumer keeps extending the visibility timeout / ack deadline of a
    /// message it is still handling (SQS `ChangeMessageVisibility`; Pub/Sub lease management),
    /// counted from its delivery. `None`: 0 for a queue consumer (SQS clients do not extend on
    /// their own), 60 minutes for a subscriber (Pub/Sub client libraries' default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_extension: Option<SimTime>,
}

/// The mailbox a consumer reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A queue, by name.
    Queue(String),
    /// A subscription of a topic.
    Subscription {
        /// Topic name.
        topic: String,
        /// Subscription name within the topic.
        subscription: String,
    },
}

/// A sequence of steps run by one worker (or one consumer slot), top to bottom.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Handler {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Handler {
    /// An empty handler (replies 200 / OK, or acks, immediately).
    pub fn new() -> Handler {
        Handler::default()
    }
    /// Append any step.
    pub fn step(mut self, s: Step) -> Handler {
        self.steps.push(s);
        self
    }
    /// Work for the service's default service time.
    pub fn work(self) -> Handler {
        self.step(Step::Work { time: None })
    }
    /// Work for a duration drawn from `d`.
    pub fn work_for(self, d: Dist) -> Handler {
        self.step(Step::Work { time: Some(d) })
    }
    /// Call another endpoint and wait for the response.
    pub fn call(self, c: Call) -> Handler {
        self.step(Step::Call(c))
    }
    /// Call several endpoints at once and wait for all.
    pub fn parallel(self, calls: Vec<Call>) -> Handler {
        self.step(Step::Parallel(calls))
    }
    /// Publish a message to a topic.
    pub fn publish(self, topic: impl Into<String>, message: impl Into<String>) -> Handler {
        self.step(Step::Publish {
            topic: topic.into(),
            message: message.into(),
            attributes: Vec::new(),
        })
    }
    /// Publish a message with attributes (for subscription filters).
    pub fn publish_with(
        self,
        topic: impl Into<String>,
        message: impl Into<String>,
        attributes: Vec<(String, String)>,
    ) -> Handler {
        self.step(Step::Publish {
            topic: topic.into(),
            message: message.into(),
            attributes,
        })
    }
    /// Send a message to a queue.
    pub fn enqueue(self, queue: impl Into<String>, message: impl Into<String>) -> Handler {
        self.step(Step::Enqueue {
            queue: queue.into(),
            message: message.into(),
        })
    }
    /// Reply to the caller now (the handler may continue afterwards).
    pub fn reply(self, status: Status) -> Handler {
        self.step(Step::Reply(status))
    }
    /// Fail with probability `p` (500 / INTERNAL; in a consumer see `Step::Fail`).
    pub fn fail(self, p: f64) -> Handler {
        self.step(Step::Fail {
            probability: p,
            status: None,
        })
    }
    /// Fail with probability `p` and the given status.
    pub fn fail_with(self, p: f64, status: Status) -> Handler {
        self.step(Step::Fail {
            probability: p,
            status: Some(status),
        })
    }
    /// Acknowledge the message being consumed.
    pub fn ack(self) -> Handler {
        self.step(Step::Ack)
    }
    /// Negatively acknowledge: the message becomes available again at once (or dead-letters).
    pub fn nack(self) -> Handler {
        self.step(Step::Nack)
    }
}

/// One step of a handler.
// Plain data, compiled once per run: a `Call` step's size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// Hold the worker for a duration: `time`, or the service's `service_time` when `None`.
    Work {
        /// Overrides the service's default service time.
        time: Option<Dist>,
    },
    /// Call a REST endpoint or RPC method and wait for the outcome. A failed call (after retries)
    /// fails the handler unless `on_error` says continue.
    Call(Call),
    /// Start all calls at once; wait for all of them. Fails if any fails (and does not continue).
    Parallel(Vec<Call>),
    /// Publish to a topic and wait for the topic's confirm (a round trip); with no confirm
    /// after every retry (`Topic::confirms`) the handler fails with 503 / UNAVAILABLE.
    Publish {
        /// Topic name.
        topic: String,
        /// Message label shown in the trace, e.g. `OrderCreated`.
        message: String,
        /// Attributes matched by subscription filters.
        attributes: Vec<(String, String)>,
    },
    /// Send to a queue and wait for its confirm (a round trip); a full queue with the `Reject`
    /// policy nacks, failing the handler with 503 / RESOURCE_EXHAUSTED (backpressure), and no
    /// confirm after every retry (`Queue::confirms`) fails it with 503 / UNAVAILABLE.
    Enqueue {
        /// Queue name.
        queue: String,
        /// Message label shown in the trace, e.g. `Charge`.
        message: String,
    },
    /// Send the response now with this status (only the first reply counts; later steps still
    /// run while holding the worker). In consumers it is ignored.
    Reply(Status),
    /// Ask the caller to wait this long before it retries, with the reply this handler sends
    /// after the step (HTTP `Retry-After`, RFC 9110 §10.2.3; gRPC's server pushback,
    /// `grpc-retry-pushback-ms`, gRFC A6). REST endpoints and RPC methods only.
    RetryAfter(SimTime),
    /// With `probability`, stop the handler with `status` (default 500 / INTERNAL). A queue
    /// consumer does not ack: the message comes back when its visibility timeout ends (SQS has
    /// no nack). A subscription consumer nacks at once, as Pub/Sub client libraries do.
    Fail {
        /// Chance in `[0, 1]`.
        probability: f64,
        /// Status to reply with.
        status: Option<Status>,
    },
    /// Acknowledge the message (consumers only): it is removed from its queue or subscription.
    Ack,
    /// Negatively acknowledge (consumers only): redelivered at once, or dead-lettered after the
    /// last attempt.
    Nack,
}

/// A status a handler replies with. The engine converts between families when a REST handler
/// replies with a gRPC code or vice versa (standard gRPC ↔ HTTP mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    /// An HTTP status code (100..=599).
    Http(u16),
    /// A gRPC status code.
    Grpc(GrpcCode),
}

impl Status {
    /// 200 / OK.
    pub const OK_HTTP: Status = Status::Http(200);
    /// gRPC OK.
    pub const OK_GRPC: Status = Status::Grpc(GrpcCode::Ok);
}

/// gRPC status codes (all 17). Serialized by canonical name (`DEADLINE_EXCEEDED`), as the
/// scenario language writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[repr(u8)]
pub enum GrpcCode {
    /// 0
    Ok = 0,
    /// 1
    Cancelled = 1,
    /// 2
    Unknown = 2,
    /// 3
    InvalidArgument = 3,
    /// 4
    DeadlineExceeded = 4,
    /// 5
    NotFound = 5,
    /// 6
    AlreadyExists = 6,
    /// 7
    PermissionDenied = 7,
    /// 8
    ResourceExhausted = 8,
    /// 9
    FailedPrecondition = 9,
    /// 10
    Aborted = 10,
    /// 11
    OutOfRange = 11,
    /// 12
    Unimplemented = 12,
    /// 13
    Internal = 13,
    /// 14
    Unavailable = 14,
    /// 15
    DataLoss = 15,
    /// 16
    Unauthenticated = 16,
}

impl GrpcCode {
    /// All codes in numeric order.
    pub const ALL: [GrpcCode; 17] = [
        GrpcCode::Ok,
        GrpcCode::Cancelled,
        GrpcCode::Unknown,
        GrpcCode::InvalidArgument,
        GrpcCode::DeadlineExceeded,
        GrpcCode::NotFound,
        GrpcCode::AlreadyExists,
        GrpcCode::PermissionDenied,
        GrpcCode::ResourceExhausted,
        GrpcCode::FailedPrecondition,
        GrpcCode::Aborted,
        GrpcCode::OutOfRange,
        GrpcCode::Unimplemented,
        GrpcCode::Internal,
        GrpcCode::Unavailable,
        GrpcCode::DataLoss,
        GrpcCode::Unauthenticated,
    ];
    /// Canonical upper-snake name, e.g. `DEADLINE_EXCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrpcCode::Ok => "OK",
            GrpcCode::Cancelled => "CANCELLED",
            GrpcCode::Unknown => "UNKNOWN",
            GrpcCode::InvalidArgument => "INVALID_ARGUMENT",
            GrpcCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            GrpcCode::NotFound => "NOT_FOUND",
            GrpcCode::AlreadyExists => "ALREADY_EXISTS",
            GrpcCode::PermissionDenied => "PERMISSION_DENIED",
            GrpcCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            GrpcCode::FailedPrecondition => "FAILED_PRECONDITION",
            GrpcCode::Aborted => "ABORTED",
            GrpcCode::OutOfRange => "OUT_OF_RANGE",
            GrpcCode::Unimplemented => "UNIMPLEMENTED",
            GrpcCode::Internal => "INTERNAL",
            GrpcCode::Unavailable => "UNAVAILABLE",
            GrpcCode::DataLoss => "DATA_LOSS",
            GrpcCode::Unauthenticated => "UNAUTHENTICATED",
        }
    }
    /// Parse a canonical name (case-insensitive, `_` or `-` separated) or a number.
    pub fn parse(s: &str) -> Option<GrpcCode> {
        let norm: String = s
            .chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        GrpcCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == norm || (*c as u8).to_string() == norm)
    }
    /// The HTTP status a gateway would map this code to (grpc-gateway's table).
    pub fn to_http(self) -> u16 {
        match self {
            GrpcCode::Ok => 200,
            GrpcCode::Cancelled => 499,
            GrpcCode::Unknown => 500,
            GrpcCode::InvalidArgument => 400,
            GrpcCode::DeadlineExceeded => 504,
            GrpcCode::NotFound => 404,
            GrpcCode::AlreadyExists => 409,
            GrpcCode::PermissionDenied => 403,
            GrpcCode::ResourceExhausted => 429,
            GrpcCode::FailedPrecondition => 400,
            GrpcCode::Aborted => 409,
            GrpcCode::OutOfRange => 400,
            GrpcCode::Unimplemented => 501,
            GrpcCode::Internal => 500,
            GrpcCode::Unavailable => 503,
            GrpcCode::DataLoss => 500,
            GrpcCode::Unauthenticated => 401,
        }
    }
    /// The gRPC code for an HTTP status (gRPC's HTTP-to-gRPC mapping, with 2xx as OK and the
    /// timeouts/overload statuses kept distinct).
    pub fn from_http(code: u16) -> GrpcCode {
        match code {
            200..=299 => GrpcCode::Ok,
            400 => GrpcCode::InvalidArgument,
            401 => GrpcCode::Unauthenticated,
            403 => GrpcCode::PermissionDenied,
            404 => GrpcCode::NotFound,
            409 => GrpcCode::Aborted,
            429 => GrpcCode::ResourceExhausted,
            499 => GrpcCode::Cancelled,
            501 => GrpcCode::Unimplemented,
            502 | 503 => GrpcCode::Unavailable,
            504 => GrpcCode::DeadlineExceeded,
            500 => GrpcCode::Internal,
            _ => GrpcCode::Unknown,
        }
    }
}

/// A synchronous call to a REST endpoint or RPC method, with its resilience options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// What is called.
    pub target: Target,
    /// The whole call's budget, every attempt and backoff included (gRPC's deadline, gRFC A6;
    /// Envoy's route `timeout`). For RPC it propagates: downstream RPC calls get at most the
    /// remaining budget. `None` waits forever (unless a propagated deadline applies).
    pub timeout: Option<SimTime>,
    /// Limit on each attempt (Envoy's `per_try_timeout`, gRPC's `perAttemptRecvTimeout`); an
    /// attempt that runs out is retried if the policy allows. `None`: attempts are bounded only
    /// by `timeout`.
    #[serde(default)]
    pub attempt_timeout: Option<SimTime>,
    /// Retry policy; `None` is a single attempt.
    pub retry: Option<RetryPolicy>,
    /// The statuses that are retried; `None` is the protocol's default (REST: 429, 502, 503,
    /// 504; gRPC: UNAVAILABLE). Attempt timeouts and breaker rejections are always retried.
    #[serde(default)]
    pub retry_on: Option<Vec<Status>>,
    /// REST: the caller asserts that repeating this request is safe, so a `POST` or `PATCH` is
    /// retried like an idempotent method (RFC 9110 §9.2.2).
    #[serde(default)]
    pub idempotent: bool,
    /// REST: every attempt carries the same idempotency key, which an endpoint that dedupes
    /// honours by answering a repeat with the stored answer. Implies `idempotent`.
    #[serde(default)]
    pub idempotency_key: bool,
    /// Circuit breaker on the edge caller → target. One breaker per edge: the first call site of
    /// an edge (in world order) that declares options configures it.
    pub breaker: Option<BreakerPolicy>,
    /// What a failure (after all attempts) does to the calling handler.
    pub on_error: OnError,
    /// Read through this cache (by name): a fresh entry for the request's key answers at once;
    /// otherwise the call goes on and its success fills the entry.
    #[serde(default)]
    pub cache: Option<String>,
    /// Retry throttling for this call site (gRPC's `retryThrottling`, gRFC A6): retries and
    /// hedges stop while too many attempts fail. `None`: no budget.
    #[serde(default)]
    pub retry_budget: Option<RetryBudget>,
    /// Hedged requests (gRPC's `hedgingPolicy`, gRFC A6) instead of retries: a call may have
    /// `retry` or `hedge`, not both.
    #[serde(default)]
    pub hedge: Option<HedgePolicy>,
    /// A connection pool for this call site (per caller replica): at most `size` of its calls
    /// in flight; the others wait for a connection, first come first served, for at most
    /// `wait`, then fail without a status. `None`: no pool, no limit.
    #[serde(default)]
    pub pool: Option<Pool>,
}

/// A call site's connection pool (HikariCP's `maximumPoolSize` and `connectionTimeout`; Apache
/// HttpClient's `maxPerRoute` and `connectionRequestTimeout`). A call holds its connection from
/// its first attempt until it ends, retries and backoff included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// Connections (≥ 1).
    pub size: u32,
    /// Longest a call waits for a connection (> 0).
    pub wait: SimTime,
}

/// gRPC's retry throttling (gRFC A6, `retryThrottling`), for one call site: a token count that
/// starts at `max_tokens`; every attempt that fails in a way the call would retry takes one
/// token, every call that succeeds gives back `token_ratio`; while the count is at or below
/// `max_tokens / 2`, failed attempts are not retried and hedges are not sent.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryBudget {
    /// Most tokens (1–1000; gRFC A6 caps `maxTokens` at 1000).
    pub max_tokens: u32,
    /// Tokens a success gives back, in `(0, 1]`, to three decimals (gRFC A6's `tokenRatio`).
    pub token_ratio: f64,
}

/// gRPC's hedging policy (gRFC A6, `hedgingPolicy`): the first attempt is sent at once, and one
/// more every `delay` while no answer has ended the call, up to `max_attempts` in all. The first
/// success or fatal answer ends the call and abandons the others; a non-fatal failure (a status
/// of `Call::retry_on`, a timeout, a refused connection) sends the next hedge at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HedgePolicy {
    /// Attempts in all, the first included (2–5: gRPC's client-side limit is 5).
    pub max_attempts: u32,
    /// Wait before each further attempt (`hedgingDelay`).
    pub delay: SimTime,
}

impl Call {
    /// A REST call.
    pub fn rest(service: impl Into<String>, method: HttpMethod, path: impl Into<String>) -> Call {
        Call::to(Target::Rest {
            service: service.into(),
            method,
            path: path.into(),
        })
    }
    /// An RPC call to `service.method`.
    pub fn rpc(service: impl Into<String>, method: impl Into<String>) -> Call {
        Call::to(Target::Rpc {
            service: service.into(),
            method: method.into(),
        })
    }
    /// A call with no timeout, retries or breaker.
    pub fn to(target: Target) -> Call {
        Call {
            target,
            timeout: None,
            attempt_timeout: None,
            retry: None,
            retry_on: None,
            idempotent: false,
            idempotency_key: false,
            breaker: None,
            on_error: OnError::Fail,
            cache: None,
            retry_budget: None,
            hedge: None,
            pool: None,
        }
    }
    /// Read through the cache `name`.
    pub fn cache(mut self, name: impl Into<String>) -> Call {
        self.cache = Some(name.into());
        self
    }
    /// Set the whole call's timeout / deadline.
    pub fn timeout(mut self, t: SimTime) -> Call {
        self.timeout = Some(t);
        self
    }
    /// Set the per-attempt limit.
    pub fn attempt_timeout(mut self, t: SimTime) -> Call {
        self.attempt_timeout = Some(t);
        self
    }
    /// Retry these statuses instead of the protocol's default set.
    pub fn retry_on(mut self, statuses: Vec<Status>) -> Call {
        self.retry_on = Some(statuses);
        self
    }
    /// Mark a REST call as safe to repeat.
    pub fn idempotent(mut self) -> Call {
        self.idempotent = true;
        self
    }
    /// Send an idempotency key with every attempt.
    pub fn idempotency_key(mut self) -> Call {
        self.idempotency_key = true;
        self
    }
    /// Set the retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Call {
        self.retry = Some(r);
        self
    }
    /// Set the circuit breaker options.
    pub fn breaker(mut self, b: BreakerPolicy) -> Call {
        self.breaker = Some(b);
        self
    }
    /// Throttle retries and hedges with a token budget.
    pub fn retry_budget(mut self, max_tokens: u32, token_ratio: f64) -> Call {
        self.retry_budget = Some(RetryBudget {
            max_tokens,
            token_ratio,
        });
        self
    }
    /// Hedge: up to `max_attempts` attempts, one more every `delay`.
    /// A connection pool of `size` connections, waiting at most `wait` for one (see `Pool`).
    pub fn pool(mut self, size: u32, wait: SimTime) -> Call {
        self.pool = Some(Pool { size, wait });
        self
    }
    pub fn hedge(mut self, max_attempts: u32, delay: SimTime) -> Call {
        self.hedge = Some(HedgePolicy {
            max_attempts,
            delay,
        });
        self
    }
    /// Keep going when the call fails.
    pub fn continue_on_error(mut self) -> Call {
        self.on_error = OnError::Continue;
        self
    }
}

/// What a call addresses.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// A REST endpoint of a service.
    Rest {
        /// Service name.
        service: String,
        /// HTTP method.
        method: HttpMethod,
        /// Path.
        path: String,
    },
    /// An RPC method `service.method`.
    Rpc {
        /// Service name.
        service: String,
        /// Method name.
        method: String,
    },
}

impl Target {
    /// The service being called.
    pub fn service(&self) -> &str {
        match self {
            Target::Rest { service, .. } | Target::Rpc { service, .. } => service,
        }
    }
}

/// What a failed call does to the handler that made it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnError {
    /// Stop the handler and reply with an error (504 / DEADLINE_EXCEEDED after a timeout,
    /// otherwise 502 / the callee's code, or UNAVAILABLE).
    #[default]
    Fail,
    /// Carry on with the next step.
    Continue,
}

/// Retries with capped exponential backoff and jitter.
///
/// Delay before attempt `k+1` (k ≥ 1): `b = min(max_backoff, base · multiplier^(k-1))`, then
/// `b · (1 − jitter · u)` with `u` uniform in `[0, 1)` — `jitter = 1` is "full jitter",
/// `jitter = 0` is none. What is retried is the call's business (`Call::retry_on`, the method's
/// idempotency): see docs/semantics.md.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Total attempts including the first (≥ 1). `retries 2` is `max_attempts 3`.
    pub max_attempts: u32,
    /// First backoff.
    pub base: SimTime,
    /// Growth factor per attempt (≥ 1).
    pub multiplier: f64,
    /// Cap on a single backoff.
    pub max_backoff: SimTime,
    /// Fraction of randomness in `[0, 1]`.
    pub jitter: f64,
}

impl RetryPolicy {
    /// `n` retries after the first attempt with 100 ms base, ×2, 10 s cap, no jitter.
    pub fn retries(n: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: n.saturating_add(1),
            base: SimTime::from_millis(100),
            multiplier: 2.0,
            max_backoff: SimTime::from_secs(10),
            jitter: 0.0,
        }
    }
    /// Set the first backoff.
    pub fn backoff(mut self, base: SimTime) -> RetryPolicy {
        self.base = base;
        self
    }
    /// Set the growth factor.
    pub fn multiplier(mut self, m: f64) -> RetryPolicy {
        self.multiplier = m;
        self
    }
    /// Set the backoff cap.
    pub fn max_backoff(mut self, m: SimTime) -> RetryPolicy {
        self.max_backoff = m;
        self
    }
    /// Set the jitter fraction.
    pub fn jitter(mut self, j: f64) -> RetryPolicy {
        self.jitter = j;
        self
    }
}

/// Circuit breaker: closed → open when, over the last `window` of time, at least `min_requests`
/// attempts completed and the failure ratio is ≥ `failure_ratio`; open rejects calls at once
/// (no message is sent) for `cooldown`; then half-open lets `half_open_probes` calls through —
/// once all have ended it closes if their failure ratio is below `failure_ratio`, and opens
/// again for another cooldown otherwise (resilience4j's half-open state).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakerPolicy {
    /// Ratio in `(0, 1]` of failed attempts that trips the breaker.
    pub failure_ratio: f64,
    /// Sliding window over which outcomes are counted.
    pub window: SimTime,
    /// Minimum outcomes in the window before the ratio is considered.
    pub min_requests: u32,
    /// How long the breaker stays open before probing.
    pub cooldown: SimTime,
    /// Probes allowed while half-open (≥ 1).
    pub half_open_probes: u32,
    /// An attempt that took longer than this counts as failed, even if it succeeded
    /// (resilience4j's `slowCallDurationThreshold`). `None`: duration does not matter.
    #[serde(default)]
    pub slow_call: Option<SimTime>,
}

impl Default for BreakerPolicy {
    /// 50% failures over 10 s with at least 10 requests; 5 s cooldown; one probe.
    fn default() -> BreakerPolicy {
        BreakerPolicy {
            failure_ratio: 0.5,
            window: SimTime::from_secs(10),
            min_requests: 10,
            cooldown: SimTime::from_secs(5),
            half_open_probes: 1,
            slow_call: None,
        }
    }
}

/// What happens when a message arrives at a full queue or subscription.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Overflow {
    /// Refuse the new message (the producer's step fails with 503 / RESOURCE_EXHAUSTED).
    #[default]
    Reject,
    /// Discard the oldest waiting (not in-flight) message to make room (with capacity 0 there is
    /// none, and the new one is refused).
    DropOldest,
}

/// A point-to-point queue: FIFO, competing consumers, visibility timeout, dead-lettering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// Unique node name.
    pub name: String,
    /// Maximum waiting (ready) messages; deliveries not yet acked do not count, as with
    /// RabbitMQ's `max-length`. `u32::MAX` means unbounded.
    pub capacity: u32,
    /// What a full queue does with a new message.
    pub overflow: Overflow,
    /// How long a delivered message stays invisible; if not acked by then it is redelivered.
    pub visibility: SimTime,
    /// Deliveries before a failing message is dead-lettered (`None`: retry forever).
    pub max_attempts: Option<u32>,
    /// Queue receiving dead letters (`None`: they are dropped).
    pub dlq: Option<String>,
    /// How producers wait for the broker's confirm of each message they send here.
    #[serde(default)]
    pub confirms: Confirms,
}

/// A producer's wait for the broker's confirm (RabbitMQ publisher confirms; the response to
/// SQS `SendMessage` or Pub/Sub `Publish`): if no confirm comes within `timeout`, the producer
/// sends the message again, up to `retries` times, then fails. A message whose confirm was lost
/// is stored once per send: retries can duplicate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirms {
    /// How long a producer waits for each confirm.
    pub timeout: SimTime,
    /// Sends after the first when a confirm does not come in time.
    pub retries: u32,
}

impl Default for Confirms {
    /// 5 s (the RabbitMQ publisher-confirms tutorial's wait), 2 retries (3 attempts: the AWS
    /// SDKs' standard retry mode).
    fn default() -> Confirms {
        Confirms {
            timeout: SimTime::from_secs(5),
            retries: 2,
        }
    }
}

impl Queue {
    /// Unbounded, 30 s visibility, unlimited attempts, no DLQ, default confirms.
    pub fn new(name: impl Into<String>) -> Queue {
        Queue {
            name: name.into(),
            capacity: u32::MAX,
            overflow: Overflow::Reject,
            visibility: SimTime::from_secs(30),
            max_attempts: None,
            dlq: None,
            confirms: Confirms::default(),
        }
    }
    /// Set how producers wait for confirms.
    pub fn confirms(mut self, timeout: SimTime, retries: u32) -> Queue {
        self.confirms = Confirms { timeout, retries };
        self
    }
    /// Set capacity.
    pub fn capacity(mut self, n: u32) -> Queue {
        self.capacity = n;
        self
    }
    /// Set overflow policy.
    pub fn overflow(mut self, o: Overflow) -> Queue {
        self.overflow = o;
        self
    }
    /// Set visibility timeout.
    pub fn visibility(mut self, t: SimTime) -> Queue {
        self.visibility = t;
        self
    }
    /// Set max delivery attempts.
    pub fn max_attempts(mut self, n: u32) -> Queue {
        self.max_attempts = Some(n);
        self
    }
    /// Set the dead-letter queue.
    pub fn dlq(mut self, name: impl Into<String>) -> Queue {
        self.dlq = Some(name.into());
        self
    }
}

/// A pub/sub topic: every published message is copied to each (matching) subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// Unique node name.
    pub name: String,
    /// Subscriptions, each with its own backlog.
    pub subscriptions: Vec<Subscription>,
    /// How publishers wait for the broker's confirm.
    #[serde(default)]
    pub confirms: Confirms,
}

impl Topic {
    /// A topic with no subscriptions, default confirms.
    pub fn new(name: impl Into<String>) -> Topic {
        Topic {
            name: name.into(),
            subscriptions: Vec::new(),
            confirms: Confirms::default(),
        }
    }
    /// Set how publishers wait for confirms.
    pub fn confirms(mut self, timeout: SimTime, retries: u32) -> Topic {
        self.confirms = Confirms { timeout, retries };
        self
    }
    /// Add a subscription.
    pub fn subscription(mut self, s: Subscription) -> Topic {
        self.subscriptions.push(s);
        self
    }
}

/// A subscription: its own backlog of a topic's messages, at-least-once delivery with an ack
/// deadline. Shown as its own node named `topic/subscription`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Name, unique within its topic.
    pub name: String,
    /// Only messages whose attributes contain `key=value` are kept.
    pub filter: Option<AttributeFilter>,
    /// Time a consumer has to ack before the message is redelivered.
    pub ack_deadline: SimTime,
    /// Deliveries before dead-lettering (`None`: forever).
    pub max_attempts: Option<u32>,
    /// Queue receiving dead letters (`None`: dropped).
    pub dlq: Option<String>,
    /// Backlog capacity: waiting messages, not those delivered and not yet acked
    /// (`u32::MAX`: unbounded).
    pub capacity: u32,
    /// Overflow policy when full.
    pub overflow: Overflow,
}

impl Subscription {
    /// No filter, 10 s ack deadline, unlimited attempts, unbounded.
    pub fn new(name: impl Into<String>) -> Subscription {
        Subscription {
            name: name.into(),
            filter: None,
            ack_deadline: SimTime::from_secs(10),
            max_attempts: None,
            dlq: None,
            capacity: u32::MAX,
            overflow: Overflow::Reject,
        }
    }
    /// Keep only messages with attribute `key=value`.
    pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Subscription {
        self.filter = Some(AttributeFilter {
            key: key.into(),
            value: value.into(),
        });
        self
    }
    /// Set the ack deadline.
    pub fn ack_deadline(mut self, t: SimTime) -> Subscription {
        self.ack_deadline = t;
        self
    }
    /// Set max delivery attempts.
    pub fn max_attempts(mut self, n: u32) -> Subscription {
        self.max_attempts = Some(n);
        self
    }
    /// Set the dead-letter queue.
    pub fn dlq(mut self, name: impl Into<String>) -> Subscription {
        self.dlq = Some(name.into());
        self
    }
    /// Set the backlog capacity.
    pub fn capacity(mut self, n: u32) -> Subscription {
        self.capacity = n;
        self
    }
}

/// `key=value` attribute match for a subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeFilter {
    /// Attribute name.
    pub key: String,
    /// Required value.
    pub value: String,
}

/// Link behaviour: default latency and loss, plus overrides for specific node pairs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// One-way latency of every link without an override.
    pub latency: Dist,
    /// Probability in `[0, 1]` that a message is lost.
    pub loss: f64,
    /// Per-link overrides.
    pub links: Vec<Link>,
}

impl Network {
    /// Default latency, no loss, no overrides.
    pub fn latency(d: Dist) -> Network {
        Network {
            latency: d,
            loss: 0.0,
            links: Vec::new(),
        }
    }
    /// Set the default loss probability.
    pub fn loss(mut self, p: f64) -> Network {
        self.loss = p;
        self
    }
}

/// Override for the link between two nodes. The key is the unordered pair: `a`–`b` is `b`–`a`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// One end (node name).
    pub a: String,
    /// Other end (node name).
    pub b: String,
    /// Latency instead of the default.
    pub latency: Option<Dist>,
    /// Loss instead of the default.
    pub loss: Option<f64>,
}

impl Link {
    /// An override with nothing overridden yet.
    pub fn between(a: impl Into<String>, b: impl Into<String>) -> Link {
        Link {
            a: a.into(),
            b: b.into(),
            latency: None,
            loss: None,
        }
    }
    /// Set the latency.
    pub fn latency(mut self, d: Dist) -> Link {
        self.latency = Some(d);
        self
    }
    /// Set the loss.
    pub fn loss(mut self, p: f64) -> Link {
        self.loss = Some(p);
        self
    }
}

/// A load generator issuing calls at a rate, plus bursts at given times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// Unique node name.
    pub name: String,
    /// What each request calls (with timeout/retries/breaker).
    pub call: Call,
    /// Requests per second (0 = bursts only).
    pub rate: f64,
    /// Spacing of requests.
    pub arrival: Arrival,
    /// First request no earlier than this.
    pub start: SimTime,
    /// No rate-driven requests at or after this time.
    pub stop: Option<SimTime>,
    /// `at t burst n`: `n` extra requests all at time `t` (for a client of users: `n` more
    /// users, each sending its first request at `t`).
    pub bursts: Vec<Burst>,
    /// A linear ramp of the rate from `rate` at `start` to `ramp.to` at `start + ramp.over`,
    /// then steady at `ramp.to`.
    #[serde(default)]
    pub ramp: Option<Ramp>,
    /// A closed loop of users instead of a rate (then `rate` is 0 and there is no ramp).
    #[serde(default)]
    pub users: Option<Users>,
}

/// The end of a client's linear rate ramp.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ramp {
    /// Requests per second at the ramp's end, and after it.
    pub to: f64,
    /// How long the ramp lasts, from the client's start.
    pub over: SimTime,
}

/// A closed loop: `count` users, each sending a request, waiting for its final answer (after
/// the call's retries), thinking for a `think` draw, and sending again.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Users {
    /// Users at the client's start.
    pub count: u32,
    /// Think time between an answer and the user's next request.
    pub think: Dist,
}

impl Client {
    /// A client sending `rate` requests per second with constant spacing.
    pub fn new(name: impl Into<String>, call: Call, rate: f64) -> Client {
        Client {
            name: name.into(),
            call,
            rate,
            arrival: Arrival::Constant,
            start: SimTime::ZERO,
            stop: None,
            bursts: Vec::new(),
            ramp: None,
            users: None,
        }
    }
    /// A closed-loop client of `count` users who think for `think` between an answer and their
    /// next request. Each user begins thinking at the client's start.
    pub fn users(name: impl Into<String>, call: Call, count: u32, think: Dist) -> Client {
        let mut c = Client::new(name, call, 0.0);
        c.users = Some(Users { count, think });
        c
    }
    /// Ramp the rate linearly to `to` requests per second over `over` from the start.
    pub fn ramp(mut self, to: f64, over: SimTime) -> Client {
        self.ramp = Some(Ramp { to, over });
        self
    }
    /// Use Poisson (exponential inter-arrival) spacing.
    pub fn poisson(mut self) -> Client {
        self.arrival = Arrival::Poisson;
        self
    }
    /// Add a burst.
    pub fn burst(mut self, at: SimTime, count: u32) -> Client {
        self.bursts.push(Burst { at, count });
        self
    }
    /// Start sending at `t`.
    pub fn start(mut self, t: SimTime) -> Client {
        self.start = t;
        self
    }
    /// Stop sending at `t`.
    pub fn stop(mut self, t: SimTime) -> Client {
        self.stop = Some(t);
        self
    }
}

/// How a client spaces its requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arrival {
    /// Exactly `1/rate` apart (request k at `start + k/rate`, no drift).
    #[default]
    Constant,
    /// Exponentially distributed gaps with mean `1/rate`.
    Poisson,
}

/// `at t burst n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    /// When.
    pub at: SimTime,
    /// How many requests at once.
    pub count: u32,
}

/// A fault active from `at` for `duration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// Start time.
    pub at: SimTime,
    /// How long it lasts.
    pub duration: SimTime,
    /// What goes wrong.
    pub kind: FaultKind,
}

impl Fault {
    /// Crash `service` at `at`; it restarts empty after `duration`.
    pub fn crash(service: impl Into<String>, at: SimTime, duration: SimTime) -> Fault {
        Fault {
            at,
            duration,
            kind: FaultKind::Crash {
                service: service.into(),
                vanish: false,
            },
        }
    }
    /// `service`'s host vanishes at `at` for `duration`: messages to it are lost without an
    /// answer, so callers learn only by their timeouts. Its work is lost as in a crash.
    pub fn vanish(service: impl Into<String>, at: SimTime, duration: SimTime) -> Fault {
        Fault {
            at,
            duration,
            kind: FaultKind::Crash {
                service: service.into(),
                vanish: true,
            },
        }
    }
    /// Add `extra` latency on `link`.
    pub fn latency_spike(link: LinkSelector, extra: SimTime, at: SimTime, d: SimTime) -> Fault {
        Fault {
            at,
            duration: d,
            kind: FaultKind::LatencySpike { link, extra },
        }
    }
    /// Make `service` fail requests with probability `p`.
    pub fn error_spike(service: impl Into<String>, p: f64, at: SimTime, d: SimTime) -> Fault {
        Fault {
            at,
            duration: d,
            kind: FaultKind::ErrorSpike {
                service: service.into(),
                probability: p,
            },
        }
    }
    /// Partition node `a` from node `b`.
    pub fn partition(a: impl Into<String>, b: impl Into<String>, at: SimTime, d: SimTime) -> Fault {
        Fault {
            at,
            duration: d,
            kind: FaultKind::Partition {
                a: vec![a.into()],
                b: vec![b.into()],
            },
        }
    }
    /// Drop every entry of `cache` at `at`.
    pub fn flush(cache: impl Into<String>, at: SimTime) -> Fault {
        Fault {
            at,
            duration: SimTime::ZERO,
            kind: FaultKind::Flush {
                cache: cache.into(),
            },
        }
    }
    /// Extra loss `p` on `link`.
    pub fn loss(link: LinkSelector, p: f64, at: SimTime, d: SimTime) -> Fault {
        Fault {
            at,
            duration: d,
            kind: FaultKind::Loss {
                link,
                probability: p,
            },
        }
    }
}

/// A read-through cache: at most `capacity` entries, each fresh for `ttl` after it was filled,
/// the least recently used evicted first when a new one needs room. Each call through it asks
/// for a key drawn from `keys`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    /// Name, in the one set of names (a cache is not a node).
    pub name: String,
    /// Most entries (≥ 1).
    pub capacity: u32,
    /// How long an entry is fresh after it was filled (`None`: until evicted or flushed).
    pub ttl: Option<SimTime>,
    /// Which keys requests ask for.
    pub keys: Keys,
    /// Misses of a key already being fetched wait for that fetch instead of calling too
    /// (request coalescing, "single flight").
    pub coalesce: bool,
}

impl Cache {
    /// A cache of 1,000 entries that never expire, over 10,000 keys asked uniformly, without
    /// coalescing.
    pub fn new(name: impl Into<String>) -> Cache {
        Cache {
            name: name.into(),
            capacity: 1000,
            ttl: None,
            keys: Keys::Uniform { n: 10_000 },
            coalesce: false,
        }
    }
    /// Set the capacity.
    pub fn capacity(mut self, n: u32) -> Cache {
        self.capacity = n;
        self
    }
    /// Set the time to live.
    pub fn ttl(mut self, t: SimTime) -> Cache {
        self.ttl = Some(t);
        self
    }
    /// Set the key distribution.
    pub fn keys(mut self, k: Keys) -> Cache {
        self.keys = k;
        self
    }
    /// Coalesce misses of the same key.
    pub fn coalesce(mut self) -> Cache {
        self.coalesce = true;
        self
    }
}

/// Which keys the requests through a cache ask for: `n` keys (0 … n−1), each request's drawn
/// independently.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Keys {
    /// Every key equally often.
    Uniform {
        /// Number of keys (≥ 1).
        n: u32,
    },
    /// Key of rank k (1 … n) with probability proportional to 1/kˢ: a few hot keys, a long tail.
    Zipf {
        /// Number of keys (≥ 1).
        n: u32,
        /// The exponent s (> 0; around 1 for web caches).
        s: f64,
    },
}

/// The kinds of scheduled fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FaultKind {
    /// The service's process stops: running and queued work is lost, and the requests it was
    /// handling fail with a connection reset; new requests are refused at once (its host is up,
    /// nothing listens). Its unacked deliveries come back after their visibility timeout. It
    /// restarts empty. With `vanish`, the whole host is gone instead: messages to it are lost
    /// without an answer.
    Crash {
        /// Service name.
        service: String,
        /// The host vanishes (a black hole) rather than the process stopping.
        #[serde(default)]
        vanish: bool,
    },
    /// Add `extra` to the latency of messages sent on the link(s) while active.
    LatencySpike {
        /// Which links.
        link: LinkSelector,
        /// Added one-way latency.
        extra: SimTime,
    },
    /// Requests the service would have answered successfully fail with 500 / INTERNAL (consumers'
    /// handlers fail as with `Step::Fail`) with this probability.
    ErrorSpike {
        /// Service name.
        service: String,
        /// Chance in `[0, 1]`.
        probability: f64,
    },
    /// Messages sent between any node of `a` and any node of `b` (either way) are lost.
    Partition {
        /// One side (node names).
        a: Vec<String>,
        /// Other side (node names).
        b: Vec<String>,
    },
    /// Additional independent loss on the link(s).
    Loss {
        /// Which links.
        link: LinkSelector,
        /// Chance in `[0, 1]`.
        probability: f64,
    },
    /// Every entry of the cache is dropped at the fault's start (its duration does nothing).
    Flush {
        /// Cache name.
        cache: String,
    },
}

/// Which links a network fault applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkSelector {
    /// Every link.
    All,
    /// The link between two nodes (unordered).
    Between(String, String),
}
