//! Replicas behind a load balancer: each replica is its own node (`s#1`, `s#2`, …) with its
//! own workers and faults; each attempt of a call to the service goes to the replica its
//! balancer picks (round-robin, random, fewest in flight, two choices); outlier ejection takes
//! a replica that fails in a row out of rotation for a growing time, within a cap, and
//! Envoy's panic threshold spreads over all replicas when fewer than half are left.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

fn replicated(n: u32, lb: Balancer) -> Service {
    Service::new("s")
        .replicas(n)
        .balancer(lb)
        .workers(4)
        .time(Dist::constant_ms(10))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
}

fn get() -> Call {
    Call::rest("s", HttpMethod::Get, "/x")
}

/// How many attempts the balancer sent to each of `s`'s replicas.
fn requests_per_replica(sim: &Sim) -> Vec<u64> {
    sim.metrics().balancers[0].sent.clone()
}

/// Eject and return records as `time kind node`.
fn ejections(sim: &Sim) -> Vec<String> {
    sim.trace()
        .records()
        .iter()
        .filter(|r| matches!(r.kind, Kind::Eject | Kind::Return))
        .map(|r| {
            format!(
                "{} {} {} since {}",
                r.recv,
                r.kind.as_str(),
                sim.node_name(r.from),
                r.send
            )
        })
        .collect()
}

#[test]
fn replicas_are_nodes_named_after_their_service() {
    let sim = Sim::new(World::new().service(replicated(3, Balancer::RoundRobin)), 1).unwrap();
    let names: Vec<&str> = sim.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["s#1", "s#2", "s#3"]);
    // One replica keeps the service's own name: nothing changes for a service that is not
    // replicated.
    let sim = Sim::new(World::new().service(replicated(1, Balancer::RoundRobin)), 1).unwrap();
    assert_eq!(sim.nodes()[0].name, "s");
    assert!(sim.balancers().is_empty());
}

#[test]
fn round_robin_sends_each_attempt_to_the_next_replica() {
    let w = World::new()
        .duration(ms(100))
        .network(net1ms())
        .service(replicated(3, Balancer::RoundRobin))
        .client(Client::new("c", get(), 0.0).burst(SimTime::ZERO, 4));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> s#1 rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s#2 rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s#3 rest GET /x OK attempt 1
        0.000ms 1.000ms c -> s#1 rest GET /x OK attempt 1
        1.000ms 11.000ms s#1 -> s#1 work GET /x OK attempt 1
        1.000ms 11.000ms s#2 -> s#2 work GET /x OK attempt 1
        1.000ms 11.000ms s#3 -> s#3 work GET /x OK attempt 1
        1.000ms 11.000ms s#1 -> s#1 work GET /x OK attempt 1
        11.000ms 12.000ms s#1 -> c rest-reply GET /x 200 attempt 1
        11.000ms 12.000ms s#2 -> c rest-reply GET /x 200 attempt 1
        11.000ms 12.000ms s#3 -> c rest-reply GET /x 200 attempt 1
        11.000ms 12.000ms s#1 -> c rest-reply GET /x 200 attempt 1
        ",
    );
    assert_eq!(sim.metrics().balancers[0].sent, [2, 1, 1]);
}

#[test]
fn a_retry_after_a_refused_connection_goes_to_the_next_replica() {
    // s#1 is crashed: the first attempt is refused, the retry (picked anew, after the 100 ms
    // backoff) reaches s#2.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(replicated(2, Balancer::RoundRobin))
        .client(Client::new("c", get().retry(RetryPolicy::retries(1)), 0.0).burst(ms(1), 1))
        .fault(Fault::crash("s#1", SimTime::ZERO, ms(500)));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 0.000ms s#1 -> s#1 fault crash s#1 OK attempt 1
        1.000ms 2.000ms c -> s#1 rest GET /x REJECTED(refused) attempt 1
        2.000ms 3.000ms s#1 -> c rest-reply GET /x REJECTED(refused) attempt 1
        103.000ms 104.000ms c -> s#2 rest GET /x OK attempt 2
        104.000ms 114.000ms s#2 -> s#2 work GET /x OK attempt 2
        114.000ms 115.000ms s#2 -> c rest-reply GET /x 200 attempt 2
        0.000ms 500.000ms s#1 -> s#1 fault-end crash s#1 OK attempt 1
        ",
    );
}

