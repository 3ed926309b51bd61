//! The engine's public surface: world validation errors (never panics), the step / run_until /
//! run_events lifecycle and stop reasons, live views for the UI (in-flight messages, mailbox
//! depths, services), record size and text form, metrics series, tracing off, and a property
//! test that arbitrary small worlds neither panic nor lose determinism.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn ok_world() -> World {
    World::new()
        .duration(SimTime::from_secs(1))
        .network(Network::latency(Dist::constant_ms(10)))
        .service(Service::new("s").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(
            Client::new("c", Call::rest("s", HttpMethod::Get, "/x"), 0.0).burst(SimTime::ZERO, 1),
        )
}

fn err(w: World) -> WorldError {
    match Sim::new(w, 1) {
        Ok(_) => panic!("expected a world error"),
        Err(e) => e,
    }
}

#[test]
fn record_is_at_most_64_bytes() {
    assert_eq!(std::mem::size_of::<Record>(), 56);
}

#[test]
fn unknown_references_are_clear_errors() {
    let e = err(World::new().client(Client::new(
        "c",
        Call::rest("nope", HttpMethod::Get, "/"),
        1.0,
    )));
    assert_eq!(e.to_string(), "client c: unknown service `nope`");

    let e = err(ok_world().client(Client::new(
        "d",
        Call::rest("s", HttpMethod::Post, "/x"),
        1.0,
    )));
    assert_eq!(e.to_string(), "client d: service `s` has no `POST /x`");

    let e = err(ok_world().service(Service::new("p").rpc("Op", Handler::new().enqueue("q", "M"))));
    assert_eq!(e.to_string(), "service p, Op, step 1: unknown queue `q`");

    let e = err(ok_world().service(Service::new("p").rpc("Op", Handler::new().publish("t", "M"))));
    assert!(matches!(e, WorldError::UnknownTopic { .. }), "{e}");

    let e = err(ok_world()
        .topic(Topic::new("t"))
        .service(Service::new("p").subscribe("t", "missing", 1, Handler::new())));
    assert_eq!(
        e.to_string(),
        "service p, subscriber of t: topic `t` has no subscription `missing`"
    );

    let e = err(ok_world().queue(Queue::new("q").dlq("nowhere")));
    assert_eq!(e.to_string(), "queue q: unknown queue `nowhere`");

    let e = err(ok_world().link(Link::between("s", "ghost")));
    assert_eq!(e.to_string(), "link s <-> ghost: unknown node `ghost`");

    let e = err(ok_world().fault(Fault::crash("ghost", ms(1), ms(1))));
    assert_eq!(e.to_string(), "fault 1: unknown service `ghost`");

    let e = err(ok_world().fault(Fault::partition("s", "ghost", ms(1), ms(1))));
    assert!(matches!(e, WorldError::UnknownNode { .. }));
}

#[test]
fn bad_parameters_are_clear_errors() {
    let e = err(ok_world()
        .service(Service::new("dup"))
        .queue(Queue::new("dup")));
    assert_eq!(e, WorldError::DuplicateName { name: "dup".into() });

    let e = err(ok_world().service(Service::new("w").workers(0)));
    assert_eq!(e.to_string(), "service w: workers must be at least 1");

    let e = err(ok_world().service(Service::new("p").rpc("Op", Handler::new().fail(1.5))));
    assert!(e.to_string().contains("between 0 and 1"), "{e}");

    let e = err(ok_world().service(Service::new("p").rpc("Op", Handler::new().ack())));
    assert!(matches!(e, WorldError::AckOutsideConsumer { .. }));

    let e = err(ok_world().service(Service::new("p").time(Dist::uniform_ms(5, 1))));
    assert!(e.to_string().contains("hi < lo"), "{e}");

    let e = err(
        ok_world().service(Service::new("p").rpc("Op", Handler::new().reply(Status::Http(42))))
    );
    assert!(e.to_string().contains("outside 100..=599"));

    let e = err(ok_world().network(Network::latency(Dist::ZERO).loss(f64::NAN)));
    assert!(e.to_string().contains("loss"));

    let e = err(ok_world().client(Client::new(
        "r",
        Call::rest("s", HttpMethod::Get, "/x"),
        f64::INFINITY,
    )));
    assert!(e.to_string().contains("rate"));

    let e = err(ok_world().service(
        Service::new("s2")
            .rest(HttpMethod::Get, "/a", Handler::new())
            .rest(HttpMethod::Get, "/a", Handler::new()),
    ));
    assert!(matches!(e, WorldError::DuplicateEndpoint { .. }));

    let e = err(ok_world().service(Service::new("")));
    assert_eq!(e, WorldError::EmptyName { what: "service" });

    let e = err(ok_world()
        .client(Client::new("r", Call::rest("s", HttpMethod::Get, "/x"), 1.0).burst(ms(1), 1))
        .client(Client::new(
            "r2",
            Call::rest("s", HttpMethod::Get, "/x").retry(RetryPolicy::retries(1).jitter(2.0)),
            1.0,
        )));
    assert!(e.to_string().contains("jitter"));
    assert!(ok_world().validate().is_ok());
}

