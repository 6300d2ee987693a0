//! What a policy may know about the request besides the principal and the
//! resource: when it came, how (method and route), and from where (the client's
//! address, through a trusted-proxy rule), without globals.
//!
//! [`authenticate`](crate::authenticate) records a [`RequestContext`] with every
//! principal, so rules read it from the principal they are given:
//!
//! ```
//! use auth_core::{Action, Authenticated, Decision, Policy, Resource};
//!
//! #[derive(Action)]
//! struct Export;
//! struct Report { id: u64 }
//! # impl Resource for Report {
//! #     const KIND: &'static str = "report";
//! #     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! # }
//!
//! impl Policy<Report> for Export {
//!     type Principal = ();
//!     type State = ();
//!     fn decide(user: &Authenticated<()>, _: &Report, _: &()) -> Decision {
//!         // Exports from the office network only.
//!         let office = user
//!             .context()
//!             .client()
//!             .is_some_and(|ip| matches!(ip, std::net::IpAddr::V4(v4) if v4.octets()[..2] == [10, 1]));
//!         Decision::allow_if(office, "from the office", "not from the office")
//!     }
//! }
//! ```
//!
//! The client address is the TCP peer unless the peer is a proxy you trust
//! ([`TrustedProxies`], set with
//! [`SharedAuthenticator::with_trusted_proxies`](crate::SharedAuthenticator::with_trusted_proxies)):
//! then `X-Forwarded-For` is read from the right, skipping trusted proxies, and
//! the first address that is not one is the client. A raw `X-Forwarded-For` is
//! never believed: any client can send one.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use http::request::Parts;
use http::{HeaderMap, Method};

/// The request a principal was authenticated for: when, how and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    at: SystemTime,
    method: Method,
    route: Option<Arc<str>>,
    peer: Option<IpAddr>,
    client: Option<IpAddr>,
}

/// The context of a principal made without a request.
pub(crate) static NO_CONTEXT: RequestContext = RequestContext {
    at: SystemTime::UNIX_EPOCH,
    method: Method::GET,
    route: None,
    peer: None,
    client: None,
};

impl Default for RequestContext {
    fn default() -> Self {
        NO_CONTEXT.clone()
    }
}

impl RequestContext {
    /// The context of `request`, received now; its client by `proxies`.
    pub fn of(request: &Parts, proxies: &TrustedProxies) -> Self {
        let peer = peer_of(request);
        RequestContext {
            at: SystemTime::now(),
            method: request.method.clone(),
            route: route_of(request),
            peer,
            client: peer.and_then(|peer| proxies.client(peer, &request.headers)),
        }
    }

    /// A context for tests and for requests that did not come over a network:
    /// received `at`, by `method`, from no address, on no route.
    pub fn new(at: SystemTime, method: Method) -> Self {
        RequestContext {
            at,
            method,
            ..RequestContext::default()
        }
    }

    /// Sets the client address (and the peer's, when none is set).
    #[must_use]
    pub fn with_client(mut self, client: IpAddr) -> Self {
        self.client = Some(client);
        self.peer.get_or_insert(client);
        self
    }

    /// Sets the matched route template, e.g. `/orders/{id}`.
    #[must_use]
    pub fn with_route(mut self, route: impl Into<Arc<str>>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// When the request was authenticated: the one "now" of its decisions.
    pub fn at(&self) -> SystemTime {
        self.at
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The route template the request matched (`/orders/{id}`), when the
    /// framework told: axum's `MatchedPath`, actix-web's match pattern.
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// The TCP peer's address, when the server told (axum's `ConnectInfo`, a
    /// [`PeerAddr`] extension, actix-web's peer address).
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }

    /// The client's address: the peer, or, behind trusted proxies, the first
    /// address of `X-Forwarded-For` (from the right) that is not a trusted proxy.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }
}

/// The TCP peer of a request, as a request extension: what a server that is
/// not axum or actix-web inserts into the request for
/// [`RequestContext::peer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The route template a request matched, as a request extension, for servers
/// that are not axum or actix-web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRoute(pub Arc<str>);

fn peer_of(request: &Parts) -> Option<IpAddr> {
    if let Some(PeerAddr(addr)) = request.extensions.get::<PeerAddr>() {
        return Some(addr.ip().to_canonical());
    }
    #[cfg(feature = "axum")]
    if let Some(info) = request
        .extensions
        .get::<::axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(info.0.ip().to_canonical());
    }
    None
}