#[test]
fn a_fault_on_the_service_hits_every_replica_and_one_on_a_replica_only_it() {
    let faults = |target: &str| {
        let w = World::new()
            .duration(ms(100))
            .service(replicated(3, Balancer::RoundRobin))
            .fault(Fault::crash(target, ms(10), ms(20)));
        lines_with(&run(w), "fault ")
    };
    assert_eq!(
        faults("s"),
        [
            "10.000ms 10.000ms s#1 -> s#1 fault crash s#1 OK attempt 1",
            "10.000ms 10.000ms s#2 -> s#2 fault crash s#2 OK attempt 1",
            "10.000ms 10.000ms s#3 -> s#3 fault crash s#3 OK attempt 1",
        ]
    );
    assert_eq!(
        faults("s#2"),
        ["10.000ms 10.000ms s#2 -> s#2 fault crash s#2 OK attempt 1"]
    );
}

#[test]
fn an_attempt_timeout_names_the_replica_the_attempt_went_to() {
    let w = World::new()
        .duration(ms(100))
        .network(net1ms())
        .service(replicated(2, Balancer::RoundRobin))
        .client(Client::new("c", get().timeout(ms(5)), 0.0).burst(SimTime::ZERO, 2));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, " timeout "),
        [
            "0.000ms 5.000ms s#1 -> c timeout GET /x TIMEOUT attempt 1",
            "0.000ms 5.000ms s#2 -> c timeout GET /x TIMEOUT attempt 1",
        ]
    );
}

#[test]
fn least_requests_prefers_the_replica_with_fewest_in_flight() {
    // s#1 sits behind a 40 ms link, so its requests stay in flight longer: fewest-in-flight
    // sends it far fewer of a steady stream than round-robin's third.
    let w = |lb| {
        World::new()
            .duration(SimTime::from_secs(2))
            .network(net1ms())
            .link(Link::between("c", "s#1").latency(Dist::constant_ms(40)))
            .service(replicated(3, lb))
            .client(Client::new("c", get(), 300.0))
    };
    let rr = requests_per_replica(&run(w(Balancer::RoundRobin)));
    assert_eq!(rr, [201, 200, 200]);
    let least = requests_per_replica(&run(w(Balancer::LeastRequests)));
    assert_eq!(least.iter().sum::<u64>(), 601);
    assert!(least[0] * 3 < least[1], "{least:?}");
    assert!(least[0] * 3 < least[2], "{least:?}");
    let p2c = requests_per_replica(&run(w(Balancer::PowerOfTwo)));
    assert!(p2c[0] * 2 < p2c[1] && p2c[0] * 2 < p2c[2], "{p2c:?}");
    // Random ignores load: roughly a third each.
    let random = requests_per_replica(&run(w(Balancer::Random)));
    assert!(
        random.iter().all(|&n| (150..=250).contains(&n)),
        "{random:?}"
    );
}

/// Three replicas under least-requests; s#2's process is down from 100 ms on, so it refuses
/// every connection at once (it answers fastest, so it always has the fewest in flight).
fn sinkhole(outlier: Option<OutlierPolicy>) -> Sim {
    let mut s = replicated(3, Balancer::LeastRequests);
    s.outlier = outlier;
    let w = World::new()
        .duration(SimTime::from_secs(2))
        .network(net1ms())
        .service(s)
        .client(Client::new("c", get(), 300.0))
        .fault(Fault::crash("s#2", ms(100), SimTime::from_secs(10)));
    run(w)
}

#[test]
fn least_requests_sinks_traffic_into_a_replica_that_fails_fast() {
    let sim = sinkhole(None);
    let n = requests_per_replica(&sim);
    // The failing replica takes most of the load once it fails: the sinkhole.
    assert!(n[1] > n[0] + n[2], "{n:?}");
    assert!(ejections(&sim).is_empty());
}

