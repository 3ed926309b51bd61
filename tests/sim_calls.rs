//! Exact scenarios for services and synchronous calls: worker pool + backlog, REST timeouts with
//! late responses, RPC deadline propagation, gRPC codes, retries with backoff and jitter, the
//! circuit breaker's transitions, parallel fan-out, clients, and the event budget.
//! Golden traces compare record lines with runs of spaces collapsed.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

fn burst_client(name: &str, call: Call, n: u32) -> Client {
    Client::new(name, call, 0.0).burst(SimTime::ZERO, n)
}

#[test]
fn worker_pool_and_bounded_backlog() {
    // 2 workers, backlog 1: of 4 simultaneous requests two run, one waits, one gets 503.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("svc")
                .workers(2)
                .backlog(1)
                .time(Dist::constant_ms(10))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(burst_client(
            "c",
            Call::rest("svc", HttpMethod::Get, "/x"),
            4,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> svc rest GET /x OK attempt 1
        0.000ms 1.000ms c -> svc rest GET /x OK attempt 1
        0.000ms 1.000ms c -> svc rest GET /x OK attempt 1
        0.000ms 1.000ms c -> svc rest GET /x REJECTED(backlog-full) attempt 1
        1.000ms 2.000ms svc -> c rest-reply GET /x 503 attempt 1
        1.000ms 11.000ms svc -> svc work GET /x OK attempt 1
        1.000ms 11.000ms svc -> svc work GET /x OK attempt 1
        11.000ms 12.000ms svc -> c rest-reply GET /x 200 attempt 1
        11.000ms 12.000ms svc -> c rest-reply GET /x 200 attempt 1
        11.000ms 21.000ms svc -> svc work GET /x OK attempt 1
        21.000ms 22.000ms svc -> c rest-reply GET /x 200 attempt 1
        ",
    );
    let m = &sim.metrics().endpoints[0];
    assert_eq!(m.requests, 4);
    assert_eq!(m.rejected, 1);
    assert_eq!(m.replies.get(&Status::Http(503)), Some(&1));
    assert_eq!(m.replies.get(&Status::Http(200)), Some(&3));
    // Time in system: 10, 10, 20 ms (+ 0 for the rejection, which has no latency sample).
    assert_eq!(m.latency.count(), 3);
    assert_eq!(m.latency.max(), ms(20));
    assert_eq!(sim.metrics().services[0].max_backlog(), 1);
}

#[test]
fn requests_in_the_service_are_the_busy_workers_plus_the_waiting_ones() {
    // One worker, 10 ms a request, 3 arriving at 1 ms: 3 in the service (one running, two
    // waiting) from 1 to 11 ms, 2 to 21 ms, 1 to 31 ms: 60 request-ms in the first 100 ms, a
    // time-average of 0.6. The backlog's share: 2 × 10 + 1 × 10 = 30, an average of 0.3.
    let w = World::new()
        .duration(ms(100))
        .network(net1ms())
        .service(Service::new("svc").time(Dist::constant_ms(10)).rest(
            HttpMethod::Get,
            "/x",
            Handler::new().work(),
        ))
        .client(burst_client(
            "c",
            Call::rest("svc", HttpMethod::Get, "/x"),
            3,
        ));
    let sim = run(w);
    let m = &sim.metrics().services[0];
    let (in_system, backlog) = (m.mean_in_system(ms(100)), m.mean_backlog(ms(100)));
    assert!((in_system - 0.6).abs() < 1e-9, "{in_system}");
    assert!((backlog - 0.3).abs() < 1e-9, "{backlog}");
}

#[test]
fn rest_timeout_gives_504_and_records_late_response() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(Service::new("gateway").rest(
            HttpMethod::Get,
            "/a",
            Handler::new().call(Call::rest("backend", HttpMethod::Get, "/slow").timeout(ms(50))),
        ))
        .service(Service::new("backend").time(Dist::constant_ms(100)).rest(
            HttpMethod::Get,
            "/slow",
            Handler::new().work(),
        ))
        .client(burst_client(
            "c",
            Call::rest("gateway", HttpMethod::Get, "/a"),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> gateway rest GET /a OK attempt 1
        1.000ms 2.000ms gateway -> backend rest GET /slow OK attempt 1
        1.000ms 51.000ms backend -> gateway timeout GET /slow TIMEOUT attempt 1
        51.000ms 52.000ms gateway -> c rest-reply GET /a 504 attempt 1
        2.000ms 102.000ms backend -> backend work GET /slow OK attempt 1
        102.000ms 103.000ms backend -> gateway rest-reply GET /slow 200 attempt 1 LATE
        ",
    );
    let late = sim.trace().records().last().expect("records");
    assert!(late.late && late.recv > ms(51));
    let client = &sim.metrics().clients[0];
    assert_eq!(client.outcomes.get(&Status::Http(504)), Some(&1));
}

#[test]
fn rpc_deadline_propagates_remaining_budget_downstream() {
    // Client deadline 100 ms. `a` works 30 ms then calls `b` with its own 500 ms timeout: the
    // call to `b` is bounded by what is left of the client's deadline (100 - 31 = 69 ms).
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("a").time(Dist::constant_ms(30)).rpc(
                "Op",
                Handler::new()
                    .work()
                    .call(Call::rpc("b", "Op").timeout(ms(500))),
            ),
        )
        .service(
            Service::new("b")
                .time(Dist::constant_ms(200))
                .rpc("Op", Handler::new().work()),
        )
        .client(burst_client("c", Call::rpc("a", "Op").timeout(ms(100)), 1));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> a rpc Op OK attempt 1
        1.000ms 31.000ms a -> a work Op OK attempt 1
        31.000ms 32.000ms a -> b rpc Op OK attempt 1
        0.000ms 100.000ms a -> c timeout Op TIMEOUT attempt 1
        31.000ms 100.000ms b -> a timeout Op TIMEOUT attempt 1
        100.000ms 101.000ms a -> c rpc-reply Op DEADLINE_EXCEEDED attempt 1 LATE
        32.000ms 232.000ms b -> b work Op OK attempt 1
        232.000ms 233.000ms b -> a rpc-reply Op OK attempt 1 LATE
        ",
    );
    let downstream_timeout = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.kind == Kind::Timeout && r.from == sim.node_id("b").expect("b"))
        .expect("downstream timeout");
    assert!(downstream_timeout.duration() <= ms(100) - ms(31));
    // The client gave up at its own deadline: a timeout, not a status it received.
    let client = &sim.metrics().clients[0];
    assert_eq!(client.timed_out, 1);
    assert!(client.outcomes.is_empty());
}

