//! Lowering, option by option: each text option of a call, service, queue, subscription, client,
//! network line, fault and step lands in its engine field (`scenario::compile(text).world`), and
//! each option left out takes the language's documented default. One test per option, so a
//! dropped or swapped option names itself.

use switchboard::scenario;
use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn compiled(text: &str) -> scenario::Compiled {
    match scenario::compile(text) {
        Ok(c) => c,
        Err(d) => panic!("{text}\ndid not compile: {d:?}"),
    }
}

fn world(text: &str) -> World {
    compiled(text).world
}

/// The call of client `c` to `t GET /x` written with `options`.
fn rest_call(options: &str) -> Call {
    let w = world(&format!(
        "service t\nt GET /x:\nclient c rate 1/s -> t GET /x {options}\n"
    ));
    w.clients[0].call.clone()
}

/// The call of client `c` to the RPC `t.Get` written with `options`.
fn rpc_call(options: &str) -> Call {
    let w = world(&format!(
        "service t\nt rpc Get:\nclient c rate 1/s -> t.Get {options}\n"
    ));
    w.clients[0].call.clone()
}

fn get_x() -> Call {
    Call::rest("t", HttpMethod::Get, "/x")
}

// ---- call options ----

#[test]
fn call_without_options_is_one_attempt_with_no_timeout_or_breaker() {
    assert_eq!(rest_call(""), get_x());
}

#[test]
fn call_timeout() {
    assert_eq!(rest_call("timeout 200ms"), get_x().timeout(ms(200)));
}

#[test]
fn rpc_deadline_is_the_calls_timeout() {
    assert_eq!(
        rpc_call("deadline 300ms"),
        Call::rpc("t", "Get").timeout(ms(300))
    );
}

#[test]
fn call_retries_alone_take_the_engine_defaults() {
    // 100 ms first backoff, ×2, 10 s cap, no jitter.
    let c = rest_call("retries 3");
    assert_eq!(c, get_x().retry(RetryPolicy::retries(3)));
    let r = c.retry.expect("retry policy");
    assert_eq!(r.max_attempts, 4);
    assert_eq!(
        (r.base, r.multiplier, r.max_backoff, r.jitter),
        (ms(100), 2.0, SimTime::from_secs(10), 0.0)
    );
}

#[test]
fn call_backoff() {
    assert_eq!(
        rest_call("retries 2 backoff 50ms"),
        get_x().retry(RetryPolicy::retries(2).backoff(ms(50)))
    );
}

#[test]
fn call_backoff_above_the_default_cap_raises_the_cap() {
    // Without `max-backoff` the cap stays 10 s but never below the first backoff.
    assert_eq!(
        rest_call("retries 2 backoff 20s"),
        get_x().retry(
            RetryPolicy::retries(2)
                .backoff(SimTime::from_secs(20))
                .max_backoff(SimTime::from_secs(20))
        )
    );
}

#[test]
fn call_multiplier() {
    assert_eq!(
        rest_call("retries 3 backoff 50ms multiplier 1.5"),
        get_x().retry(RetryPolicy::retries(3).backoff(ms(50)).multiplier(1.5))
    );
}

#[test]
fn call_max_backoff() {
    assert_eq!(
        rest_call("retries 5 backoff 50ms max-backoff 1s"),
        get_x().retry(
            RetryPolicy::retries(5)
                .backoff(ms(50))
                .max_backoff(SimTime::from_secs(1))
        )
    );
}

#[test]
fn call_jitter_alone_is_full_jitter() {
    assert_eq!(
        rest_call("retries 3 jitter"),
        get_x().retry(RetryPolicy::retries(3).jitter(1.0))
    );
}

#[test]
fn call_jitter_share() {
    assert_eq!(
        rest_call("retries 3 jitter 50%"),
        get_x().retry(RetryPolicy::retries(3).jitter(0.5))
    );
}

#[test]
fn call_pool_with_its_wait_or_hikaricps_30s() {
    assert_eq!(
        rest_call("pool 10 pool-wait 100ms"),
        get_x().pool(10, ms(100))
    );
    assert_eq!(rest_call("pool 3"), get_x().pool(3, SimTime::from_secs(30)));
    assert_eq!(rest_call("timeout 1s").pool, None);
}

