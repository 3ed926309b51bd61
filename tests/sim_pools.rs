//! Connection pools on a call site: at most `size` of its calls in flight, each holding its
//! connection from its first attempt to its end (retries and backoff included); the others
//! wait first come first served for at most the pool's wait, then fail unsent
//! (`REJECTED(pool-timeout)`, no status).

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

/// Service `s`: 4 workers, 50 ms per request, `GET /x`.
fn svc() -> Service {
    Service::new("s")
        .workers(4)
        .time(Dist::constant_ms(50))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
}

fn get() -> Call {
    Call::rest("s", HttpMethod::Get, "/x")
}

fn world() -> World {
    World::new()
        .duration(SimTime::from_secs(10))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(svc())
}

fn burst(call: Call, n: u32) -> Client {
    Client::new("c", call, 0.0).burst(SimTime::ZERO, n)
}

#[test]
fn calls_beyond_the_pool_wait_for_a_connection_first_come_first_served() {
    // Pool of 2, four calls at once: two are sent at once; the third is sent when the first's
    // answer frees its connection (52 ms), the fourth when the second's does.
    let w = world().client(burst(get().pool(2, ms(500)), 4));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        1.000ms 51.000ms s -> s work GET /x OK attempt 1
        1.000ms 51.000ms s -> s work GET /x OK attempt 1
        51.000ms 52.000ms s -> c rest-reply GET /x 200 attempt 1
        51.000ms 52.000ms s -> c rest-reply GET /x 200 attempt 1
        52.000ms 53.000ms c -> s rest GET /x OK attempt 1
        52.000ms 53.000ms c -> s rest GET /x OK attempt 1
        53.000ms 103.000ms s -> s work GET /x OK attempt 1
        53.000ms 103.000ms s -> s work GET /x OK attempt 1
        103.000ms 104.000ms s -> c rest-reply GET /x 200 attempt 1
        103.000ms 104.000ms s -> c rest-reply GET /x 200 attempt 1
        ",
    );
    let m = &sim.metrics().calls[0];
    assert_eq!(
        (
            m.pool_waited,
            m.pool_timeouts,
            m.pool_max_in_use,
            m.pool_max_waiting
        ),
        (2, 0, 2, 2)
    );
    assert_eq!(sim.call_pool(0), Some((2, 0, 0)));
}

#[test]
fn a_call_that_waits_longer_than_pool_wait_fails_unsent_without_a_status() {
    // Pool of 1, wait 30 ms, three calls at once: the second and third give up at 30 ms with
    // `REJECTED(pool-timeout)` (from when they began waiting), never sent; the client counts
    // them as connection errors, not statuses.
    let w = world().client(burst(get().pool(1, ms(30)), 3));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s rest GET /x OK attempt 1
        0.000ms 30.000ms c -> s rest GET /x REJECTED(pool-timeout) attempt 1
        0.000ms 30.000ms c -> s rest GET /x REJECTED(pool-timeout) attempt 1
        1.000ms 51.000ms s -> s work GET /x OK attempt 1
        51.000ms 52.000ms s -> c rest-reply GET /x 200 attempt 1
        ",
    );
    let m = &sim.metrics().calls[0];
    assert_eq!(
        (m.pool_waited, m.pool_timeouts, m.failed, m.ok),
        (2, 2, 2, 1)
    );
    let c = &sim.metrics().clients[0];
    assert_eq!((c.connection_errors, c.errors, c.ok), (2, 2, 1));
    assert!(c.outcomes.len() == 1, "{:?}", c.outcomes);
}

#[test]
fn a_handler_whose_pooled_call_times_out_answers_503() {
    // `api` calls `s` through a pool of 1 (wait 20 ms); two requests at once: the second's
    // call fails unsent at 21 ms and `api` answers it 503.
    let api = Service::new("api").workers(2).rest(
        HttpMethod::Get,
        "/a",
        Handler::new().call(get().pool(1, ms(20))),
    );
    let w = world()
        .service(api)
        .client(burst(Call::rest("api", HttpMethod::Get, "/a"), 2));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "api -> "),
        norm(
            "
            1.000ms 2.000ms api -> s rest GET /x OK attempt 1
            1.000ms 21.000ms api -> s rest GET /x REJECTED(pool-timeout) attempt 1
            21.000ms 22.000ms api -> c rest-reply GET /a 503 attempt 1
            53.000ms 54.000ms api -> c rest-reply GET /a 200 attempt 1
            "
        )
    );
}