#[test]
fn outlier_ejection_takes_the_failing_replica_out_for_longer_each_time() {
    let sim = sinkhole(Some(OutlierPolicy {
        consecutive: 5,
        base: ms(200),
        max_percent: 0.5,
    }));
    let n = requests_per_replica(&sim);
    assert!(n[1] * 4 < n[0] + n[2], "{n:?}");
    let e = ejections(&sim);
    // Ejected 200 ms, then 400 ms, then 600 ms: each return is followed by five more errors.
    assert!(e.len() >= 5, "{e:?}");
    let times: Vec<(String, SimTime, SimTime)> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| matches!(r.kind, Kind::Eject | Kind::Return))
        .map(|r| (r.kind.as_str().to_string(), r.send, r.recv))
        .collect();
    assert!(times.iter().all(|t| t.0 != "eject" || t.1 == t.2));
    let spans: Vec<SimTime> = times
        .iter()
        .filter(|t| t.0 == "return")
        .map(|t| t.2 - t.1)
        .collect();
    assert_eq!(spans[..2], [ms(200), ms(400)], "{e:?}");
    assert!(e.iter().all(|l| l.contains(" s#2 ")), "{e:?}");
    assert_eq!(
        sim.metrics().balancers[0].ejections,
        [0, (e.len() as u64).div_ceil(2), 0]
    );
}

#[test]
fn at_most_the_capped_share_of_replicas_is_ejected_but_always_one() {
    // Every replica fails. With a 10% cap one of three may be out (the first always may);
    // with 100%, more go, until fewer than half are left and the panic threshold makes the
    // balancer spread over all of them again.
    let most_out = |max_percent: f64| -> u32 {
        let mut s = replicated(3, Balancer::RoundRobin);
        s.outlier = Some(OutlierPolicy {
            consecutive: 2,
            base: SimTime::from_secs(10),
            max_percent,
        });
        let w = World::new()
            .duration(SimTime::from_secs(1))
            .network(net1ms())
            .service(s)
            .client(Client::new("c", get(), 100.0))
            .fault(Fault::error_spike(
                "s",
                1.0,
                SimTime::ZERO,
                SimTime::from_secs(10),
            ));
        let mut sim = Sim::new(w, 1).unwrap();
        let mut most = 0;
        while sim.step().is_some() {
            let out = sim.balancers()[0]
                .replicas
                .iter()
                .filter(|r| r.ejected)
                .count() as u32;
            most = most.max(out);
        }
        most
    };
    assert_eq!(most_out(0.1), 1);
    assert_eq!(most_out(0.67), 2);
    assert_eq!(most_out(1.0), 3);
}

#[test]
fn with_fewer_than_half_in_rotation_the_balancer_uses_every_replica() {
    // Two of three replicas ejected for good: the panic threshold keeps all three in use.
    let mut s = replicated(3, Balancer::RoundRobin);
    s.outlier = Some(OutlierPolicy {
        consecutive: 1,
        base: SimTime::from_secs(100),
        max_percent: 1.0,
    });
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(s)
        .client(Client::new("c", get(), 90.0))
        .fault(Fault::error_spike("s#1", 1.0, SimTime::ZERO, ms(50)))
        .fault(Fault::error_spike("s#2", 1.0, SimTime::ZERO, ms(50)));
    let sim = run(w);
    let e = ejections(&sim);
    assert_eq!(e.len(), 2, "{e:?}");
    let n = requests_per_replica(&sim);
    assert!(n.iter().all(|&k| k >= 25), "{n:?}");
}

