//! Share-link codec: a scenario travels in the URL fragment as
//! `s=1.<base64url-no-pad(raw DEFLATE(canonical text))>`; `1` is the format version.
//!
//! Decoding is defensive: the fragment length and the decompressed size are bounded, and every
//! way a link can be broken has its own error, so the UI can say what went wrong. A link whose
//! text does not parse still hands the text back, so the user can repair it.

use super::diagnostic::Diagnostic;
use super::model::Scenario;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use std::fmt;

/// The only format version this build writes and reads.
pub const VERSION: &str = "1";
/// Largest decompressed scenario text accepted (256 KiB).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Longest fragment accepted before decoding anything (no real link comes near it).
pub const MAX_FRAGMENT_CHARS: usize = 2 * MAX_TEXT_BYTES;
/// DEFLATE effort (miniz levels go 0–10). Changing it changes new links, never old ones.
const LEVEL: u8 = 9;

/// Why a link could not be turned back into a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// No `s=` entry in the fragment.
    Missing,
    /// `s=` is not followed by `<version>.<data>`.
    Malformed,
    /// A version this build does not know (made by a newer Switchboard?).
    UnknownVersion(String),
    /// The data is not base64url.
    BadBase64(String),
    /// The data is not a raw DEFLATE stream (truncated or corrupted link).
    BadDeflate,
    /// The fragment or its decompressed text exceeds the limits.
    TooLarge { limit: usize },
    /// The decompressed bytes are not UTF-8 text.
    NotUtf8,
    /// The text decoded fine but is not a valid scenario; here it is, with what is wrong.
    Invalid {
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Missing => f.write_str("the link carries no scenario (no `s=` in its fragment)"),
            LinkError::Malformed => f.write_str("the link's scenario is malformed (expected `s=1.…`)"),
            LinkError::UnknownVersion(v) => write!(
                f,
                "the link uses scenario format version `{v}`, which this version of Switchboard cannot read"
            ),
            LinkError::BadBase64(why) => write!(f, "the link is damaged (not base64url: {why})"),
            LinkError::BadDeflate => f.write_str("the link is damaged or cut short (its data does not decompress)"),
            LinkError::TooLarge { limit } => write!(f, "the link's scenario is larger than {} KiB", limit / 1024),
            LinkError::NotUtf8 => f.write_str("the link's scenario is not UTF-8 text"),
            LinkError::Invalid { diagnostics, .. } => {
                write!(f, "the link's scenario has {} error(s)", diagnostics.len())?;
                if let Some(d) = diagnostics.first() {
                    write!(f, "; first: {d}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LinkError {}

/// The fragment (without `#`) for a scenario: its canonical text, compressed.
pub fn encode(scenario: &Scenario) -> String {
    encode_text(&super::format(scenario))
}

/// The fragment (without `#`) for a text, taken as is.
pub fn encode_text(text: &str) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), LEVEL);
    format!("s={VERSION}.{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// The text a fragment carries, without parsing it. Accepts a whole URL, `#s=…`, `s=…`, and
/// other `&`-separated entries beside `s=`.
pub fn decode_text(fragment: &str) -> Result<String, LinkError> {
    if fragment.len() > MAX_FRAGMENT_CHARS {
        return Err(LinkError::TooLarge {
            limit: MAX_TEXT_BYTES,
        });
    }
    let fragment = match fragment.split_once('#') {
        Some((_, after)) => after,
        None => fragment,
    };
    let value = fragment
        .split('&')
        .find_map(|part| part.trim().strip_prefix("s="))
        .ok_or(LinkError::Missing)?;
    let (version, data) = value.split_once('.').ok_or(LinkError::Malformed)?;
    if version != VERSION {
        return Err(if version.is_empty() || version.len() > 16 {
            LinkError::Malformed
        } else {
            LinkError::UnknownVersion(version.to_string())
        });
    }
    // Tolerate what copy-paste and some tools add: white space, `=` padding.
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = data.trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(data)
        .map_err(|e| LinkError::BadBase64(e.to_string()))?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_TEXT_BYTES).map_err(
        |e| {
            if e.status == TINFLStatus::HasMoreOutput {
                LinkError::TooLarge {
                    limit: MAX_TEXT_BYTES,
                }
            } else {
                LinkError::BadDeflate
            }
        },
    )?;
    String::from_utf8(raw).map_err(|_| LinkError::NotUtf8)
}

/// The scenario a fragment carries, and its text as it was in the link.
pub fn decode(fragment: &str) -> Result<(String, Scenario), LinkError> {
    let text = decode_text(fragment)?;
    match super::parse(&text) {
        Ok(s) => Ok((text, s)),
        Err(diagnostics) => Err(LinkError::Invalid { text, diagnostics }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_text() {
        let text = "service a\n";
        let frag = encode_text(text);
        assert!(frag.starts_with("s=1."));
        assert_eq!(decode_text(&frag).unwrap(), text);
        assert_eq!(decode_text(&format!("#{frag}")).unwrap(), text);
        assert_eq!(
            decode_text(&format!("https://x.test/?embed=1#{frag}&t=2")).unwrap(),
            text
        );
    }

    #[test]
    fn each_failure_has_its_error() {
        assert_eq!(decode_text("x=1"), Err(LinkError::Missing));
        assert_eq!(decode_text("s=abc"), Err(LinkError::Malformed));
        assert_eq!(
            decode_text("s=2.abc"),
            Err(LinkError::UnknownVersion("2".into()))
        );
        assert!(matches!(
            decode_text("s=1.@@@"),
            Err(LinkError::BadBase64(_))
        ));
        assert_eq!(decode_text("s=1.AAAA"), Err(LinkError::BadDeflate));
        // 1 MiB of zeros compresses to a few hundred bytes but is over the limit.
        let big = vec![b'a'; 1024 * 1024];
        let frag = format!(
            "s=1.{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&big, 6))
        );
        assert_eq!(
            decode_text(&frag),
            Err(LinkError::TooLarge {
                limit: MAX_TEXT_BYTES
            })
        );
        let bad = format!(
            "s=1.{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe], 6))
        );
        assert_eq!(decode_text(&bad), Err(LinkError::NotUtf8));
        match decode(&encode_text("servce a\n")) {
            Err(LinkError::Invalid { text, diagnostics }) => {
                assert_eq!(text, "servce a\n");
                assert_eq!(diagnostics.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }
}
