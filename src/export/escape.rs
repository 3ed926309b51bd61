//! Escaping user text for each export syntax: JSON strings, CSV fields, XML text and attributes.

use std::fmt::Write;

/// Appends the concatenation of `parts` as one JSON string literal, without building it first.
pub fn json_str_parts(out: &mut String, parts: &[&str]) {
    out.push('"');
    for part in parts {
        json_chars(out, part);
    }
    out.push('"');
}

/// Appends `s` as a JSON string literal (with quotes), escaping per RFC 8259.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    json_chars(out, s);
    out.push('"');
}

/// Appends `s` escaped for the inside of a JSON string literal.
fn json_chars(out: &mut String, s: &str) {
    // Names are nearly always plain: copy them whole.
    let plain = |b: u8| b >= 0x20 && b != b'"' && b != b'\\' && b != b'<' && b < 0x80;
    if s.bytes().all(plain) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `<` escaped too, so a JSON file inlined into HTML can never close a script tag.
            c if (c as u32) < 0x20 || c == '<' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Appends `s` as one CSV field (RFC 4180): quoted when it holds a comma, semicolon, quote or line
/// break. A leading `=`, `+`, `-`, `@`, tab or CR gets a `'` so spreadsheets never evaluate it as a
/// formula (OWASP's CSV injection list). The `;` is quoted because spreadsheets in many locales
/// split on it: unquoted, `a;-1+1` would be two cells, the second a formula the guard never saw.
pub fn csv_field(out: &mut String, s: &str) {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = formula || s.contains([',', ';', '"', '\n', '\r']);
    if !needs_quotes {
        out.push_str(s);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Appends `s` escaped for XML text content and attribute values.
pub fn xml(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even as references: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: fn(&mut String, &str), s: &str) -> String {
        let mut out = String::new();
        f(&mut out, s);
        out
    }

    #[test]
    fn json_escapes_quotes_controls_and_script_closers() {
        assert_eq!(with(json_str, "a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
        assert_eq!(with(json_str, "</script>"), r#""\u003c/script>""#);
    }

    #[test]
    fn csv_quotes_when_needed_and_defuses_formulas() {
        assert_eq!(with(csv_field, "plain"), "plain");
        assert_eq!(with(csv_field, "a,b"), "\"a,b\"");
        assert_eq!(with(csv_field, "say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(with(csv_field, "=1+1"), "\"'=1+1\"");
    }

    #[test]
    fn csv_quotes_semicolons_so_no_locale_splits_a_field_into_formulas() {
        // The issue's path: unquoted, a spreadsheet splitting on `;` sees cells `-2+3`, `+cmd|…`, `@x`.
        let path = "/report;-2+3;+cmd|'/Ccalc'!A0;@x";
        assert_eq!(
            with(csv_field, path),
            "\"/report;-2+3;+cmd|'/Ccalc'!A0;@x\""
        );
        assert_eq!(with(csv_field, "a;b"), "\"a;b\"");
        assert_eq!(with(csv_field, ";=1"), "\";=1\"");
    }

    #[test]
    fn csv_guards_tab_and_carriage_return_prefixes() {
        assert_eq!(with(csv_field, "\t=1+1"), "\"'\t=1+1\"");
        assert_eq!(with(csv_field, "\r=1+1"), "\"'\r=1+1\"");
        for prefix in ['=', '+', '-', '@', '\t', '\r'] {
            let field = with(csv_field, &format!("{prefix}cmd"));
            assert!(field.starts_with("\"'"), "{prefix:?}: {field}");
        }
    }

    #[test]
    fn xml_escapes_markup() {
        assert_eq!(
            with(xml, "<img src=x onerror='a'>&\u{7}"),
            "&lt;img src=x onerror=&apos;a&apos;&gt;&amp;"
        );
    }
}