#[test]
fn step_lifecycle_and_stop_reasons() {
    let mut sim = Sim::new(ok_world(), 1).expect("valid");
    assert_eq!(sim.now(), SimTime::ZERO);
    let first = sim.step().expect("burst event");
    assert_eq!(first.event, EventKind::Burst);
    assert_eq!(first.records, 0..0, "a request is recorded when it arrives");
    let second = sim.step().expect("arrival");
    assert_eq!(second.event, EventKind::MessageArrived(Kind::RestRequest));
    assert_eq!(second.time, ms(10));
    assert_eq!(second.records, 0..1);
    assert_eq!(sim.events_processed(), 2);
    assert_eq!(sim.run_events(100), 1);
    assert_eq!(sim.stop_reason(), Some(StopReason::Idle { at: ms(20) }));
    assert_eq!(sim.step(), None);

    // Finished: the clock reaches the duration even with events left.
    let mut sim = Sim::new(
        ok_world().client(Client::new(
            "busy",
            Call::rest("s", HttpMethod::Get, "/x"),
            100.0,
        )),
        1,
    )
    .expect("valid");
    sim.run_until(ms(500));
    assert_eq!(sim.now(), ms(500));
    assert_eq!(sim.stop_reason(), None);
    let reason = sim.run_to_end();
    assert_eq!(
        reason,
        StopReason::Finished {
            at: SimTime::from_secs(1)
        }
    );
    assert_eq!(sim.now(), SimTime::from_secs(1));
    assert!(sim.trace().records().iter().all(|r| r.recv <= sim.now()));
}

#[test]
fn run_until_is_the_same_as_stepping() {
    let mut a = Sim::new(reference::reference_world(), 9).expect("valid");
    let mut b = Sim::new(reference::reference_world(), 9).expect("valid");
    let mut t = SimTime::ZERO;
    while a.stop_reason().is_none() {
        t = t + ms(37);
        a.run_until(t);
    }
    b.run_to_end();
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.events_processed(), b.events_processed());
}

