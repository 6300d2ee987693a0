//! The per-request memo: a policy that asks to be memoized
//! ([`Policy::MEMO`](crate::Policy::MEMO)) decides once per request for the
//! same resource, however many times it is asked (a resource gate and a body
//! call, a list and its rows, a remote policy engine asked twice).

use std::any::TypeId;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::Decision;

/// How many decisions one request keeps; past it, decisions are made again
/// (never dropped silently: an answer that is not kept is recomputed).
const CAPACITY: usize = 64;

/// Which decision: the policy (its action type and resource type), the
/// resource's id, and the state it read (by address: the same state value).
#[derive(Clone, PartialEq, Eq)]
struct Key {
    action: TypeId,
    /// The type's name and `KIND`: `TypeId` would need `R: 'static`.
    resource: (&'static str, &'static str),
    id: String,
    state: usize,
}

/// The decisions kept so far: few, so a list scanned in order.
type Kept = Mutex<Vec<(Key, Decision)>>;

/// The decisions of one request, shared by the clones of its principal.
#[derive(Clone, Default)]
pub(crate) struct Memo(Option<Arc<Kept>>);

impl Memo {
    /// A memo for a new request.
    pub(crate) fn new() -> Self {
        Memo(Some(Arc::default()))
    }

    pub(crate) fn key<A: 'static, R: crate::Resource + ?Sized, S: ?Sized>(
        resource: &R,
        state: &S,
    ) -> MemoKey {
        MemoKey(Key {
            action: TypeId::of::<A>(),
            resource: (std::any::type_name::<R>(), R::KIND),
            id: resource.id().to_string(),
            state: std::ptr::from_ref(state).cast::<()>() as usize,
        })
    }

    /// The decision kept for `key`, if any.
    pub(crate) fn get(&self, key: &MemoKey) -> Option<Decision> {
        let memo = self.0.as_ref()?;
        let kept = memo.lock().ok()?;
        kept.iter()
            .find(|(k, _)| *k == key.0)
            .map(|(_, decision)| decision.clone())
    }

    /// Keeps `decision` for `key`. An unavailable or rate-limited decision is
    /// never kept: the next ask may be answered.
    pub(crate) fn put(&self, key: MemoKey, decision: &Decision) {
        if decision.is_unavailable() || decision.is_rate_limited() {
            return;
        }
        let Some(memo) = &self.0 else { return };
        let Ok(mut kept) = memo.lock() else { return };
        if kept.len() < CAPACITY && !kept.iter().any(|(k, _)| *k == key.0) {
            kept.push((key.0, decision.clone()));
        }
    }
}

/// The key of one decision in the memo.
pub(crate) struct MemoKey(Key);

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self
            .0
            .as_ref()
            .and_then(|memo| memo.lock().ok().map(|kept| kept.len()));
        f.debug_struct("Memo").field("decisions", &kept).finish()
    }
}

/// Two principals are equal whatever they have decided so far.
impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}

impl Eq for Memo {}
