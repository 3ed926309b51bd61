//! Exports checked structurally on a real run (the engine's reference world): JSON parses and
//! matches the trace, CSV rows have every column, Chrome Trace events carry the documented fields
//! and paired flow ids, Mermaid declares every participant it uses, the SVG is well-formed XML;
//! and names that look like markup stay text in every format.

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard::export::{
    chrome_trace, log_csv, log_json, mermaid_sequence, timeline_svg, SvgOptions,
};
use switchboard::sim::reference::{reference_world, REFERENCE_SEED};
use switchboard::sim::{Call, Client, Handler, HttpMethod, Service, Sim, SimTime, Status, World};

fn reference_run() -> Sim {
    let mut sim = Sim::new(reference_world(), REFERENCE_SEED).expect("reference world is valid");
    sim.run_until(SimTime::from_secs(2));
    sim
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// A tiny world whose service and path names are hostile markup.
fn hostile_run() -> Sim {
    let world = World::new()
        .duration(SimTime::from_secs(1))
        .service(Service::new(HOSTILE).rest(
            HttpMethod::Get,
            "/</script>\"x\";#%",
            Handler::new().work().reply(Status::Http(200)),
        ))
        .client(Client::new(
            "web,\"=cmd\"",
            Call::rest(HOSTILE, HttpMethod::Get, "/</script>\"x\";#%"),
            20.0,
        ));
    let mut sim = Sim::new(world, 7).expect("names are free text in the engine");
    sim.run_to_end();
    assert!(sim.trace().len() > 10, "the hostile world produced traffic");
    sim
}

/// Minimal RFC 4180 reader: rows of fields, honouring quotes and doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    rows
}

#[test]
fn json_log_has_one_object_per_record_with_resolved_names() {
    let sim = reference_run();
    let doc: Value = serde_json::from_str(&log_json(&sim, usize::MAX)).expect("valid JSON");
    assert_eq!(doc["format"], "switchboard-log/1");
    let records = doc["records"].as_array().expect("records array");
    assert_eq!(records.len(), sim.trace().len());
    for (json, r) in records.iter().zip(sim.trace().records()) {
        assert_eq!(json["id"], r.id.0);
        assert_eq!(json["send_us"], r.send.0);
        assert_eq!(json["recv_us"], r.recv.0);
        assert_eq!(json["latency_us"], r.recv.0 - r.send.0);
        assert_eq!(json["attempt"], r.attempt);
        assert_eq!(json["kind"], r.kind.as_str());
        assert_eq!(json["outcome"], r.outcome.to_string());
        assert!(json["from"].is_string() && json["to"].is_string());
        match r.cause {
            Some(c) => assert_eq!(json["cause"], c.0),
            None => assert!(json["cause"].is_null()),
        }
    }
    let mechanisms: std::collections::BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r["mechanism"].as_str())
        .collect();
    for m in ["rest", "rpc", "queue", "pubsub"] {
        assert!(mechanisms.contains(m), "reference run has {m} records");
    }
}

#[test]
fn capped_exports_hold_the_newest_records_and_say_how_many_were_left_out() {
    let sim = reference_run();
    let total = sim.trace().len();
    let cap = total / 3;
    assert!(cap > 10, "a reference run of {total} records");
    let newest = &sim.trace().records().iter().copied().collect::<Vec<_>>()[total - cap..];

    let doc: Value = serde_json::from_str(&log_json(&sim, cap)).expect("valid JSON");
    assert_eq!(doc["omitted"], total - cap);
    let records = doc["records"].as_array().expect("records array");
    assert_eq!(records.len(), cap);
    for (json, r) in records.iter().zip(newest) {
        assert_eq!(json["id"], r.id.0);
    }
    // Not capped: no "omitted" field, and a cap at or over the count changes nothing.
    let all: Value = serde_json::from_str(&log_json(&sim, total)).expect("valid JSON");
    assert!(all.get("omitted").is_none());
    assert_eq!(log_json(&sim, total), log_json(&sim, usize::MAX));

    let rows = parse_csv(&log_csv(&sim, cap));
    assert_eq!(rows.len(), cap + 1, "header and the newest rows");
    assert_eq!(rows[1][0], newest[0].id.0.to_string());

    let chrome: Value = serde_json::from_str(&chrome_trace(&sim, cap)).expect("valid JSON");
    assert_eq!(chrome["otherData"]["omitted_records"], total - cap);
    let first_id = u64::from(newest[0].id.0);
    for e in chrome["traceEvents"].as_array().expect("traceEvents") {
        if let Some(id) = e["args"]["record"].as_u64() {
            assert!(id >= first_id, "record {id} is older than the newest {cap}");
        }
    }
    assert!(serde_json::from_str::<Value>(&chrome_trace(&sim, 0))
        .expect("valid JSON with no records")["traceEvents"]
        .is_array());
}

#[test]
fn csv_log_has_header_and_every_column_on_every_row() {
    let sim = reference_run();
    let rows = parse_csv(&log_csv(&sim, usize::MAX));
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows[0].len(), 16);
    assert_eq!(rows.len(), sim.trace().len() + 1);
    assert!(
        rows.iter().all(|r| r.len() == 16),
        "every row has 16 fields"
    );
}

