//! What the views read and how a run starts and stops: a world compiled once (`CheckedWorld`)
//! runs exactly like `Sim::new`, as often as wanted; a message in flight is presented with the
//! mechanism of the record it becomes; the presentation table names every mechanism once; a
//! small scenario with a huge load stops at the pending-work limit instead of filling memory.

use switchboard::scenario::{compile, gallery};
use switchboard::sim::{CheckedWorld, Mechanism, Sim};

#[test]
fn a_world_compiled_once_runs_like_a_fresh_one_every_time() {
    for e in gallery::GALLERY {
        let c = compile(e.text).expect("gallery compiles");
        let mut fresh = Sim::new(c.world.clone(), e.seed).expect("valid");
        fresh.run_to_end();
        let checked = CheckedWorld::new(&c.world).expect("valid");
        for _ in 0..2 {
            let mut again = Sim::start(&checked, e.seed);
            again.run_to_end();
            assert_eq!(again.trace_hash(), fresh.trace_hash(), "{}", e.id);
            assert_eq!(again.metrics(), fresh.metrics(), "{}", e.id);
        }
        let mut from_compiled = Sim::start(&c.checked, e.seed);
        from_compiled.run_to_end();
        assert_eq!(from_compiled.trace_hash(), fresh.trace_hash(), "{}", e.id);
    }
}

#[test]
fn a_bad_world_is_refused_when_checked() {
    use switchboard::sim::{Call, Client, HttpMethod, World};
    let world = World::new().client(Client::new(
        "web",
        Call::rest("nowhere", HttpMethod::Get, "/"),
        1.0,
    ));
    let err = CheckedWorld::new(&world).expect_err("calls an unknown service");
    assert!(err.to_string().contains("nowhere"), "{err}");
}

/// Every message seen in flight, in a run with queues, subscriptions, acks to both and RPC, is
/// presented with the same mechanism as the record it becomes when it lands (an ack flying to a
/// subscription is pub/sub in flight too, not queue).
#[test]
fn messages_in_flight_have_the_mechanism_of_their_record() {
    let mut checked_pubsub_ack = false;
    for id in ["checkout", "pubsub-fanout"] {
        let e = gallery::find(id).expect("gallery entry");
        let c = compile(e.text).expect("compiles");
        let mut sim = Sim::new(c.world, e.seed).expect("valid");
        let mut seen = Vec::new();
        for _ in 0..20_000 {
            if sim.step().is_none() {
                break;
            }
            for m in sim.in_flight() {
                seen.push((m.trace, m.from, m.to, m.kind, m.sent, m.attempt, {
                    sim.hop_mechanism(m.kind, m.from, m.to)
                }));
            }
        }
        seen.sort_by_key(|s| (s.0, s.1, s.2, s.3, s.4, s.5));
        seen.dedup();
        let mut matched = 0;
        for r in sim.trace().records() {
            let key = (r.trace, r.from, r.to, r.kind, r.send, r.attempt);
            if let Ok(i) = seen.binary_search_by_key(&key, |s| (s.0, s.1, s.2, s.3, s.4, s.5)) {
                assert_eq!(
                    seen[i].6,
                    sim.mechanism(r),
                    "{id}: {}",
                    sim.format_record(r)
                );
                matched += 1;
                if r.kind == switchboard::sim::Kind::Ack && seen[i].6 == Mechanism::PubSub {
                    checked_pubsub_ack = true;
                }
            }
        }
        assert!(
            matched > 100,
            "{id}: only {matched} records matched a message in flight"
        );
    }
    assert!(
        checked_pubsub_ack,
        "no ack to a subscription was seen in flight"
    );
}

#[test]
fn every_mechanism_has_one_slug_label_and_colour() {
    let mut slugs = Vec::new();
    for m in Mechanism::ALL {
        assert_eq!(Mechanism::from_slug(m.as_str()), Some(m));
        assert!(m.colour().starts_with("mech-") && m.colour().ends_with(m.as_str()));
        assert!(!m.label().is_empty() && !m.filter_label().is_empty());
        slugs.push(m.as_str());
    }
    slugs.sort_unstable();
    slugs.dedup();
    assert_eq!(slugs.len(), Mechanism::ALL.len());
    assert_eq!(Mechanism::from_slug("bogus"), None);
}

/// The 167-character link of the hostile report: hour-long work behind a million requests a
/// second, each waiting up to a million seconds. Without a bound the engine held every task and
/// call (about 0.9 GB in a browser); now it stops, with a clear reason, once a million are
/// pending, long before the trace limit.
#[test]
fn a_huge_load_stops_at_the_pending_limit() {
    use switchboard::sim::StopReason;
    let text = "scenario \"flood\" duration 1000000s\nservice s workers 1 time 1000000s backlog 1000000\nclient c rate 1000000/s -> s GET /x timeout 1000000s\ns GET /x:\n  work\n  reply 200\n";
    let c = compile(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(
        c.world.run.pending_limit, 1_000_000,
        "every scenario has the limit"
    );
    // A lower limit, so the test runs in a moment: the rule is the same.
    let world = c.world.clone().pending_limit(50_000);
    let mut sim = Sim::new(world, 1).expect("valid");
    let stop = sim.run_to_end();
    let StopReason::PendingLimit { limit, at } = stop else {
        panic!("stopped with {stop}");
    };
    assert_eq!(limit, 50_000);
    // 25,000 requests (a call and a task each) arrive in the first 25 ms.
    assert!(at < switchboard::sim::SimTime::from_millis(30), "{at}");
    assert!(
        sim.trace().len() < 3_000_000,
        "{} records",
        sim.trace().len()
    );
    assert!(stop.to_string().contains("pending at once"), "{stop}");
    assert_eq!(sim.step(), None, "a stopped run stays stopped");

    // The same world with room for the load runs on past that point.
    let mut roomy = Sim::new(c.world.clone().pending_limit(u64::MAX), 1).expect("valid");
    roomy.run_until(at);
    assert_eq!(roomy.stop_reason(), None);
}
