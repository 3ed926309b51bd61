//! Admission control on a service: a token-bucket rate limit in front of the workers (429 /
//! RESOURCE_EXHAUSTED at once, with the wait for the next token as `Retry-After` or gRPC
//! pushback), shedding requests that waited too long in the backlog (503 / UNAVAILABLE when a
//! worker frees), and the order a freed worker takes waiting requests in (FIFO, LIFO, adaptive
//! LIFO).

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

/// Service `s`: one worker, 10 ms per request, `GET /x` and `rpc X`.
fn svc(time_ms: u64) -> Service {
    Service::new("s")
        .time(Dist::constant_ms(time_ms))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
        .rpc("X", Handler::new().work())
}

fn get() -> Call {
    Call::rest("s", HttpMethod::Get, "/x")
}

fn burst(name: &str, call: Call, at: SimTime, n: u32) -> Client {
    Client::new(name, call, 0.0).burst(at, n)
}

fn world(s: Service) -> World {
    World::new()
        .duration(SimTime::from_secs(10))
        .network(net1ms())
        .service(s)
}

#[test]
fn the_bucket_admits_its_burst_then_refuses_with_429_at_once() {
    // A full bucket of 2 tokens at 2/s: of 4 requests at once, 2 pass (one runs, one waits for
    // the worker) and 2 are refused with 429 at once, without a worker or the backlog. The
    // next token comes 500 ms later, asked for as `Retry-After: 1` (whole seconds): the
    // retries wait 1 s instead of their 10 ms backoff, and by then the bucket is full again.
    let w = world(svc(10).rate_limit(2.0, 2)).client(burst(
        "c",
        get()
            .timeout(SimTime::from_secs(5))
            .retry(RetryPolicy::retries(1).backoff(ms(10))),
        SimTime::ZERO,
        4,
    ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x REJECTED(rate-limited) attempt 1
        0.000ms 1.000ms c -> s rest GET /x REJECTED(rate-limited) attempt 1
        1.000ms 2.000ms s -> c rest-reply GET /x 429 attempt 1
        1.000ms 2.000ms s -> c rest-reply GET /x 429 attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> c rest-reply GET /x 200 attempt 1
        11.000ms 21.000ms s -> s work GET /x OK attempt 1
        21.000ms 22.000ms s -> c rest-reply GET /x 200 attempt 1
        1002.000ms 1003.000ms c -> s rest GET /x OK attempt 2
        1002.000ms 1003.000ms c -> s rest GET /x OK attempt 2
        1003.000ms 1013.000ms s -> s work GET /x OK attempt 2
        1013.000ms 1014.000ms s -> c rest-reply GET /x 200 attempt 2
        1013.000ms 1023.000ms s -> s work GET /x OK attempt 2
        1023.000ms 1024.000ms s -> c rest-reply GET /x 200 attempt 2
        ",
    );
    let m = &sim.metrics().services[0];
    assert_eq!((m.rate_limited, m.rejected, m.max_backlog()), (2, 0, 1));
}

#[test]
fn retry_after_is_the_wait_for_the_next_token_rounded_up_to_whole_seconds() {
    // 0.4/s, bucket of 1: after the first request takes the token, the next one comes 2.5 s
    // later, so the refused request is asked to wait 3 s (HTTP's `Retry-After` counts whole
    // seconds) and its retry finds a token.
    let w = world(svc(10).rate_limit(0.4, 1)).client(burst(
        "c",
        get()
            .timeout(SimTime::from_secs(5))
            .retry(RetryPolicy::retries(1).backoff(ms(10))),
        SimTime::ZERO,
        2,
    ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "attempt 2"),
        norm(
            "
            3002.000ms 3003.000ms c -> s rest GET /x OK attempt 2
            3003.000ms 3013.000ms s -> s work GET /x OK attempt 2
            3013.000ms 3014.000ms s -> c rest-reply GET /x 200 attempt 2
        "
        )
    );
    // A budget too short for that wait gives up at once with the 429 (no attempt 2).
    let w = world(svc(10).rate_limit(0.4, 1)).client(burst(
        "c",
        get()
            .timeout(SimTime::from_secs(2))
            .retry(RetryPolicy::retries(1).backoff(ms(10))),
        SimTime::ZERO,
        2,
    ));
    let sim = run(w);
    assert!(lines_with(&sim, "attempt 2").is_empty());
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(429)),
        Some(&1)
    );
}

