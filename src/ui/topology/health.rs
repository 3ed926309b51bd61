//! A service's recent health for the graph: the share of its replies that were errors over the
//! last `WINDOW` of simulated time. The engine keeps only running totals (replies and errors per
//! endpoint, summed per service in `ServiceView`); the view keeps a few samples of them and
//! subtracts, so a service that failed for a while and recovered looks healthy again. Pure: no
//! DOM, tested natively.

use std::collections::VecDeque;

use crate::sim::SimTime;

/// How far back the share looks.
pub const WINDOW: SimTime = SimTime::from_secs(5);
/// At most one sample per this much simulated time (a frame at 60 fps and 1× speed is 17 ms).
const STEP: SimTime = SimTime::from_millis(250);
/// Fewer replies than this in the window say nothing about a share.
const MIN_REPLIES: u64 = 5;

/// How a node looks by its recent error share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Health {
    /// No replies to judge by, or under 2% errors.
    #[default]
    Fine,
    /// 2% to under 20% of its recent replies were errors.
    Erring(u8),
    /// 20% or more.
    Failing(u8),
}

impl Health {
    fn of(replies: u64, errors: u64) -> Health {
        if replies < MIN_REPLIES {
            return Health::Fine;
        }
        let pct = ((errors as f64 / replies as f64) * 100.0)
            .round()
            .clamp(0.0, 100.0) as u8;
        if errors * 5 >= replies {
            Health::Failing(pct.max(20))
        } else if errors * 50 >= replies {
            Health::Erring(pct.max(2))
        } else {
            Health::Fine
        }
    }

    /// The rounded error share shown on the node, when it is worth showing.
    pub fn pct(self) -> Option<u8> {
        match self {
            Health::Fine => None,
            Health::Erring(p) | Health::Failing(p) => Some(p),
        }
    }
}

/// Samples of every service's running totals (replies, errors) for one run.
#[derive(Default)]
pub struct Recent {
    run: u32,
    samples: VecDeque<(SimTime, Vec<(u64, u64)>)>,
}

impl Recent {
    /// Take the totals at `now` (one pair per service, in order) and return each service's
    /// health over the last `WINDOW`. A new run, a run that went back in time (reset) or a
    /// different number of services starts the samples again; until one sample is a window old,
    /// the share is over the run so far.
    pub fn observe(&mut self, run: u32, now: SimTime, totals: &[(u64, u64)]) -> Vec<Health> {
        let stale = self.run != run
            || self
                .samples
                .back()
                .is_some_and(|(t, v)| *t > now || v.len() != totals.len());
        if stale {
            self.samples.clear();
            self.run = run;
        }
        if self.samples.back().is_none_or(|(t, _)| now >= *t + STEP) {
            self.samples.push_back((now, totals.to_vec()));
        }
        // Keep the newest sample at least a window old as the base, and those after it.
        let from = now.saturating_sub(WINDOW);
        while self.samples.len() >= 2 && self.samples[1].0 <= from {
            self.samples.pop_front();
        }
        let base = self.samples.front().filter(|(t, _)| *t <= from);
        totals
            .iter()
            .enumerate()
            .map(|(i, &(replies, errors))| {
                let (r0, e0) = base.and_then(|(_, v)| v.get(i).copied()).unwrap_or((0, 0));
                Health::of(replies.saturating_sub(r0), errors.saturating_sub(e0))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn shares_below_two_percent_or_with_few_replies_look_fine() {
        assert_eq!(Health::of(4, 4), Health::Fine, "too few replies to judge");
        assert_eq!(Health::of(100, 1), Health::Fine);
        assert_eq!(Health::of(100, 2), Health::Erring(2));
        assert_eq!(Health::of(100, 19), Health::Erring(19));
        assert_eq!(Health::of(100, 20), Health::Failing(20));
        assert_eq!(Health::of(100, 61), Health::Failing(61));
        assert_eq!(Health::of(10, 10), Health::Failing(100));
    }

    #[test]
    fn the_share_is_over_the_last_window_so_a_recovered_service_looks_fine_again() {
        let mut r = Recent::default();
        // 0–10 s: 100 replies a second, 60% errors.
        for s in 0..=10u64 {
            let h = r.observe(1, at(s * 1000), &[(s * 100, s * 60)]);
            if s >= 1 {
                assert_eq!(h, vec![Health::Failing(60)], "at {s} s");
            }
        }
        // 10–20 s: no more errors; once the failing seconds leave the window it is fine.
        let mut last = Vec::new();
        for s in 11..=20u64 {
            last = r.observe(1, at(s * 1000), &[(s * 100, 600)]);
            if s == 12 {
                // 12 s: the window 7–12 s holds 500 replies, 180 of them errors.
                assert_eq!(last, vec![Health::Failing(36)]);
            }
        }
        assert_eq!(last, vec![Health::Fine]);
    }

    #[test]
    fn a_new_run_or_a_reset_starts_again() {
        let mut r = Recent::default();
        r.observe(1, at(0), &[(0, 0)]);
        r.observe(1, at(6000), &[(600, 600)]);
        // Reset: time goes back, the totals start over.
        assert_eq!(r.observe(1, at(0), &[(0, 0)]), vec![Health::Fine]);
        assert_eq!(r.observe(1, at(1000), &[(100, 0)]), vec![Health::Fine]);
        // Another run with the same time: its own samples.
        assert_eq!(
            r.observe(2, at(1000), &[(100, 50)]),
            vec![Health::Failing(50)]
        );
    }

    #[test]
    fn samples_are_kept_at_most_every_step_and_only_a_window_back() {
        let mut r = Recent::default();
        for ms in 0..20_000u64 {
            r.observe(1, at(ms), &[(ms, 0)]);
        }
        let n = r.samples.len() as u64;
        assert!(n <= WINDOW.0 / STEP.0 + 2, "{n} samples");
        assert!(n >= WINDOW.0 / STEP.0, "{n} samples");
    }
}
