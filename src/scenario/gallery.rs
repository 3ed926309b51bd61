//! The built-in gallery: teaching scenarios as canonical text, each with a title, a one-paragraph
//! explanation for the UI and a default seed. The first entry is what the app opens with.
//!
//! Every entry is canonical (`format(parse(text)) == text`), runs to its duration within the
//! event budget, and has a test in `tests/gallery.rs` asserting the behaviour it teaches.

/// One gallery scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// Short stable id, used in `gallery:<id>` (CLI) and links.
    pub id: &'static str,
    pub title: &'static str,
    /// What to watch for, in one paragraph.
    pub explanation: &'static str,
    /// The seed written in the text's header.
    pub seed: u64,
    /// Canonical scenario text.
    pub text: &'static str,
}

/// The entry the app opens with.
pub fn default_example() -> &'static Example {
    &GALLERY[0]
}

/// Find an entry by id.
pub fn find(id: &str) -> Option<&'static Example> {
    GALLERY.iter().find(|e| e.id == id)
}

pub const GALLERY: &[Example] = &[
    Example {
        id: "checkout",
        title: "Checkout: sync front, async back",
        explanation: "A shopper's checkout is a synchronous chain (gateway → orders over RPC) that answers as soon as the order exists; charging the card and sending the email happen afterwards through a queue and a topic. At 20 s the payments worker is cut off from its queue for 5 s: TCP keeps retransmitting, so deliveries and acks arrive seconds late, after the 2 s visibility timeout, and the queue delivers those charges again. At 30 s payments crashes for 10 s: checkouts keep succeeding while the payments queue fills, unacknowledged charges are redelivered after their visibility timeout, and the backlog drains once payments is back.",
        seed: 42,
        text: r#"scenario "checkout" seed 42 duration 60s

network latency 2ms..8ms loss 0.1%

service gateway workers 16
service orders workers 4 time 20ms±5ms
service payments workers 2 time exp(40ms)
service emails workers 1 time 30ms

queue payments-q capacity 1000 visibility 2s max-attempts 3 dlq payments-dlq

topic order-events

client web rate 20/s poisson -> gateway POST /checkout timeout 1s

gateway POST /checkout:
  call orders.CreateOrder deadline 300ms retries 2 backoff 50ms jitter
  reply 201

orders rpc CreateOrder:
  work
  publish order-events OrderCreated
  enqueue payments-q Charge
  reply OK

payments consume payments-q concurrency 2:
  work
  fail 5%
  ack

emails subscribe order-events:
  work

# The payments worker cannot reach its queue: deliveries arrive late and come back.
at 20s partition payments <-> payments-q for 5s
# Then it crashes; charges wait in the queue.
at 30s crash payments for 10s
"#,
    },
    Example {
        id: "rest-chain",
        title: "A synchronous REST chain",
        explanation: "Three services call each other over REST, each waiting for the next: the page's latency is the sum of every hop's work and network time. At 20 s the link between catalog and inventory slows down by 100 ms for 10 s; the delay surfaces at the very top, in the page's p99, although the frontend itself did nothing differently.",
        seed: 7,
        text: r#"scenario "rest-chain" seed 7 duration 40s

network latency 1ms..3ms

service frontend workers 8 time 5ms
service catalog workers 8 time 10ms±2ms
service inventory workers 8 time exp(8ms)

client browser rate 30/s poisson -> frontend GET /page timeout 2s

frontend GET /page:
  work
  call catalog GET /items timeout 1s
  reply 200

catalog GET /items:
  work
  call inventory GET /stock timeout 1s
  reply 200

inventory GET /stock:
  work
  reply 200

at 20s slow catalog <-> inventory +100ms for 10s
"#,
    },
    Example {
        id: "grpc-deadline",
        title: "gRPC deadlines propagate",
        explanation: "The client gives quotes.GetQuote a 250 ms deadline. Each RPC passes the remaining budget downstream: pricing asks risk with a 1 s deadline of its own, but the propagated one is shorter and wins. When risk is slow (its times have a long tail), the whole chain gives up together at 250 ms with DEADLINE_EXCEEDED, instead of pricing holding a worker for its full second waiting for an answer nobody wants any more. Risk still finishes its work: deadlines stop the waiting, not the work already started.",
        seed: 3,
        text: r#"scenario "grpc-deadline" seed 3 duration 30s

network latency 1ms..2ms

service quotes workers 8 time 5ms
service pricing workers 8 time 20ms±5ms
service risk workers 4 time lognormal(80ms, 60ms)

client app rate 20/s -> quotes.GetQuote deadline 250ms

quotes rpc GetQuote:
  work
  call pricing.Price deadline 1s
  reply OK

pricing rpc Price:
  work
  call risk.Score deadline 1s
  reply OK

risk rpc Score:
  work
  reply OK
"#,
    },
    Example {
        id: "queue-burst",
        title: "A queue absorbs a burst",
        explanation: "The API accepts jobs and puts them on a queue; three workers compete for them, two at a time each. At 10 s a burst of 600 jobs arrives at once. The API stays quick because it only enqueues; the queue depth jumps to hundreds and then drains at the workers' pace of about 60 jobs a second. The burst costs waiting time in the queue, not errors: every job is done by the end.",
        seed: 11,
        text: r#"scenario "queue-burst" seed 11 duration 40s

network latency 1ms

service api workers 32 time 1ms
service worker-1 time 100ms±20ms
service worker-2 time 100ms±20ms
service worker-3 time 100ms±20ms

queue jobs visibility 30s

client uploads rate 20/s poisson -> api POST /jobs timeout 1s

api POST /jobs:
  work
  enqueue jobs Resize
  reply 202

worker-1 consume jobs concurrency 2:
  work

worker-2 consume jobs concurrency 2:
  work

worker-3 consume jobs concurrency 2:
  work

at 10s burst uploads 600
"#,
    },
    Example {
        id: "pubsub-fanout",
        title: "Pub/sub fan-out to three subscribers",
        explanation: "Every order is published once to a topic; each subscription keeps its own copy and its own backlog. Email and analytics see every order; shipping-eu filters on region=eu and sees only European ones. Analytics is slow, so its backlog grows while the others stay empty: one slow subscriber never holds back the rest.",
        seed: 5,
        text: r#"scenario "pubsub-fanout" seed 5 duration 30s

network latency 1ms..2ms

service shop workers 8 time 5ms
service email workers 2 time 10ms
service analytics time 150ms
service shipping workers 2 time 20ms

topic orders

client eu-buyers rate 10/s poisson -> shop POST /orders/eu
client us-buyers rate 10/s poisson -> shop POST /orders/us

shop POST /orders/eu:
  work
  publish orders OrderPlaced region=eu
  reply 201

shop POST /orders/us:
  work
  publish orders OrderPlaced region=us
  reply 201

email subscribe orders concurrency 2:
  work

analytics subscribe orders:
  work

shipping subscribe orders as shipping-eu filter region=eu concurrency 2:
  work
"#,
    },
    Example {
        id: "sync-vs-async",
        title: "Sync vs async under a failing dependency",
        explanation: "Two identical sign-up flows send a welcome email. The left one calls the mailer synchronously; the right one drops a message on a queue. At 15 s both mailers crash for 15 s. The synchronous sign-up fails with them at once: the mailer's host refuses the connection, and the sign-up answers 502 (the failure cascades up to the user), while the asynchronous one keeps answering quickly and the queue holds the emails until the mailer returns.",
        seed: 21,
        text: r#"scenario "sync-vs-async" seed 21 duration 50s

network latency 1ms..3ms

service signup-sync workers 8 time 5ms
service signup-async workers 8 time 5ms
service mailer-sync workers 4 time 20ms
service mailer-async workers 4 time 20ms

queue welcome-mails visibility 5s

client users-a rate 20/s poisson -> signup-sync POST /signup timeout 1s
client users-b rate 20/s poisson -> signup-async POST /signup timeout 1s

signup-sync POST /signup:
  work
  call mailer-sync POST /send timeout 200ms
  reply 201

mailer-sync POST /send:
  work
  reply 202

signup-async POST /signup:
  work
  enqueue welcome-mails Welcome
  reply 201

mailer-async consume welcome-mails concurrency 4:
  work

at 15s crash mailer-sync for 15s
at 15s crash mailer-async for 15s
"#,
    },
    Example {
        id: "retry-storm",
        title: "Retry storm, and how backoff with jitter calms it",
        explanation: "Two identical backends run at 30% load. For 5 s from t = 10 s the network to both slows down, so every call times out. The naive callers retry at once, up to five times: six times the load lands on a backend that is already behind, its backlog fills with requests whose callers have given up, and it never recovers; every request fails until the end. The careful callers retry at most twice, with exponential backoff and full jitter: the load only triples, their backend keeps up, and requests succeed again as soon as the slowdown ends.",
        seed: 9,
        text: r#"scenario "retry-storm" seed 9 duration 40s budget 3000000

network latency 1ms

service naive-api workers 64
service careful-api workers 64
service naive-backend workers 4 time 20ms backlog 400
service careful-backend workers 4 time 20ms backlog 400

client naive-users rate 60/s poisson -> naive-api GET /data timeout 2s
client careful-users rate 60/s poisson -> careful-api GET /data timeout 2s

naive-api GET /data:
  call naive-backend GET /data attempt-timeout 100ms retries 5 backoff 1ms multiplier 1
  reply 200

careful-api GET /data:
  call careful-backend GET /data attempt-timeout 100ms retries 2 backoff 100ms max-backoff 1s jitter
  reply 200

naive-backend GET /data:
  work
  reply 200

careful-backend GET /data:
  work
  reply 200

at 10s slow naive-api <-> naive-backend +120ms for 5s
at 10s slow careful-api <-> careful-backend +120ms for 5s
"#,
    },
    Example {
        id: "poison-message",
        title: "A poison message ends in the dead-letter queue",
        explanation: "The importer takes rows from a topic. Good rows import fine; now and then a corrupt row arrives that the importer can never process. Each corrupt row is delivered, fails, and is redelivered until it reaches the subscription's limit of 3 attempts; then it is moved to the dead-letter queue, where a person can look at it. The good rows keep flowing the whole time.",
        seed: 13,
        text: r#"scenario "poison-message" seed 13 duration 30s

network latency 1ms

service uploader workers 4 time 2ms
service importer workers 4 time 10ms

topic rows

client good-files rate 10/s -> uploader POST /rows
client bad-files rate 0.2/s from 1s -> uploader POST /rows/corrupt

uploader POST /rows:
  work
  publish rows Row kind=good
  reply 202

uploader POST /rows/corrupt:
  work
  publish rows Row kind=corrupt
  reply 202

importer subscribe rows as import filter kind=good concurrency 2:
  work

# The importer cannot parse these: every delivery fails.
importer subscribe rows as corrupt filter kind=corrupt ack-deadline 2s max-attempts 3 dlq rows-dlq:
  work
  fail 100%
"#,
    },
    Example {
        id: "circuit-breaker",
        title: "A circuit breaker protects callers from a slow dependency",
        explanation: "Two product pages show recommendations from a service that turns very slow at 10 s for 20 s. The plain page waits for its 300 ms timeout on every request and its workers stay tied up. The protected page has a circuit breaker: after enough failures it opens and fails fast, the page shows no recommendations (on-error continue) and stays quick, and every few seconds a probe checks whether recommendations have recovered.",
        seed: 17,
        text: r#"scenario "circuit-breaker" seed 17 duration 45s

network latency 1ms..2ms

service page-plain workers 16 time 5ms
service page-protected workers 16 time 5ms
service recs-a workers 8 time 20ms
service recs-b workers 8 time 20ms

client shoppers-a rate 30/s poisson -> page-plain GET /product timeout 2s
client shoppers-b rate 30/s poisson -> page-protected GET /product timeout 2s

page-plain GET /product:
  work
  call recs-a GET /recs timeout 300ms on-error continue
  reply 200

page-protected GET /product:
  work
  call recs-b GET /recs timeout 300ms breaker 50% window 2s min-calls 5 cooldown 3s on-error continue
  reply 200

recs-a GET /recs:
  work
  reply 200

recs-b GET /recs:
  work
  reply 200

at 10s slow page-plain <-> recs-a +2s for 20s
at 10s slow page-protected <-> recs-b +2s for 20s
"#,
    },
    Example {
        id: "backpressure",
        title: "Backpressure from a bounded queue",
        explanation: "Thumbnails are rendered from a queue that holds at most 50 waiting jobs (the ones being rendered do not count). Uploads arrive faster than the single renderer can keep up with, so the queue fills; from then on the queue refuses new jobs (its confirm is a nack) and the API answers 503 as soon as that comes back. That refusal is backpressure: the producer learns right away that the system is full, instead of the backlog (and everyone's waiting time) growing without bound.",
        seed: 23,
        text: r#"scenario "backpressure" seed 23 duration 30s

network latency 1ms

service api workers 8 time 2ms
service renderer workers 2 time 100ms

queue thumbnails capacity 50 overflow reject visibility 10s

client uploads rate 30/s poisson -> api POST /upload timeout 1s

api POST /upload:
  work
  enqueue thumbnails Render
  reply 202

renderer consume thumbnails concurrency 2:
  work
"#,
    },
    Example {
        id: "lb-sinkhole",
        title: "Load-balancer sinkholing, and outlier ejection",
        explanation: "Two copies of a shop call a catalog of three replicas behind a least-requests load balancer, which sends each request to the replica with the fewest requests in flight. At 10 s one replica of each catalog crashes: it refuses connections at once, so it always has the fewest in flight, and the plain balancer pours most attempts into it (catalog#2's row in Metrics → Replicas). Even with two retries, about one shopper request in six fails while it is down. The guarded catalog ejects a replica after 5 server errors in a row, for 10 s, then 20 s, then 30 s (Envoy's outlier detection): watch the EJECTED and BACK labels on guarded-catalog#2's lane, and its shoppers see no errors at all.",
        seed: 5,
        text: r#"scenario "lb-sinkhole" seed 5 duration 60s

network latency 1ms..3ms

service shop workers 64
service guarded-shop workers 64
service catalog workers 4 time exp(20ms) replicas 3 lb least-requests
service guarded-catalog workers 4 time exp(20ms) replicas 3 lb least-requests eject-after 5 eject-for 10s

client shoppers rate 150/s poisson -> shop GET /item timeout 1s
client guarded-shoppers rate 150/s poisson -> guarded-shop GET /item timeout 1s

shop GET /item:
  call catalog GET /item timeout 500ms retries 2 backoff 20ms jitter
  reply 200

guarded-shop GET /item:
  call guarded-catalog GET /item timeout 500ms retries 2 backoff 20ms jitter
  reply 200

catalog GET /item:
  work
  reply 200

guarded-catalog GET /item:
  work
  reply 200

at 10s crash catalog replica 2 for 40s
at 10s crash guarded-catalog replica 2 for 40s
"#,
    },
    Example {
        id: "cache-stampede",
        title: "Cache stampede after a flush, and request coalescing",
        explanation: "Two shops read products through a cache in front of a database that can serve only about 100 reads a second; the shoppers ramp up to 500 requests a second while the cache warms. At 30 s both caches are flushed. The plain cache sends every miss to the database, so the hottest products are fetched many times at once: the database's backlog fills, fetches take longer than their 500 ms timeout, and a fetch that times out fills nothing, so the misses go on (Metrics → Caches: the hit ratio falls and stays low for seconds). The guarded cache coalesces misses: one fetch per product, the others wait for it, so the database sees 200 reads and the shoppers see no errors.",
        seed: 3,
        text: r#"scenario "cache-stampede" seed 3 duration 60s

network latency 1ms..3ms

service shop workers 256
service guarded-shop workers 256
service db workers 4 time exp(40ms) backlog 100
service guarded-db workers 4 time exp(40ms) backlog 100

cache products capacity 2000 ttl 300s keys 200 zipf 1.1
cache guarded-products capacity 2000 ttl 300s keys 200 zipf 1.1 coalesce

client shoppers rate 20/s..500/s over 20s poisson -> shop GET /product timeout 1s
client guarded-shoppers rate 20/s..500/s over 20s poisson -> guarded-shop GET /product timeout 1s

shop GET /product:
  call db GET /product timeout 500ms cache products
  reply 200

guarded-shop GET /product:
  call guarded-db GET /product timeout 500ms cache guarded-products
  reply 200

db GET /product:
  work
  reply 200

guarded-db GET /product:
  work
  reply 200

at 30s flush products
at 30s flush guarded-products
"#,
    },
    Example {
        id: "stale-backlog",
        title: "Goodput collapse behind a stale FIFO backlog, and LIFO or shedding",
        explanation: "Three copies of one page service, each with 4 workers (about 200 requests a second) and room for 2,000 waiting requests, get 150 requests a second from callers who give up after 1 s. At 10 s a burst of 1,500 requests lands on each. The FIFO service serves its backlog oldest first: for the next 30 s every request it serves has waited longer than its caller would, so it stays busy at full throughput while goodput falls to almost nothing (fifo-web's timeouts in Metrics), and it recovers only once the backlog has drained at the 50 requests a second it has to spare. The LIFO service serves the newest waiting request first: new callers are answered in milliseconds while the stale burst waits at the bottom (served late in idle moments, which wastes only spare capacity). The shedding service drops every request that has waited over 500 ms when a worker frees, with 503 (Metrics → Services that turned requests away): the burst is cleared within a second and goodput is back at once. Both are the remedies of Facebook's Fail at Scale (ACM Queue, 2015): adaptive LIFO and controlled delay.",
        seed: 3,
        text: r#"scenario "stale-backlog" seed 3 duration 60s

network latency 1ms..3ms

service fifo-api workers 4 time exp(20ms) backlog 2000
service lifo-api workers 4 time exp(20ms) backlog 2000 lifo
service shed-api workers 4 time exp(20ms) backlog 2000 shed-after 500ms

client fifo-web rate 150/s poisson -> fifo-api GET /page timeout 1s
client lifo-web rate 150/s poisson -> lifo-api GET /page timeout 1s
client shed-web rate 150/s poisson -> shed-api GET /page timeout 1s

fifo-api GET /page:
  work

lifo-api GET /page:
  work

shed-api GET /page:
  work

at 10s burst fifo-web 1500
at 10s burst lifo-web 1500
at 10s burst shed-web 1500
"#,
    },
    Example {
        id: "retry-budget",
        title: "A retry storm outlives a short crash; a retry budget recovers",
        explanation: "Two identical backends run at 85% load, each called straight from its clients with a 150 ms attempt timeout and up to 3 retries. At 20 s both crash for 2 s. While they are down every attempt is refused and retried. When they come back, the plain callers' pending retries and new requests pile up in the backlog faster than it drains; once the wait is past 150 ms every attempt times out and is retried, so the backend works only on requests whose callers have given up and its backlog grows until the end: a metastable failure that outlives its 2 s trigger by the whole run. The budgeted callers have gRPC's retry throttling (retry-budget 10%: each failed attempt takes a token of 10, each success gives back 0.1, and retries stop while 5 or fewer are left) and jittered backoff: during the crash the budget runs dry and retries stop (throttled in Calls), so after it only first attempts arrive, the backend keeps up, and goodput is back within a second.",
        seed: 5,
        text: r#"scenario "retry-budget" seed 5 duration 60s

network latency 1ms

service backend workers 1 time 10ms
service budgeted-backend workers 1 time 10ms

client users rate 85/s poisson -> backend GET /data timeout 1s attempt-timeout 150ms retries 3 backoff 50ms
client budgeted-users rate 85/s poisson -> budgeted-backend GET /data timeout 1s attempt-timeout 150ms retries 3 backoff 50ms jitter retry-budget 10%

backend GET /data:
  work
  reply 200

budgeted-backend GET /data:
  work
  reply 200

at 20s crash backend for 2s
at 20s crash budgeted-backend for 2s
"#,
    },
    Example {
        id: "hedging",
        title: "Hedged requests cut the tail, at the cost of extra load",
        explanation: "Two copies of a search service, three replicas each, whose work usually takes a few milliseconds but now and then hundreds (a log-normal time with a long tail, like garbage-collection pauses or a cold cache). The plain users wait for whatever their one attempt gets: their p99 is over 200 ms. The hedged users send a second attempt to another replica if the first has no answer after 60 ms (gRPC's hedging policy: hedge 2 after 60ms) and take whichever answers first; the loser's answer arrives late and is ignored. Their p99 falls below 90 ms, while the median does not move. The price is in Calls: about 8% more attempts (the hedges column), all of them work the replicas do for nothing.",
        seed: 3,
        text: r#"scenario "hedging" seed 3 duration 60s

network latency 1ms

service search workers 8 time lognormal(20ms, 60ms) replicas 3
service hedged-search workers 8 time lognormal(20ms, 60ms) replicas 3

client users rate 100/s poisson -> search GET /q timeout 2s
client hedged-users rate 100/s poisson -> hedged-search GET /q timeout 2s hedge 2 after 60ms

search GET /q:
  work
  reply 200

hedged-search GET /q:
  work
  reply 200
"#,
    },
    Example {
        id: "death-spiral",
        title: "A death spiral after a burst: contention, and a concurrency limit at the knee",
        explanation: "Two copies of a page service whose work slows down as more requests run at once (GC pressure, lock contention), by the Universal Scalability Law: with N requests in service each takes 1 + 5%·(N−1) + 1%·N·(N−1) times its 20 ms, so throughput peaks near 10 at once (about 210 a second) and falls beyond. Both get 150 requests a second from callers who give up after 1 s, which they serve with about 4 requests in service at 25 ms each. At 10 s a burst of 300 requests lands on each. The service with 32 workers takes them all at once: every request now takes about 250 ms, so 32 workers finish only about 128 a second, fewer than arrive, and the backlog never drains. Its goodput falls from 150 to almost nothing for the rest of the run (spiral-web's timeouts in Metrics), although the burst was over in an instant: a death spiral, whose cause is the extra concurrency itself. The service with 8 workers (a concurrency limit at the knee of the curve) runs at most 8 at once at about 38 ms each, about 210 a second: the burst waits in its backlog, which it works off at the 60 a second it has to spare: the callers of the next 2 s time out (their requests wait over a second), then goodput is back at 150 a second while the rest of the backlog drains. Fewer workers serve more.",
        seed: 7,
        text: r#"scenario "death-spiral" seed 7 duration 60s

network latency 1ms..3ms

service spiral-api workers 32 time exp(20ms) contention 5% coherence 1%
service limited-api workers 8 time exp(20ms) contention 5% coherence 1%

client spiral-web rate 150/s poisson -> spiral-api GET /page timeout 1s
client limited-web rate 150/s poisson -> limited-api GET /page timeout 1s

spiral-api GET /page:
  work

limited-api GET /page:
  work

at 10s burst spiral-web 300
at 10s burst limited-web 300
"#,
    },
    Example {
        id: "pool-exhaustion",
        title: "Connection-pool exhaustion behind a slow database, and a short pool wait",
        explanation: "Two copies of an orders service, 16 workers each, get 50 orders a second (which read a row from a database through a pool of 4 connections) and 50 catalog views a second (which never touch the database), from callers who give up after 1 s. At 20 s the database slows down for 20 s (400 ms more per round trip): 4 connections now serve only about 10 orders a second. The plain service waits up to 30 s for a connection (HikariCP's default connectionTimeout): the waiting calls hold every worker within a second, the backlog grows past 1,500, and from 22 s to 38 s not one catalog view is answered in time, nor any order (the pool serves orders whose callers gave up). The guarded service waits 50 ms, then answers 503 (Metrics → Calls: pool timeouts): its orders fail fast while about 10 a second still succeed, and its catalog answers every request in 5 ms. A pool is a bulkhead only if waiting for it is bounded; without any pool the orders would hold the workers anyway.",
        seed: 3,
        text: r#"scenario "pool-exhaustion" seed 3 duration 60s

network latency 1ms..3ms

service orders workers 16 time 5ms
service guarded-orders workers 16 time 5ms
service db workers 8 time exp(5ms)
service guarded-db workers 8 time exp(5ms)

client buyers rate 50/s poisson -> orders GET /order timeout 1s
client browsers rate 50/s poisson -> orders GET /catalog timeout 1s
client guarded-buyers rate 50/s poisson -> guarded-orders GET /order timeout 1s
client guarded-browsers rate 50/s poisson -> guarded-orders GET /catalog timeout 1s

orders GET /order:
  work
  call db GET /row pool 4 pool-wait 30s
  reply 200

orders GET /catalog:
  work
  reply 200

guarded-orders GET /order:
  work
  call guarded-db GET /row pool 4 pool-wait 50ms
  reply 200

guarded-orders GET /catalog:
  work
  reply 200

db GET /row:
  work
  reply 200

guarded-db GET /row:
  work
  reply 200

at 20s slow orders <-> db +200ms for 20s
at 20s slow guarded-orders <-> guarded-db +200ms for 20s
"#,
    },
];
