//! The list query language on the server side (docs/platform.md, "List queries" and "Pagination"): filters on dot paths with operator
//! prefixes, `[a,b]` in-lists, sort, select, limit and offset. Operators arrive raw or
//! percent-encoded and `+` means a space, as the platform's query parser does.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

/// A parsed list query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListQuery {
    pub filters: Vec<(String, Cond)>,
    pub sort: Vec<(String, bool)>,
    pub select: Vec<String>,
    pub limit: Option<usize>,
    pub offset: usize,
    /// Every parameter as decoded, in order, to rebuild next links.
    pub params: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Gt(String),
    Gte(String),
    Lt(String),
    Lte(String),
    Exists,
    Missing,
}

#[derive(Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

/// How the sandbox reads an in-list (`[a,b]`) on a contact's telephone, which the platform's
/// documentation does not promise: as an in-list, as one literal value (so nothing matches),
/// or not at all (the filter is dropped, so every contact matches). The last two let a test
/// show that the client's probe notices and looks numbers up one by one instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PhoneInLists {
    #[default]
    Honoured,
    Literal,
    Ignored,
}

impl PhoneInLists {
    /// The filters of `q` as this setting reads them.
    pub fn apply(self, q: &mut ListQuery) {
        if self == PhoneInLists::Honoured {
            return;
        }
        let filters = std::mem::take(&mut q.filters);
        q.filters = filters
            .into_iter()
            .filter_map(|(k, c)| match (k == "profile.telephone", c) {
                (true, Cond::In(v)) if self == PhoneInLists::Literal => {
                    Some((k, Cond::Eq(format!("[{}]", v.join(",")))))
                }
                (true, Cond::In(_)) => None,
                (_, c) => Some((k, c)),
            })
            .collect();
    }
}

impl Cond {
    pub fn parse(v: &str) -> Cond {
        if v.is_empty() {
            return Cond::Exists;
        }
        if v == "!" {
            return Cond::Missing;
        }
        if v.len() >= 2 && v.starts_with('[') && v.ends_with(']') {
            let inner = &v[1..v.len() - 1];
            return Cond::In(inner.split(',').map(|s| s.trim().to_string()).collect());
        }
        for (prefix, make) in [
            (">=", Cond::Gte as fn(String) -> Cond),
            ("<=", Cond::Lte),
            (">", Cond::Gt),
            ("<", Cond::Lt),
            ("~", Cond::Contains),
            ("^", Cond::StartsWith),
            ("$", Cond::EndsWith),
            ("!", Cond::Ne),
        ] {
            if let Some(rest) = v.strip_prefix(prefix) {
                return make(rest.to_string());
            }
        }
        Cond::Eq(v.to_string())
    }
}

impl ListQuery {
    pub fn parse(raw_query: &str) -> Result<ListQuery, QueryError> {
        let mut q = ListQuery::default();
        for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            q.params.push((k.clone(), v.clone()));
            match k.as_str() {
                "sort" => {
                    q.sort = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| match s.strip_prefix('-') {
                            Some(f) => (f.to_string(), false),
                            None => (s.trim_start_matches('+').to_string(), true),
                        })
                        .collect()
                }
                "select" => {
                    q.select = v
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                "limit" => {
                    q.limit =
                        Some(v.trim().parse().map_err(|_| {
                            QueryError(format!("limit must be a number, got {v:?}"))
                        })?)
                }
                "offset" => {
                    q.offset = v
                        .trim()
                        .parse()
                        .map_err(|_| QueryError(format!("offset must be a number, got {v:?}")))?
                }
                "populate" | "pagination" => {}
                _ => q.filters.push((k, Cond::parse(&v))),
            }
        }
        Ok(q)
    }

    pub fn has_filter(&self, key: &str) -> bool {
        self.filters.iter().any(|(k, _)| k == key)
    }

    pub fn matches(&self, doc: &Value) -> bool {
        self.filters
            .iter()
            .all(|(path, cond)| matches_cond(doc, path, cond))
    }
}