#[test]
fn the_deadline_ends_a_wait_shorter_than_pool_wait_as_a_timeout() {
    // `api.A` calls `s.X` through a pool of 1 (wait 1 s). Two clients call `api.A` at once,
    // one with a 1 s deadline, one with 20 ms: the second's call waits for the connection
    // the first holds, and its propagated deadline (20 ms) ends the wait first: a timeout,
    // not a pool timeout; `api` answers DEADLINE_EXCEEDED.
    let s = Service::new("s")
        .time(Dist::constant_ms(50))
        .rpc("X", Handler::new().work());
    let api = Service::new("api").workers(2).rpc(
        "A",
        Handler::new().call(Call::rpc("s", "X").pool(1, SimTime::from_secs(1))),
    );
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(s)
        .service(api)
        .client(
            Client::new(
                "c1",
                Call::rpc("api", "A").timeout(SimTime::from_secs(1)),
                0.0,
            )
            .burst(SimTime::ZERO, 1),
        )
        .client(
            Client::new("c2", Call::rpc("api", "A").timeout(ms(20)), 0.0).burst(SimTime::ZERO, 1),
        );
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "api"),
        norm(
            "
            0.000ms 1.000ms c1 -> api rpc A OK attempt 1
            0.000ms 1.000ms c2 -> api rpc A OK attempt 1
            1.000ms 2.000ms api -> s rpc X OK attempt 1
            0.000ms 20.000ms api -> c2 timeout A TIMEOUT attempt 1
            1.000ms 20.000ms s -> api timeout X TIMEOUT attempt 1
            20.000ms 21.000ms api -> c2 rpc-reply A DEADLINE_EXCEEDED attempt 1 LATE
            52.000ms 53.000ms s -> api rpc-reply X OK attempt 1
            53.000ms 54.000ms api -> c1 rpc-reply A OK attempt 1
            "
        )
    );
    let i = (0..sim.metrics().calls.len())
        .find(|&i| sim.call_site_label(i) == "api -> s X")
        .expect("call site");
    let m = &sim.metrics().calls[i];
    assert_eq!(
        (m.pool_waited, m.pool_timeouts, m.timed_out, m.ok),
        (1, 0, 1, 1)
    );
}

#[test]
fn a_call_holds_its_connection_through_its_retries_and_backoff() {
    // `s` is down for the first 5 ms: the first call is refused and retried after 100 ms of
    // backoff, still holding the pool's one connection, so the second call is sent only
    // after the retry's answer (at 154 ms).
    let flaky = Service::new("s")
        .workers(4)
        .time(Dist::constant_ms(50))
        .rest(HttpMethod::Get, "/x", Handler::new().work());
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(flaky)
        .client(burst(
            get()
                .pool(1, SimTime::from_secs(1))
                .retry(RetryPolicy::retries(1).backoff(ms(100))),
            2,
        ))
        .fault(Fault::crash("s", SimTime::ZERO, ms(5)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "c -> s rest"),
        norm(
            "
            0.000ms 1.000ms c -> s rest GET /x REJECTED(refused) attempt 1
            102.000ms 103.000ms c -> s rest GET /x OK attempt 2
            154.000ms 155.000ms c -> s rest GET /x OK attempt 1
            "
        )
    );
}

#[test]
fn a_waiting_call_whose_owner_crashed_is_dropped_and_the_connection_goes_to_the_next() {
    // `api` (pool of 1 to `s`, wait 1 s) gets three requests at once; it crashes at 10 ms for
    // 1 ms, losing both waiting calls and the one holding the connection. A request after the
    // restart gets the connection at once: nothing leaked.
    let api = Service::new("api").workers(4).rest(
        HttpMethod::Get,
        "/a",
        Handler::new().call(get().pool(1, SimTime::from_secs(1))),
    );
    let w = world()
        .service(api)
        .client(burst(Call::rest("api", HttpMethod::Get, "/a"), 3))
        .client(Client::new("d", Call::rest("api", HttpMethod::Get, "/a"), 0.0).burst(ms(20), 1))
        .fault(Fault::crash("api", ms(10), ms(1)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "api -> s"),
        norm(
            "
            1.000ms 2.000ms api -> s rest GET /x OK attempt 1
            21.000ms 22.000ms api -> s rest GET /x OK attempt 1
            "
        )
    );
    let i = (0..sim.metrics().calls.len())
        .find(|&i| sim.call_site_label(i) == "api -> s GET /x")
        .expect("call site");
    assert_eq!(sim.call_pool(i), Some((1, 0, 0)));
    assert_eq!(sim.metrics().calls[i].pool_timeouts, 0);
}

#[test]
fn a_pool_must_have_a_connection_and_a_wait_and_no_hedge_or_cache() {
    for call in [
        get().pool(0, ms(10)),
        get().pool(1, SimTime::ZERO),
        get().pool(1, ms(10)).hedge(2, ms(5)),
    ] {
        let w = world().client(burst(call, 1));
        assert!(Sim::new(w, 1).is_err());
    }
}

#[test]
fn the_summary_shows_each_pool_and_leaves_other_call_sites_as_they_were() {
    use switchboard::export::summary::{render_text, summarize};
    let w = world()
        .client(burst(get().pool(1, ms(30)), 3))
        .client(Client::new("plain", get(), 0.0).burst(SimTime::ZERO, 1));
    let mut sim = Sim::new(w, 1).expect("valid world");
    let stop = sim.run_to_end();
    let s = summarize("p", 1, &sim, stop, 0.0);
    let p = s.calls[0].pool.as_ref().expect("a pool");
    assert_eq!(
        (
            p.size,
            p.in_use,
            p.waiting,
            p.waited,
            p.timeouts,
            p.max_in_use,
            p.max_waiting
        ),
        (1, 0, 0, 2, 2, 1, 2)
    );
    assert!(s.calls[1].pool.is_none());
    let json = serde_json::to_string(&s.calls[1]).unwrap();
    assert!(!json.contains("pool"), "{json}");
    let text = render_text(&s);
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["c", "->", "s", "GET", "/x", "1", "0", "0", "2", "2", "1", "2"]),
        "{text}"
    );
}
