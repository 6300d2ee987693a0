//! The gRPC client: connection, preshared key, timeouts and retries, and the
//! calls a domain makes (checks, lookups, writes).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use super::generated::authzed::api::v1 as api;
use super::object::check_name;
use super::{
    Consistency, ObjectRef, RelationshipFilter, RelationshipUpdate, SpiceDbError, SpiceObject,
    SubjectRef, ZedToken,
};
use crate::Decision;
use crate::engine::{Evidence, Listing, Page};
use crate::filter::Filter;

use api::permissions_service_client::PermissionsServiceClient;
use api::schema_service_client::SchemaServiceClient;

/// The engine's name in audit events ([`Evidence::engine`]).
const ENGINE: &str = "spicedb";

/// The longest timeout [`SpiceDbBuilder::timeout`] accepts.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// A SpiceDB client: cheap to clone, shared by every request.
///
/// It connects lazily (the first call connects; a lost connection is made again
/// by the next call), sends the preshared key as `authorization: Bearer <key>`
/// on every call, bounds every call by a timeout, and retries a *read* (check,
/// lookup) whose answer was `UNAVAILABLE`, a few times with exponential backoff.
/// Writes are never retried: the caller decides.
///
/// ```no_run
/// use std::time::Duration;
/// use auth_core::spicedb::{Consistency, SpiceDb};
///
/// # async fn start() -> Result<(), auth_core::spicedb::SpiceDbError> {
/// let spicedb = SpiceDb::builder("https://spicedb.internal:50051", std::env::var("SPICEDB_KEY").unwrap_or_default())
///     .timeout(Duration::from_millis(500))
///     .retries(2)
///     .default_consistency(Consistency::fully_consistent())
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SpiceDb {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    channel: Channel,
    authorization: MetadataValue<Ascii>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    default: Consistency,
}

/// Configures a [`SpiceDb`]; from [`SpiceDb::builder`].
#[must_use]
pub struct SpiceDbBuilder {
    endpoint: String,
    key: String,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    default: Consistency,
    plaintext: bool,
}

impl SpiceDb {
    /// A client of the SpiceDB at `endpoint` (`https://host:port`, or
    /// `http://127.0.0.1:port` for a SpiceDB on the same machine), with its
    /// preshared key.
    ///
    /// Defaults: a 1 s timeout per call, 2 retries of a read answered
    /// `UNAVAILABLE` (after 50 ms, then 100 ms), and
    /// [`fully_consistent`](Consistency::fully_consistent) reads when no
    /// ZedToken is given.
    pub fn builder(
        endpoint: impl Into<String>,
        preshared_key: impl Into<String>,
    ) -> SpiceDbBuilder {
        SpiceDbBuilder {
            endpoint: endpoint.into(),
            key: preshared_key.into(),
            timeout: Duration::from_secs(1),
            retries: 2,
            backoff: Duration::from_millis(50),
            default: Consistency::fully_consistent(),
            plaintext: false,
        }
    }

    /// Whether `subject` has `permission` on `resource`, as a [`Decision`] a
    /// policy returns: allow for `PERMISSIONSHIP_HAS_PERMISSION`, deny (403) for
    /// `PERMISSIONSHIP_NO_PERMISSION`, and
    /// [unavailable](Decision::unavailable) (503) for anything else: an
    /// unreachable SpiceDB, a timeout, an error status, an id outside SpiceDB's
    /// grammar, and a conditional answer (a caveat whose context the request did
    /// not carry). The ZedToken the answer was computed at is its evidence.
    ///
    /// For a 404 instead of a 403, or to read the token, use
    /// [`check_permission`](Self::check_permission).
    pub async fn check<S, R>(
        &self,
        subject: &S,
        permission: &str,
        resource: &R,
        consistency: Consistency,
    ) -> Decision
    where
        S: SpiceObject + ?Sized,
        R: SpiceObject + ?Sized,
    {
        match self
            .check_permission(subject, permission, resource, consistency)
            .await
        {
            Ok(checked) => checked.decision(),
            Err(error) => unavailable(&error),
        }
    }