#[test]
fn server_refuses_work_whose_deadline_passed_in_the_backlog() {
    // One worker busy for 80 ms; the second request (deadline 50 ms) waits in the backlog and is
    // refused with DEADLINE_EXCEEDED when it finally gets the worker, without doing the work.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("s")
                .time(Dist::constant_ms(80))
                .rpc("Op", Handler::new().work()),
        )
        .client(burst_client("slow", Call::rpc("s", "Op"), 1))
        .client(
            Client::new("hurried", Call::rpc("s", "Op").timeout(ms(50)), 0.0)
                .burst(SimTime::from_micros(1), 1),
        );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms slow -> s rpc Op OK attempt 1
        0.001ms 1.001ms hurried -> s rpc Op OK attempt 1
        0.001ms 50.001ms s -> hurried timeout Op TIMEOUT attempt 1
        1.000ms 81.000ms s -> s work Op OK attempt 1
        81.000ms 82.000ms s -> slow rpc-reply Op OK attempt 1
        81.000ms 82.000ms s -> hurried rpc-reply Op DEADLINE_EXCEEDED attempt 1 LATE
        ",
    );
}

#[test]
fn grpc_status_codes() {
    // OK, INTERNAL (fail step), UNAVAILABLE (explicit), RESOURCE_EXHAUSTED (backlog full),
    // DEADLINE_EXCEEDED (timeout) — as seen by five clients.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("s")
                .workers(1)
                .backlog(0)
                .time(Dist::constant_ms(10))
                .rpc("Ok", Handler::new())
                .rpc("Boom", Handler::new().fail(1.0))
                .rpc(
                    "Down",
                    Handler::new().fail_with(1.0, Status::Grpc(GrpcCode::Unavailable)),
                )
                .rpc("Slow", Handler::new().work()),
        )
        .client(burst_client("ok", Call::rpc("s", "Ok"), 1))
        .client(Client::new("boom", Call::rpc("s", "Boom"), 0.0).burst(ms(100), 1))
        .client(Client::new("down", Call::rpc("s", "Down"), 0.0).burst(ms(200), 1))
        .client(Client::new("slow", Call::rpc("s", "Slow").timeout(ms(5)), 0.0).burst(ms(300), 1))
        .client(Client::new("crowd", Call::rpc("s", "Slow"), 0.0).burst(ms(300), 1));
    let sim = run(w);
    let outcome = |i: usize| {
        let m = &sim.metrics().clients[i];
        assert_eq!(m.completed, 1, "client {i}");
        *m.outcomes.keys().next().expect("one outcome")
    };
    assert_eq!(outcome(0), Status::Grpc(GrpcCode::Ok));
    assert_eq!(outcome(1), Status::Grpc(GrpcCode::Internal));
    assert_eq!(outcome(2), Status::Grpc(GrpcCode::Unavailable));
    // The client's own deadline: counted as timed out, with no status received.
    let slow = &sim.metrics().clients[3];
    assert_eq!((slow.completed, slow.timed_out), (1, 1));
    assert!(slow.outcomes.is_empty());
    assert_eq!(outcome(4), Status::Grpc(GrpcCode::ResourceExhausted));
    let replies: Vec<String> = norm(&sim.format_trace())
        .into_iter()
        .filter(|l| l.contains("rpc-reply"))
        .collect();
    assert_eq!(
        replies,
        vec![
            "1.000ms 2.000ms s -> ok rpc-reply Ok OK attempt 1",
            "101.000ms 102.000ms s -> boom rpc-reply Boom INTERNAL attempt 1",
            "201.000ms 202.000ms s -> down rpc-reply Down UNAVAILABLE attempt 1",
            "301.000ms 302.000ms s -> crowd rpc-reply Slow RESOURCE_EXHAUSTED attempt 1",
            "311.000ms 312.000ms s -> slow rpc-reply Slow OK attempt 1 LATE",
        ]
    );
}

#[test]
fn rest_handler_maps_grpc_status_and_downstream_failures() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(Service::new("edge").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().call(Call::rpc("core", "Op")),
        ))
        .service(Service::new("core").rpc(
            "Op",
            Handler::new().fail_with(1.0, Status::Grpc(GrpcCode::Unavailable)),
        ))
        .client(burst_client(
            "c",
            Call::rest("edge", HttpMethod::Get, "/x"),
            1,
        ));
    let sim = run(w);
    // A failed downstream call's status passes through, mapped to HTTP as gRPC-gateway does:
    // UNAVAILABLE becomes 503 (not 502, which is for refused connections and bad answers).
    assert_eq!(
        sim.metrics().clients[0].outcomes.keys().next(),
        Some(&Status::Http(503))
    );
}

#[test]
fn retries_use_exponential_backoff_capped_at_max() {
    // Always 503. Backoff 100 ms ×2, capped at 300 ms; 4 attempts in all.
    let w = World::new()
        .duration(SimTime::from_secs(5))
        .network(net1ms())
        .service(Service::new("s").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().fail_with(1.0, Status::Http(503)),
        ))
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x").retry(
                RetryPolicy::retries(3)
                    .backoff(ms(100))
                    .multiplier(2.0)
                    .max_backoff(ms(300)),
            ),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 2.000ms s -> c rest-reply GET /x 503 attempt 1
        102.000ms 103.000ms c -> s rest GET /x OK attempt 2
        103.000ms 104.000ms s -> c rest-reply GET /x 503 attempt 2
        304.000ms 305.000ms c -> s rest GET /x OK attempt 3
        305.000ms 306.000ms s -> c rest-reply GET /x 503 attempt 3
        606.000ms 607.000ms c -> s rest GET /x OK attempt 4
        607.000ms 608.000ms s -> c rest-reply GET /x 503 attempt 4
        ",
    );
    let m = &sim.metrics().clients[0];
    assert_eq!(m.retries, 3);
    assert_eq!(m.outcomes.get(&Status::Http(503)), Some(&1));
    assert_eq!(m.latency.max(), ms(608));
    // Each retry's cause is the failure before it.
    let recs = sim.trace().records();
    assert_eq!(recs[2].cause, Some(recs[1].id));
}