#[test]
fn call_hedge() {
    assert_eq!(rest_call("hedge 3 after 50ms"), get_x().hedge(3, ms(50)));
}

#[test]
fn call_hedge_takes_retry_on_as_its_non_fatal_statuses() {
    assert_eq!(
        rpc_call("hedge 2 after 10ms retry-on UNAVAILABLE,ABORTED"),
        Call::rpc("t", "Get").hedge(2, ms(10)).retry_on(vec![
            Status::Grpc(GrpcCode::Unavailable),
            Status::Grpc(GrpcCode::Aborted)
        ])
    );
}

#[test]
fn call_retry_budget_alone_has_ten_tokens() {
    // gRFC A6 gives no default for `maxTokens`; its example (and Switchboard's default) is 10.
    assert_eq!(
        rest_call("retries 2 retry-budget 10%"),
        get_x().retry(RetryPolicy::retries(2)).retry_budget(10, 0.1)
    );
}

#[test]
fn call_retry_budget_max_tokens() {
    assert_eq!(
        rest_call("retries 2 retry-budget 2.5% max-tokens 100").retry_budget,
        Some(RetryBudget {
            max_tokens: 100,
            token_ratio: 0.025
        })
    );
}

#[test]
fn call_every_retry_option_together() {
    assert_eq!(
        rpc_call("deadline 1s retries 4 backoff 20ms multiplier 3 max-backoff 500ms jitter 25%"),
        Call::rpc("t", "Get").timeout(SimTime::from_secs(1)).retry(
            RetryPolicy::retries(4)
                .backoff(ms(20))
                .multiplier(3.0)
                .max_backoff(ms(500))
                .jitter(0.25)
        )
    );
}

#[test]
fn call_breaker_alone_takes_the_defaults() {
    // Window 10 s, min-calls 10, cooldown 5 s, probes 1.
    assert_eq!(
        rest_call("breaker 30%"),
        get_x().breaker(BreakerPolicy {
            failure_ratio: 0.3,
            window: SimTime::from_secs(10),
            min_requests: 10,
            cooldown: SimTime::from_secs(5),
            half_open_probes: 1,
            slow_call: None,
        })
    );
}

#[test]
fn call_breaker_window() {
    let b = rest_call("breaker 50% window 5s").breaker.expect("breaker");
    assert_eq!(
        b,
        BreakerPolicy {
            window: SimTime::from_secs(5),
            ..BreakerPolicy::default()
        }
    );
}

#[test]
fn call_breaker_min_calls() {
    let b = rest_call("breaker 50% min-calls 7")
        .breaker
        .expect("breaker");
    assert_eq!(
        b,
        BreakerPolicy {
            min_requests: 7,
            ..BreakerPolicy::default()
        }
    );
}

#[test]
fn call_breaker_cooldown() {
    let b = rest_call("breaker 50% cooldown 3s")
        .breaker
        .expect("breaker");
    assert_eq!(
        b,
        BreakerPolicy {
            cooldown: SimTime::from_secs(3),
            ..BreakerPolicy::default()
        }
    );
}

#[test]
fn call_breaker_probes() {
    let b = rest_call("breaker 50% probes 3").breaker.expect("breaker");
    assert_eq!(
        b,
        BreakerPolicy {
            half_open_probes: 3,
            slow_call: None,
            ..BreakerPolicy::default()
        }
    );
}

#[test]
fn call_on_error_continue() {
    assert_eq!(rest_call("on-error continue"), get_x().continue_on_error());
    assert_eq!(rest_call("on-error fail"), get_x());
}

