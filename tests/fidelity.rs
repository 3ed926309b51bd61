//! Fidelity against queueing theory (run in release: `cargo test --release --test fidelity`).
//!
//! Each world is a Poisson client calling one REST endpoint whose handler is a single `work`
//! step, on a service with `c` workers and an unbounded backlog, over a zero-latency network:
//! exactly an M/M/c (or M/D/1) queue. Mean time in system (arrival → reply, from the endpoint's
//! latency histogram, whose mean is exact) must be within 2% of the formula, and Little's law
//! L = λW must hold within 1%, with L the time-average number in the service (busy + waiting)
//! from the engine's own accounting. Customer counts are sized so the 2% bound is ≥ 4 standard
//! errors of the estimate; the seed is fixed and was not chosen to make anything pass.

use switchboard::sim::*;

// The benchmarks' queue, so what is checked here is what they time. Fidelity uses only
// `queue_world` from it.
#[allow(dead_code)]
#[path = "../benches/support/mmc.rs"]
mod mmc;

const MEAN_SERVICE_MS: f64 = 10.0;
const SEED: u64 = 2024;

struct Outcome {
    customers: u64,
    mean_w_ms: f64,
    littles_l: f64,
    lambda_w: f64,
}

fn simulate(servers: u32, rho: f64, service: Dist, customers: u64) -> Outcome {
    let mu = 1000.0 / MEAN_SERVICE_MS; // per second, per server
    let lambda = rho * mu * f64::from(servers);
    let duration = SimTime::from_secs_f64(customers as f64 / lambda);
    let world = mmc::queue_world(servers, service, lambda, duration).tracing(false);
    let mut sim = Sim::new(world, SEED).expect("valid world");
    let stop = sim.run_to_end();
    assert_eq!(stop, StopReason::Finished { at: duration });
    let m = sim.metrics();
    let ep = &m.endpoints[0];
    let w_ms = ep.latency.mean_micros() / 1000.0;
    let t = sim.now().as_secs_f64();
    let arrivals_per_sec = ep.requests as f64 / t;
    Outcome {
        customers: ep.latency.count(),
        mean_w_ms: w_ms,
        littles_l: m.services[0].mean_in_system(sim.now()),
        lambda_w: arrivals_per_sec * w_ms / 1000.0,
    }
}

fn factorial(n: u32) -> f64 {
    (1..=n).map(f64::from).product()
}

/// Erlang C mean time in system for M/M/c, in ms.
fn mmc_w_ms(c: u32, rho: f64) -> f64 {
    let mu = 1000.0 / MEAN_SERVICE_MS;
    let lambda = rho * mu * f64::from(c);
    let a = lambda / mu;
    let top = a.powi(c as i32) / factorial(c) * (f64::from(c) / (f64::from(c) - a));
    let bottom: f64 = (0..c).map(|k| a.powi(k as i32) / factorial(k)).sum::<f64>() + top;
    let p_wait = top / bottom;
    let wq = p_wait / (f64::from(c) * mu - lambda);
    (wq + 1.0 / mu) * 1000.0
}

/// Pollaczek–Khinchine mean time in system for M/D/1, in ms.
fn md1_w_ms(rho: f64) -> f64 {
    let mu = 1000.0 / MEAN_SERVICE_MS;
    let wq = rho / (2.0 * mu * (1.0 - rho));
    (wq + 1.0 / mu) * 1000.0
}

fn check(name: &str, o: &Outcome, theory_ms: f64, min_customers: u64) {
    let err = (o.mean_w_ms - theory_ms).abs() / theory_ms;
    let little = (o.littles_l - o.lambda_w).abs() / o.lambda_w;
    println!(
        "{name}: customers={} W={:.4}ms theory={:.4}ms err={:.3}% L={:.5} λW={:.5} little_err={:.4}%",
        o.customers,
        o.mean_w_ms,
        theory_ms,
        err * 100.0,
        o.littles_l,
        o.lambda_w,
        little * 100.0
    );
    assert!(
        o.customers >= min_customers,
        "{name}: only {} customers",
        o.customers
    );
    assert!(
        err <= 0.02,
        "{name}: W {:.4} vs {:.4} ({:.2}%)",
        o.mean_w_ms,
        theory_ms,
        err * 100.0
    );
    assert!(
        little <= 0.01,
        "{name}: Little L {} vs λW {}",
        o.littles_l,
        o.lambda_w
    );
}

fn exp_service() -> Dist {
    Dist::Exponential {
        mean: SimTime::from_millis(MEAN_SERVICE_MS as u64),
    }
}

#[test]
fn mm1_at_rho_0_5() {
    // Relative standard error of W at 1.5M customers ≈ 0.15%.
    let o = simulate(1, 0.5, exp_service(), 1_500_000);
    check("M/M/1 rho=0.5", &o, mmc_w_ms(1, 0.5), 1_000_000);
}

