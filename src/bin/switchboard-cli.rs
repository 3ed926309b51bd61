//! Headless command line: run a scenario natively and print a summary (text or JSON), check a
//! scenario for errors, format it, and convert between scenario files and share-link fragments.
//! The only place outside the UI that reads the wall clock (for the "wall time" figure).
//!
//! ```text
//! switchboard-cli run FILE [--seed N] [--until DUR] [--pending-limit N] [--json]
//! switchboard-cli export --format svg|json|csv|mermaid|chrome FILE [--seed N] [--until DUR]
//!                        [--pending-limit N] [--messages N] [--out PATH]
//! switchboard-cli check FILE
//! switchboard-cli fmt FILE
//! switchboard-cli link FILE
//! switchboard-cli unlink FRAGMENT
//! switchboard-cli gallery
//! ```
//! FILE is a path, `-` for standard input, or `gallery:<id>` for a built-in scenario.
//! Exit codes: 0 success, 1 scenario errors, 2 usage or I/O errors, 3 the run stopped early
//! because its event budget ran out or too much work was pending at once.

use std::io::{Read, Write};
use std::process::ExitCode;
use switchboard::export;
use switchboard::export::summary::{render_text, summarize};
use switchboard::scenario::{self, gallery, link, units, Diagnostic};
use switchboard::sim::{self, Sim, StopReason};

const USAGE: &str = "\
usage:
  switchboard-cli run FILE [--seed N] [--until DUR] [--pending-limit N] [--json]
                               run to the end and print a summary
  switchboard-cli export --format svg|json|csv|mermaid|chrome FILE
                    [--seed N] [--until DUR] [--pending-limit N] [--messages N] [--out PATH]
                               run, then write the timeline SVG, the message log (JSON, CSV),
                               a Mermaid sequence diagram of the first N messages (default 50)
                               or Chrome Trace Event JSON (Perfetto) to stdout or PATH
  switchboard-cli check FILE   report errors as FILE:LINE:COL: message (exit 1 if any)
  switchboard-cli fmt FILE     print the canonical text
  switchboard-cli link FILE    print the share-link fragment (s=1.…)
  switchboard-cli unlink FRAGMENT
                               print the scenario text a fragment (or whole URL) carries
  switchboard-cli gallery      list the built-in scenarios