#[test]
fn call_step_and_parallel_calls_carry_their_options() {
    let w = world(
        "service a\nservice b\nb GET /x:\nb rpc Y:\n\
         a rpc Go:\n  call b GET /x timeout 50ms on-error continue\n  parallel:\n    call b.Y deadline 80ms retries 1\n    call b GET /x\n",
    );
    assert_eq!(
        w.services[0].endpoints[0].handler.steps,
        vec![
            Step::Call(
                Call::rest("b", HttpMethod::Get, "/x")
                    .timeout(ms(50))
                    .continue_on_error()
            ),
            Step::Parallel(vec![
                Call::rpc("b", "Y")
                    .timeout(ms(80))
                    .retry(RetryPolicy::retries(1)),
                Call::rest("b", HttpMethod::Get, "/x"),
            ]),
        ]
    );
}

// ---- services and time distributions ----

#[test]
fn service_defaults() {
    let s = &world("service s\n").services[0];
    assert_eq!(s, &Service::new("s"));
    assert_eq!(
        (s.workers, s.backlog, s.service_time),
        (1, u32::MAX, Dist::Constant(SimTime::ZERO))
    );
}

#[test]
fn service_workers() {
    assert_eq!(world("service s workers 16\n").services[0].workers, 16);
}

#[test]
fn service_backlog() {
    assert_eq!(world("service s backlog 100\n").services[0].backlog, 100);
}

#[test]
fn service_time_of_each_distribution() {
    let time = |d: &str| world(&format!("service s time {d}\n")).services[0].service_time;
    assert_eq!(time("20ms"), Dist::Constant(ms(20)));
    assert_eq!(time("constant(20ms)"), Dist::Constant(ms(20)));
    assert_eq!(
        time("2ms..8ms"),
        Dist::Uniform {
            lo: ms(2),
            hi: ms(8)
        }
    );
    assert_eq!(
        time("uniform(2ms, 8ms)"),
        Dist::Uniform {
            lo: ms(2),
            hi: ms(8)
        }
    );
    assert_eq!(time("exp(40ms)"), Dist::Exponential { mean: ms(40) });
    let normal = Dist::Normal {
        mean: ms(20),
        sd: ms(5),
    };
    assert_eq!(time("20ms±5ms"), normal);
    assert_eq!(time("20ms+-5ms"), normal);
    assert_eq!(time("normal(20ms, 5ms)"), normal);
    assert_eq!(
        time("lognormal(20ms, 10ms)"),
        Dist::log_normal_mean_sd(ms(20), ms(10))
    );
    assert_eq!(time("250us"), Dist::Constant(SimTime::from_micros(250)));
}

#[test]
fn service_every_option_together() {
    assert_eq!(
        world("service s workers 4 time exp(40ms) backlog 8\n").services[0],
        Service::new("s")
            .workers(4)
            .backlog(8)
            .time(Dist::Exponential { mean: ms(40) })
    );
}

#[test]
fn service_rate_limit_with_its_burst() {
    assert_eq!(
        world("service s rate-limit 100/s burst 20\n").services[0],
        Service::new("s").rate_limit(100.0, 20)
    );
    // 30 a minute is 0.5 a second, exactly.
    assert_eq!(
        world("service s rate-limit 30/m burst 2\n").services[0],
        Service::new("s").rate_limit(0.5, 2)
    );
}

#[test]
fn service_rate_limit_per_caller() {
    assert_eq!(
        world("service s rate-limit 100/s burst 20 per-caller\n").services[0],
        Service::new("s").rate_limit_per_caller(100.0, 20)
    );
    // With the default burst, and with replicas (each replica keeps a bucket per caller).
    assert_eq!(
        world("service s per-caller rate-limit 2.5/s replicas 2\n").services[0].rate_limit,
        Some(RateLimit {
            per_second: 2.5,
            burst: 3,
            per_caller: true
        })
    );
}

#[test]
fn service_rate_limit_alone_holds_one_second_of_the_rate() {
    assert_eq!(
        world("service s rate-limit 100/s\n").services[0],
        Service::new("s").rate_limit(100.0, 100)
    );
    // Rounded up, and at least one token.
    assert_eq!(
        world("service s rate-limit 2.5/s\n").services[0].rate_limit,
        Some(RateLimit {
            per_second: 2.5,
            burst: 3,
            per_caller: false
        })
    );
    assert_eq!(
        world("service s rate-limit 6/m\n").services[0].rate_limit,
        Some(RateLimit {
            per_second: 0.1,
            burst: 1,
            per_caller: false
        })
    );
}

