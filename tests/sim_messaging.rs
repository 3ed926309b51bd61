//! Exact scenarios for queues and pub/sub: FIFO, competing consumers, visibility timeout
//! redelivering to the other consumer, dead-lettering on the 3rd failure, capacity with reject
//! (backpressure) and drop-oldest, fan-out with per-subscription backlogs, ack deadlines and
//! attribute filters. Golden traces compare record lines with runs of spaces collapsed.

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

/// Trace lines containing `needle`, leaving out the brokers' confirms to the producers `producer`,
/// `late` and `pub` (tests of confirms use `confirm_lines`).
fn lines_with(sim: &Sim, needle: &str) -> Vec<String> {
    norm(&sim.format_trace())
        .into_iter()
        .filter(|l| l.contains(needle) && !is_confirm(l))
        .collect()
}

fn is_confirm(line: &str) -> bool {
    ["producer", "late", "pub"].iter().any(|p| {
        line.contains(&format!(" -> {p} ack ")) || line.contains(&format!(" -> {p} nack "))
    })
}

/// A producer service whose `POST /send` enqueues one `M` to `queue`; `n` requests at t = 0.
fn producer(world: World, queue: &str, n: u32) -> World {
    world
        .service(Service::new("producer").workers(100).rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue(queue, "M"),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, n),
        )
}

fn base() -> World {
    World::new()
        .duration(SimTime::from_secs(2))
        .network(Network::latency(Dist::constant_ms(1)))
}

#[test]
fn a_consumers_latency_runs_from_its_delivery_to_its_handlers_end() {
    // Three messages reach `q` at 2 ms; the one worker takes them one after another, 10 ms
    // each: each is handled in 10 ms from its delivery's arrival, whatever it waited in `q`.
    let w = producer(base(), "q", 3).queue(Queue::new("q")).service(
        Service::new("worker").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ),
    );
    let sim = run(w);
    let l = &sim.metrics().consumers[0].latency;
    assert_eq!((l.count(), l.min(), l.max()), (3, ms(10), ms(10)));
}

#[test]
fn queue_is_fifo_and_consumer_acks() {
    let w = producer(base(), "q", 3).queue(Queue::new("q")).service(
        Service::new("worker").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ),
    );
    let sim = run(w);
    let delivered: Vec<u32> = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::QueueDeliver)
        .map(|r| r.trace.0)
        .collect();
    assert_eq!(delivered, vec![0, 1, 2], "first in, first out");
    // The consumer takes its next message once its ack has reached the queue (as RabbitMQ's
    // prefetch counts unacked deliveries): one message every 12 ms.
    assert_eq!(
        lines_with(&sim, "ack"),
        vec![
            "13.000ms 14.000ms worker -> q ack q [M] OK attempt 1",
            "25.000ms 26.000ms worker -> q ack q [M] OK attempt 1",
            "37.000ms 38.000ms worker -> q ack q [M] OK attempt 1",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.accepted, m.deliveries, m.acked), (3, 3, 3));
    assert_eq!(m.max_depth(), 2);
    assert_eq!(sim.mailboxes()[0].depth + sim.mailboxes()[0].in_flight, 0);
}

#[test]
fn competing_consumers_share_the_queue_round_robin() {
    let w = producer(base(), "q", 4)
        .queue(Queue::new("q"))
        .service(Service::new("w1").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work(),
        ))
        .service(Service::new("w2").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work(),
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "deliver"),
        vec![
            "2.000ms 3.000ms q -> w1 deliver q [M] OK attempt 1",
            "2.000ms 3.000ms q -> w2 deliver q [M] OK attempt 1",
            "14.000ms 15.000ms q -> w1 deliver q [M] OK attempt 1",
            "14.000ms 15.000ms q -> w2 deliver q [M] OK attempt 1",
        ]
    );
}

#[test]
fn round_robin_cursor_advances_between_idle_consumers() {
    // One message every 20 ms, each done in 5 ms: every consumer is idle when a message comes,
    // so only the cursor decides, and it moves past the consumer it just picked. (A cursor that
    // never moved would hand every message to `w1`.)
    let mut w = base()
        .queue(Queue::new("q"))
        .service(Service::new("producer").workers(100).rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 50.0).stop(ms(75)),
        );
    for name in ["w1", "w2", "w3"] {
        w = w.service(Service::new(name).time(Dist::constant_ms(5)).consume(
            "q",
            1,
            Handler::new().work(),
        ));
    }
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "deliver"),
        vec![
            "2.000ms 3.000ms q -> w1 deliver q [M] OK attempt 1",
            "22.000ms 23.000ms q -> w2 deliver q [M] OK attempt 1",
            "42.000ms 43.000ms q -> w3 deliver q [M] OK attempt 1",
            "62.000ms 63.000ms q -> w1 deliver q [M] OK attempt 1",
        ]
    );
}

