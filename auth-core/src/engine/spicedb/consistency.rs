//! ZedTokens and the consistency a read asks for.

use std::fmt;

use super::generated::authzed::api::v1 as api;

/// A ZedToken: a point in SpiceDB's history. A write returns one
/// ([`SpiceDb::write_relationships`](super::SpiceDb::write_relationships)); store it
/// with the row the write was about, and ask the checks on that row to be
/// [at least as fresh](Consistency::at_least_as_fresh) as it, so an unshare is
/// seen by the next check (SpiceDB's "new enemy" problem). A check also returns
/// one (the revision it was answered at): the audit evidence.
///
/// Opaque text, not a secret; store it as text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ZedToken(String);

impl ZedToken {
    /// A token read back from storage.
    pub fn new(token: impl Into<String>) -> Self {
        ZedToken(token.into())
    }

    /// The token's text, to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_api(token: Option<api::ZedToken>) -> Option<Self> {
        token
            .filter(|t| !t.token.is_empty())
            .map(|t| ZedToken(t.token))
    }
}

impl fmt::Display for ZedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ZedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZedToken({})", self.0)
    }
}

/// How fresh the data a read is answered from must be.
///
/// | consistency | answers from | use |
/// |---|---|---|
/// | [`at_least_as_fresh(token)`](Self::at_least_as_fresh) | a revision at or after `token` (cached when possible) | a check on a row that stores the token of its last relationship write: the usual choice |
/// | [`fully_consistent`](Self::fully_consistent) | the newest revision, no cache | when no token is at hand and the answer must reflect every write so far |
/// | [`minimize_latency`](Self::minimize_latency) | whatever revision is cached (SpiceDB's quantization window, 5 s by default) | when a few seconds of staleness is acceptable: a revoked share may still be honoured in that window |
/// | [`client_default`](Self::client_default) (the `Default`) | what [`SpiceDbBuilder::default_consistency`](super::SpiceDbBuilder::default_consistency) set: [`fully_consistent`](Self::fully_consistent) unless changed | reads that have no token |
///
/// `From<Option<ZedToken>>` gives `at_least_as_fresh` for a token and the
/// client's default without one: `Consistency::from(row.zedtoken.clone())`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consistency(pub(crate) Requirement);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Requirement {
    #[default]
    ClientDefault,
    AtLeastAsFresh(ZedToken),
    FullyConsistent,
    MinimizeLatency,
}

impl Consistency {
    /// Answer from a revision at least as new as `token`.
    pub fn at_least_as_fresh(token: ZedToken) -> Self {
        Consistency(Requirement::AtLeastAsFresh(token))
    }

    /// Answer from the newest revision.
    pub fn fully_consistent() -> Self {
        Consistency(Requirement::FullyConsistent)
    }

    /// Answer from whatever revision is fastest (possibly seconds old).
    pub fn minimize_latency() -> Self {
        Consistency(Requirement::MinimizeLatency)
    }

    /// The client's configured default for reads without a token.
    pub fn client_default() -> Self {
        Consistency(Requirement::ClientDefault)
    }

    /// The message sent, `default` standing for [`client_default`](Self::client_default).
    pub(crate) fn to_api(&self, default: &Consistency) -> api::Consistency {
        use api::consistency::Requirement as R;
        let requirement = match &self.0 {
            Requirement::ClientDefault => return default.to_api(&Consistency::fully_consistent()),
            Requirement::AtLeastAsFresh(token) => R::AtLeastAsFresh(api::ZedToken {
                token: token.0.clone(),
            }),
            Requirement::FullyConsistent => R::FullyConsistent(true),
            Requirement::MinimizeLatency => R::MinimizeLatency(true),
        };
        api::Consistency {
            requirement: Some(requirement),
        }
    }
}

impl From<Option<ZedToken>> for Consistency {
    fn from(token: Option<ZedToken>) -> Self {
        token.map_or_else(Consistency::client_default, Consistency::at_least_as_fresh)
    }
}

impl From<ZedToken> for Consistency {
    fn from(token: ZedToken) -> Self {
        Consistency::at_least_as_fresh(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::consistency::Requirement as R;

    fn sent(consistency: &Consistency, default: &Consistency) -> Option<R> {
        consistency.to_api(default).requirement
    }

    #[test]
    fn each_consistency_is_sent_as_itself_and_the_default_as_configured() {
        let token = ZedToken::new("t1");
        let full = Consistency::fully_consistent();
        let fast = Consistency::minimize_latency();
        assert_eq!(
            sent(&Consistency::at_least_as_fresh(token.clone()), &fast),
            Some(R::AtLeastAsFresh(api::ZedToken { token: "t1".into() }))
        );
        assert_eq!(sent(&full, &fast), Some(R::FullyConsistent(true)));
        assert_eq!(sent(&fast, &full), Some(R::MinimizeLatency(true)));
        assert_eq!(
            sent(&Consistency::default(), &fast),
            Some(R::MinimizeLatency(true))
        );
        assert_eq!(
            sent(&Consistency::default(), &full),
            Some(R::FullyConsistent(true))
        );
        // A default that is itself "the default" cannot loop: fully consistent.
        assert_eq!(
            sent(&Consistency::default(), &Consistency::default()),
            Some(R::FullyConsistent(true))
        );
        assert_eq!(
            Consistency::from(Some(token.clone())),
            Consistency::at_least_as_fresh(token)
        );
        assert_eq!(Consistency::from(None), Consistency::client_default());
        assert_eq!(
            ZedToken::from_api(Some(api::ZedToken {
                token: String::new()
            })),
            None
        );
    }
}