#[test]
fn retry_jitter_stays_within_the_backoff() {
    let w = World::new()
        .duration(SimTime::from_secs(60))
        .network(Network::latency(Dist::ZERO))
        .service(Service::new("s").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().fail_with(1.0, Status::Http(503)),
        ))
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x")
                .retry(RetryPolicy::retries(1).backoff(ms(100)).jitter(1.0)),
            200,
        ));
    let sim = run(w);
    let recs = sim.trace().records();
    let mut delays = Vec::new();
    for r in recs
        .iter()
        .filter(|r| r.kind == Kind::RestRequest && r.attempt == 2)
    {
        let prev = recs[r.cause.expect("retry has a cause").0 as usize];
        delays.push(r.send - prev.recv);
    }
    assert_eq!(delays.len(), 200);
    assert!(delays.iter().all(|d| *d <= ms(100)));
    let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
    assert!(distinct.len() > 150, "full jitter spreads retries");
    let mean = delays.iter().map(|d| d.0).sum::<u64>() as f64 / 200.0;
    assert!((30_000.0..70_000.0).contains(&mean), "mean {mean}");
}

#[test]
fn an_answered_attempts_timer_does_nothing_during_the_backoff() {
    // Each attempt may take 20 ms; the first is answered 503 at 2 ms and the retry waits 100 ms.
    // The first attempt's timer still fires at 20 ms, inside the backoff: the attempt is over,
    // so it records no timeout and schedules no second retry.
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(Service::new("s").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().fail_with(1.0, Status::Http(503)),
        ))
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x")
                .attempt_timeout(ms(20))
                .retry(RetryPolicy::retries(2).backoff(ms(100)).multiplier(1.0)),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 2.000ms s -> c rest-reply GET /x 503 attempt 1
        102.000ms 103.000ms c -> s rest GET /x OK attempt 2
        103.000ms 104.000ms s -> c rest-reply GET /x 503 attempt 2
        204.000ms 205.000ms c -> s rest GET /x OK attempt 3
        205.000ms 206.000ms s -> c rest-reply GET /x 503 attempt 3
        ",
    );
    assert_eq!(sim.metrics().calls[0].attempt_timeouts, 0);
}

#[test]
fn half_jitter_keeps_each_backoff_between_half_and_all_of_it() {
    // Jitter 0.5 on a 100 ms backoff: each wait is 100 ms × (1 − 0.5 u), u uniform in [0, 1),
    // so it lies in (50 ms, 100 ms], spread over that whole range and never beyond it.
    let w = World::new()
        .duration(SimTime::from_secs(60))
        .network(Network::latency(Dist::ZERO))
        .service(Service::new("s").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().fail_with(1.0, Status::Http(503)),
        ))
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x")
                .retry(RetryPolicy::retries(1).backoff(ms(100)).jitter(0.5)),
            200,
        ));
    let sim = run(w);
    let recs = sim.trace().records();
    let delays: Vec<SimTime> = recs
        .iter()
        .filter(|r| r.kind == Kind::RestRequest && r.attempt == 2)
        .map(|r| r.send - recs[r.cause.expect("retry has a cause").0 as usize].recv)
        .collect();
    assert_eq!(delays.len(), 200);
    assert!(delays.iter().all(|d| *d > ms(50) && *d <= ms(100)));
    assert!(delays.iter().any(|d| *d < ms(55)) && delays.iter().any(|d| *d > ms(95)));
}

#[test]
fn retries_without_jitter_draw_nothing_from_the_random_stream() {
    // `x` takes a random time for each request (the run's one random draw); `y` always answers
    // 503, and `r`'s call to it is retried three times without jitter. The retries change
    // nothing random, so `x`'s trace is the same whether `r` retries or not (as a loss of 0%
    // draws nothing: adding an option that is off leaves a run alone).
    let world = |retries: u32| {
        World::new()
            .duration(SimTime::from_secs(1))
            .network(net1ms())
            .service(Service::new("x").workers(10).time(Dist::exp_ms(20)).rest(
                HttpMethod::Get,
                "/x",
                Handler::new().work(),
            ))
            .service(Service::new("y").rest(
                HttpMethod::Get,
                "/y",
                Handler::new().fail_with(1.0, Status::Http(503)),
            ))
            .client(Client::new(
                "p",
                Call::rest("x", HttpMethod::Get, "/x"),
                20.0,
            ))
            .client(burst_client(
                "r",
                Call::rest("y", HttpMethod::Get, "/y")
                    .retry(RetryPolicy::retries(retries).backoff(ms(10))),
                3,
            ))
    };
    let of_x = |sim: &Sim| lines_with(sim, " x ");
    let (once, retried) = (run(world(0)), run(world(3)));
    assert_eq!(retried.metrics().clients[1].retries, 9);
    assert_eq!(of_x(&once), of_x(&retried));
    assert_eq!(of_x(&once).len(), 60);
}

#[test]
fn attempt_timeout_is_retried_and_late_responses_ignored() {
    // Each attempt may take 20 ms (`attempt_timeout`, Envoy's per_try_timeout); the call has no
    // overall limit, so the first attempt's timeout leads to a retry.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("s")
                .time(Dist::constant_ms(30))
                .workers(4)
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x")
                .attempt_timeout(ms(20))
                .retry(RetryPolicy::retries(1).backoff(ms(5))),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 20.000ms s -> c timeout GET /x TIMEOUT attempt 1
        25.000ms 26.000ms c -> s rest GET /x OK attempt 2
        1.000ms 31.000ms s -> s work GET /x OK attempt 1
        31.000ms 32.000ms s -> c rest-reply GET /x 200 attempt 1 LATE
        25.000ms 45.000ms s -> c timeout GET /x TIMEOUT attempt 2
        26.000ms 56.000ms s -> s work GET /x OK attempt 2
        56.000ms 57.000ms s -> c rest-reply GET /x 200 attempt 2 LATE
        ",
    );
    let client = &sim.metrics().clients[0];
    assert_eq!(client.timeouts, 2);
    // The client's own timeout is not a status: no 504 is counted (RFC 9110 §15.6.5).
    assert_eq!(client.timed_out, 1);
    assert!(client.outcomes.is_empty());
    let site = sim.metrics().calls[0];
    assert_eq!(
        (site.attempts, site.retries, site.attempt_timeouts),
        (2, 1, 2)
    );
    assert_eq!(site.timed_out, 1);
}