#[test]
fn service_shed_after() {
    assert_eq!(
        world("service s shed-after 200ms\n").services[0],
        Service::new("s").shed_after(ms(200))
    );
}

#[test]
fn service_contention_and_coherence_are_the_usl_coefficients() {
    assert_eq!(
        world("service s workers 16 contention 5% coherence 0.1%\n").services[0],
        Service::new("s").workers(16).slowdown(0.05, 0.001)
    );
    // Either alone; the other is zero.
    assert_eq!(
        world("service s contention 12.5%\n").services[0].slowdown,
        Some(Slowdown {
            contention: 0.125,
            coherence: 0.0
        })
    );
    assert_eq!(
        world("service s coherence 0.01%\n").services[0].slowdown,
        Some(Slowdown {
            contention: 0.0,
            coherence: 0.0001
        })
    );
    assert_eq!(world("service s workers 4\n").services[0].slowdown, None);
}

#[test]
fn service_lifo_is_lifo_above_zero() {
    assert_eq!(
        world("service s backlog 400 lifo\n").services[0],
        Service::new("s").backlog(400).lifo_above(0)
    );
}

#[test]
fn service_lifo_above() {
    assert_eq!(
        world("service s lifo-above 50\n").services[0],
        Service::new("s").lifo_above(50)
    );
}

// ---- steps ----

#[test]
fn steps_lower_one_for_one() {
    let w = world(
        "service s time 7ms\nqueue q\ntopic t\n\
         s POST /a:\n  work\n  work 5ms..10ms\n  publish t Created region=eu tier=gold\n  enqueue q Charge\n  fail 5%\n  fail 1% 503\n  reply 201\n\
         s rpc B:\n  fail 2% UNAVAILABLE\n  reply OK\n",
    );
    let s = &w.services[0];
    assert_eq!(
        s.endpoints[0].route,
        Route::Rest {
            method: HttpMethod::Post,
            path: "/a".into()
        }
    );
    assert_eq!(
        s.endpoints[0].handler.steps,
        vec![
            Step::Work { time: None },
            Step::Work {
                time: Some(Dist::Uniform {
                    lo: ms(5),
                    hi: ms(10)
                })
            },
            Step::Publish {
                topic: "t".into(),
                message: "Created".into(),
                attributes: vec![
                    ("region".into(), "eu".into()),
                    ("tier".into(), "gold".into())
                ],
            },
            Step::Enqueue {
                queue: "q".into(),
                message: "Charge".into()
            },
            Step::Fail {
                probability: 0.05,
                status: None
            },
            Step::Fail {
                probability: 0.01,
                status: Some(Status::Http(503))
            },
            Step::Reply(Status::Http(201)),
        ]
    );
    assert_eq!(s.endpoints[1].route, Route::Rpc { method: "B".into() });
    assert_eq!(
        s.endpoints[1].handler.steps,
        vec![
            Step::Fail {
                probability: 0.02,
                status: Some(Status::Grpc(GrpcCode::Unavailable))
            },
            Step::Reply(Status::Grpc(GrpcCode::Ok)),
        ]
    );
}

#[test]
fn every_http_method() {
    let w = world("service s\ns GET /a:\ns POST /a:\ns PUT /a:\ns PATCH /a:\ns DELETE /a:\n");
    let methods: Vec<HttpMethod> = w.services[0]
        .endpoints
        .iter()
        .map(|e| match &e.route {
            Route::Rest { method, .. } => *method,
            other => panic!("not REST: {other:?}"),
        })
        .collect();
    assert_eq!(
        methods,
        vec![
            HttpMethod::Get,
            HttpMethod::Post,
            HttpMethod::Put,
            HttpMethod::Patch,
            HttpMethod::Delete
        ]
    );
}

// ---- queues and consumers ----

