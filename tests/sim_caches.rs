//! Read-through caches: a hit answers at once, a miss calls and its success fills the entry;
//! entries expire after their TTL and the least recently used is evicted; coalescing makes one
//! fetch per key and shares its outcome (with each waiter's own deadline); a flush empties the
//! cache. Hit ratios against the theory of LRU caches (uniform keys: C/N; Zipf keys: Che's
//! approximation).

use switchboard::sim::*;
#[path = "support/traces.rs"]
mod traces;
use traces::*;

fn net1ms() -> Network {
    Network::latency(Dist::constant_ms(1))
}

fn db(ms_: u64) -> Service {
    Service::new("db")
        .workers(8)
        .time(Dist::constant_ms(ms_))
        .rest(HttpMethod::Get, "/x", Handler::new().work())
}

fn get() -> Call {
    Call::rest("db", HttpMethod::Get, "/x").cache("items")
}

/// One key, so every request asks for the same entry.
fn one_key() -> Cache {
    Cache::new("items").keys(Keys::Uniform { n: 1 })
}

#[test]
fn a_miss_calls_and_fills_and_a_hit_answers_at_once() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(db(10))
        .cache(one_key())
        .client(
            Client::new("c", get(), 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(100), 1),
        );
    let sim = run(w);
    check(
        &sim,
        "
        0.000ms 0.000ms c -> c cache items MISS attempt 1
        0.000ms 1.000ms c -> db rest GET /x OK attempt 1
        1.000ms 11.000ms db -> db work GET /x OK attempt 1
        11.000ms 12.000ms db -> c rest-reply GET /x 200 attempt 1
        100.000ms 100.000ms c -> c cache items HIT attempt 1
        ",
    );
    let m = &sim.metrics();
    let (cache, client) = (&m.caches[0], &m.clients[0]);
    assert_eq!((cache.hits, cache.misses, cache.fills), (1, 1, 1));
    assert_eq!(client.completed, 2);
    assert_eq!(client.latency.max(), ms(12));
    assert_eq!(m.calls[0].ok, 2);
    assert_eq!(m.calls[0].attempts, 1);
}

