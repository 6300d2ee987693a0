//! Server-side sessions in a cookie, as an [`Authenticator`](crate::Authenticator)
//! (feature `session`).
//!
//! A browser signs in once (your login endpoint checks the password, then calls
//! [`Sessions::login`]) and from then on sends an opaque session id in a cookie;
//! [`SessionAuthenticator`] turns each request's cookie back into an
//! [`Authenticated`](crate::Authenticated) user, reloaded from the source of truth
//! by [`LoadUser`](crate::LoadUser).
//!
//! ```text
//! POST /login   (password ok)  ── sessions.login(sub, amr, acr) ──► Set-Cookie: __Host-sid=<id>; Secure; HttpOnly; SameSite=Lax; Path=/
//!                                                                  body: {"csrf_token": "<token>"}
//! POST /orders  Cookie + X-CSRF-Token ── SessionAuthenticator ──► Authenticated<User>
//! POST /step-up (otp ok)       ── sessions.rotate(headers, ..) ──► new cookie, new token; the old id is dead
//! POST /logout                 ── sessions.logout(headers) ─────► Set-Cookie: __Host-sid=; ...; Max-Age=0
//! ```
//!
//! # What the design guarantees
//!
//! - **The id is a 256-bit secret** from the operating system's random number
//!   generator ([`SessionId`]), in a `__Host-` cookie ([`SessionCookie`]):
//!   `Secure; HttpOnly; SameSite=Lax; Path=/`, no `Domain`. It carries nothing
//!   else: who the user is and what they may do stay on the server.
//! - **The store never holds an id.** Sessions are filed under the SHA-256 of
//!   the id ([`SessionKey`]), so a dump of the store (a backup, a `SCAN` of
//!   Redis) yields no cookie that works. Logs and audit events name a session by
//!   a non-secret [handle](SessionId::handle), the first 16 hex digits of that
//!   hash.
//! - **No fixation.** [`Sessions::login`] always makes a new id; nothing takes
//!   an id from the client. [`Sessions::rotate`] moves a session to a new id (and
//!   CSRF token) at every privilege change, in one atomic step: the old id is a
//!   401 at once, on every instance.
//! - **Timeouts.** A session unused for the idle timeout (30 minutes by default),
//!   or older than the absolute timeout (12 hours; rotation does not restart
//!   it), is a 401 and is deleted. The store forgets it by itself too (a Redis
//!   TTL at the sooner of the two).
//! - **Logout is immediate**: [`Sessions::logout`] deletes the record, so the
//!   cookie is a 401 on every instance that shares the store, even if the
//!   browser keeps it. [`Sessions::destroy_all_for`] ends every session of a user.
//! - **Current user.** Each request reloads the user by the session's subject
//!   ([`LoadUser`](crate::LoadUser)): a demoted admin loses access at their next
//!   request; a deleted user is a 401.
//! - **Forgery.** On unsafe methods (all but `GET`, `HEAD`, `OPTIONS`, `TRACE`,
//!   which must change nothing) the request must carry the session's CSRF token
//!   in `X-CSRF-Token` (a synchronizer token, compared in constant time), and
//!   pass the cross-site check (`Sec-Fetch-Site: same-origin` or a trusted
//!   `Origin`; WebSocket handshakes too). Either failure is a 403 whose audit
//!   event says which; both defenses are on unless turned off by a `dangerous_*`
//!   method. They run after the session verified: a bad session is a 401 first.
//! - **Fails closed.** A store that does not answer is a 503 with `Retry-After`,
//!   never an allow.
//!
//! # No lost updates
//!
//! Session middlewares often load the whole session, let the handler change it,
//! and write it all back at the end of the request: two concurrent requests then
//! overwrite each other (the cart item added by one disappears when the other
//! saves). Here nothing is ever written back whole. The data API works per key,
//! each call one atomic store operation: [`Sessions::set`] writes one key (Redis:
//! `HSET` on the session's hash), [`Sessions::increment`] adds to one counter
//! (`HINCRBY`), [`Sessions::remove`] deletes one key; the authenticator's
//! per-request bookkeeping writes the last-seen instant and nothing else. A read
//! returns the current value of one key ([`Sessions::get`]). The
//! [memory store](MemorySessionStore) does each operation under one lock.
//! Read-then-write sequences of your own (read a value, compute, write it back)
//! are not atomic across two calls: use a counter, or one key per writer.
//!
//! A write on a session that is gone (logged out, expired, rotated away by a
//! concurrent request) changes nothing and is a 401: it never resurrects a stub.
//!
//! # Statuses
//!
//! | case | answer |
//! |---|---|
//! | no session cookie | 401, [`AuthError::MissingCredentials`](crate::AuthError::MissingCredentials) |
//! | the cookie twice, or a value that is not an id | 401 `invalid_token` ([`TokenError::Malformed`](crate::TokenError::Malformed)), no store lookup |
//! | unknown id (never issued, logged out, rotated away) | 401 ([`TokenError::Revoked`](crate::TokenError::Revoked)) |
//! | idle or absolute timeout passed | 401 ([`TokenError::Expired`](crate::TokenError::Expired)), the session deleted |
//! | the user no longer exists | 401 ([`TokenError::UnknownSubject`](crate::TokenError::UnknownSubject)) |
//! | cross-site refusal, missing or wrong CSRF token | 403 `forbidden`, the reason in the audit event |
//! | the store (or the user store) does not answer | 503 `temporarily_unavailable`, `Retry-After: 1` |
//!
//! # Stores
//!
//! [`MemorySessionStore`] for one instance, [`RedisSessionStore`] (features
//! `session` and `redis`) to share sessions between instances, or your own
//! [`SessionStore`].

mod authenticator;
mod cookie;
mod csrf;
mod error;
mod id;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod sessions;
mod store;
#[cfg(test)]
mod tests;

pub use self::authenticator::{SessionAuthenticator, SessionAuthenticatorBuilder};
pub use self::cookie::SessionCookie;
pub use self::csrf::CSRF_HEADER;
pub use self::error::ConfigError;
pub use self::id::{SessionId, SessionKey};
pub use self::memory::MemorySessionStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisSessionStore;
pub use self::sessions::{NewSession, Rotation, Sessions, SessionsBuilder};
pub use self::store::{Opened, SessionRecord, SessionStore};
