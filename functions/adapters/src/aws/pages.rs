//! Listings read through the SDK's paginators, with one page cap for all of them.
//!
//! The paginators follow `nextToken`; the cap stops a service that keeps handing out tokens. A
//! listing that reaches it is refused, not returned in part: a partial listing would be taken for
//! the whole one (a missed Health event reads as "clear", missed action executions as fewer
//! retries made), so the cap fails closed. For the same reason every paginator here is built with
//! `stop_on_duplicate_token(false)`: the SDK's own stop on a repeated token ends the stream as if
//! the listing were complete, where asking again runs into the cap and fails.

use aws_smithy_async::future::pagination_stream::PaginationStream;
use switchyard_core::ports::ObserveError;

/// The most pages any listing may have.
pub const MAX_PAGES: usize = 100;

/// A listing went on past [`MAX_PAGES`] pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} returned more than {MAX_PAGES} pages; refusing a partial listing")]
pub struct TooManyPages {
    pub operation: &'static str,
}

/// Final: the same listing would be as long on the next attempt.
impl From<TooManyPages> for ObserveError {
    fn from(e: TooManyPages) -> Self {
        ObserveError {
            operation: e.operation,
            message: e.to_string(),
            retryable: false,
        }
    }
}

/// Every page of a paginated `operation`, in order; the first failed page ends the listing as
/// `failed` says. The request for page `MAX_PAGES + 1` is what shows a listing is too long.
pub async fn every_page<P, E, X>(
    operation: &'static str,
    mut pages: PaginationStream<Result<P, E>>,
    failed: impl Fn(E) -> X,
) -> Result<Vec<P>, X>
where
    X: From<TooManyPages>,
{
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        if all.len() == MAX_PAGES {
            return Err(TooManyPages { operation }.into());
        }
        all.push(page.map_err(&failed)?);
    }
    Ok(all)
}
