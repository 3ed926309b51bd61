//! Parser, checker and formatter of the scenario language: data-driven `check(input, expected)`
//! tests for the accepted forms, the canonical text, and every kind of diagnostic.

use switchboard::scenario::{self, format, parse, Diagnostic};

/// The product brief's sketch, verbatim.
const SKETCH: &str = r#"scenario "checkout" seed 42 duration 60s
network latency 2ms..8ms loss 0.1%

service gateway  workers 16
service orders   workers 4  time 20ms±5ms
service payments workers 2  time exp(40ms)
service emails   workers 1  time 100ms

queue payments-q capacity 1000 visibility 5s max-attempts 3 dlq payments-dlq
topic order-events

client web rate 20/s poisson -> gateway POST /checkout

gateway POST /checkout:
  call orders.CreateOrder timeout 300ms retries 2 backoff 50ms
  reply 201

orders rpc CreateOrder:
  work
  publish order-events OrderCreated
  enqueue payments-q Charge
  reply OK

payments consume payments-q:
  work
  fail 5%
  ack

emails subscribe order-events:
  work

at 20s partition orders <-> payments for 5s
at 30s crash payments for 10s
"#;

/// Its canonical form.
const SKETCH_CANONICAL: &str = r#"scenario "checkout" seed 42 duration 60s

network latency 2ms..8ms loss 0.1%

service gateway workers 16
service orders workers 4 time 20ms±5ms
service payments workers 2 time exp(40ms)
service emails workers 1 time 100ms

queue payments-q capacity 1000 visibility 5s max-attempts 3 dlq payments-dlq

topic order-events

client web rate 20/s poisson -> gateway POST /checkout

gateway POST /checkout:
  call orders.CreateOrder deadline 300ms retries 2 backoff 50ms
  reply 201

orders rpc CreateOrder:
  work
  publish order-events OrderCreated
  enqueue payments-q Charge
  reply OK

payments consume payments-q:
  work
  fail 5%
  ack

emails subscribe order-events:
  work

at 20s partition orders <-> payments for 5s
at 30s crash payments for 10s
"#;

fn parse_ok(src: &str) -> scenario::Scenario {
    match parse(src) {
        Ok(m) => m,
        Err(ds) => panic!("expected no errors, got:\n{}", render(&ds)),
    }
}