#[test]
fn grpc_gets_resource_exhausted_with_pushback_in_whole_milliseconds() {
    // 3/s, bucket of 1: the next token is 333.333 ms away, asked for as 334 ms of pushback
    // (`grpc-retry-pushback-ms`). RESOURCE_EXHAUSTED is retried only when the policy names it.
    let call = Call::rpc("s", "X")
        .timeout(SimTime::from_secs(5))
        .retry(RetryPolicy::retries(1).backoff(ms(10)));
    let w = world(svc(10).rate_limit(3.0, 1)).client(burst(
        "c",
        call.clone()
            .retry_on(vec![Status::Grpc(GrpcCode::ResourceExhausted)]),
        SimTime::ZERO,
        2,
    ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rpc X OK attempt 1
        0.000ms 1.000ms c -> s rpc X REJECTED(rate-limited) attempt 1
        1.000ms 2.000ms s -> c rpc-reply X RESOURCE_EXHAUSTED attempt 1
        1.000ms 11.000ms s -> s work X OK attempt 1
        11.000ms 12.000ms s -> c rpc-reply X OK attempt 1
        336.000ms 337.000ms c -> s rpc X OK attempt 2
        337.000ms 347.000ms s -> s work X OK attempt 2
        347.000ms 348.000ms s -> c rpc-reply X OK attempt 2
        ",
    );
    // By default (UNAVAILABLE only) it is not retried.
    let sim = run(world(svc(10).rate_limit(3.0, 1)).client(burst("c", call, SimTime::ZERO, 2)));
    assert!(lines_with(&sim, "attempt 2").is_empty());
    assert_eq!(
        sim.metrics().clients[0]
            .outcomes
            .get(&Status::Grpc(GrpcCode::ResourceExhausted)),
        Some(&1)
    );
}

#[test]
fn the_pushback_is_only_what_a_partly_refilled_bucket_still_lacks() {
    // 1/s, bucket of 1: the first request takes the token at 1 ms; the second arrives 500 ms
    // later, when the bucket holds half a token again, and is asked to wait the 500 ms the
    // other half takes (not a whole token's second): its retry goes at 502 + 500 ms.
    let call = Call::rpc("s", "X")
        .timeout(SimTime::from_secs(5))
        .retry(RetryPolicy::retries(1).backoff(ms(10)))
        .retry_on(vec![Status::Grpc(GrpcCode::ResourceExhausted)]);
    let client = Client::new("c", call, 0.0)
        .burst(SimTime::ZERO, 1)
        .burst(ms(500), 1);
    let sim = run(world(svc(10).rate_limit(1.0, 1)).client(client));
    assert_eq!(
        lines_with(&sim, "attempt 2"),
        norm(
            "
            1002.000ms 1003.000ms c -> s rpc X OK attempt 2
            1003.000ms 1013.000ms s -> s work X OK attempt 2
            1013.000ms 1014.000ms s -> c rpc-reply X OK attempt 2
        "
        )
    );
}

#[test]
fn the_limiter_comes_before_the_backlog() {
    // Backlog 0 and a bucket of 2: the first request takes the worker, the second has a token
    // but no room (503, backlog full), the third has no token (429), whatever the backlog.
    let w =
        world(svc(10).backlog(0).rate_limit(1000.0, 2)).client(burst("c", get(), SimTime::ZERO, 3));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "REJECTED"),
        norm(
            "
            0.000ms 1.000ms c -> s rest GET /x REJECTED(backlog-full) attempt 1
            0.000ms 1.000ms c -> s rest GET /x REJECTED(rate-limited) attempt 1
        "
        )
    );
    let m = &sim.metrics().services[0];
    assert_eq!((m.rejected, m.rate_limited), (1, 1));
}