FILE is a path, `-` for standard input, or `gallery:<id>` (see `gallery`).
--seed N overrides the scenario's seed; --until DUR (e.g. 10s, 2m) its duration;
--pending-limit N the 2,000,000 tasks, calls, messages and timers a run may hold at once.
Exit codes: 0 ok, 1 scenario errors, 2 usage or I/O errors, 3 event budget exhausted
or over 2,000,000 tasks, calls, messages and timers pending at once.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run_cli(&args) {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(CliError::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

enum CliError {
    Usage(String),
    Io(String),
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

fn run_cli(args: &[String]) -> Result<ExitCode, CliError> {
    let Some(command) = args.first() else {
        return Err(usage("no command given"));
    };
    let rest = &args[1..];
    match command.as_str() {
        "run" => cmd_run(rest),
        "export" => cmd_export(rest),
        "check" => {
            let (file, text) = read_input(one_arg(rest, "check FILE")?)?;
            match scenario::compile(&text) {
                Ok(_) => {
                    println!("{file}: ok");
                    Ok(ExitCode::SUCCESS)
                }
                Err(ds) => Ok(report(&file, &ds)),
            }
        }
        "fmt" => {
            let (file, text) = read_input(one_arg(rest, "fmt FILE")?)?;
            match scenario::parse(&text) {
                Ok(m) => {
                    print!("{}", scenario::format(&m));
                    Ok(ExitCode::SUCCESS)
                }
                Err(ds) => Ok(report(&file, &ds)),
            }
        }
        "link" => {
            let (file, text) = read_input(one_arg(rest, "link FILE")?)?;
            match scenario::compile(&text) {
                Ok(c) => {
                    println!("{}", link::encode(&c.scenario));
                    Ok(ExitCode::SUCCESS)
                }
                Err(ds) => Ok(report(&file, &ds)),
            }
        }
        "unlink" => {
            let fragment = one_arg(rest, "unlink FRAGMENT")?;
            match link::decode(fragment) {
                Ok((text, _)) => {
                    print!("{text}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(link::LinkError::Invalid { text, diagnostics }) => {
                    // The text is still printed, so it can be saved and fixed.
                    print!("{text}");
                    Ok(report("link", &diagnostics))
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        "gallery" => {
            if !rest.is_empty() {
                return Err(usage("`gallery` takes no arguments"));
            }
            let width = gallery::GALLERY
                .iter()
                .map(|e| e.id.len())
                .max()
                .unwrap_or(0);
            for e in gallery::GALLERY {
                println!("{:width$}  {}", e.id, e.title);
            }
            Ok(ExitCode::SUCCESS)
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(usage(format!("unknown command `{other}`"))),
    }
}

fn one_arg<'a>(rest: &'a [String], form: &str) -> Result<&'a str, CliError> {
    match rest {
        [one] => Ok(one),
        _ => Err(usage(format!("expected `{form}`"))),
    }
}

/// Diagnostics to stderr as `file:line:col: message` (+ hint line); exit code 1.
fn report(file: &str, ds: &[Diagnostic]) -> ExitCode {
    let mut err = std::io::stderr().lock();
    for d in ds {
        let _ = writeln!(err, "{}", d.render(file));
    }
    ExitCode::from(1)
}

/// The display name and text of FILE (`-`, `gallery:<id>`, or a path).
fn read_input(file: &str) -> Result<(String, String), CliError> {
    if let Some(id) = file.strip_prefix("gallery:") {
        return match gallery::find(id) {
            Some(e) => Ok((file.to_string(), e.text.to_string())),
            None => {
                let ids: Vec<&str> = gallery::GALLERY.iter().map(|e| e.id).collect();
                Err(usage(format!(
                    "no gallery scenario `{id}`; there are: {}",
                    ids.join(", ")
                )))
            }
        };
    }
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Io(format!("reading standard input: {e}")))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let text = std::fs::read_to_string(file).map_err(|e| CliError::Io(format!("{file}: {e}")))?;
    Ok((file.to_string(), text))
}

/// Options shared by `run` and `export`; each command says which flags it accepts.
#[derive(Default)]
struct RunOpts<'a> {
    file: Option<&'a str>,
    seed: Option<u64>,
    until: Option<units::Duration>,
    json: bool,
    format: Option<&'a str>,
    messages: Option<usize>,
    out: Option<&'a str>,
    pending_limit: Option<u64>,
}

fn parse_run_opts<'a>(rest: &'a [String], allowed: &[&str]) -> Result<RunOpts<'a>, CliError> {
    let mut o = RunOpts::default();
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let flag = arg.as_str();
        if flag.starts_with("--") && !allowed.contains(&flag) {
            return Err(usage(format!("unknown option `{flag}`")));
        }
        let value = || {
            rest.get(i + 1)
                .map(String::as_str)
                .ok_or_else(|| usage(format!("`{arg}` needs a value")))
        };
        match flag {
            "--seed" => {
                let v = value()?;
                o.seed = Some(
                    v.parse()
                        .map_err(|_| usage(format!("`--seed {v}`: expected a whole number")))?,
                );
                i += 1;
            }
            "--until" => {
                let v = value()?;
                let d =
                    units::parse_duration(v).map_err(|m| usage(format!("`--until {v}`: {m}")))?;
                if d.0 == 0 {
                    return Err(usage("`--until` must be greater than zero"));
                }
                o.until = Some(d);
                i += 1;
            }
            "--messages" => {
                let v = value()?;
                o.messages = Some(v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    usage(format!(
                        "`--messages {v}`: expected a whole number above zero"
                    ))
                })?);
                i += 1;
            }
            "--pending-limit" => {
                let v = value()?;
                o.pending_limit = Some(v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    usage(format!(
                        "`--pending-limit {v}`: expected a whole number above zero"
                    ))
                })?);
                i += 1;
            }
            "--format" => {
                o.format = Some(value()?);
                i += 1;
            }
            "--out" => {
                o.out = Some(value()?);
                i += 1;
            }
            "--json" => o.json = true,
            _ if o.file.is_none() => o.file = Some(flag),
            extra => return Err(usage(format!("unexpected argument `{extra}`"))),
        }
        i += 1;
    }
    Ok(o)
}

