//! Runs a future that never waits to completion, on the calling thread.
//!
//! Everything measured in-process here completes without waiting (fixed keys, the
//! in-memory store), so one poll with a no-op waker is the whole executor: no
//! runtime, no allocation, the same overhead for every contender.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` once; it must be ready.
pub fn poll_once<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited: poll_once runs only futures that never wait"),
    }
}