#[test]
fn visibility_timeout_redelivers_to_the_other_consumer() {
    // `slow` takes 100 ms, beyond the 50 ms visibility timeout: the message becomes visible
    // again and goes to `fast`; slow's late ack is stale.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(50)))
        .service(Service::new("slow").time(Dist::constant_ms(100)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ))
        .service(Service::new("fast").time(Dist::constant_ms(10)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ));
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 1.000ms c -> producer rest POST /send OK attempt 1
        1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1
        2.000ms 3.000ms q -> producer ack q [M] OK attempt 1
        2.000ms 3.000ms q -> slow deliver q [M] OK attempt 1
        3.000ms 4.000ms producer -> c rest-reply POST /send 200 attempt 1
        2.000ms 52.000ms q -> slow timeout q [M] REDELIVERED attempt 1
        52.000ms 53.000ms q -> fast deliver q [M] OK attempt 2
        53.000ms 63.000ms fast -> fast work q [M] OK attempt 2
        63.000ms 64.000ms fast -> q ack q [M] OK attempt 2
        3.000ms 103.000ms slow -> slow work q [M] OK attempt 1
        103.000ms 104.000ms slow -> q ack q [M] REJECTED(stale) attempt 1
        ",
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.redeliveries, m.acked, m.deliveries), (1, 1, 2));
    // Only the ack that removed the message counts as acked; slow's is counted stale.
    assert_eq!(m.stale_acks, 1);
    let (slow, fast) = (&sim.metrics().consumers[0], &sim.metrics().consumers[1]);
    assert_eq!((slow.acked, slow.stale_acks), (0, 1));
    assert_eq!((fast.acked, fast.stale_acks), (1, 0));
}

#[test]
fn third_nack_dead_letters() {
    // `nack` hands the message back at once (RabbitMQ basic.nack with requeue; SQS
    // ChangeMessageVisibility 0): redelivered without waiting for the visibility timeout.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").max_attempts(3).dlq("q-dlq"))
        .queue(Queue::new("q-dlq"))
        .service(Service::new("w").consume("q", 1, Handler::new().nack()));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "-> q "),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "3.000ms 4.000ms w -> q nack q [M] REDELIVERED attempt 1",
            "5.000ms 6.000ms w -> q nack q [M] REDELIVERED attempt 2",
            "7.000ms 8.000ms w -> q nack q [M] DEAD-LETTERED attempt 3",
        ]
    );
    assert_eq!(
        lines_with(&sim, "dead-letter"),
        vec!["8.000ms 8.000ms q -> q-dlq dead-letter q-dlq [M] DEAD-LETTERED attempt 3"]
    );
    let views = sim.mailboxes();
    assert_eq!((views[0].depth, views[0].in_flight), (0, 0));
    assert_eq!(views[1].depth, 1, "the message waits in the DLQ");
    assert_eq!(sim.metrics().mailboxes[0].dead_letters, 1);
    assert_eq!(sim.metrics().consumers[0].nacked, 3);
}

#[test]
fn a_dead_letter_refused_by_a_full_dlq_is_dropped_and_counted_there() {
    // One attempt allowed and a DLQ of capacity 0: the first nack dead-letters the message, the
    // DLQ has no room, so it is dropped (overflow) and the DLQ counts a refusal.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").max_attempts(1).dlq("q-dlq"))
        .queue(Queue::new("q-dlq").capacity(0))
        .service(Service::new("w").consume("q", 1, Handler::new().nack()));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "dead-letter"),
        vec!["4.000ms 4.000ms q -> q-dlq dead-letter q-dlq [M] DROPPED(overflow) attempt 1"]
    );
    let (q, dlq) = (&sim.metrics().mailboxes[0], &sim.metrics().mailboxes[1]);
    assert_eq!((q.dead_letters, dlq.accepted, dlq.rejected), (1, 0, 1));
}

