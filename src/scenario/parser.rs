//! Parser: scenario text → [`Scenario`] model plus syntax problems, recovering at line level so
//! one pass reports every broken line. Hand-written; one function per kind of line.
//!
//! ```text
//! text ─lex─▶ lines ─┬─ top-level line ─▶ Item
//!                    └─ `…:` line + indented lines ─▶ Item::Handler { steps }
//! ```
//! Nothing here recurses on user input: a handler block is two levels deep at most
//! (steps, and the calls of a `parallel:` step).
//!
//! One concept in one file, over 800 lines: the grammar reads top to bottom, one function per
//! kind of line, and splitting it would scatter the shared cursor and recovery helpers.

use super::diagnostic::{did_you_mean, Problem, Span};
use super::lexer::{self, Line, TokKind, Token};
use super::model::*;
use super::units::{self, Dist, Duration, Percent, Rate};

/// Words that start a top-level line and so cannot name anything.
pub const TOP_KEYWORDS: [&str; 8] = [
    "scenario", "network", "link", "service", "queue", "topic", "client", "at",
];
/// Words that start a top-level line but may still name things (a service called `cache` keeps
/// working): they are keywords only at the start of a line that opens no block.
pub const SOFT_KEYWORDS: [&str; 1] = ["cache"];
/// Words that start a step line.
pub const STEP_KEYWORDS: [&str; 10] = [
    "work",
    "call",
    "parallel",
    "publish",
    "enqueue",
    "reply",
    "retry-after",
    "fail",
    "ack",
    "nack",
];
/// Words that name a fault after `at TIME`.
pub const FAULT_KEYWORDS: [&str; 8] = [
    "partition",
    "crash",
    "vanish",
    "slow",
    "loss",
    "errors",
    "burst",
    "flush",
];

pub const MAX_WORKERS: u32 = 10_000;
pub const MAX_BACKLOG: u32 = 1_000_000;
pub const MAX_CAPACITY: u32 = 10_000_000;
pub const MAX_ATTEMPTS: u32 = 100;
pub const MAX_RETRIES: u32 = 100;
pub const MAX_BURST: u32 = 1_000_000;
pub const MAX_USERS: u32 = 100_000;

/// Parse text into a model. Returns the model built from every line that parsed, and the problems.
pub(crate) fn parse_text(src: &str) -> (Scenario, Vec<Problem>) {
    let mut problems = Vec::new();
    let lines = lexer::lex(src, &mut problems);
    let mut p = Parser {
        lines: &lines,
        pos: 0,
        problems,
        scenario: Scenario::default(),
        seen_header: false,
        seen_item: false,
        pending: Vec::new(),
    };
    p.run();
    let mut scenario = p.scenario;
    scenario.trailing_comments = p.pending;
    (scenario, p.problems)
}

struct Parser<'l, 'a> {
    lines: &'l [Line<'a>],
    pos: usize,
    problems: Vec<Problem>,
    scenario: Scenario,
    seen_header: bool,
    seen_item: bool,
    /// Full-line comments waiting for the line they introduce.
    pending: Vec<String>,
}

type PResult<T> = Result<T, Problem>;

impl<'l, 'a> Parser<'l, 'a> {
    fn run(&mut self) {
        while let Some(line) = self.lines.get(self.pos) {
            self.pos += 1;
            if line.is_blank() {
                continue;
            }
            if line.is_comment_only() {
                if let Some((text, _)) = &line.comment {
                    self.pending.push(text.clone());
                }
                continue;
            }
            if line.indent > 0 {
                self.problems.push(
                    Problem::new(line.content, "indented line outside a handler")
                        .hint("steps belong under a line ending in `:`, such as `orders rpc CreateOrder:`; top-level lines start at column 1"),
                );
                continue;
            }
            self.top_level(line);
        }
    }

    fn notes(&mut self, line: &Line<'_>) -> Notes {
        Notes {
            before: std::mem::take(&mut self.pending),
            after: line.comment.as_ref().map(|(t, _)| t.clone()),
        }
    }

    fn top_level(&mut self, line: &'l Line<'a>) {
        let mut cur = Cursor::new(line);
        let Some(first) = cur.peek() else { return };
        let is_block = line.tokens.last().is_some_and(|t| t.kind == TokKind::Colon);
        let keyword = if first.kind == TokKind::Word {
            first.text
        } else {
            ""
        };

        if keyword == "scenario" {
            let notes = self.notes(line);
            if self.seen_header {
                self.problems.push(
                    Problem::new(first.span, "a second `scenario` line")
                        .hint("a text describes one scenario; remove this line"),
                );
                return;
            }
            if self.seen_item {
                self.problems.push(
                    Problem::new(first.span, "the `scenario` line must come first")
                        .hint("move it to the top of the text"),
                );
            }
            self.seen_header = true;
            match header(&mut cur, &mut self.scenario) {
                Ok(()) => self.scenario.notes = notes,
                Err(p) => self.problems.push(p),
            }
            return;
        }

        // Comments above this line belong to it, not to its first step.
        let notes = self.notes(line);
        let result = if is_block && !TOP_KEYWORDS.contains(&keyword) {
            let header = handler_header(&mut cur);
            let steps = self.block();
            header.map(|(service, trigger)| {
                ItemKind::Handler(Handler {
                    service,
                    trigger,
                    steps,
                })
            })
        } else {
            let r = match keyword {
                "network" => network(&mut cur),
                "link" => link(&mut cur),
                "service" => service(&mut cur),
                "queue" => queue(&mut cur),
                "topic" => topic(&mut cur),
                "client" => client(&mut cur),
                "cache" => cache(&mut cur),
                "at" => fault(&mut cur),
                _ => Err(unknown_statement(&cur, first, line)),
            };
            // A keyword line cannot open a block; skip any indented lines after it.
            if is_block {
                self.skip_block();
            }
            r
        };
        self.seen_item = true;
        match result {
            Ok(kind) => self.scenario.items.push(Item {
                kind,
                notes,
                span: line.content,
            }),
            Err(p) => self.problems.push(p),
        }
    }

    fn skip_block(&mut self) {
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent == 0 && !line.tokens.is_empty() {
                break;
            }
            self.pos += 1;
        }
    }

    /// The indented steps after a handler line. Problems are recorded; good steps are kept.
    fn block(&mut self) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        let mut base_indent: Option<usize> = None;
        // Indent of the open `parallel:` step and its index in `steps`.
        let mut parallel: Option<(usize, usize)> = None;
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent == 0 && !line.tokens.is_empty() {
                break;
            }
            self.pos += 1;
            if line.is_blank() {
                continue;
            }
            if line.is_comment_only() {
                if let Some((text, _)) = &line.comment {
                    self.pending.push(text.clone());
                }
                continue;
            }
            let notes = self.notes(line);
            if let Some((p_indent, idx)) = parallel {
                if line.indent > p_indent {
                    match parallel_call(line) {
                        Ok(call) => {
                            if let Some(Step {
                                kind: StepKind::Parallel { calls },
                                ..
                            }) = steps.get_mut(idx)
                            {
                                calls.push(ParallelCall {
                                    call,
                                    notes,
                                    span: line.content,
                                });
                            }
                        }
                        Err(p) => self.problems.push(p),
                    }
                    continue;
                }
                self.close_parallel(&steps, idx);
                parallel = None;
            }
            let base = *base_indent.get_or_insert(line.indent);
            if line.indent > base {
                self.problems.push(
                    Problem::new(line.content, "unexpected indentation")
                        .hint("indent every step of a handler the same way; only the calls under `parallel:` go deeper"),
                );
                continue;
            }
            match step(line) {
                Ok(kind) => {
                    let is_parallel = matches!(kind, StepKind::Parallel { .. });
                    steps.push(Step {
                        kind,
                        notes,
                        span: line.content,
                    });
                    if is_parallel {
                        parallel = Some((line.indent, steps.len() - 1));
                    }
                }
                Err(p) => self.problems.push(p),
            }
        }
        if let Some((_, idx)) = parallel {
            self.close_parallel(&steps, idx);
        }
        steps
    }

    fn close_parallel(&mut self, steps: &[Step], idx: usize) {
        if let Some(Step {
            kind: StepKind::Parallel { calls },
            span,
            ..
        }) = steps.get(idx)
        {
            if calls.is_empty() {
                self.problems.push(
                    Problem::new(*span, "`parallel:` has no calls")
                        .hint("indent `call …` lines under it; they run at the same time"),
                );
            }
        }
    }
}

