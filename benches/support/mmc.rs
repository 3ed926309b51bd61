//! The M/M/c benchmark workload, shared by benches/engine.rs (native, against SimPy),
//! tests/engine_speed.rs (the same workload natively and in wasm, for benches/wasm_ratio.sh) and
//! tests/fidelity.rs (the same queue against queueing theory):
//! a Poisson client calling one REST endpoint with a single exponential `work` step on a
//! `SERVERS`-worker service, zero-latency network, sized to complete about `customers` requests.

use switchboard::sim::{Call, Client, Dist, Handler, HttpMethod, Network, Service, SimTime, World};

pub const SERVERS: u32 = 4;
pub const MEAN_SERVICE_MS: u64 = 10;
pub const RHO: f64 = 0.8;

pub fn mmc_world(customers: u64) -> World {
    let lambda = RHO * f64::from(SERVERS) / (MEAN_SERVICE_MS as f64 / 1000.0);
    let secs = customers as f64 / lambda;
    queue_world(
        SERVERS,
        Dist::exp_ms(MEAN_SERVICE_MS),
        lambda,
        SimTime::from_secs_f64(secs),
    )
}

/// A single queue: Poisson arrivals at `lambda` per second calling one REST endpoint whose
/// handler is one `work` step taking `service`, on `servers` workers with an unbounded backlog,
/// over a zero-latency network, for `duration`. With exponential service this is M/M/c; with a
/// constant one, M/D/c. tests/fidelity.rs checks it against the formulas.
pub fn queue_world(servers: u32, service: Dist, lambda: f64, duration: SimTime) -> World {
    World::new()
        .duration(duration)
        .event_budget(u64::MAX)
        .network(Network::latency(Dist::ZERO))
        .service(Service::new("server").workers(servers).time(service).rest(
            HttpMethod::Post,
            "/job",
            Handler::new().work(),
        ))
        .client(
            Client::new(
                "arrivals",
                Call::rest("server", HttpMethod::Post, "/job"),
                lambda,
            )
            .poisson(),
        )
}