#[test]
fn the_visibility_timer_of_a_nacked_message_waiting_again_does_nothing() {
    // The handler nacks at once, then works 100 ms: the message waits in `q` again from 4 ms,
    // with its only consumer busy. Its first delivery's visibility timer (52 ms) finds it
    // waiting, not in flight, and does nothing; the next delivery is when the worker is free.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(50)).max_attempts(2))
        .service(Service::new("w").time(Dist::constant_ms(100)).consume(
            "q",
            1,
            Handler::new().nack().work(),
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "q [M]"),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> w deliver q [M] OK attempt 1",
            "3.000ms 4.000ms w -> q nack q [M] REDELIVERED attempt 1",
            "3.000ms 103.000ms w -> w work q [M] OK attempt 1",
            "103.000ms 104.000ms q -> w deliver q [M] OK attempt 2",
            "104.000ms 105.000ms w -> q nack q [M] DEAD-LETTERED attempt 2",
            "105.000ms 105.000ms q -> q dead-letter q [M] DROPPED(no-dlq) attempt 2",
            "104.000ms 204.000ms w -> w work q [M] OK attempt 2",
        ]
    );
    assert_eq!(sim.metrics().mailboxes[0].redeliveries, 1);
}

#[test]
fn visibility_expiry_counts_towards_max_attempts_and_no_dlq_discards() {
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(20)).max_attempts(2))
        .service(Service::new("w").time(Dist::constant_ms(50)).consume(
            "q",
            2,
            Handler::new().work(),
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "q -> "),
        vec![
            "2.000ms 3.000ms q -> w deliver q [M] OK attempt 1",
            "2.000ms 22.000ms q -> w timeout q [M] REDELIVERED attempt 1",
            "22.000ms 23.000ms q -> w deliver q [M] OK attempt 2",
            "22.000ms 42.000ms q -> w timeout q [M] DEAD-LETTERED attempt 2",
            "42.000ms 42.000ms q -> q dead-letter q [M] DROPPED(no-dlq) attempt 2",
        ]
    );
}

#[test]
fn full_queue_rejects_and_pushes_back_on_the_producer() {
    let w = producer(base(), "q", 3).queue(Queue::new("q").capacity(2));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "enqueue"),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms producer -> q enqueue q [M] REJECTED(queue-full) attempt 1",
        ]
    );
    // Backpressure: the queue nacks the third message (RabbitMQ's reject-publish with publisher
    // confirms), and once that confirm reaches it the producer request fails with 503.
    assert_eq!(
        norm(&sim.format_trace())
            .into_iter()
            .filter(|l| is_confirm(l))
            .collect::<Vec<_>>(),
        vec![
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer nack q [M] OK attempt 1",
        ]
    );
    assert_eq!(
        lines_with(&sim, "rest-reply"),
        vec![
            "3.000ms 4.000ms producer -> c rest-reply POST /send 200 attempt 1",
            "3.000ms 4.000ms producer -> c rest-reply POST /send 200 attempt 1",
            "3.000ms 4.000ms producer -> c rest-reply POST /send 503 attempt 1",
        ]
    );
    assert_eq!(sim.metrics().mailboxes[0].rejected, 1);
}

#[test]
fn a_drop_oldest_queue_with_nothing_waiting_refuses_instead() {
    // Capacity 0: the queue is full with nothing waiting, so there is no oldest message to
    // drop, and the new one is refused (nack, 503) as under `reject`.
    let sim =
        run(producer(base(), "q", 1)
            .queue(Queue::new("q").capacity(0).overflow(Overflow::DropOldest)));
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.accepted, m.rejected, m.evicted), (0, 1, 0));
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(503)),
        Some(&1)
    );
}

#[test]
fn drop_oldest_evicts_the_oldest_waiting_message() {
    let w =
        producer(base(), "q", 3).queue(Queue::new("q").capacity(2).overflow(Overflow::DropOldest));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "q "),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 2.000ms q -> q discard q [M] DROPPED(overflow) attempt 1",
        ]
    );
    let discarded = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.kind == Kind::Discard)
        .expect("discard");
    assert_eq!(discarded.trace, TraceId(0), "the oldest message goes");
    assert_eq!(sim.mailboxes()[0].depth, 2);
    assert_eq!(sim.metrics().mailboxes[0].evicted, 1);
}

fn pubsub_world() -> World {
    base()
        .service(Service::new("pub").workers(10).rest(
            HttpMethod::Post,
            "/eu",
            Handler::new().publish_with("events", "E", vec![("region".into(), "eu".into())]),
        ))
        .topic(
            Topic::new("events")
                .subscription(Subscription::new("all"))
                .subscription(Subscription::new("eu").filter("region", "eu"))
                .subscription(Subscription::new("us").filter("region", "us")),
        )
        .service(Service::new("fast").time(Dist::constant_ms(1)).subscribe(
            "events",
            "all",
            1,
            Handler::new().work(),
        ))
        .service(Service::new("slow").time(Dist::constant_ms(50)).subscribe(
            "events",
            "eu",
            1,
            Handler::new().work(),
        ))
        .service(Service::new("usa").subscribe("events", "us", 1, Handler::new().work()))
        .client(
            Client::new("c", Call::rest("pub", HttpMethod::Post, "/eu"), 0.0)
                .burst(SimTime::ZERO, 3),
        )
}

