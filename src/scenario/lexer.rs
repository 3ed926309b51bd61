//! Lexer: splits scenario text into lines, and each line into tokens with byte spans.
//!
//! The language is line-oriented, so the lexer never looks across lines: a line is its indent,
//! its tokens and an optional end-of-line `#` comment. Words are maximal runs of characters
//! that are not white space or one of `" ( ) , =`; `->` and `<->` are tokens of their own, and a
//! `:` that ends a line is split off (it opens an indented block).

use super::diagnostic::{Problem, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    /// A double-quoted string; `text` includes the quotes and escapes.
    Str,
    LParen,
    RParen,
    Comma,
    Eq,
    /// `->`
    Arrow,
    /// `<->`
    BiArrow,
    /// A `:` ending the line.
    Colon,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'a> {
    pub kind: TokKind,
    pub text: &'a str,
    pub span: Span,
}

/// One line of source, lexed.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// Leading white space, in chars (a tab counts as one).
    pub indent: usize,
    pub tokens: Vec<Token<'a>>,
    /// Text of a `#` comment (after `#` and one optional space), and its span.
    pub comment: Option<(String, Span)>,
    /// Span of the tokens (empty, at the line's end, when there are none).
    pub content: Span,
    /// Byte offset just after the last token or the end of the line.
    pub end: usize,
}

impl Line<'_> {
    pub fn is_blank(&self) -> bool {
        self.tokens.is_empty() && self.comment.is_none()
    }

    pub fn is_comment_only(&self) -> bool {
        self.tokens.is_empty() && self.comment.is_some()
    }
}

/// Comment text as stored: without the `#`, one following space and trailing white space.
pub(crate) fn comment_text(raw: &str) -> String {
    let body = raw.strip_prefix('#').unwrap_or(raw);
    let body = body.strip_prefix(' ').unwrap_or(body);
    body.trim_end().to_string()
}

/// White space, and the byte-order mark some editors put at the start of a file.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn is_separator(c: char) -> bool {
    is_space(c) || matches!(c, '"' | '(' | ')' | ',' | '=')
}

/// Split the whole text into lexed lines. Lexing problems (an unterminated string) are pushed to
/// `problems`; the line keeps what could be read.
pub(crate) fn lex<'a>(src: &'a str, problems: &mut Vec<Problem>) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in src.split('\n') {
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        lines.push(lex_line(text, offset, problems));
        offset += raw.len() + 1;
    }
    lines
}

fn lex_line<'a>(text: &'a str, base: usize, problems: &mut Vec<Problem>) -> Line<'a> {
    let indent = text
        .chars()
        .take_while(|&c| is_space(c))
        .filter(|&c| c != '\u{feff}')
        .count();
    let mut tokens: Vec<Token<'a>> = Vec::new();
    let mut comment = None;
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if is_space(c) {
            chars.next();
            continue;
        }
        let single = |kind| Token {
            kind,
            text: &text[i..i + c.len_utf8()],
            span: Span::new(base + i, base + i + c.len_utf8()),
        };
        match c {
            '#' => {
                comment = Some((
                    comment_text(&text[i..]),
                    Span::new(base + i, base + text.len()),
                ));
                break;
            }
            '(' | ')' | ',' | '=' => {
                let kind = match c {
                    '(' => TokKind::LParen,
                    ')' => TokKind::RParen,
                    ',' => TokKind::Comma,
                    _ => TokKind::Eq,
                };
                tokens.push(single(kind));
                chars.next();
            }
            '"' => {
                chars.next();
                let mut end = None;
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = Some(j + 1);
                        break;
                    }
                }
                let end = end.unwrap_or_else(|| {
                    problems.push(
                        Problem::new(
                            Span::new(base + i, base + text.len()),
                            "unterminated string",
                        )
                        .hint("close it with `\"` on the same line"),
                    );
                    text.len()
                });
                tokens.push(Token {
                    kind: TokKind::Str,
                    text: &text[i..end],
                    span: Span::new(base + i, base + end),
                });
            }
            _ => {
                // A word, with `->` and `<->` split out wherever they appear.
                let rest = &text[i..];
                if rest.starts_with("<->") {
                    tokens.push(Token {
                        kind: TokKind::BiArrow,
                        text: &rest[..3],
                        span: Span::new(base + i, base + i + 3),
                    });
                    for _ in 0..3 {
                        chars.next();
                    }
                    continue;
                }
                if rest.starts_with("->") {
                    tokens.push(Token {
                        kind: TokKind::Arrow,
                        text: &rest[..2],
                        span: Span::new(base + i, base + i + 2),
                    });
                    chars.next();
                    chars.next();
                    continue;
                }
                let mut end = text.len();
                while let Some(&(j, d)) = chars.peek() {
                    let tail = &text[j..];
                    if is_separator(d)
                        || (j > i && (tail.starts_with("->") || tail.starts_with("<->")))
                    {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token {
                    kind: TokKind::Word,
                    text: &text[i..end],
                    span: Span::new(base + i, base + end),
                });
            }
        }
    }
    // A `:` ending the line opens a block.
    if let Some(last) = tokens.last_mut() {
        if last.kind == TokKind::Word && last.text.ends_with(':') {
            let colon_at = last.span.end - 1;
            let colon = Token {
                kind: TokKind::Colon,
                text: ":",
                span: Span::new(colon_at, colon_at + 1),
            };
            if last.text == ":" {
                *last = colon;
            } else {
                last.text = &last.text[..last.text.len() - 1];
                last.span.end -= 1;
                tokens.push(colon);
            }
        }
    }
    let end = tokens.last().map_or(base + text.len(), |t| t.span.end);
    let content = match (tokens.first(), tokens.last()) {
        (Some(f), Some(l)) => f.span.to(l.span),
        _ => Span::new(end, end),
    };
    Line {
        indent,
        tokens,
        comment,
        content,
        end,
    }
}

