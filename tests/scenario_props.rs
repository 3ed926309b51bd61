//! Property tests of the scenario language: random valid models round-trip exactly through the
//! text and through share links; random and mutated texts never panic, always finish, and every
//! diagnostic points inside the text at exactly the text it quotes.

use proptest::prelude::*;
use switchboard::scenario::model::*;
use switchboard::scenario::units::{Dist, Duration, Factor, Percent, Rate};
use switchboard::scenario::{self, format, gallery, link, parse, Diagnostic};

// ---------------------------------------------------------------------------------------------
// A random valid model, built from a stream of random numbers so that every reference is to
// something declared and synchronous calls only go "forward" (no cycles).

struct Gen {
    state: u64,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn maybe<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> Option<T> {
        if self.chance(40) {
            Some(f(self))
        } else {
            None
        }
    }
    fn duration(&mut self) -> Duration {
        let unit = *self.pick(&[1, 1_000, 1_000_000, 60_000_000]);
        let d = Duration((1 + self.below(5_000)) * unit);
        Duration(d.0.min(1_000_000_000_000))
    }
    fn dist(&mut self) -> Dist {
        let a = self.duration();
        let b = self.duration();
        match self.below(5) {
            0 => Dist::Constant(a),
            1 => Dist::Uniform(a.min(b), a.max(b)),
            2 => Dist::Exp(a),
            3 => Dist::Normal(a, b),
            _ => Dist::LogNormal(a, b),
        }
    }
    fn percent(&mut self) -> Percent {
        Percent {
            ppm: self.below(1_000_001) as u32,
        }
    }
    fn comment(&mut self) -> String {
        let pool = [
            "",
            "note",
            "ünïcödé µs",
            "two  spaces",
            "#hash",
            " leading",
            "a \"quote\"",
        ];
        self.pick(&pool).to_string()
    }
    fn notes(&mut self) -> Notes {
        let mut n = Notes::default();
        if self.chance(15) {
            for _ in 0..1 + self.below(2) {
                n.before.push(self.comment());
            }
        }
        if self.chance(15) {
            n.after = Some(self.comment());
        }
        n
    }
    fn ident(&mut self, prefix: &str, i: usize) -> Ident {
        let style = ["", "-x", "_y", "2"];
        Ident::new(format!("{prefix}{i}{}", self.pick(&style)))
    }
}

fn options(g: &mut Gen) -> CallOptions {
    let mut o = CallOptions {
        timeout: g.maybe(|g| g.duration()),
        ..CallOptions::default()
    };
    // An attempt limit must be below the whole call's.
    o.attempt_timeout = g
        .maybe(|g| g.duration())
        .filter(|a| o.timeout.is_none_or(|t| *a < t));
    if g.chance(40) {
        o.retries = Some(g.below(6) as u32);
        o.backoff = g.maybe(|g| Duration::from_millis(1 + g.below(100)));
        o.multiplier = g.maybe(|g| Factor {
            milli: 1000 + g.below(3000) as u32,
        });
        o.max_backoff = g.maybe(|g| Duration::from_secs(1 + g.below(10)));
        o.jitter = g.maybe(|g| g.percent());
    }
    if g.chance(25) {
        o.breaker = Some(Breaker {
            threshold: Percent {
                ppm: 1 + g.below(1_000_000) as u32,
            },
            window: g.maybe(|g| g.duration()),
            min_calls: g.maybe(|g| 1 + g.below(50) as u32),
            cooldown: g.maybe(|g| g.duration()),
            probes: g.maybe(|g| 1 + g.below(5) as u32),
            slow: g.maybe(|g| g.duration()),
        });
    }
    o.continue_on_error = g.chance(20);
    // Connection pools, drawn last so the other options' draws are as before.
    if g.chance(15) {
        o.pool = Some(1 + g.below(50) as u32);
        o.pool_wait = g.maybe(|g| g.duration());
    }
    o
}

fn status_for(g: &mut Gen, rest: bool) -> Status {
    if rest {
        Status::Http(100 + g.below(500) as u16)
    } else {
        *g.pick(&GrpcCode::ALL.map(Status::Grpc))
    }
}