#[test]
fn a_full_subscription_refuses_a_copy_and_counts_it() {
    // Capacity 1 and nobody consuming: of three publishes, the subscription keeps the first
    // copy and refuses (and counts) the other two; the topic still confirms every publish.
    let w = base()
        .service(Service::new("pub").workers(10).rest(
            HttpMethod::Post,
            "/eu",
            Handler::new().publish("events", "E"),
        ))
        .topic(Topic::new("events").subscription(Subscription::new("all").capacity(1)))
        .client(
            Client::new("c", Call::rest("pub", HttpMethod::Post, "/eu"), 0.0)
                .burst(SimTime::ZERO, 3),
        );
    let sim = run(w);
    assert_eq!(lines_with(&sim, "REJECTED(queue-full)").len(), 2);
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.accepted, m.rejected), (1, 2));
    assert_eq!(
        sim.metrics().clients[0].outcomes.get(&Status::Http(200)),
        Some(&3)
    );
}

#[test]
fn pubsub_fans_out_with_per_subscription_backlogs_and_filters() {
    let sim = run(pubsub_world());
    let fanouts = lines_with(&sim, "fanout");
    assert_eq!(fanouts.len(), 6, "3 messages x 2 matching subscriptions");
    assert!(fanouts.iter().all(|l| !l.contains("events/us")));
    assert_eq!(
        fanouts[0],
        "2.000ms 2.000ms events -> events/all fanout events/all [E] OK attempt 1"
    );
    let m = &sim.metrics().mailboxes;
    // Mailboxes: events/all, events/eu, events/us.
    assert_eq!(m[0].accepted, 3);
    assert_eq!(m[1].accepted, 3);
    assert_eq!((m[2].accepted, m[2].filtered), (0, 3));
    // Each subscription keeps its own backlog: the slow one holds 2 waiting at peak.
    assert_eq!(m[1].max_depth(), 2);
    assert_eq!(m[0].max_depth(), 2);
    assert_eq!(sim.metrics().consumers[0].acked, 3);
    assert_eq!(sim.metrics().consumers[1].acked, 3);
    assert_eq!(sim.metrics().consumers[2].delivered, 0);
    let deliveries = sim
        .trace()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::SubscriptionDeliver)
        .count();
    assert_eq!(deliveries, 6);
    let r = sim
        .trace()
        .records()
        .iter()
        .find(|r| r.kind == Kind::SubscriptionDeliver)
        .expect("delivery");
    assert_eq!(sim.mechanism(r), Mechanism::PubSub);
}

