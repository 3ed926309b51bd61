//! Quantities of the scenario language: durations, rates, percentages and time distributions —
//! their exact (integer) representation, how they are written and how they are read.
//!
//! Everything is integer so that text → model → text is exact: durations in microseconds, rates
//! in thousandths of an event per minute, percentages in parts per million.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Longest duration the language accepts: 1,000,000 s (about 11.6 days). Keeps every sum of a few
/// durations far from `u64` overflow.
pub const MAX_DURATION_US: u64 = 1_000_000 * 1_000_000;
/// Highest rate the language accepts, per second.
pub const MAX_RATE_PER_S: u64 = 1_000_000;

const US_PER_MS: u64 = 1_000;
const US_PER_S: u64 = 1_000_000;
const US_PER_MIN: u64 = 60_000_000;

/// A span of simulated time in microseconds. Written `250us` (or `250µs`), `20ms`, `1.5s`, `2m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(US_PER_MS))
    }

    pub fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(US_PER_S))
    }

    pub fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / US_PER_S as f64
    }
}

/// Canonical form: whole seconds as `Ns`, else whole milliseconds as `Nms`, else `Nus`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us.is_multiple_of(US_PER_S) {
            write!(f, "{}s", us / US_PER_S)
        } else if us.is_multiple_of(US_PER_MS) {
            write!(f, "{}ms", us / US_PER_MS)
        } else {
            write!(f, "{us}us")
        }
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Duration, String> {
        parse_duration(s)
    }
}

/// A decimal number as written: integer mantissa and number of fraction digits.
struct Decimal {
    mantissa: u128,
    scale: u32,
}

/// Reads `123`, `1.5`, `0.001`. At most 18 integer digits and 9 fraction digits, so nothing overflows.
fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a number"));
    }
    if int.len() > 18 {
        return Err(format!("`{s}` is too large"));
    }
    let mut mantissa: u128 = 0;
    for b in int.bytes() {
        mantissa = mantissa * 10 + u128::from(b - b'0');
    }
    let mut scale = 0;
    if let Some(frac) = frac {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{s}` is not a number"));
        }
        if frac.len() > 9 {
            return Err(format!("`{s}` has too many decimal places"));
        }
        for b in frac.bytes() {
            mantissa = mantissa * 10 + u128::from(b - b'0');
        }
        scale = frac.len() as u32;
    }
    Ok(Decimal { mantissa, scale })
}

/// `value × factor`, exactly, or an error if the result is not a whole number of base units.
fn scaled(d: &Decimal, factor: u128) -> Option<u128> {
    let total = d.mantissa * factor;
    let div = 10u128.pow(d.scale);
    total.is_multiple_of(div).then(|| total / div)
}

/// Split a number and its unit suffix: `20ms` → (`20`, `ms`).
fn split_unit(s: &str) -> (&str, &str) {
    let idx = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    (&s[..idx], &s[idx..])
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.starts_with('-') {
        return Err(format!("`{s}`: durations cannot be negative"));
    }
    let (num, unit) = split_unit(s);
    if num.is_empty() {
        return Err(format!("`{s}` is not a duration"));
    }
    let factor = match unit {
        "us" | "µs" | "μs" => 1,
        "ms" => US_PER_MS,
        "s" => US_PER_S,
        "m" => US_PER_MIN,
        "" => return Err(format!("`{s}` has no unit")),
        other => return Err(format!("`{other}` is not a time unit")),
    };
    let dec = parse_decimal(num)?;
    let us = scaled(&dec, u128::from(factor))
        .ok_or_else(|| format!("`{s}` is finer than 1us, the smallest time step"))?;
    if us > u128::from(MAX_DURATION_US) {
        return Err(format!("`{s}` is too long (at most 1000000s)"));
    }
    Ok(Duration(us as u64))
}

/// Write a number of `unit`ths as a decimal: (1500, 1000) → `1.5`.
fn write_fixed(f: &mut fmt::Formatter<'_>, value: u64, unit: u64) -> fmt::Result {
    let whole = value / unit;
    let frac = value % unit;
    if frac == 0 {
        return write!(f, "{whole}");
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    write!(f, "{whole}.{}", digits.trim_end_matches('0'))
}

/// A rate of events, kept exactly as thousandths of an event per minute. Written `20/s`, `0.5/s`, `3/m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Rate {
    pub milli_per_min: u64,
}

impl Rate {
    pub fn per_second(n: u64) -> Rate {
        Rate {
            milli_per_min: n.saturating_mul(60_000),
        }
    }

    pub fn per_sec_f64(self) -> f64 {
        self.milli_per_min as f64 / 60_000.0
    }
}

/// Canonical form: per second when that is exact to three decimals, else per minute.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli_per_min.is_multiple_of(60) {
            write_fixed(f, self.milli_per_min / 60, 1000)?;
            f.write_str("/s")
        } else {
            write_fixed(f, self.milli_per_min, 1000)?;
            f.write_str("/m")
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        parse_rate(s)
    }
}

pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let Some((num, unit)) = s.split_once('/') else {
        return Err(format!("`{s}` is not a rate"));
    };
    let per_min_factor: u128 = match unit {
        "s" => 60,
        "m" => 1,
        "" => return Err(format!("`{s}` has no time unit after `/`")),
        other => return Err(format!("`/{other}` is not a rate unit")),
    };
    let dec = parse_decimal(num)?;
    let milli = scaled(&dec, per_min_factor * 1000)
        .ok_or_else(|| format!("`{s}` is more precise than 0.001 per minute"))?;
    if milli > u128::from(MAX_RATE_PER_S) * 60_000 {
        return Err(format!("`{s}` is too fast (at most {MAX_RATE_PER_S}/s)"));
    }
    Ok(Rate {
        milli_per_min: milli as u64,
    })
}

/// A probability written as a percentage, kept as parts per million (`0.1%` = 1000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Percent {
    pub ppm: u32,
}

impl Percent {
    pub const HUNDRED: Percent = Percent { ppm: 1_000_000 };

    pub fn from_percent(p: u32) -> Percent {
        Percent {
            ppm: p.saturating_mul(10_000).min(1_000_000),
        }
    }

    pub fn fraction(self) -> f64 {
        f64::from(self.ppm) / 1_000_000.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, u64::from(self.ppm), 10_000)?;
        f.write_str("%")
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(s: &str) -> Result<Percent, String> {
        parse_percent(s)
    }
}

pub fn parse_percent(s: &str) -> Result<Percent, String> {
    let Some(num) = s.strip_suffix('%') else {
        return Err(format!("`{s}` is not a percentage (write it like `5%`)"));
    };
    if num.starts_with('-') {
        return Err(format!("`{s}`: percentages cannot be negative"));
    }
    let dec = parse_decimal(num)?;
    let ppm = scaled(&dec, 10_000).ok_or_else(|| format!("`{s}` is more precise than 0.0001%"))?;
    if ppm > 1_000_000 {
        return Err(format!(
            "`{s}` is out of range: a percentage is between 0% and 100%"
        ));
    }
    Ok(Percent { ppm: ppm as u32 })
}

/// A growth factor such as a backoff multiplier, kept as thousandths (`1.5` = 1500).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Factor {
    pub milli: u32,
}

impl Factor {
    pub fn as_f64(self) -> f64 {
        f64::from(self.milli) / 1000.0
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, u64::from(self.milli), 1000)
    }
}

impl FromStr for Factor {
    type Err = String;

    fn from_str(s: &str) -> Result<Factor, String> {
        parse_factor(s)
    }
}

/// Reads `2`, `1.5`; between 1 and 100, at most three decimals.
pub fn parse_factor(s: &str) -> Result<Factor, String> {
    let dec = parse_decimal(s)?;
    let milli = scaled(&dec, 1000).ok_or_else(|| format!("`{s}` has more than three decimals"))?;
    if !(1000..=100_000).contains(&milli) {
        return Err(format!(
            "`{s}` is out of range: a multiplier is between 1 and 100"
        ));
    }
    Ok(Factor {
        milli: milli as u32,
    })
}