    /// Whether `subject` has `permission` on `resource`, with the revision the
    /// answer was computed at.
    ///
    /// # Errors
    ///
    /// Any [`SpiceDbError`]; a conditional answer is
    /// [`SpiceDbError::Conditional`].
    pub async fn check_permission<S, R>(
        &self,
        subject: &S,
        permission: &str,
        resource: &R,
        consistency: Consistency,
    ) -> Result<Checked, SpiceDbError>
    where
        S: SpiceObject + ?Sized,
        R: SpiceObject + ?Sized,
    {
        let item = CheckItem::new(subject, permission.to_owned(), resource)?;
        let request = api::CheckPermissionRequest {
            consistency: Some(consistency.to_api(&self.inner.default)),
            resource: Some(item.resource.to_api()),
            permission: item.permission.into_owned(),
            subject: Some(item.subject.to_api()),
            context: None,
            with_tracing: false,
        };
        let response = self
            .read(|| {
                let mut client = PermissionsServiceClient::new(self.inner.channel.clone());
                let request = self.request(request.clone());
                async move {
                    client
                        .check_permission(request)
                        .await
                        .map(tonic::Response::into_inner)
                }
            })
            .await?;
        let checked_at = ZedToken::from_api(response.checked_at).ok_or(SpiceDbError::Malformed(
            "a check answer without `checked_at`",
        ))?;
        let allowed = permissionship(response.permissionship, response.partial_caveat_info)?;
        Ok(Checked {
            allowed,
            checked_at,
        })
    }

    /// Several checks in one call (`CheckBulkPermissions`), e.g. a post-filter
    /// of rows: one [`Decision`] per item, in order, each as
    /// [`check`](Self::check) would answer it. When the call itself fails, every
    /// decision is unavailable.
    pub async fn check_bulk(&self, items: &[CheckItem], consistency: Consistency) -> Vec<Decision> {
        if items.is_empty() {
            return Vec::new();
        }
        let request = api::CheckBulkPermissionsRequest {
            consistency: Some(consistency.to_api(&self.inner.default)),
            items: items.iter().map(CheckItem::to_api).collect(),
            with_tracing: false,
        };
        let result = self
            .read(|| {
                let mut client = PermissionsServiceClient::new(self.inner.channel.clone());
                let request = self.request(request.clone());
                async move {
                    client
                        .check_bulk_permissions(request)
                        .await
                        .map(tonic::Response::into_inner)
                }
            })
            .await;
        let response = match result {
            Ok(response) if response.pairs.len() == items.len() => response,
            Ok(_) => {
                let error =
                    SpiceDbError::Malformed("a bulk check answer with another number of items");
                return items.iter().map(|_| unavailable(&error)).collect();
            }
            Err(error) => return items.iter().map(|_| unavailable(&error)).collect(),
        };
        let Some(checked_at) = ZedToken::from_api(response.checked_at) else {
            let error = SpiceDbError::Malformed("a bulk check answer without `checked_at`");
            return items.iter().map(|_| unavailable(&error)).collect();
        };
        items
            .iter()
            .zip(response.pairs)
            .map(|(item, pair)| {
                use api::check_bulk_permissions_pair::Response;
                // The answer must be about the item asked, not merely in its place.
                if pair.request.as_ref() != Some(&item.to_api()) {
                    return unavailable(&SpiceDbError::Malformed(
                        "a bulk check answer out of order",
                    ));
                }
                match pair.response {
                    Some(Response::Item(answer)) => {
                        match permissionship(answer.permissionship, answer.partial_caveat_info) {
                            Ok(allowed) => Checked {
                                allowed,
                                checked_at: checked_at.clone(),
                            }
                            .decision(),
                            Err(error) => unavailable(&error),
                        }
                    }
                    Some(Response::Error(status)) => unavailable(&SpiceDbError::Status {
                        code: super::error::code_name(tonic::Code::from_i32(status.code)),
                        message: status.message,
                    }),
                    None => unavailable(&SpiceDbError::Malformed(
                        "a bulk check item without an answer",
                    )),
                }
            })
            .collect()
    }

