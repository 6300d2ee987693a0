//! `ORDERS_API_BODY_TIMEOUT` on actix-web, which has no such setting: a
//! middleware that gives each request body a deadline, in total (a trickle does
//! not extend it), and answers `408` when it passes.
//!
//! ```no_run
//! # fn app(limits: examples::config::ConnectionLimits) {
//! use actix_web::App;
//! use actix_web::middleware::from_fn;
//! use examples::actix_body_deadline::body_deadline;
//!
//! let timeout = limits.body_timeout;
//! let app = App::new().wrap(from_fn(move |request, next| body_deadline(timeout, request, next)));
//! # }
//! ```

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse};
use futures_core::Stream;

use crate::error::ApiError;

/// Runs the request with its body behind a `timeout` deadline; a body not
/// received in time is a `408` in the service's JSON error format, and the
/// connection is closed after it.
///
/// # Errors
/// Whatever the inner service fails with.
pub async fn body_deadline(
    timeout: Duration,
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let timed_out = Rc::new(Cell::new(false));
    let inner = request.parts_mut().1.take();
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(DeadlineStream {
            inner,
            deadline: Box::pin(actix_web::rt::time::sleep(timeout)),
            timed_out: Rc::clone(&timed_out),
        });
    request.set_payload(Payload::from(stream));
    let response = next.call(request).await?;
    if timed_out.get() {
        return Ok(response.into_response(
            HttpResponse::RequestTimeout()
                .content_type("application/json")
                .force_close()
                .body(ApiError::body(
                    "request_timeout",
                    "the request body was not received in time",
                )),
        ));
    }
    Ok(response.map_into_boxed_body())
}

/// The payload, failing once its deadline has passed.
struct DeadlineStream {
    inner: Payload,
    deadline: Pin<Box<actix_web::rt::time::Sleep>>,
    timed_out: Rc<Cell<bool>>,
}

impl Stream for DeadlineStream {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request body was not received in time",
            )))));
        }
        Pin::new(&mut this.inner).poll_next(cx)
    }
}