#[test]
fn lost_ack_is_redelivered_after_the_ack_deadline() {
    // The first ack is lost (loss fault on the consumer's link from 20 to 30 ms): the
    // subscription redelivers after its 30 ms ack deadline — at-least-once delivery.
    let w = base()
        .service(Service::new("pub").rest(
            HttpMethod::Post,
            "/x",
            Handler::new().publish("events", "E"),
        ))
        .topic(Topic::new("events").subscription(Subscription::new("s").ack_deadline(ms(30))))
        .service(Service::new("sub").time(Dist::constant_ms(20)).subscribe(
            "events",
            "s",
            1,
            Handler::new().work().ack(),
        ))
        .client(
            Client::new("c", Call::rest("pub", HttpMethod::Post, "/x"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .fault(Fault::loss(
            LinkSelector::Between("sub".into(), "events/s".into()),
            1.0,
            ms(20),
            ms(10),
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "[E]")[1..],
        [
            "2.000ms 2.000ms events -> events/s fanout events/s [E] OK attempt 1",
            "2.000ms 3.000ms events/s -> sub deliver events/s [E] OK attempt 1",
            "3.000ms 23.000ms sub -> sub work events/s [E] OK attempt 1",
            "23.000ms 24.000ms sub -> events/s ack events/s [E] DROPPED(loss) attempt 1",
            "2.000ms 32.000ms events/s -> sub timeout events/s [E] REDELIVERED attempt 1",
            "32.000ms 33.000ms events/s -> sub deliver events/s [E] OK attempt 2",
            "33.000ms 53.000ms sub -> sub work events/s [E] OK attempt 2",
            "53.000ms 54.000ms sub -> events/s ack events/s [E] OK attempt 2",
        ]
    );
    // Processed twice: at-least-once.
    assert_eq!(sim.metrics().consumers[0].delivered, 2);
    assert_eq!(sim.metrics().mailboxes[0].acked, 1);
}

#[test]
fn delivery_cause_chain_reaches_the_client_request() {
    let sim = run(pubsub_world());
    let recs = sim.trace().records();
    let work = recs
        .iter()
        .find(|r| r.kind == Kind::Work && r.from == sim.node_id("slow").expect("slow"))
        .expect("work");
    let mut kinds = vec![work.kind];
    let mut cur = *work;
    while let Some(c) = cur.cause {
        cur = recs[c.0 as usize];
        kinds.push(cur.kind);
    }
    assert_eq!(
        kinds,
        vec![
            Kind::Work,
            Kind::SubscriptionDeliver,
            Kind::Fanout,
            Kind::Publish,
            Kind::RestRequest
        ]
    );
    assert!(recs.iter().all(|r| r.cause.is_none_or(|c| c < r.id)));
}

#[test]
fn a_confirm_is_caused_by_the_send_it_answers() {
    // The broker's ack to the producer hangs under the enqueue it confirms, which hangs under
    // the client's request: enqueue → confirm, not request → confirm.
    let sim = run(producer(base(), "q", 1).queue(Queue::new("q")));
    let recs = sim.trace().records();
    let producer = sim.node_id("producer").expect("producer");
    let kinds_above = |r: &Record| {
        let mut kinds = vec![r.kind];
        let mut cur = *r;
        while let Some(c) = cur.cause {
            cur = recs[c.0 as usize];
            kinds.push(cur.kind);
        }
        kinds
    };
    let confirm = recs
        .iter()
        .find(|r| r.kind == Kind::Ack && r.to == producer)
        .expect("confirm");
    assert_eq!(
        kinds_above(confirm),
        vec![Kind::Ack, Kind::Enqueue, Kind::RestRequest]
    );
}

#[test]
fn capacity_counts_waiting_messages_not_deliveries_in_flight() {
    // Capacity 1, two messages at once: the first is delivered at once (in flight, not yet
    // acked), so the second still finds room. As with RabbitMQ's `max-length`, only ready
    // messages count. A third, arriving while the second waits, is refused.
    let w = producer(base(), "q", 2)
        .queue(Queue::new("q").capacity(1))
        .service(Service::new("w").time(Dist::constant_ms(100)).consume(
            "q",
            1,
            Handler::new().work(),
        ))
        .service(Service::new("late").rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "L"),
        ))
        .client(
            Client::new("c2", Call::rest("late", HttpMethod::Post, "/send"), 0.0).burst(ms(10), 1),
        );
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "enqueue"),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "11.000ms 12.000ms late -> q enqueue q [L] REJECTED(queue-full) attempt 1",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.accepted, m.rejected, m.deliveries), (2, 1, 2));
}

#[test]
fn failing_queue_consumer_does_not_ack_and_the_message_returns_after_visibility() {
    // SQS has no nack: a consumer whose handler fails does not delete the message, which comes
    // back when its 50 ms visibility timeout ends (not at once), and is dead-lettered after
    // its 2nd attempt. No nack travels to the queue.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(50)).max_attempts(2))
        .service(Service::new("w").consume("q", 1, Handler::new().fail(1.0)));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, " q "),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> w deliver q [M] OK attempt 1",
            "2.000ms 52.000ms q -> w timeout q [M] REDELIVERED attempt 1",
            "52.000ms 53.000ms q -> w deliver q [M] OK attempt 2",
            "52.000ms 102.000ms q -> w timeout q [M] DEAD-LETTERED attempt 2",
            "102.000ms 102.000ms q -> q dead-letter q [M] DROPPED(no-dlq) attempt 2",
        ]
    );
    let c = &sim.metrics().consumers[0];
    assert_eq!((c.delivered, c.acked, c.nacked, c.failed), (2, 0, 0, 2));
}

#[test]
fn failing_subscriber_nacks_at_once() {
    // Pub/Sub client libraries nack a message whose callback raised: redelivered at once.
    let w = base()
        .service(Service::new("pub").rest(
            HttpMethod::Post,
            "/x",
            Handler::new().publish("events", "E"),
        ))
        .topic(Topic::new("events").subscription(Subscription::new("s").max_attempts(2)))
        .service(Service::new("sub").subscribe("events", "s", 1, Handler::new().fail(1.0)))
        .client(
            Client::new("c", Call::rest("pub", HttpMethod::Post, "/x"), 0.0)
                .burst(SimTime::ZERO, 1),
        );
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, "nack"),
        vec![
            "3.000ms 4.000ms sub -> events/s nack events/s [E] REDELIVERED attempt 1",
            "5.000ms 6.000ms sub -> events/s nack events/s [E] DEAD-LETTERED attempt 2",
        ]
    );
}

