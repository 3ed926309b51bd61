//! `Chunked<T>`: a growable array stored in fixed-size chunks and indexed like a `Vec`, for the
//! engine's slabs (tasks, messages, stored queue messages) and the trace's records, which can
//! reach millions of entries; and `View`, its read-only window (what `&[T]` is to a `Vec`).
//!
//! A `Vec` that doubles copies everything it holds in one go: a retry storm's backlog of two
//! million tasks is a 200 MB copy, long enough to freeze a browser tab for a frame or more, and
//! right after doubling half its memory is slack. Growing a `Chunked` allocates one more chunk
//! and never moves what is stored; at most one chunk is slack. Whole chunks can be dropped from
//! the front (the trace's retention limit) without moving the rest.

use std::iter::FusedIterator;
use std::ops::{Bound, Index, IndexMut, RangeBounds};

/// Entries per chunk (a power of two): 4096 records of 56 bytes is 224 KiB, small next to a
/// big run and big enough that walking the chunk list costs nothing next to the entries.
const CHUNK_BITS: u32 = 12;
/// Entries per chunk.
pub(crate) const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// A `Vec`-like array that grows a chunk at a time.
#[derive(Debug)]
pub(crate) struct Chunked<T> {
    /// Every chunk but the last is full; each was allocated with room for `CHUNK` entries, so
    /// pushing into it never reallocates.
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked::new()
    }
}

impl<T: Clone> Clone for Chunked<T> {
    fn clone(&self) -> Chunked<T> {
        // `Vec::clone` allocates only what is used; give the last chunk its full room back so
        // that pushing into the clone never reallocates (and moves) it either.
        let mut chunks = self.chunks.clone();
        if let Some(last) = chunks.last_mut() {
            last.reserve_exact(CHUNK - last.len());
        }
        Chunked {
            chunks,
            len: self.len,
        }
    }
}

impl<T> Chunked<T> {
    pub(crate) const fn new() -> Chunked<T> {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.grow();
        }
        self.chunks
            .last_mut()
            .expect("a chunk with room was pushed above")
            .push(value);
        self.len += 1;
    }

    /// Adds an empty chunk; once per `CHUNK` pushes, so kept out of `push`'s inlined body.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.chunks.push(Vec::with_capacity(CHUNK));
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks
            .get(i >> CHUNK_BITS)
            .and_then(|c| c.get(i & MASK))
    }

    pub(crate) fn iter(&self) -> Iter<'_, T> {
        self.view(..).iter()
    }

    /// A read-only view of the entries at positions `range` (panics when out of bounds, like
    /// slicing a `Vec`).
    pub(crate) fn view(&self, range: impl RangeBounds<usize>) -> View<'_, T> {
        View::whole(&self.chunks, self.len).range(range)
    }

    /// Frees the whole chunks that lie within the first `n` entries and returns how many entries
    /// that removed (a multiple of `CHUNK`, at most `n`): positions of the rest go down by that
    /// much. No entry moves; only the list of chunk pointers shifts.
    pub(crate) fn drop_front_chunks(&mut self, n: usize) -> usize {
        let whole = n.min(self.len) >> CHUNK_BITS;
        self.chunks.drain(..whole);
        let dropped = whole << CHUNK_BITS;
        self.len -= dropped;
        dropped
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> CHUNK_BITS][i & MASK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> CHUNK_BITS][i & MASK]
    }
}

/// A read-only window onto consecutive entries of a chunked array; cheap to copy. Positions are
/// relative to the window: `view[0]` is its first entry.
pub struct View<'a, T> {
    /// The array's chunks (all but the last full).
    chunks: &'a [Vec<T>],
    /// Window start and end, as positions in the whole array.
    start: usize,
    end: usize,
}

impl<T> Clone for View<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for View<'_, T> {}

impl<'a, T> View<'a, T> {
    fn whole(chunks: &'a [Vec<T>], len: usize) -> View<'a, T> {
        View {
            chunks,
            start: 0,
            end: len,
        }
    }

    /// Number of entries in the view.
    #[inline]
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the view has no entries.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The entry at position `i` of the view, or `None` past its end.
    #[inline]
    pub fn get(self, i: usize) -> Option<&'a T> {
        if i < self.len() {
            let p = self.start + i;
            Some(&self.chunks[p >> CHUNK_BITS][p & MASK])
        } else {
            None
        }
    }

