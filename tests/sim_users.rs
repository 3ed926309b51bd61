//! Exact scenarios for clients beyond a steady rate: closed-loop users (each sends, waits for its
//! final answer, thinks, sends again; `from`, `until` and bursts), linear rate ramps (constant
//! spacing by the integrated rate, Poisson by inversion), and goodput next to throughput. Then
//! two checks against queueing theory on long runs: the interactive response time law
//! N = X·(R + Z), and the exact mean-value analysis of a closed network.
//! Golden traces compare record lines with runs of spaces collapsed.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod support;
use support::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

fn get_x() -> Call {
    Call::rest("svc", HttpMethod::Get, "/x")
}

/// A service `svc` with `workers` workers answering `GET /x` after `work_ms` of work.
fn svc(workers: u32, work_ms: u64) -> Service {
    Service::new("svc")
        .workers(workers)
        .time(Dist::constant_ms(work_ms))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
}

fn world(ms_total: u64, client: Client) -> World {
    World::new()
        .duration(ms(ms_total))
        .network(net1ms())
        .service(svc(4, 10))
        .client(client)
}

/// `world` run with seed 1 with its clock at its full duration (`run` may stop earlier, when
/// nothing is left to happen), so that rates and time averages are over the whole run.
fn run_whole(world: World) -> Sim {
    let end = world.run.duration;
    let mut sim = Sim::new(world, 1).expect("valid world");
    sim.run_until(end);
    assert_eq!(sim.now(), end);
    sim
}

fn users_now(sim: &Sim) -> UsersView {
    sim.users()[0].expect("a client of users")
}

#[test]
fn each_user_thinks_then_sends_and_waits_for_its_answer_before_thinking_again() {
    // Two users thinking 100 ms: both begin thinking at 0, send at 100 ms, have their answer at
    // 112 ms (1 ms there, 10 ms of work, 1 ms back), think until 212 ms and send again.
    let sim = run_whole(world(
        250,
        Client::users("c", get_x(), 2, Dist::constant_ms(100)),
    ));
    check(
        &sim,
        "
        100.000ms 101.000ms c -> svc rest GET /x OK attempt 1
        100.000ms 101.000ms c -> svc rest GET /x OK attempt 1
        101.000ms 111.000ms svc -> svc work GET /x OK attempt 1
        101.000ms 111.000ms svc -> svc work GET /x OK attempt 1
        111.000ms 112.000ms svc -> c rest-reply GET /x 200 attempt 1
        111.000ms 112.000ms svc -> c rest-reply GET /x 200 attempt 1
        212.000ms 213.000ms c -> svc rest GET /x OK attempt 1
        212.000ms 213.000ms c -> svc rest GET /x OK attempt 1
        213.000ms 223.000ms svc -> svc work GET /x OK attempt 1
        213.000ms 223.000ms svc -> svc work GET /x OK attempt 1
        223.000ms 224.000ms svc -> c rest-reply GET /x 200 attempt 1
        223.000ms 224.000ms svc -> c rest-reply GET /x 200 attempt 1
        ",
    );
    let c = &sim.metrics().clients[0];
    assert_eq!((c.sent, c.completed, c.ok), (4, 4, 4));
    // At 250 ms both think (until 324 ms).
    assert_eq!(
        (
            users_now(&sim).users,
            users_now(&sim).thinking,
            users_now(&sim).waiting
        ),
        (2, 2, 0)
    );
    // Waiting: 2 users over [100, 112) and [212, 224): 48 user-ms of 250 ms.
    assert!((c.mean_waiting(sim.now()) - 48.0 / 250.0).abs() < 1e-12);
    assert!((c.mean_thinking(sim.now()) - (500.0 - 48.0) / 250.0).abs() < 1e-12);
    // Over time (1 ms points): `depth` is users waiting, `in_flight` users thinking.
    let series = c
        .users_series
        .as_ref()
        .expect("a client of users has a series");
    assert_eq!(series.interval, ms(1));
    let p = |t: usize| (series.points[t].depth, series.points[t].in_flight);
    assert_eq!(
        (p(50), p(105), p(150), p(220)),
        ((0, 2), (2, 0), (0, 2), (2, 0))
    );
    // A rate-driven client has neither.
    let open = run(world(10, Client::new("c", get_x(), 1.0)));
    assert_eq!(open.users(), vec![None]);
    assert!(open.metrics().clients[0].users_series.is_none());
}