#[test]
fn a_steady_overload_is_admitted_at_the_limit_plus_the_burst() {
    // 100/s offered for 10 s to a 20/s limit with a bucket of 5: the 5 of the full bucket,
    // then one every 50 ms (the requests come every 10 ms, so each token is taken as soon
    // as it is whole): 5 + 200 in 10 s, less the one whose token is not whole before the end.
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .network(net1ms())
        .service(svc(1).workers(4).rate_limit(20.0, 5))
        .client(Client::new("c", get(), 100.0));
    let sim = run(w);
    let m = &sim.metrics().services[0];
    let ok = sim.metrics().clients[0].outcomes.get(&Status::Http(200));
    assert_eq!(ok, Some(&204));
    assert_eq!(m.rate_limited, 1000 - 204);
}

#[test]
fn a_quiet_spell_refills_the_bucket_only_to_its_burst() {
    // 10/s with a bucket of 2: after 5 quiet seconds (50 tokens' worth) a burst of 5 still
    // gets only the 2 the bucket holds.
    let w = world(svc(1).workers(8).rate_limit(10.0, 2)).client(burst(
        "c",
        get(),
        SimTime::from_secs(5),
        5,
    ));
    let sim = run(w);
    assert_eq!(lines_with(&sim, "REJECTED(rate-limited)").len(), 3);
    assert_eq!(sim.metrics().services[0].rate_limited, 3);
}

/// A greedy client `g` sending 4 requests at once and a polite one `p` sending 1 a millisecond
/// later, to a service of 8 workers limited to 1/s with a bucket of 2.
fn greedy_and_polite(s: Service) -> World {
    world(s)
        .client(burst("g", get(), SimTime::ZERO, 4))
        .client(burst("p", get(), ms(1), 1))
}

#[test]
fn per_caller_buckets_limit_the_greedy_caller_and_not_the_polite_one() {
    // Each caller has its own bucket of 2: the greedy client's first 2 pass and its other 2
    // are refused; the polite client's request finds its own full bucket.
    let sim = run(greedy_and_polite(
        svc(10).workers(8).rate_limit_per_caller(1.0, 2),
    ));
    check(
        &sim,
        "
        0.000ms 1.000ms g -> s rest GET /x OK attempt 1
        0.000ms 1.000ms g -> s rest GET /x OK attempt 1
        0.000ms 1.000ms g -> s rest GET /x REJECTED(rate-limited) attempt 1
        0.000ms 1.000ms g -> s rest GET /x REJECTED(rate-limited) attempt 1
        1.000ms 2.000ms p -> s rest GET /x OK attempt 1
        1.000ms 2.000ms s -> g rest-reply GET /x 429 attempt 1
        1.000ms 2.000ms s -> g rest-reply GET /x 429 attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        1.000ms 11.000ms s -> s work GET /x OK attempt 1
        2.000ms 12.000ms s -> s work GET /x OK attempt 1
        11.000ms 12.000ms s -> g rest-reply GET /x 200 attempt 1
        11.000ms 12.000ms s -> g rest-reply GET /x 200 attempt 1
        12.000ms 13.000ms s -> p rest-reply GET /x 200 attempt 1
        ",
    );
    let m = sim.metrics();
    assert_eq!(m.services[0].rate_limited, 2);
    assert_eq!(m.clients[0].outcomes.get(&Status::Http(429)), Some(&2));
    assert_eq!(m.clients[1].outcomes.get(&Status::Http(200)), Some(&1));
    assert_eq!(m.clients[1].outcomes.get(&Status::Http(429)), None);
}