    /// The first entry.
    pub fn first(self) -> Option<&'a T> {
        self.get(0)
    }

    /// The last entry.
    pub fn last(self) -> Option<&'a T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The sub-view at positions `range` of this view (like `&slice[range]`; panics when the
    /// range is out of bounds or decreasing, like slicing).
    pub fn range(self, range: impl RangeBounds<usize>) -> View<'a, T> {
        let len = self.len();
        let a = match range.start_bound() {
            Bound::Included(&a) => a,
            Bound::Excluded(&a) => a.checked_add(1).expect("range start overflows"),
            Bound::Unbounded => 0,
        };
        let b = match range.end_bound() {
            Bound::Included(&b) => b.checked_add(1).expect("range end overflows"),
            Bound::Excluded(&b) => b,
            Bound::Unbounded => len,
        };
        assert!(
            a <= b && b <= len,
            "range {a}..{b} out of bounds for a view of {len} entries"
        );
        View {
            chunks: self.chunks,
            start: self.start + a,
            end: self.start + b,
        }
    }

    /// Iterates the entries in order (a slice iterator per chunk, so as fast as a slice's).
    pub fn iter(self) -> Iter<'a, T> {
        if self.is_empty() {
            return Iter {
                front: [].iter(),
                mid: [].iter(),
                back: [].iter(),
            };
        }
        let (first, last) = (self.start >> CHUNK_BITS, (self.end - 1) >> CHUNK_BITS);
        let (a, b) = (self.start & MASK, ((self.end - 1) & MASK) + 1);
        if first == last {
            Iter {
                front: self.chunks[first][a..b].iter(),
                mid: [].iter(),
                back: [].iter(),
            }
        } else {
            Iter {
                front: self.chunks[first][a..].iter(),
                mid: self.chunks[first + 1..last].iter(),
                back: self.chunks[last][..b].iter(),
            }
        }
    }

    /// The view's entries as consecutive non-empty slices, in order: for loops that want a
    /// plain slice to work on.
    pub fn chunks(self) -> Chunks<'a, T> {
        let Iter { front, mid, back } = self.iter();
        Chunks {
            front: Some(front.as_slice()).filter(|s| !s.is_empty()),
            mid,
            back: Some(back.as_slice()).filter(|s| !s.is_empty()),
        }
    }

    /// The number of leading entries for which `pred` holds, assuming it holds for a prefix of
    /// the view and not after (binary search, like `slice::partition_point`).
    pub fn partition_point(self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The entries copied into a `Vec`.
    pub fn to_vec(self) -> Vec<T>
    where
        T: Clone,
    {
        let mut v = Vec::with_capacity(self.len());
        for c in self.chunks() {
            v.extend_from_slice(c);
        }
        v
    }
}

impl<T> Index<usize> for View<'_, T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(x) => x,
            None => panic!(
                "index {i} out of bounds for a view of {} entries",
                self.len()
            ),
        }
    }
}

impl<'a, T> IntoIterator for View<'a, T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &View<'a, T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: PartialEq> PartialEq for View<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for View<'_, T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for View<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over a `View`'s entries.
pub struct Iter<'a, T> {
    /// The rest of the chunk being walked from the front.
    front: std::slice::Iter<'a, T>,
    /// Chunks wholly inside the view and not yet reached from either end (all full).
    mid: std::slice::Iter<'a, Vec<T>>,
    /// The rest of the chunk being walked from the back.
    back: std::slice::Iter<'a, T>,
}

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter {
            front: self.front.clone(),
            mid: self.mid.clone(),
            back: self.back.clone(),
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.front.next() {
                return Some(x);
            }
            match self.mid.next() {
                Some(c) => self.front = c.iter(),
                None => return self.back.next(),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.front.len() + self.mid.len() * CHUNK + self.back.len();
        (n, Some(n))
    }

    /// Walks each chunk with its slice iterator (what `for_each`, `sum`, `count`, `filter`…
    /// build on), without a chunk check per entry.
    fn fold<B, F: FnMut(B, &'a T) -> B>(self, init: B, mut f: F) -> B {
        let mut acc = self.front.fold(init, &mut f);
        for c in self.mid {
            acc = c.iter().fold(acc, &mut f);
        }
        self.back.fold(acc, f)
    }
}

impl<'a, T> DoubleEndedIterator for Iter<'a, T> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.back.next_back() {
                return Some(x);
            }
            match self.mid.next_back() {
                Some(c) => self.back = c.iter(),
                None => return self.front.next_back(),
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<T> FusedIterator for Iter<'_, T> {}

/// Iterator over a `View`'s entries as consecutive non-empty slices.
pub struct Chunks<'a, T> {
    front: Option<&'a [T]>,
    mid: std::slice::Iter<'a, Vec<T>>,
    back: Option<&'a [T]>,
}

impl<'a, T> Iterator for Chunks<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        self.front
            .take()
            .or_else(|| self.mid.next().map(Vec::as_slice))
            .or_else(|| self.back.take())
    }
}