fn render(ds: &[Diagnostic]) -> String {
    ds.iter()
        .map(|d| d.render("x"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `input` formats to `expected`, which is a fixed point and reads back as the same model.
fn check_format(input: &str, expected: &str) {
    let m = parse_ok(input);
    let text = format(&m);
    assert_eq!(text, expected, "formatted text differs");
    let again = parse_ok(&text);
    assert_eq!(again, m, "parse(format(m)) != m");
    assert_eq!(format(&again), text, "format is not a fixed point");
}

/// Errors as `line:col: message [hint]` lines, and the offending text of each.
fn check_errors(input: &str, expected: &[&str]) {
    let ds = match parse(input) {
        Ok(_) => panic!("expected errors for:\n{input}"),
        Err(ds) => ds,
    };
    let got: Vec<String> = ds
        .iter()
        .map(|d| match &d.hint {
            Some(h) => format!("{}:{}: {} [{}] `{}`", d.line, d.col, d.message, h, d.text),
            None => format!("{}:{}: {} `{}`", d.line, d.col, d.message, d.text),
        })
        .collect();
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}

/// Wrap lines into a minimal valid scenario (two services with endpoints, a queue, a topic).
fn world(extra: &str) -> String {
    format!(
        "scenario \"t\" seed 1 duration 10s\nservice a\nservice b\nqueue q\ntopic t\n\
         client c rate 1/s -> a POST /x\n\
         a POST /x:\n  call b.Get\n\nb rpc Get:\n  work 1ms\n{extra}"
    )
}

#[test]
fn the_product_sketch_parses_and_formats() {
    check_format(SKETCH, SKETCH_CANONICAL);
}

#[test]
fn header_is_optional_and_defaults() {
    let m = parse_ok("service a\n");
    assert_eq!(m.name, "untitled");
    assert_eq!(m.seed, 1);
    assert_eq!(m.duration.0, 60_000_000);
    check_format(
        "service a\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\n",
    );
}

#[test]
fn header_forms() {
    check_format(
        "scenario \"a \\\"q\\\" b\" duration 1.5s seed 7 budget 1000\n",
        "scenario \"a \\\"q\\\" b\" seed 7 duration 1500ms budget 1000\n",
    );
    check_format("scenario demo\n", "scenario \"demo\" seed 1 duration 60s\n");
}

#[test]
fn comments_are_kept() {
    check_format(
        "# top\nscenario \"c\" # the name\n\n# services\nservice a   # front\n\n\na rpc X:\n  # first\n  work # w\n  # dangling\n# end\n",
        "# top\nscenario \"c\" seed 1 duration 60s  # the name\n\n# services\nservice a  # front\n\na rpc X:\n  # first\n  work  # w\n\n# dangling\n# end\n",
    );
}

#[test]
fn every_form_round_trips() {
    let src = r#"scenario "all" seed 3 duration 2m budget 500000
network latency 2ms..8ms loss 0.1%
link a <-> b latency exp(3ms) loss 1%
link a <-> q latency 1ms
service a workers 8 time lognormal(20ms, 10ms) backlog 50
service b time 250us
service c workers 2 time 10ms±2ms
queue q capacity 10 overflow drop-oldest visibility 2s max-attempts 4 dlq dead
queue q2
topic t
client c1 rate 0.5/s -> a POST /x
client c2 rate 30/m poisson from 1s until 50s -> b.Get deadline 1s retries 3 backoff 10ms multiplier 1.5 max-backoff 1s jitter 50% breaker 50% window 5s min-calls 4 cooldown 2s probes 2 on-error continue
client c3 rate 0/s -> c PUT /items/{id} timeout 200ms retries 1 jitter
a POST /x:
  work
  work 5ms..10ms
  call b.Get deadline 100ms
  parallel:
    call c PUT /items/{id} timeout 50ms
    # second
    call b.Get
  publish t Made kind=big region=eu
  enqueue q Job
  fail 0.5% 503
  reply 201
b rpc Get:
  fail 1% UNAVAILABLE
  reply OK
c PUT /items/{id}:
  reply 204
c consume q concurrency 3:
  fail 10%
  nack
c consume dead:
  ack
b subscribe t as audit filter kind=big ack-deadline 3s capacity 100 overflow reject max-attempts 5 dlq t-dead concurrency 2:
  work 1ms
c subscribe t:
  work 1ms
at 1s partition a,b <-> c for 2s
at 2s crash c
at 3s crash b for 1s
at 4s slow a <-> b +200ms for 1s
at 4s slow network +5ms
at 5s loss a <-> b 50% for 1s
at 5s loss network 1%
at 6s errors b 25% for 2s
at 7s burst c1 100
"#;
    let m = parse_ok(src);
    let text = format(&m);
    let again = parse_ok(&text);
    assert_eq!(again, m);
    assert_eq!(format(&again), text);
    // JSON export/import is exact too.
    let json = scenario::to_json(&m);
    let back = scenario::from_json(&json).expect("json reads back");
    assert_eq!(back, m);
    assert!(json.contains("\"latency\": \"2ms..8ms\""), "{json}");
}

#[test]
fn units_and_distributions() {
    check_format(
        "service a time 2ms .. 8ms\nservice b time normal(20ms, 5ms)\nservice c time 20ms +- 5ms\nservice d time 0.25s\nservice e time 1500us\nservice f time constant(3ms)\nservice g time uniform(1ms,2ms)\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a time 2ms..8ms\nservice b time 20ms±5ms\nservice c time 20ms±5ms\nservice d time 250ms\nservice e time 1500us\nservice f time 3ms\nservice g time 1ms..2ms\n",
    );
}

#[test]
fn syntax_errors_are_all_reported_with_positions() {
    check_errors(
        "servce orders workers 4\nservice a workers 0\nservice b time 5\nservice c time 8ms..2ms\nservice d wrkers 2\n",
        &[
            "1:1: unknown keyword `servce` [did you mean `service`?] `servce`",
            "2:19: workers must be between 1 and 10000, not 0 `0`",
            "3:16: `5` has no unit [distributions: `20ms`, `2ms..8ms`, `exp(40ms)`, `20ms±5ms`, `lognormal(20ms, 10ms)`] `5`",
            "4:16: the range `8ms..2ms` is reversed; write the smaller bound first [distributions: `20ms`, `2ms..8ms`, `exp(40ms)`, `20ms±5ms`, `lognormal(20ms, 10ms)`] `8ms..2ms`",
            "5:11: unknown option `wrkers` for `service` [did you mean `workers`? `service` takes `workers`, `time`, `backlog`, `lifo`, `lifo-above`, `shed-after`, `rate-limit`, `burst`, `per-caller`, `contention`, `coherence`, `replicas`, `lb`, `eject-after`, `eject-for`, `max-ejected`] `wrkers`",
        ],
    );
}

#[test]
fn columns_count_chars_not_bytes() {
    // `µ` and `±` are two bytes each; the error is reported at the char column.
    check_errors(
        "service a time 1µs±1µs bogus\n",
        &["1:24: unknown option `bogus` for `service` [`service` takes `workers`, `time`, `backlog`, `lifo`, `lifo-above`, `shed-after`, `rate-limit`, `burst`, `per-caller`, `contention`, `coherence`, `replicas`, `lb`, `eject-after`, `eject-for`, `max-ejected`] `bogus`"],
    );
}

#[test]
fn block_errors() {
    check_errors(
        "  work\nservice a\na rpc X:\n  wrk\n    work\n  parallel:\n  reply OK\na rpc Y\n",
        &[
            "1:3: indented line outside a handler [steps belong under a line ending in `:`, such as `orders rpc CreateOrder:`; top-level lines start at column 1] `work`",
            "4:3: unknown step `wrk` [did you mean `work`?] `wrk`",
            "5:5: unexpected indentation [indent every step of a handler the same way; only the calls under `parallel:` go deeper] `work`",
            "6:3: `parallel:` has no calls [indent `call …` lines under it; they run at the same time] `parallel:`",
            "8:8: a handler line must end with `:` [add `:` at the end and indent its steps below] ``",
        ],
    );
}

#[test]
fn semantic_errors_with_suggestions() {
    check_errors(
        &world("a rpc Y:\n  call order.Get\n  call b.Gte\n  publish q M\n  enqueue t M\n  call b GET /x\n"),
        &[
            "13:8: unknown service `order` [declare it with `service order`, or use one of: `a`, `b`] `order`",
            "14:10: service `b` has no rpc `Gte` [did you mean `Get`?] `Gte`",
            "15:11: `q` is a queue, not a topic [to take messages from a queue, use `consume`; to send to it, use `enqueue`] `q`",
            "16:11: `t` is a topic, not a queue [to take messages from a topic, use `subscribe`; to send to it, use `publish`] `t`",
            "17:8: service `b` has no endpoint `GET /x` [it serves RPC; call it as `call b.Get`] `b`",
        ],
    );
}

#[test]
fn did_you_mean_on_names() {
    let src = "service orders\nservice gateway\ngateway POST /x:\n  call order.Create\norders rpc Create:\n  work\n";
    check_errors(
        src,
        &["4:8: unknown service `order` [did you mean `orders`?] `order`"],
    );
}

#[test]
fn duplicates_and_kinds() {
    check_errors(
        "service a\nqueue a\nservice b\nservice b\nb rpc X:\n  work\nb rpc X:\n  work\nc rpc Y:\n  work\nb consume zz:\n  ack\n",
        &[
            "2:7: `a` is already a service [first declared on line 1; services, queues, topics and clients share one set of names] `a`",
            "4:9: duplicate service `b` [first declared on line 3; services, queues, topics and clients share one set of names] `b`",
            "7:1: duplicate handler `b.X` [already defined on line 5] `b rpc X:`",
            "9:1: unknown service `c` [declare it with `service c`, or use one of: `a`, `b`] `c`",
            "11:11: unknown queue `zz` [declare it: `queue zz`] `zz`",
        ],
    );
}

#[test]
fn synchronous_cycles_are_rejected() {
    check_errors(
        "service a\nservice b\na rpc X:\n  call b.Y\nb rpc Y:\n  parallel:\n    call a.X\n",
        &["7:10: cycle of synchronous calls: a.X → b.Y → a.X [a request would wait for itself; break the cycle with a queue (`enqueue`) or a topic (`publish`)] `a.X`"],
    );
    // A call to itself.
    check_errors(
        "service a\na GET /r:\n  call a GET /r\n",
        &["3:8: cycle of synchronous calls: a GET /r → a GET /r [a request would wait for itself; break the cycle with a queue (`enqueue`) or a topic (`publish`)] `a`"],
    );
    // Through a queue is fine.
    parse_ok("service a\nservice b\nqueue q\na rpc X:\n  enqueue q M\nb consume q:\n  call a.X\n");
}

#[test]
fn a_cycle_through_thousands_of_handlers_is_named_in_one_short_line() {
    // Each handler used to be named in the message: 5,000 of them made it 70 KB long.
    let n = 5_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("service s{i}\n"));
    }
    for i in 0..n {
        text.push_str(&format!("s{i} GET /a:\n  call s{} GET /a\n", (i + 1) % n));
    }
    let ds = parse(&text).expect_err("a cycle");
    assert_eq!(ds.len(), 1, "{ds:?}");
    let d = &ds[0];
    assert_eq!((d.line, d.col), (n + 2 * n, 8));
    assert_eq!(
        d.message,
        "cycle of synchronous calls: s0 GET /a → s1 GET /a → s2 GET /a → s3 GET /a → … (4993 more) … → s4997 GET /a → s4998 GET /a → s4999 GET /a → s0 GET /a"
    );
}

#[test]
fn zero_and_out_of_range_values() {
    check_errors(
        "scenario \"z\" duration 0s\nqueue q visibility 0ms\nservice a\na rpc X:\n  fail 150%\n  call a.X timeout 0s\n",
        &[
            "1:23: the duration must be greater than zero `0s`",
            "2:20: the visibility timeout must be greater than zero `0ms`",
            "5:8: `150%` is out of range: a percentage is between 0% and 100% `150%`",
            "6:20: the timeout must be greater than zero `0s`",
        ],
    );
}

#[test]
fn status_and_step_fit_the_handler() {
    // A syntax error hides semantic ones: names are only checked once every line reads.
    check_errors(
        &world("a rpc Y:\n  reply 200\na GET /y:\n  reply ok\n"),
        &["15:9: `ok` is not a status [gRPC codes are upper case: `OK`] `ok`"],
    );
    check_errors(
        &world("a rpc Y:\n  reply 200\na GET /y:\n  reply UNAVAILABLE\n  fail 1% OK\n"),
        &[
            "13:3: an RPC method replies with a gRPC code, not `200` [e.g. `reply OK`] `reply 200`",
            "15:3: a REST endpoint replies with an HTTP status, not `UNAVAILABLE` [e.g. `reply 200`] `reply UNAVAILABLE`",
            "16:3: a REST endpoint fails with an HTTP status, not `OK` [e.g. `fail 5% 500`] `fail 1% OK`",
        ],
    );
    check_errors(
        &world("b consume q:\n  reply OK\na PUT /z:\n  ack\n"),
        &[
            "13:3: a consumer does not reply [use `ack` (done) or `nack` (redeliver)] `reply OK`",
            "15:3: `ack` is for consumers [REST endpoints and RPC methods end with `reply`] `ack`",
        ],
    );
}

#[test]
fn call_option_errors() {
    check_errors(
        &world("a rpc Y:\n  call b.Get backoff 10ms\n  call b.Get window 1s\n  call b.Get retries 2 retries 3\n  call b.Get timout 1s\n"),
        &[
            "13:26: backoff, multiplier, jitter and retry-on only matter with retries [add e.g. `retries 3`] ``",
            "14:23: `window`, `min-calls`, `cooldown`, `probes` and `slow` set up a circuit breaker [add `breaker 50%` (the failure share that opens it) before them] ``",
            "15:24: `retries` is given twice [keep one of them] `retries`",
            "16:14: unknown option `timout` for a call [did you mean `timeout`? a call takes `timeout`, `deadline`, `attempt-timeout`, `retries`, `retry-on`, `idempotent`, `idempotency-key`, `backoff`, `multiplier`, `max-backoff`, `jitter`, `hedge`, `retry-budget`, `max-tokens`, `breaker`, `window`, `min-calls`, `cooldown`, `probes`, `slow`, `on-error`, `cache`, `pool`, `pool-wait`] `timout`",
        ],
    );
}

#[test]
fn lexical_errors() {
    check_errors(
        "scenario \"open\nservice a\n",
        &["1:10: unterminated string [close it with `\"` on the same line] `\"open`"],
    );
}

#[test]
fn diagnostics_render_like_a_compiler() {
    let ds = parse("service a wrkers 2\n").unwrap_err();
    assert_eq!(
        ds[0].render("shop.sb"),
        "shop.sb:1:11: unknown option `wrkers` for `service`\n  hint: did you mean `workers`? `service` takes `workers`, `time`, `backlog`, `lifo`, `lifo-above`, `shed-after`, `rate-limit`, `burst`, `per-caller`, `contention`, `coherence`, `replicas`, `lb`, `eject-after`, `eject-for`, `max-ejected`"
    );
    assert_eq!((ds[0].end_line, ds[0].end_col), (1, 17));
}

#[test]
fn many_errors_are_capped() {
    let src = "bogus\n".repeat(500);
    let ds = parse(&src).unwrap_err();
    assert_eq!(ds.len(), 101);
    assert_eq!(ds[100].message, "more errors not shown");
    // The checker stops at the cap too, so thousands of bad references stay cheap.
    let mut src = String::new();
    for i in 0..20_000 {
        src.push_str(&format!("service s{i}\n"));
    }
    src.push_str("s0 rpc X:\n");
    for i in 0..20_000 {
        src.push_str(&format!("  call t{i}.Y\n"));
    }
    let ds = parse(&src).unwrap_err();
    assert_eq!(ds.len(), 101);
}

#[test]
fn a_byte_order_mark_is_white_space() {
    let m = parse_ok("\u{feff}service a\n");
    assert_eq!(
        format(&m),
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\n"
    );
}

#[test]
fn crlf_and_tabs() {
    let m = parse_ok("service a\r\na rpc X:\r\n\twork\r\n");
    assert_eq!(
        format(&m),
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\n\na rpc X:\n  work\n"
    );
}

#[test]
fn json_that_the_language_cannot_write_is_refused() {
    let mut m = parse_ok("service a\n");
    let json = scenario::to_json(&m).replace("\"a\"", "\"a b\"");
    // The diagnostic points into the canonical text of the model: `service a b`.
    let ds = scenario::from_json(&json).unwrap_err();
    assert_eq!(
        (ds[0].line, ds[0].col, ds[0].text.as_str()),
        (3, 11, "b"),
        "{ds:?}"
    );
    assert!(scenario::from_json("{").unwrap_err()[0]
        .message
        .starts_with("invalid scenario JSON"));
    // A model built in code is checked like text: here, a name used twice.
    if let scenario::model::ItemKind::Service(s) = &mut m.items[0].kind {
        s.workers = Some(3);
    }
    assert!(scenario::lower(&m).is_ok());
    m.items.push(scenario::model::Item::new(
        scenario::model::ItemKind::Topic(scenario::model::Topic {
            name: scenario::model::Ident::new("a"),
            confirm_timeout: None,
            confirm_retries: None,
        }),
    ));
    let ds = scenario::lower(&m).unwrap_err();
    assert_eq!(ds[0].message, "`a` is already a service");
}

#[test]
fn protocol_call_options_round_trip_in_canonical_order() {
    check_format(
        "service a\nservice b\n\na POST /x dedupe:\n  call b GET /y retry-on 503,429 retries 2 attempt-timeout 50ms timeout 1s\n  call b POST /x idempotency-key retries 1\n  call b POST /x retries 1 idempotent\n\nb GET /y:\n  work 1ms\n\nb POST /x:\n  work 1ms\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\nservice b\n\na POST /x dedupe:\n  call b GET /y timeout 1s attempt-timeout 50ms retries 2 retry-on 503,429\n  call b POST /x idempotency-key retries 1\n  call b POST /x idempotent retries 1\n\nb GET /y:\n  work 1ms\n\nb POST /x:\n  work 1ms\n",
    );
}

#[test]
fn protocol_call_option_errors() {
    // Each kind of bad input: a status of the wrong family, a success to retry, REST-only
    // options on an RPC call, an attempt limit no shorter than the whole call's, a repeated
    // `dedupe`, and `retry-on` without retries.
    check_errors(
        &world("a rpc Y:\n  call b.Get retries 1 retry-on 503\n  call b.Get retries 1 retry-on OK\n  call b.Get idempotent\n  call b.Get deadline 100ms attempt-timeout 100ms\n  call b.Get retry-on UNAVAILABLE\n\na POST /z dedupe dedupe:\n  work\n"),
        &[
            "13:33: `503` is an HTTP status, but this is an RPC call [RPC calls retry gRPC codes, such as `UNAVAILABLE`] `503`",
            "14:33: `OK` is a success; only failures are retried [use e.g. `503` or `UNAVAILABLE`] `OK`",
            "15:14: `idempotent` is for REST calls [gRPC retries only the codes of `retry-on` (by default UNAVAILABLE), whatever the method] `idempotent`",
            "16:50: `attempt-timeout 100ms` is not below the whole call's `100ms` [the timeout (or deadline) covers every attempt; an attempt limit must be shorter to matter] ``",
            "17:34: backoff, multiplier, jitter and retry-on only matter with retries [add e.g. `retries 3`] ``",
            "19:18: `dedupe` is given twice [keep one] `dedupe`",
        ],
    );
}

#[test]
fn hedging_and_retry_budgets_round_trip_in_canonical_order() {
    check_format(
        "service a\nservice b\n\na GET /x:\n  call b GET /y retry-budget 10% max-tokens 20 hedge 3 after 50ms retry-on 503 timeout 1s\n  call b GET /y retries 2 jitter retry-budget 2.5%\n\nb GET /y:\n  work 1ms\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\nservice b\n\na GET /x:\n  call b GET /y timeout 1s retry-on 503 hedge 3 after 50ms retry-budget 10% max-tokens 20\n  call b GET /y retries 2 jitter retry-budget 2.5%\n\nb GET /y:\n  work 1ms\n",
    );
}

#[test]
fn hedging_and_retry_budget_errors() {
    // A call that both retries and hedges (either order, pointing at the later option), too
    // many or too few hedged attempts, a missing `after`, a budget of nothing or finer than
    // gRPC's three decimals, `max-tokens` alone or out of range, and a hedged POST.
    check_errors(
        &world("a rpc Y:\n  call b.Get retries 2 hedge 2 after 10ms\n  call b.Get hedge 2 after 10ms jitter\n  call b.Get hedge 6 after 10ms\n  call b.Get hedge 2 10ms\n  call b.Get retry-budget 0%\n  call b.Get retry-budget 0.05%\n  call b.Get max-tokens 5\n  call b.Get retry-budget 10% max-tokens 0\n  call a POST /x hedge 2 after 10ms\n"),
        &[
            "13:24: a call either hedges or retries, not both (`hedge` and `retries`) [gRPC takes a retryPolicy or a hedgingPolicy: keep `hedge N after D`, or `retries` with its backoff] `hedge`",
            "14:33: a call either hedges or retries, not both (`hedge` and `jitter`) [gRPC takes a retryPolicy or a hedgingPolicy: keep `hedge N after D`, or `retries` with its backoff] `jitter`",
            "15:20: hedged attempts must be between 2 and 5, not 6 `6`",
            "16:22: expected `after`, found `10ms` [write e.g. `hedge 3 after 50ms`: up to 3 attempts, one more every 50ms] `10ms`",
            "17:27: a retry budget of `0%` is not a positive share in steps of 0.1% [gRPC keeps three decimals of `tokenRatio`: write e.g. `retry-budget 10%`] `0%`",
            "18:27: a retry budget of `0.05%` is not a positive share in steps of 0.1% [gRPC keeps three decimals of `tokenRatio`: write e.g. `retry-budget 10%`] `0.05%`",
            "19:26: `max-tokens` sets the size of a retry budget [add `retry-budget 10%` (the share of a token each success gives back) before it] ``",
            "20:42: max-tokens must be between 1 and 1000, not 0 `0`",
            "21:18: hedging sends a `POST` more than once [add `idempotent` or `idempotency-key` if repeating it is safe] `hedge`",
        ],
    );
}

#[test]
fn pool_options_round_trip_and_their_errors() {
    check_format(
        "service b\nclient c rate 1/s -> b GET /x pool-wait 0.1s pool 10 timeout 1s\nb GET /x:\n  work\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice b\n\nclient c rate 1/s -> b GET /x timeout 1s pool 10 pool-wait 100ms\n\nb GET /x:\n  work\n",
    );
    // A pool of none, a wait of zero, a wait without a pool, a pooled hedge or cache, twice.
    check_errors(
        &world("a rpc Y:\n  call b.Get pool 0\n  call b.Get pool 2 pool-wait 0ms\n  call b.Get pool-wait 10ms\n  call b.Get pool 2 hedge 2 after 10ms\n  call b.Get pool 2 pool 3\n  call b.Get pool many\n  call b.Get cache k pool 2\n"),
        &[
            "13:19: pool must be between 1 and 100000, not 0 `0`",
            "14:31: the longest wait for a connection must be greater than zero `0ms`",
            "15:28: `pool-wait` is how long a call waits for a connection of its pool [add `pool 10` (or another size) before it] ``",
            "16:14: a pooled call cannot be hedged [the pool holds one connection for the whole call; put the pool on a call without `hedge` or `cache`] `pool`",
            "17:21: `pool` is given twice [keep one of them] `pool`",
            "18:19: expected pool, found `many` [write a whole number such as `4`] `many`",
            "19:22: a pooled call cannot read through a cache [the pool holds one connection for the whole call; put the pool on a call without `hedge` or `cache`] `pool`",
        ],
    );
}

#[test]
fn retry_after_is_a_step_of_endpoints_only() {
    check_format(
        "service a\na GET /x:\n  retry-after 2s\n  fail 10% 503\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a\n\na GET /x:\n  retry-after 2s\n  fail 10% 503\n",
    );
    let ds = scenario::compile(&world("a consume q:\n  retry-after 1s\n")).unwrap_err();
    assert_eq!(
        render(&ds),
        "x:13:3: a consumer sends no reply to carry `retry-after`\n  hint: `retry-after` is for REST endpoints and RPC methods; a queue's redelivery waits for its visibility timeout"
    );
    check_errors(
        &world("a rpc Y:\n  retry-after 0ms\n"),
        &["13:15: the wait the caller is asked for must be greater than zero `0ms`"],
    );
}

#[test]
fn replicas_load_balancer_and_ejection_format_canonically() {
    check_format(
        "service orders   lb p2c  replicas 3 max-ejected 50% eject-for 10s eject-after 3 workers 4\n\
         at 10s crash orders replica 2 for 5s\nat 12s errors orders  replica 3 20%\n",
        "scenario \"untitled\" seed 1 duration 60s\n\
         \n\
         service orders workers 4 replicas 3 lb p2c eject-after 3 eject-for 10s max-ejected 50%\n\
         \n\
         at 10s crash orders replica 2 for 5s\n\
         at 12s errors orders replica 3 20%\n",
    );
}

#[test]
fn users_and_ramps_round_trip_in_canonical_order() {
    check_format(
        "service a\n\
         client shoppers think exp(2s) until 50s users 50 from 1s -> a GET /x timeout 1s\n\
         client ramp poisson over 1m rate 10/s .. 200/s -> a GET /x\n\
         client down rate 3000/m..0/s over 30s constant -> a GET /x\n\
         a GET /x:\n\
         at 10s burst shoppers 20\n",
        "scenario \"untitled\" seed 1 duration 60s\n\n\
         service a\n\n\
         client shoppers users 50 think exp(2s) from 1s until 50s -> a GET /x timeout 1s\n\
         client ramp rate 10/s..200/s over 60s poisson -> a GET /x\n\
         client down rate 50/s..0/s over 30s -> a GET /x\n\n\
         a GET /x:\n\n\
         at 10s burst shoppers 20\n",
    );
}

#[test]
fn bad_replica_and_balancer_options_say_where_and_why() {
    check_errors(
        "service a replicas 0\nservice b replicas 2 lb round-robbin\nservice c lb random\n\
         service d eject-after 5\nservice e replicas 2 max-ejected 0%\n\
         service f replicas 2 eject-after 0\nservice g replicas 1001\n",
        &[
            "1:20: replicas must be between 1 and 1000, not 0 `0`",
            "2:25: unknown load balancer `round-robbin` [did you mean `round-robin`?] `round-robbin`",
            "3:11: `lb` is for a service with replicas [add `replicas 3` (or more than 1) to the line] `lb`",
            "4:11: `eject-after` is for a service with replicas [add `replicas 3` (or more than 1) to the line] `eject-after`",
            "5:22: max-ejected must be more than 0% `max-ejected`",
            "6:34: eject-after must be between 1 and 100, not 0 `0`",
            "7:20: replicas must be between 1 and 1000, not 1001 `1001`",
        ],
    );
}

#[test]
fn admission_options_format_canonically() {
    check_format(
        "service api burst 20 rate-limit 6000/m shed-after 0.2s  lifo backlog 400 workers 4\n\
         service web lifo-above 50 time 5ms\nservice lim rate-limit 0.5/s\n",
        "scenario \"untitled\" seed 1 duration 60s\n\
         \n\
         service api workers 4 backlog 400 lifo shed-after 200ms rate-limit 100/s burst 20\n\
         service web time 5ms lifo-above 50\n\
         service lim rate-limit 0.5/s\n",
    );
}

#[test]
fn per_caller_rate_limits_format_canonically() {
    check_format(
        "service api per-caller burst 20 rate-limit 6000/m workers 4\n\
         service b rate-limit 2/s   per-caller replicas 3\n",
        "scenario \"untitled\" seed 1 duration 60s\n\
         \n\
         service api workers 4 rate-limit 100/s burst 20 per-caller\n\
         service b rate-limit 2/s per-caller replicas 3\n",
    );
}

#[test]
fn per_caller_without_a_rate_limit_says_where_and_why() {
    check_errors(
        "service a per-caller\nservice b workers 2 burst 5 per-caller\n\
         service c rate-limit 1/s per-caller per-caller\n",
        &[
            "1:11: `per-caller` gives each caller its own rate limit bucket, but there is no rate limit [add `rate-limit 100/s` (or another rate) before it] `per-caller`",
            "2:21: `burst` is the size of a rate limit's bucket [add `rate-limit 100/s` (or another rate) before it] `burst`",
            "3:37: `per-caller` is given twice [keep one of them] `per-caller`",
        ],
    );
}

#[test]
fn bad_admission_options_say_where_and_why() {
    check_errors(
        "service a rate-limit 0/s\nservice b rate-limit fast\nservice c burst 5\n\
         service d rate-limit 10/s burst 0\nservice e shed-after 0ms\nservice f lifo lifo-above 10\n\
         service g lifo-above 0\nservice h lifo lifo\nservice i rate-limit 2000000/s\n\
         service j shed-after soon\n",
        &[
            "1:22: a rate limit must be above 0/s [to refuse every request, use a handler that replies 429] `0/s`",
            "2:22: `fast` is not a rate [rates look like `100/s` or `30/m`] `fast`",
            "3:11: `burst` is the size of a rate limit's bucket [add `rate-limit 100/s` (or another rate) before it] `burst`",
            "4:33: burst must be between 1 and 1000000, not 0 `0`",
            "5:22: the longest wait before shedding must be greater than zero `0ms`",
            "6:16: `lifo-above` is adaptive LIFO, and `lifo` is always LIFO: pick one [`lifo` serves the newest first always; `lifo-above 50` only while over 50 wait] `lifo-above`",
            "7:22: lifo-above must be between 1 and 1000000, not 0 `0`",
            "8:16: `lifo` is given twice [keep one of them] `lifo`",
            "9:22: `2000000/s` is too fast (at most 1000000/s) [rates look like `100/s` or `30/m`] `2000000/s`",
            "10:22: `soon` is not a duration [durations look like `250us`, `20ms`, `1.5s` or `2m`] `soon`",
        ],
    );
}

#[test]
fn slowdown_options_format_canonically() {
    check_format(
        "service api coherence 0.10% contention 5.0% workers 16 time 20ms\n\
         service b contention 12.5%\nservice c coherence 0.01%\n",
        "scenario \"untitled\" seed 1 duration 60s\n\
         \n\
         service api workers 16 time 20ms contention 5% coherence 0.1%\n\
         service b contention 12.5%\n\
         service c coherence 0.01%\n",
    );
}

#[test]
fn bad_slowdown_options_say_where_and_why() {
    check_errors(
        "service a contention 0%\nservice b coherence 0%\nservice c contention 150%\n\
         service d coherence lots\nservice e contention 5% contention 6%\nservice f contention\n",
        &[
            "1:22: `contention 0%` slows nothing [leave it out, or give a share above 0%] `0%`",
            "2:21: `coherence 0%` slows nothing [leave it out, or give a share above 0%] `0%`",
            "3:22: `150%` is out of range: a percentage is between 0% and 100% [`contention` takes a percentage, such as `contention 5%`] `150%`",
            "4:21: `lots` is not a percentage (write it like `5%`) [`coherence` takes a percentage, such as `coherence 0.1%`] `lots`",
            "5:25: `contention` is given twice [keep one of them] `contention`",
            "6:21: expected a share such as `5%` at the end of the line ``",
        ],
    );
}

#[test]
fn a_fault_on_a_replica_that_does_not_exist_is_an_error() {
    check_errors(
        "service a replicas 2\nservice b\nat 1s crash a replica 3\nat 1s crash b replica 1\n\
         at 1s crash a replica 0\nat 1s crash a replica\n",
        &[
            "5:23: replica numbers start at 1, up to 1000 `0`",
            "6:22: expected a replica number such as `2` at the end of the line ``",
        ],
    );
    let ds = scenario::compile("service a replicas 2\nservice b\nat 1s crash a replica 3\nat 1s crash b replica 1\nat 2s crash zz replica 1\n").unwrap_err();
    let got: Vec<String> = ds
        .iter()
        .map(|d| {
            format!(
                "{}:{}: {} [{}]",
                d.line,
                d.col,
                d.message,
                d.hint.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "3:13: `a` has no replica 3 [its replicas are numbered 1 to 2]",
            "4:13: `b` has no replica 1 [`b` is not replicated: add `replicas 3` to its line]",
            "5:13: unknown service `zz` [declare it with `service zz`, or use one of: `a`, `b`]",
        ]
    );
}

#[test]
fn users_and_ramp_errors() {
    let bad = |line: &str| format!("service a\na GET /x:\n{line}\n");
    check_errors(
        &bad("client c users 0 think 1s -> a GET /x"),
        &["3:16: users must be between 1 and 100000, not 0 `0`"],
    );
    check_errors(
        &bad("client c users 5 -> a GET /x"),
        &["3:10: the users have no think time [add e.g. `think exp(2s)`: how long a user waits after an answer before the next request] `users`"],
    );
    check_errors(
        &bad("client c rate 5/s think 1s -> a GET /x"),
        &["3:19: `think` needs `users` [e.g. `client shoppers users 50 think exp(2s) -> …`; `users` makes a closed loop: each user sends a request, waits for its answer, thinks, and sends again] `think`"],
    );
    check_errors(
        &bad("client c rate 5/s users 3 think 1s -> a GET /x"),
        &["3:15: a client has either a rate or users, not both [`rate` makes an open loop (requests come whatever the answers); `users` makes a closed loop: each user sends a request, waits for its answer, thinks, and sends again] `5/s users`"],
    );
    check_errors(
        &bad("client c users 3 think 1s poisson -> a GET /x"),
        &["3:27: `poisson` and `constant` space a rate's requests, not users' [remove it: users send when they have thought, so `think` sets the spacing] `poisson`"],
    );
    check_errors(
        &bad("client c users 3 think 0s -> a GET /x"),
        &["3:24: the think time must have a mean greater than zero [e.g. `think exp(2s)` or `think 500ms..1500ms`] `0s`"],
    );
    check_errors(
        &bad("client c users 3 think lognormal(1us, 1s) -> a GET /x"),
        &["3:24: this think time is always zero [its median rounds to 0µs: the standard deviation is far larger than the mean] `lognormal`"],
    );
    check_errors(
        &bad("client c -> a GET /x"),
        &["3:10: the client has no rate [add `rate 20/s` (open loop) or `users 50 think exp(2s)` (closed loop) before `->`] `->`"],
    );
    check_errors(
        &bad("client c rate 10/s..200/s -> a GET /x"),
        &["3:15: the ramp has no length [add e.g. `over 60s`: the rate goes from 10/s to 200/s in that time] `10/s..200/s`"],
    );
    check_errors(
        &bad("client c rate 10/s over 60s -> a GET /x"),
        &["3:20: `over` needs a ramp [write the rate as a ramp, e.g. `rate 10/s..200/s over 60s`] `over`"],
    );
    check_errors(
        &bad("client c rate 10/s..10/s over 60s -> a GET /x"),
        &["3:15: the ramp goes from 10/s to 10/s [a steady rate is written `rate 10/s`] `10/s..10/s`"],
    );
    check_errors(
        &bad("client c rate 10/s..fast over 60s -> a GET /x"),
        &["3:15: `fast` is not a rate [rates look like `20/s` or `30/m`; a ramp like `10/s..200/s`] `10/s..fast`"],
    );
    check_errors(
        &bad("client c rate 10/s..200/s over 0s -> a GET /x"),
        &["3:32: the ramp's length must be greater than zero `0s`"],
    );
    check_errors(
        &bad("client c users 3 users 4 think 1s -> a GET /x"),
        &["3:18: `users` is given twice [keep one of them] `users`"],
    );
}

#[test]
fn caches_format_canonically() {
    check_format(
        "service db\ncache items  coalesce zipf 1.10 keys 500 ttl 1m capacity 100\ncache plain\n\
         client c rate 1/s -> db GET /x cache items  timeout 1s\ndb GET /x:\nat 5s flush items\n",
        "scenario \"untitled\" seed 1 duration 60s\n\
         \n\
         service db\n\
         \n\
         cache items capacity 100 ttl 60s keys 500 zipf 1.1 coalesce\n\
         cache plain\n\
         \n\
         client c rate 1/s -> db GET /x timeout 1s cache items\n\
         \n\
         db GET /x:\n\
         \n\
         at 5s flush items\n",
    );
    // `cache` stays a name: a service called `cache` still works.
    check_format(
        "service cache\ncache GET /x:\n  work\n",
        "scenario \"untitled\" seed 1 duration 60s\n\nservice cache\n\ncache GET /x:\n  work\n",
    );
}

#[test]
fn bad_caches_say_where_and_why() {
    check_errors(
        "cache a capacity 0\ncache b zipf 0\ncache c zipf 11\ncache d keys 0\ncache e ttl 0s\n\
         cache f coalesce coalesce\ncache g size 5\ncache\n",
        &[
            "1:18: capacity must be between 1 and 10000000, not 0 `0`",
            "2:14: `0` is out of range: the exponent is above 0 and at most 10 [a number such as `0.9` or `1.2` (web caches see about 0.6 to 1.2)] `0`",
            "3:14: `11` is out of range: the exponent is above 0 and at most 10 [a number such as `0.9` or `1.2` (web caches see about 0.6 to 1.2)] `11`",
            "4:14: keys must be between 1 and 100000000, not 0 `0`",
            "5:13: the time to live must be greater than zero `0s`",
            "6:18: `coalesce` is given twice [keep one of them] `coalesce`",
            "7:9: unknown option `size` for `cache` [`cache` takes `capacity`, `ttl`, `keys`, `zipf`, `coalesce`] `size`",
            "8:6: expected cache name at the end of the line ``",
        ],
    );
    let ds = scenario::compile(
        "service db\nqueue q\ncache items\nclient c rate 1/s -> db GET /x cache itms\ndb GET /x:\n\
         at 1s flush q\nlink items <-> db\n",
    )
    .unwrap_err();
    let got: Vec<String> = ds
        .iter()
        .map(|d| {
            format!(
                "{}:{}: {} [{}]",
                d.line,
                d.col,
                d.message,
                d.hint.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "4:38: unknown cache `itms` [did you mean `items`?]",
            "6:13: `q` is a queue, not a cache []",
            "7:6: `items` is a cache, not a node of the network [links and partitions join services, queues, topics or clients]",
        ]
    );
}