#[test]
fn circuit_breaker_opens_half_opens_and_closes_at_the_right_times() {
    // Requests every 10 ms; the callee fails everything until 400 ms (error spike).
    // Breaker: >= 50% failures over 1 s with at least 5 requests; cooldown 300 ms; one probe.
    //   failures at 2, 12, 22, 32, 42 ms  -> OPEN at 42 ms
    //   HALF-OPEN at 342 ms; probe sent at 350 fails at 352 -> OPEN at 352 ms
    //   HALF-OPEN at 652 ms; probe sent at 660 succeeds at 662 -> CLOSED at 662 ms
    let w = World::new()
        .duration(ms(1_000))
        .network(net1ms())
        .service(Service::new("s").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(Client::new(
            "c",
            Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                failure_ratio: 0.5,
                window: SimTime::from_secs(1),
                min_requests: 5,
                cooldown: ms(300),
                half_open_probes: 1,
                slow_call: None,
            }),
            100.0,
        ))
        .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(400)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(200));
    assert_eq!(sim.breakers()[0].state, BreakerState::Open);
    sim.run_until(ms(345));
    assert_eq!(sim.breakers()[0].state, BreakerState::HalfOpen);
    sim.run_to_end();
    let transitions: Vec<String> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Breaker)
        .map(|r| format!("{} {}", r.recv, r.outcome))
        .collect();
    assert_eq!(
        transitions,
        vec![
            "42.000ms OPEN",
            "342.000ms HALF-OPEN",
            "352.000ms OPEN",
            "652.000ms HALF-OPEN",
            "662.000ms CLOSED",
        ]
    );
    let m = &sim.metrics().clients[0];
    // Rejected at once while open: 50..340 (30 calls) and 360..650 (30 calls).
    assert_eq!(m.breaker_rejections, 60);
    assert_eq!(m.outcomes.get(&Status::Http(503)), Some(&60));
    let rejected = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.outcome == Outcome::Rejected(RejectReason::BreakerOpen))
        .expect("a rejection");
    assert_eq!((rejected.send, rejected.recv), (ms(50), ms(50)));
    assert_eq!(sim.breakers()[0].state, BreakerState::Closed);
}

/// Requests every 10 ms from 0 to 90 ms; the callee fails only those sent at 10 and 30 ms; the
/// breaker needs 4 outcomes in its 1 s window and opens at `ratio`; a 10 s cooldown keeps it
/// open to the end. Returns the breaker's transitions as "time STATE".
fn breaker_transitions_for_two_failures_in_four(ratio: f64) -> Vec<String> {
    let w = World::new()
        .duration(ms(200))
        .network(net1ms())
        .service(Service::new("s").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(
            Client::new(
                "c",
                Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                    failure_ratio: ratio,
                    window: SimTime::from_secs(1),
                    min_requests: 4,
                    cooldown: SimTime::from_secs(10),
                    half_open_probes: 1,
                    slow_call: None,
                }),
                100.0,
            )
            .stop(ms(95)),
        )
        .fault(Fault::error_spike("s", 1.0, ms(10), ms(5)))
        .fault(Fault::error_spike("s", 1.0, ms(30), ms(5)));
    let sim = run(w);
    sim.trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Breaker)
        .map(|r| format!("{} {}", r.recv, r.outcome))
        .collect()
}

#[test]
fn circuit_breaker_opens_exactly_at_the_failure_ratio() {
    // Outcomes: ok 2 ms, fail 12 ms, ok 22 ms, fail 32 ms, then only successes. At 32 ms 2 of 4
    // failed: exactly 50%, so a 50% breaker opens then ("≥ ratio", resilience4j's rule). After
    // that the share only falls (2/5, 2/6, …), so a breaker that opened only *above* the ratio
    // would never open.
    assert_eq!(
        breaker_transitions_for_two_failures_in_four(0.5),
        vec!["32.000ms OPEN"]
    );
    // Just above the share seen, it never opens.
    assert_eq!(
        breaker_transitions_for_two_failures_in_four(0.51),
        Vec::<String>::new()
    );
}

#[test]
fn breaker_window_forgets_an_outcome_exactly_one_window_old() {
    // Requests at 0 and 100 ms; the first fails (errors until 5 ms), the second succeeds: their
    // outcomes come back at 2 ms and 102 ms. The breaker needs 2 outcomes and opens at 50%.
    // With a 100 ms window the failure is exactly one window old at 102 ms and no longer counts
    // (1 outcome: too few); with a 101 ms window it still counts (1 failure in 2: open).
    let transitions = |window: u64| -> Vec<String> {
        let w = World::new()
            .duration(ms(300))
            .network(net1ms())
            .service(Service::new("s").rest(HttpMethod::Get, "/x", Handler::new()))
            .client(
                Client::new(
                    "c",
                    Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                        failure_ratio: 0.5,
                        window: ms(window),
                        min_requests: 2,
                        cooldown: SimTime::from_secs(10),
                        half_open_probes: 1,
                        slow_call: None,
                    }),
                    10.0,
                )
                .stop(ms(150)),
            )
            .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(5)));
        let sim = run(w);
        sim.trace()
            .records()
            .iter()
            .filter(|r| r.kind == Kind::Breaker)
            .map(|r| format!("{} {}", r.recv, r.outcome))
            .collect()
    };
    assert_eq!(transitions(100), Vec::<String>::new());
    assert_eq!(transitions(101), vec!["102.000ms OPEN"]);
}

#[test]
fn half_open_admits_exactly_the_configured_number_of_probes() {
    // 4 requests at 0 ms all fail (errors until 50 ms; 10 ms of work each): OPEN at 12 ms.
    // Cooldown 100 ms: HALF-OPEN at 112 ms. 5 requests at 150 ms: with `probes 2` exactly two go
    // through (both out at once, 10 ms of work) and three are rejected at once; the two succeed,
    // so the breaker CLOSES at 162 ms.
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(
            Service::new("s")
                .workers(10)
                .time(Dist::constant_ms(10))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(
            Client::new(
                "c",
                Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                    failure_ratio: 0.5,
                    window: SimTime::from_secs(1),
                    min_requests: 4,
                    cooldown: ms(100),
                    half_open_probes: 2,
                    slow_call: None,
                }),
                0.0,
            )
            .burst(SimTime::ZERO, 4)
            .burst(ms(150), 5),
        )
        .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(50)));
    let sim = run(w);
    let transitions: Vec<String> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Breaker)
        .map(|r| format!("{} {}", r.recv, r.outcome))
        .collect();
    assert_eq!(
        transitions,
        vec!["12.000ms OPEN", "112.000ms HALF-OPEN", "162.000ms CLOSED"]
    );
    let mut sent_at_150: Vec<String> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::RestRequest && r.send == ms(150))
        .map(|r| r.outcome.to_string())
        .collect();
    sent_at_150.sort();
    assert_eq!(
        sent_at_150,
        vec![
            "OK",
            "OK",
            "REJECTED(breaker-open)",
            "REJECTED(breaker-open)",
            "REJECTED(breaker-open)",
        ]
    );
    assert_eq!(sim.metrics().clients[0].breaker_rejections, 3);
}

