//! `Slab<T>`: the engine's one generational slab (tasks, calls, messages on the wire, stored
//! queue messages), over `Chunked` so growing it never moves millions of entries; and `Id<T>`,
//! a typed index into one, so a task's number can never be used as a call's.
//!
//! Freed slots are reused last-freed-first, and each slot counts its lives (`gen`): an event
//! that names `(id, gen)` of a slot freed since is recognised as stale, however often the slot
//! was reused. The reuse order is part of the engine's determinism: it decides which slot a new
//! entry gets, and slot order is the order crashes and views visit entries.

use crate::sim::chunked::Chunked;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index into a `Slab<T>` (or a table of `T`).
pub(crate) struct Id<T> {
    raw: u32,
    _of: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    #[inline(always)]
    pub(crate) const fn new(raw: u32) -> Id<T> {
        Id {
            raw,
            _of: PhantomData,
        }
    }

    /// The number, for packing into an event or a message.
    #[inline(always)]
    pub(crate) const fn raw(self) -> u32 {
        self.raw
    }
}

// Derives would ask `T` for the same traits; an id is a number whatever it names.
impl<T> Clone for Id<T> {
    fn clone(&self) -> Id<T> {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Id<T>) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Id<T>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Id<T>) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.raw)
    }
}

#[derive(Clone, Debug)]
struct Slot<T> {
    /// Lives this slot has ended (bumped on `remove`).
    gen: u32,
    live: bool,
    value: T,
}

/// Entries that come and go, each at a stable `Id<T>` while it lives.
#[derive(Clone, Debug)]
pub(crate) struct Slab<T> {
    slots: Chunked<Slot<T>>,
    /// Freed slots, reused last first.
    free: Vec<u32>,
    /// Live entries.
    live: u32,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            slots: Chunked::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Live entries.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.live
    }

    /// Slots ever used (live or free).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Stores a new live entry built by `make` from what the reused slot last held (`None` for
    /// a fresh slot) and returns its id. Inlined so the entry is written straight into the slot.
    #[inline(always)]
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(Option<&T>) -> T) -> Id<T> {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                let slot = &mut self.slots[i as usize];
                slot.value = make(Some(&slot.value));
                slot.live = true;
                Id::new(i)
            }
            None => {
                self.slots.push(Slot {
                    gen: 0,
                    live: true,
                    value: make(None),
                });
                Id::new((self.slots.len() - 1) as u32)
            }
        }
    }

    /// Stores a new live entry and returns its id.
    #[inline(always)]
    pub(crate) fn insert(&mut self, value: T) -> Id<T> {
        self.insert_with(|_| value)
    }

    /// Ends the entry's life (its generation moves on); `false` if it was not live.
    pub(crate) fn remove(&mut self, id: Id<T>) -> bool {
        let slot = &mut self.slots[id.raw as usize];
        if !slot.live {
            return false;
        }
        slot.live = false;
        slot.gen = slot.gen.wrapping_add(1);
        self.free.push(id.raw);
        self.live -= 1;
        true
    }

    /// The current generation of the slot (what a timer for the entry living there records).
    #[inline]
    pub(crate) fn gen(&self, id: Id<T>) -> u32 {
        self.slots[id.raw as usize].gen
    }

    /// Whether `id` names a live entry.
    #[inline]
    pub(crate) fn is_live(&self, id: Id<T>) -> bool {
        self.slots.get(id.raw as usize).is_some_and(|s| s.live)
    }

    /// Whether `id` names a live entry of generation `gen` (a timer for it is not stale).
    #[inline]
    pub(crate) fn is_current(&self, id: Id<T>, gen: u32) -> bool {
        self.slots
            .get(id.raw as usize)
            .is_some_and(|s| s.live && s.gen == gen)
    }

    /// The live entry at `id`, if any.
    #[inline]
    pub(crate) fn get(&self, id: Id<T>) -> Option<&T> {
        self.slots
            .get(id.raw as usize)
            .filter(|s| s.live)
            .map(|s| &s.value)
    }

    /// Live entries in slot order.
    pub(crate) fn iter_live(&self) -> impl Iterator<Item = (Id<T>, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live)
            .map(|(i, s)| (Id::new(i as u32), &s.value))
    }
}

impl<T> Id<T> {
    /// The number as an index into a table of `T` (or a per-`T` metrics table).
    #[inline(always)]
    pub(crate) const fn ix(self) -> usize {
        self.raw as usize
    }
}

/// A table of `T` (the compiled world's services, mailboxes, …) is indexed by `Id<T>`.
impl<T> Index<Id<T>> for Vec<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, id: Id<T>) -> &T {
        &self[id.raw as usize]
    }
}

impl<T> IndexMut<Id<T>> for Vec<T> {
    #[inline(always)]
    fn index_mut(&mut self, id: Id<T>) -> &mut T {
        &mut self[id.raw as usize]
    }
}

impl<T> Index<Id<T>> for Slab<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, id: Id<T>) -> &T {
        &self.slots[id.raw as usize].value
    }
}

impl<T> IndexMut<Id<T>> for Slab<T> {
    #[inline(always)]
    fn index_mut(&mut self, id: Id<T>) -> &mut T {
        &mut self.slots[id.raw as usize].value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_last_first_with_a_new_generation() {
        let mut s: Slab<&str> = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        let c = s.insert("c");
        let (ga, gb) = (s.gen(a), s.gen(b));
        assert!(s.remove(a));
        assert!(!s.remove(a), "a second remove is refused");
        assert!(s.remove(b));
        assert!(!s.is_current(b, gb) && !s.is_current(a, ga));
        let d = s.insert_with(|old| {
            assert_eq!(old, Some(&"b"), "the reused slot's last value is offered");
            "d"
        });
        assert_eq!(d, b, "last freed, first reused");
        assert!(s.is_current(d, gb.wrapping_add(1)));
        assert_eq!(s.insert("e"), a);
        assert_eq!(s.insert("f").raw(), 3, "then fresh slots");
        let live: Vec<_> = s.iter_live().map(|(i, v)| (i.raw(), *v)).collect();
        assert_eq!(live, vec![(0, "e"), (1, "d"), (2, "c"), (3, "f")]);
        assert_eq!(s[c], "c");
        assert_eq!(s.capacity(), 4);
    }
}