#[test]
fn late_ack_with_the_latest_receipt_handle_still_deletes_the_message() {
    // The only consumer takes 100 ms, beyond the 50 ms visibility timeout. The message becomes
    // visible again at 52 ms, but nobody receives it (the consumer is busy), so its receipt
    // handle is still the latest: as with SQS DeleteMessage, the late ack deletes it. It is
    // not processed a second time.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(50)))
        .service(Service::new("w").time(Dist::constant_ms(100)).consume(
            "q",
            1,
            Handler::new().work().ack(),
        ));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, " q "),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> w deliver q [M] OK attempt 1",
            "2.000ms 52.000ms q -> w timeout q [M] REDELIVERED attempt 1",
            "3.000ms 103.000ms w -> w work q [M] OK attempt 1",
            "103.000ms 104.000ms w -> q ack q [M] OK attempt 1",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.deliveries, m.acked, m.stale_acks), (1, 1, 0));
    assert_eq!(sim.mailboxes()[0].depth, 0, "deleted, not delivered again");
}

/// One message published to `events`, subscription `s` with a 30 ms ack deadline, handled by
/// `sub` in 100 ms; `max_extension` sets the subscriber's lease management limit.
fn slow_subscriber(max_extension: Option<SimTime>) -> World {
    let mut sub = Service::new("sub").time(Dist::constant_ms(100)).subscribe(
        "events",
        "s",
        1,
        Handler::new().work().ack(),
    );
    if let Some(t) = max_extension {
        sub = sub.max_extension(t);
    }
    base()
        .service(Service::new("pub").rest(
            HttpMethod::Post,
            "/x",
            Handler::new().publish("events", "E"),
        ))
        .topic(Topic::new("events").subscription(Subscription::new("s").ack_deadline(ms(30))))
        .service(sub)
        .client(
            Client::new("c", Call::rest("pub", HttpMethod::Post, "/x"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
}

#[test]
fn lease_management_extends_the_ack_deadline_of_a_slow_subscriber() {
    // Pub/Sub client libraries extend the lease of a message still being handled (by default
    // up to an hour): the 100 ms handler outlives its 30 ms ack deadline three times, and its
    // ack still removes the message; nothing is redelivered.
    let sim = run(slow_subscriber(None));
    assert_eq!(
        lines_with(&sim, "[E]")[2..],
        [
            "2.000ms 3.000ms events/s -> sub deliver events/s [E] OK attempt 1",
            "3.000ms 103.000ms sub -> sub work events/s [E] OK attempt 1",
            "103.000ms 104.000ms sub -> events/s ack events/s [E] OK attempt 1",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.extensions, m.redeliveries, m.acked), (3, 0, 1));
}

#[test]
fn lease_management_stops_at_its_maximum_extension() {
    // With at most 50 ms of extension, the lease is extended once (to 52 ms after delivery at
    // 2 ms) and then expires: the message is redelivered while the first handler still runs.
    let sim = run(slow_subscriber(Some(ms(50))));
    assert_eq!(
        lines_with(&sim, "[E]")[2..5],
        [
            "2.000ms 3.000ms events/s -> sub deliver events/s [E] OK attempt 1",
            "2.000ms 52.000ms events/s -> sub timeout events/s [E] REDELIVERED attempt 1",
            "3.000ms 103.000ms sub -> sub work events/s [E] OK attempt 1",
        ]
    );
    assert_eq!(sim.metrics().mailboxes[0].extensions, 1);
}

#[test]
fn queue_consumer_extends_visibility_up_to_its_maximum() {
    // As with SQS ChangeMessageVisibility: a consumer set to extend the visibility of messages
    // it still handles (up to 1 s) keeps the 100 ms job invisible past its 50 ms timeout, so
    // the idle second consumer never gets a copy.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").visibility(ms(50)))
        .service(
            Service::new("slow")
                .time(Dist::constant_ms(100))
                .consume("q", 1, Handler::new().work().ack())
                .max_extension(SimTime::from_secs(1)),
        )
        .service(Service::new("idle").consume("q", 1, Handler::new().ack()));
    let sim = run(w);
    assert_eq!(
        lines_with(&sim, " q "),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> slow deliver q [M] OK attempt 1",
            "3.000ms 103.000ms slow -> slow work q [M] OK attempt 1",
            "103.000ms 104.000ms slow -> q ack q [M] OK attempt 1",
        ]
    );
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.extensions, m.deliveries, m.acked), (2, 1, 1));
}

