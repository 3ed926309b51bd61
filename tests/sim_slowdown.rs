//! Load-dependent slowdown (the Universal Scalability Law on a service): a request's `work`
//! step takes its sampled time multiplied by `1 + α(N−1) + βN(N−1)`, `N` the service's busy
//! workers when the step starts (itself included); consumers' work is not slowed; a service
//! without the option behaves, and draws random numbers, exactly as before.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

/// Service `s`: `workers` workers, 10 ms per request, `GET /x` that works.
fn svc(workers: u32) -> Service {
    Service::new("s")
        .workers(workers)
        .time(Dist::constant_ms(10))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
}

fn get() -> Call {
    Call::rest("s", HttpMethod::Get, "/x")
}

fn world(s: Service) -> World {
    World::new()
        .duration(SimTime::from_secs(10))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(s)
}

fn burst(at: SimTime, n: u32) -> Client {
    Client::new("c", get(), 0.0).burst(at, n)
}

#[test]
fn each_work_step_is_multiplied_by_the_usl_factor_of_the_busy_workers_when_it_starts() {
    // Four workers, contention 10%, coherence 1%; three requests at once. The first starts
    // with N = 1 (10 ms), the second with N = 2 (×1.12: 11.2 ms), the third with N = 3
    // (×1.26: 12.6 ms). A fourth request at 5 ms finds N = 4 (×1.42: 14.2 ms). None is
    // shortened when the others end: the factor is fixed when the step starts.
    let w = world(svc(4).slowdown(0.10, 0.01))
        .client(burst(SimTime::ZERO, 3))
        .client(Client::new("d", get(), 0.0).burst(ms(5), 1));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        5.000ms 6.000ms d -> s rest GET /x OK attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 200 attempt 1
        1.000ms 12.200ms s -> s work GET /x OK attempt 1
        12.200ms 13.200ms s -> c rest-reply GET /x 200 attempt 1
        1.000ms 13.600ms s -> s work GET /x OK attempt 1
        13.600ms 14.600ms s -> c rest-reply GET /x 200 attempt 1
        6.000ms 20.200ms s -> s work GET /x OK attempt 1
        20.200ms 21.200ms s -> d rest-reply GET /x 200 attempt 1
        ",
    );
}

#[test]
fn waiting_requests_are_not_counted_only_those_holding_a_worker() {
    // Two workers, contention 50%; four requests at once. The first two start with N = 1 and
    // N = 2 (10 ms, 15 ms); the other two wait in the backlog, which does not slow anyone.
    // At 11 ms the first worker frees and the third request starts with N = 2 (15 ms, the
    // second still runs); at 16 ms the fourth starts with N = 2 as well.
    let w = world(svc(2).slowdown(0.5, 0.0)).client(burst(SimTime::ZERO, 4));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, " work "),
        norm(
            "
            1.000ms 11.000ms s -> s work GET /x OK attempt 1
            1.000ms 16.000ms s -> s work GET /x OK attempt 1
            11.000ms 26.000ms s -> s work GET /x OK attempt 1
            16.000ms 31.000ms s -> s work GET /x OK attempt 1
            "
        )
    );
}

#[test]
fn a_worker_waiting_on_a_downstream_call_counts_as_busy() {
    // `s` calls `db` (20 ms) and then works. Two requests 1 ms apart: the second's work starts
    // at 22 ms while the first's worker is still held (the first works from 21 ms): N = 2,
    // ×1.25 with contention 25%. The first's work started with the second waiting on db: also
    // N = 2. Explicit `work 8ms` steps are slowed like plain ones.
    let s = Service::new("s").workers(2).slowdown(0.25, 0.0).rest(
        HttpMethod::Get,
        "/x",
        Handler::new()
            .call(Call::rest("db", HttpMethod::Get, "/y"))
            .work_for(Dist::constant_ms(8)),
    );
    let db = Service::new("db")
        .workers(2)
        .time(Dist::constant_ms(18))
        .rest(HttpMethod::Get, "/y", Handler::new().work());
    let w = world(s)
        .service(db)
        .client(burst(SimTime::ZERO, 1))
        .client(Client::new("d", get(), 0.0).burst(ms(1), 1));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "s -> s work"),
        norm(
            "
            21.000ms 31.000ms s -> s work GET /x OK attempt 1
            22.000ms 32.000ms s -> s work GET /x OK attempt 1
            "
        )
    );
}

