//! Exact scenarios for scheduled faults: crash + restart (in-flight work lost, unacked messages
//! redelivered, messages to the crashed peer lost), partitions, latency spikes, error-rate
//! spikes and loss. Lines compare with runs of spaces collapsed.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn base() -> World {
    World::new()
        .duration(ms(400))
        .network(Network::latency(Dist::constant_ms(1)))
}

/// `c` calls `svc GET /x` 20 times a second (0, 50, 100, … ms); `svc` answers after `work`.
fn steady(work: u64) -> World {
    base()
        .service(
            Service::new("svc")
                .workers(10)
                .time(Dist::constant_ms(work))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 20.0).stop(ms(251)))
}

#[test]
fn a_vanished_host_loses_work_drops_messages_and_redelivers_unacked() {
    // `vanish`: the host is gone, so nothing answers (the old meaning of a crash).
    let w = base()
        .service(Service::new("producer").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q").visibility(ms(200)))
        .service(
            Service::new("worker")
                .time(Dist::constant_ms(100))
                .consume("q", 1, Handler::new().work().ack())
                .rest(HttpMethod::Get, "/ping", Handler::new())
                .rest(
                    HttpMethod::Get,
                    "/slow",
                    Handler::new().work_for(Dist::constant_ms(30)),
                ),
        )
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .client(
            Client::new(
                "caller",
                Call::rest("worker", HttpMethod::Get, "/slow").timeout(ms(50)),
                0.0,
            )
            .burst(ms(40), 1),
        )
        .client(
            Client::new(
                "pinger",
                Call::rest("worker", HttpMethod::Get, "/ping"),
                0.0,
            )
            .burst(ms(60), 1)
            .burst(ms(160), 1),
        )
        .fault(Fault::vanish("worker", ms(50), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(100));
    let worker = sim.node_id("worker").expect("worker");
    assert_eq!(sim.crashed(), vec![worker]);
    assert!(sim.services()[1].crashed);
    sim.run_to_end();
    assert!(sim.crashed().is_empty());
    assert_eq!(
        lines_with(&sim, "worker"),
        vec![
            "2.000ms 3.000ms q -> worker deliver q [M] OK attempt 1",
            "40.000ms 41.000ms caller -> worker rest GET /slow OK attempt 1",
            // The crash: both running work spans are lost.
            "50.000ms 50.000ms worker -> worker fault vanish worker OK attempt 1",
            "3.000ms 50.000ms worker -> worker work q [M] DROPPED(crashed) attempt 1",
            "41.000ms 50.000ms worker -> worker work GET /slow DROPPED(crashed) attempt 1",
            // Messages to the crashed peer are lost; the caller times out.
            "60.000ms 61.000ms pinger -> worker rest GET /ping DROPPED(crashed) attempt 1",
            "40.000ms 90.000ms worker -> caller timeout GET /slow TIMEOUT attempt 1",
            "50.000ms 150.000ms worker -> worker fault-end vanish worker OK attempt 1",
            "160.000ms 161.000ms pinger -> worker rest GET /ping OK attempt 1",
            "161.000ms 162.000ms worker -> pinger rest-reply GET /ping 200 attempt 1",
            // The unacked message comes back after its visibility timeout.
            "2.000ms 202.000ms q -> worker timeout q [M] REDELIVERED attempt 1",
            "202.000ms 203.000ms q -> worker deliver q [M] OK attempt 2",
            "203.000ms 303.000ms worker -> worker work q [M] OK attempt 2",
            "303.000ms 304.000ms worker -> q ack q [M] OK attempt 2",
        ]
    );
    assert_eq!(sim.metrics().services[1].lost_to_crash, 2);
    assert_eq!(sim.metrics().mailboxes[0].acked, 1);
}

#[test]
fn restarted_consumer_takes_up_its_queue_at_the_restart() {
    // The worker is down from 10 ms to 60 ms; a message enqueued at 22 ms waits in `q` (the
    // broker is up). It was never delivered, so no visibility timeout can bring it back (and the
    // timeout is 10 s, past the run's end anyway): only the restart itself hands it over, at 60 ms.
    let w = base()
        .service(Service::new("producer").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q").visibility(SimTime::from_secs(10)))
        .service(Service::new("worker").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(ms(20), 1),
        )
        .fault(Fault::crash("worker", ms(10), ms(50)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(59));
    assert_eq!(
        sim.metrics().mailboxes[0].deliveries,
        0,
        "nothing delivered while down"
    );
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "q [M]"),
        vec![
            "21.000ms 22.000ms producer -> q enqueue q [M] OK attempt 1",
            "22.000ms 23.000ms q -> producer ack q [M] OK attempt 1",
            "60.000ms 61.000ms q -> worker deliver q [M] OK attempt 1",
            "61.000ms 71.000ms worker -> worker work q [M] OK attempt 1",
            "71.000ms 72.000ms worker -> q ack q [M] OK attempt 1",
        ]
    );
    assert_eq!(sim.metrics().mailboxes[0].acked, 1);
}

#[test]
fn a_crashed_consumer_extends_no_lease_so_its_message_comes_back_at_the_visibility_timeout() {
    // `worker` extends the visibility of a message it still handles, up to 1 s. It crashes at
    // 20 ms, mid-handling: nothing handles the message any more, so nothing extends it, and
    // at its 50 ms timeout (52 ms) it is back in `q`; the restart at 70 ms hands it over again.
    let w = base()
        .service(Service::new("producer").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q").visibility(ms(50)))
        .service(
            Service::new("worker")
                .time(Dist::constant_ms(100))
                .consume("q", 1, Handler::new().work().ack())
                .max_extension(SimTime::from_secs(1)),
        )
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .fault(Fault::crash("worker", ms(20), ms(50)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "q [M]"),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 3.000ms q -> worker deliver q [M] OK attempt 1",
            "3.000ms 20.000ms worker -> worker work q [M] DROPPED(crashed) attempt 1",
            "2.000ms 52.000ms q -> worker timeout q [M] REDELIVERED attempt 1",
            "70.000ms 71.000ms q -> worker deliver q [M] OK attempt 2",
            "71.000ms 171.000ms worker -> worker work q [M] OK attempt 2",
            "171.000ms 172.000ms worker -> q ack q [M] OK attempt 2",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    // Both extensions are the second delivery's (at 120 and 170 ms), handled by a live worker.
    assert_eq!((m.extensions, m.deliveries, m.acked), (2, 2, 1));
}

#[test]
fn a_delivery_sent_before_a_crash_is_lost_though_it_lands_after_the_restart() {
    // A 10 ms network; `worker` is down from 22 ms to 25 ms. The message reaches `q` at 20 ms
    // and is sent to `worker` at once; it lands at 30 ms, after the restart, but was meant for
    // the worker's previous life, so it is dropped, and comes back only at its 100 ms
    // visibility timeout.
    let w = World::new()
        .duration(ms(400))
        .network(Network::latency(Dist::constant_ms(10)))
        .service(Service::new("producer").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q").visibility(ms(100)))
        .service(Service::new("worker").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .fault(Fault::crash("worker", ms(22), ms(3)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "q [M]"),
        vec![
            "10.000ms 20.000ms producer -> q enqueue q [M] OK attempt 1",
            "20.000ms 30.000ms q -> producer ack q [M] OK attempt 1",
            "20.000ms 30.000ms q -> worker deliver q [M] DROPPED(crashed) attempt 1",
            "20.000ms 120.000ms q -> worker timeout q [M] REDELIVERED attempt 1",
            "120.000ms 130.000ms q -> worker deliver q [M] OK attempt 2",
            "130.000ms 140.000ms worker -> worker work q [M] OK attempt 2",
            "140.000ms 150.000ms worker -> q ack q [M] OK attempt 2",
        ]
    );
}

#[test]
fn a_crash_keeps_the_answers_an_endpoint_stored_for_idempotency_keys() {
    // The first attempt times out at 20 ms, but its work ends at 31 ms and the answer is stored
    // under the call's key. `orders` is down from 40 to 50 ms; a store of keys outlives the
    // process (only a key still in progress is forgotten), so the retry at 70 ms gets the
    // stored 200 without doing the work again.
    let call = Call::rest("orders", HttpMethod::Post, "/orders")
        .attempt_timeout(ms(20))
        .idempotency_key()
        .retry(RetryPolicy::retries(1).backoff(ms(50)));
    let w = base()
        .service(
            Service::new("orders")
                .time(Dist::constant_ms(30))
                .rest(HttpMethod::Post, "/orders", Handler::new().work())
                .dedupe(),
        )
        .client(Client::new("shop", call, 0.0).burst(SimTime::ZERO, 1))
        .fault(Fault::crash("orders", ms(40), ms(10)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "POST /orders"),
        vec![
            "0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1",
            "0.000ms 20.000ms orders -> shop timeout POST /orders TIMEOUT attempt 1",
            "1.000ms 31.000ms orders -> orders work POST /orders OK attempt 1",
            "31.000ms 32.000ms orders -> shop rest-reply POST /orders 200 attempt 1 LATE",
            "70.000ms 71.000ms shop -> orders rest POST /orders OK attempt 2",
            "71.000ms 72.000ms orders -> shop rest-reply POST /orders 200 attempt 2",
        ]
    );
    let e = &sim.metrics().endpoints[0];
    assert_eq!((e.repeats, e.replayed), (0, 1));
}

#[test]
fn a_key_in_progress_when_its_service_crashes_is_forgotten_so_the_retry_is_served() {
    // `orders` crashes at 10 ms, in the middle of the first attempt's work, and is back at
    // 15 ms. The request was lost with the process, so its key is no longer in progress: the
    // retry is served (not answered 409 Conflict).
    let call = Call::rest("orders", HttpMethod::Post, "/orders")
        .idempotency_key()
        .retry(RetryPolicy::retries(1).backoff(ms(50)));
    let w = base()
        .service(
            Service::new("orders")
                .time(Dist::constant_ms(30))
                .rest(HttpMethod::Post, "/orders", Handler::new().work())
                .dedupe(),
        )
        .client(Client::new("shop", call, 0.0).burst(SimTime::ZERO, 1))
        .fault(Fault::crash("orders", ms(10), ms(5)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "POST /orders"),
        vec![
            "0.000ms 1.000ms shop -> orders rest POST /orders OK attempt 1",
            "1.000ms 10.000ms orders -> orders work POST /orders DROPPED(crashed) attempt 1",
            "10.000ms 11.000ms orders -> shop rest-reply POST /orders REJECTED(reset) attempt 1",
            "61.000ms 62.000ms shop -> orders rest POST /orders OK attempt 2",
            "62.000ms 92.000ms orders -> orders work POST /orders OK attempt 2",
            "92.000ms 93.000ms orders -> shop rest-reply POST /orders 200 attempt 2",
        ]
    );
}

#[test]
fn partition_holds_messages_until_tcp_retransmits_after_it_heals() {
    // Partition 100–200 ms. Messages sent into it are not lost: TCP retransmits after 200 ms,
    // 400 ms… (RTO doubling), so each gets through with the first retransmission after the
    // partition ends: sent at 100 → tries at 300 → arrives 301; at 111 → 311; at 150 → 350.
    let w = steady(60).fault(Fault::partition("c", "svc", ms(100), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(120));
    let (c, svc) = (
        sim.node_id("c").expect("c"),
        sim.node_id("svc").expect("svc"),
    );
    assert!(sim.is_partitioned(svc, c));
    assert_eq!(sim.partitions()[0].until, ms(200));
    sim.run_to_end();
    assert!(!sim.is_partitioned(c, svc));
    let hops: Vec<String> = lines_with(&sim, "rest");
    assert_eq!(
        hops,
        vec![
            "0.000ms 1.000ms c -> svc rest GET /x OK attempt 1",
            "50.000ms 51.000ms c -> svc rest GET /x OK attempt 1",
            "61.000ms 62.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "200.000ms 201.000ms c -> svc rest GET /x OK attempt 1",
            "250.000ms 251.000ms c -> svc rest GET /x OK attempt 1",
            "261.000ms 262.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "100.000ms 301.000ms c -> svc rest GET /x OK attempt 1",
            "111.000ms 312.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "311.000ms 312.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "150.000ms 351.000ms c -> svc rest GET /x OK attempt 1",
            "361.000ms 362.000ms svc -> c rest-reply GET /x 200 attempt 1",
        ]
    );
    assert_eq!(sim.metrics().totals.dropped, 0);
}

#[test]
fn a_partition_longer_than_tcp_keeps_trying_loses_the_message() {
    // Linux gives up after 15 retransmissions (about 924 s): a partition that lasts longer
    // loses the message for good.
    let w = World::new()
        .duration(SimTime::from_secs(2_000))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(Service::new("svc").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(10), 1))
        .fault(Fault::partition(
            "c",
            "svc",
            ms(0),
            SimTime::from_secs(1_000),
        ));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "rest"),
        vec!["10.000ms 11.000ms c -> svc rest GET /x DROPPED(partition) attempt 1"]
    );
}

#[test]
fn partition_holds_messages_until_the_first_retransmission_after_it_ends() {
    // Partition 0–610 ms (it holds before 610 ms, not at it). A request sent at 10 ms is lost,
    // and so is its retransmission at 210 ms (RTO 200 ms); the next waits twice as long (400 ms)
    // and goes at 610 ms, just as the partition ends: it gets through, arriving at 611. One sent
    // at 300 ms is retransmitted at 500 and 900 ms (200 ms, then 400 ms) and arrives at 901.
    let w = World::new()
        .duration(SimTime::from_secs(2))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(Service::new("svc").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(
            Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 0.0)
                .burst(ms(10), 1)
                .burst(ms(300), 1),
        )
        .fault(Fault::partition("c", "svc", ms(0), ms(610)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "rest"),
        vec![
            "10.000ms 611.000ms c -> svc rest GET /x OK attempt 1",
            "611.000ms 612.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "300.000ms 901.000ms c -> svc rest GET /x OK attempt 1",
            "901.000ms 902.000ms svc -> c rest-reply GET /x 200 attempt 1",
        ]
    );
}

#[test]
fn a_partition_cuts_only_the_links_between_its_two_sides() {
    // `c` and `svc` are cut apart from 0 to 300 ms; `d`, on neither side, calls `svc` at 10 ms
    // and both its request and the reply take the plain 1 ms, while `c`'s request waits for the
    // first retransmission after the partition (at 10 + 200 + 400 = 610 ms).
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(Service::new("svc").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(10), 1))
        .client(Client::new("d", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(10), 1))
        .fault(Fault::partition("c", "svc", ms(0), ms(300)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "rest"),
        vec![
            "10.000ms 11.000ms d -> svc rest GET /x OK attempt 1",
            "11.000ms 12.000ms svc -> d rest-reply GET /x 200 attempt 1",
            "10.000ms 611.000ms c -> svc rest GET /x OK attempt 1",
            "611.000ms 612.000ms svc -> c rest-reply GET /x 200 attempt 1",
        ]
    );
}

#[test]
fn latency_spike_adds_to_messages_sent_during_it() {
    let w = steady(0).fault(Fault::latency_spike(
        LinkSelector::All,
        ms(20),
        ms(100),
        ms(100),
    ));
    let sim = {
        let mut s = Sim::new(w, 1).expect("valid");
        s.run_to_end();
        s
    };
    assert_eq!(
        lines_with(&sim, "rest"),
        vec![
            "0.000ms 1.000ms c -> svc rest GET /x OK attempt 1",
            "1.000ms 2.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "50.000ms 51.000ms c -> svc rest GET /x OK attempt 1",
            "51.000ms 52.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "100.000ms 121.000ms c -> svc rest GET /x OK attempt 1",
            "121.000ms 142.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "150.000ms 171.000ms c -> svc rest GET /x OK attempt 1",
            "171.000ms 192.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "200.000ms 201.000ms c -> svc rest GET /x OK attempt 1",
            "201.000ms 202.000ms svc -> c rest-reply GET /x 200 attempt 1",
            "250.000ms 251.000ms c -> svc rest GET /x OK attempt 1",
            "251.000ms 252.000ms svc -> c rest-reply GET /x 200 attempt 1",
        ]
    );
}

#[test]
fn latency_spike_on_one_link_leaves_others_alone() {
    let w = steady(0)
        .client(Client::new("d", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(120), 1))
        .fault(Fault::latency_spike(
            LinkSelector::Between("svc".into(), "c".into()),
            ms(20),
            ms(100),
            ms(100),
        ));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "GET /x")
            .into_iter()
            .filter(|l| l.contains(" d ") || l.contains("-> d"))
            .collect::<Vec<_>>(),
        vec![
            "120.000ms 121.000ms d -> svc rest GET /x OK attempt 1",
            "121.000ms 122.000ms svc -> d rest-reply GET /x 200 attempt 1",
        ]
    );
}

#[test]
fn error_rate_spike_fails_requests_during_the_window() {
    let w = steady(0).fault(Fault::error_spike("svc", 1.0, ms(100), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let statuses: Vec<String> = lines_with(&sim, "rest-reply")
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} {}", f[0], f[8])
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            "1.000ms 200",
            "51.000ms 200",
            "101.000ms 500",
            "151.000ms 500",
            "201.000ms 200",
            "251.000ms 200",
        ]
    );
}

