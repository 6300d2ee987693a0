//! Keyset pagination of the listings (`GET /orders`, `GET /admin/users`): the
//! query a client sends and the page it gets back.
//!
//! `?limit=20&after=41` asks for at most 20 rows whose id is greater than 41, in
//! id order. The page says where the next one starts:
//! `{"items":[..],"next":61}`, and `"next":null` on the last page. The database
//! reads `limit + 1` rows (`LIMIT` in the SQL), never the whole table.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::limits::Limits;

/// The query string of a listing. Unknown parameters are refused.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// How many rows, 1 to `ORDERS_API_MAX_PAGE_SIZE`; the default page size
    /// when absent.
    pub limit: Option<u32>,
    /// The `next` of the previous page; from the start when absent.
    pub after: Option<i64>,
}

/// A checked page request: what the database reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many rows.
    pub limit: u32,
    /// Rows with an id greater than this.
    pub after: i64,
}

impl PageQuery {
    /// Checks the query against the configured maximum page size.
    ///
    /// # Errors
    /// 400 when `limit` is 0 or above the maximum.
    pub fn check(self, limits: &Limits) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or_else(|| limits.default_page_size());
        if limit == 0 || limit > limits.max_page_size {
            return Err(ApiError::BadRequest(
                "limit must be between 1 and the maximum page size",
            ));
        }
        Ok(PageRequest {
            limit,
            after: self.after.unwrap_or(i64::MIN),
        })
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The rows, in id order.
    pub items: Vec<T>,
    /// The `after` of the next page; `None` on the last one.
    pub next: Option<i64>,
}

impl<T> Page<T> {
    /// Makes a page of `rows`, read with `LIMIT request.limit + 1`: a row past
    /// the limit means there is a next page, which starts after the last row
    /// kept.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, id: impl Fn(&T) -> i64) -> Page<T> {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(id)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_past_the_limit_means_a_next_page() {
        let request = PageRequest { limit: 2, after: 0 };
        assert_eq!(
            Page::from_rows(vec![1, 2, 3], request, |r| *r),
            Page {
                items: vec![1, 2],
                next: Some(2)
            }
        );
        assert_eq!(
            Page::from_rows(vec![1, 2], request, |r| *r),
            Page {
                items: vec![1, 2],
                next: None
            }
        );
    }

    #[test]
    fn a_limit_outside_the_range_is_refused() {
        let limits = Limits::default();
        let query = |limit| PageQuery { limit, after: None };
        assert!(query(Some(0)).check(&limits).is_err());
        assert!(
            query(Some(limits.max_page_size + 1))
                .check(&limits)
                .is_err()
        );
        assert_eq!(
            query(None).check(&limits).ok().map(|r| r.limit),
            Some(limits.default_page_size())
        );
    }
}
