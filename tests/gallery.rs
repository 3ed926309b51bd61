//! The built-in gallery: every entry parses, is canonical, compiles to a world the engine accepts,
//! fits in a share link, runs to its duration within the event budget, and shows the behaviour
//! it teaches.

use switchboard::scenario::{self, gallery, link};

#[test]
fn there_are_enough_entries_with_unique_ids() {
    assert!(gallery::GALLERY.len() >= 9);
    let mut ids: Vec<&str> = gallery::GALLERY.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), gallery::GALLERY.len());
    assert_eq!(gallery::default_example().id, "checkout");
    assert_eq!(
        gallery::find("backpressure").map(|e| e.id),
        Some("backpressure")
    );
}

#[test]
fn every_entry_is_canonical_and_compiles() {
    for e in gallery::GALLERY {
        let compiled = match scenario::compile(e.text) {
            Ok(c) => c,
            Err(ds) => panic!(
                "{}:\n{}",
                e.id,
                ds.iter()
                    .map(|d| d.render(e.id))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        assert_eq!(
            scenario::format(&compiled.scenario),
            e.text,
            "{} is not canonical",
            e.id
        );
        assert_eq!(
            compiled.seed, e.seed,
            "{}: header seed differs from the entry's",
            e.id
        );
        assert_eq!(
            compiled.scenario.name, e.id,
            "{}: scenario name should be its id",
            e.id
        );
        assert!(!e.title.is_empty() && e.explanation.len() > 80, "{}", e.id);
    }
}

#[test]
fn every_entry_round_trips_through_a_short_link() {
    let mut longest = (0, "");
    for e in gallery::GALLERY {
        let frag = link::encode_text(e.text);
        let (text, model) = link::decode(&frag).expect(e.id);
        assert_eq!(text, e.text);
        assert_eq!(scenario::format(&model), e.text);
        if frag.len() > longest.0 {
            longest = (frag.len(), e.id);
        }
    }
    println!("longest gallery link: {} chars ({})", longest.0, longest.1);
    assert!(longest.0 <= 2000, "{} is {} chars", longest.1, longest.0);
}

// ---------------------------------------------------------------------------------------------
// Running the gallery: each entry finishes, and shows what it teaches.

use switchboard::sim::{
    ClientMetrics, ConsumerMetrics, EndpointMetrics, GrpcCode, Kind, MailboxMetrics, NodeKind,
    Outcome, Record, Records, Sim, SimTime, Status, StopReason,
};

struct Run {
    sim: Sim,
    stop: StopReason,
}

fn run(id: &str) -> Run {
    let e = gallery::find(id).expect("gallery entry");
    let c = scenario::compile(e.text).expect("compiles");
    let mut sim = Sim::new(c.world, e.seed).expect("engine accepts the world");
    let stop = sim.run_to_end();
    Run { sim, stop }
}

const S: u64 = 1_000_000;

impl Run {
    fn endpoint(&self, label: &str) -> &EndpointMetrics {
        let m = &self.sim.metrics().endpoints;
        let i = (0..m.len())
            .find(|&i| self.sim.endpoint_label(i) == label)
            .unwrap_or_else(|| {
                panic!(
                    "no endpoint {label}; have {:?}",
                    (0..m.len())
                        .map(|i| self.sim.endpoint_label(i))
                        .collect::<Vec<_>>()
                )
            });
        &m[i]
    }
    fn consumer(&self, label: &str) -> &ConsumerMetrics {
        let m = &self.sim.metrics().consumers;
        let i = (0..m.len())
            .find(|&i| self.sim.consumer_label(i) == label)
            .unwrap_or_else(|| panic!("no consumer {label}"));
        &m[i]
    }
    fn nth_of(&self, kind: NodeKind, name: &str) -> usize {
        let nodes = self.sim.nodes();
        let node = nodes
            .iter()
            .find(|n| n.name == name && n.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} {name}"));
        node.index as usize
    }
    fn client(&self, name: &str) -> &ClientMetrics {
        &self.sim.metrics().clients[self.nth_of(NodeKind::Client, name)]
    }
    fn mailbox(&self, name: &str) -> &MailboxMetrics {
        let m = &self.sim.metrics().mailboxes;
        let id = self
            .sim
            .node_id(name)
            .unwrap_or_else(|| panic!("no node {name}"));
        let i = (0..m.len())
            .find(|&i| self.sim.mailbox_node(i) == Some(id))
            .unwrap_or_else(|| panic!("{name} is not a mailbox"));
        &m[i]
    }
    fn final_depth(&self, name: &str) -> u32 {
        self.mailbox(name)
            .series
            .points
            .last()
            .map_or(0, |p| p.depth)
    }
    fn records(&self) -> Records<'_> {
        self.sim.trace().records()
    }
    /// Responses `server → caller` (REST or RPC) as (request sent, latency, outcome).
    fn responses(&self, server: &str, caller: &str) -> Vec<(SimTime, SimTime, Outcome)> {
        let (from, to) = (
            self.sim.node_id(server).unwrap(),
            self.sim.node_id(caller).unwrap(),
        );
        let mut out = Vec::new();
        for r in self.records() {
            if matches!(
                r.kind,
                Kind::RestResponse | Kind::RpcResponse | Kind::Timeout
            ) && r.from == from
                && r.to == to
                && !r.late
            {
                let sent = match r.kind {
                    Kind::Timeout => r.send,
                    _ => r
                        .cause
                        .and_then(|c| self.sim.trace().get(c))
                        .map_or(r.send, |q| q.send),
                };
                out.push((sent, r.recv - sent, r.outcome));
            }
        }
        out
    }
}

/// (successes, total) among responses whose request was sent in `[from, to)` seconds.
fn success(rs: &[(SimTime, SimTime, Outcome)], from: u64, to: u64) -> (usize, usize) {
    let window: Vec<_> = rs
        .iter()
        .filter(|(s, _, _)| s.0 >= from * S && s.0 < to * S)
        .collect();
    (
        window.iter().filter(|(_, _, o)| o.is_success()).count(),
        window.len(),
    )
}

/// Median latency (ms) of responses whose request was sent in `[from, to)` seconds.
fn median_ms(rs: &[(SimTime, SimTime, Outcome)], from: u64, to: u64) -> f64 {
    let mut v: Vec<u64> = rs
        .iter()
        .filter(|(s, _, _)| s.0 >= from * S && s.0 < to * S)
        .map(|(_, l, _)| l.0)
        .collect();
    assert!(!v.is_empty(), "no responses in [{from}s, {to}s)");
    v.sort_unstable();
    v[v.len() / 2] as f64 / 1000.0
}

#[test]
fn every_entry_runs_to_its_duration_within_the_budget() {
    for e in gallery::GALLERY {
        let r = run(e.id);
        let duration = scenario::parse(e.text).unwrap().duration.as_micros();
        assert_eq!(
            r.stop,
            StopReason::Finished {
                at: SimTime(duration)
            },
            "{}",
            e.id
        );
        assert!(r.sim.metrics().totals.requests > 0, "{}", e.id);
    }
}

/// The message log lists records in trace order and shows each one's `recv` (when it arrived,
/// ended or was decided): that column must never go back in time down the log.
#[test]
fn records_are_appended_in_the_order_of_their_recv_time() {
    for e in gallery::GALLERY {
        let r = run(e.id);
        let records = r.sim.trace().records();
        let back = records
            .iter()
            .zip(records.iter().skip(1))
            .map(|(a, b)| [*a, *b])
            .find(|w| w[1].recv < w[0].recv);
        assert!(
            back.is_none(),
            "{}: #{} at {:?} comes after #{} at {:?}",
            e.id,
            back.map_or(0, |w| w[1].id.0),
            back.map(|w| w[1].recv),
            back.map_or(0, |w| w[0].id.0),
            back.map(|w| w[0].recv),
        );
    }
}

#[test]
fn the_default_entry_is_deterministic() {
    let a = run(gallery::default_example().id);
    let b = run(gallery::default_example().id);
    assert_eq!(a.sim.trace_hash(), b.sim.trace_hash());
    assert_eq!(a.sim.trace().len(), b.sim.trace().len());
}

#[test]
fn checkout_keeps_answering_while_payments_is_down() {
    let r = run("checkout");
    let web = r.client("web");
    assert!(
        web.errors * 100 <= web.completed,
        "checkout errors {} of {}",
        web.errors,
        web.completed
    );
    // During the payments crash (30–40 s) checkouts still succeed (but for the odd message
    // lost to the network's 0.1% loss)…
    let (ok, total) = success(&r.responses("gateway", "web"), 30, 40);
    assert!(
        total > 150 && ok * 100 >= total * 97,
        "{ok}/{total} during the crash"
    );
    // …while charges pile up in the queue, come back after their visibility timeout, and drain.
    let q = r.mailbox("payments-q");
    assert!(q.max_depth() >= 100, "max depth {}", q.max_depth());
    assert!(q.redeliveries > 0);
    assert!(
        r.final_depth("payments-q") <= 10,
        "final depth {}",
        r.final_depth("payments-q")
    );
    // The partition (20–25 s) holds deliveries up: TCP gets them through seconds later, after
    // their 2 s visibility timeout.
    let held_up = r
        .records()
        .iter()
        .filter(|x| x.kind == Kind::QueueDeliver && x.send >= SimTime::from_secs(20))
        .filter(|x| x.send < SimTime::from_secs(25) && x.duration() > SimTime::from_secs(2))
        .count();
    assert!(held_up > 0, "deliveries held up by the partition");
    // Every successful order's event reached the email subscriber (an order can fail after
    // publishing, if its enqueue fails; a publish whose confirm was lost is sent again, and may
    // reach it twice).
    let emails = r.mailbox("order-events/emails");
    let orders = &r.endpoint("orders CreateOrder").replies;
    let ok = orders
        .get(&Status::Grpc(GrpcCode::Ok))
        .copied()
        .unwrap_or(0);
    assert!(
        emails.accepted >= ok && emails.accepted <= orders.values().sum::<u64>() + 10,
        "{} events, {ok} orders",
        emails.accepted
    );
}

#[test]
fn rest_chain_latency_adds_up_and_a_deep_slowdown_surfaces_at_the_top() {
    let r = run("rest-chain");
    let page = r.responses("frontend", "browser");
    let before = median_ms(&page, 2, 20);
    let during = median_ms(&page, 21, 29);
    // Three hops of work (5 + 10 + 8 ms) and six network legs: tens of ms…
    assert!((23.0..60.0).contains(&before), "median before {before} ms");
    // …and +100 ms each way between catalog and inventory adds ≥ 200 ms at the top.
    assert!(
        during >= before + 200.0,
        "median during {during} ms vs {before} ms"
    );
    assert!(median_ms(&page, 32, 40) < 60.0);
    assert_eq!(r.endpoint("frontend GET /page").errors, 0);
}

#[test]
fn grpc_deadlines_propagate_down_the_chain() {
    let r = run("grpc-deadline");
    let (risk, pricing, app) = (
        r.sim.node_id("risk").unwrap(),
        r.sim.node_id("pricing").unwrap(),
        r.sim.node_id("app").unwrap(),
    );
    // When each client request started.
    let mut started = std::collections::BTreeMap::new();
    for rec in r.records() {
        if rec.kind == Kind::RpcRequest && rec.from == app {
            started.entry(rec.trace).or_insert(rec.send);
        }
    }
    // pricing → risk gives up when the client's 250 ms are spent, not after its own 1 s.
    let mut timeouts = 0;
    for rec in r
        .records()
        .iter()
        .filter(|x| x.kind == Kind::Timeout && x.from == risk && x.to == pricing)
    {
        let start = started[&rec.trace];
        assert!(
            rec.recv.0 <= start.0 + 250_000,
            "deadline not propagated: {}",
            r.sim.format_record(rec)
        );
        assert!(rec.recv - rec.send < SimTime(250_000));
        timeouts += 1;
    }
    assert!(timeouts >= 5, "only {timeouts} propagated deadlines hit");
    let quotes = r.endpoint("quotes GetQuote");
    assert!(quotes.errors >= 5);
    assert!(
        quotes.latency.max() <= SimTime(251_000),
        "quotes answered after the deadline"
    );
    // Risk still did the work nobody waited for.
    assert_eq!(r.endpoint("risk Score").errors, 0);
    assert!(r.endpoint("risk Score").latency.max() > SimTime(250_000));
}

#[test]
fn a_queue_absorbs_a_burst() {
    let r = run("queue-burst");
    let api = r.endpoint("api POST /jobs");
    assert_eq!(api.errors, 0);
    // Each upload holds an API worker for its work and the queue's confirm (a round trip).
    assert!(
        api.latency.p99() < SimTime(100_000),
        "api p99 {}",
        api.latency.p99()
    );
    let jobs = r.mailbox("jobs");
    assert!(jobs.max_depth() >= 400, "max depth {}", jobs.max_depth());
    assert_eq!(r.final_depth("jobs"), 0, "the burst drains");
    let acked: u64 = ["worker-1 <- jobs", "worker-2 <- jobs", "worker-3 <- jobs"]
        .iter()
        .map(|c| r.consumer(c).acked)
        .sum();
    assert!(
        acked + 6 >= jobs.accepted,
        "{acked} of {} done",
        jobs.accepted
    );
    // The three workers share the work.
    for c in ["worker-1 <- jobs", "worker-2 <- jobs", "worker-3 <- jobs"] {
        assert!(r.consumer(c).acked * 4 >= acked, "{c} did little");
    }
}

#[test]
fn pubsub_fans_out_to_every_subscription_and_filters() {
    let r = run("pubsub-fanout");
    let eu = r
        .endpoint("shop POST /orders/eu")
        .replies
        .values()
        .sum::<u64>();
    let us = r
        .endpoint("shop POST /orders/us")
        .replies
        .values()
        .sum::<u64>();
    assert_eq!(r.mailbox("orders/email").accepted, eu + us);
    assert_eq!(r.mailbox("orders/analytics").accepted, eu + us);
    assert_eq!(r.mailbox("orders/shipping-eu").accepted, eu);
    assert_eq!(r.mailbox("orders/shipping-eu").filtered, us);
    // The slow subscriber's backlog grows; the others stay empty.
    assert!(r.mailbox("orders/analytics").max_depth() >= 100);
    assert!(r.mailbox("orders/email").max_depth() <= 5);
    assert!(r.mailbox("orders/shipping-eu").max_depth() <= 5);
}

#[test]
fn sync_fails_with_its_dependency_async_buffers() {
    let r = run("sync-vs-async");
    let sync = r.responses("signup-sync", "users-a");
    let asyn = r.responses("signup-async", "users-b");
    // Before the crash both succeed; during it the synchronous sign-up fails…
    assert_eq!(success(&sync, 0, 14).0, success(&sync, 0, 14).1);
    let (ok, total) = success(&sync, 16, 29);
    assert!(
        ok * 10 < total,
        "sync: {ok}/{total} succeeded during the crash"
    );
    // …while the asynchronous one does not notice, and stays fast.
    let (ok, total) = success(&asyn, 0, 50);
    assert_eq!(ok, total);
    assert!(r.client("users-b").latency.p99() < SimTime(50_000));
    // The queue held the mails and delivered them once the mailer was back.
    let q = r.mailbox("welcome-mails");
    assert!(q.max_depth() >= 200, "max depth {}", q.max_depth());
    assert_eq!(r.final_depth("welcome-mails"), 0);
    assert!(r.consumer("mailer-async <- welcome-mails").acked + 4 >= q.accepted);
}

#[test]
fn retry_storm_naive_stays_down_careful_recovers() {
    let r = run("retry-storm");
    let naive = r.responses("naive-api", "naive-users");
    let careful = r.responses("careful-api", "careful-users");
    // Both are healthy before the slowdown.
    for rs in [&naive, &careful] {
        let (ok, total) = success(rs, 0, 10);
        assert!(ok * 100 >= total * 99);
    }
    // Long after it ended, the naive side is still failing; the careful side is fine.
    let (ok, total) = success(&naive, 25, 38);
    assert!(
        total > 500 && ok * 10 < total,
        "naive: {ok}/{total} after the slowdown"
    );
    let (ok, total) = success(&careful, 20, 38);
    assert!(
        total > 500 && ok == total,
        "careful: {ok}/{total} after the slowdown"
    );
    // The naive backend took several times the requests.
    let (nb, cb) = (
        r.endpoint("naive-backend GET /data").requests,
        r.endpoint("careful-backend GET /data").requests,
    );
    assert!(nb > 3 * cb, "naive backend {nb} vs careful {cb}");
}

#[test]
fn poison_messages_end_in_the_dead_letter_queue() {
    let r = run("poison-message");
    let corrupt = r
        .endpoint("uploader POST /rows/corrupt")
        .replies
        .values()
        .sum::<u64>();
    assert!(corrupt >= 5);
    let bad = r.mailbox("rows/corrupt");
    assert_eq!(bad.dead_letters, corrupt);
    assert_eq!(
        bad.deliveries,
        3 * corrupt,
        "each is tried max-attempts = 3 times"
    );
    assert_eq!(r.mailbox("rows-dlq").accepted, corrupt);
    assert_eq!(
        r.final_depth("rows-dlq") as u64,
        corrupt,
        "parked for a person to look at"
    );
    // Good rows flow undisturbed.
    let good = r.mailbox("rows/import");
    assert_eq!(good.redeliveries, 0);
    assert_eq!(r.consumer("importer <- rows/import").acked, good.accepted);
    let dead: Vec<&Record> = r
        .records()
        .iter()
        .filter(|x| x.kind == Kind::DeadLetter)
        .collect();
    assert_eq!(dead.len() as u64, corrupt);
}

#[test]
fn a_circuit_breaker_fails_fast_and_probes() {
    let r = run("circuit-breaker");
    let mut transitions = Vec::new();
    for rec in r.records().iter().filter(|x| x.kind == Kind::Breaker) {
        transitions.push((rec.recv.0 / S, rec.outcome.to_string()));
    }
    let first_open = transitions
        .iter()
        .find(|(_, s)| s == "OPEN")
        .expect("the breaker opens")
        .0;
    assert!((10..14).contains(&first_open), "{transitions:?}");
    assert!(
        transitions.iter().any(|(_, s)| s == "HALF-OPEN"),
        "{transitions:?}"
    );
    let (last_t, last_state) = transitions.last().unwrap();
    assert!(*last_t >= 30 && last_state == "CLOSED", "{transitions:?}");
    // The protected page stays fast; the plain one waits out its timeouts.
    let plain = r.endpoint("page-plain GET /product");
    let protected = r.endpoint("page-protected GET /product");
    assert!(plain.latency.p95() >= SimTime(300_000));
    assert!(
        protected.latency.p95() < SimTime(50_000),
        "protected p95 {}",
        protected.latency.p95()
    );
    // And the slow dependency is spared most calls while it is sick.
    assert!(
        r.endpoint("recs-b GET /recs").requests * 10 < r.endpoint("recs-a GET /recs").requests * 7
    );
}

#[test]
fn a_bounded_queue_pushes_back() {
    let r = run("backpressure");
    let q = r.mailbox("thumbnails");
    let peak = q
        .series
        .points
        .iter()
        .map(|p| p.depth + p.in_flight)
        .max()
        .unwrap_or(0);
    // Capacity counts waiting jobs only (RabbitMQ's `max-length`): the 2 being rendered are
    // on top.
    assert!(
        peak <= 52 && q.max_depth() <= 50,
        "stored {peak} > capacity + concurrency"
    );
    assert!(q.max_depth() >= 40, "the queue fills");
    assert!(q.rejected >= 100, "rejected {}", q.rejected);
    let api = r.endpoint("api POST /upload");
    let refused = api.replies.get(&Status::Http(503)).copied().unwrap_or(0);
    assert_eq!(
        refused, q.rejected,
        "each refusal reaches the uploader as a 503"
    );
    assert!(
        api.latency.p99() < SimTime(10_000),
        "refusals are immediate"
    );
}

#[test]
fn least_requests_sinks_into_a_crashed_replica_and_ejection_stops_it() {
    let r = run("lb-sinkhole");
    let plain = r.responses("shop", "shoppers");
    let guarded = r.responses("guarded-shop", "guarded-shoppers");
    // Both healthy before the crash.
    for rs in [&plain, &guarded] {
        let (ok, total) = success(rs, 0, 10);
        assert!(total > 1000 && ok == total, "{ok}/{total} before the crash");
    }
    // While a replica is down, the plain shop fails more than one request in ten despite
    // its retries; the guarded one fails none.
    let (ok, total) = success(&plain, 11, 49);
    assert!(ok * 10 < total * 9, "plain: {ok}/{total} during the crash");
    let (ok, total) = success(&guarded, 11, 49);
    assert!(total > 4000 && ok == total, "guarded: {ok}/{total}");
    // The sinkhole: the crashed replica took most of the plain balancer's attempts.
    let m = r.sim.metrics();
    let (plain_lb, guarded_lb) = (&m.balancers[0], &m.balancers[1]);
    assert!(
        plain_lb.sent[1] > plain_lb.sent[0] + plain_lb.sent[2],
        "{plain_lb:?}"
    );
    assert_eq!(plain_lb.ejections, [0, 0, 0]);
    // Ejected for 10 s, 20 s, then 30 s (the last outlasts the crash).
    assert_eq!(guarded_lb.ejections, [0, 3, 0], "{guarded_lb:?}");
    // It took its third before the crash, and hardly any after.
    assert!(
        guarded_lb.sent[1] * 5 < guarded_lb.sent[0],
        "{guarded_lb:?}"
    );
}

#[test]
fn a_flushed_cache_stampedes_its_database_and_coalescing_prevents_it() {
    let r = run("cache-stampede");
    let plain = r.responses("shop", "shoppers");
    let guarded = r.responses("guarded-shop", "guarded-shoppers");
    // Both warm up and serve everything before the flush.
    for rs in [&plain, &guarded] {
        let (ok, total) = success(rs, 5, 30);
        assert!(total > 5000 && ok == total, "{ok}/{total} before the flush");
    }
    // After it, the plain shop fails many requests; the guarded one none.
    let (ok, total) = success(&plain, 30, 40);
    assert!(ok * 10 < total * 9, "plain: {ok}/{total} after the flush");
    let (ok, total) = success(&guarded, 30, 60);
    assert!(total > 10_000 && ok == total, "guarded: {ok}/{total}");
    // One fetch per product per warm-up for the guarded cache; many more for the plain one.
    let (plain_db, guarded_db) = (
        r.endpoint("db GET /product").requests,
        r.endpoint("guarded-db GET /product").requests,
    );
    assert_eq!(guarded_db, 400);
    assert!(plain_db > 5 * guarded_db, "{plain_db} vs {guarded_db}");
    let m = &r.sim.metrics().caches;
    assert!(m[1].joined > 0 && m[0].joined == 0);
    assert!(m[0].hit_ratio() < m[1].hit_ratio() - 0.1);
}

#[test]
fn stale_backlog_fifo_collapses_goodput_while_lifo_and_shedding_recover() {
    let r = run("stale-backlog");
    let fifo = r.responses("fifo-api", "fifo-web");
    let lifo = r.responses("lifo-api", "lifo-web");
    let shed = r.responses("shed-api", "shed-web");
    // Before the burst all three serve everything in time (to 9 s: a request sent just
    // before 10 s may meet the burst).
    for rs in [&fifo, &lifo, &shed] {
        let (ok, total) = success(rs, 0, 9);
        assert!(total > 1200 && ok == total, "{ok}/{total} before the burst");
    }
    // Requests sent from 12 s to 38 s: the FIFO service answers almost none in time, the LIFO
    // and shedding ones nearly all.
    let (f_ok, f_total) = success(&fifo, 12, 38);
    let (l_ok, l_total) = success(&lifo, 12, 38);
    let (s_ok, s_total) = success(&shed, 12, 38);
    println!("12-38 s: fifo {f_ok}/{f_total}, lifo {l_ok}/{l_total}, shed {s_ok}/{s_total}");
    assert!(
        f_total > 3500 && f_ok * 100 < f_total,
        "fifo {f_ok}/{f_total}"
    );
    assert!(l_ok * 100 > l_total * 95, "lifo {l_ok}/{l_total}");
    assert!(s_ok * 100 > s_total * 98, "shed {s_ok}/{s_total}");
    // Meanwhile the FIFO service is as busy as it can be: about 200 answers a second, all of
    // them late (their callers had given up).
    let node = r.sim.node_id("fifo-api").unwrap();
    let answers = r
        .records()
        .iter()
        .filter(|x| {
            x.kind == Kind::RestResponse
                && x.from == node
                && x.send.0 >= 12 * S
                && x.send.0 < 38 * S
        })
        .count();
    println!("fifo-api answers sent 12-38 s: {answers}");
    assert!(answers > 26 * 190, "{answers} answers in 26 s");
    // Once the backlog has drained (about 30 s after the burst) FIFO is healthy again.
    let (ok, total) = success(&fifo, 45, 60);
    assert!(ok * 100 > total * 98, "fifo after draining: {ok}/{total}");
    // The shedding service shed the burst's stale requests: 503 instead of useless work.
    let m = r.sim.metrics();
    let shed_m = &m.services[r.nth_of(NodeKind::Service, "shed-api")];
    assert!(shed_m.shed > 1000, "{}", shed_m.shed);
    let fifo_m = &m.services[r.nth_of(NodeKind::Service, "fifo-api")];
    assert_eq!(fifo_m.shed, 0);
    // Over the whole run, goodput per second.
    let now = r.sim.now();
    let g = |c: &str| r.client(c).goodput(now);
    println!(
        "goodput/s fifo {:.1} lifo {:.1} shed {:.1}",
        g("fifo-web"),
        g("lifo-web"),
        g("shed-web")
    );
    assert!(g("fifo-web") * 1.5 < g("lifo-web") && g("fifo-web") * 1.5 < g("shed-web"));
}

#[test]
fn a_retry_storm_outlives_a_short_crash_and_a_retry_budget_recovers() {
    let e = gallery::find("retry-budget").expect("gallery entry");
    let c = scenario::compile(e.text).expect("compiles");
    let mut sim = Sim::new(c.world, e.seed).expect("engine accepts the world");
    let client = |sim: &Sim, name: &str| {
        let i = sim
            .nodes()
            .iter()
            .find(|n| n.name == name && n.kind == NodeKind::Client)
            .expect("client")
            .index as usize;
        sim.metrics().clients[i].clone()
    };
    // Successful answers of each client at 20 s (the crash), 30 s and 60 s (the end).
    let mut ok = Vec::new();
    for t in [20, 30, 60] {
        sim.run_until(SimTime::from_secs(t));
        ok.push([client(&sim, "users"), client(&sim, "budgeted-users")].map(|m| m.ok));
    }
    // Goodput of one side between two of those instants.
    let per_s = |from: usize, to: usize, side: usize, secs: u64| {
        (ok[to][side] - ok[from][side]) as f64 / secs as f64
    };
    // Before the crash both sides answer nearly all of their 85 requests a second.
    for (side, &n) in ok[0].iter().enumerate() {
        let g = n as f64 / 20.0;
        assert!(g > 80.0, "side {side}: goodput {g:.1}/s before the crash");
    }
    // From 30 s to the end, 8 s after the crash ended: the plain side is still down, the
    // budgeted side has recovered.
    let plain = per_s(1, 2, 0, 30);
    let budgeted = per_s(1, 2, 1, 30);
    assert!(plain < 10.0, "plain goodput {plain:.1}/s after the crash");
    assert!(
        budgeted > 80.0,
        "budgeted goodput {budgeted:.1}/s after the crash"
    );
    // The budget refused retries (during the crash), and the plain side sent about three
    // times the attempts.
    let m = sim.metrics();
    let (plain_site, budget_site) = (&m.calls[0], &m.calls[1]);
    assert!(budget_site.throttled > 100, "{budget_site:?}");
    assert_eq!(plain_site.throttled, 0);
    assert!(
        plain_site.attempts > 2 * budget_site.attempts,
        "{plain_site:?} vs {budget_site:?}"
    );
    assert_eq!(
        sim.metrics().clients.len(),
        2,
        "two clients, so call sites 0 and 1 are theirs"
    );
}

#[test]
fn hedging_cuts_the_tail_latency_for_a_few_percent_more_load() {
    let r = run("hedging");
    let (plain, hedged) = (r.client("users"), r.client("hedged-users"));
    let (p99, h99) = (plain.latency.p99(), hedged.latency.p99());
    assert!(
        h99.0 * 2 < p99.0,
        "p99 {p99} plain vs {h99} hedged: hedging should halve it"
    );
    // The median is the same work either way (within a log bucket).
    let (p50, h50) = (plain.latency.p50().0 as f64, hedged.latency.p50().0 as f64);
    assert!((h50 / p50 - 1.0).abs() < 0.2, "p50 {p50} vs {h50}");
    // The cost: a hedge for the slowest few percent of calls, each sent as an extra attempt.
    let m = r.sim.metrics();
    let (site, plain_site) = (&m.calls[1], &m.calls[0]);
    assert_eq!(plain_site.hedges, 0);
    assert_eq!(site.attempts, site.hedges + hedged.sent);
    let share = site.hedges as f64 / hedged.sent as f64;
    assert!(
        share > 0.03 && share < 0.15,
        "hedges {share:.3} of requests"
    );
}

#[test]
fn a_death_spiral_after_a_burst_and_a_concurrency_limit_at_the_knee_recovers() {
    let r = run("death-spiral");
    let spiral = r.responses("spiral-api", "spiral-web");
    let limited = r.responses("limited-api", "limited-web");
    // Before the burst both serve everything in time.
    for rs in [&spiral, &limited] {
        let (ok, total) = success(rs, 0, 9);
        assert!(total > 1200 && ok == total, "{ok}/{total} before the burst");
    }
    // From 20 s to the end: the 32-worker service is in its death spiral (almost nothing in
    // time), the 8-worker one has recovered.
    // The limited service's callers time out only while its backlog is over a second long
    // (about 2 s after the burst).
    let (ok, total) = success(&limited, 10, 12);
    assert!(ok * 2 < total, "limited 10-12 s: {ok}/{total}");
    let (ok, total) = success(&limited, 13, 20);
    assert!(ok * 100 > total * 99, "limited 13-20 s: {ok}/{total}");
    let (s_ok, s_total) = success(&spiral, 20, 59);
    let (l_ok, l_total) = success(&limited, 20, 59);
    println!("20-59 s: spiral {s_ok}/{s_total}, limited {l_ok}/{l_total}");
    assert!(
        s_total > 5000 && s_ok * 100 < s_total,
        "spiral {s_ok}/{s_total}"
    );
    assert!(l_ok * 1000 > l_total * 995, "limited {l_ok}/{l_total}");
    // The spiral's backlog grows to the end (about 22 a second more arrive than it serves);
    // the limited one's burst drained.
    let m = r.sim.metrics();
    let sp = &m.services[r.nth_of(NodeKind::Service, "spiral-api")];
    let li = &m.services[r.nth_of(NodeKind::Service, "limited-api")];
    println!(
        "max backlog spiral {} limited {}",
        sp.max_backlog(),
        li.max_backlog()
    );
    assert!(sp.max_backlog() > 1000 && li.max_backlog() < 300);
    // Over the whole run, goodput per second: the spiral's is a fraction of the other's.
    let now = r.sim.now();
    let g = |c: &str| r.client(c).goodput(now);
    println!(
        "goodput/s spiral {:.1} limited {:.1}",
        g("spiral-web"),
        g("limited-web")
    );
    assert!(g("spiral-web") * 4.0 < g("limited-web"));
    // Without contention the 32 workers would have drained the burst: the slowdown is the
    // cause, not the burst alone.
    let e = gallery::find("death-spiral").expect("gallery entry");
    let plain = e.text.replace(" contention 5% coherence 1%", "");
    let mut sim = Sim::new(scenario::compile(&plain).expect("compiles").world, e.seed)
        .expect("engine accepts the world");
    sim.run_to_end();
    let i = sim
        .nodes()
        .iter()
        .find(|n| n.name == "spiral-web" && n.kind == NodeKind::Client)
        .expect("client")
        .index as usize;
    let plain_spiral = &sim.metrics().clients[i];
    assert!(
        plain_spiral.goodput(sim.now()) > 145.0,
        "{}",
        plain_spiral.goodput(sim.now())
    );
}

#[test]
fn a_slow_database_exhausts_a_pool_that_waits_long_and_a_short_pool_wait_keeps_the_rest_up() {
    let r = run("pool-exhaustion");
    let buyers = r.responses("orders", "buyers");
    let browsers = r.responses("orders", "browsers");
    let g_buyers = r.responses("guarded-orders", "guarded-buyers");
    let g_browsers = r.responses("guarded-orders", "guarded-browsers");
    // Before the database slows down (at 20 s) both sides answer everything in time.
    for rs in [&buyers, &browsers, &g_buyers, &g_browsers] {
        let (ok, total) = success(rs, 0, 19);
        assert!(
            total > 700 && ok == total,
            "{ok}/{total} before the slowdown"
        );
    }
    // While it is slow (requests sent from 22 s to 38 s): the calls waiting 30 s for a
    // connection hold every worker of `orders`, so even the catalog, which never touches the
    // database, times out; `guarded-orders` gives up on a connection after 50 ms and its
    // catalog answers everything.
    let (b_ok, b_total) = success(&browsers, 22, 38);
    let (gb_ok, gb_total) = success(&g_browsers, 22, 38);
    let (o_ok, o_total) = success(&buyers, 22, 38);
    let (go_ok, go_total) = success(&g_buyers, 22, 38);
    println!(
        "22-38 s: browsers {b_ok}/{b_total}, guarded {gb_ok}/{gb_total}; \
         buyers {o_ok}/{o_total}, guarded {go_ok}/{go_total}"
    );
    assert!(
        b_total > 700 && b_ok * 50 < b_total,
        "browsers {b_ok}/{b_total}"
    );
    assert!(
        gb_total > 700 && gb_ok == gb_total,
        "guarded browsers {gb_ok}/{gb_total}"
    );
    // The orders themselves: 4 connections held about 410 ms each serve about 10 a second
    // either way, but the plain side serves them after their callers gave up; the guarded
    // side's are in time, and the rest are told at once (503 after the 50 ms wait).
    assert!(
        o_total > 700 && o_ok * 50 < o_total,
        "buyers {o_ok}/{o_total}"
    );
    assert!(
        go_ok > 16 * 8 && go_ok < 16 * 12,
        "guarded buyers {go_ok}/{go_total}"
    );
    assert!(median_ms(&g_buyers, 22, 38) < 100.0);
    let m = r.sim.metrics();
    let site = |label: &str| {
        let i = (0..m.calls.len())
            .find(|&i| r.sim.call_site_label(i) == label)
            .unwrap_or_else(|| panic!("no call site {label}"));
        m.calls[i]
    };
    let (plain, guarded) = (
        site("orders -> db GET /row"),
        site("guarded-orders -> guarded-db GET /row"),
    );
    println!("pools: plain {plain:?}\nguarded {guarded:?}");
    // Both pools were full; the plain one never timed out a wait (30 s is longer than the
    // slowdown), the guarded one turned hundreds away, which the buyers saw as 503.
    assert_eq!((plain.pool_max_in_use, guarded.pool_max_in_use), (4, 4));
    assert_eq!(plain.pool_timeouts, 0);
    assert!(guarded.pool_timeouts > 400, "{guarded:?}");
    assert_eq!(r.client("guarded-buyers").timeouts, 0);
    // The plain side's wait moved into its service's backlog, where the catalog queued too.
    let backlog = |s: &str| m.services[r.nth_of(NodeKind::Service, s)].max_backlog();
    println!(
        "max backlog orders {} guarded {}",
        backlog("orders"),
        backlog("guarded-orders")
    );
    assert!(backlog("orders") > 1000 && backlog("guarded-orders") == 0);
    // Once the database is fast again (at 40 s) the plain side drains its backlog within a
    // second and recovers too: the slowdown was the trigger, the long wait the cascade.
    for rs in [&buyers, &browsers] {
        let (ok, total) = success(rs, 41, 59);
        assert!(ok == total, "{ok}/{total} after the slowdown");
    }
    // Over the whole run, goodput per second.
    let now = r.sim.now();
    let g = |c: &str| r.client(c).goodput(now);
    println!(
        "goodput/s browsers {:.1} guarded {:.1}; buyers {:.1} guarded {:.1}",
        g("browsers"),
        g("guarded-browsers"),
        g("buyers"),
        g("guarded-buyers")
    );
    assert!(g("guarded-browsers") > 49.0 && g("browsers") * 1.4 < g("guarded-browsers"));
    // Without its pool the guarded side would send every order to the slow database, and
    // 50 calls a second of 410 ms need more workers than it has: the pool, with its short
    // wait, is the bulkhead that keeps the catalog's workers free.
    let e = gallery::find("pool-exhaustion").expect("gallery entry");
    let unpooled = e.text.replace(" pool 4 pool-wait 50ms", "");
    let mut sim = Sim::new(
        scenario::compile(&unpooled).expect("compiles").world,
        e.seed,
    )
    .expect("engine accepts the world");
    sim.run_to_end();
    let i = sim
        .nodes()
        .iter()
        .find(|n| n.name == "guarded-browsers" && n.kind == NodeKind::Client)
        .expect("client")
        .index as usize;
    let unpooled = sim.metrics().clients[i].goodput(sim.now());
    println!("goodput/s guarded-browsers without the pool {unpooled:.1}");
    assert!(unpooled * 1.25 < g("guarded-browsers"), "{unpooled:.1}");
}