#[test]
fn a_user_waits_for_the_final_answer_after_every_retry_and_timeout() {
    // The service takes 300 ms; the call gives up after 50 ms per attempt, retries once after
    // 20 ms, within a whole timeout of 200 ms. The user sends at 10 ms, its call ends at 130 ms
    // (attempt 2 timed out at 80 + 50), and only then does it think 10 ms: next send at 140 ms.
    let call = get_x()
        .timeout(ms(200))
        .attempt_timeout(ms(50))
        .retry(RetryPolicy::retries(1).backoff(ms(20)));
    let w = World::new()
        .duration(ms(145))
        .network(net1ms())
        .service(svc(4, 300))
        .client(Client::users("c", call, 1, Dist::constant_ms(10)));
    let sim = run(w);
    let sends: Vec<String> = lines_with(&sim, "c -> svc rest");
    assert_eq!(
        sends,
        vec![
            "10.000ms 11.000ms c -> svc rest GET /x OK attempt 1",
            "80.000ms 81.000ms c -> svc rest GET /x OK attempt 2",
            "140.000ms 141.000ms c -> svc rest GET /x OK attempt 1",
        ]
    );
    let c = &sim.metrics().clients[0];
    assert_eq!((c.sent, c.completed, c.timed_out, c.ok), (2, 1, 1, 0));
    assert_eq!(c.latency.max(), ms(120));
    let u = users_now(&sim);
    assert_eq!((u.thinking, u.waiting), (0, 1));
}

#[test]
fn users_begin_thinking_at_from_and_leave_at_until() {
    // Users from 1 s until 1.25 s, thinking 100 ms: sends at 1.1 s and 1.212 s; the answer at
    // 1.224 s would have the next send at 1.324 s, past `until`, so the user leaves then.
    let c = Client::users("c", get_x(), 1, Dist::constant_ms(100))
        .start(ms(1_000))
        .stop(ms(1_250));
    let sim = run_whole(world(2_000, c));
    assert_eq!(
        lines_with(&sim, "c -> svc rest"),
        vec![
            "1100.000ms 1101.000ms c -> svc rest GET /x OK attempt 1",
            "1212.000ms 1213.000ms c -> svc rest GET /x OK attempt 1",
        ]
    );
    let u = users_now(&sim);
    assert_eq!((u.users, u.thinking, u.waiting), (1, 0, 0));
    let m = &sim.metrics().clients[0];
    // Before `from` nobody thinks; after the last answer nobody either.
    assert!((m.mean_thinking(sim.now()) - 200.0 / 2_000.0).abs() < 1e-12);
    assert!((m.mean_waiting(sim.now()) - 24.0 / 2_000.0).abs() < 1e-12);
    // A think time ending exactly at `until` sends nothing: no request at or after it.
    let c = Client::users("c", get_x(), 1, Dist::constant_ms(100))
        .start(ms(1_000))
        .stop(ms(1_100));
    let sim = run_whole(world(2_000, c));
    assert_eq!(sim.metrics().clients[0].sent, 0);
    assert_eq!(sim.metrics().clients[0].mean_thinking(sim.now()), 0.0);
}

#[test]
fn a_client_sends_nothing_at_its_stop_time_or_at_a_rate_of_zero() {
    // `stop` is exclusive: a steady client starting at its stop time sends nothing, though its
    // first request would fall exactly on it; a steady 0/s ramping to 0/s sends nothing.
    let at_stop = Client::new("c", get_x(), 10.0).start(ms(100)).stop(ms(100));
    let zero = Client::new("c", get_x(), 0.0).ramp(0.0, ms(100));
    for client in [at_stop, zero] {
        let sim = run_whole(world(300, client));
        assert_eq!(sim.metrics().clients[0].sent, 0);
    }
}

#[test]
fn a_burst_of_a_rate_driven_client_adds_requests_not_users() {
    // A client with no users: its burst of 2 at 50 ms sends 2 requests, and nobody is counted
    // as a user waiting for an answer, then or after.
    let sim = run_whole(world(200, Client::new("c", get_x(), 0.0).burst(ms(50), 2)));
    let c = &sim.metrics().clients[0];
    assert_eq!((c.sent, c.ok), (2, 2));
    assert_eq!(c.users_waiting(), 0);
    assert_eq!(c.mean_waiting(sim.now()), 0.0);
}

