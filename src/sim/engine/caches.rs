//! Read-through caches: a call that goes through a cache draws the key it asks for; a fresh
//! entry answers it at once (a hit), otherwise the call goes on (a miss) and its success fills
//! the entry. Entries are fresh for the cache's TTL after their fill; a full cache evicts the
//! least recently used. With coalescing, a miss of a key already being fetched waits for that
//! fetch instead of calling too (a "single flight"), and shares its outcome. A `flush` fault
//! drops every entry.
//!
//! ```text
//! start_call ─► draw key ─► fresh entry? ──yes──► HIT: answered now
//!                              │no
//!                              ├─ coalescing and a fetch of the key under way ─► JOINED: parked
//!                              ▼
//!                            MISS: the call's attempts ─► success ─► fill (evict LRU if full)
//!                                                     └─► resolve parked calls with its outcome
//! ```
//!
//! Which call fetches and which wait is kept on the calls themselves (`calls.rs`); this module
//! owns the entries, the waiting lists and the key draws.

use super::calls::CallRt;
use super::Sim;
use crate::sim::compile::{CacheId, Program};
use crate::sim::dist::SimRng;
use crate::sim::slab::Id;
use crate::sim::time::SimTime;
use crate::sim::trace::{CacheResult, Kind, NameId, NodeId, Outcome, Record, RecordId, TraceId};
use crate::sim::world::Keys;
use std::collections::BTreeMap;

/// One entry: fresh until `expires`; `used` is its place in the LRU order.
#[derive(Clone, Copy, Debug)]
struct Entry {
    expires: SimTime,
    used: u64,
}

/// Runtime state of one cache.
#[derive(Clone, Debug)]
struct CacheRt {
    entries: BTreeMap<u32, Entry>,
    /// Last use → key: the first is the least recently used.
    lru: BTreeMap<u64, u32>,
    tick: u64,
    /// Keys being fetched by a coalescing cache → the calls waiting for that fetch.
    fetching: BTreeMap<u32, Vec<Id<CallRt>>>,
    zipf: Option<Zipf>,
}

/// Every cache's runtime state.
#[derive(Clone, Debug)]
pub(crate) struct Caches {
    rt: Vec<CacheRt>,
}

impl Caches {
    pub(crate) fn new(prog: &Program) -> Caches {
        Caches {
            rt: prog
                .caches
                .iter()
                .map(|c| CacheRt {
                    entries: BTreeMap::new(),
                    lru: BTreeMap::new(),
                    tick: 0,
                    fetching: BTreeMap::new(),
                    zipf: match c.keys {
                        Keys::Zipf { n, s } => Some(Zipf::new(n, s)),
                        Keys::Uniform { .. } => None,
                    },
                })
                .collect(),
        }
    }

    /// Entries now in cache `c`.
    pub(crate) fn len(&self, c: usize) -> usize {
        self.rt[c].entries.len()
    }
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// A fresh entry.
    Hit,
    /// None: this call fetches; `lead`: others missing the key meanwhile will wait for it.
    Fetch { lead: bool },
    /// None, and a fetch of the key is under way: wait for it.
    Join,
}

impl Sim {
    /// Draw the key a request through cache `c` asks for.
    pub(crate) fn cache_key(&mut self, c: CacheId) -> u32 {
        let keys = self.prog.caches[c.ix()].keys;
        let rt = &self.caches.rt[c.ix()];
        match (keys, &rt.zipf) {
            (Keys::Zipf { .. }, Some(z)) => z.sample(self.k.rng()) - 1,
            (Keys::Uniform { n } | Keys::Zipf { n, .. }, _) => {
                self.k.rng().below(u64::from(n)) as u32
            }
        }
    }