fn random_model(seed: u64) -> Scenario {
    let g = &mut Gen::new(seed);
    let mut s = Scenario {
        name: g
            .pick(&["checkout", "a \"b\" c", "ünï", "", "tab\there"])
            .to_string(),
        seed: g.next(),
        duration: g.duration(),
        budget: g.maybe(|g| 1 + g.below(1 << 40)),
        notes: g.notes(),
        items: Vec::new(),
        trailing_comments: if g.chance(20) {
            vec![g.comment()]
        } else {
            vec![]
        },
    };
    let n_services = 1 + g.below(4) as usize;
    let services: Vec<Ident> = (0..n_services).map(|i| g.ident("svc", i)).collect();
    let queues: Vec<Ident> = (0..g.below(3) as usize).map(|i| g.ident("q", i)).collect();
    let topics: Vec<Ident> = (0..g.below(3) as usize).map(|i| g.ident("t", i)).collect();
    let item = |kind: ItemKind, g: &mut Gen| Item {
        kind,
        notes: g.notes(),
        span: Default::default(),
    };
    let mut items = Vec::new();
    if g.chance(50) {
        items.push(item(
            ItemKind::Network(Network {
                latency: Some(g.dist()),
                loss: g.maybe(|g| g.percent()),
            }),
            g,
        ));
    }
    for v in &services {
        items.push(item(
            ItemKind::Service({
                let replicas = g.maybe(|g| 1 + g.below(5) as u32);
                let many = replicas.is_some_and(|n| n > 1);
                let mut s = Service {
                    name: v.clone(),
                    workers: g.maybe(|g| 1 + g.below(64) as u32),
                    time: g.maybe(|g| g.dist()),
                    backlog: g.maybe(|g| g.below(1000) as u32),
                    replicas,
                    lb: if many {
                        g.maybe(|g| Balancer::ALL[g.below(4) as usize])
                    } else {
                        None
                    },
                    eject_after: if many {
                        g.maybe(|g| 1 + g.below(10) as u32)
                    } else {
                        None
                    },
                    eject_for: None,
                    max_ejected: if many {
                        g.maybe(|g| Percent::from_percent(1 + g.below(100) as u32))
                    } else {
                        None
                    },
                    lifo: false,
                    lifo_above: None,
                    shed_after: None,
                    rate_limit: None,
                    burst: None,
                    per_caller: false,
                    contention: None,
                    coherence: None,
                };
                // Admission options, drawn last so the other fields' draws are as before.
                if g.chance(30) {
                    if g.chance(50) {
                        s.lifo = true;
                    } else {
                        s.lifo_above = Some(1 + g.below(100) as u32);
                    }
                }
                s.shed_after = g.maybe(|g| g.duration());
                if g.chance(30) {
                    s.rate_limit = Some(Rate {
                        milli_per_min: 1 + g.below(6_000_000),
                    });
                    s.burst = g.maybe(|g| 1 + g.below(100) as u32);
                }
                // Load-dependent slowdown, drawn after admission for the same reason.
                if g.chance(20) {
                    s.contention = g.maybe(|g| Percent::from_percent(1 + g.below(50) as u32));
                    s.coherence = g.maybe(|g| Percent::from_percent(1 + g.below(5) as u32));
                }
                // A bucket per caller, drawn last for the same reason.
                if s.rate_limit.is_some() {
                    s.per_caller = g.chance(50);
                }
                s
            }),
            g,
        ));
    }
    if n_services >= 2 && g.chance(40) {
        items.push(item(
            ItemKind::Link(Link {
                a: services[0].clone(),
                b: services[1].clone(),
                latency: g.maybe(|g| g.dist()),
                loss: g.maybe(|g| g.percent()),
            }),
            g,
        ));
    }
    for q in &queues {
        items.push(item(
            ItemKind::Queue(Queue {
                name: q.clone(),
                capacity: g.maybe(|g| 1 + g.below(1000) as u32),
                overflow: g.maybe(|g| *g.pick(&[Overflow::Reject, Overflow::DropOldest])),
                visibility: g.maybe(|g| g.duration()),
                max_attempts: g.maybe(|g| 1 + g.below(10) as u32),
                dlq: g.maybe(|g| g.ident("dead", 0)),
                confirm_timeout: g.maybe(|g| g.duration()),
                confirm_retries: g.maybe(|g| g.below(4) as u32),
            }),
            g,
        ));
    }
    for t in &topics {
        items.push(item(
            ItemKind::Topic(Topic {
                name: t.clone(),
                confirm_timeout: g.maybe(|g| g.duration()),
                confirm_retries: g.maybe(|g| g.below(4) as u32),
            }),
            g,
        ));
    }
    // Endpoints: (service index, target). Calls go from endpoint k only to endpoints after k.
    let mut endpoints: Vec<(usize, Target)> = Vec::new();
    for (si, v) in services.iter().enumerate() {
        for e in 0..g.below(3) {
            let target = if g.chance(50) {
                Target::Rpc {
                    service: v.clone(),
                    method: Ident::new(format!("M{e}")),
                }
            } else {
                Target::Rest {
                    service: v.clone(),
                    method: *g.pick(&HttpMethod::ALL),
                    path: format!("/p{e}/{{id}}"),
                }
            };
            endpoints.push((si, target));
        }
    }
    let mut clients = Vec::new();
    if !endpoints.is_empty() {
        for ci in 0..g.below(3) as usize {
            let name = g.ident("client", ci);
            let target = g.pick(&endpoints).1.clone();
            let from = g.maybe(|g| Duration::from_secs(g.below(10)));
            let until = g.maybe(|g| Duration::from_secs(11 + g.below(100)));
            // Open loop (a rate, perhaps a ramp) or closed loop (users who think).
            let closed = g.chance(30);
            let rate = Rate {
                milli_per_min: g.below(60_000_000),
            };
            let ramp = g.maybe(|g| Ramp {
                to: Rate {
                    milli_per_min: rate.milli_per_min + 1 + g.below(60_000_000),
                },
                over: g.duration(),
            });
            items.push(item(
                ItemKind::Client(Client {
                    name: name.clone(),
                    rate: (!closed).then_some(rate),
                    ramp: if closed { None } else { ramp },
                    arrival: if closed {
                        Arrival::Constant
                    } else {
                        *g.pick(&[Arrival::Constant, Arrival::Poisson])
                    },
                    users: closed.then(|| 1 + g.below(1000) as u32),
                    // A log-normal whose median rounds to 0 µs is refused as a think time.
                    think: closed.then(|| match g.dist() {
                        Dist::LogNormal(m, _) => Dist::LogNormal(m, m),
                        d => d,
                    }),
                    from,
                    until,
                    call: Call {
                        target,
                        options: options(g),
                    },
                }),
                g,
            ));
            clients.push(name);
        }
    }
    let steps = |g: &mut Gen, rest: Option<bool>, later: &[(usize, Target)]| -> Vec<Step> {
        let mut out = Vec::new();
        for _ in 0..g.below(5) {
            let kind = match g.below(9) {
                0 => StepKind::Work {
                    time: g.maybe(|g| g.dist()),
                },
                1 | 2 if !later.is_empty() => StepKind::Call(Call {
                    target: g.pick(later).1.clone(),
                    options: options(g),
                }),
                3 if !later.is_empty() => StepKind::Parallel {
                    calls: (0..1 + g.below(3))
                        .map(|_| ParallelCall {
                            call: Call {
                                target: g.pick(later).1.clone(),
                                options: options(g),
                            },
                            notes: g.notes(),
                            span: Default::default(),
                        })
                        .collect(),
                },
                4 if !topics.is_empty() => StepKind::Publish {
                    topic: g.pick(&topics).clone(),
                    message: Ident::new("Msg"),
                    attrs: (0..g.below(3))
                        .map(|i| Attr {
                            key: Ident::new(format!("k{i}")),
                            value: Ident::new("v"),
                        })
                        .collect(),
                },
                5 if !queues.is_empty() => StepKind::Enqueue {
                    queue: g.pick(&queues).clone(),
                    message: Ident::new("Job"),
                },
                6 => match rest {
                    Some(r) => StepKind::Reply {
                        status: status_for(g, r),
                    },
                    None => StepKind::Ack,
                },
                7 => StepKind::Fail {
                    probability: g.percent(),
                    status: match rest {
                        Some(r) if g.chance(50) => Some(status_for(g, r)),
                        _ => None,
                    },
                },
                _ => match rest {
                    None => StepKind::Nack,
                    Some(_) => StepKind::Work { time: None },
                },
            };
            out.push(Step {
                kind,
                notes: g.notes(),
                span: Default::default(),
            });
        }
        out
    };
    for (k, (si, target)) in endpoints.iter().enumerate() {
        let later = &endpoints[k + 1..];
        let (trigger, rest) = match target {
            Target::Rpc { method, .. } => (
                Trigger::Rpc {
                    method: method.clone(),
                },
                true.then_some(false),
            ),
            Target::Rest { method, path, .. } => (
                Trigger::Rest {
                    method: *method,
                    path: path.clone(),
                    dedupe: false,
                },
                Some(true),
            ),
        };
        let steps = steps(g, rest, later);
        items.push(item(
            ItemKind::Handler(Handler {
                service: services[*si].clone(),
                trigger,
                steps,
            }),
            g,
        ));
    }
    for q in &queues {
        if g.chance(70) {
            let service = g.pick(&services).clone();
            let steps = steps(g, None, &endpoints);
            items.push(item(
                ItemKind::Handler(Handler {
                    service,
                    trigger: Trigger::Consume {
                        queue: q.clone(),
                        concurrency: g.maybe(|g| 1 + g.below(8) as u32),
                        max_extension: g.maybe(|g| g.duration()),
                    },
                    steps,
                }),
                g,
            ));
        }
    }
    for (ti, t) in topics.iter().enumerate() {
        for (si, v) in services.iter().enumerate() {
            if g.chance(40) {
                let steps = steps(g, None, &endpoints);
                items.push(item(
                    ItemKind::Handler(Handler {
                        service: v.clone(),
                        trigger: Trigger::Subscribe {
                            topic: t.clone(),
                            subscription: g.maybe(|_| Ident::new(format!("sub{ti}-{si}"))),
                            filter: g.maybe(|_| Attr {
                                key: Ident::new("k0"),
                                value: Ident::new("v"),
                            }),
                            ack_deadline: g.maybe(|g| g.duration()),
                            capacity: g.maybe(|g| 1 + g.below(100) as u32),
                            overflow: g
                                .maybe(|g| *g.pick(&[Overflow::Reject, Overflow::DropOldest])),
                            max_attempts: g.maybe(|g| 1 + g.below(5) as u32),
                            dlq: g.maybe(|_| Ident::new(format!("sub-dead{ti}-{si}"))),
                            concurrency: g.maybe(|g| 1 + g.below(4) as u32),
                            max_extension: g.maybe(|g| g.duration()),
                        },
                        steps,
                    }),
                    g,
                ));
            }
        }
    }
    for _ in 0..g.below(4) {
        let at = Duration::from_millis(g.below(100_000));
        let lasting = g.maybe(|g| g.duration());
        let sel = |g: &mut Gen| {
            if g.chance(30) || n_services < 2 {
                LinkSel::Network
            } else {
                LinkSel::Between(services[0].clone(), services[1].clone())
            }
        };
        let action = match g.below(6) {
            0 if n_services >= 2 => FaultAction::Partition {
                a: vec![services[0].clone()],
                b: services[1..].to_vec(),
                lasting,
            },
            1 => FaultAction::Slow {
                link: sel(g),
                extra: g.duration(),
                lasting,
            },
            2 => FaultAction::Loss {
                link: sel(g),
                probability: g.percent(),
                lasting,
            },
            3 => FaultAction::Errors {
                service: g.pick(&services).clone(),
                probability: g.percent(),
                lasting,
            },
            4 if !clients.is_empty() => FaultAction::Burst {
                client: g.pick(&clients).clone(),
                count: 1 + g.below(1000) as u32,
            },
            _ => FaultAction::Crash {
                service: g.pick(&services).clone(),
                lasting,
            },
        };
        items.push(item(ItemKind::Fault(Fault { at, action }), g));
    }
    s.items = items;
    s
}