    /// One page of the resources of type `R` on which `subject` has
    /// `permission` (`LookupResources`, streamed): at most
    /// [`page.limit()`](Page::limit) ids after [`page.cursor()`](Page::cursor),
    /// and the cursor of the next page when there may be one (SpiceDB's own
    /// cursor, opaque). [`LookupPage::into_listing`] makes it the
    /// [`Listing`] of a [`ListPolicy`](crate::engine::ListPolicy). Resources granted only
    /// under a caveat whose context the request did not carry are left out.
    ///
    /// A page has no id twice, but a resource reachable by several paths (an
    /// owner who is also a viewer) may come again on a later page: SpiceDB
    /// streams it once per path, and its cursor does not remember which ids it
    /// sent. A page may thus also be shorter than `limit` and still have a next
    /// one. Every id is one the subject has `permission` on.
    ///
    /// # Errors
    ///
    /// Any [`SpiceDbError`].
    pub async fn lookup<R, S>(
        &self,
        subject: &S,
        permission: &str,
        page: Page<'_>,
        consistency: Consistency,
    ) -> Result<LookupPage, SpiceDbError>
    where
        R: SpiceObject + ?Sized,
        S: SpiceObject + ?Sized,
    {
        // `Page` keeps it within 1 to 1000, SpiceDB's default cap: never 0,
        // which SpiceDB reads as "no limit".
        let limit = page.limit();
        let cursor = page.cursor();
        check_name(permission)?;
        // The type alone: checked with a placeholder id.
        ObjectRef::new(R::TYPE, "x")?;
        let request = api::LookupResourcesRequest {
            consistency: Some(consistency.to_api(&self.inner.default)),
            resource_object_type: R::TYPE.to_owned(),
            permission: permission.to_owned(),
            subject: Some(SubjectRef::of(subject)?.to_api()),
            context: None,
            optional_limit: limit,
            optional_cursor: cursor.map(|token| api::Cursor {
                token: token.to_owned(),
            }),
        };
        self.read(|| {
            let mut client = PermissionsServiceClient::new(self.inner.channel.clone());
            let request = self.request(request.clone());
            async move {
                let mut stream = client.lookup_resources(request).await?.into_inner();
                let mut page = LookupPage::default();
                let mut streamed = 0u32;
                let mut last_cursor = None;
                while let Some(found) = stream.message().await? {
                    streamed += 1;
                    last_cursor = found.after_result_cursor.map(|cursor| cursor.token);
                    if page.looked_up_at.is_none() {
                        page.looked_up_at = ZedToken::from_api(found.looked_up_at);
                    }
                    // SpiceDB may stream a resource once per path that reaches it.
                    if found.permissionship == api::LookupPermissionship::HasPermission as i32
                        && !page.ids.contains(&found.resource_object_id)
                    {
                        page.ids.push(found.resource_object_id);
                    }
                    // Never more than asked: a server that streams past the
                    // limit is not read further (the cursor is the last read).
                    if streamed >= limit {
                        break;
                    }
                }
                // A full page may have a next one; a short page is the last.
                page.next = if streamed >= limit { last_cursor } else { None };
                Ok(page)
            }
        })
        .await
        .map_err(|error| match error {
            // With a cursor, the one argument the caller chose is the cursor.
            SpiceDbError::Status { code, .. } if cursor.is_some() && code == "INVALID_ARGUMENT" => {
                SpiceDbError::InvalidCursor
            }
            error => error,
        })
    }

    /// Writes relationships atomically (`WriteRelationships`) and returns the
    /// ZedToken of the write: store it with the row the relationships are about,
    /// and check that row [at least as fresh](Consistency::at_least_as_fresh).
    /// Not retried.
    ///
    /// # Errors
    ///
    /// Any [`SpiceDbError`]: nothing was written unless SpiceDB answered (a
    /// timeout leaves it unknown).
    pub async fn write_relationships(
        &self,
        updates: impl IntoIterator<Item = RelationshipUpdate>,
    ) -> Result<ZedToken, SpiceDbError> {
        let request = api::WriteRelationshipsRequest {
            updates: updates.into_iter().map(|update| update.to_api()).collect(),
            optional_preconditions: Vec::new(),
            optional_transaction_metadata: None,
        };
        let mut client = PermissionsServiceClient::new(self.inner.channel.clone());
        let response = self
            .once(client.write_relationships(self.request(request)))
            .await?;
        ZedToken::from_api(response.written_at).ok_or(SpiceDbError::Malformed(
            "a write answer without `written_at`",
        ))
    }