#[test]
fn mm1_at_rho_0_8() {
    // The noisiest case: the standard error of W is ≈ 0.9% at 1M customers, so use 5M (≈ 0.4%).
    let o = simulate(1, 0.8, exp_service(), 5_000_000);
    check("M/M/1 rho=0.8", &o, mmc_w_ms(1, 0.8), 1_000_000);
}

#[test]
fn mm4_erlang_c() {
    let o = simulate(4, 0.8, exp_service(), 3_000_000);
    check("M/M/4 rho=0.8", &o, mmc_w_ms(4, 0.8), 1_000_000);
}

#[test]
fn md1_pollaczek_khinchine() {
    let o = simulate(1, 0.8, Dist::constant_ms(MEAN_SERVICE_MS as u64), 3_000_000);
    check("M/D/1 rho=0.8", &o, md1_w_ms(0.8), 1_000_000);
}

#[test]
fn formulas_match_textbook_values() {
    // M/M/1: W = 1/(μ-λ). M/M/4 at a = 3.2: Erlang C ≈ 0.5964. M/D/1: W = 1/μ + ρ/(2μ(1-ρ)).
    assert!((mmc_w_ms(1, 0.5) - 20.0).abs() < 1e-9);
    assert!((mmc_w_ms(1, 0.8) - 50.0).abs() < 1e-9);
    assert!((mmc_w_ms(4, 0.8) - (10.0 + 0.596_43 / 80.0 * 1000.0)).abs() < 0.01);
    assert!((md1_w_ms(0.8) - 30.0).abs() < 1e-9);
}

/// Mean time in system (ms) over the replicas of a service of `replicas` one-worker replicas
/// behind a balancer, fed Poisson arrivals at `rho` per replica, and the customers served.
fn replicated(replicas: u32, lb: Balancer, rho: f64, customers: u64) -> (f64, u64) {
    let mu = 1000.0 / MEAN_SERVICE_MS;
    let lambda = rho * mu * f64::from(replicas);
    let duration = SimTime::from_secs_f64(customers as f64 / lambda);
    let world = World::new()
        .duration(duration)
        .event_budget(u64::MAX)
        .tracing(false)
        .network(Network::latency(Dist::ZERO))
        .service(
            Service::new("server")
                .replicas(replicas)
                .balancer(lb)
                .time(exp_service())
                .rest(HttpMethod::Post, "/job", Handler::new().work()),
        )
        .client(
            Client::new(
                "arrivals",
                Call::rest("server", HttpMethod::Post, "/job"),
                lambda,
            )
            .poisson(),
        );
    let mut sim = Sim::new(world, SEED).expect("valid world");
    sim.run_to_end();
    let eps = &sim.metrics().endpoints;
    let n: u64 = eps.iter().map(|e| e.latency.count()).sum();
    let total_us: f64 = eps
        .iter()
        .map(|e| e.latency.mean_micros() * e.latency.count() as f64)
        .sum();
    (total_us / n as f64 / 1000.0, n)
}

#[test]
fn random_routing_to_replicas_is_independent_mm1_queues() {
    // Splitting a Poisson stream at random gives each replica a Poisson stream of its share:
    // three M/M/1 queues at ρ = 0.5, W = 20 ms.
    let (w, n) = replicated(3, Balancer::Random, 0.5, 1_500_000);
    let theory = mmc_w_ms(1, 0.5);
    println!("random ×3: customers={n} W={w:.4}ms theory={theory:.4}ms");
    assert!(n >= 1_000_000);
    assert!((w - theory).abs() / theory <= 0.02, "W {w} vs {theory}");
}

/// GI/M/1 mean time in system (ms) with Erlang-2 arrivals: every other arrival of a Poisson
/// stream at `lambda` per second, served at `mu`. σ is the root in (0, 1) of
/// σ = A*(μ(1 − σ)) with A*(s) = (λ / (λ + s))²; W = 1 / (μ(1 − σ)).
fn e2_m1_w_ms(lambda: f64, mu: f64) -> f64 {
    let mut sigma: f64 = 0.5;
    for _ in 0..500 {
        sigma = (lambda / (lambda + mu * (1.0 - sigma))).powi(2);
    }
    1000.0 / (mu * (1.0 - sigma))
}

#[test]
fn round_robin_routing_to_two_replicas_is_two_e2_m1_queues() {
    // Round-robin hands each of two replicas every other arrival: Erlang-2 gaps, smoother than
    // Poisson, so at the same load (ρ = 0.8) the wait is shorter than M/M/1's 50 ms.
    let (w, n) = replicated(2, Balancer::RoundRobin, 0.8, 2_000_000);
    let mu = 1000.0 / MEAN_SERVICE_MS;
    let theory = e2_m1_w_ms(2.0 * 0.8 * mu, mu);
    println!("round-robin ×2: customers={n} W={w:.4}ms theory={theory:.4}ms");
    assert!((theory - 38.44).abs() < 0.01, "{theory}");
    assert!(n >= 1_000_000);
    assert!((w - theory).abs() / theory <= 0.02, "W {w} vs {theory}");
}
