//! The pending-event queue's parts: `Packed`, an event in two machine words whatever mechanism
//! owns it, and `EventHeap`, the binary min-heap of later instants ordered by `(time, seq)`.

/// An event packed into two words: the kernel stores and moves every mechanism's events in this
/// form. A two-word struct is passed in registers and copied as two 8-byte moves, where a 16-byte
/// enum went through memory and was read back with wider loads than the stores that had just
/// built it (a store-to-load forwarding stall on every schedule and every step).
///
/// Layout: low byte of `a` the tag (the owning mechanism in the high nibble, the event's variant
/// in the low one), high half of `a` the first field; low and high halves of `b` the second and
/// third fields (zero when absent).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packed {
    a: u64,
    b: u64,
}

impl Packed {
    /// Packs `tag` and up to three fields.
    #[inline(always)]
    pub(crate) fn new(tag: u8, x: u32, y: u32, z: u32) -> Packed {
        Packed {
            a: u64::from(tag) | u64::from(x) << 32,
            b: u64::from(y) | u64::from(z) << 32,
        }
    }

    /// The tag given to `new`.
    #[inline(always)]
    pub(crate) fn tag(self) -> u8 {
        self.a as u8
    }

    /// The owning mechanism: the tag's high nibble (see `kernel::Event::MECH`).
    #[inline(always)]
    pub(crate) fn mech(self) -> u8 {
        self.tag() >> 4
    }

    /// The three fields given to `new`.
    #[inline(always)]
    pub(crate) fn fields(self) -> (u32, u32, u32) {
        ((self.a >> 32) as u32, self.b as u32, (self.b >> 32) as u32)
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// `time << 64 | seq`: ordering by this one integer is ordering by `(time, seq)`, and a
    /// `u128` comparison is two instructions without a branch, where the tuple's needs two.
    pub(super) key: u128,
    pub(super) ev: Packed,
}

impl Entry {
    #[inline]
    fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// The pending events of later instants: a binary min-heap on `Entry::key`. Keys are unique
/// (`seq` is), so the order events leave it is fully determined. Hand-written rather than a
/// `BinaryHeap` because std's `pop` sifts the hole all the way to the bottom and back up: fewer
/// comparisons on big heaps, but more moves on the small ones typical here (a handful of pending
/// work spans and client ticks), where it showed up as a tenth of the M/M/c benchmark's time.
#[derive(Clone, Debug, Default)]
pub(super) struct EventHeap {
    v: Vec<Entry>,
}

impl EventHeap {
    pub(super) fn len(&self) -> usize {
        self.v.len()
    }

    #[inline]
    pub(super) fn peek_time(&self) -> Option<u64> {
        self.v.first().map(Entry::time)
    }

    #[inline]
    pub(super) fn push(&mut self, e: Entry) {
        let mut i = self.v.len();
        self.v.push(e);
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.v[parent];
            if p.key < e.key {
                break;
            }
            self.v[i] = p;
            i = parent;
        }
        self.v[i] = e;
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.v[0];
        // Sift `last` down from the root's hole.
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && self.v[r].key < self.v[l].key {
                r
            } else {
                l
            };
            let child = self.v[c];
            if last.key < child.key {
                break;
            }
            self.v[i] = child;
            i = c;
        }
        self.v[i] = last;
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The event heap pops in `(time, seq)` order: checked against a sorted model over a
    /// deterministic mix of pushes and pops with many equal times.
    #[test]
    fn event_heap_pops_in_key_order() {
        let mut heap = EventHeap::default();
        let mut model: Vec<u128> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut seq = 0u64;
        for round in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) && !model.is_empty() {
                model.sort_unstable();
                let want = model.remove(0);
                let got = heap.pop().expect("the model is not empty");
                assert_eq!(got.key, want, "pop {round}");
            } else {
                let key = u128::from(x % 64) << 64 | u128::from(seq);
                seq += 1;
                model.push(key);
                heap.push(Entry {
                    key,
                    ev: Packed::new(0, round, 0, 0),
                });
            }
        }
        model.sort_unstable();
        for want in model {
            assert_eq!(heap.pop().map(|e| e.key), Some(want));
        }
        assert!(heap.pop().is_none());
    }
}
