//! Hedged calls and retry budgets (gRFC A6): a hedged call sends one more attempt after each
//! delay while none has ended it, the first success or fatal answer wins and the others are
//! abandoned (their answers are recorded late), a non-fatal failure sends the next at once;
//! a call site's retry budget (gRPC's retry throttling) stops retries and hedges while at most
//! half its tokens are left. Balancer in-flight counts and breaker probes stay exact for every
//! attempt in flight.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

/// `s GET /x`: one worker, `work_ms` of work, then the handler's reply.
fn service(work_ms: u64, h: Handler) -> Service {
    Service::new("s")
        .workers(1)
        .time(Dist::constant_ms(work_ms))
        .rest(HttpMethod::Get, "/x", h)
}

fn get() -> Call {
    Call::rest("s", HttpMethod::Get, "/x")
}

/// One request from client `c` at 0 with `call`.
fn one(call: Call, s: Service, until: u64) -> World {
    World::new()
        .duration(ms(until))
        .network(net1ms())
        .service(s)
        .client(Client::new("c", call, 0.0).burst(SimTime::ZERO, 1))
}

#[test]
fn a_hedge_goes_after_the_delay_and_the_first_answer_wins() {
    // The first attempt holds the only worker for 30 ms; the hedge sent at 10 ms waits behind
    // it. The first answer (at 32 ms) ends the call; the hedge's answer arrives late.
    let w = one(
        get().hedge(2, ms(10)),
        service(30, Handler::new().work()),
        200,
    );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        10.000ms 11.000ms c -> s rest GET /x OK attempt 2
        1.000ms 31.000ms s -> s work GET /x OK attempt 1
        31.000ms 32.000ms s -> c rest-reply GET /x 200 attempt 1
        31.000ms 61.000ms s -> s work GET /x OK attempt 2
        61.000ms 62.000ms s -> c rest-reply GET /x 200 attempt 2 LATE
        ",
    );
    let m = &sim.metrics().calls[0];
    assert_eq!((m.attempts, m.hedges, m.ok, m.retries), (2, 1, 1, 0));
    assert_eq!(sim.metrics().clients[0].latency.max(), ms(32));
}

#[test]
fn a_faster_hedge_wins_and_the_first_attempt_is_abandoned() {
    // The first request is slowed by 50 ms on the wire; the hedge at 10 ms is answered first.
    let w = one(
        get().hedge(2, ms(10)),
        service(10, Handler::new().work()),
        200,
    )
    .fault(Fault::latency_spike(
        LinkSelector::Between("c".into(), "s".into()),
        ms(50),
        SimTime::ZERO,
        ms(5),
    ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 0.000ms s -> c fault latency +50.000ms c <-> s OK attempt 1
        0.000ms 5.000ms s -> c fault-end latency +50.000ms c <-> s OK attempt 1
        10.000ms 11.000ms c -> s rest GET /x OK attempt 2
        11.000ms 21.000ms s -> s work GET /x OK attempt 2
        21.000ms 22.000ms s -> c rest-reply GET /x 200 attempt 2
        0.000ms 51.000ms c -> s rest GET /x OK attempt 1
        51.000ms 61.000ms s -> s work GET /x OK attempt 1
        61.000ms 62.000ms s -> c rest-reply GET /x 200 attempt 1 LATE
        ",
    );
    assert_eq!(sim.metrics().clients[0].latency.max(), ms(22));
    assert_eq!(sim.metrics().calls[0].hedges, 1);
}

#[test]
fn a_non_fatal_failure_sends_the_next_hedge_at_once() {
    let w = one(
        get().hedge(3, ms(50)),
        service(10, Handler::new().work().fail_with(1.0, Status::Http(503))),
        200,
    );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 503 attempt 1
        12.000ms 13.000ms c -> s rest GET /x OK attempt 2
        13.000ms 23.000ms s -> s work GET /x OK attempt 2
        23.000ms 24.000ms s -> c rest-reply GET /x 503 attempt 2
        24.000ms 25.000ms c -> s rest GET /x OK attempt 3
        25.000ms 35.000ms s -> s work GET /x OK attempt 3
        35.000ms 36.000ms s -> c rest-reply GET /x 503 attempt 3
        ",
    );
    // Each 503 (a retry status, so not fatal) sends the next hedge at once instead of at 50 ms
    // and 100 ms; after the third the call fails with it.
    let m = &sim.metrics().calls[0];
    assert_eq!((m.attempts, m.hedges, m.failed), (3, 2, 1));
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(503)),
        Some(&1)
    );
}