/// A scenario compiled and run to its end (or `--until`), ready to summarize or export.
struct Finished {
    scenario: String,
    seed: u64,
    sim: Sim,
    stop: StopReason,
    wall_ms: f64,
}

/// Compiles FILE and runs it; `Err(code)` when the scenario itself is wrong (already reported).
fn run_file(file: &str, o: &RunOpts) -> Result<Result<Finished, ExitCode>, CliError> {
    let (name, text) = read_input(file)?;
    let compiled = match scenario::compile(&text) {
        Ok(c) => c,
        Err(ds) => return Ok(Err(report(&name, &ds))),
    };
    let seed = o.seed.unwrap_or(compiled.seed);
    // The world was compiled (and validated) by `scenario::compile`; the options only change
    // run settings, which the compiled tables do not depend on.
    let mut world = compiled.checked;
    if let Some(d) = o.until {
        world = world.with_duration(sim::SimTime::from_micros(d.as_micros()));
    }
    if let Some(n) = o.pending_limit {
        world = world.with_pending_limit(n);
    }
    let mut sim = Sim::start(&world, seed);
    let started = std::time::Instant::now();
    let stop = sim.run_to_end();
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(Ok(Finished {
        scenario: compiled.scenario.name,
        seed,
        sim,
        stop,
        wall_ms,
    }))
}

fn stop_code(stop: StopReason) -> ExitCode {
    match stop {
        StopReason::EventBudgetExhausted { .. } | StopReason::PendingLimit { .. } => {
            ExitCode::from(3)
        }
        StopReason::Finished { .. } | StopReason::Idle { .. } => ExitCode::SUCCESS,
    }
}

fn cmd_run(rest: &[String]) -> Result<ExitCode, CliError> {
    let o = parse_run_opts(rest, &["--seed", "--until", "--json", "--pending-limit"])?;
    let Some(file) = o.file else {
        return Err(usage("expected `run FILE`"));
    };
    let run = match run_file(file, &o)? {
        Ok(run) => run,
        Err(code) => return Ok(code),
    };
    let summary = summarize(&run.scenario, run.seed, &run.sim, run.stop, run.wall_ms);
    let mut out = std::io::stdout().lock();
    if o.json {
        let text =
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Io(e.to_string()))?;
        let _ = writeln!(out, "{text}");
    } else {
        let _ = write!(out, "{}", render_text(&summary));
    }
    Ok(stop_code(run.stop))
}

const EXPORT_FORMATS: &str = "svg, json, csv, mermaid, chrome";

fn cmd_export(rest: &[String]) -> Result<ExitCode, CliError> {
    let o = parse_run_opts(
        rest,
        &[
            "--format",
            "--seed",
            "--until",
            "--messages",
            "--out",
            "--pending-limit",
        ],
    )?;
    let Some(format) = o.format else {
        return Err(usage(format!(
            "`export` needs `--format F` (one of {EXPORT_FORMATS})"
        )));
    };
    if !EXPORT_FORMATS.split(", ").any(|f| f == format) {
        return Err(usage(format!(
            "unknown format `{format}`; expected one of {EXPORT_FORMATS}"
        )));
    }
    if o.messages.is_some() && format != "mermaid" {
        return Err(usage("`--messages` only applies to `--format mermaid`"));
    }
    let Some(file) = o.file else {
        return Err(usage("expected `export --format F FILE`"));
    };
    let run = match run_file(file, &o)? {
        Ok(run) => run,
        Err(code) => return Ok(code),
    };
    let text = match format {
        "svg" => export::timeline_svg(&run.sim, export::SvgOptions::default()),
        "json" => export::log_json(&run.sim, usize::MAX),
        "csv" => export::log_csv(&run.sim, usize::MAX),
        "mermaid" => export::mermaid_sequence(
            &run.sim,
            o.messages.unwrap_or(export::MERMAID_DEFAULT_MESSAGES),
        ),
        _ => export::chrome_trace(&run.sim, usize::MAX),
    };
    match o.out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| CliError::Io(format!("{path}: {e}")))?
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(stop_code(run.stop))
}