    /// Look `key` up in cache `c` for a call from `caller` (its trace and cause name the record).
    pub(crate) fn cache_lookup(
        &mut self,
        c: CacheId,
        key: u32,
        caller: NodeId,
        trace: TraceId,
        cause: Option<RecordId>,
    ) -> Lookup {
        let now = self.k.now();
        let coalesce = self.prog.caches[c.ix()].coalesce;
        let rt = &mut self.caches.rt[c.ix()];
        let m = &mut self.k.metrics_mut().caches[c.ix()];
        let mut found = None;
        if let Some(e) = rt.entries.get_mut(&key) {
            if now < e.expires {
                rt.lru.remove(&e.used);
                rt.tick += 1;
                e.used = rt.tick;
                rt.lru.insert(e.used, key);
                found = Some(Lookup::Hit);
            } else {
                let used = e.used;
                rt.entries.remove(&key);
                rt.lru.remove(&used);
                m.expired += 1;
                m.entries = rt.entries.len() as u64;
            }
        }
        let found = found.unwrap_or_else(|| {
            if !coalesce {
                Lookup::Fetch { lead: false }
            } else {
                match rt.fetching.entry(key) {
                    std::collections::btree_map::Entry::Occupied(_) => Lookup::Join,
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(Vec::new());
                        Lookup::Fetch { lead: true }
                    }
                }
            }
        });
        let result = match found {
            Lookup::Hit => {
                m.hits += 1;
                CacheResult::Hit
            }
            Lookup::Fetch { .. } => {
                m.misses += 1;
                CacheResult::Miss
            }
            Lookup::Join => {
                m.joined += 1;
                CacheResult::Joined
            }
        };
        m.lookup(now, found == Lookup::Hit);
        let name = self.prog.caches[c.ix()].name;
        self.k.emit(Record {
            send: now,
            recv: now,
            id: RecordId(0),
            trace,
            cause,
            from: caller,
            to: caller,
            name,
            label: NameId::EMPTY,
            outcome: Outcome::Cache(result),
            attempt: 1,
            kind: Kind::Cache,
            late: false,
        });
        found
    }

    /// Call `w` waits for the fetch of `key` in cache `c`.
    pub(crate) fn cache_park(&mut self, c: CacheId, key: u32, w: Id<CallRt>) {
        self.caches.rt[c.ix()]
            .fetching
            .get_mut(&key)
            .expect("a call joins only a fetch under way")
            .push(w);
    }

    /// Call `w` no longer waits for the fetch of `key` (its owner is gone, or it timed out).
    pub(crate) fn cache_unpark(&mut self, c: CacheId, key: u32, w: Id<CallRt>) {
        if let Some(v) = self.caches.rt[c.ix()].fetching.get_mut(&key) {
            v.retain(|&x| x != w);
        }
    }

    /// The fetch of `key` is over: the calls that waited for it, in the order they joined.
    pub(crate) fn cache_fetch_over(&mut self, c: CacheId, key: u32) -> Vec<Id<CallRt>> {
        self.caches.rt[c.ix()]
            .fetching
            .remove(&key)
            .unwrap_or_default()
    }

    /// Hand the fetch of `key` to one of its waiters (the fetching call was abandoned): the
    /// rest now wait for it.
    pub(crate) fn cache_refetch(&mut self, c: CacheId, key: u32, rest: Vec<Id<CallRt>>) {
        self.caches.rt[c.ix()].fetching.insert(key, rest);
    }

    /// A fetch of `key` succeeded: (re)fill its entry, evicting the least recently used entry
    /// if the cache is full.
    pub(crate) fn cache_fill(&mut self, c: CacheId, key: u32) {
        let now = self.k.now();
        let (capacity, ttl) = {
            let p = &self.prog.caches[c.ix()];
            (p.capacity as usize, p.ttl)
        };
        let rt = &mut self.caches.rt[c.ix()];
        let m = &mut self.k.metrics_mut().caches[c.ix()];
        rt.tick += 1;
        let used = rt.tick;
        let expires = now.saturating_add(ttl);
        if let Some(e) = rt.entries.get_mut(&key) {
            rt.lru.remove(&e.used);
            *e = Entry { expires, used };
        } else {
            if rt.entries.len() >= capacity {
                if let Some((_, old)) = rt.lru.pop_first() {
                    rt.entries.remove(&old);
                    m.evictions += 1;
                }
            }
            rt.entries.insert(key, Entry { expires, used });
        }
        rt.lru.insert(used, key);
        m.fills += 1;
        m.entries = rt.entries.len() as u64;
    }

    /// A `flush` fault: drop every entry (fetches under way go on, and fill when they end).
    pub(crate) fn cache_flush(&mut self, c: CacheId) {
        let rt = &mut self.caches.rt[c.ix()];
        let m = &mut self.k.metrics_mut().caches[c.ix()];
        m.flushed += rt.entries.len() as u64;
        rt.entries.clear();
        rt.lru.clear();
        m.entries = 0;
    }
}