#[test]
fn queue_defaults() {
    let w = world("queue q\n");
    assert_eq!(w.queues, vec![Queue::new("q")]);
    let q = &w.queues[0];
    assert_eq!(
        (q.capacity, q.overflow, q.visibility, q.max_attempts, &q.dlq),
        (
            u32::MAX,
            Overflow::Reject,
            SimTime::from_secs(30),
            None,
            &None
        )
    );
}

#[test]
fn queue_capacity() {
    assert_eq!(world("queue q capacity 100\n").queues[0].capacity, 100);
}

#[test]
fn queue_overflow() {
    assert_eq!(
        world("queue q capacity 5 overflow drop-oldest\n").queues[0].overflow,
        Overflow::DropOldest
    );
    assert_eq!(
        world("queue q capacity 5 overflow reject\n").queues[0].overflow,
        Overflow::Reject
    );
}

#[test]
fn queue_visibility() {
    assert_eq!(
        world("queue q visibility 5s\n").queues[0].visibility,
        SimTime::from_secs(5)
    );
}

#[test]
fn queue_max_attempts() {
    assert_eq!(
        world("queue q max-attempts 3\n").queues[0].max_attempts,
        Some(3)
    );
}

#[test]
fn queue_dlq_declares_the_dead_letter_queue() {
    let w = world("queue q dlq q-dlq\n");
    assert_eq!(
        w.queues,
        vec![Queue::new("q").dlq("q-dlq"), Queue::new("q-dlq")]
    );
    // A declared one is not declared twice.
    let w = world("queue q dlq d\nqueue d capacity 9\n");
    assert_eq!(
        w.queues,
        vec![Queue::new("q").dlq("d"), Queue::new("d").capacity(9)]
    );
}

#[test]
fn consumer_concurrency_defaults_to_one() {
    let w = world(
        "queue q\nservice s\nservice u\ns consume q:\n  nack\nu consume q concurrency 4 max-extension 2m:\n  ack\n",
    );
    let (c0, c1) = (&w.services[0].consumers[0], &w.services[1].consumers[0]);
    assert_eq!(
        *c0,
        Consumer {
            source: Source::Queue("q".into()),
            concurrency: 1,
            handler: Handler::new().nack(),
            max_extension: None,
        }
    );
    assert_eq!(c1.concurrency, 4);
    assert_eq!(c1.max_extension, Some(SimTime::from_secs(120)));
    assert_eq!(c1.handler, Handler::new().ack());
}

// ---- topics and subscriptions ----

#[test]
fn subscription_defaults_and_name() {
    let w = world("topic t\nservice s\ns subscribe t:\n");
    assert_eq!(
        w.topics,
        vec![Topic::new("t").subscription(Subscription::new("s"))]
    );
    let sub = &w.topics[0].subscriptions[0];
    assert_eq!(sub.ack_deadline, SimTime::from_secs(10));
    assert_eq!(
        w.services[0].consumers[0],
        Consumer {
            source: Source::Subscription {
                topic: "t".into(),
                subscription: "s".into()
            },
            concurrency: 1,
            handler: Handler::new(),
            max_extension: None,
        }
    );
}

#[test]
fn subscription_every_option() {
    let w = world(
        "topic t\nservice s\n\
         s subscribe t as audit filter region=eu ack-deadline 3s capacity 50 overflow drop-oldest max-attempts 5 dlq audit-dlq concurrency 2 max-extension 5m:\n  work\n",
    );
    let mut want = Subscription::new("audit")
        .filter("region", "eu")
        .ack_deadline(SimTime::from_secs(3))
        .capacity(50)
        .max_attempts(5)
        .dlq("audit-dlq");
    want.overflow = Overflow::DropOldest;
    assert_eq!(w.topics[0].subscriptions, vec![want]);
    assert_eq!(w.queues, vec![Queue::new("audit-dlq")]);
    assert_eq!(
        w.services[0].consumers[0],
        Consumer {
            source: Source::Subscription {
                topic: "t".into(),
                subscription: "audit".into()
            },
            concurrency: 2,
            handler: Handler::new().work(),
            max_extension: Some(SimTime::from_secs(300)),
        }
    );
}