fn unknown_statement(cur: &Cursor<'_, '_>, first: Token<'_>, line: &Line<'_>) -> Problem {
    let text = first.text;
    // `orders rpc CreateOrder` without the colon.
    let second = cur.toks.get(1).map_or("", |t| t.text);
    if HttpMethod::from_keyword(second).is_some()
        || matches!(second, "rpc" | "consume" | "subscribe")
    {
        return Problem::new(
            Span::new(line.end, line.end),
            "a handler line must end with `:`",
        )
        .hint("add `:` at the end and indent its steps below");
    }
    if let Some(kw) = did_you_mean(text, TOP_KEYWORDS.iter().chain(&SOFT_KEYWORDS).copied()) {
        return Problem::new(first.span, format!("unknown keyword `{text}`"))
            .hint(format!("did you mean `{kw}`?"));
    }
    if STEP_KEYWORDS.contains(&text) {
        return Problem::new(
            first.span,
            format!("`{text}` is a step and must be indented under a handler"),
        )
        .hint(
            "write the handler line first, e.g. `orders rpc CreateOrder:`, then indent the steps",
        );
    }
    Problem::new(first.span, format!("unknown statement `{text}`")).hint(
        "a line starts with scenario, network, link, service, queue, topic, client, cache, at, \
         or is a handler such as `orders rpc CreateOrder:`",
    )
}

