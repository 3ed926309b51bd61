//! The scenario model: what a scenario text says, as plain data (the language's own AST, separate
//! from the engine's world). Optional settings stay `None` when not written, so the formatter
//! reproduces exactly what the author specified; defaults are applied only when lowering.
//! Serializes to JSON for import/export; source positions are never serialized.

use super::diagnostic::Span;
use super::units::{Dist, Duration, Factor, Percent, Rate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A name as written (service, queue, topic, client, method, message), with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Ident {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

impl Ident {
    pub fn new(name: impl Into<String>) -> Ident {
        Ident {
            name: name.into(),
            span: Span::default(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Comments attached to a line: full-line `#` comments just above it, and one at its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Notes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl Notes {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_none()
    }
}

/// A whole scenario: the header line, then every other line in the order written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub duration: Duration,
    /// Most events one run may process before it stops with "event budget exhausted".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<u64>,
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub notes: Notes,
    pub items: Vec<Item>,
    /// Comments after the last line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trailing_comments: Vec<String>,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario {
            name: DEFAULT_NAME.to_string(),
            seed: DEFAULT_SEED,
            duration: Duration::from_secs(DEFAULT_DURATION_S),
            budget: None,
            notes: Notes::default(),
            items: Vec::new(),
            trailing_comments: Vec::new(),
        }
    }
}

pub const DEFAULT_NAME: &str = "untitled";
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_DURATION_S: u64 = 60;

/// One top-level line (a handler line includes its indented steps).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    #[serde(flatten)]
    pub kind: ItemKind,
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub notes: Notes,
    #[serde(skip)]
    pub span: Span,
}

impl Item {
    pub fn new(kind: ItemKind) -> Item {
        Item {
            kind,
            notes: Notes::default(),
            span: Span::default(),
        }
    }
}

// A parse tree, built once per Apply: a `Client` line's size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum ItemKind {
    Network(Network),
    Link(Link),
    Service(Service),
    Queue(Queue),
    Topic(Topic),
    Client(Client),
    Cache(Cache),
    Handler(Handler),
    Fault(Fault),
}

/// `cache items capacity 1000 ttl 30s keys 10000 zipf 0.9 coalesce` — a read-through cache
/// that calls name with `cache items`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub name: Ident,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// How many keys requests ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u32>,
    /// Zipf exponent of the key popularity (uniform without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf: Option<Factor>,
    /// Misses of a key being fetched wait for that fetch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub coalesce: bool,
}

/// `network latency 2ms..8ms loss 0.1%` — defaults for every link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Dist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Percent>,
}

/// `link orders <-> payments latency 20ms loss 1%` — one pair of nodes (either order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub a: Ident,
    pub b: Ident,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Dist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Percent>,
}

/// `service orders workers 4 time 20ms±5ms backlog 100`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: Ident,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Default duration of a `work` step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Dist>,
    /// Requests that may wait for a worker; beyond it they are rejected (503 / RESOURCE_EXHAUSTED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u32>,
    /// A freed worker takes the newest waiting request, not the oldest (`lifo`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lifo: bool,
    /// Adaptive LIFO: the newest first only while more than this many wait (`lifo-above 50`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifo_above: Option<u32>,
    /// Shed a request that waited longer than this for a worker (`shed-after 200ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shed_after: Option<Duration>,
    /// Token-bucket rate limit (`rate-limit 100/s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Rate>,
    /// The bucket's size (`burst 20`); by default one second of the rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    /// Each calling node has its own bucket (`per-caller`); only with `rate_limit`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_caller: bool,
    /// Universal Scalability Law contention α (`contention 5%`): each request's `work` takes
    /// `1 + α(N−1) + βN(N−1)` times as long with `N` busy workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contention: Option<Percent>,
    /// Universal Scalability Law coherence β (`coherence 0.1%`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coherence: Option<Percent>,
    /// Copies of the service behind a load balancer (`replicas 3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// The load balancer's policy (`lb least-requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lb: Option<Balancer>,
    /// Outlier ejection: server errors in a row that eject a replica (`eject-after 5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eject_after: Option<u32>,
    /// Base ejection time (`eject-for 30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eject_for: Option<Duration>,
    /// Most replicas out at once (`max-ejected 50%`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ejected: Option<Percent>,
}

