//! Diagnostics: what is wrong in a scenario text, where it is (1-based line and column counted in
//! chars), the offending text, and a hint. Also the "did you mean" suggestion by edit distance.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A byte range in the source text.
///
/// Positions are metadata, not meaning: any two spans compare equal, so that models compare by
/// content alone (`parse(format(m)) == m` although the formatted text moved everything around).
/// A model imported from JSON has empty spans at offset 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl PartialEq for Span {
    fn eq(&self, _other: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

/// One problem in a scenario text. All positions are 1-based; columns count chars (not bytes),
/// and `end_col` is exclusive (`end_col == col` for an empty span, e.g. "missing value at end of line").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
    /// The offending text exactly as written (may be empty when something is missing).
    pub text: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// `file:line:col: message`, then `  hint: …` on its own line when there is a hint.
    pub fn render(&self, file: &str) -> String {
        let mut out = format!("{file}:{}:{}: {}", self.line, self.col, self.message);
        if let Some(hint) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// A problem before it is placed in the text: the parser and checker produce these, and
/// [`LineIndex::resolve`] turns them into [`Diagnostic`]s.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(span: Span, message: impl Into<String>) -> Problem {
        Problem {
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Problem {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}

/// Most diagnostics reported for one text; beyond this the rest are summarised in one line.
pub(crate) const MAX_DIAGNOSTICS: usize = 100;

/// Longest text quoted in a message or hint, in chars; longer quotes are cut with `…`.
pub(crate) const MAX_QUOTE_CHARS: usize = 60;

/// `message` with every `` `quoted` `` part longer than [`MAX_QUOTE_CHARS`] cut short. Messages
/// quote the offending text, and a hostile text can make that a 250 KB token: repeated in every
/// message, in the editor's problem list and in a link's banner. (`Diagnostic::text` keeps the
/// whole offending text.)
pub(crate) fn abbreviate_quotes(message: &str) -> String {
    if message.len() <= MAX_QUOTE_CHARS {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len().min(4 * MAX_QUOTE_CHARS));
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let quoted = i % 2 == 1;
        match part.char_indices().nth(MAX_QUOTE_CHARS) {
            Some((cut, _)) if quoted => {
                let keep = part[..cut]
                    .char_indices()
                    .nth(MAX_QUOTE_CHARS - 1)
                    .map_or(cut, |(k, _)| k);
                out.push_str(&part[..keep]);
                out.push('…');
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// Byte offsets of line starts, to turn byte spans into line:col.
pub(crate) struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex { src, starts }
    }

    /// Clamp an offset into the text and back onto a char boundary.
    fn clamp(&self, mut offset: usize) -> usize {
        offset = offset.min(self.src.len());
        while offset > 0 && !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// 1-based (line, col in chars) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let col = self.src.get(start..offset).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.position(offset).0
    }

    pub fn resolve(&self, problem: &Problem) -> Diagnostic {
        let start = self.clamp(problem.span.start);
        let end = self.clamp(problem.span.end.max(start));
        let (line, col) = self.position(start);
        let (end_line, end_col) = self.position(end);
        Diagnostic {
            line,
            col,
            end_line,
            end_col,
            text: self.src.get(start..end).unwrap_or("").to_string(),
            message: abbreviate_quotes(&problem.message),
            hint: problem.hint.as_deref().map(abbreviate_quotes),
        }
    }

    /// Resolve a batch, sorted by position, capped at [`MAX_DIAGNOSTICS`].
    pub fn resolve_all(&self, problems: &[Problem]) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = problems.iter().map(|p| self.resolve(p)).collect();
        out.sort_by_key(|d| (d.line, d.col));
        out.dedup();
        if out.len() > MAX_DIAGNOSTICS {
            out.truncate(MAX_DIAGNOSTICS);
            if let Some(last) = out.last().cloned() {
                out.push(Diagnostic {
                    text: String::new(),
                    message: "more errors not shown".to_string(),
                    hint: Some("fix the errors above first".to_string()),
                    col: last.end_col,
                    line: last.end_line,
                    ..last
                });
            }
        }
        out
    }
}

/// Edit distance between two short words, in chars: insertions, deletions, substitutions and
/// swaps of two neighbours each cost 1 (optimal string alignment). `None` when either word is
/// too long to be worth comparing, which keeps suggestion cost bounded on hostile input.
pub fn edit_distance(a: &str, b: &str) -> Option<usize> {
    const LIMIT: usize = 64;
    let a: Vec<char> = a.chars().take(LIMIT + 1).collect();
    let b: Vec<char> = b.chars().take(LIMIT + 1).collect();
    if a.len() > LIMIT || b.len() > LIMIT {
        return None;
    }
    let w = b.len() + 1;
    // d[i][j] = distance between a[..i] and b[..j], stored row-major.
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d.last().copied()
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
/// Ties go to the earliest candidate, so suggestions are deterministic.
pub fn did_you_mean<'c, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'c str>,
{
    let len = word.chars().count();
    let allowed = (len / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    // Bounded: a text with a hundred thousand names still answers quickly.
    for cand in candidates.into_iter().take(2_000) {
        if cand == word {
            continue;
        }
        let lower_equal = cand.eq_ignore_ascii_case(word);
        let Some(d) = edit_distance(word, cand) else {
            continue;
        };
        let d = if lower_equal { 0 } else { d };
        // `d < len`: at least one letter must survive, so `c` never suggests `a`.
        if d <= allowed && d < len && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut_short_in_messages() {
        assert_eq!(abbreviate_quotes("`ab` is short"), "`ab` is short");
        let long = "x".repeat(250_000);
        let m = abbreviate_quotes(&format!("`{long}` is not a valid service name; `ok` stays"));
        assert_eq!(
            m,
            format!(
                "`{}…` is not a valid service name; `ok` stays",
                "x".repeat(59)
            )
        );
        // Multi-byte chars are cut on a char boundary; text outside quotes is never cut.
        let m = abbreviate_quotes(&format!("{} `{}`", "é".repeat(100), "é".repeat(100)));
        assert_eq!(m, format!("{} `{}…`", "é".repeat(100), "é".repeat(59)));
        // An odd number of backticks: the tail counts as quoted, and is cut the same way.
        let m = abbreviate_quotes(&format!("`{long}"));
        assert_eq!(m.chars().count(), 61);
    }

    #[test]
    fn a_huge_token_gives_short_diagnostics_with_the_whole_text() {
        let token = "9".repeat(120_000);
        let name = "n".repeat(120_000);
        let text = format!("scenario \"x\"\nservice api workers {token}\nservice {name}$\n");
        let ds = crate::scenario::parse(&text).expect_err("two errors");
        assert_eq!(ds.len(), 2, "{ds:?}");
        assert_eq!((ds[0].line, ds[0].col), (2, 21));
        assert_eq!(ds[0].text, token, "the offending text is kept whole");
        assert_eq!((ds[1].line, ds[1].col), (3, 9));
        for d in &ds {
            assert!(d.message.len() < 200, "{}", d.message);
            assert!(
                d.hint.as_ref().is_none_or(|h| h.len() < 300),
                "{:?}",
                d.hint
            );
        }
        // A share link carrying it explains itself in a line, not in half a megabyte.
        let why = crate::scenario::link::decode(&crate::scenario::link::encode_text(&text))
            .expect_err("invalid")
            .to_string();
        assert!(why.len() < 300, "{why}");
        assert!(
            why.starts_with("the link's scenario has 2 error(s); first: 2:21:"),
            "{why}"
        );
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("order", "orders"), Some(1));
        assert_eq!(edit_distance("", "abc"), Some(3));
        assert_eq!(edit_distance("kitten", "sitting"), Some(3));
        assert_eq!(edit_distance("Gte", "Get"), Some(1));
        assert_eq!(edit_distance(&"a".repeat(100), "a"), None);
    }

    #[test]
    fn suggestion() {
        let names = ["orders", "payments", "emails"];
        assert_eq!(did_you_mean("order", names), Some("orders".to_string()));
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(did_you_mean("ORDERS", names), Some("orders".to_string()));
        assert_eq!(did_you_mean("c", ["a", "b"]), None);
    }

    #[test]
    fn positions_count_chars() {
        let src = "ab\nµµx y\n";
        let idx = LineIndex::new(src);
        let x = src.find('x').unwrap();
        assert_eq!(idx.position(x), (2, 3));
        let d = idx.resolve(&Problem::new(Span::new(x, x + 1), "m"));
        assert_eq!((d.line, d.col, d.end_col, d.text.as_str()), (2, 3, 4, "x"));
        // Offsets past the end or inside a char are clamped, never panic.
        let d = idx.resolve(&Problem::new(Span::new(4, 999), "m"));
        assert_eq!(d.line, 2);
    }
}