    /// Deletes every relationship `filter` matches (`DeleteRelationships`) and
    /// returns the ZedToken of the deletion. Not retried.
    ///
    /// # Errors
    ///
    /// Any [`SpiceDbError`].
    pub async fn delete_relationships(
        &self,
        filter: &RelationshipFilter,
    ) -> Result<ZedToken, SpiceDbError> {
        let request = api::DeleteRelationshipsRequest {
            relationship_filter: Some(filter.to_api()),
            optional_preconditions: Vec::new(),
            optional_limit: 0,
            optional_allow_partial_deletions: false,
            optional_transaction_metadata: None,
        };
        let mut client = PermissionsServiceClient::new(self.inner.channel.clone());
        let response = self
            .once(client.delete_relationships(self.request(request)))
            .await?;
        ZedToken::from_api(response.deleted_at).ok_or(SpiceDbError::Malformed(
            "a delete answer without `deleted_at`",
        ))
    }

    /// Writes the schema (`SchemaService.WriteSchema`), e.g. at start or in a
    /// migration. Not retried.
    ///
    /// # Errors
    ///
    /// Any [`SpiceDbError`]; a schema SpiceDB refuses is a
    /// [`SpiceDbError::Status`] with its message.
    pub async fn write_schema(&self, schema: &str) -> Result<(), SpiceDbError> {
        let request = api::WriteSchemaRequest {
            schema: schema.to_owned(),
        };
        let mut client = SchemaServiceClient::new(self.inner.channel.clone());
        self.once(client.write_schema(self.request(request)))
            .await
            .map(|_| ())
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.inner.authorization.clone());
        // SpiceDB stops working on it when the client has stopped waiting.
        request.set_timeout(self.inner.timeout);
        request
    }

    /// One call, bounded by the timeout.
    async fn once<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, SpiceDbError> {
        match tokio::time::timeout(self.inner.timeout, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(SpiceDbError::status(&status)),
            Err(_) => Err(SpiceDbError::Timeout(self.inner.timeout)),
        }
    }

    /// A read, each attempt bounded by the timeout; retried with exponential
    /// backoff while SpiceDB (or the connection) answers `UNAVAILABLE`, at most
    /// [`SpiceDbBuilder::retries`] times. A timeout is not retried: the time it
    /// was given is spent.
    async fn read<T, F, Fut>(&self, mut call: F) -> Result<T, SpiceDbError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, tonic::Status>>,
    {
        let mut attempt = 0;
        loop {
            match tokio::time::timeout(self.inner.timeout, call()).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(status))
                    if status.code() == tonic::Code::Unavailable
                        && attempt < self.inner.retries =>
                {
                    tokio::time::sleep(self.inner.backoff.saturating_mul(1 << attempt.min(16)))
                        .await;
                    attempt += 1;
                }
                Ok(Err(status)) => return Err(SpiceDbError::status(&status)),
                Err(_) => return Err(SpiceDbError::Timeout(self.inner.timeout)),
            }
        }
    }
}

impl fmt::Debug for SpiceDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpiceDb")
            .field("endpoint", &self.inner.endpoint)
            .field("timeout", &self.inner.timeout)
            .field("retries", &self.inner.retries)
            .field("default_consistency", &self.inner.default)
            .finish_non_exhaustive()
    }
}

