//! The reference world: a small system using every mechanism, fault and resilience feature,
//! shared by the native and wasm determinism tests (which pin its trace hash) and benchmarks.

use crate::sim::dist::Dist;
use crate::sim::time::SimTime;
use crate::sim::world::{
    BreakerPolicy, Call, Client, Fault, Handler, HttpMethod, Link, LinkSelector, Network, Queue,
    RetryPolicy, Service, Status, Subscription, Topic, World,
};

/// Seed used with [`reference_world`] by the determinism tests.
pub const REFERENCE_SEED: u64 = 42;

/// The trace hash (`Sim::trace_hash`) of `reference_world()` run to the end with
/// `REFERENCE_SEED`. Pinned by tests/determinism.rs (native) and tests/web_sim.rs (wasm): both
/// must produce exactly this value. Update it only when the engine's behaviour changes on purpose.
pub const REFERENCE_TRACE_HASH: u64 = 0x0ebd_a6d7_3ff5_9560;

fn ms(n: u64) -> SimTime {
    SimTime::from_millis(n)
}

/// A 5-second checkout system: REST gateway, RPC services with deadlines, a queue with a DLQ,
/// a topic with a filtered subscription, retries, a breaker, two clients with a burst, and one
/// fault of each kind.
pub fn reference_world() -> World {
    World::new()
        .duration(SimTime::from_secs(5))
        .event_budget(5_000_000)
        .network(Network::latency(Dist::uniform_ms(1, 3)).loss(0.005))
        .link(Link::between("gateway", "web").latency(Dist::constant_ms(5)))
        .service(
            Service::new("gateway")
                .workers(8)
                .backlog(20)
                .time(Dist::normal_ms(2, 1))
                .rest(
                    HttpMethod::Post,
                    "/checkout",
                    Handler::new()
                        .work()
                        .call(
                            Call::rpc("orders", "CreateOrder")
                                .timeout(ms(200))
                                .retry(RetryPolicy::retries(2).backoff(ms(20)).jitter(0.5))
                                .breaker(BreakerPolicy {
                                    failure_ratio: 0.5,
                                    window: SimTime::from_secs(1),
                                    min_requests: 5,
                                    cooldown: ms(300),
                                    half_open_probes: 1,
                                    slow_call: None,
                                }),
                        )
                        .parallel(vec![
                            Call::rest("inventory", HttpMethod::Get, "/stock").timeout(ms(100)),
                            Call::rpc("pricing", "Quote")
                                .timeout(ms(100))
                                .continue_on_error(),
                        ])
                        .reply(Status::Http(201)),
                ),
        )
        .service(
            Service::new("orders")
                .workers(4)
                .backlog(10)
                .time(Dist::exp_ms(8))
                .rpc(
                    "CreateOrder",
                    Handler::new()
                        .work()
                        .publish_with(
                            "order-events",
                            "OrderCreated",
                            vec![("region".into(), "eu".into())],
                        )
                        .enqueue("payments-q", "Charge")
                        .reply(Status::OK_GRPC),
                ),
        )
        .service(
            Service::new("inventory")
                .workers(4)
                .time(Dist::uniform_ms(1, 6))
                .rest(HttpMethod::Get, "/stock", Handler::new().work()),
        )
        .service(
            Service::new("pricing")
                .workers(2)
                .time(Dist::log_normal_mean_sd(ms(5), ms(3)))
                .rpc(
                    "Quote",
                    Handler::new()
                        .work()
                        .fail_with(0.05, Status::Grpc(crate::sim::world::GrpcCode::Unavailable)),
                ),
        )
        .service(
            Service::new("payments")
                .workers(2)
                .time(Dist::exp_ms(15))
                .consume("payments-q", 2, Handler::new().work().fail(0.1).ack()),
        )
        .service(Service::new("emails").time(Dist::constant_ms(4)).subscribe(
            "order-events",
            "emails",
            1,
            Handler::new().work(),
        ))
        .service(
            Service::new("analytics")
                .time(Dist::constant_ms(1))
                .subscribe("order-events", "eu-only", 2, Handler::new().work()),
        )
        .queue(
            Queue::new("payments-q")
                .capacity(50)
                .visibility(ms(300))
                .max_attempts(3)
                .dlq("payments-dlq"),
        )
        .queue(Queue::new("payments-dlq"))
        .topic(
            Topic::new("order-events")
                .subscription(Subscription::new("emails").ack_deadline(ms(200)))
                .subscription(Subscription::new("eu-only").filter("region", "eu")),
        )
        .client(
            Client::new(
                "web",
                Call::rest("gateway", HttpMethod::Post, "/checkout").timeout(ms(500)),
                40.0,
            )
            .poisson()
            .burst(ms(2_000), 30),
        )
        .client(Client::new(
            "mobile",
            Call::rpc("orders", "CreateOrder").timeout(ms(150)),
            10.0,
        ))
        .fault(Fault::crash("payments", ms(1_000), ms(500)))
        .fault(Fault::loss(
            LinkSelector::Between("gateway".into(), "orders".into()),
            0.1,
            ms(2_500),
            ms(200),
        ))
        .fault(Fault::partition("gateway", "inventory", ms(3_000), ms(300)))
        .fault(Fault::latency_spike(
            LinkSelector::All,
            ms(20),
            ms(3_500),
            ms(200),
        ))
        .fault(Fault::error_spike("orders", 0.3, ms(4_000), ms(300)))
}