/// A Zipf exponent: a number above 0 and at most 10, to three decimals (`0.9`, `1.2`).
pub fn parse_exponent(s: &str) -> Result<Factor, String> {
    let dec = parse_decimal(s)?;
    let milli = scaled(&dec, 1000).ok_or_else(|| format!("`{s}` has more than three decimals"))?;
    if !(1..=10_000).contains(&milli) {
        return Err(format!(
            "`{s}` is out of range: the exponent is above 0 and at most 10"
        ));
    }
    Ok(Factor {
        milli: milli as u32,
    })
}

/// A distribution of durations (service time, network latency, added delay).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dist {
    /// Always the same: `20ms`.
    Constant(Duration),
    /// Uniform between two bounds: `2ms..8ms`.
    Uniform(Duration, Duration),
    /// Exponential with this mean: `exp(40ms)`.
    Exp(Duration),
    /// Normal (clamped at 0) with mean and standard deviation: `20ms±5ms`.
    Normal(Duration, Duration),
    /// Log-normal with this mean and standard deviation (of the duration itself):
    /// `lognormal(20ms, 10ms)`.
    LogNormal(Duration, Duration),
}

impl Dist {
    /// The mean duration in microseconds (normal clamped at 0 is approximated by its mean).
    pub fn mean_us(self) -> u64 {
        match self {
            Dist::Constant(d) | Dist::Exp(d) | Dist::Normal(d, _) | Dist::LogNormal(d, _) => d.0,
            Dist::Uniform(a, b) => a.0 / 2 + b.0 / 2,
        }
    }

    /// Check the parameters make sense; the message is for the user.
    pub fn validate(self) -> Result<Dist, String> {
        match self {
            Dist::Uniform(a, b) if a > b => Err(format!(
                "the range `{a}..{b}` is reversed; write the smaller bound first"
            )),
            Dist::Exp(m) if m.0 == 0 => Err("`exp(...)` needs a mean greater than zero".into()),
            Dist::LogNormal(m, _) if m.0 == 0 => {
                Err("`lognormal(...)` needs a mean greater than zero".into())
            }
            _ => Ok(self),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::Constant(d) => write!(f, "{d}"),
            Dist::Uniform(a, b) => write!(f, "{a}..{b}"),
            Dist::Exp(m) => write!(f, "exp({m})"),
            Dist::Normal(m, sd) => write!(f, "{m}±{sd}"),
            Dist::LogNormal(m, sd) => write!(f, "lognormal({m}, {sd})"),
        }
    }
}

impl FromStr for Dist {
    type Err = String;

    /// Reads a distribution written on its own (spaces inside the parentheses allowed).
    fn from_str(s: &str) -> Result<Dist, String> {
        let s = s.trim();
        let call = |name: &str| -> Option<Vec<&str>> {
            let rest = s.strip_prefix(name)?.trim_start();
            let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
            Some(inner.split(',').map(str::trim).collect())
        };
        let dur = |t: &str| parse_duration(t);
        let dist = if let Some(args) = call("exp") {
            match args.as_slice() {
                [m] => Dist::Exp(dur(m)?),
                _ => return Err("`exp` takes one duration: `exp(40ms)`".into()),
            }
        } else if let Some(args) = call("lognormal") {
            match args.as_slice() {
                [m, sd] => Dist::LogNormal(dur(m)?, dur(sd)?),
                _ => {
                    return Err(
                        "`lognormal` takes a mean and a spread: `lognormal(20ms, 10ms)`".into(),
                    )
                }
            }
        } else if let Some(args) = call("normal") {
            match args.as_slice() {
                [m, sd] => Dist::Normal(dur(m)?, dur(sd)?),
                _ => return Err("`normal` takes a mean and a spread: `normal(20ms, 5ms)`".into()),
            }
        } else if let Some(args) = call("uniform") {
            match args.as_slice() {
                [a, b] => Dist::Uniform(dur(a)?, dur(b)?),
                _ => return Err("`uniform` takes two bounds: `uniform(2ms, 8ms)`".into()),
            }
        } else if let Some(args) = call("constant") {
            match args.as_slice() {
                [d] => Dist::Constant(dur(d)?),
                _ => return Err("`constant` takes one duration: `constant(20ms)`".into()),
            }
        } else if let Some((a, b)) = s.split_once("..") {
            Dist::Uniform(dur(a.trim())?, dur(b.trim())?)
        } else if let Some((a, b)) = s.split_once('±').or_else(|| s.split_once("+-")) {
            Dist::Normal(dur(a.trim())?, dur(b.trim())?)
        } else if s.contains('(') {
            let name = s.split('(').next().unwrap_or("").trim();
            let known = ["exp", "normal", "lognormal", "uniform", "constant"];
            let mut msg = format!("`{name}` is not a distribution");
            if let Some(m) = super::diagnostic::did_you_mean(name, known) {
                msg.push_str(&format!("; did you mean `{m}`?"));
            }
            return Err(msg);
        } else {
            Dist::Constant(dur(s)?)
        };
        dist.validate()
    }
}