impl SpiceDbBuilder {
    /// The bound on each call (each attempt of a retried read), 1 s by default.
    /// Sent to SpiceDB as the call's deadline too. More than zero and at most
    /// an hour, or [`build`](Self::build) refuses it
    /// ([`SpiceDbError::InvalidTimeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a read answered `UNAVAILABLE` is tried again, 2 by
    /// default; 0 never retries.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The wait before the first retry, doubled before each next one; 50 ms by
    /// default.
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// The consistency of reads that ask for
    /// [`Consistency::client_default`] (reads without a ZedToken):
    /// [`fully_consistent`](Consistency::fully_consistent) unless set, so an
    /// unshare is seen by the next check. `minimize_latency` is faster and may
    /// answer from data some seconds old (SpiceDB's quantization window).
    pub fn default_consistency(mut self, consistency: Consistency) -> Self {
        if consistency != Consistency::client_default() {
            self.default = consistency;
        }
        self
    }

    /// Allows `http://` (no TLS) to a host that is not loopback: the preshared
    /// key and every answer cross the network in clear text. Only for a network
    /// that encrypts on its own (a service mesh with mutual TLS).
    pub fn dangerous_plaintext(mut self) -> Self {
        self.plaintext = true;
        self
    }

    /// The client. It connects on the first call; build it inside a Tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidEndpoint`] for an endpoint that is not
    /// `https://host:port` (or `http://` to a loopback host, or with
    /// [`dangerous_plaintext`](Self::dangerous_plaintext)), and
    /// [`SpiceDbError::InvalidKey`] for a key that cannot be a header,
    /// [`SpiceDbError::InvalidTimeout`] for a timeout of zero or of more than an
    /// hour, [`SpiceDbError::NoRuntime`] outside a Tokio runtime.
    pub fn build(self) -> Result<SpiceDb, SpiceDbError> {
        // tonic spawns the connection's task when the channel is made.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SpiceDbError::NoRuntime);
        }
        let invalid = |reason| SpiceDbError::InvalidEndpoint {
            endpoint: self.endpoint.clone(),
            reason,
        };
        let endpoint = Endpoint::from_shared(self.endpoint.clone())
            .map_err(|_| invalid("write `https://host:port`"))?;
        let uri = endpoint.uri().clone();
        let endpoint = match uri.scheme_str() {
            Some("https") => endpoint
                .tls_config(ClientTlsConfig::new().with_native_roots())
                .map_err(|_| invalid("the TLS configuration failed"))?,
            Some("http") => {
                let host = uri.host().unwrap_or_default();
                if !self.plaintext && !is_loopback(host) {
                    return Err(invalid(
                        "`http://` sends the preshared key in clear text: write `https://`, or call `dangerous_plaintext()` for a network that encrypts on its own",
                    ));
                }
                endpoint
            }
            _ => {
                return Err(invalid(
                    "write `https://host:port` (or `http://` to a loopback host)",
                ));
            }
        };
        // Zero would make every call a 503; gRPC cannot send a deadline past
        // 99 999 999 hours (tonic panics writing it), and no check should wait
        // an hour.
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(SpiceDbError::InvalidTimeout(self.timeout));
        }
        let key = self.key.trim();
        if key.is_empty() {
            return Err(SpiceDbError::InvalidKey);
        }
        let authorization = MetadataValue::try_from(format!("Bearer {key}"))
            .map_err(|_| SpiceDbError::InvalidKey)?;
        let channel = endpoint
            .connect_timeout(self.timeout)
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(SpiceDb {
            inner: Arc::new(Inner {
                endpoint: self.endpoint,
                channel,
                authorization,
                timeout: self.timeout,
                retries: self.retries,
                backoff: self.backoff,
                default: self.default,
            }),
        })
    }
}

impl fmt::Debug for SpiceDbBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpiceDbBuilder")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The answer of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    allowed: bool,
    checked_at: ZedToken,
}

impl Checked {
    /// Whether SpiceDB said `PERMISSIONSHIP_HAS_PERMISSION`.
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// The revision the answer was computed at: the audit evidence.
    pub fn checked_at(&self) -> &ZedToken {
        &self.checked_at
    }

    /// Allow, or deny (403), with the ZedToken as [evidence](Evidence).
    pub fn decision(&self) -> Decision {
        let decision = if self.allowed {
            Decision::allow("spicedb: has permission")
        } else {
            Decision::deny("spicedb: no permission")
        };
        decision.with_evidence(self.evidence())
    }