#[test]
fn in_flight_messages_and_live_views() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(Network::latency(Dist::constant_ms(10)))
        .service(Service::new("prod").workers(3).rest(
            HttpMethod::Post,
            "/p",
            Handler::new().enqueue("q", "Job"),
        ))
        .queue(Queue::new("q"))
        .service(Service::new("cons").time(Dist::constant_ms(100)).consume(
            "q",
            1,
            Handler::new().work(),
        ))
        .client(
            Client::new("c", Call::rest("prod", HttpMethod::Post, "/p"), 0.0)
                .burst(SimTime::ZERO, 3),
        );
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_until(ms(5));
    let flying = sim.in_flight();
    assert_eq!(flying.len(), 3);
    assert_eq!(
        (flying[0].kind, flying[0].sent, flying[0].arrives),
        (Kind::RestRequest, SimTime::ZERO, ms(10))
    );
    assert_eq!(sim.node_name(flying[0].from), "c");
    sim.run_until(ms(25));
    // Three enqueued at 20 ms: one delivered (in flight), two waiting.
    let q = sim.mailboxes()[0];
    assert_eq!((q.depth, q.in_flight), (2, 1));
    assert_eq!(sim.node_name(q.node), "q");
    let kinds: Vec<Kind> = sim.in_flight().iter().map(|m| m.kind).collect();
    assert!(kinds.contains(&Kind::QueueDeliver));
    let nodes: Vec<(String, NodeKind)> = sim
        .nodes()
        .iter()
        .map(|n| (n.name.clone(), n.kind))
        .collect();
    assert_eq!(
        nodes,
        vec![
            ("prod".to_string(), NodeKind::Service),
            ("cons".to_string(), NodeKind::Service),
            ("q".to_string(), NodeKind::Queue),
            ("c".to_string(), NodeKind::Client),
        ]
    );
    sim.run_to_end();
    let series = &sim.metrics().mailboxes[0].series;
    assert!(series.points.iter().any(|p| p.max_depth == 2));
    assert_eq!(sim.metrics().mailboxes[0].max_depth(), 2);
    assert!(sim.metrics().mailboxes[0].mean_depth(sim.now()) > 0.0);
    assert_eq!(sim.consumer_label(0), "cons <- q");
    assert_eq!(sim.endpoint_label(0), "prod POST /p");
}

#[test]
fn record_text_form_is_stable() {
    let mut sim = Sim::new(ok_world(), 1).expect("valid");
    sim.run_to_end();
    let r = sim.trace().records()[0];
    assert_eq!(
        sim.format_record(&r),
        "     0.000ms    10.000ms  c -> s  rest GET /x  OK  attempt 1"
    );
    assert_eq!(sim.mechanism(&r), Mechanism::Rest);
}

#[test]
fn tracing_off_keeps_metrics_and_determinism() {
    let mut on = Sim::new(reference::reference_world(), 3).expect("valid");
    let mut off = Sim::new(reference::reference_world().tracing(false), 3).expect("valid");
    on.run_to_end();
    off.run_to_end();
    assert!(off.trace().is_empty());
    assert_eq!(on.metrics(), off.metrics());
    assert_eq!(off.metrics().totals.records, on.trace().len() as u64);
}

#[test]
fn extreme_values_do_not_panic() {
    let w = World::new()
        .duration(SimTime::MAX)
        .event_budget(20_000)
        .network(Network::latency(Dist::Exponential { mean: SimTime::MAX }))
        .service(
            Service::new("s")
                .workers(u32::MAX)
                .backlog(0)
                .time(Dist::LogNormal {
                    median: SimTime::MAX,
                    sigma: 50.0,
                })
                .rest(
                    HttpMethod::Get,
                    "/x",
                    Handler::new()
                        .work()
                        .call(Call::rest("s", HttpMethod::Get, "/x")),
                ),
        )
        .queue(Queue::new("q").visibility(SimTime::ZERO).capacity(0))
        .client(
            Client::new(
                "c",
                Call::rest("s", HttpMethod::Get, "/x")
                    .timeout(SimTime::ZERO)
                    .retry(RetryPolicy {
                        max_attempts: u32::MAX,
                        base: SimTime::MAX,
                        multiplier: 1e308,
                        max_backoff: SimTime::MAX,
                        jitter: 1.0,
                    }),
                1e12,
            )
            .burst(SimTime::MAX, u32::MAX),
        )
        .fault(Fault::crash("s", SimTime::MAX, SimTime::MAX))
        .fault(Fault::latency_spike(
            LinkSelector::All,
            SimTime::MAX,
            SimTime::ZERO,
            SimTime::MAX,
        ));
    let mut sim = Sim::new(w, 1).expect("valid");
    let reason = sim.run_to_end();
    assert_eq!(reason, StopReason::EventBudgetExhausted { budget: 20_000 });
}