#[test]
fn an_error_spike_below_certainty_fails_each_outcome_by_chance() {
    // 100 requests, one every 10 ms from 0 ms; the spike (p = 0.5) starts at 200 ms. Each of the
    // 80 handled during it fails with probability one half, drawn when its outcome is decided
    // (seed 1: 42 fail); none of the 20 before it fails.
    let w = World::new()
        .duration(SimTime::from_secs(2))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(
            Service::new("svc")
                .workers(10)
                .rest(HttpMethod::Get, "/x", Handler::new()),
        )
        .client(
            Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 100.0)
                .stop(SimTime::from_secs(1)),
        )
        .fault(Fault::error_spike("svc", 0.5, ms(200), ms(1_000)));
    let sim = run(w);
    let outcomes = &sim.metrics().clients[0].outcomes;
    assert_eq!(
        (
            outcomes.get(&Status::Http(200)),
            outcomes.get(&Status::Http(500))
        ),
        (Some(&58), Some(&42))
    );
}

#[test]
fn loss_fault_on_a_link_drops_everything_sent_during_it() {
    let w = steady(0).fault(Fault::loss(
        LinkSelector::Between("c".into(), "svc".into()),
        1.0,
        ms(100),
        ms(100),
    ));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "DROPPED"),
        vec![
            "100.000ms 101.000ms c -> svc rest GET /x DROPPED(loss) attempt 1",
            "150.000ms 151.000ms c -> svc rest GET /x DROPPED(loss) attempt 1",
        ]
    );
}