    /// Allow, or not found (404: the resource's existence is hidden), with the
    /// ZedToken as [evidence](Evidence).
    pub fn decision_or_not_found(&self) -> Decision {
        if self.allowed {
            self.decision()
        } else {
            Decision::not_found("spicedb: no permission").with_evidence(self.evidence())
        }
    }

    /// The ZedToken as audit evidence: engine `spicedb`, detail the token.
    pub fn evidence(&self) -> Evidence {
        Evidence::new(ENGINE, self.checked_at.as_str().to_owned())
    }
}

/// One check of a [`check_bulk`](SpiceDb::check_bulk): checked when made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckItem {
    subject: SubjectRef,
    permission: Cow<'static, str>,
    resource: ObjectRef,
}

impl CheckItem {
    /// Whether `subject` has `permission` on `resource`.
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidObject`] or [`SpiceDbError::InvalidName`].
    pub fn new<S, R>(
        subject: &S,
        permission: impl Into<Cow<'static, str>>,
        resource: &R,
    ) -> Result<Self, SpiceDbError>
    where
        S: SpiceObject + ?Sized,
        R: SpiceObject + ?Sized,
    {
        let permission = permission.into();
        check_name(&permission)?;
        Ok(CheckItem {
            subject: SubjectRef::of(subject)?,
            permission,
            resource: ObjectRef::of(resource)?,
        })
    }

    fn to_api(&self) -> api::CheckBulkPermissionsRequestItem {
        api::CheckBulkPermissionsRequestItem {
            resource: Some(self.resource.to_api()),
            permission: self.permission.clone().into_owned(),
            subject: Some(self.subject.to_api()),
            context: None,
        }
    }
}

/// One page of a [`lookup`](SpiceDb::lookup).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupPage {
    ids: Vec<String>,
    next: Option<String>,
    looked_up_at: Option<ZedToken>,
}

impl LookupPage {
    /// The ids of this page's resources, in SpiceDB's order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The ids, owned.
    pub fn into_ids(self) -> Vec<String> {
        self.ids
    }

    /// The cursor of the next page, when there may be one (`None`: this page is
    /// the last).
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The revision the page was computed at (none for an empty page).
    pub fn looked_up_at(&self) -> Option<&ZedToken> {
        self.looked_up_at.as_ref()
    }

    /// The page as a [`ListPolicy`](crate::engine::ListPolicy)'s answer: the
    /// filter `ids` makes of the ids (e.g. `|ids| ID_TEXT.one_of(ids)`), the next
    /// cursor, and the revision as evidence. An id must select exactly the row
    /// whose [`SpiceObject::object_id`] it is: parsing `05` or `+5` as row 5
    /// would list a row a check on `document:5` refuses, so keep a parsed id
    /// only if it prints back the same
    /// (`id.parse::<i64>().ok().filter(|n| n.to_string() == *id)`).
    pub fn into_listing<R>(self, ids: impl FnOnce(Vec<String>) -> Filter<R>) -> Listing<R> {
        let listing = Listing::page(ids(self.ids), self.next);
        match self.looked_up_at {
            Some(token) => listing.with_evidence(Evidence::new(ENGINE, token.as_str().to_owned())),
            None => listing,
        }
    }
}

/// `PERMISSIONSHIP_*` of a check: has, has not, or an error.
fn permissionship(
    value: i32,
    caveat: Option<api::PartialCaveatInfo>,
) -> Result<bool, SpiceDbError> {
    use api::check_permission_response::Permissionship;
    match Permissionship::try_from(value) {
        Ok(Permissionship::HasPermission) => Ok(true),
        Ok(Permissionship::NoPermission) => Ok(false),
        Ok(Permissionship::ConditionalPermission) => Err(SpiceDbError::Conditional {
            missing: caveat
                .map(|info| info.missing_required_context.join(", "))
                .unwrap_or_default(),
        }),
        Ok(Permissionship::Unspecified) | Err(_) => Err(SpiceDbError::Malformed(
            "a check answer without a permissionship",
        )),
    }
}

fn unavailable(error: &SpiceDbError) -> Decision {
    error.decision()
}