macro_rules! serde_as_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

// In JSON these read as they do in the language ("20ms", "20/s", "5%", "exp(40ms)").
serde_as_text!(Duration, Rate, Percent, Dist, Factor);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> u64 {
        parse_duration(s).unwrap().0
    }

    #[test]
    fn durations() {
        assert_eq!(d("20ms"), 20_000);
        assert_eq!(d("1.5s"), 1_500_000);
        assert_eq!(d("2m"), 120_000_000);
        assert_eq!(d("250us"), 250);
        assert_eq!(d("250µs"), 250);
        assert_eq!(d("0.5ms"), 500);
        assert!(parse_duration("0.5us").is_err());
        assert!(parse_duration("-5ms").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("1000001s").is_err());
        assert_eq!(Duration(1_500_000).to_string(), "1500ms");
        assert_eq!(Duration(120_000_000).to_string(), "120s");
        assert_eq!(Duration(1_250).to_string(), "1250us");
        assert_eq!(Duration(0).to_string(), "0s");
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("20/s").unwrap().to_string(), "20/s");
        assert_eq!(parse_rate("0.5/s").unwrap().to_string(), "0.5/s");
        assert_eq!(parse_rate("120/m").unwrap().to_string(), "2/s");
        assert_eq!(parse_rate("1/m").unwrap().to_string(), "1/m");
        assert_eq!(parse_rate("0.001/m").unwrap().to_string(), "0.001/m");
        assert!(parse_rate("20").is_err());
        assert!(parse_rate("20/h").is_err());
        assert!(parse_rate("2000000/s").is_err());
    }

    #[test]
    fn percents() {
        assert_eq!(parse_percent("0.1%").unwrap().ppm, 1_000);
        assert_eq!(parse_percent("100%").unwrap().ppm, 1_000_000);
        assert_eq!(parse_percent("12.5%").unwrap().to_string(), "12.5%");
        assert!(parse_percent("101%").is_err());
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("0.00001%").is_err());
    }

    #[test]
    fn factors() {
        assert_eq!(parse_factor("2").unwrap().milli, 2000);
        assert_eq!(parse_factor("1.5").unwrap().to_string(), "1.5");
        assert!(parse_factor("0.5").is_err());
        assert!(parse_factor("101").is_err());
        assert!(parse_factor("1.0001").is_err());
    }

    #[test]
    fn dists() {
        for s in [
            "20ms",
            "2ms..8ms",
            "exp(40ms)",
            "20ms±5ms",
            "lognormal(20ms, 10ms)",
        ] {
            assert_eq!(s.parse::<Dist>().unwrap().to_string(), s);
        }
        assert_eq!("20ms+-5ms".parse::<Dist>().unwrap().to_string(), "20ms±5ms");
        assert_eq!(
            "normal(20ms,5ms)".parse::<Dist>().unwrap().to_string(),
            "20ms±5ms"
        );
        assert!("8ms..2ms".parse::<Dist>().is_err());
        assert!("exp(0s)".parse::<Dist>().is_err());
        assert!("expo(1s)"
            .parse::<Dist>()
            .unwrap_err()
            .contains("did you mean `exp`"));
    }
}
