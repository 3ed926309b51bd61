//! Embed mode and read-only mode from the page's query string (`?embed=1&view=…&t=…`): one pure
//! parser, `EmbedOptions::from_query`, whose bad values are ignored, never an error.

use super::state::Tab;
use crate::scenario::units::parse_duration;
use crate::sim::SimTime;

/// Slowest and fastest playback an embed may ask for with `speed=`.
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;

/// Colour scheme an embed may force with `theme=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    /// The value of `data-theme` on `<html>` (matched by the stylesheet).
    pub fn attr(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// What the query string asks of the page. `Default` is the full app, unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    /// `embed=1`: the minimal frame (one view, compact toolbar, "Open in Switchboard").
    pub embed: bool,
    /// `readonly=1`: no editor (always so in an embed).
    pub readonly: bool,
    /// `view=`: the view an embed shows.
    pub view: Tab,
    /// `controls=0` hides the embed's toolbar.
    pub controls: bool,
    /// `autoplay=1`: start playing once the run is built.
    pub autoplay: bool,
    /// `speed=N`, clamped to `MIN_SPEED..=MAX_SPEED`.
    pub speed: Option<f64>,
    /// `t=12s`: run forward to this simulated time on load.
    pub start_at: Option<SimTime>,
    /// `theme=light|dark`.
    pub theme: Option<Theme>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            embed: false,
            readonly: false,
            view: Tab::Topology,
            controls: true,
            autoplay: false,
            speed: None,
            start_at: None,
            theme: None,
        }
    }
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A plain positive decimal (`2`, `0.5`, `.25`), without the standard library's float parser,
/// which would add about 15 KB of gzipped wasm for this one parameter.
fn parse_speed(s: &str) -> Option<f64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.len() <= 12 && d.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + frac.len() == 0 || !digits(whole) || !digits(frac) {
        return None;
    }
    let int = |d: &str| d.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    let x = int(whole) as f64 + int(frac) as f64 / 10f64.powi(frac.len() as i32);
    (x > 0.0).then_some(x)
}

impl EmbedOptions {
    /// Parse a query string (with or without the leading `?`). Unknown keys and bad values are
    /// ignored; for a repeated key the last good value wins.
    pub fn from_query(query: &str) -> EmbedOptions {
        let mut o = EmbedOptions::default();
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "embed" => o.embed = flag(value).unwrap_or(o.embed),
                "readonly" => o.readonly = flag(value).unwrap_or(o.readonly),
                "controls" => o.controls = flag(value).unwrap_or(o.controls),
                "autoplay" => o.autoplay = flag(value).unwrap_or(o.autoplay),
                "view" => {
                    if let Some(&tab) = Tab::ALL.iter().find(|t| t.slug() == value) {
                        o.view = tab;
                    }
                }
                "speed" => {
                    if let Some(x) = parse_speed(value) {
                        o.speed = Some(x.clamp(MIN_SPEED, MAX_SPEED));
                    }
                }
                "t" => {
                    if let Ok(d) = parse_duration(value) {
                        o.start_at = Some(SimTime::from_micros(d.0));
                    }
                }
                "theme" => match value {
                    "light" => o.theme = Some(Theme::Light),
                    "dark" => o.theme = Some(Theme::Dark),
                    _ => {}
                },
                _ => {}
            }
        }
        if o.embed {
            o.readonly = true;
        }
        o
    }

    /// The options of the current page (the default when there is no window or query).
    pub fn current() -> EmbedOptions {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        EmbedOptions::from_query(&search)
    }
}

/// What the "Embed" action puts in its iframe snippet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnippetOptions {
    pub view: Tab,
    pub autoplay: bool,
    pub controls: bool,
}

/// The embed URL for the page at `base` (address without query or fragment) showing the
/// scenario in `fragment` (`s=1.…`, without `#`).
pub fn embed_url(base: &str, fragment: &str, o: SnippetOptions) -> String {
    let mut url = format!("{base}?embed=1&view={}", o.view.slug());
    if o.autoplay {
        url.push_str("&autoplay=1");
    }
    if !o.controls {
        url.push_str("&controls=0");
    }
    url.push('#');
    url.push_str(fragment);
    url
}