/// How a load balancer picks a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Balancer {
    RoundRobin,
    Random,
    LeastRequests,
    P2c,
}

impl Balancer {
    pub const ALL: [Balancer; 4] = [
        Balancer::RoundRobin,
        Balancer::Random,
        Balancer::LeastRequests,
        Balancer::P2c,
    ];
    pub fn keyword(self) -> &'static str {
        match self {
            Balancer::RoundRobin => "round-robin",
            Balancer::Random => "random",
            Balancer::LeastRequests => "least-requests",
            Balancer::P2c => "p2c",
        }
    }
}

/// What a full queue does with one more message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// The producer's enqueue fails (backpressure).
    Reject,
    /// The oldest waiting message is discarded to make room.
    DropOldest,
}

impl Overflow {
    pub fn keyword(self) -> &'static str {
        match self {
            Overflow::Reject => "reject",
            Overflow::DropOldest => "drop-oldest",
        }
    }
}

/// `queue jobs capacity 100 overflow reject visibility 5s max-attempts 3 dlq jobs-dlq`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub name: Ident,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Overflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Dead-letter queue; declared implicitly if no `queue` line names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq: Option<Ident>,
    /// How long producers wait for the broker's confirm of a message (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_timeout: Option<Duration>,
    /// How often producers send again when no confirm came in time (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_retries: Option<u32>,
}

/// `topic order-events confirm-timeout 2s confirm-retries 0`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub name: Ident,
    /// As for queues: the publishers' wait for the confirm (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_timeout: Option<Duration>,
    /// As for queues: sends again after a confirm timeout (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_retries: Option<u32>,
}

/// How a client spaces its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Evenly spaced (the default).
    Constant,
    /// Exponential gaps with the same mean rate.
    Poisson,
}

/// `client web rate 20/s poisson -> gateway POST /checkout timeout 1s` (open loop), or
/// `client shoppers users 50 think exp(2s) -> gateway POST /checkout timeout 1s` (closed loop).
/// The parser makes sure a client has exactly one of `rate` and `users`, a ramp only with a
/// rate, and `think` exactly with `users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub name: Ident,
    /// Open loop: requests per unit of time (at the start of a ramp); `0/s` sends only the
    /// bursts of `at … burst`. `None` for a client of users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// `rate 10/s..200/s over 60s`: the rate goes linearly from `rate` to `ramp.to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Ramp>,
    pub arrival: Arrival,
    /// Closed loop: this many users, each sending a request, waiting for its answer, thinking,
    /// and sending again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// The users' think time between an answer and their next request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think: Option<Dist>,
    /// First request at this time (default: at the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Duration>,
    /// No requests from this time on (default: the end of the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Duration>,
    pub call: Call,
}

/// The end of a linear rate ramp: `rate 10/s..200/s over 60s` is `to` 200/s, `over` 60s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ramp {
    pub to: Rate,
    pub over: Duration,
}

/// HTTP request methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 5] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    pub fn from_keyword(s: &str) -> Option<HttpMethod> {
        HttpMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// gRPC status codes: the engine's own type (`crate::sim::GrpcCode`), named in the text by its
/// canonical upper-snake name (`DEADLINE_EXCEEDED`).
pub use crate::sim::GrpcCode;

/// A reply or failure status: an HTTP code (100–599) for REST, a gRPC code for RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Status {
    Http(u16),
    Grpc(GrpcCode),
}

impl Status {
    /// 2xx/3xx or OK, as the engine counts success.
    pub fn is_success(self) -> bool {
        match self {
            Status::Http(c) => (200..400).contains(&c),
            Status::Grpc(g) => g == GrpcCode::Ok,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Http(code) => write!(f, "{code}"),
            Status::Grpc(code) => f.write_str(code.as_str()),
        }
    }
}

/// Where a call goes: a REST endpoint or an RPC method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// `orders POST /orders`
    Rest {
        service: Ident,
        method: HttpMethod,
        path: String,
    },
    /// `orders.CreateOrder`
    Rpc { service: Ident, method: Ident },
}