/// Reads the tokens of one line.
pub(crate) struct Cursor<'t, 'a> {
    toks: &'t [Token<'a>],
    pos: usize,
    end: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    fn new(line: &'t Line<'a>) -> Cursor<'t, 'a> {
        Cursor {
            toks: &line.tokens,
            pos: 0,
            end: line.end,
        }
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn peek_kind(&self) -> Option<TokKind> {
        self.peek().map(|t| t.kind)
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }

    /// An empty span just after the last token (where something is missing).
    fn end_span(&self) -> Span {
        Span::new(self.end, self.end)
    }

    fn at_end(&self) -> bool {
        matches!(self.peek_kind(), None | Some(TokKind::Colon))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        match self.peek() {
            Some(t) if t.kind == TokKind::Word && t.text == w => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// The next token, which must be a word; `what` names it in the error ("a service name").
    fn word(&mut self, what: &str) -> PResult<Token<'a>> {
        match self.peek() {
            Some(t) if t.kind == TokKind::Word => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) if t.kind == TokKind::Colon => {
                Err(Problem::new(t.span, format!("expected {what} before `:`")))
            }
            Some(t) => Err(Problem::new(
                t.span,
                format!("expected {what}, found `{}`", t.text),
            )),
            None => Err(Problem::new(
                self.end_span(),
                format!("expected {what} at the end of the line"),
            )),
        }
    }

    fn expect(&mut self, kind: TokKind, shown: &str) -> PResult<Token<'a>> {
        match self.peek() {
            Some(t) if t.kind == kind => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) => Err(Problem::new(
                t.span,
                format!("expected `{shown}`, found `{}`", t.text),
            )),
            None => Err(Problem::new(
                self.end_span(),
                format!("expected `{shown}` at the end of the line"),
            )),
        }
    }

    /// Nothing may follow (but a trailing `:` where `colon` says one is expected).
    fn finish(&mut self, colon: bool) -> PResult<()> {
        match self.next() {
            None if colon => Err(Problem::new(
                self.end_span(),
                "expected `:` at the end of the line",
            )),
            None => Ok(()),
            Some(t) if t.kind == TokKind::Colon && colon && self.peek().is_none() => Ok(()),
            Some(t) if t.kind == TokKind::Colon => Err(Problem::new(t.span, "unexpected `:`")
                .hint("only handler lines and `parallel:` end with `:`")),
            Some(t) => Err(Problem::new(t.span, format!("unexpected `{}`", t.text))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn ident_from(tok: Token<'_>, what: &str) -> PResult<Ident> {
    if !is_ident(tok.text) {
        return Err(
            Problem::new(tok.span, format!("`{}` is not a valid {what}", tok.text))
                .hint("names start with a letter and use letters, digits, `-` and `_`"),
        );
    }
    Ok(Ident {
        name: tok.text.to_string(),
        span: tok.span,
    })
}

fn ident(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<Ident> {
    let tok = cur.word(what)?;
    ident_from(tok, what)
}

/// A name that a declaration introduces: also must not be a keyword.
fn new_name(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<Ident> {
    let id = ident(cur, what)?;
    if TOP_KEYWORDS.contains(&id.name.as_str()) {
        return Err(Problem::new(
            id.span,
            format!("`{}` is a keyword and cannot be a {what}", id.name),
        )
        .hint("pick another name"));
    }
    Ok(id)
}

fn duration(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<Duration> {
    let tok = cur.word(what)?;
    units::parse_duration(tok.text).map_err(|m| {
        Problem::new(tok.span, m).hint("durations look like `250us`, `20ms`, `1.5s` or `2m`")
    })
}

fn positive_duration(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<Duration> {
    let span = cur.peek().map_or(cur.end_span(), |t| t.span);
    let d = duration(cur, what)?;
    if d.0 == 0 {
        return Err(Problem::new(
            span,
            format!("{what} must be greater than zero"),
        ));
    }
    Ok(d)
}

fn percent(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<Percent> {
    let tok = cur.word(what)?;
    units::parse_percent(tok.text).map_err(|m| Problem::new(tok.span, m))
}

fn number_u64(cur: &mut Cursor<'_, '_>, what: &str) -> PResult<(u64, Span)> {
    let tok = cur.word(what)?;
    let text = tok.text;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            Problem::new(tok.span, format!("expected {what}, found `{text}`"))
                .hint("write a whole number such as `4`"),
        );
    }
    let mut value: u64 = 0;
    for b in text.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| Problem::new(tok.span, format!("`{text}` is too large")))?;
    }
    Ok((value, tok.span))
}

fn bounded(cur: &mut Cursor<'_, '_>, what: &str, min: u32, max: u32) -> PResult<u32> {
    let (v, span) = number_u64(cur, what)?;
    if v < u64::from(min) || v > u64::from(max) {
        return Err(Problem::new(
            span,
            format!("{what} must be between {min} and {max}, not {v}"),
        ));
    }
    Ok(v as u32)
}

/// A distribution: `20ms`, `2ms..8ms`, `2ms .. 8ms`, `20ms±5ms`, `exp(40ms)`, `normal(20ms, 5ms)`,
/// `lognormal(20ms, 10ms)`. With `plus`, a leading `+` is allowed (`+200ms` extra latency).
fn dist(cur: &mut Cursor<'_, '_>, what: &str, plus: bool) -> PResult<Dist> {
    let first = cur.word(what)?;
    let mut span = first.span;
    let mut text = first.text;
    if plus {
        text = text.strip_prefix('+').unwrap_or(text);
    }
    let written = if cur.peek_kind() == Some(TokKind::LParen) {
        // Function form: collect up to the closing parenthesis.
        cur.next();
        let mut args: Vec<&str> = Vec::new();
        loop {
            let Some(t) = cur.next() else {
                return Err(Problem::new(span, format!("missing `)` after `{text}(`")));
            };
            span = span.to(t.span);
            match t.kind {
                TokKind::RParen => break,
                TokKind::Comma => {}
                TokKind::Word => args.push(t.text),
                _ => {
                    return Err(Problem::new(
                        t.span,
                        format!("unexpected `{}` in `{text}(…)`", t.text),
                    ))
                }
            }
            if args.len() > 2 {
                return Err(Problem::new(
                    span,
                    format!("too many arguments to `{text}`"),
                ));
            }
        }
        format!("{text}({})", args.join(", "))
    } else {
        // `2ms..8ms` may be written with spaces around the operator.
        let mut glued = text.to_string();
        let ops = ["..", "±", "+-"];
        loop {
            let open = ops.iter().any(|op| glued.ends_with(op));
            match cur.peek() {
                Some(t)
                    if t.kind == TokKind::Word
                        && (open || ops.iter().any(|op| t.text.starts_with(op))) =>
                {
                    glued.push_str(t.text);
                    span = span.to(t.span);
                    cur.next();
                }
                _ => break,
            }
            if glued.len() > 64 {
                break;
            }
        }
        glued
    };
    written.parse::<Dist>().map_err(|m| {
        Problem::new(span, m).hint(
            "distributions: `20ms`, `2ms..8ms`, `exp(40ms)`, `20ms±5ms`, `lognormal(20ms, 10ms)`",
        )
    })
}

fn status(cur: &mut Cursor<'_, '_>) -> PResult<Status> {
    let tok = cur.word("a status (an HTTP code such as `201`, or a gRPC code such as `OK`)")?;
    parse_status(tok)
}

fn parse_status(tok: Token<'_>) -> PResult<Status> {
    let text = tok.text;
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u16>() {
            Ok(code) if (100..=599).contains(&code) => Ok(Status::Http(code)),
            _ => Err(
                Problem::new(tok.span, format!("`{text}` is not an HTTP status code"))
                    .hint("HTTP status codes are between 100 and 599"),
            ),
        };
    }
    if let Some(code) = grpc_keyword(text) {
        return Ok(Status::Grpc(code));
    }
    let upper = text.to_ascii_uppercase();
    let names = GrpcCode::ALL.map(GrpcCode::as_str);
    let hint = if grpc_keyword(&upper).is_some() {
        format!("gRPC codes are upper case: `{upper}`")
    } else if let Some(m) = did_you_mean(&upper, names) {
        format!("did you mean `{m}`?")
    } else {
        "use an HTTP code such as `503` or a gRPC code such as `UNAVAILABLE`".to_string()
    };
    Err(Problem::new(tok.span, format!("`{text}` is not a status")).hint(hint))
}

fn attr(cur: &mut Cursor<'_, '_>) -> PResult<Attr> {
    let key = ident(cur, "an attribute name")?;
    cur.expect(TokKind::Eq, "=")?;
    let value = ident(cur, "an attribute value")?;
    Ok(Attr { key, value })
}

fn set_once<T>(slot: &mut Option<T>, key: Token<'_>, value: T) -> PResult<()> {
    if slot.is_some() {
        return Err(
            Problem::new(key.span, format!("`{}` is given twice", key.text))
                .hint("keep one of them"),
        );
    }
    *slot = Some(value);
    Ok(())
}

/// The next option keyword; an error names the allowed ones (and the closest).
fn option_key<'a>(cur: &mut Cursor<'_, 'a>, allowed: &[&str], context: &str) -> PResult<Token<'a>> {
    let tok = cur.word("an option")?;
    if allowed.contains(&tok.text) {
        return Ok(tok);
    }
    let list = allowed
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = match did_you_mean(tok.text, allowed.iter().copied()) {
        Some(m) => format!("did you mean `{m}`? {context} takes {list}"),
        None => format!("{context} takes {list}"),
    };
    Err(Problem::new(
        tok.span,
        format!("unknown option `{}` for {context}", tok.text),
    )
    .hint(hint))
}

// ---------------------------------------------------------------------------------------------
// Top-level lines

fn header(cur: &mut Cursor<'_, '_>, s: &mut Scenario) -> PResult<()> {
    cur.next(); // `scenario`
    let tok = cur.next().ok_or_else(|| {
        Problem::new(cur.end_span(), "expected the scenario's name")
            .hint("e.g. `scenario \"checkout\" seed 42 duration 60s`")
    })?;
    s.name = match tok.kind {
        TokKind::Str => lexer::unquote(&tok)?,
        TokKind::Word => tok.text.to_string(),
        _ => {
            return Err(Problem::new(
                tok.span,
                "expected the scenario's name in quotes",
            ))
        }
    };
    let (mut seed, mut dur, mut budget) = (None, None, None);
    while !cur.at_end() {
        let key = option_key(cur, &["seed", "duration", "budget"], "`scenario`")?;
        match key.text {
            "seed" => set_once(&mut seed, key, number_u64(cur, "a seed")?.0)?,
            "duration" => set_once(&mut dur, key, positive_duration(cur, "the duration")?)?,
            _ => {
                let (n, span) = number_u64(cur, "an event budget")?;
                if n == 0 {
                    return Err(Problem::new(span, "the event budget must be at least 1"));
                }
                set_once(&mut budget, key, n)?
            }
        }
    }
    cur.finish(false)?;
    s.seed = seed.unwrap_or(DEFAULT_SEED);
    s.duration = dur.unwrap_or(Duration::from_secs(DEFAULT_DURATION_S));
    s.budget = budget;
    Ok(())
}

fn latency_loss(
    cur: &mut Cursor<'_, '_>,
    context: &str,
) -> PResult<(Option<Dist>, Option<Percent>)> {
    let (mut latency, mut loss) = (None, None);
    while !cur.at_end() {
        let key = option_key(cur, &["latency", "loss"], context)?;
        match key.text {
            "latency" => set_once(&mut latency, key, dist(cur, "a latency", false)?)?,
            _ => set_once(&mut loss, key, percent(cur, "a loss percentage")?)?,
        }
    }
    cur.finish(false)?;
    Ok((latency, loss))
}

fn network(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    let kw = cur.next().map_or(cur.end_span(), |t| t.span);
    let (latency, loss) = latency_loss(cur, "`network`")?;
    if latency.is_none() && loss.is_none() {
        return Err(Problem::new(kw, "`network` sets nothing")
            .hint("e.g. `network latency 2ms..8ms loss 0.1%`"));
    }
    Ok(ItemKind::Network(Network { latency, loss }))
}

fn pair(cur: &mut Cursor<'_, '_>) -> PResult<(Ident, Ident)> {
    let a = ident(cur, "a name")?;
    cur.expect(TokKind::BiArrow, "<->")?;
    let b = ident(cur, "a name")?;
    Ok((a, b))
}

fn link(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let (a, b) = pair(cur)?;
    let (latency, loss) = latency_loss(cur, "`link`")?;
    Ok(ItemKind::Link(Link {
        a,
        b,
        latency,
        loss,
    }))
}

fn service(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let name = new_name(cur, "service name")?;
    let (mut workers, mut time, mut backlog) = (None, None, None);
    let (mut lifo, mut lifo_above, mut shed_after, mut rate_limit, mut burst) =
        (None, None, None, None, None);
    let (mut replicas, mut lb, mut eject_after, mut eject_for, mut max_ejected) =
        (None, None, None, None, None);
    let (mut contention, mut coherence, mut per_caller) = (None, None, None);
    // The first option that only a replicated service can have, to point at.
    let mut needs_replicas: Option<Token<'_>> = None;
    while !cur.at_end() {
        let key = option_key(
            cur,
            &[
                "workers",
                "time",
                "backlog",
                "lifo",
                "lifo-above",
                "shed-after",
                "rate-limit",
                "burst",
                "per-caller",
                "contention",
                "coherence",
                "replicas",
                "lb",
                "eject-after",
                "eject-for",
                "max-ejected",
            ],
            "`service`",
        )?;
        if matches!(key.text, "lb" | "eject-after" | "eject-for" | "max-ejected") {
            needs_replicas.get_or_insert(key);
        }
        match key.text {
            "workers" => set_once(&mut workers, key, bounded(cur, "workers", 1, MAX_WORKERS)?)?,
            "time" => set_once(&mut time, key, dist(cur, "a service time", false)?)?,
            "replicas" => set_once(
                &mut replicas,
                key,
                bounded(cur, "replicas", 1, crate::sim::MAX_REPLICAS)?,
            )?,
            "lb" => set_once(&mut lb, key, balancer(cur)?)?,
            "eject-after" => set_once(
                &mut eject_after,
                key,
                bounded(cur, "eject-after", 1, MAX_ATTEMPTS)?,
            )?,
            "eject-for" => set_once(
                &mut eject_for,
                key,
                positive_duration(cur, "the ejection time")?,
            )?,
            "max-ejected" => {
                let p = percent(cur, "the most replicas ejected, such as `50%`")?;
                if p.ppm == 0 {
                    return Err(Problem::new(key.span, "max-ejected must be more than 0%"));
                }
                set_once(&mut max_ejected, key, p)?
            }
            "lifo" => set_once(&mut lifo, key, key)?,
            "per-caller" => set_once(&mut per_caller, key, key)?,
            "lifo-above" => set_once(
                &mut lifo_above,
                key,
                (bounded(cur, "lifo-above", 1, MAX_BACKLOG)?, key),
            )?,
            "shed-after" => set_once(
                &mut shed_after,
                key,
                positive_duration(cur, "the longest wait before shedding")?,
            )?,
            "rate-limit" => set_once(&mut rate_limit, key, limit_rate(cur)?)?,
            "contention" => set_once(&mut contention, key, usl_share(cur, key)?)?,
            "coherence" => set_once(&mut coherence, key, usl_share(cur, key)?)?,
            "burst" => set_once(
                &mut burst,
                key,
                (bounded(cur, "burst", 1, MAX_BACKLOG)?, key),
            )?,
            _ => set_once(&mut backlog, key, bounded(cur, "backlog", 0, MAX_BACKLOG)?)?,
        }
    }
    if let (Some(_), Some((_, key))) = (lifo, lifo_above) {
        return Err(Problem::new(
            key.span,
            "`lifo-above` is adaptive LIFO, and `lifo` is always LIFO: pick one",
        )
        .hint("`lifo` serves the newest first always; `lifo-above 50` only while over 50 wait"));
    }
    if let (None, Some((_, key))) = (rate_limit, burst) {
        return Err(
            Problem::new(key.span, "`burst` is the size of a rate limit's bucket")
                .hint("add `rate-limit 100/s` (or another rate) before it"),
        );
    }
    if let (None, Some(key)) = (rate_limit, per_caller) {
        return Err(Problem::new(
            key.span,
            "`per-caller` gives each caller its own rate limit bucket, but there is no rate limit",
        )
        .hint("add `rate-limit 100/s` (or another rate) before it"));
    }
    if let Some(key) = needs_replicas {
        if replicas.unwrap_or(1) < 2 {
            return Err(Problem::new(
                key.span,
                format!("`{}` is for a service with replicas", key.text),
            )
            .hint("add `replicas 3` (or more than 1) to the line"));
        }
    }
    cur.finish(false)?;
    Ok(ItemKind::Service(Service {
        name,
        workers,
        time,
        backlog,
        lifo: lifo.is_some(),
        lifo_above: lifo_above.map(|(n, _)| n),
        shed_after,
        rate_limit,
        burst: burst.map(|(n, _)| n),
        per_caller: per_caller.is_some(),
        contention,
        coherence,
        replicas,
        lb,
        eject_after,
        eject_for,
        max_ejected,
    }))
}

/// A Universal Scalability Law coefficient after `key` (`contention` or `coherence`): a
/// percentage above 0%.
fn usl_share(cur: &mut Cursor<'_, '_>, key: Token<'_>) -> PResult<Percent> {
    let tok = cur.word("a share such as `5%`")?;
    let p = units::parse_percent(tok.text).map_err(|m| {
        Problem::new(tok.span, m).hint(format!(
            "`{}` takes a percentage, such as `{} {}`",
            key.text,
            key.text,
            if key.text == "contention" {
                "5%"
            } else {
                "0.1%"
            }
        ))
    })?;
    if p.ppm == 0 {
        return Err(
            Problem::new(tok.span, format!("`{} 0%` slows nothing", key.text))
                .hint("leave it out, or give a share above 0%"),
        );
    }
    Ok(p)
}

/// A rate limit's rate: above `0/s`.
fn limit_rate(cur: &mut Cursor<'_, '_>) -> PResult<Rate> {
    let tok = cur.word("a rate such as `100/s`")?;
    let r = units::parse_rate(tok.text)
        .map_err(|m| Problem::new(tok.span, m).hint("rates look like `100/s` or `30/m`"))?;
    if r.milli_per_min == 0 {
        return Err(Problem::new(tok.span, "a rate limit must be above 0/s")
            .hint("to refuse every request, use a handler that replies 429"));
    }
    Ok(r)
}

fn balancer(cur: &mut Cursor<'_, '_>) -> PResult<Balancer> {
    let tok = cur.word("a load balancer: round-robin, random, least-requests or p2c")?;
    if let Some(b) = Balancer::ALL.into_iter().find(|b| b.keyword() == tok.text) {
        return Ok(b);
    }
    let hint = match did_you_mean(tok.text, Balancer::ALL.map(Balancer::keyword)) {
        Some(m) => format!("did you mean `{m}`?"),
        None => "`round-robin`, `random`, `least-requests` or `p2c`".to_string(),
    };
    Err(Problem::new(tok.span, format!("unknown load balancer `{}`", tok.text)).hint(hint))
}

/// A service a fault hits: `orders`, or one replica of it, `orders replica 2` (kept as the
/// replica's node name, `orders#2`, spanning the three words).
fn fault_service(cur: &mut Cursor<'_, '_>) -> PResult<Ident> {
    let id = ident(cur, "a service name")?;
    if !cur.eat_word("replica") {
        return Ok(id);
    }
    let (k, span) = number_u64(cur, "a replica number such as `2`")?;
    if k == 0 || k > u64::from(crate::sim::MAX_REPLICAS) {
        return Err(Problem::new(
            span,
            format!(
                "replica numbers start at 1, up to {}",
                crate::sim::MAX_REPLICAS
            ),
        ));
    }
    Ok(Ident {
        name: format!("{}#{k}", id.name),
        span: id.span.to(span),
    })
}

fn cache(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let name = new_name(cur, "cache name")?;
    let mut c = Cache {
        name,
        capacity: None,
        ttl: None,
        keys: None,
        zipf: None,
        coalesce: false,
    };
    while !cur.at_end() {
        let key = option_key(
            cur,
            &["capacity", "ttl", "keys", "zipf", "coalesce"],
            "`cache`",
        )?;
        match key.text {
            "capacity" => set_once(
                &mut c.capacity,
                key,
                bounded(cur, "capacity", 1, MAX_CAPACITY)?,
            )?,
            "ttl" => set_once(&mut c.ttl, key, positive_duration(cur, "the time to live")?)?,
            "keys" => set_once(
                &mut c.keys,
                key,
                bounded(cur, "keys", 1, crate::sim::MAX_KEYS)?,
            )?,
            "zipf" => {
                let tok = cur.word("the Zipf exponent, such as `0.9`")?;
                let f = units::parse_exponent(tok.text).map_err(|m| {
                    Problem::new(tok.span, m)
                        .hint("a number such as `0.9` or `1.2` (web caches see about 0.6 to 1.2)")
                })?;
                set_once(&mut c.zipf, key, f)?
            }
            _ => {
                if c.coalesce {
                    return Err(Problem::new(key.span, "`coalesce` is given twice")
                        .hint("keep one of them"));
                }
                c.coalesce = true;
            }
        }
    }
    cur.finish(false)?;
    Ok(ItemKind::Cache(c))
}

fn queue(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let name = new_name(cur, "queue name")?;
    let mut q = Queue {
        name,
        capacity: None,
        overflow: None,
        visibility: None,
        max_attempts: None,
        dlq: None,
        confirm_timeout: None,
        confirm_retries: None,
    };
    while !cur.at_end() {
        let key = option_key(
            cur,
            &[
                "capacity",
                "overflow",
                "visibility",
                "max-attempts",
                "dlq",
                "confirm-timeout",
                "confirm-retries",
            ],
            "`queue`",
        )?;
        match key.text {
            "capacity" => set_once(
                &mut q.capacity,
                key,
                bounded(cur, "capacity", 1, MAX_CAPACITY)?,
            )?,
            "overflow" => set_once(&mut q.overflow, key, overflow(cur)?)?,
            "visibility" => set_once(
                &mut q.visibility,
                key,
                positive_duration(cur, "the visibility timeout")?,
            )?,
            "max-attempts" => set_once(
                &mut q.max_attempts,
                key,
                bounded(cur, "max-attempts", 1, MAX_ATTEMPTS)?,
            )?,
            "confirm-timeout" | "confirm-retries" => {
                confirm_option(cur, key, &mut q.confirm_timeout, &mut q.confirm_retries)?
            }
            _ => set_once(&mut q.dlq, key, new_name(cur, "dead-letter queue name")?)?,
        }
    }
    cur.finish(false)?;
    Ok(ItemKind::Queue(q))
}

fn topic(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let name = new_name(cur, "topic name")?;
    let (mut confirm_timeout, mut confirm_retries) = (None, None);
    while !cur.at_end() {
        let key = option_key(cur, &["confirm-timeout", "confirm-retries"], "`topic`")?;
        confirm_option(cur, key, &mut confirm_timeout, &mut confirm_retries)?;
    }
    cur.finish(false)?;
    Ok(ItemKind::Topic(Topic {
        name,
        confirm_timeout,
        confirm_retries,
    }))
}

/// `confirm-timeout 2s` or `confirm-retries 0` on a `queue` or `topic` line.
fn confirm_option(
    cur: &mut Cursor<'_, '_>,
    key: Token<'_>,
    timeout: &mut Option<Duration>,
    retries: &mut Option<u32>,
) -> PResult<()> {
    if key.text == "confirm-timeout" {
        set_once(timeout, key, positive_duration(cur, "the confirm timeout")?)
    } else {
        set_once(
            retries,
            key,
            bounded(cur, "confirm-retries", 0, MAX_RETRIES)?,
        )
    }
}

fn client(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let name = new_name(cur, "client name")?;
    let (mut rate, mut arrival, mut from, mut until) = (None, None, None, None);
    let (mut over, mut users, mut think) = (None, None, None);
    while cur.peek_kind() != Some(TokKind::Arrow) {
        if cur.at_end() {
            return Err(
                Problem::new(cur.end_span(), "expected `->` and what the client calls")
                    .hint("e.g. `client web rate 20/s -> gateway POST /checkout`"),
            );
        }
        let key = option_key(
            cur,
            &[
                "rate", "over", "poisson", "constant", "users", "think", "from", "until",
            ],
            "`client`",
        )?;
        match key.text {
            "rate" => set_once(&mut rate, key, rate_or_ramp(cur)?)?,
            "over" => set_once(
                &mut over,
                key,
                (positive_duration(cur, "the ramp's length")?, key.span),
            )?,
            "poisson" => set_once(&mut arrival, key, (Arrival::Poisson, key.span))?,
            "constant" => set_once(&mut arrival, key, (Arrival::Constant, key.span))?,
            "users" => set_once(
                &mut users,
                key,
                (bounded(cur, "users", 1, MAX_USERS)?, key.span),
            )?,
            "think" => set_once(&mut think, key, (think_time(cur)?, key.span))?,
            "from" => set_once(&mut from, key, duration(cur, "a start time")?)?,
            _ => set_once(&mut until, key, positive_duration(cur, "an end time")?)?,
        }
    }
    let arrow = cur.next().map_or(cur.end_span(), |t| t.span);
    let closed = "`users` makes a closed loop: each user sends a request, waits for its answer, \
                  thinks, and sends again";
    match (&rate, users) {
        (Some((_, _, span)), Some((_, users_span))) => {
            return Err(Problem::new(
                span.to(users_span),
                "a client has either a rate or users, not both",
            )
            .hint(format!(
                "`rate` makes an open loop (requests come whatever the answers); {closed}"
            )))
        }
        (None, None) => {
            return Err(Problem::new(arrow, "the client has no rate").hint(
                "add `rate 20/s` (open loop) or `users 50 think exp(2s)` (closed loop) before `->`",
            ))
        }
        _ => {}
    }
    if let (Some(_), Some((_, span))) = (users, arrival) {
        return Err(Problem::new(
            span,
            "`poisson` and `constant` space a rate's requests, not users'",
        )
        .hint("remove it: users send when they have thought, so `think` sets the spacing"));
    }
    match (users, think) {
        (Some((_, span)), None) => {
            return Err(Problem::new(span, "the users have no think time")
                .hint("add e.g. `think exp(2s)`: how long a user waits after an answer before the next request"))
        }
        (None, Some((_, span))) => {
            return Err(Problem::new(span, "`think` needs `users`")
                .hint(format!("e.g. `client shoppers users 50 think exp(2s) -> …`; {closed}")))
        }
        _ => {}
    }
    let ramp = match (&rate, over) {
        (Some((_, Some(to), _)), Some((over, _))) => Some(Ramp { to: *to, over }),
        (Some((from, Some(to), span)), None) => {
            return Err(Problem::new(*span, "the ramp has no length").hint(format!(
                "add e.g. `over 60s`: the rate goes from {from} to {to} in that time"
            )))
        }
        (_, Some((_, span))) => {
            return Err(Problem::new(span, "`over` needs a ramp")
                .hint("write the rate as a ramp, e.g. `rate 10/s..200/s over 60s`"))
        }
        _ => None,
    };
    let call = call_body(cur)?;
    cur.finish(false)?;
    Ok(ItemKind::Client(Client {
        name,
        rate: rate.map(|(r, _, _)| r),
        ramp,
        arrival: arrival.map_or(Arrival::Constant, |(a, _)| a),
        users: users.map(|(n, _)| n),
        think: think.map(|(d, _)| d),
        from,
        until,
        call,
    }))
}

/// `20/s`, or a ramp `10/s..200/s` (also written `10/s .. 200/s`): the rate, the ramp's end,
/// and where it was written.
fn rate_or_ramp(cur: &mut Cursor<'_, '_>) -> PResult<(Rate, Option<Rate>, Span)> {
    let first = cur.word("a rate such as `20/s`")?;
    let mut span = first.span;
    let mut text = first.text.to_string();
    // Glue `10/s` `..` `200/s` written with spaces, as distributions do.
    while let Some(t) = cur.peek() {
        if t.kind != TokKind::Word || !(text.ends_with("..") || t.text.starts_with("..")) {
            break;
        }
        text.push_str(t.text);
        span = span.to(t.span);
        cur.next();
        if text.len() > 64 {
            break;
        }
    }
    let rate = |s: &str| {
        units::parse_rate(s).map_err(|m| {
            Problem::new(span, m)
                .hint("rates look like `20/s` or `30/m`; a ramp like `10/s..200/s`")
        })
    };
    let Some((a, b)) = text.split_once("..") else {
        return Ok((rate(&text)?, None, span));
    };
    let (a, b) = (rate(a)?, rate(b)?);
    if a == b {
        return Err(Problem::new(span, format!("the ramp goes from {a} to {b}"))
            .hint(format!("a steady rate is written `rate {a}`")));
    }
    Ok((a, Some(b), span))
}

/// A users' think time: a distribution whose mean is above zero (a user who never thinks, and
/// whose call fails at once, would send again and again at one instant).
fn think_time(cur: &mut Cursor<'_, '_>) -> PResult<Dist> {
    let span = cur.peek().map_or(cur.end_span(), |t| t.span);
    let d = dist(cur, "a think time", false)?;
    if d.mean_us() == 0 {
        return Err(
            Problem::new(span, "the think time must have a mean greater than zero")
                .hint("e.g. `think exp(2s)` or `think 500ms..1500ms`"),
        );
    }
    if let Dist::LogNormal(m, sd) = d {
        // The engine draws `median · exp(σZ)` with `median = mean / √(1 + sd²/mean²)` rounded
        // to the microsecond (`sim::Dist::log_normal_mean_sd`): a median of 0 draws only zeros.
        let (m, sd) = (m.0 as f64, sd.0 as f64);
        if m / libm::sqrt(1.0 + (sd * sd) / (m * m)) < 0.5 {
            return Err(Problem::new(span, "this think time is always zero").hint(
                "its median rounds to 0µs: the standard deviation is far larger than the mean",
            ));
        }
    }
    Ok(d)
}

fn sides(cur: &mut Cursor<'_, '_>) -> PResult<Vec<Ident>> {
    let mut out = vec![ident(cur, "a name")?];
    while cur.peek_kind() == Some(TokKind::Comma) {
        cur.next();
        out.push(ident(cur, "a name")?);
    }
    Ok(out)
}

fn lasting(cur: &mut Cursor<'_, '_>) -> PResult<Option<Duration>> {
    if cur.eat_word("for") {
        Ok(Some(positive_duration(cur, "how long it lasts")?))
    } else {
        Ok(None)
    }
}

/// `network` (every link) or `a <-> b`.
fn link_sel(cur: &mut Cursor<'_, '_>) -> PResult<LinkSel> {
    if cur.eat_word("network") {
        return Ok(LinkSel::Network);
    }
    let (a, b) = pair(cur)?;
    Ok(LinkSel::Between(a, b))
}

fn fault(cur: &mut Cursor<'_, '_>) -> PResult<ItemKind> {
    cur.next();
    let at = duration(cur, "a time such as `20s`")?;
    let kw = cur.word("a fault (partition, crash, slow, loss, errors, burst)")?;
    let action = match kw.text {
        "partition" => {
            let a = sides(cur)?;
            cur.expect(TokKind::BiArrow, "<->")?;
            let b = sides(cur)?;
            FaultAction::Partition {
                a,
                b,
                lasting: lasting(cur)?,
            }
        }
        "crash" => FaultAction::Crash {
            service: fault_service(cur)?,
            lasting: lasting(cur)?,
        },
        "vanish" => FaultAction::Vanish {
            service: fault_service(cur)?,
            lasting: lasting(cur)?,
        },
        "slow" => {
            let link = link_sel(cur)?;
            let tok = cur.word("the extra latency such as `+200ms`")?;
            let text = tok.text.strip_prefix('+').unwrap_or(tok.text);
            let extra = units::parse_duration(text).map_err(|m| {
                Problem::new(tok.span, m).hint("the extra latency is one duration, e.g. `+200ms`")
            })?;
            if extra.0 == 0 {
                return Err(Problem::new(
                    tok.span,
                    "the extra latency must be greater than zero",
                ));
            }
            FaultAction::Slow {
                link,
                extra,
                lasting: lasting(cur)?,
            }
        }
        "loss" => FaultAction::Loss {
            link: link_sel(cur)?,
            probability: percent(cur, "a loss percentage")?,
            lasting: lasting(cur)?,
        },
        "errors" => FaultAction::Errors {
            service: fault_service(cur)?,
            probability: percent(cur, "an error percentage")?,
            lasting: lasting(cur)?,
        },
        "flush" => FaultAction::Flush {
            cache: ident(cur, "a cache name")?,
        },
        "burst" => FaultAction::Burst {
            client: ident(cur, "a client name")?,
            count: bounded(cur, "the burst size", 1, MAX_BURST)?,
        },
        other => {
            let hint = match did_you_mean(other, FAULT_KEYWORDS) {
                Some(m) => format!("did you mean `{m}`?"),
                None => "faults are partition, crash, vanish, slow, loss, errors, burst and flush"
                    .to_string(),
            };
            return Err(Problem::new(kw.span, format!("unknown fault `{other}`")).hint(hint));
        }
    };
    cur.finish(false)?;
    Ok(ItemKind::Fault(Fault { at, action }))
}

// ---------------------------------------------------------------------------------------------
// Handlers and steps

fn handler_header(cur: &mut Cursor<'_, '_>) -> PResult<(Ident, Trigger)> {
    let service = ident(cur, "a service name")?;
    let kind = cur.word("`rpc`, `consume`, `subscribe` or an HTTP method such as `POST`")?;
    let trigger = if let Some(method) = HttpMethod::from_keyword(kind.text) {
        let path = path(cur)?;
        let mut dedupe = false;
        while !cur.at_end() {
            let key = option_key(cur, &["dedupe"], "a REST handler")?;
            if dedupe {
                return Err(Problem::new(key.span, "`dedupe` is given twice").hint("keep one"));
            }
            dedupe = true;
        }
        Trigger::Rest {
            method,
            path,
            dedupe,
        }
    } else {
        match kind.text {
            "rpc" => Trigger::Rpc {
                method: ident(cur, "a method name")?,
            },
            "consume" => {
                let queue = ident(cur, "a queue name")?;
                let (mut concurrency, mut max_extension) = (None, None);
                while !cur.at_end() {
                    let key = option_key(cur, &["concurrency", "max-extension"], "`consume`")?;
                    if key.text == "max-extension" {
                        set_once(
                            &mut max_extension,
                            key,
                            duration(cur, "the longest visibility extension")?,
                        )?;
                    } else {
                        set_once(
                            &mut concurrency,
                            key,
                            bounded(cur, "concurrency", 1, MAX_WORKERS)?,
                        )?;
                    }
                }
                Trigger::Consume {
                    queue,
                    concurrency,
                    max_extension,
                }
            }
            "subscribe" => subscribe(cur)?,
            other => return Err(bad_handler_kind(kind.span, other)),
        }
    };
    cur.finish(true)?;
    Ok((service, trigger))
}

fn bad_handler_kind(span: Span, text: &str) -> Problem {
    let upper = text.to_ascii_uppercase();
    if HttpMethod::from_keyword(&upper).is_some() {
        return Problem::new(span, format!("`{text}` is not an HTTP method"))
            .hint(format!("HTTP methods are upper case: `{upper}`"));
    }
    let mut words: Vec<&str> = vec!["rpc", "consume", "subscribe"];
    words.extend(HttpMethod::ALL.map(HttpMethod::as_str));
    let hint = match did_you_mean(text, words) {
        Some(m) => format!("did you mean `{m}`?"),
        None => "a handler line is `SERVICE rpc METHOD:`, `SERVICE POST /path:`, `SERVICE consume QUEUE:` or `SERVICE subscribe TOPIC:`".to_string(),
    };
    Problem::new(
        span,
        format!("expected `rpc`, `consume`, `subscribe` or an HTTP method, found `{text}`"),
    )
    .hint(hint)
}

fn path(cur: &mut Cursor<'_, '_>) -> PResult<String> {
    let tok = cur.word("a path such as `/checkout`")?;
    if !tok.text.starts_with('/') || tok.text.chars().any(char::is_control) {
        return Err(
            Problem::new(tok.span, format!("`{}` is not a path", tok.text))
                .hint("paths start with `/`, e.g. `/orders`"),
        );
    }
    Ok(tok.text.to_string())
}

fn overflow(cur: &mut Cursor<'_, '_>) -> PResult<Overflow> {
    let tok = cur.word("`reject` or `drop-oldest`")?;
    match tok.text {
        "reject" => Ok(Overflow::Reject),
        "drop-oldest" => Ok(Overflow::DropOldest),
        other => {
            let hint = match did_you_mean(other, ["reject", "drop-oldest"]) {
                Some(m) => format!("did you mean `{m}`?"),
                None => "`reject` (the producer's send fails) or `drop-oldest`".to_string(),
            };
            Err(Problem::new(tok.span, format!("unknown overflow policy `{other}`")).hint(hint))
        }
    }
}

fn subscribe(cur: &mut Cursor<'_, '_>) -> PResult<Trigger> {
    let topic = ident(cur, "a topic name")?;
    let (mut subscription, mut filter, mut ack_deadline, mut capacity, mut overflow_policy) =
        (None, None, None, None, None);
    let (mut max_attempts, mut dlq, mut concurrency, mut max_extension) = (None, None, None, None);
    while !cur.at_end() {
        let key = option_key(
            cur,
            &[
                "as",
                "filter",
                "ack-deadline",
                "capacity",
                "overflow",
                "max-attempts",
                "dlq",
                "concurrency",
                "max-extension",
            ],
            "`subscribe`",
        )?;
        match key.text {
            "as" => set_once(&mut subscription, key, new_name(cur, "subscription name")?)?,
            "filter" => set_once(&mut filter, key, attr(cur)?)?,
            "ack-deadline" => set_once(
                &mut ack_deadline,
                key,
                positive_duration(cur, "the ack deadline")?,
            )?,
            "capacity" => set_once(
                &mut capacity,
                key,
                bounded(cur, "capacity", 1, MAX_CAPACITY)?,
            )?,
            "overflow" => set_once(&mut overflow_policy, key, overflow(cur)?)?,
            "max-attempts" => set_once(
                &mut max_attempts,
                key,
                bounded(cur, "max-attempts", 1, MAX_ATTEMPTS)?,
            )?,
            "dlq" => set_once(&mut dlq, key, new_name(cur, "dead-letter queue name")?)?,
            "max-extension" => set_once(
                &mut max_extension,
                key,
                duration(cur, "the longest lease extension")?,
            )?,
            _ => set_once(
                &mut concurrency,
                key,
                bounded(cur, "concurrency", 1, MAX_WORKERS)?,
            )?,
        }
    }
    Ok(Trigger::Subscribe {
        topic,
        subscription,
        filter,
        ack_deadline,
        capacity,
        overflow: overflow_policy,
        max_attempts,
        dlq,
        concurrency,
        max_extension,
    })
}

/// `orders.CreateOrder` or `orders POST /orders`.
fn target(cur: &mut Cursor<'_, '_>) -> PResult<Target> {
    let tok = cur.word("a target: `service.Method` or `service POST /path`")?;
    if let Some((svc, method)) = tok.text.split_once('.') {
        let dot = tok.span.start + svc.len();
        let service = ident_from(
            Token {
                text: svc,
                span: Span::new(tok.span.start, dot),
                ..tok
            },
            "service name",
        )?;
        let method = ident_from(
            Token {
                text: method,
                span: Span::new(dot + 1, tok.span.end),
                ..tok
            },
            "method name",
        )?;
        return Ok(Target::Rpc { service, method });
    }
    let service = ident_from(tok, "service name")?;
    let m = cur.word("an HTTP method such as `POST` (or write `service.Method` for RPC)")?;
    let Some(method) = HttpMethod::from_keyword(m.text) else {
        return Err(bad_handler_kind(m.span, m.text).hint(format!(
            "a REST call is `{0} POST /path`; an RPC call is `{0}.Method`",
            service.name
        )));
    };
    let path = path(cur)?;
    Ok(Target::Rest {
        service,
        method,
        path,
    })
}

/// Most connections a call site's pool may have.
const MAX_POOL: u32 = 100_000;

const CALL_OPTIONS: [&str; 24] = [
    "timeout",
    "deadline",
    "attempt-timeout",
    "retries",
    "retry-on",
    "idempotent",
    "idempotency-key",
    "backoff",
    "multiplier",
    "max-backoff",
    "jitter",
    "hedge",
    "retry-budget",
    "max-tokens",
    "breaker",
    "window",
    "min-calls",
    "cooldown",
    "probes",
    "slow",
    "on-error",
    "cache",
    "pool",
    "pool-wait",
];

/// `retry-on 503,504` or `retry-on UNAVAILABLE,RESOURCE_EXHAUSTED`: statuses of the target's
/// protocol, comma-separated.
fn retry_statuses(cur: &mut Cursor<'_, '_>, target: &Target) -> PResult<Vec<Status>> {
    let mut out = Vec::new();
    loop {
        let tok = cur.word("a status such as `503` or `UNAVAILABLE`")?;
        let s = parse_status(tok)?;
        match (s, target) {
            (Status::Http(_), Target::Rpc { .. }) => {
                return Err(Problem::new(
                    tok.span,
                    format!("`{}` is an HTTP status, but this is an RPC call", tok.text),
                )
                .hint("RPC calls retry gRPC codes, such as `UNAVAILABLE`"))
            }
            (Status::Grpc(_), Target::Rest { .. }) => {
                return Err(Problem::new(
                    tok.span,
                    format!("`{}` is a gRPC code, but this is a REST call", tok.text),
                )
                .hint("REST calls retry HTTP statuses, such as `503`"))
            }
            _ => {}
        }
        if s.is_success() {
            return Err(Problem::new(
                tok.span,
                format!("`{}` is a success; only failures are retried", tok.text),
            )
            .hint("use e.g. `503` or `UNAVAILABLE`"));
        }
        if !out.contains(&s) {
            out.push(s);
        }
        if cur.peek_kind() != Some(TokKind::Comma) {
            return Ok(out);
        }
        cur.next();
    }
}

/// A target and its options (used by `call` and by clients).
fn call_body(cur: &mut Cursor<'_, '_>) -> PResult<Call> {
    let target = target(cur)?;
    let mut o = CallOptions::default();
    let (mut window, mut min_calls, mut cooldown, mut probes) = (None, None, None, None);
    let mut slow = None;
    let mut on_error: Option<bool> = None;
    let mut breaker_key: Option<Span> = None;
    let mut max_tokens = None;
    let mut hedge_key: Option<Span> = None;
    let mut retry_key: Option<Token<'_>> = None;
    let mut pool_key: Option<Span> = None;
    while !cur.at_end() {
        let key = option_key(cur, &CALL_OPTIONS, "a call")?;
        if matches!(
            key.text,
            "retries" | "backoff" | "multiplier" | "max-backoff" | "jitter"
        ) && retry_key.is_none()
        {
            retry_key = Some(key);
        }
        match key.text {
            "timeout" | "deadline" => {
                set_once(&mut o.timeout, key, positive_duration(cur, "the timeout")?)?
            }
            "cache" => set_once(&mut o.cache, key, ident(cur, "a cache name")?)?,
            "pool" => {
                pool_key = Some(key.span);
                set_once(&mut o.pool, key, bounded(cur, "pool", 1, MAX_POOL)?)?
            }
            "pool-wait" => set_once(
                &mut o.pool_wait,
                key,
                positive_duration(cur, "the longest wait for a connection")?,
            )?,
            "attempt-timeout" => set_once(
                &mut o.attempt_timeout,
                key,
                positive_duration(cur, "the attempt timeout")?,
            )?,
            "retries" => set_once(
                &mut o.retries,
                key,
                bounded(cur, "retries", 0, MAX_RETRIES)?,
            )?,
            "retry-on" => {
                let list = retry_statuses(cur, &target)?;
                set_once(&mut o.retry_on, key, list)?
            }
            "idempotent" | "idempotency-key" => {
                if matches!(target, Target::Rpc { .. }) {
                    return Err(Problem::new(
                        key.span,
                        format!("`{}` is for REST calls", key.text),
                    )
                    .hint("gRPC retries only the codes of `retry-on` (by default UNAVAILABLE), whatever the method"));
                }
                let slot = if key.text == "idempotent" {
                    &mut o.idempotent
                } else {
                    &mut o.idempotency_key
                };
                if *slot {
                    return Err(
                        Problem::new(key.span, format!("`{}` is given twice", key.text))
                            .hint("keep one of them"),
                    );
                }
                *slot = true;
            }
            "backoff" => set_once(&mut o.backoff, key, positive_duration(cur, "the backoff")?)?,
            "multiplier" => {
                let tok = cur.word("a multiplier such as `2`")?;
                let f = units::parse_factor(tok.text).map_err(|m| Problem::new(tok.span, m))?;
                set_once(&mut o.multiplier, key, f)?
            }
            "max-backoff" => set_once(
                &mut o.max_backoff,
                key,
                positive_duration(cur, "the maximum backoff")?,
            )?,
            "jitter" => {
                // `jitter` alone is full jitter; `jitter 50%` takes off up to half.
                let share = match cur.peek() {
                    Some(t) if t.kind == TokKind::Word && t.text.ends_with('%') => {
                        percent(cur, "the jitter share")?
                    }
                    _ => Percent::HUNDRED,
                };
                set_once(&mut o.jitter, key, share)?
            }
            "hedge" => {
                let attempts = bounded(cur, "hedged attempts", 2, 5)?;
                let after =
                    cur.word("`after`, then the delay between attempts, such as `after 50ms`")?;
                if after.text != "after" {
                    return Err(Problem::new(
                        after.span,
                        format!("expected `after`, found `{}`", after.text),
                    )
                    .hint(
                        "write e.g. `hedge 3 after 50ms`: up to 3 attempts, one more every 50ms",
                    ));
                }
                let after = positive_duration(cur, "the hedging delay")?;
                hedge_key = Some(key.span);
                set_once(&mut o.hedge, key, Hedge { attempts, after })?
            }
            "retry-budget" => {
                let tok = cur.word("the share of a token a success gives back, such as `10%`")?;
                let share =
                    units::parse_percent(tok.text).map_err(|m| Problem::new(tok.span, m))?;
                if share.ppm == 0 || share.ppm % 1000 != 0 {
                    return Err(Problem::new(
                        tok.span,
                        format!(
                            "a retry budget of `{}` is not a positive share in steps of 0.1%",
                            tok.text
                        ),
                    )
                    .hint(
                        "gRPC keeps three decimals of `tokenRatio`: write e.g. `retry-budget 10%`",
                    ));
                }
                set_once(
                    &mut o.retry_budget,
                    key,
                    RetryBudget {
                        share,
                        max_tokens: None,
                    },
                )?
            }
            "max-tokens" => set_once(&mut max_tokens, key, bounded(cur, "max-tokens", 1, 1000)?)?,
            "breaker" => {
                let threshold = percent(
                    cur,
                    "the failure share that opens the breaker, such as `50%`",
                )?;
                if threshold.ppm == 0 {
                    return Err(Problem::new(
                        key.span,
                        "a breaker threshold of 0% would never close",
                    )
                    .hint("use e.g. `breaker 50%`"));
                }
                if breaker_key.is_some() {
                    return Err(
                        Problem::new(key.span, "`breaker` is given twice").hint("keep one of them")
                    );
                }
                breaker_key = Some(key.span);
                o.breaker = Some(Breaker {
                    threshold,
                    window: None,
                    min_calls: None,
                    cooldown: None,
                    probes: None,
                    slow: None,
                });
            }
            "window" => set_once(
                &mut window,
                key,
                positive_duration(cur, "the breaker window")?,
            )?,
            "min-calls" => set_once(
                &mut min_calls,
                key,
                bounded(cur, "min-calls", 1, 1_000_000)?,
            )?,
            "cooldown" => set_once(
                &mut cooldown,
                key,
                positive_duration(cur, "the breaker cooldown")?,
            )?,
            "probes" => set_once(&mut probes, key, bounded(cur, "probes", 1, 1_000)?)?,
            "slow" => set_once(
                &mut slow,
                key,
                positive_duration(cur, "the slow-call threshold")?,
            )?,
            _ => {
                let tok = cur.word("`continue` or `fail`")?;
                let cont = match tok.text {
                    "continue" => true,
                    "fail" => false,
                    other => {
                        return Err(Problem::new(tok.span, format!("unknown `on-error` action `{other}`"))
                            .hint("`on-error continue` runs the next step anyway; `on-error fail` (the default) fails the handler"))
                    }
                };
                set_once(&mut on_error, key, cont)?
            }
        }
    }
    o.continue_on_error = on_error.unwrap_or(false);
    match &mut o.retry_budget {
        Some(b) => b.max_tokens = max_tokens,
        None if max_tokens.is_some() => {
            return Err(Problem::new(
                cur.end_span(),
                "`max-tokens` sets the size of a retry budget",
            )
            .hint(
                "add `retry-budget 10%` (the share of a token each success gives back) before it",
            ));
        }
        None => {}
    }
    if let Some(p) = pool_key {
        if o.hedge.is_some() || o.cache.is_some() {
            return Err(Problem::new(
                p,
                format!(
                    "a pooled call cannot {}",
                    if o.hedge.is_some() { "be hedged" } else { "read through a cache" }
                ),
            )
            .hint("the pool holds one connection for the whole call; put the pool on a call without `hedge` or `cache`"));
        }
    } else if o.pool_wait.is_some() {
        return Err(Problem::new(
            cur.end_span(),
            "`pool-wait` is how long a call waits for a connection of its pool",
        )
        .hint("add `pool 10` (or another size) before it"));
    }
    if let (Some(h), Some(r)) = (hedge_key, retry_key) {
        let at = if h.start > r.span.start { h } else { r.span };
        return Err(Problem::new(
            at,
            format!("a call either hedges or retries, not both (`hedge` and `{}`)", r.text),
        )
        .hint("gRPC takes a retryPolicy or a hedgingPolicy: keep `hedge N after D`, or `retries` with its backoff"));
    }
    if o.hedge.is_some() {
        if let Target::Rest { method, .. } = &target {
            if matches!(method, HttpMethod::Post | HttpMethod::Patch)
                && !o.idempotent
                && !o.idempotency_key
            {
                return Err(Problem::new(
                    hedge_key.expect("set with the hedge"),
                    format!("hedging sends a `{method}` more than once"),
                )
                .hint("add `idempotent` or `idempotency-key` if repeating it is safe"));
            }
        }
    }
    match &mut o.breaker {
        Some(b) => {
            b.window = window;
            b.min_calls = min_calls;
            b.cooldown = cooldown;
            b.probes = probes;
            b.slow = slow;
        }
        None if window.is_some()
            || min_calls.is_some()
            || cooldown.is_some()
            || probes.is_some()
            || slow.is_some() =>
        {
            return Err(Problem::new(
                cur.end_span(),
                "`window`, `min-calls`, `cooldown`, `probes` and `slow` set up a circuit breaker",
            )
            .hint("add `breaker 50%` (the failure share that opens it) before them"));
        }
        None => {}
    }
    if (o.backoff.is_some()
        || o.multiplier.is_some()
        || o.max_backoff.is_some()
        || o.jitter.is_some()
        || o.retry_on.is_some())
        && o.retries.is_none()
        && o.hedge.is_none()
    {
        return Err(Problem::new(
            cur.end_span(),
            "backoff, multiplier, jitter and retry-on only matter with retries",
        )
        .hint("add e.g. `retries 3`"));
    }
    if let (Some(a), Some(t)) = (o.attempt_timeout, o.timeout) {
        if a >= t {
            return Err(Problem::new(
                cur.end_span(),
                format!("`attempt-timeout {a}` is not below the whole call's `{t}`"),
            )
            .hint("the timeout (or deadline) covers every attempt; an attempt limit must be shorter to matter"));
        }
    }
    if let (Some(b), Some(m)) = (o.backoff, o.max_backoff) {
        if m < b {
            return Err(Problem::new(
                cur.end_span(),
                format!("`max-backoff {m}` is below `backoff {b}`"),
            ));
        }
    }
    Ok(Call { target, options: o })
}

fn parallel_call(line: &Line<'_>) -> PResult<Call> {
    let mut cur = Cursor::new(line);
    let first = cur.word("`call`")?;
    if first.text != "call" {
        return Err(Problem::new(
            first.span,
            format!(
                "only `call` lines go under `parallel:`, found `{}`",
                first.text
            ),
        )
        .hint("un-indent this line to make it a step after the parallel calls"));
    }
    let call = call_body(&mut cur)?;
    cur.finish(false)?;
    Ok(call)
}

fn step(line: &Line<'_>) -> PResult<StepKind> {
    let mut cur = Cursor::new(line);
    let kw = cur.word("a step")?;
    let kind = match kw.text {
        "work" => StepKind::Work {
            time: if cur.at_end() {
                None
            } else {
                Some(dist(&mut cur, "a duration", false)?)
            },
        },
        "call" => StepKind::Call(call_body(&mut cur)?),
        "parallel" => {
            cur.finish(true)?;
            return Ok(StepKind::Parallel { calls: Vec::new() });
        }
        "publish" => {
            let topic = ident(&mut cur, "a topic name")?;
            let message = ident(&mut cur, "a message name such as `OrderCreated`")?;
            let mut attrs = Vec::new();
            while !cur.at_end() {
                attrs.push(attr(&mut cur)?);
            }
            StepKind::Publish {
                topic,
                message,
                attrs,
            }
        }
        "enqueue" => StepKind::Enqueue {
            queue: ident(&mut cur, "a queue name")?,
            message: ident(&mut cur, "a message name such as `Charge`")?,
        },
        "reply" => StepKind::Reply {
            status: status(&mut cur)?,
        },
        "retry-after" => StepKind::RetryAfter {
            after: positive_duration(&mut cur, "the wait the caller is asked for")?,
        },
        "fail" => {
            let probability = percent(&mut cur, "a probability such as `5%`")?;
            let status = if cur.at_end() {
                None
            } else {
                Some(status(&mut cur)?)
            };
            StepKind::Fail {
                probability,
                status,
            }
        }
        "ack" => StepKind::Ack,
        "nack" => StepKind::Nack,
        other => {
            let hint = if TOP_KEYWORDS.contains(&other) {
                "top-level lines start at column 1; un-indent it".to_string()
            } else if let Some(m) = did_you_mean(other, STEP_KEYWORDS) {
                format!("did you mean `{m}`?")
            } else {
                format!("steps are {}", STEP_KEYWORDS.join(", "))
            };
            return Err(Problem::new(kw.span, format!("unknown step `{other}`")).hint(hint));
        }
    };
    cur.finish(false)?;
    Ok(kind)
}

/// A gRPC code written exactly by its canonical name; the engine's `GrpcCode::parse` is more
/// lenient (any case, numbers), but the language asks for one spelling and hints at it.
fn grpc_keyword(s: &str) -> Option<GrpcCode> {
    GrpcCode::ALL.into_iter().find(|c| c.as_str() == s)
}