impl<T> FusedIterator for Chunks<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut c = Chunked::new();
        let mut v = Vec::new();
        for i in 0..3 * CHUNK + 5 {
            c.push(i * 7);
            v.push(i * 7);
        }
        assert_eq!(c.len(), v.len());
        for i in (0..v.len()).step_by(13) {
            assert_eq!(c[i], v[i]);
            c[i] += 1;
            v[i] += 1;
            assert_eq!(c.get(i), Some(&v[i]));
        }
        assert_eq!(c.get(v.len()), None);
        assert_eq!(c.get(usize::MAX), None);
        c[CHUNK] = 0;
        v[CHUNK] = 0;
        assert!(c.iter().eq(v.iter()));
        let d = c.clone();
        assert!(d.iter().eq(v.iter()));
    }

    #[test]
    fn growing_never_moves_stored_entries() {
        let mut c = Chunked::new();
        c.push(1u64);
        let first: *const u64 = &c[0];
        for i in 0..100 * CHUNK as u64 {
            c.push(i);
        }
        assert_eq!(&c[0] as *const u64, first, "the first entry moved");
        assert_eq!(c[100 * CHUNK], 100 * CHUNK as u64 - 1);
    }

    #[test]
    fn a_clone_grows_without_moving_its_last_chunk() {
        let mut c = Chunked::new();
        for i in 0..CHUNK + 3 {
            c.push(i);
        }
        let mut d = c.clone();
        let at: *const usize = &d[CHUNK];
        for i in 0..CHUNK - 3 {
            d.push(i);
        }
        assert_eq!(
            &d[CHUNK] as *const usize, at,
            "the clone's last chunk was reallocated"
        );
    }

    #[test]
    #[should_panic]
    fn indexing_past_the_end_panics_like_a_vec() {
        let mut c = Chunked::new();
        c.push(1u8);
        let _ = c[1];
    }

    /// A deterministic stream of numbers for the property loops (no RNG crate needed).
    fn lcg(state: &mut u64) -> usize {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 33) as usize
    }

    #[test]
    fn views_agree_with_slices_of_a_vec() {
        let mut c = Chunked::new();
        let mut v = Vec::new();
        let mut seed = 1;
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            while v.len() < len {
                c.push(v.len() * 3);
                v.push(v.len() * 3);
            }
            let whole = c.view(..);
            assert_eq!(whole.len(), v.len());
            assert_eq!(whole.first(), v.first());
            assert_eq!(whole.last(), v.last());
            for _ in 0..200 {
                let a = lcg(&mut seed) % (len + 1);
                let b = a + lcg(&mut seed) % (len + 1 - a);
                let (s, w) = (&v[a..b], c.view(a..b));
                assert_eq!(w.len(), s.len());
                assert_eq!(w.is_empty(), s.is_empty());
                assert!(w.iter().eq(s.iter()), "{a}..{b}");
                assert!(w.iter().rev().eq(s.iter().rev()), "{a}..{b} reversed");
                assert_eq!(w.iter().len(), s.len());
                assert_eq!(w.iter().sum::<usize>(), s.iter().sum::<usize>());
                assert_eq!(w.to_vec(), s);
                assert!(w.chunks().all(|c| !c.is_empty() && c.len() <= CHUNK));
                assert_eq!(w.chunks().flatten().count(), s.len());
                assert_eq!(w.first(), s.first());
                assert_eq!(w.last(), s.last());
                assert_eq!(w.get(s.len()), None);
                for _ in 0..4 {
                    let i = lcg(&mut seed) % (len + 1);
                    assert_eq!(w.get(i), s.get(i));
                    let x = lcg(&mut seed) % (3 * len + 1);
                    assert_eq!(w.partition_point(|&e| e < x), s.partition_point(|&e| e < x));
                }
                let (p, q) = (a + (b - a) / 3, a + (b - a) / 2);
                assert!(w.range(p - a..q - a).iter().eq(v[p..q].iter()));
                assert_eq!(w.range(p - a..), c.view(p..b));
            }
            // An iterator drained from both ends meets in the middle without loss.
            let mut it = whole.iter();
            let (mut front, mut back) = (Vec::new(), Vec::new());
            while let Some(x) = it.next() {
                front.push(*x);
                if let Some(y) = it.next_back() {
                    back.push(*y);
                }
            }
            back.reverse();
            front.extend(back);
            assert_eq!(front, v);
        }
    }

    #[test]
    #[should_panic]
    fn a_view_refuses_positions_past_its_end() {
        let mut c = Chunked::new();
        for i in 0..10 {
            c.push(i);
        }
        let _ = c.view(2..4)[2];
    }

    #[test]
    fn dropping_front_chunks_keeps_the_rest_in_place() {
        let mut c = Chunked::new();
        for i in 0..5 * CHUNK + 9 {
            c.push(i);
        }
        let kept: *const usize = &c[2 * CHUNK];
        assert_eq!(c.drop_front_chunks(CHUNK - 1), 0);
        assert_eq!(c.drop_front_chunks(2 * CHUNK + 5), 2 * CHUNK);
        assert_eq!(c.len(), 3 * CHUNK + 9);
        assert_eq!(&c[0] as *const usize, kept, "a retained entry moved");
        assert!(c.iter().copied().eq(2 * CHUNK..5 * CHUNK + 9));
        for i in 0..CHUNK {
            c.push(9_000_000 + i);
        }
        assert_eq!(c[3 * CHUNK + 9], 9_000_000);
        assert_eq!(c.drop_front_chunks(usize::MAX), 4 * CHUNK);
        assert_eq!(c.len(), 9);
        assert_eq!(c.view(..).first(), Some(&(9_000_000 + CHUNK - 9)));
    }
}
