//! What the views read and how a run starts and stops: a world compiled once (`CheckedWorld`)
//! runs exactly like `Sim::new`, as often as wanted; a message in flight is presented with the
//! mechanism of the record it becomes; the presentation table names every mechanism once; a
//! small scenario with a huge load stops at the pending-work limit instead of filling memory.

use switchboard::scenario::{compile, gallery};
use switchboard::sim::{CheckedWorld, Mechanism, Sim};

/// Each gallery world, compiled once, runs to its pinned trace hash (the golden table) on every
/// start, and its metrics are the same each time.
#[test]
fn a_world_compiled_once_runs_to_its_pinned_hash_every_time() {
    let golden = include_str!("golden/gallery-hashes.txt");
    for e in gallery::GALLERY {
        let pinned = golden
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.first() == Some(&e.id))
            .and_then(|f| f.get(3).map(|h| h.to_string()))
            .unwrap_or_else(|| panic!("{} is not in the golden table", e.id));
        let c = compile(e.text).expect("gallery compiles");
        let first = {
            let mut sim = Sim::start(&c.checked, e.seed);
            sim.run_to_end();
            sim
        };
        assert_eq!(format!("{:016x}", first.trace_hash()), pinned, "{}", e.id);
        let mut again = Sim::start(&c.checked, e.seed);
        again.run_to_end();
        assert_eq!(again.trace_hash(), first.trace_hash(), "{}", e.id);
        assert_eq!(again.metrics(), first.metrics(), "{}", e.id);
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

/// A message in flight is presented by what it is and where it goes: an ack or nack flying to a
/// subscription is pub/sub, to a queue it is queue (the timeline used to draw both as queue in
/// flight, and the first as pub/sub once landed).
#[test]
fn messages_in_flight_have_the_mechanism_of_their_route() {
    use switchboard::sim::{Kind, NodeKind};
    let (mut acks_to_subs, mut acks_to_queues) = (0, 0);
    for id in ["checkout", "pubsub-fanout"] {
        let e = gallery::find(id).expect("gallery entry");
        let c = compile(e.text).expect("compiles");
        let mut sim = Sim::new(c.world, e.seed).expect("valid");
        for _ in 0..20_000 {
            if sim.step().is_none() {
                break;
            }
            for m in sim.in_flight() {
                let to = sim.nodes()[m.to.0 as usize].kind;
                let want = match m.kind {
                    Kind::RestRequest | Kind::RestResponse => Mechanism::Rest,
                    Kind::RpcRequest | Kind::RpcResponse => Mechanism::Rpc,
                    Kind::Publish | Kind::SubscriptionDeliver => Mechanism::PubSub,
                    Kind::Enqueue | Kind::QueueDeliver => Mechanism::Queue,
                    Kind::Ack | Kind::Nack if to == NodeKind::Subscription => {
                        acks_to_subs += 1;
                        Mechanism::PubSub
                    }
                    // A broker's confirm to a producer: from a topic it is pub/sub.
                    Kind::Ack | Kind::Nack if to == NodeKind::Service => {
                        match sim.nodes()[m.from.0 as usize].kind {
                            NodeKind::Topic => Mechanism::PubSub,
                            _ => Mechanism::Queue,
                        }
                    }
                    Kind::Ack | Kind::Nack => {
                        assert_eq!(to, NodeKind::Queue);
                        acks_to_queues += 1;
                        Mechanism::Queue
                    }
                    other => panic!("{other:?} never travels"),
                };
                assert_eq!(sim.hop_mechanism(m.kind, m.from, m.to), want, "{id}: {m:?}");
            }
        }
    }
    assert!(
        acks_to_subs > 0 && acks_to_queues > 0,
        "{acks_to_subs} / {acks_to_queues}"
    );
}

#[test]
fn every_mechanism_has_one_slug_label_and_colour() {
    // ALL lists every variant (this match is exhaustive: a new mechanism fails to compile here).
    for m in Mechanism::ALL {
        match m {
            Mechanism::Rest
            | Mechanism::Rpc
            | Mechanism::Queue
            | Mechanism::PubSub
            | Mechanism::Internal => {}
        }
    }
    assert_eq!(Mechanism::ALL.len(), 5);
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
/// call (about 0.9 GB in a browser); now it stops, with a clear reason, once two million are
/// pending, long before the trace limit.
#[test]
fn a_huge_load_stops_at_the_pending_limit() {
    use switchboard::sim::StopReason;
    let text = "scenario \"flood\" duration 1000000s\nservice s workers 1 time 1000000s backlog 1000000\nclient c rate 1000000/s -> s GET /x timeout 1000000s\ns GET /x:\n  work\n  reply 200\n";
    let c = compile(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(
        c.world.run.pending_limit, 2_000_000,
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
    assert!(
        stop.to_string()
            .starts_with("over 50,000 tasks, calls, messages and timers pending at once at "),
        "{stop}"
    );
    assert_eq!(sim.step(), None, "a stopped run stays stopped");

    // The same world with room for the load runs on past that point.
    let mut roomy = Sim::new(c.world.clone().pending_limit(u64::MAX), 1).expect("valid");
    roomy.run_until(at);
    assert_eq!(roomy.stop_reason(), None);
}