#[test]
fn chrome_trace_events_have_documented_fields_and_paired_flows() {
    let sim = reference_run();
    let doc: Value = serde_json::from_str(&chrome_trace(&sim, usize::MAX)).expect("valid JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents array");
    let mut named_threads = std::collections::BTreeSet::new();
    let mut flow_starts: BTreeMap<u64, u64> = BTreeMap::new();
    let mut flow_ends: BTreeMap<u64, u64> = BTreeMap::new();
    let mut complete = 0;
    for e in events {
        let ph = e["ph"].as_str().expect("ph is a string");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "pid/tid on {e}");
        assert!(e["name"].is_string(), "name on {e}");
        match ph {
            "M" => {
                if e["name"] == "thread_name" {
                    named_threads.insert(e["tid"].as_u64().unwrap());
                }
            }
            "X" => {
                complete += 1;
                assert!(
                    e["ts"].is_u64() && e["dur"].is_u64(),
                    "X needs ts and dur: {e}"
                );
            }
            "s" | "f" => {
                let id = e["id"].as_u64().expect("flow id");
                let ts = e["ts"].as_u64().expect("flow ts");
                let map = if ph == "s" {
                    &mut flow_starts
                } else {
                    &mut flow_ends
                };
                assert!(
                    map.insert(id, ts).is_none(),
                    "flow id {id} used once per phase"
                );
                if ph == "f" {
                    assert_eq!(e["bp"], "e", "flow end binds to the enclosing slice");
                }
            }
            "i" => assert_eq!(e["s"], "t", "instants are thread-scoped: {e}"),
            other => panic!("unexpected phase {other}"),
        }
    }
    assert!(complete > 100);
    assert_eq!(flow_starts.len(), flow_ends.len());
    for (id, start) in &flow_starts {
        let end = flow_ends.get(id).expect("every flow start has an end");
        assert!(end >= start, "flow {id} ends after it starts");
    }
    for e in events.iter().filter(|e| e["ph"] != "M") {
        let tid = e["tid"].as_u64().unwrap();
        assert!(named_threads.contains(&tid), "lane {tid} is named");
    }
}

#[test]
fn mermaid_declares_participants_and_caps_messages() {
    let sim = reference_run();
    let text = mermaid_sequence(&sim, 50);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let mut declared = std::collections::BTreeSet::new();
    let mut messages = 0;
    for line in lines {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("participant ") {
            let (alias, name) = rest.split_once(" as ").expect("aliased participant");
            assert!(!name.is_empty());
            declared.insert(alias.to_string());
            continue;
        }
        messages += 1;
        let (arrow, text) = line.split_once(": ").expect("message has text");
        assert!(!text.contains([';', '#', '\n']), "unsafe text {text}");
        let parts: Vec<&str> = arrow
            .split(['-', '>', ')', 'x'])
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(parts.len(), 2, "two participants in {arrow}");
        assert!(
            parts.iter().all(|p| declared.contains(*p)),
            "declared: {arrow}"
        );
    }
    assert_eq!(messages, 50);
}

#[test]
fn svg_is_well_formed_standalone_xml_with_lanes_and_arrows() {
    let sim = reference_run();
    let svg = timeline_svg(&sim, SvgOptions::default());
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(
        root.children().any(|n| n.has_tag_name("style")),
        "styles are inline"
    );
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("marker-end").is_some())
        .count();
    assert!(lines > 100, "message arrows drawn: {lines}");
    let labels: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lbl"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        labels.contains(&"gateway") && labels.contains(&"payments-q"),
        "{labels:?}"
    );
}

#[test]
fn svg_window_and_record_cap_are_honoured() {
    let sim = reference_run();
    let opts = SvgOptions {
        from: SimTime::from_millis(500),
        to: Some(SimTime::from_millis(600)),
        width: 800,
        max_records: 20,
    };
    let svg = timeline_svg(&sim, opts);
    roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert!(
        svg.contains("Showing the first 20 of"),
        "the cap is said in the file"
    );
}

#[test]
fn hostile_names_stay_text_in_every_format() {
    let sim = hostile_run();
    let svg = timeline_svg(&sim, SvgOptions::default());
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML despite the names");
    assert!(!doc
        .descendants()
        .any(|n| n.has_tag_name("img") || n.has_tag_name("script")));
    assert!(doc
        .descendants()
        .filter_map(|n| n.text())
        .any(|t| t == HOSTILE));

    let json: Value = serde_json::from_str(&log_json(&sim, usize::MAX)).expect("valid JSON");
    assert!(json["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["to"] == HOSTILE));
    assert!(
        !log_json(&sim, usize::MAX).contains("</script>"),
        "no raw script closer in JSON"
    );

    let rows = parse_csv(&log_csv(&sim, usize::MAX));
    assert!(rows.iter().all(|r| r.len() == 16));
    assert!(
        rows.iter().any(|r| r[5] == "web,\"=cmd\""),
        "quoted field round-trips"
    );

    let chrome: Value = serde_json::from_str(&chrome_trace(&sim, usize::MAX)).expect("valid JSON");
    assert!(chrome["traceEvents"].as_array().unwrap().len() > 10);

    let mermaid = mermaid_sequence(&sim, 10);
    for line in mermaid.lines().skip(1) {
        // Only the arrow may hold `>`; names and message text are stripped of Mermaid syntax.
        let free_text = line
            .split_once(" as ")
            .or_else(|| line.split_once(": "))
            .map(|(_, t)| t)
            .expect("participant or message line");
        assert!(!free_text.contains(['<', '>', ';', '#']), "{line}");
    }
    assert!(!mermaid.contains("</script>"));
}