#[test]
fn a_fatal_failure_ends_a_hedged_call_at_once() {
    let w = one(
        get().hedge(3, ms(50)),
        service(10, Handler::new().work().fail_with(1.0, Status::Http(500))),
        200,
    );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 500 attempt 1
        ",
    );
    // 500 is not a retry status: fatal, so the call ends with it and the hedge due at 50 ms is
    // never sent.
    let m = &sim.metrics().calls[0];
    assert_eq!((m.attempts, m.hedges, m.failed), (1, 0, 1));
}

#[test]
fn the_deadline_ends_a_hedged_call_and_every_attempt_leaves_the_balancer() {
    let w = World::new()
        .duration(ms(200))
        .network(net1ms())
        .service(
            Service::new("s")
                .replicas(3)
                .balancer(Balancer::RoundRobin)
                .workers(1)
                .time(Dist::constant_ms(30))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(
            Client::new("c", get().hedge(3, ms(5)).timeout(ms(20)), 0.0).burst(SimTime::ZERO, 1),
        );
    let mut sim = Sim::new(w, 1).unwrap();
    let active = |sim: &Sim| -> Vec<u32> {
        sim.balancers()[0]
            .replicas
            .iter()
            .map(|r| r.active)
            .collect()
    };
    // All three attempts are in flight, one to each replica...
    sim.run_until(ms(15));
    assert_eq!(active(&sim), [1, 1, 1]);
    // ...and the deadline at 20 ms ends the call: each of them is over for the balancer. One
    // timeout is recorded; the three answers arrive late.
    sim.run_until(ms(21));
    assert_eq!(active(&sim), [0, 0, 0]);
    let m = &sim.metrics().calls[0];
    assert_eq!((m.attempts, m.hedges, m.timed_out), (3, 2, 1));
    sim.run_to_end();
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s#1 rest GET /x OK attempt 1
        5.000ms 6.000ms c -> s#2 rest GET /x OK attempt 2
        10.000ms 11.000ms c -> s#3 rest GET /x OK attempt 3
        0.000ms 20.000ms s#1 -> c timeout GET /x TIMEOUT attempt 1
        1.000ms 31.000ms s#1 -> s#1 work GET /x OK attempt 1
        31.000ms 32.000ms s#1 -> c rest-reply GET /x 200 attempt 1 LATE
        6.000ms 36.000ms s#2 -> s#2 work GET /x OK attempt 2
        36.000ms 37.000ms s#2 -> c rest-reply GET /x 200 attempt 2 LATE
        11.000ms 41.000ms s#3 -> s#3 work GET /x OK attempt 3
        41.000ms 42.000ms s#3 -> c rest-reply GET /x 200 attempt 3 LATE
        ",
    );
}