#[test]
fn handlers_sharing_a_subscription_make_one() {
    let w = world(
        "topic t\nservice a\nservice b\na subscribe t as shared:\nb subscribe t as shared:\n",
    );
    assert_eq!(w.topics[0].subscriptions, vec![Subscription::new("shared")]);
    assert_eq!(w.services[0].consumers.len(), 1);
    assert_eq!(w.services[1].consumers.len(), 1);
}

// ---- clients ----

#[test]
fn client_defaults() {
    let c = &world("service t\nt GET /x:\nclient c rate 20/s -> t GET /x\n").clients[0];
    assert_eq!(c, &Client::new("c", get_x(), 20.0));
    assert_eq!(
        (c.arrival, c.start, c.stop, c.bursts.len()),
        (Arrival::Constant, SimTime::ZERO, None, 0)
    );
}

#[test]
fn client_rate_per_minute() {
    let c = &world("service t\nt GET /x:\nclient c rate 30/m -> t GET /x\n").clients[0];
    assert_eq!(c.rate, 0.5);
}

#[test]
fn client_poisson() {
    let c = &world("service t\nt GET /x:\nclient c rate 5/s poisson -> t GET /x\n").clients[0];
    assert_eq!(c.arrival, Arrival::Poisson);
    let c = &world("service t\nt GET /x:\nclient c rate 5/s constant -> t GET /x\n").clients[0];
    assert_eq!(c.arrival, Arrival::Constant);
}

#[test]
fn client_from_and_until() {
    let c = &world("service t\nt GET /x:\nclient c rate 5/s from 10s until 30s -> t GET /x\n")
        .clients[0];
    assert_eq!(
        c,
        &Client::new("c", get_x(), 5.0)
            .start(SimTime::from_secs(10))
            .stop(SimTime::from_secs(30))
    );
}

#[test]
fn burst_faults_become_client_bursts() {
    let w = world(
        "service t\nt GET /x:\nclient c rate 0/s -> t GET /x\nat 10s burst c 600\nat 20s burst c 5\n",
    );
    assert_eq!(
        w.clients[0].bursts,
        vec![
            Burst {
                at: SimTime::from_secs(10),
                count: 600
            },
            Burst {
                at: SimTime::from_secs(20),
                count: 5
            }
        ]
    );
    assert!(w.faults.is_empty(), "a burst is not a fault");
}

#[test]
fn client_users_and_think() {
    let c = &world("service t\nt GET /x:\nclient c users 50 think exp(2s) from 1s -> t GET /x\n")
        .clients[0];
    assert_eq!(
        c,
        &Client::users("c", get_x(), 50, Dist::exp_ms(2_000)).start(SimTime::from_secs(1))
    );
    assert_eq!(
        (c.rate, c.ramp, c.users.map(|u| u.count)),
        (0.0, None, Some(50))
    );
    // A burst on a client of users adds users (the engine's meaning), lowered the same way.
    let w = world("service t\nt GET /x:\nclient c users 2 think 1s -> t GET /x\nat 5s burst c 3\n");
    assert_eq!(w.clients[0].bursts.len(), 1);
}

#[test]
fn client_rate_ramp() {
    let c = &world("service t\nt GET /x:\nclient c rate 10/s..200/s over 1m poisson -> t GET /x\n")
        .clients[0];
    assert_eq!(
        c,
        &Client::new("c", get_x(), 10.0)
            .ramp(200.0, SimTime::from_secs(60))
            .poisson()
    );
    let c =
        &world("service t\nt GET /x:\nclient c rate 30/m..0/s over 10s -> t GET /x\n").clients[0];
    assert_eq!(
        c.ramp,
        Some(Ramp {
            to: 0.0,
            over: SimTime::from_secs(10)
        })
    );
    assert_eq!((c.rate, c.arrival, c.users), (0.5, Arrival::Constant, None));
}

// ---- network and links ----

#[test]
fn network_defaults() {
    let n = world("service s\n").network;
    assert_eq!(
        (n.latency, n.loss, n.links.len()),
        (Dist::Constant(SimTime::ZERO), 0.0, 0)
    );
}

