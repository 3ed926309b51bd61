//! Deterministic simulation engine: simulated time, events, RNG, network, services, REST/RPC/queue/pubsub,
//! faults, resilience, trace and metrics. Pure Rust: no web crates, no wall clock, no unordered iteration.
//!
//! Lifecycle (in the spirit of turmoil and nexosim):
//!
//! ```text
//! World (plain data, world.rs) ──Sim::new(world, seed)──► Sim ──step()/run_until(t)/run_to_end()──►
//!     trace()   : append-only chunked list of Records, one per message hop / work span (trace.rs)
//!     metrics() : histograms, counters, time series (metrics.rs)
//!     in_flight(), mailboxes(), breakers(), crashed(), partitions() : live state for the UI
//! ```
//!
//! Invariants stated as absences: the engine never reads a clock, never iterates an unordered
//! collection, never draws randomness from anything but the run's single seeded `SimRng`, never
//! calls the platform's float math (all transcendental functions go through `libm`), and never
//! panics on anything a world can contain — bad worlds are `WorldError`s from `Sim::new`.

mod chunked;
pub(crate) mod compile;
pub mod dist;
mod engine;
mod kernel;
pub mod metrics;
mod protocol;
pub mod reference;
mod slab;
pub mod time;
pub mod trace;
pub mod world;

pub use compile::{CheckedWorld, NodeInfo, NodeKind, WorldError, MAX_KEYS, MAX_REPLICAS};
pub use dist::{Dist, SimRng};
pub use engine::{
    BalancerView, BreakerView, CacheView, EventKind, InFlight, MailboxView, Partition, ReplicaView,
    ServiceView, Sim, StepInfo, UsersView,
};
pub use kernel::StopReason;
pub use metrics::{
    throughput, BalancerMetrics, CacheMetrics, ClientMetrics, ConsumerMetrics, EndpointMetrics,
    Histogram, MailboxMetrics, Metrics, Series, SeriesPoint, ServiceMetrics, Totals,
};
pub use time::SimTime;
pub use trace::{
    format_record, BreakerState, CacheResult, DropReason, Kind, Mechanism, NameId, Names, NodeId,
    Outcome, Record, RecordId, RecordIter, Records, RejectReason, Trace, TraceId,
};
pub use world::{
    Arrival, AttributeFilter, Balancer, BreakerPolicy, Burst, Cache, Call, Client, Confirms,
    Consumer, Endpoint, Fault, FaultKind, GrpcCode, Handler, HedgePolicy, HttpMethod, Keys, Link,
    LinkSelector, Network, OnError, OutlierPolicy, Overflow, Pool, Queue, Ramp, RateLimit,
    RetryBudget, RetryPolicy, Route, RunSettings, Service, Slowdown, Source, Status, Step,
    Subscription, Target, Topic, Users, World,
};