/// Values at a dot path; arrays along the way fan out (Mongo semantics: `participants.user=x`
/// matches when any participant has user x).
pub fn values_at<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![doc];
    for part in path.split('.') {
        let mut next = Vec::new();
        for v in current {
            match v {
                Value::Object(m) => {
                    if let Some(x) = m.get(part) {
                        next.push(x);
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        if let Some(x) = item.get(part) {
                            next.push(x);
                        }
                    }
                }
                _ => {}
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

/// A value as the query language compares it; a string is borrowed, not copied (a list of
/// 100,000 contacts is filtered per request).
fn as_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn compare(v: &Value, want: &str) -> Option<Ordering> {
    if let (Some(a), Ok(b)) = (v.as_f64(), want.parse::<f64>()) {
        return a.partial_cmp(&b);
    }
    as_text(v).map(|s| (*s).cmp(want))
}

fn matches_cond(doc: &Value, path: &str, cond: &Cond) -> bool {
    let values = values_at(doc, path);
    let eq = |v: &&Value, want: &str| as_text(v).is_some_and(|s| s == want);
    let lower = |s: &str| s.to_lowercase();
    match cond {
        Cond::Exists => values.iter().any(|v| !v.is_null()),
        Cond::Missing => values.iter().all(|v| v.is_null()),
        Cond::Eq(w) => values.iter().any(|v| eq(v, w)),
        Cond::Ne(w) => !values.iter().any(|v| eq(v, w)),
        Cond::In(list) => values
            .iter()
            .filter_map(|v| as_text(v))
            .any(|s| list.iter().any(|w| *w == *s)),
        Cond::Contains(w) => values
            .iter()
            .any(|v| as_text(v).is_some_and(|s| lower(&s).contains(&lower(w)))),
        Cond::StartsWith(w) => values
            .iter()
            .any(|v| as_text(v).is_some_and(|s| lower(&s).starts_with(&lower(w)))),
        Cond::EndsWith(w) => values
            .iter()
            .any(|v| as_text(v).is_some_and(|s| lower(&s).ends_with(&lower(w)))),
        Cond::Gt(w) => values
            .iter()
            .any(|v| compare(v, w) == Some(Ordering::Greater)),
        Cond::Gte(w) => values
            .iter()
            .any(|v| matches!(compare(v, w), Some(Ordering::Greater | Ordering::Equal))),
        Cond::Lt(w) => values.iter().any(|v| compare(v, w) == Some(Ordering::Less)),
        Cond::Lte(w) => values
            .iter()
            .any(|v| matches!(compare(v, w), Some(Ordering::Less | Ordering::Equal))),
    }
}

fn sort_key_cmp(a: &Value, b: &Value, field: &str) -> Ordering {
    let av = values_at(a, field).into_iter().next();
    let bv = values_at(b, field).into_iter().next();
    match (av, bv) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            _ => as_text(x).cmp(&as_text(y)),
        },
    }
}

/// Sorts in place by the query's sort fields; a stable sort keeps insertion order otherwise.
pub fn sort(docs: &mut [Value], fields: &[(String, bool)]) {
    if fields.is_empty() {
        return;
    }
    docs.sort_by(|a, b| {
        for (f, asc) in fields {
            let o = sort_key_cmp(a, b, f);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        Ordering::Equal
    });
}

/// Keeps only the selected fields (and always `id`).
pub fn project(doc: &Value, select: &[String]) -> Value {
    if select.is_empty() {
        return doc.clone();
    }
    let Value::Object(m) = doc else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        if k == "id"
            || select
                .iter()
                .any(|s| s == k || s.split('.').next() == Some(k))
        {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"id": "1", "organization": "o1", "profile": {"telephone": "+31612345678", "givenName": "Jan"},
               "participants": [{"user": "u1", "accepted": true}, {"user": "u2"}], "n": 5,
               "createdAt": "2021-10-10T14:04:20.660Z"})
    }

    fn q(s: &str) -> ListQuery {
        ListQuery::parse(s).unwrap()
    }

    #[test]
    fn encoded_plus_matches_and_raw_plus_is_a_space() {
        assert!(q("profile.telephone=%2B31612345678").matches(&doc()));
        assert!(!q("profile.telephone=+31612345678").matches(&doc()));
    }

    #[test]
    fn operators_raw_and_encoded() {
        for s in [
            "n=>4",
            "n=%3E4",
            "n=>=5",
            "n=<6",
            "n=%3C%3D5",
            "profile.givenName=~ja",
            "profile.givenName=%7Eja",
            "organization=^o",
            "organization=%5Eo",
            "organization=$1",
            "organization=!o2",
            "createdAt=>2019-01-01",
            "profile.email=!",
            "profile.telephone=",
        ] {
            assert!(q(s).matches(&doc()), "{s}");
        }
        for s in [
            "n=>5",
            "n=<5",
            "organization=!o1",
            "profile.givenName=~piet",
            "profile.email=",
        ] {
            assert!(!q(s).matches(&doc()), "{s}");
        }
    }

    #[test]
    fn in_lists_and_array_fanout() {
        assert!(q("profile.telephone=[0612345678,%2B31612345678]").matches(&doc()));
        assert!(q("profile.telephone=%5B0612345678%2C%2B31612345678%5D").matches(&doc()));
        assert!(!q("profile.telephone=[0612345678]").matches(&doc()));
        assert!(q("participants.user=u2").matches(&doc()));
        assert!(q("participants.accepted=true").matches(&doc()));
    }

    #[test]
    fn reserved_params() {
        let l = q("sort=-n,id&limit=10&offset=20&select=id%2C+profile&organization=o1");
        assert_eq!(l.sort, vec![("n".into(), false), ("id".into(), true)]);
        assert_eq!(l.limit, Some(10));
        assert_eq!(l.offset, 20);
        assert_eq!(l.select, vec!["id".to_string(), "profile".to_string()]);
        assert_eq!(l.filters.len(), 1);
        assert!(ListQuery::parse("limit=ten").is_err());
    }

    #[test]
    fn sort_and_project() {
        let mut docs = vec![
            json!({"id": "a", "n": 2}),
            json!({"id": "b", "n": 10}),
            json!({"id": "c"}),
        ];
        sort(&mut docs, &[("n".into(), false)]);
        let ids: Vec<_> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        let p = project(&doc(), &["profile".into()]);
        assert!(p.get("profile").is_some() && p.get("n").is_none() && p.get("id").is_some());
    }
}
