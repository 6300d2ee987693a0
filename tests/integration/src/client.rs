//! A small HTTP/1.1 client for integration tests: real requests over loopback,
//! one connection each (`Connection: close`), every wait bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bound on one whole exchange.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A response: status, headers (lowercase names; repeated ones joined by `, `),
/// and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: BTreeMap<String, String>,
    /// The body, as text.
    pub body: String,
    /// Every header line as sent, in order: name (lowercase) and value.
    pub fields: Vec<(String, String)>,
}

impl Response {
    /// Every value of the header `name` (lowercase), one per header line.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// If the body is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// A request to send.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path and query.
    pub path: &'a str,
    /// A bearer token for `Authorization`.
    pub bearer: Option<&'a str>,
    /// A JSON body.
    pub json: Option<String>,
    /// The `content-type` of the body: `application/json` when `None`; `""`
    /// sends none.
    pub content_type: Option<&'a str>,
    /// Extra headers.
    pub headers: Vec<(&'a str, String)>,
}

/// Sends `request` to `addr` and reads the whole response.
///
/// # Panics
/// On a connection error, a malformed response, or after [`TIMEOUT`].
pub async fn send(addr: SocketAddr, request: Request<'_>) -> Response {
    tokio::time::timeout(TIMEOUT, exchange(addr, &request))
        .await
        .unwrap_or_else(|_| panic!("{} {} timed out", request.method, request.path))
}

/// `GET path` with an optional bearer token.
pub async fn get(addr: SocketAddr, path: &str, bearer: Option<&str>) -> Response {
    send(
        addr,
        Request {
            method: "GET",
            path,
            bearer,
            ..Request::default()
        },
    )
    .await
}

/// `method path` with an optional bearer token and JSON body.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    json: Option<serde_json::Value>,
) -> Response {
    send(
        addr,
        Request {
            method,
            path,
            bearer,
            json: json.map(|j| j.to_string()),
            ..Request::default()
        },
    )
    .await
}

async fn exchange(addr: SocketAddr, request: &Request<'_>) -> Response {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the test server");
    let body = request.json.as_deref().unwrap_or("");
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method,
        request.path,
        body.len()
    );
    match (request.json.is_some(), request.content_type) {
        (true, None) => head.push_str("content-type: application/json\r\n"),
        (true, Some(kind)) if !kind.is_empty() => {
            let _ = write!(head, "content-type: {kind}\r\n");
        }
        _ => {}
    }
    if let Some(token) = request.bearer {
        let _ = write!(head, "authorization: Bearer {token}\r\n");
    }
    for (name, value) in &request.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("write the request");
    // A server may answer (413) and close before it has read the whole body: the
    // write may fail then, and the answer is still there to read.
    let _ = stream.write_all(body.as_bytes()).await;
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw).await;
    if raw.is_empty() {
        read.expect("read the response");
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a complete response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut fields = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            headers
                .entry(name.trim().to_ascii_lowercase())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value.trim());
                })
                .or_insert_with(|| value.trim().to_owned());
        }
    }
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response {
        status,
        headers,
        body,
        fields,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
