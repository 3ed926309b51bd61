//! Simulated time: `SimTime`, an integer count of microseconds, the only clock in the engine.
//!
//! Used both for points in time (time since the start of the run) and for spans (a latency, a timeout).
//! Arithmetic saturates instead of overflowing, so no user-supplied duration can panic the core.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in (or span of) simulated time, in whole microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero: the start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// `n` microseconds.
    pub const fn from_micros(n: u64) -> SimTime {
        SimTime(n)
    }
    /// `n` milliseconds (saturating).
    pub const fn from_millis(n: u64) -> SimTime {
        SimTime(n.saturating_mul(1_000))
    }
    /// `n` seconds (saturating).
    pub const fn from_secs(n: u64) -> SimTime {
        SimTime(n.saturating_mul(1_000_000))
    }
    /// Fractional seconds, rounded to the nearest microsecond; negative or NaN gives zero.
    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime::from_micros_f64(s * 1e6)
    }
    /// Fractional milliseconds, rounded to the nearest microsecond; negative or NaN gives zero.
    pub fn from_millis_f64(ms: f64) -> SimTime {
        SimTime::from_micros_f64(ms * 1e3)
    }
    /// Fractional microseconds, rounded to nearest; negative or NaN gives zero, huge values saturate.
    #[inline]
    pub fn from_micros_f64(us: f64) -> SimTime {
        // `as` saturates and maps NaN to 0; adding 0.5 then truncating is round-half-up, which is
        // the same on every platform (no libm call involved).
        if us.is_nan() || us <= 0.0 {
            return SimTime(0);
        }
        let v = us + 0.5;
        // Below 2^63 truncating through `i64` is the same value and one instruction on x86-64,
        // where a float-to-`u64` conversion is a branchless sequence of several; every sampled
        // duration takes this path.
        if v < 9_223_372_036_854_775_808.0 {
            SimTime(v as i64 as u64)
        } else {
            SimTime(v as u64)
        }
    }
    /// Whole microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Milliseconds as a float (for display and metrics only).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e3
    }
    /// Seconds as a float (for display and metrics only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// `self + d`, saturating at `SimTime::MAX`.
    pub const fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// `self - d`, saturating at zero.
    pub const fn saturating_sub(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

impl std::ops::Add for SimTime {
    type Output = SimTime;
    /// Saturating addition: simulated time never wraps.
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl std::ops::Sub for SimTime {
    type Output = SimTime;
    /// Saturating subtraction: a span is never negative.
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    /// Milliseconds with microsecond precision, e.g. `12.345ms`; integer arithmetic only, so the
    /// text is identical on every platform.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{}.{:03}ms", self.0 / 1_000, self.0 % 1_000);
        f.pad(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_millis_with_micro_precision() {
        assert_eq!(SimTime(12_345).to_string(), "12.345ms");
        assert_eq!(SimTime(5).to_string(), "0.005ms");
        assert_eq!(format!("{:>10}", SimTime(1_000)), "   1.000ms");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::MAX + SimTime(1), SimTime::MAX);
        assert_eq!(SimTime(1) - SimTime(2), SimTime::ZERO);
        assert_eq!(SimTime::from_secs(u64::MAX), SimTime::MAX);
    }

    #[test]
    fn float_conversion_rounds_and_clamps() {
        assert_eq!(SimTime::from_millis_f64(1.2345), SimTime(1_235));
        assert_eq!(SimTime::from_secs_f64(-1.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::INFINITY), SimTime::MAX);
    }
}