/// How many characters of the scenario name the snippet's `title` keeps.
pub const TITLE_NAME_CHARS: usize = 80;

/// Invisible characters that reorder or hide text (bidi controls, zero-width marks): dropped.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `s` as the inside of an HTML attribute value, safe however the page it is pasted into reads
/// it: every control character and whitespace run becomes one space (a line break would let a
/// Markdown renderer end the HTML block mid-tag and read the rest as Markdown, whose own
/// quotes and attributes it writes), invisible characters are dropped, `&"'<>` are escaped,
/// and at most `max` characters of `s` are kept (then `…`).
fn attr_value(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    let mut kept = 0;
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_control() || c.is_whitespace() {
            space = true;
            continue;
        }
        if invisible(c) {
            continue;
        }
        if kept + usize::from(space) >= max {
            out.push('…');
            break;
        }
        if std::mem::take(&mut space) {
            out.push(' ');
            kept += 1;
        }
        kept += 1;
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML a docs page pastes to embed this scenario: one `<iframe>` on one line, its title (for
/// screen readers) naming the scenario. Every attribute value goes through `attr_value`, whatever
/// the name holds; the name is cut to `TITLE_NAME_CHARS`. The address is never cut (the frame
/// needs all of it): it is the page's own address and a base64url fragment.
pub fn snippet(base: &str, fragment: &str, name: &str, o: SnippetOptions) -> String {
    let url = embed_url(base, fragment, o);
    format!(
        "<iframe src=\"{}\" title=\"Switchboard: {}\" width=\"720\" height=\"420\" style=\"border:1px solid #ccc;border-radius:8px\" loading=\"lazy\"></iframe>",
        attr_value(&url, url.chars().count()),
        attr_value(name, TITLE_NAME_CHARS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_is_one_iframe_with_escaped_attributes() {
        let o = SnippetOptions {
            view: Tab::Timeline,
            autoplay: true,
            controls: true,
        };
        let s = snippet("https://x.dev/sb/", "s=1.AbC-_", "Checkout \"flow\" <b>", o);
        assert_eq!(
            s,
            "<iframe src=\"https://x.dev/sb/?embed=1&amp;view=timeline&amp;autoplay=1#s=1.AbC-_\" \
             title=\"Switchboard: Checkout &quot;flow&quot; &lt;b&gt;\" width=\"720\" height=\"420\" \
             style=\"border:1px solid #ccc;border-radius:8px\" loading=\"lazy\"></iframe>"
        );
        let plain = SnippetOptions {
            view: Tab::Log,
            autoplay: false,
            controls: false,
        };
        assert_eq!(
            embed_url("/", "s=1.x", plain),
            "/?embed=1&view=log&controls=0#s=1.x"
        );
        // The URL the snippet carries opens as the options it was made with.
        let url = embed_url("/", "s=1.x", o);
        let query = &url[url.find('?').unwrap()..url.find('#').unwrap()];
        let back = EmbedOptions::from_query(query);
        assert!(back.embed && back.autoplay && back.controls);
        assert_eq!(back.view, Tab::Timeline);
    }

    const O: SnippetOptions = SnippetOptions {
        view: Tab::Topology,
        autoplay: true,
        controls: true,
    };

    /// The value of each attribute of the one tag in `html`, read as an HTML parser would.
    fn attributes(html: &str) -> Vec<(String, String)> {
        let tag = html
            .strip_prefix("<iframe ")
            .and_then(|t| t.strip_suffix("></iframe>"))
            .expect("one iframe");
        let mut out = Vec::new();
        let mut rest = tag.trim_start();
        while !rest.is_empty() {
            let (key, after) = rest.split_once("=\"").expect("key=\"value\"");
            let (value, after) = after.split_once('"').expect("closing quote");
            out.push((key.to_string(), value.to_string()));
            rest = after.trim_start();
        }
        out
    }

    fn assert_one_safe_line(s: &str) {
        assert!(!s.contains(['\n', '\r', '\'']), "{s:?}");
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert!(!s.contains("  "), "{s:?}");
        let keys: Vec<String> = attributes(s).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["src", "title", "width", "height", "style", "loading"],
            "{s}"
        );
    }

    #[test]
    fn a_name_with_blank_lines_stays_one_attribute_on_one_line() {
        // The payload, through the scenario language as a user would write it.
        let text =
            "scenario \"Retry storm\\n\\n[Run the demo](onload=alert(location.origin)//)\"\n\
                    service a\n";
        let name = crate::scenario::parse(text).expect("parses").name;
        assert_eq!(
            name,
            "Retry storm\n\n[Run the demo](onload=alert(location.origin)//)"
        );
        let s = snippet("https://x.dev/", "s=1.x", &name, O);
        assert_one_safe_line(&s);
        assert!(
            s.contains("title=\"Switchboard: Retry storm [Run the demo](onload=alert(location.origin)//)\""),
            "{s}"
        );
        let s = snippet(
            "/",
            "s=1.x",
            "a\n\nb\r\n\r\n\t\u{b}\u{c}\u{85}\u{2028}\u{2029}c\u{0}d\u{1b}",
            O,
        );
        assert_one_safe_line(&s);
        assert!(s.contains("title=\"Switchboard: a b c d\""), "{s}");
    }

    #[test]
    fn quotes_of_both_kinds_and_markup_are_escaped() {
        let s = snippet(
            "https://x.dev/it's/",
            "s=1.x",
            "it's \"x\" onload='alert(1)' <script>&",
            O,
        );
        assert_one_safe_line(&s);
        assert!(s.contains("src=\"https://x.dev/it&#39;s/?"), "{s}");
        assert!(
            s.contains("title=\"Switchboard: it&#39;s &quot;x&quot; onload=&#39;alert(1)&#39; &lt;script&gt;&amp;\""),
            "{s}"
        );
    }

    #[test]
    fn the_title_is_capped_and_invisible_characters_dropped() {
        let long = "x".repeat(10_000);
        let s = snippet("/", "s=1.x", &long, O);
        assert_one_safe_line(&s);
        let title = &attributes(&s)[1].1;
        assert_eq!(
            title,
            &format!("Switchboard: {}…", "x".repeat(TITLE_NAME_CHARS))
        );
        // An escaped character counts once, however long its entity.
        let quotes = snippet("/", "s=1.x", &"\"".repeat(500), O);
        assert_eq!(
            attributes(&quotes)[1].1.matches("&quot;").count(),
            TITLE_NAME_CHARS
        );
        let s = snippet("/", "s=1.x", "ab\u{202e}cd\u{200b}e\u{feff}", O);
        assert!(s.contains("title=\"Switchboard: abcde\""), "{s}");
        // Exactly at the cap: nothing cut.
        let s = snippet("/", "s=1.x", &"y".repeat(TITLE_NAME_CHARS), O);
        assert!(!s.contains('…'), "{s}");
        // The address is never cut.
        let fragment = format!("s=1.{}", "A".repeat(20_000));
        let s = snippet("/", &fragment, "n", O);
        assert!(s.contains(&fragment), "the whole fragment");
    }

    fn q(s: &str) -> EmbedOptions {
        EmbedOptions::from_query(s)
    }

    #[test]
    fn no_query_is_the_full_app() {
        assert_eq!(q(""), EmbedOptions::default());
        assert_eq!(q("?"), EmbedOptions::default());
        assert_eq!(q("?foo=bar&&x"), EmbedOptions::default());
        let d = EmbedOptions::default();
        assert!(!d.embed && !d.readonly && d.controls && !d.autoplay);
    }

    #[test]
    fn embed_implies_readonly() {
        let o = q("?embed=1");
        assert!(o.embed && o.readonly && o.controls);
        assert_eq!(o.view, Tab::Topology);
        assert!(!q("embed=0").embed);
        assert!(!q("embed=maybe").embed);
    }

    #[test]
    fn readonly_alone_keeps_the_full_app() {
        let o = q("readonly=1");
        assert!(o.readonly && !o.embed);
        assert!(!q("readonly=0").readonly);
    }

    #[test]
    fn view_picks_one_of_the_four() {
        assert_eq!(q("view=topology").view, Tab::Topology);
        assert_eq!(q("view=log").view, Tab::Log);
        assert_eq!(q("view=timeline").view, Tab::Timeline);
        assert_eq!(q("view=metrics").view, Tab::Metrics);
        assert_eq!(q("view=<script>").view, Tab::Topology);
        assert_eq!(q("view=%3Cscript%3E").view, Tab::Topology);
        assert_eq!(q("view=Timeline").view, Tab::Topology);
        assert_eq!(q("view=").view, Tab::Topology);
    }

    #[test]
    fn controls_and_autoplay() {
        assert!(!q("embed=1&controls=0").controls);
        assert!(q("embed=1&controls=1").controls);
        assert!(q("embed=1&controls=zz").controls);
        assert!(q("autoplay=1").autoplay);
        assert!(!q("autoplay=0").autoplay);
        assert!(!q("autoplay=2").autoplay);
    }

    #[test]
    fn speed_is_clamped_and_bad_values_ignored() {
        assert_eq!(q("speed=2").speed, Some(2.0));
        assert_eq!(q("speed=0.5").speed, Some(0.5));
        assert_eq!(q("speed=0.01").speed, Some(MIN_SPEED));
        assert_eq!(q("speed=.25").speed, Some(0.25));
        assert_eq!(q("speed=5000").speed, Some(MAX_SPEED));
        assert_eq!(q("speed=999999999999").speed, Some(MAX_SPEED));
        for bad in [
            "abc",
            "",
            ".",
            "0",
            "0.0",
            "-3",
            "+3",
            "NaN",
            "inf",
            "-inf",
            "2x",
            "1e9",
            "1.2.3",
            "9999999999999999999999",
        ] {
            assert_eq!(q(&format!("speed={bad}")).speed, None, "speed={bad}");
        }
    }

    #[test]
    fn start_time_uses_the_scenario_duration_syntax() {
        assert_eq!(q("t=12s").start_at, Some(SimTime::from_secs(12)));
        assert_eq!(q("t=250ms").start_at, Some(SimTime::from_millis(250)));
        assert_eq!(q("t=1.5s").start_at, Some(SimTime::from_millis(1500)));
        for bad in ["-1", "-1s", "", "abc", "12", "s", "99999999999999999999s"] {
            assert_eq!(q(&format!("t={bad}")).start_at, None, "t={bad}");
        }
    }

    #[test]
    fn theme_is_light_or_dark() {
        assert_eq!(q("theme=light").theme, Some(Theme::Light));
        assert_eq!(q("theme=dark").theme, Some(Theme::Dark));
        assert_eq!(q("theme=blue").theme, None);
        assert_eq!(q("theme=dark\"><b>").theme, None);
        assert_eq!(Theme::Dark.attr(), "dark");
    }

    #[test]
    fn everything_together_and_last_wins() {
        let o = q("?embed=1&view=timeline&autoplay=1&speed=2&t=5s&theme=dark&controls=0&speed=x");
        assert!(o.embed && o.readonly && o.autoplay && !o.controls);
        assert_eq!(o.view, Tab::Timeline);
        assert_eq!(o.speed, Some(2.0));
        assert_eq!(o.start_at, Some(SimTime::from_secs(5)));
        assert_eq!(o.theme, Some(Theme::Dark));
        assert_eq!(q("view=log&view=metrics").view, Tab::Metrics);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "=",
            "==",
            "&=&",
            "t=\u{1F600}",
            "speed=\u{0}",
            "view=é",
            "%",
            "embed=1=1",
        ] {
            let _ = q(s);
        }
    }
}
