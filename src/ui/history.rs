//! The history of the user's scenarios (like Mermaid Live's): every applied version, every shared
//! link opened, and the latest draft of each tab, newest first, capped by count and by bytes with
//! the oldest dropped first. Pure data and rules, tested natively; `drafts` stores it and
//! `history_panel` shows it. Stored as plain length-prefixed text (`encode`), not JSON: a JSON
//! library would put its number tables into the first half of the split build (data cannot be
//! split; docs/size.md).

use crate::scenario::gallery;

/// The first line of the stored form (a format version).
const MAGIC: &str = "switchboard-history 1\n";

/// Most entries kept.
pub const MAX_ENTRIES: usize = 50;
/// Most bytes of scenario text kept in all entries together.
pub const MAX_BYTES: usize = 1024 * 1024;
/// A text longer than this is not kept in the history (the tab's own draft still is saved).
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;

/// How an entry came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text as a tab last had it, applied or not. One entry per tab and per text the tab
    /// started from (a gallery pick, a restore or a link starts a new one).
    Draft,
    /// A text applied (run) in the editor.
    Applied,
    /// A shared link this browser opened.
    Link,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Draft => "draft",
            Kind::Applied => "applied",
            Kind::Link => "opened link",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Kind::Draft => "draft",
            Kind::Applied => "applied",
            Kind::Link => "link",
        }
    }

    fn from_code(code: &str) -> Option<Kind> {
        [Kind::Draft, Kind::Applied, Kind::Link]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// A draft's slot (`drafts::slot`), replaced in place as the tab's text changes; versions
    /// get a fresh id each.
    pub id: String,
    pub kind: Kind,
    /// The scenario's name, from its `scenario "…"` line.
    pub name: String,
    /// When it was recorded, in milliseconds since the Unix epoch (the browser's wall clock).
    pub t: f64,
    pub text: String,
}

impl Entry {
    pub fn new(id: String, kind: Kind, t: f64, text: &str) -> Entry {
        Entry {
            id,
            kind,
            name: name_of(text),
            t,
            text: text.to_string(),
        }
    }
}

/// The list, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub entries: Vec<Entry>,
}

impl History {
    /// The stored form read back; anything unreadable ends the list there (never an error:
    /// another version of the app, or a user, may have written anything there).
    #[inline(never)]
    pub fn decode(stored: &str) -> History {
        let mut entries = Vec::new();
        let Some(mut rest) = stored.strip_prefix(MAGIC) else {
            return History { entries };
        };
        // Each entry: `id \t kind \t t \t bytes \n`, then `bytes` bytes of text and `\n`.
        while let Some((head, after)) = rest.split_once('\n') {
            let mut f = head.split('\t');
            let (Some(id), Some(kind), Some(t), Some(len), None) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                break;
            };
            let (Some(kind), Ok(t), Ok(len)) = (
                Kind::from_code(kind),
                t.parse::<u64>(),
                len.parse::<usize>(),
            ) else {
                break;
            };
            let Some(text) = after.get(..len) else {
                break;
            };
            let Some(next) = after[len..].strip_prefix('\n') else {
                break;
            };
            entries.push(Entry::new(id.to_string(), kind, t as f64, text));
            rest = next;
        }
        History { entries }
    }

    #[inline(never)]
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(MAGIC.len() + self.bytes() + 64 * self.entries.len());
        out.push_str(MAGIC);
        for e in &self.entries {
            // Ids are the app's own (no tab or newline); drop any that would break the frame.
            let id: String = e.id.chars().filter(|c| *c != '\t' && *c != '\n').collect();
            let t = e.t.max(0.0) as u64;
            out.push_str(&format!("{id}\t{}\t{t}\t{}\n", e.kind.code(), e.text.len()));
            out.push_str(&e.text);
            out.push('\n');
        }
        out
    }

    /// Record `entry` as the newest. A draft replaces its slot's earlier text; a draft already
    /// kept as a version, a gallery text, an empty text or one over `MAX_ENTRY_BYTES` is not
    /// kept. A version takes the place of every entry with the same text. Then the caps apply.
    pub fn record(&mut self, entry: Entry) {
        let text = entry.text.as_str();
        let keep = !text.trim().is_empty()
            && text.len() <= MAX_ENTRY_BYTES
            && !gallery::GALLERY.iter().any(|g| g.text == text);
        match entry.kind {
            Kind::Draft => {
                self.entries.retain(|e| {
                    e.id != entry.id && !(e.kind == Kind::Draft && e.text == entry.text)
                });
                let kept_as_version = self.entries.iter().any(|e| e.text == entry.text);
                if keep && !kept_as_version {
                    self.entries.insert(0, entry);
                }
            }
            Kind::Applied | Kind::Link => {
                if keep {
                    self.entries.retain(|e| e.text != entry.text);
                    self.entries.insert(0, entry);
                }
            }
        }
        self.trim();
    }

    /// Drop the oldest entries until the caps hold.
    fn trim(&mut self) {
        self.entries.truncate(MAX_ENTRIES);
        while self.bytes() > MAX_BYTES && self.drop_oldest() {}
    }

    /// Bytes of scenario text in all entries.
    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.text.len()).sum()
    }

    /// Drop the oldest entry (when storage is full); false when there was none.
    pub fn drop_oldest(&mut self) -> bool {
        self.entries.pop().is_some()
    }
}