#[test]
fn network_latency_and_loss() {
    let n = world("network latency 2ms..8ms loss 0.1%\n").network;
    assert_eq!(
        n.latency,
        Dist::Uniform {
            lo: ms(2),
            hi: ms(8)
        }
    );
    assert_eq!(n.loss, 0.001);
}

#[test]
fn link_latency_and_loss() {
    let n = world("service a\nservice b\nservice c\nlink a <-> b latency exp(3ms) loss 1%\nlink a <-> c latency 4ms\n").network;
    assert_eq!(
        n.links,
        vec![
            Link::between("a", "b")
                .latency(Dist::Exponential { mean: ms(3) })
                .loss(0.01),
            Link::between("a", "c").latency(Dist::Constant(ms(4))),
        ]
    );
}

// ---- faults ----

#[test]
fn fault_crash_with_and_without_for() {
    let w = world("service p\nat 30s crash p for 10s\nat 50s crash p\n");
    assert_eq!(
        w.faults,
        vec![
            Fault::crash("p", SimTime::from_secs(30), SimTime::from_secs(10)),
            // Without `for`, to the end of any run.
            Fault::crash("p", SimTime::from_secs(50), SimTime::MAX),
        ]
    );
}

#[test]
fn fault_partition_sides() {
    let w = world("service a\nservice b\nqueue q\nat 20s partition a <-> b,q for 5s\n");
    assert_eq!(
        w.faults,
        vec![Fault {
            at: SimTime::from_secs(20),
            duration: SimTime::from_secs(5),
            kind: FaultKind::Partition {
                a: vec!["a".into()],
                b: vec!["b".into(), "q".into()],
            },
        }]
    );
}

#[test]
fn fault_slow() {
    let w = world(
        "service a\nservice b\nat 10s slow a <-> b +100ms for 10s\nat 1s slow network +5ms\n",
    );
    assert_eq!(
        w.faults,
        vec![
            Fault::latency_spike(
                LinkSelector::Between("a".into(), "b".into()),
                ms(100),
                SimTime::from_secs(10),
                SimTime::from_secs(10)
            ),
            Fault::latency_spike(
                LinkSelector::All,
                ms(5),
                SimTime::from_secs(1),
                SimTime::MAX
            ),
        ]
    );
}

#[test]
fn fault_loss() {
    let w = world("service a\nservice b\nat 10s loss a <-> b 20% for 5s\nat 2s loss network 1%\n");
    assert_eq!(
        w.faults,
        vec![
            Fault::loss(
                LinkSelector::Between("a".into(), "b".into()),
                0.2,
                SimTime::from_secs(10),
                SimTime::from_secs(5)
            ),
            Fault::loss(LinkSelector::All, 0.01, SimTime::from_secs(2), SimTime::MAX),
        ]
    );
}

#[test]
fn fault_errors() {
    let w = world("service p\nat 10s errors p 50% for 5s\n");
    assert_eq!(
        w.faults,
        vec![Fault::error_spike(
            "p",
            0.5,
            SimTime::from_secs(10),
            SimTime::from_secs(5)
        )]
    );
}

// ---- the scenario line ----

#[test]
fn scenario_defaults() {
    let c = compiled("service s\n");
    assert_eq!(c.seed, 1);
    assert_eq!(c.world.run.duration, SimTime::from_secs(60));
    assert_eq!(c.world.run.event_budget, 10_000_000);
}

#[test]
fn scenario_seed_duration_and_budget() {
    let c = compiled("scenario \"x\" seed 42 duration 2m budget 500000\nservice s\n");
    assert_eq!(c.seed, 42);
    assert_eq!(c.world.run.duration, SimTime::from_secs(120));
    assert_eq!(c.world.run.event_budget, 500_000);
}