#[test]
fn empty_and_zero_duration_worlds() {
    let mut sim = Sim::new(World::new(), 0).expect("empty world is valid");
    assert_eq!(sim.run_to_end(), StopReason::Idle { at: SimTime::ZERO });
    let mut sim = Sim::new(ok_world().duration(SimTime::ZERO), 0).expect("valid");
    let r = sim.run_to_end();
    assert_eq!(r, StopReason::Finished { at: SimTime::ZERO });
}

#[cfg(not(target_arch = "wasm32"))]
mod prop {
    use super::*;
    use proptest::prelude::*;

    fn dist() -> impl Strategy<Value = Dist> {
        prop_oneof![
            (0u64..50_000).prop_map(|t| Dist::Constant(SimTime(t))),
            (0u64..20_000, 0u64..40_000).prop_map(|(a, b)| Dist::Uniform {
                lo: SimTime(a.min(b)),
                hi: SimTime(a.max(b))
            }),
            (0u64..30_000).prop_map(|m| Dist::Exponential { mean: SimTime(m) }),
            (0u64..30_000, 0u64..30_000).prop_map(|(m, s)| Dist::Normal {
                mean: SimTime(m),
                sd: SimTime(s)
            }),
            (0u64..30_000, 0.0f64..3.0).prop_map(|(m, s)| Dist::LogNormal {
                median: SimTime(m),
                sigma: s
            }),
        ]
    }