#[test]
fn a_probe_lost_with_its_callers_crash_is_given_back() {
    // `gw` calls `s` through a breaker (2 outcomes, 50%, cooldown 100 ms, one probe). Both calls
    // at 0 ms fail (errors until 50 ms; 30 ms of work): OPEN at 33 ms, HALF-OPEN at 133 ms. The
    // call of 150 ms is the probe; `gw` crashes at 160 ms with it out, so it never reports. The
    // probe is given back: the call of 200 ms is the next probe, succeeds, and CLOSES the breaker
    // (a probe kept forever would leave it half-open, refusing every call).
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(
            Service::new("s")
                .workers(10)
                .time(Dist::constant_ms(30))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .service(Service::new("gw").workers(10).rest(
            HttpMethod::Get,
            "/",
            Handler::new().call(
                Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                    failure_ratio: 0.5,
                    window: SimTime::from_secs(1),
                    min_requests: 2,
                    cooldown: ms(100),
                    half_open_probes: 1,
                    slow_call: None,
                }),
            ),
        ))
        .client(
            Client::new("c", Call::rest("gw", HttpMethod::Get, "/"), 0.0)
                .burst(SimTime::ZERO, 2)
                .burst(ms(150), 1)
                .burst(ms(200), 1),
        )
        .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(50)))
        .fault(Fault::crash("gw", ms(160), ms(10)));
    let sim = run(w);
    let transitions: Vec<String> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Breaker)
        .map(|r| format!("{} {}", r.recv, r.outcome))
        .collect();
    assert_eq!(
        transitions,
        vec!["33.000ms OPEN", "133.000ms HALF-OPEN", "233.000ms CLOSED"]
    );
    assert_eq!(sim.breakers()[0].state, BreakerState::Closed);
    assert_eq!(
        sim.trace()
            .records()
            .iter()
            .filter(|r| r.outcome == Outcome::Rejected(RejectReason::BreakerOpen))
            .count(),
        0
    );
}

#[test]
fn parallel_fan_out_waits_for_all() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("gw").rest(
                HttpMethod::Get,
                "/page",
                Handler::new()
                    .parallel(vec![
                        Call::rpc("a", "Get"),
                        Call::rpc("b", "Get"),
                        Call::rpc("c", "Get"),
                    ])
                    .reply(Status::Http(200)),
            ),
        )
        .service(
            Service::new("a")
                .time(Dist::constant_ms(10))
                .rpc("Get", Handler::new().work()),
        )
        .service(
            Service::new("b")
                .time(Dist::constant_ms(30))
                .rpc("Get", Handler::new().work()),
        )
        .service(
            Service::new("c")
                .time(Dist::constant_ms(20))
                .rpc("Get", Handler::new().work()),
        )
        .client(burst_client(
            "u",
            Call::rest("gw", HttpMethod::Get, "/page"),
            1,
        ));
    let sim = run(w);
    let reply = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.kind == Kind::RestResponse)
        .expect("reply");
    // Sent when the slowest (b: 1 + 1 + 30 + 1 ms) has answered.
    assert_eq!(reply.send, ms(33));
    let rpc_replies = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::RpcResponse)
        .count();
    assert_eq!(rpc_replies, 3);
}

#[test]
fn parallel_failure_fails_the_handler_after_all_return() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(Service::new("gw").rest(
            HttpMethod::Get,
            "/page",
            Handler::new().parallel(vec![Call::rpc("a", "Get"), Call::rpc("b", "Get")]),
        ))
        .service(Service::new("a").rpc("Get", Handler::new().fail(1.0)))
        .service(
            Service::new("b")
                .time(Dist::constant_ms(30))
                .rpc("Get", Handler::new().work()),
        )
        .client(burst_client(
            "u",
            Call::rest("gw", HttpMethod::Get, "/page"),
            1,
        ));
    let sim = run(w);
    let reply = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.kind == Kind::RestResponse)
        .expect("reply");
    assert_eq!(reply.send, ms(33));
    // `a`'s INTERNAL passes through as 500.
    assert_eq!(reply.outcome, Outcome::Http(500));
}

#[test]
fn constant_clients_are_exactly_spaced_and_bursts_land_on_time() {
    let w = World::new()
        .duration(ms(1_000))
        .network(net1ms())
        .service(
            Service::new("s")
                .workers(100)
                .rest(HttpMethod::Get, "/x", Handler::new()),
        )
        .client(
            Client::new("c", Call::rest("s", HttpMethod::Get, "/x"), 3.0)
                .burst(ms(500), 5)
                .stop(ms(999)),
        );
    let sim = run(w);
    let sends: Vec<u64> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::RestRequest)
        .map(|r| r.send.0)
        .collect();
    // 3/s: 0, 333 333, 666 667 µs (k/rate rounded, no drift), plus five at 500 ms.
    assert_eq!(
        sends,
        vec![0, 333_333, 500_000, 500_000, 500_000, 500_000, 500_000, 666_667]
    );
    let traces: std::collections::BTreeSet<_> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::RestRequest)
        .map(|r| r.trace)
        .collect();
    assert_eq!(traces.len(), 8, "every client request is its own trace");
}

#[test]
fn poisson_clients_have_the_right_rate_and_exponential_gaps() {
    let w = World::new()
        .duration(SimTime::from_secs(20))
        .event_budget(u64::MAX)
        .network(Network::latency(Dist::ZERO))
        .service(
            Service::new("s")
                .workers(1_000)
                .rest(HttpMethod::Get, "/x", Handler::new()),
        )
        .client(Client::new("c", Call::rest("s", HttpMethod::Get, "/x"), 1_000.0).poisson());
    let sim = run(w);
    let sends: Vec<u64> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::RestRequest)
        .map(|r| r.send.0)
        .collect();
    let n = sends.len() as f64;
    // 20 000 expected; sd ≈ 141.
    assert!((n - 20_000.0).abs() < 600.0, "n = {n}");
    let gaps: Vec<f64> = sends.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let var = gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / gaps.len() as f64;
    assert!((mean / 1_000.0 - 1.0).abs() < 0.03, "mean gap {mean}");
    // Exponential: coefficient of variation 1.
    assert!(
        (var.sqrt() / mean - 1.0).abs() < 0.05,
        "cv {}",
        var.sqrt() / mean
    );
}