#[test]
fn one_bucket_for_all_callers_starves_the_polite_one_too() {
    // The same load with one bucket for the service: the greedy client empties it, and the
    // polite client's request, a millisecond later, is refused as well.
    let sim = run(greedy_and_polite(svc(10).workers(8).rate_limit(1.0, 2)));
    assert_eq!(
        lines_with(&sim, "REJECTED"),
        norm(
            "
            0.000ms 1.000ms g -> s rest GET /x REJECTED(rate-limited) attempt 1
            0.000ms 1.000ms g -> s rest GET /x REJECTED(rate-limited) attempt 1
            1.000ms 2.000ms p -> s rest GET /x REJECTED(rate-limited) attempt 1
        "
        )
    );
    let m = sim.metrics();
    assert_eq!(m.services[0].rate_limited, 3);
    assert_eq!(m.clients[1].outcomes.get(&Status::Http(429)), Some(&1));
}

#[test]
fn a_callers_bucket_refills_at_the_rate_and_only_to_its_burst() {
    // 10/s per caller, bucket of 2. The greedy client sends 3 at 0 (one refused), then 3 more
    // at 5 s: its bucket holds only 2 again, however long the quiet spell. The polite client's
    // first 2, at 5 s, take its own bucket, made full when it is first used.
    let w = world(svc(1).workers(8).rate_limit_per_caller(10.0, 2))
        .client(burst("g", get(), SimTime::ZERO, 3).burst(SimTime::from_secs(5), 3))
        .client(burst("p", get(), SimTime::from_secs(5), 2));
    let sim = run(w);
    let m = sim.metrics();
    assert_eq!(m.services[0].rate_limited, 2);
    assert_eq!(m.clients[0].outcomes.get(&Status::Http(429)), Some(&2));
    assert_eq!(m.clients[1].outcomes.get(&Status::Http(200)), Some(&2));
}

#[test]
fn each_replica_of_a_calling_service_is_a_caller_of_its_own() {
    // Service `f` with 2 replicas (round-robin) calls `s` once per request; `s` allows each
    // caller 1 request (a bucket of 1 at 1/s). Two requests to `f` reach both replicas, whose
    // calls each find a full bucket; a third reaches `f#1` again, whose bucket is empty.
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .network(net1ms())
        .service(svc(10).workers(8).rate_limit_per_caller(1.0, 1))
        .service(Service::new("f").replicas(2).workers(8).rest(
            HttpMethod::Get,
            "/f",
            Handler::new().call(get()),
        ))
        .client(burst(
            "c",
            Call::rest("f", HttpMethod::Get, "/f"),
            SimTime::ZERO,
            3,
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "-> s rest"),
        norm(
            "
            1.000ms 2.000ms f#1 -> s rest GET /x OK attempt 1
            1.000ms 2.000ms f#2 -> s rest GET /x OK attempt 1
            1.000ms 2.000ms f#1 -> s rest GET /x REJECTED(rate-limited) attempt 1
        "
        )
    );
    assert_eq!(sim.metrics().services[0].rate_limited, 1);
}

#[test]
fn a_request_that_waited_longer_than_shed_after_is_shed_when_a_worker_frees() {
    // One worker, 100 ms a request, shed-after 100 ms; four requests at once. The second has
    // waited exactly 100 ms when the worker frees: served. The third and fourth have waited
    // 200 ms: shed together with 503 when the worker frees, without being served.
    let w = world(svc(100).shed_after(ms(100))).client(burst("c", get(), SimTime::ZERO, 4));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 101.000ms s -> s work GET /x OK attempt 1
        101.000ms 102.000ms s -> c rest-reply GET /x 200 attempt 1
        101.000ms 201.000ms s -> s work GET /x OK attempt 1
        201.000ms 202.000ms s -> c rest-reply GET /x 200 attempt 1
        201.000ms 202.000ms s -> c rest-reply GET /x 503 attempt 1
        201.000ms 202.000ms s -> c rest-reply GET /x 503 attempt 1
        ",
    );
    let m = &sim.metrics().services[0];
    assert_eq!(m.shed, 2);
    assert_eq!(sim.metrics().endpoints[0].errors, 2);
}