    #[allow(clippy::too_many_arguments)]
    fn world(
        workers: u32,
        backlog: u32,
        work: Dist,
        net: Dist,
        loss: f64,
        fail: f64,
        timeout_ms: u64,
        retries: u32,
        cap: u32,
        vis_ms: u64,
        attempts: u32,
        crash_at: u64,
        rate: f64,
    ) -> World {
        World::new()
            .duration(ms(2_000))
            .event_budget(50_000)
            .network(Network::latency(net).loss(loss))
            .service(
                Service::new("gw")
                    .workers(workers)
                    .backlog(backlog)
                    .time(work)
                    .rest(
                        HttpMethod::Post,
                        "/x",
                        Handler::new()
                            .work()
                            .call(
                                Call::rpc("core", "Op")
                                    .timeout(ms(timeout_ms))
                                    .retry(RetryPolicy::retries(retries).backoff(ms(3)).jitter(0.5))
                                    .breaker(BreakerPolicy {
                                        min_requests: 3,
                                        cooldown: ms(50),
                                        window: ms(200),
                                        ..BreakerPolicy::default()
                                    }),
                            )
                            .parallel(vec![
                                Call::rpc("core", "Op").timeout(ms(timeout_ms)),
                                Call::rpc("core", "Op"),
                            ])
                            .publish("t", "E")
                            .enqueue("q", "J")
                            .reply(Status::Http(201)),
                    ),
            )
            .service(
                Service::new("core")
                    .workers(workers)
                    .backlog(backlog)
                    .time(work)
                    .rpc("Op", Handler::new().work().fail(fail)),
            )
            .service(
                Service::new("cons")
                    .time(work)
                    .consume("q", 2, Handler::new().work().fail(fail).ack())
                    .subscribe("t", "s", 1, Handler::new().work().nack()),
            )
            .queue(
                Queue::new("q")
                    .capacity(cap)
                    .visibility(ms(vis_ms))
                    .max_attempts(attempts)
                    .dlq("dlq"),
            )
            .queue(
                Queue::new("dlq")
                    .capacity(cap)
                    .overflow(Overflow::DropOldest),
            )
            .topic(
                Topic::new("t").subscription(
                    Subscription::new("s")
                        .ack_deadline(ms(vis_ms))
                        .max_attempts(attempts),
                ),
            )
            .client(
                Client::new(
                    "c",
                    Call::rest("gw", HttpMethod::Post, "/x").timeout(ms(timeout_ms * 2)),
                    rate,
                )
                .poisson()
                .burst(ms(100), 20),
            )
            .fault(Fault::crash("core", ms(crash_at), ms(300)))
            .fault(Fault::crash("cons", ms(crash_at / 2), ms(100)))
            .fault(Fault::partition("gw", "core", ms(crash_at + 100), ms(100)))
            .fault(Fault::error_spike("gw", fail, ms(crash_at / 3), ms(200)))
            .fault(Fault::loss(LinkSelector::All, loss, ms(400), ms(100)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn arbitrary_worlds_never_panic_and_stay_deterministic(
            workers in 1u32..6, backlog in 0u32..8, work in dist(), net in dist(),
            loss in 0.0f64..0.3, fail in 0.0f64..1.0, timeout_ms in 0u64..200,
            retries in 0u32..4, cap in 0u32..10, vis_ms in 0u64..100, attempts in 1u32..4,
            crash_at in 0u64..1_500, rate in 0.0f64..300.0, seed in any::<u64>(),
        ) {
            let w = world(workers, backlog, work, net, loss, fail, timeout_ms, retries, cap, vis_ms, attempts, crash_at, rate);
            let mut a = Sim::new(w.clone(), seed).expect("valid");
            let mut b = Sim::new(w, seed).expect("valid");
            a.run_to_end();
            b.run_to_end();
            prop_assert_eq!(a.trace_hash(), b.trace_hash());
            for r in a.trace().records() {
                prop_assert!(r.send <= r.recv);
                prop_assert!(r.cause.is_none_or(|c| c < r.id));
            }
            // Capacity counts waiting messages only (RabbitMQ max-length) and limits what
            // producers add: only messages coming back (visibility timeout, nack) may take the
            // waiting count past it.
            let q = a.mailboxes()[0];
            let back = a.metrics().mailboxes[0].redeliveries;
            prop_assert!(u64::from(q.depth) <= u64::from(cap) + back);
        }
    }
}

#[test]
fn the_wire_count_and_message_total_follow_every_send_and_arrival() {
    // Three requests sent at 0 ms take 10 ms each way: three messages on the wire at 5 ms, the
    // three replies at 15 ms, none at 25 ms; six sent in all.
    let w = ok_world().client(
        Client::new("c3", Call::rest("s", HttpMethod::Get, "/x"), 0.0).burst(SimTime::ZERO, 2),
    );
    let mut sim = Sim::new(w, 1).expect("valid");
    let mut counts = Vec::new();
    for t in [5, 15, 25] {
        sim.run_until(ms(t));
        assert_eq!(sim.in_flight_count() as usize, sim.in_flight().len());
        counts.push(sim.in_flight_count());
    }
    assert_eq!(counts, vec![3, 3, 0]);
    sim.run_to_end();
    assert_eq!(sim.metrics().totals.messages, 6);
}

#[test]
fn the_pending_limit_counts_outstanding_calls() {
    // 1,000 requests a second to one worker busy for a minute: each waiting request holds a
    // client call and a backlog task, so 1,000 pending things are passed after about 500
    // requests (checked every 256 events: at 512 ms), not after 1,000 as if calls were not
    // counted.
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .pending_limit(1_000)
        .network(Network::latency(Dist::constant_ms(1)))
        .service(
            Service::new("s")
                .workers(1)
                .time(Dist::constant_ms(60_000))
                .rest(HttpMethod::Get, "/x", Handler::new().work()),
        )
        .client(Client::new(
            "c",
            Call::rest("s", HttpMethod::Get, "/x"),
            1_000.0,
        ));
    let mut sim = Sim::new(w, 1).expect("valid");
    assert_eq!(
        sim.run_to_end(),
        StopReason::PendingLimit {
            limit: 1_000,
            at: ms(512)
        }
    );
}

#[test]
fn the_pending_limit_counts_stored_messages() {
    // 1,000 requests a second, each enqueuing one message to a queue nobody consumes: each
    // request leaves its message stored and its producer's confirm timer queued (5 s), so
    // 1,000 pending things are passed after about 500 requests (checked every 256 events: at
    // 513 ms), not after about 1,000 as if stored messages were not counted.
    let w = World::new()
        .duration(SimTime::from_secs(10))
        .pending_limit(1_000)
        .network(Network::latency(Dist::constant_ms(1)))
        .service(Service::new("p").workers(100).rest(
            HttpMethod::Post,
            "/x",
            Handler::new().enqueue("q", "M"),
        ))
        .queue(Queue::new("q"))
        .client(Client::new(
            "c",
            Call::rest("p", HttpMethod::Post, "/x"),
            1_000.0,
        ));
    let mut sim = Sim::new(w, 1).expect("valid");
    assert_eq!(
        sim.run_to_end(),
        StopReason::PendingLimit {
            limit: 1_000,
            at: ms(513)
        }
    );
}

#[test]
fn a_link_override_is_the_unordered_pair() {
    // Declared as s <-> c; applies to c -> s requests and s -> c responses alike.
    let w = ok_world().link(Link::between("s", "c").latency(Dist::constant_ms(3)));
    let mut sim = Sim::new(w, 1).expect("valid");
    sim.run_to_end();
    let latencies: Vec<SimTime> = sim.trace().records().iter().map(|r| r.duration()).collect();
    assert_eq!(latencies, vec![ms(3), ms(3)]);
}

#[test]
fn trace_limit_keeps_the_newest_records_with_global_ids() {
    let mut full = Sim::new(reference::reference_world(), 5).expect("valid");
    let mut kept = Sim::new(reference::reference_world().trace_limit(1_000), 5).expect("valid");
    full.run_to_end();
    kept.run_to_end();
    let (all, tail) = (full.trace().records(), kept.trace().records());
    assert!((1_000..2_000).contains(&tail.len()), "{}", tail.len());
    assert_eq!(tail, all.range(all.len() - tail.len()..));
    let first = kept.trace().first_id();
    assert_eq!(first.0 as usize, all.len() - tail.len());
    assert_eq!(kept.trace().get(first), Some(&tail[0]));
    assert_eq!(kept.trace().get(RecordId(0)), None);
    assert_eq!(kept.metrics(), full.metrics());
}

/// A service's view counts the replies of all its endpoints and the errors among them, as the
/// topology's recent error share needs (it subtracts earlier totals).
#[test]
fn a_service_view_sums_its_endpoints_replies_and_errors() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(Network::latency(Dist::constant_ms(1)))
        .service(
            Service::new("s")
                .rest(HttpMethod::Get, "/ok", Handler::new())
                .rest(
                    HttpMethod::Get,
                    "/bad",
                    Handler::new().reply(Status::Http(503)),
                ),
        )
        .service(Service::new("idle").rest(HttpMethod::Get, "/x", Handler::new()))
        .client(
            Client::new("good", Call::rest("s", HttpMethod::Get, "/ok"), 0.0)
                .burst(SimTime::ZERO, 3),
        )
        .client(
            Client::new("bad", Call::rest("s", HttpMethod::Get, "/bad"), 0.0)
                .burst(SimTime::ZERO, 2),
        );
    let mut sim = Sim::new(w, 1).expect("valid");
    let before = sim.services();
    assert_eq!((before[0].replies, before[0].errors), (0, 0));
    sim.run_to_end();
    let after = sim.services();
    assert_eq!((after[0].replies, after[0].errors), (5, 2));
    assert_eq!((after[1].replies, after[1].errors), (0, 0));
    // Each client's call site runs from the client to `s`: what the topology's edges count.
    let (s, good, bad) = (
        sim.node_id("s").unwrap(),
        sim.node_id("good").unwrap(),
        sim.node_id("bad").unwrap(),
    );
    assert_eq!(sim.call_site_nodes(0), Some((good, s, false)));
    assert_eq!(sim.call_site_nodes(1), Some((bad, s, false)));
    assert_eq!(sim.call_site_nodes(2), None);
    let calls = &sim.metrics().calls;
    assert_eq!((calls[0].ok, calls[1].failed), (3, 2));
}
