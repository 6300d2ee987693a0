#![no_main]
//! The parsers of the credentials besides bearer tokens, on arbitrary bytes: a
//! `Cookie` header read for the session cookie (and by a chain for presence),
//! and an `X-API-Key` value. Neither may panic; a key that parses must keep
//! parsing to the same id, and an id that parses must be the 43 characters of
//! 256 bits.

use auth_core::Scheme;
use auth_core::session::SessionCookie;
use http::{HeaderMap, HeaderValue};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = auth_core::api_key::key_id(text) {
            assert_eq!(auth_core::api_key::key_id(text), Ok(id));
            assert!(text.starts_with(auth_core::api_key::PREFIX));
        }
    }
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.append(http::header::COOKIE, value.clone());
    let Ok(cookie) = SessionCookie::new("fuzz") else {
        return;
    };
    if let Ok(id) = cookie.id_in(&headers) {
        assert_eq!(id.expose_secret().len(), 43);
    }
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.headers = headers;
    let _ = Scheme::cookie(cookie.name()).is_presented(&parts);
    parts.headers.insert("x-api-key", value);
    let _ = Scheme::header(http::HeaderName::from_static("x-api-key")).is_presented(&parts);
});