#[test]
fn every_message_lost_on_the_way_or_at_a_vanished_host_counts_as_dropped() {
    // Two requests lost to the loss fault (100 and 150 ms), one to the vanished host (300 ms):
    // three dropped, and the other requests and every reply arrive.
    let w = steady(0)
        .fault(Fault::loss(
            LinkSelector::Between("c".into(), "svc".into()),
            1.0,
            ms(100),
            ms(100),
        ))
        .fault(Fault::vanish("svc", ms(290), ms(20)))
        .client(Client::new("d", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(300), 1));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "DROPPED"),
        vec![
            "100.000ms 101.000ms c -> svc rest GET /x DROPPED(loss) attempt 1",
            "150.000ms 151.000ms c -> svc rest GET /x DROPPED(loss) attempt 1",
            "300.000ms 301.000ms d -> svc rest GET /x DROPPED(crashed) attempt 1",
        ]
    );
    assert_eq!(sim.metrics().totals.dropped, 3);
}

#[test]
fn network_loss_shows_as_retransmission_delay_not_as_lost_requests() {
    // 10% loss on a TCP link: about 10% of hops take one retransmission timeout (200 ms) longer,
    // about 1% two (200 + 400 ms), and none is lost (RFC 6298; Linux's 200 ms minimum RTO).
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .network(Network::latency(Dist::constant_ms(1)).loss(0.1))
        .service(
            Service::new("svc")
                .workers(100)
                .rest(HttpMethod::Get, "/x", Handler::new()),
        )
        .client(Client::new(
            "c",
            Call::rest("svc", HttpMethod::Get, "/x"),
            2_000.0,
        ));
    let mut sim = Sim::new(w, 5).expect("valid");
    sim.run_to_end();
    let recs = sim.trace().records();
    let hops: Vec<SimTime> = recs
        .iter()
        .filter(|r| r.kind.is_hop() && !r.late)
        .map(|r| r.duration())
        .collect();
    let n = hops.len() as f64;
    let share = |d: u64| hops.iter().filter(|&&h| h == ms(d)).count() as f64 / n;
    // ~38 000 hops; sd of the first share ≈ 0.0015.
    assert!(
        (share(201) - 0.09).abs() < 0.006,
        "one retransmission: {}",
        share(201)
    );
    assert!((share(601) - 0.009).abs() < 0.003, "two: {}", share(601));
    assert_eq!(sim.metrics().totals.dropped, 0);
    assert!(!recs
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Dropped(_))));
}