#[test]
fn a_burst_adds_users_who_send_at_once_and_then_loop() {
    // One user thinking 100 ms, and a burst of 2 at 50 ms: the two new users send at 50 ms,
    // have their answers at 62 ms, think, and send again at 162 ms.
    let c = Client::users("c", get_x(), 1, Dist::constant_ms(100)).burst(ms(50), 2);
    let sim = run(world(170, c));
    assert_eq!(
        lines_with(&sim, "c -> svc rest"),
        vec![
            "50.000ms 51.000ms c -> svc rest GET /x OK attempt 1",
            "50.000ms 51.000ms c -> svc rest GET /x OK attempt 1",
            "100.000ms 101.000ms c -> svc rest GET /x OK attempt 1",
            "162.000ms 163.000ms c -> svc rest GET /x OK attempt 1",
            "162.000ms 163.000ms c -> svc rest GET /x OK attempt 1",
        ]
    );
    let u = users_now(&sim);
    assert_eq!((u.users, u.thinking, u.waiting), (3, 1, 2));
}

#[test]
fn a_constant_ramp_sends_request_k_when_the_integrated_rate_reaches_k() {
    // 10/s..30/s over 1 s: Λ(t) = 10t + 10t² for t ≤ 1 s, so request k is at
    // (√(100 + 40k) − 10) / 20 s; Λ(1 s) = 20, then 30/s: request k at 1 s + (k − 20)/30 s.
    let c = Client::new("c", get_x(), 10.0).ramp(30.0, ms(1_000));
    let sim = run(world(2_000, c));
    let sends = lines_with(&sim, "c -> svc rest");
    let at = |k: usize| sends[k].split("ms").next().expect("a time").to_string();
    assert_eq!(at(0), "0.000");
    assert_eq!(at(1), "91.608"); // (√140 − 10) / 20 = 0.0916079…
    assert_eq!(at(2), "170.820"); // (√180 − 10) / 20 = 0.1708203…
    assert_eq!(at(19), "966.288"); // (√860 − 10) / 20 = 0.9662878…
    assert_eq!(at(20), "1000.000");
    assert_eq!(at(21), "1033.333");
    // k = 0..=50 at or before 2 s (the run includes its last instant).
    assert_eq!(sim.metrics().clients[0].sent, 51);
}

#[test]
fn a_ramp_down_to_zero_stops_sending_when_it_ends() {
    // 20/s..0/s over 1 s: Λ(1 s) = 10, so requests k = 0..=10, the last at exactly 1 s.
    let c = Client::new("c", get_x(), 20.0).ramp(0.0, ms(1_000));
    let sim = run(world(5_000, c));
    let sends = lines_with(&sim, "c -> svc rest");
    assert_eq!(sends.len(), 11);
    assert!(sends[10].starts_with("1000.000ms"), "{}", sends[10]);
    // A ramp up from 0/s sends too (its first request at the start, as a steady rate does).
    let c = Client::new("c", get_x(), 0.0).ramp(20.0, ms(1_000));
    let sim = run(world(1_000, c));
    assert_eq!(sim.metrics().clients[0].sent, 11);
}

#[test]
fn a_poisson_ramp_has_the_integrated_rate_in_each_window() {
    // 0/s..1000/s over 10 s: Λ(5 s) = 1250 and Λ(10 s) − Λ(5 s) = 3750; then 1000/s steady,
    // so 2000 in [10 s, 12 s). Counts are Poisson: within 4 standard deviations.
    let c = Client::new("c", get_x(), 0.0)
        .ramp(1_000.0, SimTime::from_secs(10))
        .poisson();
    let w = World::new()
        .duration(SimTime::from_secs(12))
        .service(svc(100, 0))
        .client(c);
    for seed in [1, 2, 3] {
        let mut sim = Sim::new(w.clone(), seed).expect("valid");
        sim.run_to_end();
        let mut counts = [0u64; 3];
        for r in sim.trace().records().iter() {
            if r.kind == Kind::RestRequest {
                let t = r.send.as_secs_f64();
                counts[if t < 5.0 {
                    0
                } else if t < 10.0 {
                    1
                } else {
                    2
                }] += 1;
            }
        }
        for (got, want) in counts.iter().zip([1250.0, 3750.0, 2000.0]) {
            let sd = f64::sqrt(want);
            assert!(
                (*got as f64 - want).abs() < 4.0 * sd,
                "seed {seed}: {counts:?}"
            );
        }
        // Slow at first: the first quarter of the ramp holds 1/16 of its requests.
        let early = sim
            .trace()
            .records()
            .iter()
            .filter(|r| r.kind == Kind::RestRequest && r.send < ms(2_500))
            .count() as f64;
        assert!((early - 312.5).abs() < 4.0 * f64::sqrt(312.5), "{early}");
    }
}