// ---------------------------------------------------------------------------------------------
// Checks

fn render(ds: &[Diagnostic]) -> String {
    ds.iter()
        .map(|d| d.render("x"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every diagnostic points inside `src`, and its `text` is exactly what is at that position.
fn assert_positions(src: &str, ds: &[Diagnostic]) {
    let lines: Vec<&str> = src.split('\n').collect();
    assert!(!ds.is_empty());
    for d in ds {
        assert!(
            d.line >= 1 && d.line <= lines.len(),
            "line {} of {}",
            d.line,
            lines.len()
        );
        assert!(d.end_line >= d.line);
        let line: Vec<char> = lines[d.line - 1].chars().collect();
        assert!(
            d.col >= 1 && d.col <= line.len() + 1,
            "{d:?} on {:?}",
            lines[d.line - 1]
        );
        if d.end_line == d.line {
            assert!(d.end_col >= d.col && d.end_col <= line.len() + 1, "{d:?}");
            let quoted: String = line[d.col - 1..d.end_col - 1].iter().collect();
            assert_eq!(quoted, d.text, "{d:?}");
        }
        assert!(!d.message.is_empty());
    }
}

/// Parsing `src` terminates without panicking; errors have valid positions; what parses
/// formats to a fixed point that reads back as the same model.
fn check_any_text(src: &str) {
    match parse(src) {
        Err(ds) => assert_positions(src, &ds),
        Ok(m) => {
            let text = format(&m);
            let again = parse(&text)
                .unwrap_or_else(|ds| panic!("formatted text fails:\n{text}\n{}", render(&ds)));
            assert_eq!(again, m);
            assert_eq!(format(&again), text);
            // A model that parses also lowers; the engine accepts it.
            scenario::lower(&m).unwrap_or_else(|ds| panic!("{}\n{text}", render(&ds)));
        }
    }
}

const WORDS: &[&str] = &[
    "scenario",
    "service",
    "queue",
    "topic",
    "client",
    "network",
    "link",
    "at",
    "rpc",
    "consume",
    "subscribe",
    "work",
    "call",
    "parallel:",
    "publish",
    "enqueue",
    "reply",
    "fail",
    "ack",
    "nack",
    "workers",
    "time",
    "backlog",
    "capacity",
    "overflow",
    "visibility",
    "max-attempts",
    "dlq",
    "rate",
    "poisson",
    "->",
    "<->",
    "timeout",
    "deadline",
    "retries",
    "backoff",
    "jitter",
    "breaker",
    "pool",
    "pool-wait",
    "contention",
    "coherence",
    "for",
    "partition",
    "crash",
    "slow",
    "loss",
    "errors",
    "burst",
    "rate-limit",
    "per-caller",
    "POST",
    "GET",
    "/x",
    "a",
    "b",
    "q",
    "t",
    "a.X",
    "b.Y",
    "20ms",
    "1s",
    "2ms..8ms",
    "20ms±5ms",
    "exp(1ms)",
    "normal(",
    ")",
    ",",
    "=",
    "k=v",
    "5%",
    "100%",
    "20/s",
    "OK",
    "201",
    "\"s\"",
    "\"",
    "#",
    ":",
    "0",
    "18446744073709551616",
    "9999999999s",
    "µs",
    "±",
    "..",
    "+",
    "-",
    "\t",
    "  ",
    "\n",
    "\n  ",
    "\n    ",
    "\r\n",
    "é",
    "\u{0}",
    "\u{FEFF}",
    "𝄞",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(WORDS).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        0..60,
    )
    .prop_map(|parts| parts.join(" "))
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    SwapLines { a: usize, b: usize },
    DupLine { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), prop::sample::select(WORDS)).prop_map(|(at, w)| Mutation::Insert {
            at,
            text: w.to_string()
        }),
        (any::<usize>(), any::<String>()).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Mutation::DupLine { at }),
    ]
}