#[test]
fn confirm_options_of_queues_and_topics() {
    let w =
        world("queue q confirm-timeout 2s confirm-retries 0\nqueue d\ntopic t confirm-retries 5\n");
    assert_eq!(
        w.queues[0],
        Queue::new("q").confirms(SimTime::from_secs(2), 0)
    );
    assert_eq!(w.queues[1].confirms, Confirms::default());
    assert_eq!(
        (w.queues[1].confirms.timeout, w.queues[1].confirms.retries),
        (SimTime::from_secs(5), 2),
        "defaults: 5 s, 2 retries"
    );
    assert_eq!(
        w.topics[0],
        Topic::new("t").confirms(SimTime::from_secs(5), 5)
    );
}

// ---- replicas and load balancing ----

#[test]
fn service_replicas_and_balancer() {
    let s = &world("service s replicas 3 lb p2c\n").services[0];
    assert_eq!(
        (s.replicas, s.balancer, s.outlier),
        (3, Balancer::PowerOfTwo, None)
    );
    let lb = |word: &str| world(&format!("service s replicas 2 lb {word}\n")).services[0].balancer;
    assert_eq!(lb("round-robin"), Balancer::RoundRobin);
    assert_eq!(lb("random"), Balancer::Random);
    assert_eq!(lb("least-requests"), Balancer::LeastRequests);
    // Left out: one replica, round-robin, no ejection.
    let s = &world("service s\n").services[0];
    assert_eq!(
        (s.replicas, s.balancer, s.outlier),
        (1, Balancer::RoundRobin, None)
    );
    assert_eq!(
        world("service s replicas 2\n").services[0].balancer,
        Balancer::RoundRobin
    );
}

#[test]
fn service_ejection_options_each_and_their_defaults() {
    let outlier = |opts: &str| {
        world(&format!("service s replicas 4 {opts}\n")).services[0]
            .outlier
            .expect("ejection on")
    };
    let d = OutlierPolicy::default();
    assert_eq!(
        (d.consecutive, d.base, d.max_percent),
        (5, SimTime::from_secs(30), 0.1)
    );
    assert_eq!(
        outlier("eject-after 3"),
        OutlierPolicy {
            consecutive: 3,
            ..d
        }
    );
    assert_eq!(
        outlier("eject-for 10s"),
        OutlierPolicy {
            base: SimTime::from_secs(10),
            ..d
        }
    );
    assert_eq!(
        outlier("max-ejected 50%"),
        OutlierPolicy {
            max_percent: 0.5,
            ..d
        }
    );
}

#[test]
fn fault_on_one_replica() {
    let w = world(
        "service s replicas 3\nat 1s crash s replica 2 for 1s\nat 2s vanish s replica 3\n\
         at 3s errors s replica 1 50%\nat 4s crash s\n",
    );
    let names: Vec<String> = w
        .faults
        .iter()
        .map(|f| match &f.kind {
            FaultKind::Crash { service, .. } | FaultKind::ErrorSpike { service, .. } => {
                service.clone()
            }
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(names, ["s#2", "s#3", "s#1", "s"]);
}

// ---- caches ----

#[test]
fn cache_options_each_and_their_defaults() {
    let cache = |opts: &str| world(&format!("cache items {opts}\n")).caches[0].clone();
    let d = Cache::new("items");
    assert_eq!(cache(""), d);
    assert_eq!(
        (d.capacity, d.ttl, d.keys, d.coalesce),
        (1000, None, Keys::Uniform { n: 10_000 }, false)
    );
    assert_eq!(cache("capacity 5").capacity, 5);
    assert_eq!(cache("ttl 30s").ttl, Some(SimTime::from_secs(30)));
    assert_eq!(cache("keys 50").keys, Keys::Uniform { n: 50 });
    assert_eq!(cache("zipf 0.9").keys, Keys::Zipf { n: 10_000, s: 0.9 });
    assert_eq!(cache("keys 50 zipf 1.2").keys, Keys::Zipf { n: 50, s: 1.2 });
    assert!(cache("coalesce").coalesce);
}

#[test]
fn call_cache_and_flush() {
    let w = world("service t\ncache items\nt GET /x:\nclient c rate 1/s -> t GET /x cache items\nat 2s flush items\n");
    assert_eq!(w.clients[0].call.cache.as_deref(), Some("items"));
    assert_eq!(w.faults, [Fault::flush("items", SimTime::from_secs(2))]);
}