#[test]
fn the_retry_budget_stops_retries_while_half_its_tokens_are_gone() {
    let call = get()
        .retry(RetryPolicy::retries(3).backoff(ms(10)))
        .retry_on(vec![Status::Http(500)])
        .retry_budget(4, 0.5);
    let mut c = Client::new("c", call, 0.0);
    for t in [0, 100, 200, 300, 400, 500, 600, 700] {
        c = c.burst(ms(t), 1);
    }
    let w = World::new()
        .duration(ms(1000))
        .network(net1ms())
        .service(service(10, Handler::new().work()))
        .client(c)
        .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(150)))
        .fault(Fault::error_spike("s", 1.0, ms(700), ms(100)));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 0.000ms s -> s fault errors s 1 OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 500 attempt 1
        22.000ms 23.000ms c -> s rest GET /x OK attempt 2
        23.000ms 33.000ms s -> s work GET /x OK attempt 2
        33.000ms 34.000ms s -> c rest-reply GET /x 500 attempt 2
        100.000ms 101.000ms c -> s rest GET /x OK attempt 1
        101.000ms 111.000ms s -> s work GET /x OK attempt 1
        111.000ms 112.000ms s -> c rest-reply GET /x 500 attempt 1
        0.000ms 150.000ms s -> s fault-end errors s 1 OK attempt 1
        200.000ms 201.000ms c -> s rest GET /x OK attempt 1
        201.000ms 211.000ms s -> s work GET /x OK attempt 1
        211.000ms 212.000ms s -> c rest-reply GET /x 200 attempt 1
        300.000ms 301.000ms c -> s rest GET /x OK attempt 1
        301.000ms 311.000ms s -> s work GET /x OK attempt 1
        311.000ms 312.000ms s -> c rest-reply GET /x 200 attempt 1
        400.000ms 401.000ms c -> s rest GET /x OK attempt 1
        401.000ms 411.000ms s -> s work GET /x OK attempt 1
        411.000ms 412.000ms s -> c rest-reply GET /x 200 attempt 1
        500.000ms 501.000ms c -> s rest GET /x OK attempt 1
        501.000ms 511.000ms s -> s work GET /x OK attempt 1
        511.000ms 512.000ms s -> c rest-reply GET /x 200 attempt 1
        600.000ms 601.000ms c -> s rest GET /x OK attempt 1
        601.000ms 611.000ms s -> s work GET /x OK attempt 1
        611.000ms 612.000ms s -> c rest-reply GET /x 200 attempt 1
        700.000ms 700.000ms s -> s fault errors s 1 OK attempt 1
        700.000ms 701.000ms c -> s rest GET /x OK attempt 1
        701.000ms 711.000ms s -> s work GET /x OK attempt 1
        711.000ms 712.000ms s -> c rest-reply GET /x 500 attempt 1
        722.000ms 723.000ms c -> s rest GET /x OK attempt 2
        723.000ms 733.000ms s -> s work GET /x OK attempt 2
        733.000ms 734.000ms s -> c rest-reply GET /x 500 attempt 2
        700.000ms 800.000ms s -> s fault-end errors s 1 OK attempt 1
        ",
    );
    // 4 tokens, a success gives back 0.5, retries only above 2. The first call's failure
    // leaves 3 (retried), its retry's 2 (refused); the second call's leaves 1 (refused). Five
    // successes bring it to 3.5, so the last call is retried once (2.5) and then refused (1.5).
    let m = &sim.metrics().calls[0];
    assert_eq!(
        (m.attempts, m.retries, m.throttled, m.ok, m.failed),
        (10, 2, 3, 5, 3)
    );
}

#[test]
fn the_retry_budget_refuses_hedges_too() {
    let call = get().hedge(2, ms(5)).retry_budget(2, 0.1);
    let w = World::new()
        .duration(ms(300))
        .network(net1ms())
        .service(service(
            10,
            Handler::new().work().fail_with(1.0, Status::Http(503)),
        ))
        .client(
            Client::new("c", call, 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(100), 1),
        );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        5.000ms 6.000ms c -> s rest GET /x OK attempt 2
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 503 attempt 1
        11.000ms 21.000ms s -> s work GET /x OK attempt 2
        21.000ms 22.000ms s -> c rest-reply GET /x 503 attempt 2
        100.000ms 101.000ms c -> s rest GET /x OK attempt 1
        101.000ms 111.000ms s -> s work GET /x OK attempt 1
        111.000ms 112.000ms s -> c rest-reply GET /x 503 attempt 1
        ",
    );
    // 2 tokens, hedges only above 1: the first call's hedge goes (2 tokens), its two failures
    // leave 0, so the second call's hedge at 105 ms is refused and it waits for its one attempt.
    let m = &sim.metrics().calls[0];
    assert_eq!((m.attempts, m.hedges, m.throttled, m.failed), (3, 1, 1, 2));
}