#[test]
fn goodput_counts_successes_and_throughput_every_answer() {
    // 1 worker working 300 ms, backlog 1, calls with a 400 ms timeout: of 3 simultaneous
    // requests one runs, one waits in the backlog, one is refused with 503 at once.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(
            Service::new("svc")
                .backlog(1)
                .time(Dist::constant_ms(300))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(Client::new("c", get_x().timeout(ms(400)), 0.0).burst(SimTime::ZERO, 3));
    let sim = run_whole(w);
    let c = &sim.metrics().clients[0];
    // First: 200 at 302 ms. Second: waited 300 ms, answered at 602 ms > 400 ms: timed out.
    // Third: 503 at 2 ms.
    assert_eq!((c.completed, c.ok, c.timed_out, c.errors), (3, 1, 1, 2));
    assert!((c.throughput(sim.now()) - 3.0).abs() < 1e-12);
    assert!((c.goodput(sim.now()) - 1.0).abs() < 1e-12);
}

/// Exact mean-value analysis of a closed network of one FCFS queue (exponential service `s`)
/// and a delay station (think time `z`) with `n` users: (throughput, response time).
fn mva(n: u32, s: f64, z: f64) -> (f64, f64) {
    let (mut q, mut x, mut r) = (0.0, 0.0, 0.0);
    for k in 1..=n {
        r = s * (1.0 + q);
        x = f64::from(k) / (r + z);
        q = x * r;
    }
    (x, r)
}

#[test]
fn closed_loop_obeys_the_interactive_response_time_law_and_mean_value_analysis() {
    // 10 users thinking exp(1 s), one worker serving exp(100 ms), no network delay: the
    // machine-repairman model. Over 4000 s (about 34,000 requests):
    let (n, s, z) = (10u32, 0.1, 1.0);
    let w = World::new()
        .duration(SimTime::from_secs(4_000))
        .tracing(false)
        .service(Service::new("svc").time(Dist::exp_ms(100)).rest(
            HttpMethod::Get,
            "/x",
            Handler::new().work(),
        ))
        .client(Client::users("c", get_x(), n, Dist::exp_ms(1_000)));
    let mut sim = Sim::new(w, 7).expect("valid");
    sim.run_to_end();
    let now = sim.now();
    let c = &sim.metrics().clients[0];
    let x = c.throughput(now);
    let r = c.latency.mean_micros() / 1e6;
    // Every user is always thinking or waiting: exact.
    let users = c.mean_waiting(now) + c.mean_thinking(now);
    assert!((users - f64::from(n)).abs() < 1e-9, "{users}");
    // The interactive response time law, N = X·(R + Z), with Z the think time's mean.
    let law = x * (r + z);
    assert!(
        (law - f64::from(n)).abs() / f64::from(n) < 0.02,
        "X·(R+Z) = {law}"
    );
    // Little's law on each part: users waiting = X·R, thinking = X·Z.
    assert!((c.mean_waiting(now) - x * r).abs() / (x * r) < 0.02);
    // And the exact solution of the model.
    let (x_mva, r_mva) = mva(n, s, z);
    assert!((x - x_mva).abs() / x_mva < 0.02, "X {x} vs {x_mva}");
    assert!((r - r_mva).abs() / r_mva < 0.05, "R {r} vs {r_mva}");
    eprintln!("N={n} X={x:.4}/s (MVA {x_mva:.4}) R={r:.4}s (MVA {r_mva:.4}) X(R+Z)={law:.4}");
}