#[test]
fn an_entry_is_fresh_for_its_ttl_after_its_fill() {
    // Filled at 12 ms with a 50 ms TTL: fresh at 40 ms and just before 62 ms, stale at 62 ms.
    let results = |second: u64| {
        let w = World::new()
            .duration(SimTime::from_secs(1))
            .network(net1ms())
            .service(db(10))
            .cache(one_key().ttl(ms(50)))
            .client(
                Client::new("c", get(), 0.0)
                    .burst(SimTime::ZERO, 1)
                    .burst(SimTime::from_micros(second), 1),
            );
        let sim = run(w);
        lines_with(&sim, " cache ")
            .iter()
            .map(|l| l.split(' ').nth(7).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(results(40_000), ["MISS", "HIT"]);
    assert_eq!(results(61_999), ["MISS", "HIT"]);
    assert_eq!(results(62_000), ["MISS", "MISS"]);
}

#[test]
fn a_failed_fetch_fills_nothing() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(db(10))
        .cache(one_key())
        .client(
            Client::new("c", get(), 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(100), 1),
        )
        .fault(Fault::error_spike("db", 1.0, SimTime::ZERO, ms(50)));
    let sim = run(w);
    let m = &sim.metrics().caches[0];
    assert_eq!((m.hits, m.misses, m.fills), (0, 2, 1));
}

#[test]
fn the_least_recently_used_entry_is_evicted() {
    // Three keys and room for two: every fill past the second evicts one, and the cache never
    // holds more than its capacity.
    let w = World::new()
        .duration(SimTime::from_secs(20))
        .network(net1ms())
        .service(db(1))
        .cache(Cache::new("items").capacity(2).keys(Keys::Uniform { n: 3 }))
        .client(Client::new("c", get(), 50.0));
    let mut sim = Sim::new(w, 3).unwrap();
    while sim.step().is_some() {
        assert!(sim.caches()[0].entries <= 2);
    }
    let m = &sim.metrics().caches[0];
    assert_eq!(m.evictions, m.fills - 2);
    assert_eq!(m.entries, 2);
    // LRU with 2 of 3 uniform keys hits 2/3 of the time.
    let ratio = m.hit_ratio();
    assert!((ratio - 2.0 / 3.0).abs() < 0.03, "{ratio}");
}

#[test]
fn coalescing_makes_one_fetch_for_misses_of_the_same_key() {
    let fetches = |coalesce: bool| {
        let cache = if coalesce {
            one_key().coalesce()
        } else {
            one_key()
        };
        let w = World::new()
            .duration(SimTime::from_secs(1))
            .network(net1ms())
            .service(db(10))
            .cache(cache)
            .client(Client::new("c", get(), 0.0).burst(SimTime::ZERO, 4));
        let sim = run(w);
        let c = &sim.metrics().clients[0];
        assert_eq!(c.completed, 4);
        assert_eq!(c.latency.max(), ms(12));
        (
            sim.metrics().endpoints[0].requests,
            lines_with(&sim, " JOINED ").len(),
        )
    };
    assert_eq!(fetches(false), (4, 0));
    assert_eq!(fetches(true), (1, 3));
}

#[test]
fn waiters_share_a_failed_fetch_and_keep_their_own_deadline() {
    // The fetch fails at 12 ms: the waiter with no deadline fails with it; the one with a 5 ms
    // timeout (joined at 1 ms) gave up at 6 ms.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(db(10))
        .cache(one_key().coalesce())
        .client(Client::new("leader", get(), 0.0).burst(SimTime::ZERO, 1))
        .client(Client::new("patient", get(), 0.0).burst(ms(1), 1))
        .client(Client::new("hasty", get().timeout(ms(5)), 0.0).burst(ms(1), 1))
        .fault(Fault::error_spike("db", 1.0, SimTime::ZERO, ms(50)));
    let sim = run(w);
    let m = &sim.metrics().clients;
    let outcome = |i: usize| (m[i].completed, m[i].errors, m[i].latency.max());
    assert_eq!(outcome(0), (1, 1, ms(12)));
    assert_eq!(outcome(1), (1, 1, ms(11)));
    assert_eq!(m[2].timeouts + m[2].errors, 1);
    assert_eq!(m[2].latency.max(), ms(5));
    assert_eq!(
        lines_with(&sim, " timeout "),
        ["1.000ms 6.000ms db -> hasty timeout GET /x TIMEOUT attempt 1"]
    );
    assert_eq!(sim.metrics().endpoints[0].requests, 1);
}

#[test]
fn when_the_fetching_call_is_abandoned_a_waiter_fetches() {
    // front's handler fetches through the cache; front crashes at 5 ms, abandoning the fetch.
    // The client that joined it at 2 ms fetches itself, and is answered.
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(db(10))
        .service(Service::new("front").rest(HttpMethod::Get, "/f", Handler::new().call(get())))
        .cache(one_key().coalesce())
        .client(
            Client::new("via-front", Call::rest("front", HttpMethod::Get, "/f"), 0.0)
                .burst(SimTime::ZERO, 1),
        )
        .client(Client::new("direct", get(), 0.0).burst(ms(2), 1))
        .fault(Fault::crash("front", ms(5), SimTime::from_secs(1)));
    let sim = run(w);
    let direct = &sim.metrics().clients[1];
    assert_eq!((direct.completed, direct.errors), (1, 0));
    // Its own fetch left at the crash (5 ms), reached db at 6 ms and came back at 17 ms.
    assert_eq!(direct.latency.max(), ms(15));
    assert_eq!(sim.metrics().endpoints[0].requests, 2);
    assert_eq!(lines_with(&sim, "direct -> db rest").len(), 1);
}

#[test]
fn a_flush_empties_the_cache() {
    let w = World::new()
        .duration(SimTime::from_secs(1))
        .network(net1ms())
        .service(db(10))
        .cache(one_key())
        .client(
            Client::new("c", get(), 0.0)
                .burst(SimTime::ZERO, 1)
                .burst(ms(100), 1)
                .burst(ms(300), 1),
        )
        .fault(Fault::flush("items", ms(200)));
    let sim = run(w);
    let m = &sim.metrics().caches[0];
    assert_eq!((m.hits, m.misses, m.flushed), (1, 2, 1));
    assert_eq!(
        lines_with(&sim, "flush"),
        [
            "200.000ms 200.000ms * -> * fault flush items OK attempt 1",
            "200.000ms 200.000ms * -> * fault-end flush items OK attempt 1",
        ]
    );
}

#[test]
fn bad_caches_are_world_errors() {
    let bad = |c: Cache| {
        Sim::new(World::new().service(db(1)).cache(c), 1)
            .err()
            .map(|e| e.to_string())
    };
    assert!(bad(Cache::new("c").capacity(0))
        .unwrap()
        .contains("capacity"));
    assert!(bad(Cache::new("c").ttl(SimTime::ZERO))
        .unwrap()
        .contains("ttl"));
    assert!(bad(Cache::new("c").keys(Keys::Uniform { n: 0 }))
        .unwrap()
        .contains("keys"));
    assert!(bad(Cache::new("c").keys(Keys::Zipf { n: 5, s: 0.0 }))
        .unwrap()
        .contains("Zipf"));
    assert!(
        bad(Cache::new("db")).is_some(),
        "a cache cannot take a service's name"
    );
    let w = World::new().service(db(1)).client(Client::new(
        "c",
        Call::rest("db", HttpMethod::Get, "/x").cache("nope"),
        1.0,
    ));
    assert!(Sim::new(w, 1).err().unwrap().to_string().contains("nope"));
}

/// Hit ratio of an LRU cache of `capacity` over `keys`, fed by a steady stream of requests
/// (far more than the keys, so the warm-up is negligible).
fn hit_ratio(capacity: u32, keys: Keys, requests_per_s: f64, secs: u64) -> f64 {
    let w = World::new()
        .duration(SimTime::from_secs(secs))
        .event_budget(u64::MAX)
        .tracing(false)
        .network(Network::latency(Dist::ZERO))
        .service(db(0))
        .cache(Cache::new("items").capacity(capacity).keys(keys))
        .client(Client::new("c", get(), requests_per_s));
    let sim = run(w);
    sim.metrics().caches[0].hit_ratio()
}

#[test]
fn lru_with_uniform_keys_hits_capacity_over_keys() {
    // Under independent uniform references every set of C keys is equally likely to be cached:
    // the hit ratio is C/N.
    let r = hit_ratio(100, Keys::Uniform { n: 1000 }, 2000.0, 200);
    assert!((r - 0.1).abs() < 0.005, "{r}");
}

#[test]
fn lru_with_zipf_keys_matches_ches_approximation() {
    // Che, Tung and Wang (IEEE JSAC 2002): the characteristic time T solves
    // Σ (1 − e^(−p_i T)) = C, and the hit ratio is Σ p_i (1 − e^(−p_i T)).
    let (n, c, s) = (1000u32, 100u32, 0.9);
    let norm: f64 = (1..=n).map(|k| f64::from(k).powf(-s)).sum();
    let p: Vec<f64> = (1..=n).map(|k| f64::from(k).powf(-s) / norm).collect();
    let filled = |t: f64| p.iter().map(|&q| 1.0 - (-q * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1e9);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < f64::from(c) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let theory: f64 = p.iter().map(|&q| q * (1.0 - (-q * lo).exp())).sum();
    let r = hit_ratio(c, Keys::Zipf { n, s }, 2000.0, 200);
    println!("zipf s={s}: hit ratio {r:.4}, Che {theory:.4}");
    assert!((r - theory).abs() < 0.01, "{r} vs {theory}");
}