fn route_of(request: &Parts) -> Option<Arc<str>> {
    if let Some(MatchedRoute(route)) = request.extensions.get::<MatchedRoute>() {
        return Some(Arc::clone(route));
    }
    #[cfg(feature = "axum")]
    if let Some(path) = request.extensions.get::<::axum::extract::MatchedPath>() {
        return Some(Arc::from(path.as_str()));
    }
    None
}

/// Which peers are proxies whose `X-Forwarded-For` is believed.
///
/// [`none`](Self::none) (the default) believes no header: the client is the
/// TCP peer. Behind a load balancer, name its addresses (or networks):
///
/// ```
/// use auth_core::context::TrustedProxies;
/// use http::HeaderMap;
///
/// let proxies = TrustedProxies::cidrs(["10.0.0.0/8", "::1/128"])?;
/// let mut headers = HeaderMap::new();
/// headers.append("x-forwarded-for", "203.0.113.9, 10.0.0.7".parse()?);
/// // The peer is a trusted proxy: the header is read from the right, skipping
/// // trusted proxies.
/// assert_eq!(proxies.client("10.0.0.2".parse()?, &headers), Some("203.0.113.9".parse()?));
/// // Anyone else's header is not believed.
/// assert_eq!(proxies.client("198.51.100.1".parse()?, &headers), Some("198.51.100.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Cidr>,
}

/// A CIDR block that is not `address/prefix` with a prefix the address has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a proxy network: write `address/prefix` with a prefix of 1 or more (never `/0`, which would trust every client), e.g. `10.0.0.0/8` or `fd00::/8`"
)]
pub struct InvalidNetwork(String);

impl TrustedProxies {
    /// No proxy is trusted: the client is the TCP peer.
    pub fn none() -> Self {
        TrustedProxies::default()
    }

    /// Trusts the peers in `networks` (`10.0.0.0/8`, `fd00::/8`, or one
    /// address `192.0.2.1/32`). A `/0` network is refused: it would let every
    /// client choose its own address.
    ///
    /// # Errors
    /// [`InvalidNetwork`] for a network that does not parse.
    pub fn cidrs<S: AsRef<str>>(
        networks: impl IntoIterator<Item = S>,
    ) -> Result<Self, InvalidNetwork> {
        let networks = networks
            .into_iter()
            .map(|network| Cidr::parse(network.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { networks })
    }

    /// Whether `address` is a trusted proxy.
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.networks
            .iter()
            .any(|network| network.contains(address))
    }

    /// The client of a request from `peer` carrying `headers`: `peer` unless it
    /// is a trusted proxy; then, in `X-Forwarded-For` read from the right, the
    /// first address that is not a trusted proxy (or the leftmost, when all
    /// are). `None` when the walk meets an entry that is not an address before
    /// it finds the client: a header that cannot be read names no client, and
    /// never the proxy's own address. Entries are split on `,` as bytes, so a
    /// client's unreadable prefix cannot hide the address a proxy appended to
    /// the same line. IPv4-mapped IPv6 addresses are read as IPv4.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let lines: Vec<&[u8]> = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(http::HeaderValue::as_bytes)
            .collect();
        for line in lines.iter().rev() {
            for entry in line.rsplit(|byte| *byte == b',') {
                let hop = std::str::from_utf8(entry)
                    .ok()
                    .and_then(|entry| entry.trim().parse::<IpAddr>().ok())?
                    .to_canonical();
                client = hop;
                if !self.trusts(hop) {
                    return Some(client);
                }
            }
        }
        Some(client)
    }
}