#[test]
fn a_call_cannot_both_retry_and_hedge() {
    let call = get().retry(RetryPolicy::retries(2)).hedge(2, ms(10));
    let w = one(call, service(10, Handler::new().work()), 100);
    let err = Sim::new(w, 1).err().expect("refused").to_string();
    assert!(err.contains("not both"), "{err}");
    // Hedging repeats the request, so a POST must be marked safe to repeat.
    let post = Call::rest("s", HttpMethod::Post, "/x").hedge(2, ms(10));
    let s = Service::new("s").rest(HttpMethod::Post, "/x", Handler::new());
    let err = Sim::new(one(post.clone(), s.clone(), 100), 1)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("idempotent"), "{err}");
    assert!(Sim::new(one(post.idempotent(), s, 100), 1).is_ok());
}

#[test]
fn an_abandoned_hedge_gives_its_breaker_probe_back() {
    // The breaker opens on the first call's 500 and is half-open from 82 ms with 2 probes. The
    // second call's two attempts are both probes; the first answers, and the abandoned hedge
    // gives its probe back, so the third call's first attempt is the second probe and closes
    // the breaker (its own hedge, a third probe, is refused).
    let breaker = BreakerPolicy {
        failure_ratio: 0.5,
        window: ms(10_000),
        min_requests: 1,
        cooldown: ms(50),
        half_open_probes: 2,
        slow_call: None,
    };
    let mut s = service(30, Handler::new().work());
    s = s.workers(2);
    let w = World::new()
        .duration(ms(300))
        .network(net1ms())
        .service(s)
        .client(
            Client::new("c", get().hedge(2, ms(5)).breaker(breaker), 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(100), 1)
                .burst(ms(200), 1),
        )
        .fault(Fault::error_spike("s", 1.0, SimTime::ZERO, ms(50)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "breaker"),
        norm(
            "
            32.000ms 32.000ms c -> s breaker GET /x OPEN attempt 1
            82.000ms 82.000ms c -> s breaker GET /x HALF-OPEN attempt 1
            205.000ms 205.000ms c -> s rest GET /x REJECTED(breaker-open) attempt 2
            232.000ms 232.000ms c -> s breaker GET /x CLOSED attempt 1
            "
        )
    );
    let m = &sim.metrics().calls[0];
    assert_eq!((m.ok, m.failed, m.hedges), (2, 1, 2));
}

#[test]
fn a_hedged_call_whose_caller_crashes_leaves_the_balancer_at_once() {
    // `a`'s handler has three hedged attempts in flight, one to each replica, when `a` crashes
    // at 15 ms: the call is freed with its task, and every attempt with it.
    let w = World::new()
        .duration(ms(200))
        .network(net1ms())
        .service(
            Service::new("s")
                .replicas(3)
                .balancer(Balancer::RoundRobin)
                .workers(1)
                .time(Dist::constant_ms(30))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .service(Service::new("a").workers(1).rest(
            HttpMethod::Get,
            "/y",
            Handler::new().call(get().hedge(3, ms(5))),
        ))
        .client(
            Client::new("c", Call::rest("a", HttpMethod::Get, "/y"), 0.0).burst(SimTime::ZERO, 1),
        )
        .fault(Fault::crash("a", ms(15), ms(100)));
    let mut sim = Sim::new(w, 1).unwrap();
    let active = |sim: &Sim| -> Vec<u32> {
        sim.balancers()[0]
            .replicas
            .iter()
            .map(|r| r.active)
            .collect()
    };
    sim.run_until(ms(14));
    assert_eq!(active(&sim), [1, 1, 1]);
    sim.run_until(ms(16));
    assert_eq!(active(&sim), [0, 0, 0]);
    sim.run_to_end();
    assert_eq!(active(&sim), [0, 0, 0]);
    // Their answers come back to a crashed caller: dropped.
    assert_eq!(lines_with(&sim, "DROPPED(crashed)").len(), 3);
}
