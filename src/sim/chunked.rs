//! `Chunked<T>`: a growable array stored in fixed-size chunks and indexed like a `Vec`, for the
//! engine's slabs (tasks, messages, stored queue messages) that can reach millions of entries.
//!
//! A `Vec` that doubles copies everything it holds in one go: a retry storm's backlog of two
//! million tasks is a 200 MB copy, long enough to freeze a browser tab for a frame or more.
//! Growing a `Chunked` allocates one more chunk and never moves what is stored.

use std::ops::{Index, IndexMut};

/// Entries per chunk (a power of two).
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// A `Vec`-like array that grows a chunk at a time.
#[derive(Clone, Debug)]
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

    pub(crate) fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks
            .last_mut()
            .expect("a chunk with room was pushed above")
            .push(value);
        self.len += 1;
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks
            .get(i >> CHUNK_BITS)
            .and_then(|c| c.get(i & MASK))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
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
    #[should_panic]
    fn indexing_past_the_end_panics_like_a_vec() {
        let mut c = Chunked::new();
        c.push(1u8);
        let _ = c[1];
    }
}