#[test]
fn event_budget_stops_a_retry_storm_with_a_clear_reason() {
    let w = World::new()
        .duration(SimTime::from_secs(3_600))
        .event_budget(10_000)
        .network(Network::latency(Dist::ZERO))
        .service(Service::new("s").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().fail_with(1.0, Status::Http(503)),
        ))
        .client(
            Client::new(
                "storm",
                Call::rest("s", HttpMethod::Get, "/x").retry(
                    RetryPolicy::retries(1_000_000)
                        .backoff(SimTime::ZERO)
                        .max_backoff(SimTime::ZERO),
                ),
                0.0,
            )
            .burst(SimTime::ZERO, 10),
        );
    let mut sim = Sim::new(w, 1).expect("valid");
    let reason = sim.run_to_end();
    assert_eq!(reason, StopReason::EventBudgetExhausted { budget: 10_000 });
    assert_eq!(sim.events_processed(), 10_000);
    assert_eq!(sim.step(), None);
    assert!(reason
        .to_string()
        .contains("event budget of 10000 events exhausted"));
    // Callers put their own word in front ("Stopped: …" in the playground's status line); the
    // reason must not say "stopped" again.
    assert!(!reason.to_string().to_lowercase().starts_with("stopped"));
}

#[test]
fn on_error_continue_keeps_the_handler_going() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("gw").rest(
                HttpMethod::Get,
                "/x",
                Handler::new()
                    .call(Call::rpc("flaky", "Op").continue_on_error())
                    .reply(Status::Http(200)),
            ),
        )
        .service(Service::new("flaky").rpc("Op", Handler::new().fail(1.0)))
        .client(burst_client(
            "c",
            Call::rest("gw", HttpMethod::Get, "/x"),
            1,
        ));
    let sim = run(w);
    assert_eq!(
        sim.metrics().clients[0].outcomes.keys().next(),
        Some(&Status::Http(200))
    );
}

// ---------------------------------------------------------------------------------------------
// Protocol semantics (docs/semantics.md): deadlines over all attempts, retry codes, methods and
// idempotency keys, timeouts that are not statuses, retries per call site.

#[test]
fn grpc_deadline_covers_every_attempt() {
    // gRFC A6: the deadline bounds the whole call. The server answers UNAVAILABLE after 200 ms;
    // with `deadline 300ms retries 2 backoff 50ms` the second attempt starts at 252 ms and the
    // call ends at 300 ms, not after three full attempts (~930 ms).
    let w = World::new()
        .duration(SimTime::from_secs(2))
        .network(net1ms())
        .service(
            Service::new("s").time(Dist::constant_ms(200)).rpc(
                "Op",
                Handler::new()
                    .work()
                    .fail_with(1.0, Status::Grpc(GrpcCode::Unavailable)),
            ),
        )
        .client(burst_client(
            "c",
            Call::rpc("s", "Op")
                .timeout(ms(300))
                .retry(RetryPolicy::retries(2).backoff(ms(50))),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rpc Op OK attempt 1
        1.000ms 201.000ms s -> s work Op OK attempt 1
        201.000ms 202.000ms s -> c rpc-reply Op UNAVAILABLE attempt 1
        252.000ms 253.000ms c -> s rpc Op OK attempt 2
        252.000ms 300.000ms s -> c timeout Op TIMEOUT attempt 2
        253.000ms 453.000ms s -> s work Op OK attempt 2
        453.000ms 454.000ms s -> c rpc-reply Op UNAVAILABLE attempt 2 LATE
        ",
    );
    let c = &sim.metrics().clients[0];
    assert_eq!((c.timed_out, c.retries), (1, 1));
    assert_eq!(c.latency.max(), ms(300));
}

#[test]
fn grpc_retries_only_the_codes_its_policy_names() {
    // By default only UNAVAILABLE is retried (gRFC A6 names codes; INTERNAL may mean the server
    // acted). `retry_on` widens it. Each client calls once with `retries 1`.
    let once = |m: &str| Call::rpc("s", m).retry(RetryPolicy::retries(1).backoff(ms(10)));
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("s")
                .rpc("Internal", Handler::new().fail(1.0))
                .rpc(
                    "Unavailable",
                    Handler::new().fail_with(1.0, Status::Grpc(GrpcCode::Unavailable)),
                ),
        )
        .client(burst_client("internal", once("Internal"), 1))
        .client(burst_client("unavailable", once("Unavailable"), 1))
        .client(burst_client(
            "named",
            once("Internal").retry_on(vec![Status::Grpc(GrpcCode::Internal)]),
            1,
        ));
    let sim = run(w);
    let attempts: Vec<u64> = sim.metrics().calls.iter().map(|c| c.attempts).collect();
    assert_eq!(attempts, vec![1, 2, 2]);
    let retries: Vec<u64> = sim.metrics().clients.iter().map(|c| c.retries).collect();
    assert_eq!(retries, vec![0, 1, 1]);
}

/// A `POST` whose first attempt times out (20 ms) while the server still does the work (30 ms);
/// a retry after 50 ms, with the call marked as `mark`.
fn post_with_retry(mark: fn(Call) -> Call, dedupe: bool) -> Sim {
    let mut orders = Service::new("orders").time(Dist::constant_ms(30)).rest(
        HttpMethod::Post,
        "/orders",
        Handler::new().work(),
    );
    if dedupe {
        orders = orders.dedupe();
    }
    let call = Call::rest("orders", HttpMethod::Post, "/orders")
        .attempt_timeout(ms(20))
        .retry(RetryPolicy::retries(1).backoff(ms(50)));
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(orders)
        .client(burst_client("shop", mark(call), 1));
    run(w)
}

#[test]
fn rest_post_is_not_retried_after_a_timeout() {
    // RFC 9110 §9.2.2: a client should not repeat a non-idempotent request on its own; the
    // first attempt may have been acted on (here it was: the work ran).
    let sim = post_with_retry(|c| c, false);
    check(
        &sim,
        "
        0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1
        0.000ms 20.000ms orders -> shop timeout POST /orders TIMEOUT attempt 1
        1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1
        31.000ms 32.000ms orders -> shop rest-reply POST /orders 200 attempt 1 LATE
        ",
    );
    assert_eq!(sim.metrics().clients[0].timed_out, 1);
    assert_eq!(sim.metrics().endpoints[0].repeats, 0);
}