/// Apply a mutation on char boundaries.
fn apply(src: &str, m: &Mutation) -> String {
    let chars: Vec<char> = src.chars().collect();
    match m {
        Mutation::Delete { at, len } => {
            let at = at % (chars.len() + 1);
            let end = (at + len).min(chars.len());
            chars[..at].iter().chain(&chars[end..]).collect()
        }
        Mutation::Insert { at, text } => {
            let at = at % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(text);
            out.extend(&chars[at..]);
            out
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = src.split('\n').collect();
            let n = lines.len();
            lines.swap(a % n, b % n);
            lines.join("\n")
        }
        Mutation::DupLine { at } => {
            let mut lines: Vec<&str> = src.split('\n').collect();
            let i = at % lines.len();
            lines.insert(i, lines[i]);
            lines.join("\n")
        }
    }
}

/// 400 cases per property by default; `PROPTEST_CASES=20000` for a longer soak.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_models_round_trip_through_text_json_and_links(seed in any::<u64>()) {
        let m = random_model(seed);
        let text = format(&m);
        let parsed = parse(&text).unwrap_or_else(|ds| panic!("{text}\n{}", render(&ds)));
        prop_assert_eq!(&parsed, &m);
        prop_assert_eq!(format(&parsed), text.clone());
        let frag = link::encode(&m);
        let (decoded_text, decoded) = link::decode(&frag).expect("link decodes");
        prop_assert_eq!(decoded_text, text);
        prop_assert_eq!(&decoded, &m);
        let json = scenario::to_json(&m);
        prop_assert_eq!(&scenario::from_json(&json).expect("json"), &m);
        scenario::lower(&m).unwrap_or_else(|ds| panic!("{}", render(&ds)));
    }

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        check_any_text(&src);
    }

    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        check_any_text(&src);
    }

    #[test]
    fn mutated_gallery_texts_never_panic(
        which in 0usize..64,
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let base = gallery::GALLERY[which % gallery::GALLERY.len()].text;
        let mut src = base.to_string();
        for m in &muts {
            src = apply(&src, m);
        }
        check_any_text(&src);
    }

    #[test]
    fn mutated_random_models_never_panic(seed in any::<u64>(), muts in prop::collection::vec(mutation(), 1..4)) {
        let mut src = format(&random_model(seed));
        for m in &muts {
            src = apply(&src, m);
        }
        check_any_text(&src);
    }

    #[test]
    fn link_decoder_never_panics(frag in any::<String>()) {
        let _ = link::decode(&frag);
        let _ = link::decode(&format!("s=1.{frag}"));
    }

    #[test]
    fn damaged_links_never_panic(which in 0usize..64, muts in prop::collection::vec(mutation(), 1..4)) {
        let mut frag = link::encode_text(gallery::GALLERY[which % gallery::GALLERY.len()].text);
        for m in &muts {
            frag = apply(&frag, m);
        }
        let _ = link::decode(&frag);
    }
}