impl Target {
    pub fn service(&self) -> &Ident {
        match self {
            Target::Rest { service, .. } | Target::Rpc { service, .. } => service,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Rest {
                service,
                method,
                path,
            } => write!(f, "{service} {method} {path}"),
            Target::Rpc { service, method } => write!(f, "{service}.{method}"),
        }
    }
}

/// Options of a call: `timeout 300ms retries 3 backoff 50ms max-backoff 1s jitter breaker 50%`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CallOptions {
    /// The whole call's budget, retries and backoff included: the client timeout (REST, written
    /// `timeout`) or the deadline (RPC, written `deadline`; it propagates to downstream calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Limit on each attempt (`attempt-timeout`); a retry follows if the policy allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_timeout: Option<Duration>,
    /// Extra attempts after the first fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// The statuses that are retried (`retry-on 503,504`), instead of the protocol's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on: Option<Vec<Status>>,
    /// REST: repeating this request is safe, so a `POST`/`PATCH` is retried like a `PUT`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub idempotent: bool,
    /// REST: every attempt carries one idempotency key (implies `idempotent`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub idempotency_key: bool,
    /// Wait before the first retry; doubles each retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
    /// Growth of the backoff per retry (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<Factor>,
    /// Cap on the grown backoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<Duration>,
    /// Randomise each backoff: up to this share of it is taken off at random. `jitter` alone is
    /// 100% ("full jitter": uniform between 0 and the backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Percent>,
    /// `hedge 3 after 50ms`: send up to this many attempts, one more after each delay
    /// (gRPC's hedging policy); instead of retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hedge: Option<Hedge>,
    /// `retry-budget 10% max-tokens 20`: gRPC's retry throttling for this call site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RetryBudget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<Breaker>,
    /// `on-error continue`: a failed call does not fail the handler; the next step runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_on_error: bool,
    /// `cache items`: read through this cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Ident>,
    /// `pool 10`: at most this many calls of this call site in flight (a connection pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    /// `pool-wait 100ms`: how long a call waits for a connection (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_wait: Option<Duration>,
}

/// Hedged requests: `hedge 3 after 50ms` (gRFC A6 `maxAttempts`, `hedgingDelay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hedge {
    /// Attempts in all, the first included (2–5).
    pub attempts: u32,
    /// Wait before each further attempt.
    pub after: Duration,
}

/// Retry throttling: `retry-budget 10% max-tokens 20` (gRFC A6 `tokenRatio`, `maxTokens`).
/// Each failed attempt takes a token, each success gives back the share; retries and hedges
/// stop while at most half the tokens are left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryBudget {
    /// Tokens a success gives back (`tokenRatio`), in steps of 0.1%.
    pub share: Percent,
    /// Most tokens (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// Circuit breaker on a call: `breaker 50% window 10s min-calls 5 cooldown 5s probes 1`.
/// Opens when at least `min_calls` calls ended in the window and the failure share reached the
/// threshold; after `cooldown`, `probes` calls are let through (half-open).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub threshold: Percent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<u32>,
    /// An attempt slower than this counts as a failure (`slow 500ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<Duration>,
}

/// `call orders.CreateOrder deadline 300ms retries 2 backoff 50ms`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub target: Target,
    #[serde(default, skip_serializing_if = "is_default_options")]
    pub options: CallOptions,
}

fn is_default_options(o: &CallOptions) -> bool {
    *o == CallOptions::default()
}

