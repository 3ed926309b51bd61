//! The gallery's golden trace hashes (`tests/golden/gallery-hashes.txt`), shared by the native
//! test (tests/determinism.rs) and the wasm test (tests/web_sim.rs), which include this file with
//! `#[path]`. Both run every gallery scenario to its end with its own seed and compare
//! `id seed records hash` with the table, so native and wasm must give byte-identical traces.

use switchboard::scenario::{self, gallery};
use switchboard::sim::Sim;

/// The golden table, compiled in so the wasm test needs no file system.
pub const GOLDEN: &str = include_str!("../golden/gallery-hashes.txt");

/// The tests that name what the engine does, mechanism by mechanism. A hash says only *that* a
/// trace changed; these say *which* behaviour did, so they run before any pinned hash is updated.
pub const BEHAVIOUR_TESTS: &str = "cargo test --no-default-features --test sim_calls \
     --test sim_messaging --test sim_faults --test sim_api --test sim_hedging --test sim_slowdown --test scenario_lower \
     --test gallery";

/// The table's line that records why its hashes last changed.
pub const REASON: &str = "# Last change:";

/// What a newly printed table has in its reason line, until someone writes the reason; a table
/// that still holds it does not parse.
pub const REASON_TO_WRITE: &str =
    "<which behaviour changed on purpose, and which behaviour test names it>";

/// What to do when a pinned trace hash (`what`) changed, for a failing test's message.
pub fn intended_change_advice(what: &str) -> String {
    format!(
        "If the engine's behaviour changed on purpose, do not just paste the new {what}:\n\
         1. Run the behaviour tests:\n       {BEHAVIOUR_TESTS}\n   \
         If one fails, a named behaviour broke: fix that rather than the {what}.\n   \
         If all pass, no test names the change yet: add one that does.\n\
         2. Then update the {what}, and say in the commit message which behaviour changed and why."
    )
}

/// One line of the table: a gallery scenario run to its end with its own seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub seed: u64,
    /// Trace records written (the CLI's `records`).
    pub records: u64,
    /// `Sim::trace_hash()`, the CLI's `trace_hash`.
    pub hash: u64,
}

impl Row {
    fn line(&self) -> String {
        format!(
            "{:<16} {:>3} {:>7} {:016x}",
            self.id, self.seed, self.records, self.hash
        )
    }
}

/// Runs one gallery entry to its end with its own seed.
pub fn compute_row(e: &gallery::Example) -> Row {
    let compiled = scenario::compile(e.text).unwrap_or_else(|_| panic!("{} compiles", e.id));
    let mut sim = Sim::new(compiled.world, e.seed).expect("the engine accepts a gallery world");
    sim.run_to_end();
    Row {
        id: e.id.to_string(),
        seed: e.seed,
        records: sim.metrics().totals.records,
        hash: sim.trace_hash(),
    }
}

/// Every gallery entry, in gallery order.
pub fn compute() -> Vec<Row> {
    gallery::GALLERY.iter().map(compute_row).collect()
}

/// The table's rows; `#` lines and blank lines are comments. Malformed lines are errors, and so
/// is a table without its `# Last change:` reason line, or with that line not yet written.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut reason = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(r) = line.strip_prefix(REASON) {
            if r.contains(REASON_TO_WRITE) || r.trim().is_empty() {
                return Err(format!(
                    "gallery-hashes.txt:{}: write why the hashes changed in the `{REASON}` line \
                     (which behaviour changed on purpose, and which behaviour test names it)",
                    n + 1
                ));
            }
            reason = Some(r);
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("gallery-hashes.txt:{}: {what}: {line:?}", n + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        let [id, seed, records, hash] = f[..] else {
            return Err(bad("expected `id seed records hash`"));
        };
        rows.push(Row {
            id: id.to_string(),
            seed: seed.parse().map_err(|_| bad("bad seed"))?,
            records: records.parse().map_err(|_| bad("bad record count"))?,
            hash: u64::from_str_radix(hash, 16).map_err(|_| bad("bad hex hash"))?,
        });
    }
    if reason.is_none() {
        return Err(format!(
            "gallery-hashes.txt: no `{REASON} …` line saying why the hashes last changed"
        ));
    }
    Ok(rows)
}

/// The whole file with `rows` in place of the current ones: `table`'s comment header, with its
/// reason line emptied for the new reason (added if missing), then one line per row.
pub fn render(table: &str, rows: &[Row]) -> String {
    let header: Vec<&str> = table
        .lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .collect();
    let to_write = format!("{REASON} {REASON_TO_WRITE}\n");
    let mut out = String::new();
    let has_reason = header.iter().any(|l| l.trim_start().starts_with(REASON));
    for l in header {
        if l.trim_start().starts_with(REASON) {
            out.push_str(&to_write);
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !has_reason {
        out.push_str(&to_write);
    }
    for r in rows {
        out.push_str(&r.line());
        out.push('\n');
    }
    out
}

/// Compares freshly computed rows (`target`: "native" or "wasm") with the golden table.
pub fn check(target: &str, got: &[Row]) -> Result<(), String> {
    compare(GOLDEN, target, got)
}

/// Compares `got` with the rows of `table`. On any difference (a changed value, a gallery entry
/// missing from the table, an extra, repeated or misordered line) the error lists each difference,
/// says which behaviour tests to run first, and then prints the full new table, whose reason line
/// must be written before it parses.
pub fn compare(table: &str, target: &str, got: &[Row]) -> Result<(), String> {
    let want = parse(table)?;
    if want == got {
        return Ok(());
    }
    let mut diffs = Vec::new();
    for g in got {
        match want.iter().find(|w| w.id == g.id) {
            None => diffs.push(format!("  missing from the table: {}", g.line())),
            Some(w) if w != g => diffs.push(format!(
                "  {}: table has {}\n  {}  {target} gives {}",
                g.id,
                w.line(),
                " ".repeat(g.id.len()),
                g.line()
            )),
            Some(_) => {}
        }
    }
    for (i, w) in want.iter().enumerate() {
        let n = want.iter().filter(|x| x.id == w.id).count();
        if !got.iter().any(|g| g.id == w.id) {
            diffs.push(format!("  not in the gallery: {}", w.line()));
        } else if n > 1 && !want[..i].iter().any(|x| x.id == w.id) {
            diffs.push(format!("  listed {n} times: {}", w.id));
        }
    }
    if diffs.is_empty() {
        diffs.push("  lines are not in gallery order".to_string());
    }
    let advice = if target == "native" {
        format!(
            "{}\n   The new table is below (the wasm test, tests/web_sim.rs, checks the same file); \
             write the reason in its `{REASON}` line too: the table does not parse until it is \
             written",
            intended_change_advice("table")
        )
    } else {
        "The table is the native run's (tests/determinism.rs passes against it), so this run \
         differs from native: a determinism bug (platform float math instead of libm, unordered \
         iteration, usize-width arithmetic, ...), not a table to paste. This run's table"
            .to_string()
    };
    Err(format!(
        "gallery trace hashes ({target}) differ from tests/golden/gallery-hashes.txt:\n{}\n\n\
         {advice}:\n\n{}",
        diffs.join("\n"),
        render(table, got)
    ))
}