#[test]
fn hostile_shapes_finish() {
    // Long lines, deep indentation, many lines, many tokens, huge numbers.
    let cases = [
        "a".repeat(200_000),
        format!("{}work\n", " ".repeat(100_000)),
        "service a\n".repeat(50_000),
        format!("service a time {}\n", "1ms..".repeat(20_000)),
        format!(
            "service a\na rpc X:\n  parallel:\n{}",
            "    call a.X\n".repeat(20_000)
        ),
        format!("scenario \"{}\n", "\\\"".repeat(50_000)),
        "at 99999999999999999999999s crash a\n".to_string(),
        format!("client c rate {}/s -> a.X\n", "9".repeat(10_000)),
        "(((((((((((((((((((((((((((((((".repeat(10_000),
    ];
    for src in &cases {
        if let Err(ds) = parse(src) {
            assert_positions(src, &ds);
        }
    }
}

/// The generator reaches every kind of line, so the round-trip property covers the language.
#[test]
fn generator_covers_every_form() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..300 {
        let text = format(&random_model(seed));
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                ["#", ..] | [_, ..] if line.trim_start().starts_with('#') => {
                    seen.insert("comment".to_string());
                }
                ["at", _, kind, ..] => {
                    seen.insert(format!("at {kind}"));
                }
                [first, ..] if line.starts_with("  ") => {
                    seen.insert(format!("step {first}"));
                }
                [_, kind, ..] if line.ends_with(':') => {
                    let k = if kind.chars().all(|c| c.is_ascii_uppercase()) {
                        "rest"
                    } else {
                        kind
                    };
                    seen.insert(format!("handler {k}"));
                }
                [first, ..] => {
                    seen.insert(first.to_string());
                }
            }
            for opt in [
                "jitter",
                "breaker",
                "on-error",
                "multiplier",
                "filter",
                "dlq",
                "poisson",
                "budget",
                "±",
                "..",
                "exp(",
                "lognormal(",
            ] {
                if line.contains(opt) {
                    seen.insert(opt.to_string());
                }
            }
        }
    }
    let want = [
        "scenario",
        "network",
        "link",
        "service",
        "queue",
        "topic",
        "client",
        "handler rpc",
        "handler rest",
        "handler consume",
        "handler subscribe",
        "step work",
        "step call",
        "step parallel:",
        "step publish",
        "step enqueue",
        "step reply",
        "step fail",
        "step ack",
        "step nack",
        "at partition",
        "at crash",
        "at slow",
        "at loss",
        "at errors",
        "at burst",
        "comment",
        "jitter",
        "breaker",
        "on-error",
        "multiplier",
        "filter",
        "dlq",
        "poisson",
        "budget",
        "±",
        "..",
        "exp(",
        "lognormal(",
    ];
    let missing: Vec<&str> = want
        .iter()
        .copied()
        .filter(|w| !seen.contains(*w))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
