//! Lists: one page from a URL, and every item of a list as a lazy stream that follows the
//! `next` links, stops at a cap, and refuses links that loop or never end.

use futures::Stream;
use reqwest::Method;
use reqwest::header::LINK;
use serde::de::DeserializeOwned;
use url::Url;

use super::Client;
use super::decode::decode;
use crate::api::error::{ApiError, ErrorKind};
use crate::api::pagination;
use crate::api::query::Query;

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Url>,
    /// `X-Total-Count`, when the server sends it (an assumption, docs/platform.md "Pagination").
    pub total: Option<u64>,
}

impl Client {
    pub async fn page<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>, ApiError> {
        let raw = self.execute(Method::GET, url, None).await?;
        let items: Vec<T> = decode(&Method::GET, &raw)?;
        let links: Vec<&str> = raw
            .headers
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let next = match pagination::next_link(links) {
            Some(target) => Some(pagination::resolve(&raw.url, &target).map_err(|e| {
                ApiError::new(
                    ErrorKind::InvalidResponse,
                    "GET",
                    raw.url.path(),
                    e.to_string(),
                )
            })?),
            None => None,
        };
        let total = raw
            .headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        Ok(Page { items, next, total })
    }

    /// Every item of a list, following `next` links, as a stream that stops after `cap` items.
    /// Pages are fetched lazily, so a consumer that stops early sends no further requests.
    pub fn list<T>(
        &self,
        path: &str,
        query: &Query,
        cap: usize,
    ) -> impl Stream<Item = Result<T, ApiError>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        struct State<T> {
            client: Client,
            next: Option<Result<Url, ApiError>>,
            buf: std::collections::VecDeque<T>,
            left: usize,
            walk: pagination::Walk,
        }
        let state = State {
            client: self.clone(),
            next: Some(self.url(path, query)),
            buf: Default::default(),
            left: cap,
            walk: pagination::Walk::new(self.inner.max_pages),
        };
        futures::stream::unfold(state, |mut s| async move {
            loop {
                if s.left == 0 {
                    return None;
                }
                if let Some(item) = s.buf.pop_front() {
                    s.left -= 1;
                    return Some((Ok(item), s));
                }
                let url = match s.next.take()? {
                    Ok(u) => u,
                    Err(e) => return Some((Err(e), s)),
                };
                if let Err(e) = s.walk.enter(&url) {
                    return Some((Err(walk_error(&url, &e)), s));
                }
                match s.client.page::<T>(url).await {
                    Ok(page) => {
                        if page.items.is_empty() {
                            return None;
                        }
                        s.buf.extend(page.items);
                        s.next = page.next.map(Ok);
                    }
                    Err(e) => return Some((Err(e), s)),
                }
            }
        })
    }

    /// [`Client::list`] collected, failing on the first error.
    pub async fn list_all<T>(
        &self,
        path: &str,
        query: &Query,
        cap: usize,
    ) -> Result<Vec<T>, ApiError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        use futures::TryStreamExt;
        self.list(path, query, cap).try_collect().await
    }
}

fn walk_error(url: &Url, e: &pagination::WalkError) -> ApiError {
    let kind = match e {
        pagination::WalkError::Repeats { .. } => ErrorKind::InvalidResponse,
        pagination::WalkError::TooManyPages { .. } => ErrorKind::TooLarge,
    };
    ApiError::new(kind, "GET", url.path(), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_invalid_answers_and_endless_lists_too_large() {
        let url = Url::parse("http://127.0.0.1:9/v2/organizations?offset=3").unwrap();
        let repeat = pagination::WalkError::Repeats {
            page: 1,
            url: "/v2/organizations".into(),
        };
        let e = walk_error(&url, &repeat);
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        assert_eq!(e.path, "/v2/organizations");
        let e = walk_error(&url, &pagination::WalkError::TooManyPages { max: 1000 });
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert!(e.to_string().contains("past 1000 pages"), "{e}");
    }
}
