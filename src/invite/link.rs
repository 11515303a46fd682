//! The address an invitation's link points at: the organization's Conversational Landing Page
//! (CLP). Every organization has its own page, so the address is kept per organization in the
//! config dir (`links.toml`, keyed by organization id with the name alongside for people reading
//! the file). A template's `clp_url` is only the fallback, and `--clp-url` overrides both for
//! one run.
//!
//! The link carries the contact's `{authuser}`/`{authtoken}` once the platform fills them in, so
//! whoever holds the link can resume the conversation: the address must be exactly the page the
//! operator means, over https, with no credentials and nothing a browser reads differently from
//! this tool (a backslash before `@` sends browsers to another host).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::api::models::Organization;

/// The file in the config dir that keeps one address per organization.
pub const FILE_NAME: &str = "links.toml";

/// Query parameters the invitation appends itself.
const RESERVED_PARAMS: [&str; 3] = ["id", "token", "ts"];

/// Checks a landing-page address and returns it normalized, as it will be sent. Plain http is
/// allowed only to this machine, and only when the API itself is a sandbox on this machine
/// (`local_api`): a link that carries a token must never cross a network in clear text.
pub fn check_clp_url(raw: &str, local_api: bool) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("no address given".into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains a space, a line break or a control character".into());
    }
    if text.contains('\\') {
        return Err(
            "it contains a backslash, which browsers read as a slash: the link could open another site"
                .into(),
        );
    }
    let url = Url::parse(text).map_err(|e| format!("it is not a web address ({e})"))?;
    // Browsers repair `https:///host` and `https:host` into `https://host/`; an address must
    // name its host where everyone reads it, right after `//`.
    let after_scheme = &text[url.scheme().len()..];
    let names_host = after_scheme
        .strip_prefix("://")
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| !matches!(c, '/' | '?' | '#'));
    if !names_host {
        return Err("it has no host name right after https://".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if local_api && is_loopback(&url) => {}
        "http" if is_loopback(&url) => {
            return Err(
                "plain http is only for a sandbox on this machine; the real landing page needs https"
                    .into(),
            );
        }
        "http" => {
            return Err("it must use https: the link carries the contact's sign-in token".into());
        }
        other => return Err(format!("it must be an https:// address, not {other}:")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("it has no host name".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it contains a user name or password; give the plain page address".into());
    }
    if let Some(param) = url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .find(|k| RESERVED_PARAMS.contains(&k.as_str()))
    {
        return Err(format!(
            "it already has a \"{param}\" parameter; the invitation adds id, token and ts itself"
        ));
    }
    Ok(url.to_string())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// One organization's entry in `links.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// For people reading the file; the id is the key.
    pub name: String,
    pub clp_url: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    organizations: BTreeMap<String, Entry>,
}

/// The link addresses of every organization the operator has sent for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkBook {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
}

impl LinkBook {
    /// Reads `links.toml` from `config_dir`; a missing file is an empty book.
    pub fn load(config_dir: &Path) -> Result<LinkBook, String> {
        let path = config_dir.join(FILE_NAME);
        let entries = match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str::<FileShape>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .organizations
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(LinkBook { path, entries })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, org_id: &str) -> Option<&Entry> {
        self.entries.get(org_id)
    }

    /// Remembers (or, with `None`, forgets) an organization's address and writes the file.
    pub fn set(&mut self, org: &Organization, clp_url: Option<&str>) -> Result<(), String> {
        match clp_url {
            Some(url) => {
                self.entries.insert(
                    org.id.clone(),
                    Entry {
                        name: org.label().to_string(),
                        clp_url: url.to_string(),
                    },
                );
            }
            None => {
                self.entries.remove(&org.id);
            }
        }
        self.save()
    }

    fn save(&self) -> Result<(), String> {
        let shape = FileShape {
            organizations: self.entries.clone(),
        };
        let body = toml::to_string(&shape).map_err(|e| e.to_string())?;
        let text = format!(
            "# The Conversational Landing Page of each organization, used for the link of its SMS\n\
             # invitations. Written by sms-invite; `sms-invite link ORG URL` changes an entry.\n\n{body}"
        );
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        // Written aside and renamed, so a crash never leaves half a file.
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// Where the address for a run comes from, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkSource {
    /// `--clp-url`, for one run.
    Given,
    /// A run being resumed keeps the address it started with.
    Run,
    /// Saved for this organization in `links.toml`.
    Organization,
    /// The template's `clp_url`.
    Template,
    None,
}

/// The address a run will use and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkChoice {
    /// As configured (not yet checked; [`check_clp_url`] says whether it can be used).
    pub url: String,
    pub source: LinkSource,
}

impl LinkChoice {
    /// Where the address came from, in words: "saved for Acme Holding in links.toml".
    pub fn origin(&self, org_name: &str) -> String {
        match self.source {
            LinkSource::Given => "given for this run".into(),
            LinkSource::Run => "the address the run started with".into(),
            LinkSource::Organization => format!("saved for {org_name} in {FILE_NAME}"),
            LinkSource::Template => {
                "the template's clp_url (no address saved for this organization)".into()
            }
            LinkSource::None => "none".into(),
        }
    }
}

/// Picks the address: the one given for this run, else the organization's, else the template's.
pub fn choose(
    given: Option<&str>,
    book: &LinkBook,
    org_id: &str,
    template_url: &str,
) -> LinkChoice {
    let pick = |url: &str, source| LinkChoice {
        url: url.trim().to_string(),
        source,
    };
    if let Some(url) = given.filter(|u| !u.trim().is_empty()) {
        return pick(url, LinkSource::Given);
    }
    if let Some(e) = book.get(org_id) {
        return pick(&e.clp_url, LinkSource::Organization);
    }
    if !template_url.trim().is_empty() {
        return pick(template_url, LinkSource::Template);
    }
    pick("", LinkSource::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str) -> Organization {
        serde_json::from_value(serde_json::json!({"id": id, "displayName": name})).unwrap()
    }

    #[test]
    fn addresses_are_checked_and_normalized() {
        assert_eq!(
            check_clp_url("https://CLP.example.com", false).unwrap(),
            "https://clp.example.com/"
        );
        assert_eq!(
            check_clp_url(" https://clp.example.com/acme?src=sms#top ", false).unwrap(),
            "https://clp.example.com/acme?src=sms#top"
        );
        for (bad, why) in [
            ("", "no address"),
            ("http://clp.example.com/x", "https"),
            ("http://localhost/x", "sandbox"),
            ("https://user:pass@clp.example.com/", "user name"),
            ("https://user@clp.example.com/", "user name"),
            ("https://evil.com\\@clp.example.com/", "backslash"),
            ("https:///nohost", "host"),
            ("https://clp.example.com/?token=1", "\"token\""),
            ("ftp://clp.example.com/", "https"),
            ("clp.example.com", "web address"),
            ("https://clp.example.com/a b", "space"),
            ("https://clp.example.com/\u{1b}]52;c;x", "control"),
        ] {
            let e = check_clp_url(bad, false).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert_eq!(
            check_clp_url("http://127.0.0.1:8080/clp", true).unwrap(),
            "http://127.0.0.1:8080/clp"
        );
        assert!(check_clp_url("http://clp.example.com/", true).is_err());
    }

    #[test]
    fn the_organization_wins_over_the_template_and_a_given_address_over_both() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = LinkBook::load(dir.path()).unwrap();
        let acme = org("o1", "Acme");
        let c = choose(None, &book, "o1", "https://tpl.example.com/");
        assert_eq!(c.source, LinkSource::Template);
        book.set(&acme, Some("https://acme.example.com/")).unwrap();
        let again = LinkBook::load(dir.path()).unwrap();
        assert_eq!(again, book, "saved and read back");
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.contains("name = \"Acme\""), "{text}");
        let c = choose(None, &again, "o1", "https://tpl.example.com/");
        assert_eq!(
            (c.url.as_str(), c.source),
            ("https://acme.example.com/", LinkSource::Organization)
        );
        assert_eq!(choose(None, &again, "o2", "").source, LinkSource::None);
        let c = choose(Some("https://x.example.com/"), &again, "o1", "");
        assert_eq!(c.source, LinkSource::Given);
        book.set(&acme, None).unwrap();
        assert!(LinkBook::load(dir.path()).unwrap().get("o1").is_none());
    }

    #[test]
    fn a_damaged_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[organizations.x]\nclp = 1\n").unwrap();
        let e = LinkBook::load(dir.path()).unwrap_err();
        assert!(e.contains(FILE_NAME), "{e}");
    }
}