/// Trace lines of the producer's sends, the broker's confirms and the producer's timeouts.
fn producer_lines(sim: &Sim) -> Vec<String> {
    norm(&sim.format_trace())
        .into_iter()
        .filter(|l| {
            is_confirm(l)
                || l.contains(" enqueue ")
                || l.contains(" -> producer timeout ")
                || l.contains("rest-reply")
        })
        .collect()
}

#[test]
fn lost_confirm_times_out_and_the_retry_duplicates_the_message() {
    // The message reaches the queue at 2 ms, but its confirm is lost (100% loss between producer
    // and queue from 2 to 3 ms). The producer waits its 50 ms confirm timeout, sends again, and
    // this time hears back: the queue now holds the message twice.
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").confirms(ms(50), 1))
        .fault(Fault::loss(
            LinkSelector::Between("producer".into(), "q".into()),
            1.0,
            ms(2),
            ms(1),
        ));
    let sim = run(w);
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] DROPPED(loss) attempt 1",
            "1.000ms 51.000ms q -> producer timeout q [M] TIMEOUT attempt 1",
            "51.000ms 52.000ms producer -> q enqueue q [M] OK attempt 2",
            "52.000ms 53.000ms q -> producer ack q [M] OK attempt 2",
            "53.000ms 54.000ms producer -> c rest-reply POST /send 200 attempt 1",
        ]
    );
    assert_eq!(sim.mailboxes()[0].depth, 2, "a duplicate");
}

#[test]
fn lost_enqueue_fails_the_producer_only_after_its_confirm_timeout() {
    // The message itself is lost: the producer learns nothing until its confirm timeout ends;
    // with no retries left it then fails (503).
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").confirms(ms(50), 0))
        .fault(Fault::loss(
            LinkSelector::Between("producer".into(), "q".into()),
            1.0,
            SimTime::ZERO,
            ms(10),
        ));
    let sim = run(w);
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] DROPPED(loss) attempt 1",
            "1.000ms 51.000ms q -> producer timeout q [M] TIMEOUT attempt 1",
            "51.000ms 52.000ms producer -> c rest-reply POST /send 503 attempt 1",
        ]
    );
}

#[test]
fn each_send_that_gets_no_confirm_times_out_under_its_own_attempt() {
    // Everything between producer and queue is lost for 200 ms, and the queue allows one
    // retry: the first send times out as attempt 1, the retry as attempt 2, then the producer
    // fails (503).
    let w = producer(base(), "q", 1)
        .queue(Queue::new("q").confirms(ms(50), 1))
        .fault(Fault::loss(
            LinkSelector::Between("producer".into(), "q".into()),
            1.0,
            SimTime::ZERO,
            ms(200),
        ));
    let sim = run(w);
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] DROPPED(loss) attempt 1",
            "1.000ms 51.000ms q -> producer timeout q [M] TIMEOUT attempt 1",
            "51.000ms 52.000ms producer -> q enqueue q [M] DROPPED(loss) attempt 2",
            "51.000ms 101.000ms q -> producer timeout q [M] TIMEOUT attempt 2",
            "101.000ms 102.000ms producer -> c rest-reply POST /send 503 attempt 1",
        ]
    );
}

#[test]
fn publisher_waits_for_the_topic_confirm() {
    // A publish resumes its handler only when the topic's confirm arrives: a round trip.
    let sim = run(pubsub_world());
    let lines = norm(&sim.format_trace());
    let first = |needle: &str| lines.iter().find(|l| l.contains(needle)).cloned();
    assert_eq!(
        [first(" -> pub ack "), first("rest-reply")],
        [
            Some("2.000ms 3.000ms events -> pub ack events [E] OK attempt 1".to_string()),
            Some("3.000ms 4.000ms pub -> c rest-reply POST /eu 200 attempt 1".to_string()),
        ]
    );
}

#[test]
fn a_confirm_slower_than_the_timeout_ends_the_wait_and_the_retrys_confirm_is_late() {
    // A 1 ms confirm timeout on a 1 ms network: the producer sends again at 2 ms, before the
    // first confirm can arrive (3 ms). That confirm still ends the wait; the retry's own confirm
    // finds nobody waiting (LATE), and the queue holds the message twice.
    let w = producer(base(), "q", 1).queue(Queue::new("q").confirms(ms(1), 1));
    let sim = run(w);
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms q -> producer timeout q [M] TIMEOUT attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 3.000ms producer -> q enqueue q [M] OK attempt 2",
            "3.000ms 4.000ms producer -> c rest-reply POST /send 200 attempt 1",
            "3.000ms 4.000ms q -> producer ack q [M] OK attempt 2 LATE",
        ]
    );
    assert_eq!(sim.mailboxes()[0].depth, 2);
}