#[test]
fn an_idempotent_marked_post_is_retried_and_its_work_repeats() {
    // The caller says repeating is safe, so it retries; the server, which does not dedupe,
    // does the work twice: the duplicate order the lesson is about.
    let sim = post_with_retry(Call::idempotent, false);
    check(
        &sim,
        "
        0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1
        0.000ms 20.000ms orders -> shop timeout POST /orders TIMEOUT attempt 1
        1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1
        31.000ms 32.000ms orders -> shop rest-reply POST /orders 200 attempt 1 LATE
        70.000ms 71.000ms shop -> orders rest POST /orders OK attempt 2
        70.000ms 90.000ms orders -> shop timeout POST /orders TIMEOUT attempt 2
        71.000ms 101.000ms orders -> orders work POST /orders OK attempt 2
        101.000ms 102.000ms orders -> shop rest-reply POST /orders 200 attempt 2 LATE
        ",
    );
    // Two orders were made, and the shop still saw only timeouts.
    assert_eq!(sim.metrics().endpoints[0].repeats, 1);
    assert_eq!(sim.metrics().clients[0].timed_out, 1);
}

#[test]
fn an_idempotency_key_gets_the_stored_answer_without_repeating_the_work() {
    // The retry carries the same key; the endpoint dedupes, so it answers from its store.
    let sim = post_with_retry(Call::idempotency_key, true);
    check(
        &sim,
        "
        0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1
        0.000ms 20.000ms orders -> shop timeout POST /orders TIMEOUT attempt 1
        1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1
        31.000ms 32.000ms orders -> shop rest-reply POST /orders 200 attempt 1 LATE
        70.000ms 71.000ms shop -> orders rest POST /orders OK attempt 2
        71.000ms 72.000ms orders -> shop rest-reply POST /orders 200 attempt 2
        ",
    );
    let e = &sim.metrics().endpoints[0];
    assert_eq!((e.repeats, e.replayed), (0, 1));
}

#[test]
fn a_key_is_honoured_only_when_the_caller_sends_one_and_the_endpoint_dedupes() {
    // A deduping endpoint has nothing to match a retry without a key by, and an endpoint that
    // does not dedupe ignores the key it is sent: either way the retry does the work again.
    for sim in [
        post_with_retry(Call::idempotent, true),
        post_with_retry(Call::idempotency_key, false),
    ] {
        assert_eq!(
            lines_with(&sim, "orders -> orders work"),
            vec![
                "1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1",
                "71.000ms 101.000ms orders -> orders work POST /orders OK attempt 2",
            ]
        );
        let e = &sim.metrics().endpoints[0];
        assert_eq!((e.repeats, e.replayed), (1, 0));
    }
}

#[test]
fn an_endpoint_counts_a_refusal_as_an_error_and_a_replayed_success_as_none() {
    // One worker, no backlog, two requests at once: the second is refused (503) without a
    // handler, and still counts as one of the endpoint's errors.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("svc")
                .backlog(0)
                .time(Dist::constant_ms(10))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(burst_client(
            "c",
            Call::rest("svc", HttpMethod::Get, "/x"),
            2,
        ));
    let sim = run(w);
    let e = &sim.metrics().endpoints[0];
    assert_eq!((e.requests, e.rejected, e.errors), (2, 1, 1));
    // A retry answered 200 from the key store is a success: no error.
    let sim = post_with_retry(Call::idempotency_key, true);
    let e = &sim.metrics().endpoints[0];
    assert_eq!((e.replayed, e.errors), (1, 0));
    assert_eq!(e.replies.get(&Status::Http(200)), Some(&2));
}

#[test]
fn a_key_still_in_progress_gets_409() {
    // The retry arrives (after a 5 ms backoff) while the first request is being handled: the
    // IETF Idempotency-Key draft answers 409 Conflict, which is not retried.
    let mut orders = Service::new("orders").time(Dist::constant_ms(30)).rest(
        HttpMethod::Post,
        "/orders",
        Handler::new().work(),
    );
    orders = orders.dedupe();
    let call = Call::rest("orders", HttpMethod::Post, "/orders")
        .attempt_timeout(ms(20))
        .idempotency_key()
        .retry(RetryPolicy::retries(2).backoff(ms(5)));
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(orders)
        .client(burst_client("shop", call, 1));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1
        0.000ms 20.000ms orders -> shop timeout POST /orders TIMEOUT attempt 1
        25.000ms 26.000ms shop -> orders rest POST /orders OK attempt 2
        26.000ms 27.000ms orders -> shop rest-reply POST /orders 409 attempt 2
        1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1
        31.000ms 32.000ms orders -> shop rest-reply POST /orders 200 attempt 1 LATE
        ",
    );
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(409)),
        Some(&1)
    );
}

#[test]
fn rest_get_retries_503_but_not_500() {
    // The REST default retry statuses are 429, 502, 503 and 504; a 500 may mean the server
    // acted, so it is not retried unless the call names it.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("s")
                .rest(
                    HttpMethod::Get,
                    "/a",
                    Handler::new().fail_with(1.0, Status::Http(500)),
                )
                .rest(
                    HttpMethod::Get,
                    "/b",
                    Handler::new().fail_with(1.0, Status::Http(503)),
                ),
        )
        .client(burst_client(
            "a",
            Call::rest("s", HttpMethod::Get, "/a").retry(RetryPolicy::retries(1)),
            1,
        ))
        .client(burst_client(
            "b",
            Call::rest("s", HttpMethod::Get, "/b").retry(RetryPolicy::retries(1)),
            1,
        ));
    let sim = run(w);
    let attempts: Vec<u64> = sim.metrics().calls.iter().map(|c| c.attempts).collect();
    assert_eq!(attempts, vec![1, 2]);
}