/// An IP network. Hand-written rather than `ipnet`: the address is parsed by
/// `std`, the rest is one integer and a mask.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    fn parse(text: &str) -> Result<Self, InvalidNetwork> {
        let invalid = || InvalidNetwork(text.chars().take(64).collect());
        let (address, prefix) = text.trim().split_once('/').ok_or_else(invalid)?;
        let network: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        // `/0` trusts every peer, so every client could choose its address:
        // never what a proxy rule means.
        if prefix > bits || prefix == 0 {
            return Err(invalid());
        }
        Ok(Cidr { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            // An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) is its IPv4 address.
            (IpAddr::V4(_), IpAddr::V6(address)) => address
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", line.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_or_say_what_to_write() {
        assert!(TrustedProxies::cidrs(["10.0.0.0/8", "fd00::/8", "0.0.0.0/1"]).is_ok());
        for bad in [
            "0.0.0.0/0",
            "::/0",
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "x/8",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "",
        ] {
            let error = TrustedProxies::cidrs([bad]).unwrap_err();
            assert!(
                error.to_string().contains("address/prefix"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn membership_follows_the_prefix() {
        let proxies =
            TrustedProxies::cidrs(["10.1.0.0/16", "2001:db8::/32", "192.0.2.7/32"]).unwrap();
        assert!(proxies.trusts(ip("10.1.255.255")));
        assert!(!proxies.trusts(ip("10.2.0.0")));
        assert!(proxies.trusts(ip("2001:db8:ffff::1")));
        assert!(!proxies.trusts(ip("2001:db9::1")));
        assert!(proxies.trusts(ip("192.0.2.7")));
        assert!(!proxies.trusts(ip("192.0.2.8")));
        assert!(proxies.trusts(ip("::ffff:10.1.0.1")));
        assert!(!TrustedProxies::none().trusts(ip("127.0.0.1")));
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxies = TrustedProxies::cidrs(["10.0.0.0/8"]).unwrap();
        let proxy = ip("10.0.0.1");
        // A client-sent spoof on the left is skipped: the rightmost untrusted wins.
        let spoofed = headers(&["1.2.3.4, 203.0.113.9, 10.0.0.5"]);
        assert_eq!(proxies.client(proxy, &spoofed), Some(ip("203.0.113.9")));
        // Several header lines are one list, in order.
        let split = headers(&["1.2.3.4", "203.0.113.9", "10.0.0.5"]);
        assert_eq!(proxies.client(proxy, &split), Some(ip("203.0.113.9")));
        // No header: the proxy itself.
        assert_eq!(proxies.client(proxy, &HeaderMap::new()), Some(proxy));
        // Garbage before the client is found: no client, never the proxy.
        let garbage = headers(&["203.0.113.9, nonsense, 10.0.0.5"]);
        assert_eq!(proxies.client(proxy, &garbage), None);
        // Garbage left of the client is the client's own business.
        let prefixed = headers(&["nonsense, 203.0.113.9"]);
        assert_eq!(proxies.client(proxy, &prefixed), Some(ip("203.0.113.9")));
        // All trusted: the leftmost.
        let internal = headers(&["10.9.9.9, 10.0.0.5"]);
        assert_eq!(proxies.client(proxy, &internal), Some(ip("10.9.9.9")));
        // An untrusted peer's header is never read.
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &spoofed),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(TrustedProxies::none().client(proxy, &spoofed), Some(proxy));
        // IPv4-mapped addresses are IPv4.
        assert_eq!(
            TrustedProxies::none().client(ip("::ffff:203.0.113.9"), &HeaderMap::new()),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_context_reads_the_peer_and_route_extensions() {
        let (mut parts, ()) = http::Request::builder()
            .method("DELETE")
            .header("x-forwarded-for", "203.0.113.9")
            .body(())
            .unwrap()
            .into_parts();
        parts
            .extensions
            .insert(PeerAddr("10.0.0.1:4000".parse().unwrap()));
        parts
            .extensions
            .insert(MatchedRoute(Arc::from("/orders/{id}")));
        let trusted = TrustedProxies::cidrs(["10.0.0.0/8"]).unwrap();
        let context = RequestContext::of(&parts, &trusted);
        assert_eq!(context.method(), Method::DELETE);
        assert_eq!(context.route(), Some("/orders/{id}"));
        assert_eq!(context.peer(), Some(ip("10.0.0.1")));
        assert_eq!(context.client(), Some(ip("203.0.113.9")));
        let untrusted = RequestContext::of(&parts, &TrustedProxies::none());
        assert_eq!(untrusted.client(), Some(ip("10.0.0.1")));
        let nowhere = RequestContext::of(&http::Request::new(()).into_parts().0, &trusted);
        assert_eq!((nowhere.peer(), nowhere.client()), (None, None));
    }
}
