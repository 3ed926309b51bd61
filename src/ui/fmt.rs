//! Text for numbers the views show: simulated clock readings, durations, rates and counts.
//! Integer arithmetic where it is cheap, so the same run reads the same everywhere.

use crate::sim::SimTime;

/// A clock reading in seconds with millisecond precision, e.g. `12.345 s`.
pub fn clock(t: SimTime) -> String {
    let ms = t.0 / 1_000;
    format!("{}.{:03} s", ms / 1_000, ms % 1_000)
}

/// A point in time for the log's time column, e.g. `12.3456` (seconds, 0.1 ms precision).
pub fn stamp(t: SimTime) -> String {
    let tenth_ms = t.0 / 100;
    format!("{}.{:04}", tenth_ms / 10_000, tenth_ms % 10_000)
}

/// A point in time with full precision, e.g. `12.345678 s`.
pub fn exact(t: SimTime) -> String {
    format!("{}.{:06} s", t.0 / 1_000_000, t.0 % 1_000_000)
}

/// A span of time, short: `850 µs`, `12.3 ms`, `412 ms`, `1.25 s`, `2 min 5 s`.
pub fn dur(d: SimTime) -> String {
    let us = d.0;
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 100_000 {
        let tenths = (us + 50) / 100;
        format!("{}.{} ms", tenths / 10, tenths % 10)
    } else if us < 1_000_000 {
        format!("{} ms", (us + 500) / 1_000)
    } else if us < 120_000_000 {
        let cs = (us + 5_000) / 10_000;
        format!("{}.{:02} s", cs / 100, cs % 100)
    } else {
        let s = us / 1_000_000;
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// A count grouped by narrow no-break spaces (never split across lines), e.g. `12 345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202F}');
        }
        out.push(c);
    }
    out
}

/// A rate per second with one decimal below 100, e.g. `19.8/s`, `1 204/s`.
pub fn rate(per_s: f64) -> String {
    if !per_s.is_finite() || per_s <= 0.0 {
        "0/s".to_string()
    } else if per_s < 100.0 {
        let tenths = (per_s * 10.0 + 0.5) as u64;
        format!("{}.{}/s", tenths / 10, tenths % 10)
    } else {
        format!("{}/s", count((per_s + 0.5) as u64))
    }
}

/// A percentage with one decimal, e.g. `4.2%`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_string();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// `s` in at most `n` characters, cut in the middle (`order-e…emails`): names that differ
/// only at their ends (`payments-q`, `payments-dlq`) stay told apart. A subscription's name
/// (`topic/sub`) keeps its `/sub` whole when that leaves room for a few of the topic's.
pub fn middle(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n || n < 3 {
        return s.to_string();
    }
    let sub = s.rfind('/').map_or(0, |i| s[i..].chars().count());
    let tail = if sub > 0 && sub + 4 < n {
        sub
    } else {
        (n - 1) / 2
    };
    let head = n - 1 - tail;
    let mut t: String = s.chars().take(head).collect();
    t.push('…');
    t.extend(s.chars().skip(len - tail));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_stamp() {
        assert_eq!(clock(SimTime(12_345_678)), "12.345 s");
        assert_eq!(clock(SimTime::ZERO), "0.000 s");
        assert_eq!(stamp(SimTime(12_345_678)), "12.3456");
        assert_eq!(exact(SimTime(1_000_005)), "1.000005 s");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(dur(SimTime(850)), "850 µs");
        assert_eq!(dur(SimTime(12_340)), "12.3 ms");
        assert_eq!(dur(SimTime(412_000)), "412 ms");
        assert_eq!(dur(SimTime(1_250_000)), "1.25 s");
        assert_eq!(dur(SimTime(125_000_000)), "2 min 5 s");
    }

    #[test]
    fn long_names_are_cut_in_the_middle() {
        assert_eq!(middle("payments-dlq", 14), "payments-dlq");
        assert_eq!(middle("order-events-to-emails", 14), "order-e…emails");
        assert_eq!(middle("order-events-to-emails", 14).chars().count(), 14);
        assert_eq!(middle("ünïcödé-names-everywhere", 9), "ünïc…here");
        assert_eq!(middle("abc", 2), "abc");
        assert_eq!(middle("order-events/emails", 14), "order-…/emails");
        assert_eq!(middle("t/a-very-long-subscription", 14), "t/a-ver…iption");
    }

    #[test]
    fn counts_rates_percents() {
        assert_eq!(count(0), "0");
        assert_eq!(count(12_345), "12\u{202F}345");
        assert_eq!(count(123), "123");
        assert_eq!(rate(19.84), "19.8/s");
        assert_eq!(rate(1204.2), "1\u{202F}204/s");
        assert_eq!(rate(f64::NAN), "0/s");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "–");
    }
}
