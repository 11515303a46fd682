//! Following `Link: <…>; rel="next"` (docs/platform.md, "Pagination").
//!
//! The platform sends absolute links; the SDK silently stops at page one on a relative link.
//! This client resolves a relative link against the request URL instead, and refuses a link to
//! another origin, because following it would send the bearer token to a foreign host.
//!
//! A listing also remembers the pages it asked for ([`Walk`]): a server whose links go round in
//! circles, or on without end, must not make the client repeat items for hours or cut the list
//! short as if it were complete.

use std::collections::HashMap;

use url::Url;

/// The target of the first link whose `rel` includes `next`, as written in the header.
pub fn next_link<'a>(header_values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    header_values.into_iter().find_map(next_in_value)
}

fn next_in_value(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        // The parameters run until the next link starts (a `,` followed by `<`).
        let params_end = find_next_link_start(after).unwrap_or(after.len());
        if params_have_rel_next(&after[..params_end]) {
            return Some(target.trim().to_string());
        }
        rest = &after[params_end..];
    }
}

fn find_next_link_start(s: &str) -> Option<usize> {
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

fn params_have_rel_next(params: &str) -> bool {
    params.split(';').any(|p| {
        let Some((name, value)) = p.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_whitespace()
                .any(|r| r.eq_ignore_ascii_case("next"))
    })
}

/// Why a next link cannot be followed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("the next-page link {0:?} is not a valid URL")]
    Invalid(String),
    #[error("the next-page link points to another host ({0}); not following it with the token")]
    ForeignOrigin(String),
}

/// Resolves a link target against the URL of the request that returned it.
pub fn resolve(request_url: &Url, target: &str) -> Result<Url, LinkError> {
    let url = request_url
        .join(target)
        .map_err(|_| LinkError::Invalid(target.to_string()))?;
    if url.origin() != request_url.origin() {
        return Err(LinkError::ForeignOrigin(
            url.host_str().unwrap_or("?").to_string(),
        ));
    }
    Ok(url)
}

/// The pages one listing has asked for, in order.
#[derive(Debug)]
pub struct Walk {
    seen: HashMap<Url, usize>,
    max_pages: usize,
}

/// Why a listing stopped before a page.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WalkError {
    #[error("the server's next-page link repeats page {page} ({url}); stopped to avoid a loop")]
    Repeats { page: usize, url: String },
    #[error(
        "the list goes on past {max} pages; stopped rather than return part of it as if it \
         were all"
    )]
    TooManyPages { max: usize },
}

impl Walk {
    pub fn new(max_pages: usize) -> Walk {
        Walk {
            seen: HashMap::new(),
            max_pages: max_pages.max(1),
        }
    }

    /// Records `url` as the next page to fetch, or says why it must not be fetched.
    pub fn enter(&mut self, url: &Url) -> Result<(), WalkError> {
        // The fragment never reaches the server: `#2` is the same page as `#1`.
        let mut key = url.clone();
        key.set_fragment(None);
        if let Some(&page) = self.seen.get(&key) {
            return Err(WalkError::Repeats {
                page,
                url: shown(&key),
            });
        }
        if self.seen.len() >= self.max_pages {
            return Err(WalkError::TooManyPages {
                max: self.max_pages,
            });
        }
        let page = self.seen.len() + 1;
        self.seen.insert(key, page);
        Ok(())
    }
}

/// Path and query, cut short: enough to recognise the page, never a screenful.
fn shown(url: &Url) -> String {
    let full = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    if full.chars().count() <= 200 {
        full
    } else {
        let cut: String = full.chars().take(200).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_among_several_links() {
        let h = r#"<https://api.web1on1.chat/v2/x?offset=0&limit=2>; rel="first", <https://api.web1on1.chat/v2/x?offset=2&limit=2>; rel="next""#;
        assert_eq!(
            next_link([h]).as_deref(),
            Some("https://api.web1on1.chat/v2/x?offset=2&limit=2")
        );
    }

    #[test]
    fn rel_lists_and_unquoted_values() {
        assert_eq!(next_link(["</a>; rel=next"]).as_deref(), Some("/a"));
        assert_eq!(
            next_link([r#"</b>; rel="prev next""#]).as_deref(),
            Some("/b")
        );
        assert_eq!(next_link([r#"</c>; rel="prev""#]), None);
        assert_eq!(next_link(["garbage"]), None);
        assert_eq!(next_link([""]), None);
        // "nextish" is not "next".
        assert_eq!(next_link([r#"</d>; rel="nextish""#]), None);
    }

    #[test]
    fn commas_inside_urls_do_not_split_links() {
        let h = r#"</v2/x?select=id,name&offset=2>; rel="next""#;
        assert_eq!(
            next_link([h]).as_deref(),
            Some("/v2/x?select=id,name&offset=2")
        );
    }

    #[test]
    fn relative_links_resolve_against_the_request() {
        let base = Url::parse("http://127.0.0.1:9/v2/contacts?offset=0").unwrap();
        let u = resolve(&base, "/v2/contacts?offset=100").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v2/contacts?offset=100");
        let u = resolve(&base, "contacts?offset=5").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v2/contacts?offset=5");
    }

    #[test]
    fn foreign_links_are_refused() {
        let base = Url::parse("https://api.web1on1.chat/v2/x").unwrap();
        assert!(matches!(
            resolve(&base, "https://evil.example/v2/x?offset=2"),
            Err(LinkError::ForeignOrigin(_))
        ));
    }

    #[test]
    fn a_page_seen_before_stops_the_walk() {
        let a = Url::parse("http://127.0.0.1:9/v2/x?limit=1").unwrap();
        let b = Url::parse("http://127.0.0.1:9/v2/x?limit=1&offset=1").unwrap();
        let mut walk = Walk::new(1000);
        assert_eq!(walk.enter(&a), Ok(()));
        assert_eq!(walk.enter(&b), Ok(()));
        let err = walk.enter(&a).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server's next-page link repeats page 1 (/v2/x?limit=1); stopped to avoid a loop"
        );
        let mut fragment = b.clone();
        fragment.set_fragment(Some("again"));
        assert!(matches!(
            walk.enter(&fragment),
            Err(WalkError::Repeats { page: 2, .. })
        ));
    }

    #[test]
    fn the_page_limit_fails_instead_of_truncating() {
        let mut walk = Walk::new(3);
        for n in 0..3 {
            let u = Url::parse(&format!("http://127.0.0.1:9/v2/x?offset={n}")).unwrap();
            assert_eq!(walk.enter(&u), Ok(()));
        }
        let u = Url::parse("http://127.0.0.1:9/v2/x?offset=3").unwrap();
        let err = walk.enter(&u).unwrap_err();
        assert_eq!(err, WalkError::TooManyPages { max: 3 });
        assert!(err.to_string().contains("past 3 pages"), "{err}");
    }

    #[test]
    fn long_urls_are_cut_in_messages() {
        let long = format!("http://127.0.0.1:9/v2/x?q={}", "a".repeat(500));
        let shown = shown(&Url::parse(&long).unwrap());
        assert!(shown.chars().count() <= 201, "{shown}");
        assert!(shown.ends_with('…'));
    }
}
