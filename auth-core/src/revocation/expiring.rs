//! A bounded map whose entries expire: the table behind the in-memory stores.

use std::cmp::Reverse;
use std::collections::hash_map::Entry as Slot;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use foldhash::fast::RandomState;

use super::StoreError;

/// One value and the instant after which it may be forgotten.
#[derive(Debug)]
pub(crate) struct Entry<V> {
    pub(crate) value: V,
    pub(crate) until: SystemTime,
}

/// A map of at most `capacity` entries, each kept until its `until`.
///
/// Expired entries are dropped on every write, oldest deadline first, from a heap
/// of deadlines: a write costs `O(log n)` amortised, never a scan. A lookup never
/// looks at the clock: an entry that expired but was not dropped yet is still
/// returned, which only ever errs on the side of "revoked". When the map is full
/// of live entries it refuses new ones ([`StoreError::Full`]): evicting a live
/// entry would silently forget a revocation that still matters.
#[derive(Debug)]
pub(crate) struct ExpiringMap<V> {
    /// Keys come from verified tokens, not from whoever sends a request; a
    /// randomly seeded `foldhash` costs about a third of `SipHash` per lookup.
    entries: HashMap<Arc<str>, Entry<V>, RandomState>,
    /// Every deadline ever set; stale ones (the entry is gone or was extended) are
    /// skipped when popped, and the heap is rebuilt when they pile up.
    deadlines: BinaryHeap<Reverse<(SystemTime, Arc<str>)>>,
    capacity: usize,
}

impl<V> ExpiringMap<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        ExpiringMap {
            entries: HashMap::default(),
            deadlines: BinaryHeap::new(),
            capacity,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Entry<V>> {
        self.entries.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Entry<V>> {
        self.entries.get_mut(key)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether one more entry fits (call [`purge`](Self::purge) first).
    pub(crate) fn room(&self) -> Result<(), StoreError> {
        if self.entries.len() < self.capacity {
            Ok(())
        } else {
            Err(StoreError::Full {
                capacity: self.capacity,
            })
        }
    }

    /// Drops every entry whose `until` is at or before `now`.
    pub(crate) fn purge(&mut self, now: SystemTime) {
        while let Some(Reverse((deadline, _))) = self.deadlines.peek() {
            if *deadline > now {
                break;
            }
            let Some(Reverse((deadline, key))) = self.deadlines.pop() else {
                break;
            };
            if let Slot::Occupied(slot) = self.entries.entry(key) {
                // A later deadline for the same key is still in the heap.
                if slot.get().until <= deadline {
                    slot.remove();
                }
            }
        }
        if self.deadlines.len() > self.entries.len().saturating_mul(2).saturating_add(64) {
            self.deadlines = self
                .entries
                .iter()
                .map(|(key, entry)| Reverse((entry.until, Arc::clone(key))))
                .collect();
        }
    }

    /// Inserts `key`, or merges `value` into the entry already there and extends
    /// its `until`. Refuses a new key when the map is full of live entries.
    pub(crate) fn upsert(
        &mut self,
        key: &str,
        value: V,
        until: SystemTime,
        now: SystemTime,
        merge: impl FnOnce(&mut V, V),
    ) -> Result<(), StoreError> {
        self.purge(now);
        let extended = match self.entries.get_mut(key) {
            None => return self.insert_new(key, value, until, now),
            Some(entry) => {
                merge(&mut entry.value, value);
                let extended = until > entry.until;
                if extended {
                    entry.until = until;
                }
                extended
            }
        };
        if extended && let Some((key, _)) = self.entries.get_key_value(key) {
            let key = Arc::clone(key);
            self.deadlines.push(Reverse((until, key)));
        }
        Ok(())
    }

    /// Inserts `key`, which must not be present.
    pub(crate) fn insert_new(
        &mut self,
        key: &str,
        value: V,
        until: SystemTime,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        self.purge(now);
        if self.entries.contains_key(key) {
            return Err(StoreError::DuplicateId);
        }
        self.room()?;
        let key: Arc<str> = Arc::from(key);
        self.deadlines.push(Reverse((until, Arc::clone(&key))));
        self.entries.insert(key, Entry { value, until });
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn entries_are_dropped_at_their_deadline_not_before() {
        let mut map = ExpiringMap::new(10);
        map.insert_new("a", (), t(100), t(0)).unwrap();
        map.purge(t(99));
        assert!(map.get("a").is_some());
        map.purge(t(100));
        assert!(map.get("a").is_none());
    }

    #[test]
    fn extending_an_entry_keeps_it_past_its_first_deadline() {
        let mut map = ExpiringMap::new(10);
        map.upsert("a", 1, t(100), t(0), |_, _| {}).unwrap();
        map.upsert("a", 5, t(200), t(1), |old, new| *old = (*old).max(new))
            .unwrap();
        map.purge(t(150));
        assert_eq!(map.get("a").map(|e| e.value), Some(5));
        map.purge(t(200));
        assert!(map.get("a").is_none());
    }

    #[test]
    fn a_full_map_makes_room_only_from_expired_entries() {
        let mut map = ExpiringMap::new(2);
        map.insert_new("a", (), t(10), t(0)).unwrap();
        map.insert_new("b", (), t(20), t(0)).unwrap();
        assert!(matches!(
            map.insert_new("c", (), t(30), t(5)),
            Err(StoreError::Full { capacity: 2 })
        ));
        // "a" expired: it makes room, the live "b" stays.
        map.insert_new("c", (), t(30), t(10)).unwrap();
        assert!(map.get("a").is_none());
        assert!(map.get("b").is_some());
        assert!(map.get("c").is_some());
    }

    #[test]
    fn stale_deadlines_do_not_pile_up() {
        let mut map = ExpiringMap::new(10);
        for i in 0..1_000 {
            map.upsert("a", (), t(i + 1), t(0), |(), ()| {}).unwrap();
        }
        assert!(map.deadlines.len() <= 2 * map.len() + 65);
    }
}