#[test]
fn a_retrys_late_confirm_does_not_resume_a_producer_that_has_moved_on() {
    // As above (a 1 ms confirm timeout on a 1 ms network), but the handler works 10 ms after
    // its enqueue: the first confirm (3 ms) resumes it; the retry's confirm arrives (4 ms)
    // while that work runs, finds nobody waiting for it (LATE), and does not cut the work
    // short: the producer answers when its work ends (13 ms).
    let w = base()
        .service(Service::new("producer").time(Dist::constant_ms(10)).rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M").work(),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .queue(Queue::new("q").confirms(ms(1), 1));
    let sim = run(w);
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "1.000ms 2.000ms q -> producer timeout q [M] TIMEOUT attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "2.000ms 3.000ms producer -> q enqueue q [M] OK attempt 2",
            "3.000ms 4.000ms q -> producer ack q [M] OK attempt 2 LATE",
            "13.000ms 14.000ms producer -> c rest-reply POST /send 200 attempt 1",
        ]
    );
}

/// A producer whose `POST /send` runs `handler` (its `work` 100 ms), one request at t = 0, and
/// queue `q` confirming within 50 ms, with one retry.
fn producer_of(handler: Handler) -> World {
    base()
        .service(Service::new("producer").time(Dist::constant_ms(100)).rest(
            HttpMethod::Post,
            "/send",
            handler,
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .queue(Queue::new("q").confirms(ms(50), 1))
}

#[test]
fn the_confirm_timer_of_an_answered_send_does_nothing() {
    // The confirm comes at 3 ms; the handler then works 100 ms, past the send's 50 ms confirm
    // timer (51 ms), which finds the send answered: no timeout, no second send.
    let sim = run(producer_of(Handler::new().enqueue("q", "M").work()));
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "103.000ms 104.000ms producer -> c rest-reply POST /send 200 attempt 1",
        ]
    );
    // Two enqueues, the second lost: at 51 ms the first send's timer finds the handler waiting
    // for another send, and does nothing; the second send's own timer (53 ms) sends it again.
    let sim = run(
        producer_of(Handler::new().enqueue("q", "M").enqueue("q", "N")).fault(Fault::loss(
            LinkSelector::Between("producer".into(), "q".into()),
            1.0,
            ms(3),
            ms(5),
        )),
    );
    assert_eq!(
        producer_lines(&sim),
        vec![
            "1.000ms 2.000ms producer -> q enqueue q [M] OK attempt 1",
            "2.000ms 3.000ms q -> producer ack q [M] OK attempt 1",
            "3.000ms 4.000ms producer -> q enqueue q [N] DROPPED(loss) attempt 1",
            "3.000ms 53.000ms q -> producer timeout q [N] TIMEOUT attempt 1",
            "53.000ms 54.000ms producer -> q enqueue q [N] OK attempt 2",
            "54.000ms 55.000ms q -> producer ack q [N] OK attempt 2",
            "55.000ms 56.000ms producer -> c rest-reply POST /send 200 attempt 1",
        ]
    );
}

#[test]
fn a_message_back_from_its_visibility_timeout_is_never_refused_by_a_full_queue() {
    // Capacity 1, two consumer slots whose handlers take 100 ms and fail. Two messages are
    // accepted (each is in flight, not waiting, when the next arrives); both come back at
    // their 50 ms visibility timeouts while the slots are still busy, so two wait: capacity
    // limits what producers may add (RabbitMQ: "messages published beyond the limit"), never a
    // message the queue already holds. A third message sent meanwhile is refused.
    let w = base()
        .service(Service::new("producer").workers(100).rest(
            HttpMethod::Post,
            "/send",
            Handler::new().enqueue("q", "M"),
        ))
        .client(
            Client::new("c", Call::rest("producer", HttpMethod::Post, "/send"), 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(5), 1)
                .burst(ms(60), 1),
        )
        .queue(Queue::new("q").capacity(1).visibility(ms(50)))
        .service(Service::new("w").consume(
            "q",
            2,
            Handler::new().work_for(Dist::constant_ms(100)).fail(1.0),
        ));
    let mut sim = Sim::new(w, 1).unwrap();
    let mut most = 0;
    while sim.step().is_some() && sim.now() < ms(100) {
        most = most.max(sim.mailboxes()[0].depth);
    }
    assert_eq!(most, 2);
    let m = &sim.metrics().mailboxes[0];
    assert_eq!((m.accepted, m.rejected), (2, 1));
}
