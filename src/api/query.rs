//! List queries in the platform's syntax (docs/platform.md, "List queries").
//!
//! Filters are document fields (dot paths allowed) with an optional operator prefix on the
//! value; `[a,b]` means "one of". Values are percent-encoded like the SDK's
//! `encodeURIComponent`, so a `+` in a phone number goes out as `%2B` (a raw `+` would reach
//! the server as a space and match nothing).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The characters `encodeURIComponent` leaves alone.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Keys are dot paths and are sent as they are, like the SDK does; anything else is encoded.
const KEY: &AsciiSet = &COMPONENT.remove(b'@');

/// A value operator, written as a prefix of the value (docs/platform.md, "List queries").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `~`: contains (case-insensitive).
    Contains,
    /// `^`: starts with.
    StartsWith,
    /// `$`: ends with.
    EndsWith,
    Gt,
    Gte,
    Lt,
    Lte,
    /// `!`: not equal.
    Not,
}

impl Op {
    pub fn prefix(self) -> &'static str {
        match self {
            Op::Contains => "~",
            Op::StartsWith => "^",
            Op::EndsWith => "$",
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::Lt => "<",
            Op::Lte => "<=",
            Op::Not => "!",
        }
    }
}

/// An ordered list of query parameters; order is kept so requests are reproducible in logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn enc(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

impl Query {
    pub fn new() -> Self {
        Query::default()
    }

    /// `key=value` (equality).
    pub fn eq(self, key: &str, value: impl AsRef<str>) -> Self {
        let v = enc(value.as_ref(), COMPONENT);
        self.raw(key, v)
    }

    /// `key=<op>value`.
    pub fn op(self, key: &str, op: Op, value: impl AsRef<str>) -> Self {
        let v = enc(&format!("{}{}", op.prefix(), value.as_ref()), COMPONENT);
        self.raw(key, v)
    }

    /// `key=[a,b,c]`: matches any of the values. Brackets and commas stay literal, each element
    /// is encoded, as the SDK sends arrays.
    pub fn any_of<I, S>(self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let items: Vec<String> = values
            .into_iter()
            .map(|v| enc(v.as_ref(), COMPONENT))
            .collect();
        self.raw(key, format!("[{}]", items.join(",")))
    }

    /// `sort=a,-b` (a `-` prefix sorts descending).
    pub fn sort(self, fields: &str) -> Self {
        self.eq("sort", fields)
    }

    pub fn select(self, fields: &str) -> Self {
        self.eq("select", fields)
    }

    pub fn populate(self, fields: &str) -> Self {
        self.eq("populate", fields)
    }

    pub fn limit(self, n: usize) -> Self {
        self.eq("limit", n.to_string())
    }

    pub fn offset(self, n: usize) -> Self {
        self.eq("offset", n.to_string())
    }

    fn raw(mut self, key: &str, encoded_value: String) -> Self {
        self.pairs.push((enc(key, KEY), encoded_value));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The query string without the leading `?`.
    pub fn to_query_string(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_in_phone_numbers_is_encoded() {
        let q = Query::new()
            .eq("organization", "5c7574c78ae07962b12e264c")
            .eq("profile.telephone", "+31646280993");
        assert_eq!(
            q.to_query_string(),
            "organization=5c7574c78ae07962b12e264c&profile.telephone=%2B31646280993"
        );
    }

    #[test]
    fn in_lists_keep_brackets_and_encode_elements() {
        let q = Query::new().any_of("profile.telephone", ["+31612345678", "0612345678"]);
        assert_eq!(
            q.to_query_string(),
            "profile.telephone=[%2B31612345678,0612345678]"
        );
    }

    #[test]
    fn operators_and_reserved_params() {
        let q = Query::new()
            .op("orgPath", Op::StartsWith, "abc")
            .op("text", Op::Contains, "hello world")
            .op("updatedAt", Op::Gte, "2020-09-14")
            .sort("-createdAt")
            .select("id,name")
            .limit(10)
            .offset(20);
        assert_eq!(
            q.to_query_string(),
            "orgPath=%5Eabc&text=~hello%20world&updatedAt=%3E%3D2020-09-14&sort=-createdAt\
             &select=id%2Cname&limit=10&offset=20"
        );
    }

    #[test]
    fn keys_keep_dots_but_encode_the_rest() {
        let q = Query::new().eq("meta.a b", "x&y=z");
        assert_eq!(q.to_query_string(), "meta.a%20b=x%26y%3Dz");
    }
}