#[test]
fn the_factor_is_exact_to_the_microsecond_and_capped() {
    // 7 ms with two busy workers and contention 1.5%: 7.105 ms exactly.
    let s = Service::new("s")
        .workers(2)
        .time(Dist::constant_ms(7))
        .slowdown(0.015, 0.0)
        .rest(HttpMethod::Get, "/x", Handler::new().work());
    let sim = run(world(s).client(burst(SimTime::ZERO, 2)));
    assert_eq!(
        lines_with(&sim, " work "),
        norm(
            "
            1.000ms 8.000ms s -> s work GET /x OK attempt 1
            1.000ms 8.105ms s -> s work GET /x OK attempt 1
            "
        )
    );
    // 10,000 requests at once to 10,000 workers, coherence 100%: the k-th takes
    // 10 ms·(1 + k(k−1)), so only the first ten end within the 1 s run; the last one's factor
    // near 10^8 is capped (at 1,000,000 s), never overflowing.
    let s = Service::new("s")
        .workers(10_000)
        .time(Dist::constant_ms(10))
        .slowdown(0.0, 1.0)
        .rest(HttpMethod::Get, "/x", Handler::new().work());
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .service(s)
        .client(burst(SimTime::ZERO, 10_000));
    let sim = run(w);
    assert_eq!(sim.metrics().endpoints[0].requests, 10_000);
    assert_eq!(lines_with(&sim, " work ").len(), 10);
}

#[test]
fn consumers_work_is_not_slowed() {
    // A consumer's slots are not workers: its work takes its sampled time even while every
    // worker of its service is busy with slowed requests.
    let s = svc(2)
        .slowdown(1.0, 0.0)
        .consume("q", 1, Handler::new().work());
    let w = world(s)
        .queue(Queue::new("q"))
        .service(Service::new("p").rest(HttpMethod::Post, "/go", Handler::new().enqueue("q", "M")))
        .client(burst(SimTime::ZERO, 2))
        .client(Client::new("e", Call::rest("p", HttpMethod::Post, "/go"), 0.0).burst(ms(1), 1));
    let sim = run(w);
    // Requests at 0 ms (N = 1 and N = 2: 10 ms and 20 ms with contention 100%); the message
    // is delivered at 4 ms while both workers are busy, and its work still takes 10 ms.
    assert_eq!(
        lines_with(&sim, " work "),
        norm(
            "
            1.000ms 11.000ms s -> s work GET /x OK attempt 1
            4.000ms 14.000ms s -> s work q [M] OK attempt 1
            1.000ms 21.000ms s -> s work GET /x OK attempt 1
            "
        )
    );
}

#[test]
fn without_the_option_or_with_one_worker_nothing_changes_and_nothing_more_is_drawn() {
    // Exponential service times: any extra draw would shift every later time.
    let make = |s: Service| {
        World::new()
            .duration(SimTime::from_secs(5))
            .network(Network::latency(Dist::uniform_ms(1, 3)))
            .service(s)
            .client(Client::new("c", get(), 50.0).poisson())
    };
    let base = || {
        Service::new("s")
            .time(Dist::exp_ms(10))
            .rest(HttpMethod::Get, "/x", Handler::new().work())
    };
    let plain = run(make(base()));
    let one_worker = run(make(base().slowdown(0.3, 0.05)));
    let zero = run(make(base().workers(4).slowdown(0.0, 0.0)));
    let plain4 = run(make(base().workers(4)));
    assert_eq!(plain.trace_hash(), one_worker.trace_hash());
    assert_eq!(plain4.trace_hash(), zero.trace_hash());
    // And with four workers and real coefficients, it does change.
    let slowed = run(make(base().workers(4).slowdown(0.3, 0.05)));
    assert_ne!(plain4.trace_hash(), slowed.trace_hash());
}

#[test]
fn coefficients_outside_zero_to_one_are_refused() {
    for (a, b) in [(1.5, 0.0), (0.0, -0.1), (f64::NAN, 0.0)] {
        let w = world(svc(2).slowdown(a, b));
        assert!(Sim::new(w, 1).is_err(), "{a} {b}");
    }
}