/// Zipf-distributed ranks 1…n (P(k) ∝ k^−s) by rejection-inversion (W. Hörmann and
/// G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
/// distributions", ACM TOMACS 6(3), 1996): O(1) memory and expected time whatever n, using only
/// `libm`, so native and wasm draw the same ranks.
#[derive(Clone, Debug)]
pub(crate) struct Zipf {
    n: f64,
    s: f64,
    h_x1: f64,
    h_n: f64,
    cut: f64,
}

impl Zipf {
    pub(crate) fn new(n: u32, s: f64) -> Zipf {
        let n = f64::from(n);
        let h_x1 = h_integral(1.5, s) - 1.0;
        let h_n = h_integral(n + 0.5, s);
        let cut = 2.0 - h_integral_inverse(h_integral(2.5, s) - h(2.0, s), s);
        Zipf {
            n,
            s,
            h_x1,
            h_n,
            cut,
        }
    }

    /// A rank in 1…n.
    pub(crate) fn sample(&self, rng: &mut SimRng) -> u32 {
        loop {
            let u = self.h_n + rng.unit() * (self.h_x1 - self.h_n);
            let x = h_integral_inverse(u, self.s);
            let k = libm::floor(x + 0.5).clamp(1.0, self.n);
            // Accept when k is close enough to x, or when u falls under the bar of k.
            if k - x <= self.cut || u >= h_integral(k + 0.5, self.s) - h(k, self.s) {
                return k as u32;
            }
        }
    }
}

/// x^−s.
fn h(x: f64, s: f64) -> f64 {
    libm::exp(-s * libm::log(x))
}

/// An antiderivative of x^−s: (x^(1−s) − 1) / (1 − s), and log x at s = 1, computed without
/// cancellation near s = 1.
fn h_integral(x: f64, s: f64) -> f64 {
    let log_x = libm::log(x);
    expm1_over(log_x * (1.0 - s)) * log_x
}

/// The inverse of `h_integral`.
fn h_integral_inverse(x: f64, s: f64) -> f64 {
    let t = (x * (1.0 - s)).max(-1.0);
    libm::exp(log1p_over(t) * x)
}

/// log(1 + x) / x, continuous at 0.
fn log1p_over(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (eˣ − 1) / x, continuous at 0.
fn expm1_over(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zipf draws follow P(k) = k^−s / H(n, s) within sampling error.
    #[test]
    fn zipf_ranks_follow_the_power_law() {
        for s in [0.8, 1.0, 1.2] {
            let n = 50u32;
            let z = Zipf::new(n, s);
            let mut rng = SimRng::new(7);
            let draws = 400_000;
            let mut counts = vec![0u64; n as usize + 1];
            for _ in 0..draws {
                let k = z.sample(&mut rng);
                assert!((1..=n).contains(&k));
                counts[k as usize] += 1;
            }
            let norm: f64 = (1..=n).map(|k| f64::from(k).powf(-s)).sum();
            for k in [1u32, 2, 5, 20, 50] {
                let p = f64::from(k).powf(-s) / norm;
                let got = counts[k as usize] as f64 / draws as f64;
                let sd = (p * (1.0 - p) / draws as f64).sqrt();
                assert!(
                    (got - p).abs() < 5.0 * sd,
                    "s={s} k={k}: {got:.5} vs {p:.5}"
                );
            }
        }
    }
}