#[test]
fn a_shed_rpc_gets_unavailable_which_is_retried() {
    let w = world(svc(100).shed_after(ms(50))).client(burst(
        "c",
        Call::rpc("s", "X").retry(RetryPolicy::retries(1).backoff(ms(10))),
        SimTime::ZERO,
        2,
    ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "rpc-reply"),
        norm(
            "
            101.000ms 102.000ms s -> c rpc-reply X OK attempt 1
            101.000ms 102.000ms s -> c rpc-reply X UNAVAILABLE attempt 1
            213.000ms 214.000ms s -> c rpc-reply X OK attempt 2
        "
        )
    );
}

#[test]
fn a_shed_request_forgets_its_idempotency_key_so_its_retry_is_served() {
    // c2's keyed POST waits behind c1's and is shed; its retry is served, not answered from
    // the key store with the 503 (the shed request was never processed).
    let s = Service::new("s")
        .time(Dist::constant_ms(100))
        .shed_after(ms(50))
        .rest(HttpMethod::Post, "/x", Handler::new().work())
        .dedupe();
    let post = || Call::rest("s", HttpMethod::Post, "/x");
    let w = world(s)
        .client(burst("c1", post(), SimTime::ZERO, 1))
        .client(burst(
            "c2",
            post()
                .idempotency_key()
                .retry(RetryPolicy::retries(1).backoff(ms(10))),
            SimTime::ZERO,
            1,
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "-> c2"),
        norm(
            "
            101.000ms 102.000ms s -> c2 rest-reply POST /x 503 attempt 1
            213.000ms 214.000ms s -> c2 rest-reply POST /x 200 attempt 2
        "
        )
    );
    assert_eq!(sim.metrics().endpoints[0].replayed, 0);
}

/// The order in which clients `c1`…`cN` (one request each, `c<k>` sending at `k - 1` ms) got
/// their answers from a one-worker service taking 10 ms a request.
fn served_order(s: Service, n: u32) -> Vec<String> {
    let mut w = world(s);
    for k in 1..=n {
        w = w.client(burst(&format!("c{k}"), get(), ms(u64::from(k) - 1), 1));
    }
    let sim = run(w);
    lines_with(&sim, "rest-reply")
        .iter()
        .map(|l| l.split(' ').nth(4).expect("to").to_string())
        .collect()
}

#[test]
fn fifo_serves_the_oldest_lifo_the_newest_waiting_request() {
    assert_eq!(served_order(svc(10), 4), ["c1", "c2", "c3", "c4"]);
    assert_eq!(
        served_order(svc(10).lifo_above(0), 4),
        ["c1", "c4", "c3", "c2"]
    );
}

#[test]
fn adaptive_lifo_serves_the_newest_only_while_more_than_its_threshold_wait() {
    // c2…c5 wait while c1 is served. Above 2 waiting the newest goes first (c5, then c4);
    // with 2 left, the oldest (c2, then c3).
    assert_eq!(
        served_order(svc(10).lifo_above(2), 5),
        ["c1", "c5", "c4", "c2", "c3"]
    );
}

#[test]
fn bad_admission_settings_are_world_errors() {
    for s in [
        svc(1).rate_limit(0.0, 1),
        svc(1).rate_limit(f64::NAN, 1),
        svc(1).rate_limit(2_000_000.0, 1),
        svc(1).rate_limit(1.0, 0),
        svc(1).shed_after(SimTime::ZERO),
    ] {
        assert!(Sim::new(World::new().service(s), 1).is_err());
    }
}