/// The name in a scenario's `scenario "…"` line (the first line that is not blank or a comment),
/// or "Untitled"; at most 60 characters.
pub fn name_of(text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let name = first
        .and_then(|l| l.strip_prefix("scenario"))
        .map(str::trim_start)
        .and_then(|l| l.strip_prefix('"'))
        .and_then(|l| l.split('"').next())
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match name {
        Some(n) if n.chars().count() > 60 => format!("{}…", n.chars().take(59).collect::<String>()),
        Some(n) => n.to_string(),
        None => "Untitled".to_string(),
    }
}

/// How long ago `t` was at `now` (both in milliseconds), in words: "just now", "5 min ago",
/// "3 h ago", "2 days ago".
pub fn ago(now: f64, t: f64) -> String {
    let s = ((now - t) / 1000.0).max(0.0) as u64;
    match s {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", s / 60),
        3600..86_400 => format!("{} h ago", s / 3600),
        86_400..172_800 => "yesterday".to_string(),
        _ => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str) -> String {
        format!("scenario \"{name}\" seed 1\nservice a\n")
    }

    fn names(h: &History) -> Vec<(Kind, String)> {
        h.entries.iter().map(|e| (e.kind, e.name.clone())).collect()
    }

    #[test]
    fn a_draft_is_replaced_in_its_slot_and_moves_to_the_front() {
        let mut h = History::default();
        h.record(Entry::new("tab-a".into(), Kind::Draft, 1.0, &text("a1")));
        h.record(Entry::new("tab-b".into(), Kind::Draft, 2.0, &text("b")));
        h.record(Entry::new("tab-a".into(), Kind::Draft, 3.0, &text("a2")));
        assert_eq!(
            names(&h),
            vec![(Kind::Draft, "a2".into()), (Kind::Draft, "b".into())]
        );
    }

    #[test]
    fn versions_replace_entries_with_the_same_text_and_drafts_do_not_repeat_them() {
        let mut h = History::default();
        h.record(Entry::new("tab-a".into(), Kind::Draft, 1.0, &text("x")));
        h.record(Entry::new("v1".into(), Kind::Applied, 2.0, &text("x")));
        assert_eq!(names(&h), vec![(Kind::Applied, "x".into())]);
        // The same text as a draft again (a reload) adds nothing.
        h.record(Entry::new("tab-a2".into(), Kind::Draft, 3.0, &text("x")));
        assert_eq!(h.entries.len(), 1);
        // A draft that moved on is kept beside the version.
        h.record(Entry::new("tab-a2".into(), Kind::Draft, 4.0, &text("y")));
        assert_eq!(
            names(&h),
            vec![(Kind::Draft, "y".into()), (Kind::Applied, "x".into())]
        );
        // Two tabs' drafts with one text are one entry.
        h.record(Entry::new("tab-b".into(), Kind::Draft, 5.0, &text("y")));
        assert_eq!(h.entries.len(), 2);
        assert_eq!(h.entries[0].id, "tab-b");
    }

    #[test]
    fn gallery_empty_and_oversized_texts_are_not_kept() {
        let mut h = History::default();
        let g = gallery::default_example().text;
        h.record(Entry::new("v".into(), Kind::Applied, 1.0, g));
        h.record(Entry::new("d".into(), Kind::Draft, 1.0, "  \n"));
        let big = format!("{}{}", text("big"), "#".repeat(MAX_ENTRY_BYTES));
        h.record(Entry::new("w".into(), Kind::Link, 1.0, &big));
        assert!(h.entries.is_empty());
    }

    #[test]
    fn caps_drop_the_oldest_first() {
        let mut h = History::default();
        for i in 0..MAX_ENTRIES + 5 {
            h.record(Entry::new(
                format!("v{i}"),
                Kind::Applied,
                i as f64,
                &text(&i.to_string()),
            ));
        }
        assert_eq!(h.entries.len(), MAX_ENTRIES);
        assert_eq!(h.entries[0].name, (MAX_ENTRIES + 4).to_string());
        assert_eq!(h.entries.last().map(|e| e.name.as_str()), Some("5"));

        let mut h = History::default();
        let pad = "#".repeat(MAX_ENTRY_BYTES - 100);
        for i in 0..6 {
            h.record(Entry::new(
                format!("v{i}"),
                Kind::Applied,
                0.0,
                &format!("{}{pad}", text(&i.to_string())),
            ));
        }
        assert!(h.bytes() <= MAX_BYTES);
        assert_eq!(h.entries.len(), 4);
        assert_eq!(h.entries[0].name, "5");
        assert_eq!(h.entries[3].name, "2");
    }

    #[test]
    fn stored_form_round_trips_and_garbage_reads_as_empty() {
        let mut h = History::default();
        h.record(Entry::new(
            "v".into(),
            Kind::Link,
            12.0,
            &text("quote \" and\nnewline\t\n\n"),
        ));
        assert_eq!(History::decode(&h.encode()), h);
        let damaged = [
            "switchboard-history 1\nx\tdraft\t1\t999\nshort\n",
            "switchboard-history 1\nx\tnope\t1\t0\n\n",
        ];
        for bad in ["", "null", "{\"entries\":[]}", "\u{0}", MAGIC]
            .iter()
            .chain(&damaged)
        {
            assert_eq!(History::decode(bad), History::default(), "{bad:?}");
        }
        // A damaged tail keeps the entries before it.
        let mut two = h.clone();
        two.record(Entry::new(
            "w".into(),
            Kind::Draft,
            13.0,
            "scenario \"é\"\n",
        ));
        let stored = two.encode();
        assert_eq!(History::decode(&stored), two);
        let cut = &stored[..stored.len() - 3];
        assert_eq!(History::decode(cut).entries, &two.entries[..1]);
    }

    #[test]
    fn names_come_from_the_scenario_line() {
        assert_eq!(
            name_of("# note\n\nscenario \"checkout\" seed 4\n"),
            "checkout"
        );
        assert_eq!(name_of("scenario   \"  spaced \" seed 1"), "spaced");
        assert_eq!(name_of("service a\nscenario \"late\"\n"), "Untitled");
        assert_eq!(name_of("scenario \"\"\n"), "Untitled");
        assert_eq!(name_of(""), "Untitled");
        assert_eq!(
            name_of(&format!("scenario \"{}\"", "n".repeat(80)))
                .chars()
                .count(),
            60
        );
    }

    #[test]
    fn ages_read_as_words() {
        let now = 10.0 * 86_400_000.0;
        assert_eq!(ago(now, now + 5.0), "just now");
        assert_eq!(ago(now, now - 59_000.0), "just now");
        assert_eq!(ago(now, now - 5.0 * 60_000.0), "5 min ago");
        assert_eq!(ago(now, now - 3.0 * 3_600_000.0), "3 h ago");
        assert_eq!(ago(now, now - 30.0 * 3_600_000.0), "yesterday");
        assert_eq!(ago(now, now - 4.0 * 86_400_000.0), "4 days ago");
    }
}