/// The value of a string token: strips the quotes and resolves `\"`, `\\`, `\n`, `\t`.
pub(crate) fn unquote(tok: &Token<'_>) -> Result<String, Problem> {
    let inner = tok.text.strip_prefix('"').unwrap_or(tok.text);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            other => {
                let shown = other.map_or(String::new(), |c| c.to_string());
                return Err(Problem::new(
                    tok.span,
                    format!("unknown escape `\\{shown}` in string"),
                )
                .hint("strings understand `\\\"`, `\\\\`, `\\n` and `\\t`"));
            }
        }
    }
    Ok(out)
}

/// A string literal for `s`, escaped so that [`unquote`] gives `s` back.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, String)> {
        let mut p = Vec::new();
        let lines = lex(src, &mut p);
        lines[0]
            .tokens
            .iter()
            .map(|t| (t.kind, t.text.to_string()))
            .collect()
    }

    #[test]
    fn words_and_symbols() {
        use TokKind::*;
        let k = kinds("client web rate 20/s -> gateway POST /checkout:");
        assert_eq!(k[4], (Arrow, "->".into()));
        assert_eq!(k.last().unwrap().0, Colon);
        assert_eq!(k[k.len() - 2], (Word, "/checkout".into()));
        let k = kinds("at 5s partition a<->b");
        assert_eq!(k[3], (Word, "a".into()));
        assert_eq!(k[4], (BiArrow, "<->".into()));
        let k = kinds("work normal(20ms, 5ms) # slow");
        assert_eq!(k.len(), 7);
        let k = kinds("publish t M kind=x");
        assert_eq!(k[4], (Eq, "=".into()));
        let k = kinds("queue payments-q max-attempts 3");
        assert_eq!(k[1], (Word, "payments-q".into()));
    }

    #[test]
    fn strings_and_comments() {
        let mut p = Vec::new();
        let lines = lex("scenario \"a # b\" # c\n  # only\n\"open", &mut p);
        assert_eq!(lines[0].tokens[1].text, "\"a # b\"");
        assert_eq!(lines[0].comment.as_ref().unwrap().0, "c");
        assert!(lines[1].is_comment_only());
        assert_eq!(lines[1].indent, 2);
        assert_eq!(p.len(), 1);
        assert_eq!(unquote(&lines[0].tokens[1]).unwrap(), "a # b");
        let s = "say \"hi\"\\\n\t";
        let q = quote(s);
        let mut p = Vec::new();
        let l = lex(&q, &mut p);
        assert_eq!(unquote(&l[0].tokens[0]).unwrap(), s);
    }
}