#[test]
fn requests_in_flight_are_given_back_however_attempts_end() {
    // Timeouts, late answers, retries, refused connections and a caller that crashes with
    // calls out: once everything is over, no replica has anything in flight.
    let w = World::new()
        .duration(SimTime::from_secs(3))
        .network(Network::latency(Dist::uniform_ms(1, 30)))
        .service(Service::new("front").workers(8).rest(
            HttpMethod::Get,
            "/f",
            Handler::new().call(get().timeout(ms(20)).retry(RetryPolicy::retries(3))),
        ))
        .service(
            Service::new("s")
                .replicas(3)
                .balancer(Balancer::PowerOfTwo)
                .workers(2)
                .time(Dist::exp_ms(15))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(Client::new("c", Call::rest("front", HttpMethod::Get, "/f"), 80.0).stop(ms(1500)))
        .fault(Fault::crash("front", ms(500), ms(100)))
        .fault(Fault::crash("s#3", ms(800), ms(300)));
    let sim = run(w);
    assert!(sim.metrics().balancers[0].sent.iter().sum::<u64>() > 100);
    for r in &sim.balancers()[0].replicas {
        assert_eq!(r.active, 0, "{:?}", sim.balancers());
    }
}

#[test]
fn a_call_names_the_service_not_one_replica() {
    let w = World::new()
        .service(replicated(2, Balancer::RoundRobin))
        .client(Client::new(
            "c",
            Call::rest("s#1", HttpMethod::Get, "/x"),
            1.0,
        ));
    let err = Sim::new(w, 1).err().expect("refused");
    assert!(err.to_string().contains("not one replica"), "{err}");
}

#[test]
fn bad_replica_settings_are_world_errors() {
    let bad = |s: Service| {
        Sim::new(World::new().service(s), 1)
            .err()
            .map(|e| e.to_string())
    };
    assert!(bad(replicated(0, Balancer::RoundRobin))
        .unwrap()
        .contains("replicas"));
    assert!(bad(replicated(MAX_REPLICAS + 1, Balancer::RoundRobin))
        .unwrap()
        .contains("replicas"));
    let mut s = replicated(2, Balancer::RoundRobin);
    s.outlier = Some(OutlierPolicy {
        consecutive: 0,
        ..OutlierPolicy::default()
    });
    assert!(bad(s).unwrap().contains("at least 1 error"));
    let mut s = replicated(2, Balancer::RoundRobin);
    s.outlier = Some(OutlierPolicy {
        max_percent: 0.0,
        ..OutlierPolicy::default()
    });
    assert!(bad(s).is_some());
    // A replicated service's name is taken, and so are its replicas' names.
    let w = World::new()
        .service(replicated(2, Balancer::RoundRobin))
        .queue(Queue::new("s#2"));
    assert!(Sim::new(w, 1).is_err());
    let w = World::new()
        .service(replicated(2, Balancer::RoundRobin))
        .queue(Queue::new("s"));
    assert!(Sim::new(w, 1).is_err());
}

#[test]
fn links_and_partitions_to_a_replicated_service_cover_every_replica() {
    let w = World::new()
        .duration(ms(100))
        .network(net1ms())
        .link(Link::between("c", "s").latency(Dist::constant_ms(7)))
        .service(replicated(2, Balancer::RoundRobin))
        .client(Client::new("c", get(), 0.0).burst(SimTime::ZERO, 2));
    let sim = run(w);
    let hops = lines_with(&sim, " rest GET");
    assert_eq!(
        hops,
        [
            "0.000ms 7.000ms c -> s#1 rest GET /x OK attempt 1",
            "0.000ms 7.000ms c -> s#2 rest GET /x OK attempt 1",
        ]
    );
    let w = World::new()
        .duration(ms(100))
        .network(net1ms())
        .service(replicated(2, Balancer::RoundRobin))
        .client(Client::new("c", get().timeout(ms(50)), 0.0).burst(ms(1), 2))
        .fault(Fault::partition("c", "s", SimTime::ZERO, ms(100)));
    // Neither request gets through (both are held until the partition ends, after their
    // deadline): no replica works, both attempts time out.
    let sim = run(w);
    assert!(
        lines_with(&sim, " work ").is_empty(),
        "{}",
        sim.format_trace()
    );
    assert_eq!(
        lines_with(&sim, " timeout ").len(),
        2,
        "{}",
        sim.format_trace()
    );
}
