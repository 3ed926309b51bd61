//! The headless CLI, run as a real process: `run` (text and JSON summaries, seed and duration
//! overrides, exit codes), `check` (compiler-style errors), `fmt`, `link`/`unlink`, `gallery`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

#[path = "support/gallery_hashes.rs"]
#[allow(dead_code)]
mod gallery_hashes;

use switchboard::scenario::gallery;

const CLI: &str = env!("CARGO_BIN_EXE_switchboard-cli");

fn cli(args: &[&str]) -> Output {
    Command::new(CLI)
        .args(args)
        .output()
        .expect("runs switchboard-cli")
}

fn cli_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(CLI)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs switchboard-cli");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scenario file in the temp directory, unique per test.
fn file(name: &str, text: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("switchboard-cli-{}-{name}.sb", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

const SMALL: &str = "scenario \"small\" seed 5 duration 10s\nservice api workers 2 time 5ms\nqueue q\nclient c rate 10/s -> api POST /x\napi POST /x:\n  work\n  enqueue q Job\n  reply 201\napi consume q:\n  work 1ms\n";

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn run_prints_a_text_summary() {
    let o = cli(&["run", "gallery:checkout"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "scenario \"checkout\" seed 42: finished",
        "trace ",
        "gateway POST /checkout",
        "payments <- payments-q",
        "payments-q",
        "p99",
        "dead-lettered",
        "wall",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn the_services_table_has_admission_columns_only_when_some_service_turned_work_away() {
    let out = stdout(&cli(&["run", "gallery:stale-backlog"]));
    let head = out
        .lines()
        .find(|l| l.starts_with("service "))
        .unwrap_or_else(|| panic!("no services table in\n{out}"));
    assert!(
        head.contains("rate-limited") && head.contains("shed"),
        "{head}"
    );
    let row = out.lines().find(|l| l.starts_with("shed-api ")).unwrap();
    assert!(row.split_whitespace().any(|c| c == "1398"), "{row}");
    let out = stdout(&cli(&["run", "gallery:checkout"]));
    assert!(!out.contains("rate-limited"), "{out}");
}

#[test]
fn run_json_has_every_documented_field() {
    let v = json(&cli(&["run", "gallery:checkout", "--json"]));
    for key in [
        "scenario",
        "seed",
        "stop",
        "stop_message",
        "simulated_s",
        "wall_ms",
        "events",
        "messages",
        "records",
        "dropped",
        "requests",
        "trace_hash",
        "endpoints",
        "consumers",
        "clients",
        "mailboxes",
        "services",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["scenario"], "checkout");
    assert_eq!(v["seed"], 42);
    assert_eq!(v["stop"], "finished");
    assert_eq!(v["simulated_s"], 60.0);
    assert_eq!(v["trace_hash"].as_str().unwrap().len(), 16);
    let ep = &v["endpoints"][0];
    assert_eq!(ep["name"], "gateway POST /checkout");
    for key in ["count", "errors", "rejected", "by_status", "latency_ms"] {
        assert!(ep.get(key).is_some(), "endpoint misses {key}");
    }
    for key in ["mean", "p50", "p95", "p99", "max"] {
        assert!(
            ep["latency_ms"][key].as_f64().is_some(),
            "latency misses {key}"
        );
    }
    assert!(ep["by_status"]["201"].as_u64().unwrap() > 1000);
    let q = v["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "payments-q")
        .unwrap();
    assert_eq!(q["kind"], "queue");
    for key in [
        "accepted",
        "rejected",
        "evicted",
        "deliveries",
        "acked",
        "redeliveries",
        "dead_letters",
        "filtered",
        "max_depth",
        "mean_depth",
    ] {
        assert!(q.get(key).is_some(), "mailbox misses {key}");
    }
    let sub = v["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "order-events/emails")
        .unwrap();
    assert_eq!(sub["kind"], "subscription");
    let c = &v["consumers"][0];
    for key in ["name", "delivered", "acked", "nacked", "latency_ms"] {
        assert!(c.get(key).is_some(), "consumer misses {key}");
    }
    let cl = &v["clients"][0];
    assert_eq!(cl["name"], "web");
    for key in [
        "sent",
        "completed",
        "errors",
        "timeouts",
        "retries",
        "breaker_rejections",
        "by_status",
        "latency_ms",
        "ok",
        "throughput_per_s",
        "goodput_per_s",
    ] {
        assert!(cl.get(key).is_some(), "client misses {key}");
    }
    assert!(
        cl.get("users").is_none(),
        "a rate-driven client has no users"
    );
    assert!(cl["goodput_per_s"].as_f64() <= cl["throughput_per_s"].as_f64());
    let s = &v["services"][0];
    for key in [
        "name",
        "rejected",
        "rate_limited",
        "shed",
        "lost_to_crash",
        "max_backlog",
        "mean_backlog",
    ] {
        assert!(s.get(key).is_some(), "service misses {key}");
    }
}

#[test]
fn same_seed_same_hash_other_seed_other_hash() {
    let path = file("seed", SMALL);
    let p = path.to_str().unwrap();
    let a = json(&cli(&["run", p, "--json"]));
    let b = json(&cli(&["run", p, "--json"]));
    let c = json(&cli(&["run", p, "--json", "--seed", "6"]));
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_eq!(a["seed"], 5);
    assert_eq!(c["seed"], 6);
    // The small scenario has no randomness in its arrivals, so add some to see the seed matter.
    let noisy = file("noisy", &SMALL.replace("rate 10/s", "rate 10/s poisson"));
    let n = noisy.to_str().unwrap();
    let x = json(&cli(&["run", n, "--json", "--seed", "1"]));
    let y = json(&cli(&["run", n, "--json", "--seed", "2"]));
    assert_ne!(x["trace_hash"], y["trace_hash"]);
}

#[test]
fn until_overrides_the_duration() {
    let path = file("until", SMALL);
    let v = json(&cli(&[
        "run",
        path.to_str().unwrap(),
        "--until",
        "2.5s",
        "--json",
    ]));
    assert_eq!(v["simulated_s"], 2.5);
    assert_eq!(v["stop"], "finished");
    // Requests at 0 s, 0.1 s, …, 2.5 s: the run includes its last instant.
    assert_eq!(v["clients"][0]["sent"], 26);
}

#[test]
fn an_exhausted_budget_exits_3() {
    let path = file(
        "budget",
        &SMALL.replace("duration 10s", "duration 10s budget 50"),
    );
    let o = cli(&["run", path.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["stop"], "event_budget_exhausted");
    assert_eq!(v["events"], 50);
}

/// A flood (a million requests a second into hour-long work) stops at the pending-work limit:
/// exit code 3, `pending_limit` in the summary; `--pending-limit` moves the limit, and a bad
/// value is a usage error.
#[test]
fn too_much_pending_work_exits_3_and_the_limit_can_be_set() {
    let path = file(
        "flood",
        "scenario \"flood\" duration 100s\nservice s workers 1 time 1000000s backlog 1000000\nclient c rate 1000000/s -> s GET /x timeout 1000000s\ns GET /x:\n  work\n  reply 200\n",
    );
    let p = path.to_str().unwrap();
    let o = cli(&["run", p, "--json", "--pending-limit", "20000"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["stop"], "pending_limit");
    let message = v["stop_message"].as_str().unwrap();
    assert!(
        message.starts_with("over 20,000 tasks, calls, messages and timers pending at once"),
        "{message}"
    );
    for bad in ["0", "-1", "lots"] {
        let o = cli(&["run", p, "--pending-limit", bad]);
        assert_eq!(o.status.code(), Some(2), "--pending-limit {bad}");
        assert!(stderr(&o).contains("--pending-limit"), "{}", stderr(&o));
    }
}

#[test]
fn check_reports_errors_like_a_compiler() {
    let path = file(
        "bad",
        "service orders\nservce pay\ngateway POST /x:\n  call order.Create\n",
    );
    let p = path.to_str().unwrap();
    let o = cli(&["check", p]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("{p}:2:1: unknown keyword `servce`\n  hint: did you mean `service`?\n")
    );
    // Semantic errors, several at once.
    let path = file(
        "bad2",
        "service orders\ngateway POST /x:\n  call order.Create\n",
    );
    let p = path.to_str().unwrap();
    let o = cli(&["check", p]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{p}:2:1: unknown service `gateway`")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:3:8: unknown service `order`\n  hint: did you mean `orders`?"
        )),
        "{err}"
    );
    // A good file.
    let good = file("good", SMALL);
    let o = cli(&["check", good.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(stdout(&o).ends_with(": ok\n"));
    assert!(cli(&["check", "gallery:retry-storm"]).status.success());
}

#[test]
fn fmt_prints_the_canonical_text() {
    let o = cli_stdin(&["fmt", "-"], "service   a  workers 2\n");
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "scenario \"untitled\" seed 1 duration 60s\n\nservice a workers 2\n"
    );
}

#[test]
fn link_and_unlink_round_trip() {
    let path = file("link", SMALL);
    let o = cli(&["link", path.to_str().unwrap()]);
    assert!(o.status.success());
    let frag = stdout(&o).trim().to_string();
    assert!(frag.starts_with("s=1."), "{frag}");
    let o = cli(&["unlink", &format!("https://example.test/#{frag}")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(cli_stdin(&["fmt", "-"], SMALL).stdout, text.as_bytes());
    // Broken links say why and exit 1.
    let o = cli(&["unlink", "s=9.abc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("version `9`"), "{}", stderr(&o));
    let o = cli(&["unlink", "s=1.AAAA"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("damaged"));
}

#[test]
fn unlink_of_an_invalid_scenario_still_prints_its_text() {
    let frag = switchboard::scenario::link::encode_text("servce a\n");
    let o = cli(&["unlink", &frag]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "servce a\n");
    assert!(
        stderr(&o).contains("link:1:1: unknown keyword `servce`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn gallery_lists_every_entry_and_each_runs() {
    let o = cli(&["gallery"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let listed: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let ids: Vec<&str> = gallery::GALLERY.iter().map(|e| e.id).collect();
    assert_eq!(
        listed, ids,
        "one line per entry, id first, in gallery order:\n{out}"
    );
    for e in gallery::GALLERY {
        assert!(out.contains(e.title), "{}", e.id);
    }
    // Each listed entry runs to its end through the CLI and gives exactly the run the library
    // gives (its line in tests/golden/gallery-hashes.txt: seed, records and trace hash).
    let golden = gallery_hashes::parse(gallery_hashes::GOLDEN).expect("golden table parses");
    for id in listed {
        let v = json(&cli(&["run", "--json", &format!("gallery:{id}")]));
        let row = golden
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} is in tests/golden/gallery-hashes.txt"));
        assert_eq!(v["stop"], "finished", "{id}: {v}");
        assert_eq!(v["seed"], row.seed, "{id}");
        assert_eq!(v["records"], row.records, "{id}");
        assert_eq!(
            v["trace_hash"],
            format!("{:016x}", row.hash),
            "{id}: the CLI's run differs from the library's"
        );
        assert!(v["requests"].as_u64().unwrap_or(0) > 0, "{id}: {v}");
    }
    let o = cli(&["run", "gallery:nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no gallery scenario `nope`"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["run"],
        &["run", "x.sb", "--seed"],
        &["run", "x.sb", "--seed", "abc"],
        &["run", "x.sb", "--until", "5"],
        &["run", "x.sb", "--bogus"],
        &["check"],
        &["check", "a", "b"],
    ] {
        let o = cli(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("usage:"), "{args:?}");
    }
    let o = cli(&["run", "/nonexistent/file.sb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/file.sb"));
    assert!(cli(&["help"]).status.success());
}

#[test]
fn run_reads_standard_input() {
    let o = cli_stdin(&["run", "-", "--json"], SMALL);
    let v = json(&o);
    assert_eq!(v["scenario"], "small");
    assert_eq!(v["endpoints"][0]["by_status"]["201"], 100);
}

#[test]
fn export_writes_each_format() {
    let path = file("export", SMALL);
    let p = path.to_str().unwrap();
    // The run the exports project: its record count is the summary's.
    let records = json(&cli(&["run", "--json", p]))["records"]
        .as_u64()
        .expect("records");
    assert!(records > 100, "{records}");

    let log = cli(&["export", "--format", "json", p]);
    let doc = json(&log);
    assert_eq!(doc["format"], "switchboard-log/1");
    let rows = doc["records"].as_array().unwrap();
    assert_eq!(rows.len() as u64, records, "one object per record");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["id"], i as u64, "ids in order");
        assert!(r["kind"].is_string() && r["from"].is_string() && r["outcome"].is_string());
    }
    assert_eq!(rows[0]["from"], "c");
    assert_eq!(rows[0]["to"], "api");

    let csv = cli(&["export", "--format", "csv", p]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,trace,cause,kind,mechanism,from,to,name,label,send_us,recv_us,latency_us,outcome,success,attempt,late"
    );
    assert_eq!(
        lines.len() as u64,
        records + 1,
        "a header and one row per record"
    );
    // SMALL's names and outcomes hold no commas or quotes, so a plain split is exact here.
    for (i, l) in lines.iter().enumerate().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 16, "row {i}: {l}");
        assert_eq!(f[0], (i - 1).to_string(), "row {i}: {l}");
    }

    let chrome = cli(&["export", "--format", "chrome", p]);
    let events = json(&chrome)["traceEvents"].as_array().unwrap().clone();
    assert!(
        events.iter().filter(|e| e["ph"] == "X").count() > 100,
        "complete events for the work and hops"
    );
    assert!(events
        .iter()
        .all(|e| e["ph"].is_string() && e["tid"].is_u64()));

    let mermaid = cli(&["export", "--format", "mermaid", "--messages", "5", p]);
    assert!(mermaid.status.success(), "{}", stderr(&mermaid));
    let text = stdout(&mermaid);
    assert!(text.starts_with("sequenceDiagram\n"));
    assert_eq!(text.lines().filter(|l| l.contains(": ")).count(), 5);

    let out = std::env::temp_dir().join(format!("switchboard-cli-{}.svg", std::process::id()));
    let svg = cli(&[
        "export",
        "--format",
        "svg",
        "--out",
        out.to_str().unwrap(),
        p,
    ]);
    assert!(svg.status.success(), "{}", stderr(&svg));
    assert!(stdout(&svg).is_empty(), "--out writes the file, not stdout");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
}

#[test]
fn export_rejects_bad_options_with_usage_errors() {
    let cases: [(&[&str], &str); 5] = [
        (&["export", "gallery:checkout"], "needs `--format F`"),
        (
            &["export", "--format", "png", "gallery:checkout"],
            "unknown format `png`",
        ),
        (
            &["export", "--format", "svg"],
            "expected `export --format F FILE`",
        ),
        (
            &[
                "export",
                "--format",
                "svg",
                "--messages",
                "3",
                "gallery:checkout",
            ],
            "only applies to `--format mermaid`",
        ),
        (
            &[
                "export",
                "--format",
                "mermaid",
                "--messages",
                "0",
                "gallery:checkout",
            ],
            "expected a whole number above zero",
        ),
    ];
    for (args, expected) in cases {
        let o = cli(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn export_of_invalid_scenario_reports_positions() {
    let path = file(
        "export-bad",
        "scenario \"x\" seed 1 duration 1s\nservice api workerz 2\n",
    );
    let o = cli(&["export", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(":2:"), "{}", stderr(&o));
    assert!(
        stdout(&o).is_empty(),
        "nothing exported from a broken scenario"
    );
}

#[test]
fn a_client_of_users_reports_its_users_and_goodput() {
    let text = "scenario \"u\" duration 20s\nservice a workers 2 time exp(50ms)\n\
                client shoppers users 10 think exp(1s) -> a GET /x timeout 1s\na GET /x:\n  work\n";
    let path = file("users", text);
    let v = json(&cli(&["run", path.to_str().unwrap(), "--json"]));
    let c = &v["clients"][0];
    let u = &c["users"];
    assert_eq!(u["users"], 10);
    let now = u["thinking"].as_u64().unwrap() + u["waiting"].as_u64().unwrap();
    assert_eq!(now, 10, "{u}");
    let mean = u["mean_thinking"].as_f64().unwrap() + u["mean_waiting"].as_f64().unwrap();
    assert!((mean - 10.0).abs() < 0.01, "{u}");
    let ok = c["ok"].as_u64().unwrap() as f64;
    assert!(
        (c["goodput_per_s"].as_f64().unwrap() - ok / 20.0).abs() < 0.001,
        "{c}"
    );
    let table = String::from_utf8(cli(&["run", path.to_str().unwrap()]).stdout).unwrap();
    assert!(table.contains("goodput/s"), "{table}");
    assert!(table.contains("client (users)"), "{table}");
}