#[test]
fn overlapping_crashes_restart_only_when_both_end() {
    let w = steady(0)
        .fault(Fault::crash("svc", ms(40), ms(100)))
        .fault(Fault::crash("svc", ms(90), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(160));
    assert_eq!(sim.crashed().len(), 1, "second crash still active");
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "refused"),
        // Refused while either crash lasts (40–190 ms); the process restarts only after both.
        vec![
            "50.000ms 51.000ms c -> svc rest GET /x REJECTED(refused) attempt 1",
            "51.000ms 52.000ms svc -> c rest-reply GET /x REJECTED(refused) attempt 1",
            "100.000ms 101.000ms c -> svc rest GET /x REJECTED(refused) attempt 1",
            "101.000ms 102.000ms svc -> c rest-reply GET /x REJECTED(refused) attempt 1",
            "150.000ms 151.000ms c -> svc rest GET /x REJECTED(refused) attempt 1",
            "151.000ms 152.000ms svc -> c rest-reply GET /x REJECTED(refused) attempt 1",
        ]
    );
}

#[test]
fn error_rate_spike_overrides_an_explicit_reply() {
    // The handler replies 201 itself; during the spike the service answers 500 instead.
    let w = base()
        .service(Service::new("svc").workers(10).rest(
            HttpMethod::Post,
            "/x",
            Handler::new().work().reply(Status::Http(201)),
        ))
        .client(Client::new("c", Call::rest("svc", HttpMethod::Post, "/x"), 20.0).stop(ms(251)))
        .fault(Fault::error_spike("svc", 1.0, ms(100), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let statuses: Vec<String> = lines_with(&sim, "rest-reply")
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} {}", f[0], f[8])
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            "1.000ms 201",
            "51.000ms 201",
            "101.000ms 500",
            "151.000ms 500",
            "201.000ms 201",
            "251.000ms 201",
        ]
    );
}