#[test]
fn handler_retries_are_counted_per_call_site() {
    // The retries of a `call` step inside a handler show up on that call site, not only the
    // client's own retries.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("api").rest(
                HttpMethod::Get,
                "/x",
                Handler::new()
                    .call(Call::rpc("db", "Get").retry(RetryPolicy::retries(2).backoff(ms(10)))),
            ),
        )
        .service(Service::new("db").rpc(
            "Get",
            Handler::new().fail_with(1.0, Status::Grpc(GrpcCode::Unavailable)),
        ))
        .client(burst_client(
            "c",
            Call::rest("api", HttpMethod::Get, "/x"),
            1,
        ));
    let sim = run(w);
    let labels: Vec<String> = (0..sim.metrics().calls.len())
        .map(|i| sim.call_site_label(i))
        .collect();
    let site = labels
        .iter()
        .position(|l| l == "api -> db Get")
        .expect("the handler's call site");
    let m = sim.metrics().calls[site];
    assert_eq!((m.attempts, m.retries, m.failed), (3, 2, 1));
    assert_eq!(sim.metrics().clients[0].retries, 0);
    // The client sees the handler's failure: UNAVAILABLE passed through as 503.
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(503)),
        Some(&1)
    );
}

#[test]
fn each_call_ends_counted_once_as_ok_timed_out_or_failed() {
    // One call site, three calls with a 20 ms timeout: at 0 ms it is answered 200; at 120 ms,
    // inside an error spike, 500; at 210 ms a latency spike of 30 ms outlasts the timeout.
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(Service::new("s").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(
            Client::new(
                "c",
                Call::rest("s", HttpMethod::Get, "/x").timeout(ms(20)),
                0.0,
            )
            .burst(ms(0), 1)
            .burst(ms(120), 1)
            .burst(ms(210), 1),
        )
        .fault(Fault::error_spike("s", 1.0, ms(100), ms(50)))
        .fault(Fault::latency_spike(
            LinkSelector::All,
            ms(30),
            ms(200),
            ms(50),
        ));
    let sim = run(w);
    let m = sim.metrics().calls[0];
    assert_eq!((m.attempts, m.ok, m.timed_out, m.failed), (3, 1, 1, 1));
}

/// One worker, 10 ms per request, 1 ms each way: requests sent together take 12, 22, 32… ms.
/// The breaker (60%, at least 4 outcomes, cooldown 100 ms, two probes) counts an attempt over
/// 15 ms as failed.
fn slow_breaker_world(bursts: &[(u64, u32)]) -> Sim {
    let mut client = Client::new(
        "c",
        Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
            failure_ratio: 0.6,
            window: SimTime::from_secs(1),
            min_requests: 4,
            cooldown: ms(100),
            half_open_probes: 2,
            slow_call: Some(ms(15)),
        }),
        0.0,
    );
    for &(at, n) in bursts {
        client = client.burst(ms(at), n);
    }
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(Service::new("s").time(Dist::constant_ms(10)).rest(
            HttpMethod::Get,
            "/x",
            Handler::new().work(),
        ))
        .client(client);
    run(w)
}

fn breaker_transitions(sim: &Sim) -> Vec<String> {
    sim.trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Breaker)
        .map(|r| format!("{} {}", r.recv, r.outcome))
        .collect()
}

#[test]
fn slow_calls_count_as_failures() {
    // Every request succeeds, but three of the four take over 15 ms (22, 32, 42 ms): 75% ≥ 60%,
    // so the breaker opens at the fourth outcome, as resilience4j's slow-call rate would.
    let sim = slow_breaker_world(&[(0, 4)]);
    assert_eq!(
        breaker_transitions(&sim),
        vec!["42.000ms OPEN", "142.000ms HALF-OPEN"]
    );
    assert_eq!(sim.metrics().clients[0].errors, 0);
}

#[test]
fn a_call_exactly_as_slow_as_the_threshold_is_not_slow() {
    // Slow means over the threshold (resilience4j: "above which calls are considered slow").
    // Four calls, one at a time, each take exactly 12 ms (1 + 10 + 1) against a 12 ms
    // threshold: none is slow, so the breaker never opens (all four slow would be 100%).
    let w = World::new()
        .duration(ms(400))
        .network(net1ms())
        .service(Service::new("s").time(Dist::constant_ms(10)).rest(
            HttpMethod::Get,
            "/x",
            Handler::new().work(),
        ))
        .client(
            Client::new(
                "c",
                Call::rest("s", HttpMethod::Get, "/x").breaker(BreakerPolicy {
                    failure_ratio: 0.6,
                    window: SimTime::from_secs(1),
                    min_requests: 4,
                    cooldown: ms(100),
                    half_open_probes: 2,
                    slow_call: Some(ms(12)),
                }),
                0.0,
            )
            .burst(ms(0), 1)
            .burst(ms(50), 1)
            .burst(ms(100), 1)
            .burst(ms(150), 1),
        );
    let sim = run(w);
    assert_eq!(lines_with(&sim, "rest-reply").len(), 4);
    assert_eq!(breaker_transitions(&sim), Vec::<String>::new());
}

#[test]
fn half_open_decides_on_the_failure_rate_of_all_its_probes() {
    // Half-open at 142 ms; two probes at 150 ms take 12 ms (fine) and 22 ms (slow). resilience4j
    // waits for both and closes: 1 of 2 is 50%, below 60%. (Reopening on the first failed probe
    // would give OPEN at 172 ms.)
    let sim = slow_breaker_world(&[(0, 4), (150, 2)]);
    assert_eq!(
        breaker_transitions(&sim),
        vec!["42.000ms OPEN", "142.000ms HALF-OPEN", "172.000ms CLOSED"]
    );
}

#[test]
fn a_retry_waits_for_the_servers_retry_after_instead_of_its_backoff() {
    // The server answers 503 with `Retry-After: 300ms` (RFC 9110 §10.2.3); the client's own
    // backoff would be 10 ms, but like urllib3 it waits what the server asked. A retry that the
    // request's 500 ms budget cannot wait for is not made.
    let w = World::new()
        .duration(SimTime::from_secs(2))
        .network(net1ms())
        .service(
            Service::new("s").rest(
                HttpMethod::Get,
                "/x",
                Handler::new()
                    .step(Step::RetryAfter(ms(300)))
                    .fail_with(1.0, Status::Http(503)),
            ),
        )
        .client(burst_client(
            "c",
            Call::rest("s", HttpMethod::Get, "/x")
                .timeout(ms(500))
                .retry(RetryPolicy::retries(3).backoff(ms(10))),
            1,
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 2.000ms s -> c rest-reply GET /x 503 attempt 1
        302.000ms 303.000ms c -> s rest GET /x OK attempt 2
        303.000ms 304.000ms s -> c rest-reply GET /x 503 attempt 2
        ",
    );
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(503)),
        Some(&1)
    );
}