/// What starts a handler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// `gateway POST /checkout:`, or `orders POST /orders dedupe:` to honour idempotency keys.
    Rest {
        method: HttpMethod,
        path: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dedupe: bool,
    },
    /// `orders rpc CreateOrder:`
    Rpc { method: Ident },
    /// `payments consume payments-q concurrency 2:` — a competing consumer of a queue.
    Consume {
        queue: Ident,
        /// Messages this consumer handles at once (its own slots, apart from the service's
        /// workers; default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concurrency: Option<u32>,
        /// How long in all the consumer extends the visibility of a message it still handles
        /// (SQS `ChangeMessageVisibility`); default 0, never.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_extension: Option<Duration>,
    },
    /// `emails subscribe order-events as emails filter kind=OrderCreated ack-deadline 10s:`
    Subscribe {
        topic: Ident,
        /// Subscription name; handlers naming the same subscription compete for its messages.
        /// Default: the service's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subscription: Option<Ident>,
        /// Keep only messages published with this attribute.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Attr>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ack_deadline: Option<Duration>,
        /// Backlog capacity of the subscription.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        overflow: Option<Overflow>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_attempts: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dlq: Option<Ident>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concurrency: Option<u32>,
        /// Lease management: how long in all the subscriber's client library extends the ack
        /// deadline of a message it still handles; default 60 minutes, `0s` turns it off.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_extension: Option<Duration>,
    },
}

/// A message attribute `key=value` (published with a message, or matched by a filter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attr {
    pub key: Ident,
    pub value: Ident,
}

/// `SERVICE TRIGGER:` followed by indented steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handler {
    pub service: Ident,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
}

/// One indented line of a handler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    #[serde(flatten)]
    pub kind: StepKind,
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub notes: Notes,
    #[serde(skip)]
    pub span: Span,
}

impl Step {
    pub fn new(kind: StepKind) -> Step {
        Step {
            kind,
            notes: Notes::default(),
            span: Span::default(),
        }
    }
}

// A parse tree, built once per Apply: a `Call` step's size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepKind {
    /// `work` (the service's time) or `work 5ms..10ms`; holds a worker.
    Work {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time: Option<Dist>,
    },
    /// `call …`; waits for the reply.
    Call(Call),
    /// `parallel:` then the calls indented below it; waits for all of them.
    Parallel { calls: Vec<ParallelCall> },
    /// `publish order-events OrderCreated region=eu`
    Publish {
        topic: Ident,
        message: Ident,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attrs: Vec<Attr>,
    },
    /// `enqueue payments-q Charge`
    Enqueue { queue: Ident, message: Ident },
    /// `reply 201` / `reply OK`: the caller gets its answer now; later steps still run.
    Reply { status: Status },
    /// `retry-after 2s`: the reply sent after this step asks the caller to wait this long
    /// before a retry (HTTP `Retry-After`; gRPC server pushback).
    RetryAfter { after: Duration },
    /// `fail 5%` or `fail 5% 503`: with this probability the handler ends in failure here.
    Fail {
        probability: Percent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<Status>,
    },
    /// `ack` (consumers; implied at the end).
    Ack,
    /// `nack` (consumers): hand the message back for redelivery.
    Nack,
}

/// One call under `parallel:`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParallelCall {
    #[serde(flatten)]
    pub call: Call,
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub notes: Notes,
    #[serde(skip)]
    pub span: Span,
}

/// `at 20s …` — one entry of the fault schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub at: Duration,
    pub action: FaultAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FaultAction {
    /// `partition orders <-> payments,emails for 5s` — messages between the two sides are lost.
    Partition {
        a: Vec<Ident>,
        b: Vec<Ident>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `crash payments for 10s` — in-flight work lost; restarts after the time (without `for`,
    /// it stays down).
    Crash {
        service: Ident,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `vanish payments for 10s` — the host is gone: messages to it are lost unanswered.
    Vanish {
        service: Ident,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `slow orders <-> payments +200ms for 10s` — extra latency on a link (or `network`: all).
    Slow {
        link: LinkSel,
        extra: Duration,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `loss orders <-> payments 20% for 10s` — extra message loss on a link (or `network`: all).
    Loss {
        link: LinkSel,
        probability: Percent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `errors payments 50% for 10s` — the service's requests fail (500 / INTERNAL; consumers
    /// nack) with this probability.
    Errors {
        service: Ident,
        probability: Percent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasting: Option<Duration>,
    },
    /// `burst web 200` — the client sends this many extra requests at once.
    Burst { client: Ident, count: u32 },
    /// `flush items` — every entry of the cache is dropped at that instant.
    Flush { cache: Ident },
}

/// Which links a network fault touches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkSel {
    /// `network`: every link.
    Network,
    /// `a <-> b`: the link between two nodes, either direction.
    Between(Ident, Ident),
}