#[test]
fn error_rate_spike_leaves_a_queue_message_unacked() {
    // An injected error fails the consumer's handler; a queue consumer that fails does not
    // ack (SQS has no nack), so the message comes back when its visibility timeout ends and is
    // acked once the spike is over.
    let w = base()
        .service(Service::new("producer").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q").visibility(ms(50)).max_attempts(10))
        .service(Service::new("worker").consume("q", 1, Handler::new().ack()))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 10.0).stop(ms(1)),
        )
        .fault(Fault::error_spike("worker", 1.0, ms(0), ms(10)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let settles: Vec<String> = norm(&sim.format_trace())
        .into_iter()
        .filter(|l| l.contains(" ack ") || l.contains(" nack ") || l.contains(" timeout "))
        .collect();
    assert_eq!(
        settles,
        vec![
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 52.000ms q -> worker timeout q [M] REDELIVERED attempt 1",
            "53.000ms 54.000ms worker -> q ack q [M] OK attempt 2",
        ],
        "not acked during the spike; acked once it ends"
    );
    assert_eq!(sim.metrics().consumers[0].failed, 1);
}

#[test]
fn crashes_of_one_service_leave_another_services_backlog_alone() {
    // 200,000 requests wait in one slow service's backlog (and as many client calls wait for
    // them); then an idle service crashes 1,000 times. Each crash used to visit every task and
    // every call of the run (half a billion visits here: in the browser, one frozen frame); now
    // it visits only the crashed service's own tasks and the calls tasks own. What is checked
    // is the outcome; the cost is not timed here (a timed unit test would be flaky).
    let mut w = World::new()
        .duration(SimTime::from_secs(10))
        .service(
            Service::new("slow")
                .workers(1)
                .time(Dist::constant_ms(60_000))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .service(Service::new("idle"))
        .client(Client::new(
            "load",
            Call::rest("slow", HttpMethod::Get, "/x"),
            100_000.0,
        ));
    for i in 0..1_000 {
        w = w.fault(Fault::crash("idle", ms(2_500 + i), ms(1)));
    }
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(2_400));
    let waiting = |sim: &Sim| sim.services().iter().map(|s| s.backlog).max().unwrap_or(0);
    assert!(waiting(&sim) >= 200_000, "{} waiting", waiting(&sim));
    let records = sim.trace().len();
    sim.run_until(ms(3_501));
    let crashes = sim
        .trace()
        .records()
        .range(records..)
        .iter()
        .filter(|r| r.kind == Kind::FaultStart)
        .count();
    assert_eq!(crashes, 1_000);
    assert!(waiting(&sim) >= 200_000, "the slow service lost nothing");
}

#[test]
fn a_crashed_process_refuses_new_requests_and_resets_those_in_progress() {
    // A crash stops the process on a live host (the kernel answers for it): the request being
    // handled fails with a reset when the process dies, and a new one is refused at once. The
    // callers learn within a round trip, not at their timeouts (here: none at all).
    let w = base()
        .service(Service::new("svc").workers(2).rest(
            HttpMethod::Get,
            "/x",
            Handler::new().work_for(Dist::constant_ms(30)),
        ))
        .client(
            Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 0.0)
                .burst(ms(40), 1)
                .burst(ms(60), 1),
        )
        .fault(Fault::crash("svc", ms(50), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let of_c: Vec<String> = lines_with(&sim, "")
        .into_iter()
        .filter(|l| l.contains(" c -> ") || l.contains("-> c "))
        .collect();
    assert_eq!(
        of_c,
        vec![
            "40.000ms 41.000ms c -> svc rest GET /x OK attempt 1",
            "50.000ms 51.000ms svc -> c rest-reply GET /x REJECTED(reset) attempt 1",
            "60.000ms 61.000ms c -> svc rest GET /x REJECTED(refused) attempt 1",
            "61.000ms 62.000ms svc -> c rest-reply GET /x REJECTED(refused) attempt 1",
        ]
    );
    let c = &sim.metrics().clients[0];
    // No status was received: two connection errors, and no call is left waiting.
    assert_eq!((c.completed, c.connection_errors), (2, 2));
    assert!(c.outcomes.is_empty());
    assert!(sim.calls_waiting().iter().all(|&n| n == 0));
}

#[test]
fn a_connection_error_is_one_of_the_clients_errors() {
    // `svc` is down for the whole run: every request is refused, with no status, and each is
    // a connection error and an error of the client's.
    let sim = run(steady(10).fault(Fault::crash("svc", SimTime::ZERO, ms(1_000))));
    let c = &sim.metrics().clients[0];
    assert_eq!((c.completed, c.ok), (c.sent, 0));
    assert_eq!((c.connection_errors, c.errors), (c.sent, c.sent));
    assert!(c.sent > 1);
}

#[test]
fn a_crash_frees_the_calls_its_tasks_were_waiting_for_and_no_others() {
    // `a` and `b` each call `db` (100 ms of work, no timeout) for a client request at 0 ms; `a`
    // crashes at 50 ms (down until 150 ms). Its handler's call to `db` is let go at the crash,
    // while `b`'s goes on waiting and is answered at 103 ms; `db`'s answer to `a` is lost with
    // `a`, so nothing else would ever end that call.
    let w = base()
        .service(Service::new("a").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().call(Call::rest("db", HttpMethod::Get, "/rows")),
        ))
        .service(Service::new("b").rest(
            HttpMethod::Get,
            "/x",
            Handler::new().call(Call::rest("db", HttpMethod::Get, "/rows")),
        ))
        .service(
            Service::new("db")
                .workers(2)
                .time(Dist::constant_ms(100))
                .rest(HttpMethod::Get, "/rows", Handler::new().work()),
        )
        .client(Client::new("ca", Call::rest("a", HttpMethod::Get, "/x"), 0.0).burst(ms(0), 1))
        .client(Client::new("cb", Call::rest("b", HttpMethod::Get, "/x"), 0.0).burst(ms(0), 1))
        .fault(Fault::crash("a", ms(50), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(60));
    let waiting: Vec<(String, u64)> = sim
        .calls_waiting()
        .into_iter()
        .enumerate()
        .map(|(i, n)| (sim.call_site_label(i), n))
        .collect();
    assert_eq!(
        waiting,
        vec![
            ("a -> db GET /rows".to_string(), 0),
            ("b -> db GET /rows".to_string(), 1),
            ("ca -> a GET /x".to_string(), 0),
            ("cb -> b GET /x".to_string(), 1),
        ]
    );
    sim.run_to_end();
    assert_eq!(
        lines_with(&sim, "rest-reply GET /rows"),
        vec![
            "102.000ms 103.000ms db -> a rest-reply GET /rows DROPPED(crashed) attempt 1",
            "102.000ms 103.000ms db -> b rest-reply GET /rows 200 attempt 1",
        ]
    );
    assert_eq!(sim.calls_waiting(), vec![0, 0, 0, 0]);
}

#[test]
fn a_refused_call_is_retried_even_for_a_post_and_a_handler_answers_502() {
    // Refused means the request never reached a handler, so even a POST may be sent again;
    // a REST handler whose call failed on a broken connection answers 502 Bad Gateway.
    let w = base()
        .service(
            Service::new("api").rest(
                HttpMethod::Post,
                "/order",
                Handler::new().call(
                    Call::rest("db", HttpMethod::Post, "/rows")
                        .retry(RetryPolicy::retries(1).backoff(ms(100))),
                ),
            ),
        )
        .service(Service::new("db").rest(HttpMethod::Post, "/rows", Handler::new()))
        .client(
            Client::new("c", Call::rest("api", HttpMethod::Post, "/order"), 0.0)
                .burst(ms(10), 1)
                .burst(ms(200), 1),
        )
        .fault(Fault::crash("db", ms(0), ms(50)))
        .fault(Fault::crash("db", ms(200), ms(500)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let db: Vec<String> = lines_with(&sim, "-> db ")
        .into_iter()
        .filter(|l| l.contains(" rest "))
        .collect();
    assert_eq!(
        db,
        vec![
            // Refused at 12 ms; the retry at 113 ms finds db back.
            "11.000ms 12.000ms api -> db rest POST /rows REJECTED(refused) attempt 1",
            "113.000ms 114.000ms api -> db rest POST /rows OK attempt 2",
            // Down for the whole second call: refused twice, then the handler gives up.
            "201.000ms 202.000ms api -> db rest POST /rows REJECTED(refused) attempt 1",
            "303.000ms 304.000ms api -> db rest POST /rows REJECTED(refused) attempt 2",
        ]
    );
    let c = &sim.metrics().clients[0];
    assert_eq!(c.outcomes.get(&Status::Http(200)), Some(&1));
    assert_eq!(c.outcomes.get(&Status::Http(502)), Some(&1));
}

#[test]
fn a_reset_get_is_retried_and_a_reset_post_is_not() {
    // `svc` crashes at 20 ms while handling a GET and a POST (30 ms of work each): both callers
    // see a reset. The server may have acted, so, as after a timeout, only the GET is sent again
    // (after its 100 ms backoff, once `svc` is back); the POST fails with the reset.
    let call =
        |m: HttpMethod| Call::rest("svc", m, "/x").retry(RetryPolicy::retries(1).backoff(ms(100)));
    let w = base()
        .service(
            Service::new("svc")
                .workers(2)
                .rest(
                    HttpMethod::Get,
                    "/x",
                    Handler::new().work_for(Dist::constant_ms(30)),
                )
                .rest(
                    HttpMethod::Post,
                    "/x",
                    Handler::new().work_for(Dist::constant_ms(30)),
                ),
        )
        .client(Client::new("g", call(HttpMethod::Get), 0.0).burst(ms(0), 1))
        .client(Client::new("p", call(HttpMethod::Post), 0.0).burst(ms(0), 1))
        .fault(Fault::crash("svc", ms(20), ms(30)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "rest"),
        vec![
            "0.000ms 1.000ms g -> svc rest GET /x OK attempt 1",
            "0.000ms 1.000ms p -> svc rest POST /x OK attempt 1",
            "20.000ms 21.000ms svc -> g rest-reply GET /x REJECTED(reset) attempt 1",
            "20.000ms 21.000ms svc -> p rest-reply POST /x REJECTED(reset) attempt 1",
            "121.000ms 122.000ms g -> svc rest GET /x OK attempt 2",
            "152.000ms 153.000ms svc -> g rest-reply GET /x 200 attempt 2",
        ]
    );
}

#[test]
fn a_call_with_no_timeout_to_a_vanished_host_is_reported_as_still_waiting() {
    // Without a timeout nothing ends a call whose request was lost: at the end of the run it is
    // reported as still waiting rather than silently forgotten.
    let w = base()
        .service(Service::new("svc").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(Client::new("c", Call::rest("svc", HttpMethod::Get, "/x"), 0.0).burst(ms(60), 1))
        .fault(Fault::vanish("svc", ms(50), ms(100)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    assert_eq!(sim.calls_waiting(), vec![1]);
    assert_eq!(sim.metrics().clients[0].completed, 0);
}
