//! Following `Link: <…>; rel="next"` (§3.4).
//!
//! The platform sends absolute links; the SDK silently stops at page one on a relative link.
//! This client resolves a relative link against the request URL instead, and refuses a link to
//! another origin, because following it would send the bearer token to a foreign host.

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
}
