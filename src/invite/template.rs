//! The invitation template: what the contact receives, loaded from TOML, checked, and rendered
//! into the texts of the message array of docs/invitation.md ("The message array"); `wire.rs`
//! puts those texts into the JSON the platform receives.
//!
//! Texts may use contact variables (`{givenName}`, `{givenName|there}`, …). The platform has its
//! own `{authuser}` and `{authtoken}` placeholders, filled in by the backend when the SMS goes
//! out, so those two are reserved and passed through untouched (docs/platform.md,
//! "Landing-page placeholders"). Braces are reserved for placeholders: there is no escape for a literal brace,
//! because SMS texts almost never need one and `{{givenName}}` (mustache habit) is far more
//! likely to be a mistake, which validation then points out.

use crate::invite::{import, phone, segments, sender_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The shipped default template, also the source of every default value.
pub const DEFAULT_TEMPLATE_TOML: &str = include_str!("../../assets/templates/default.toml");

/// Variables every contact can have; anything else must be an extra profile field.
pub const BUILTIN_VARIABLES: [&str; 7] = [
    "givenName",
    "familyName",
    "name",
    "email",
    "telephone",
    "organization",
    "locale",
];

/// The platform's own placeholders, filled in by the backend at delivery.
pub const PLATFORM_PLACEHOLDERS: [&str; 2] = ["authuser", "authtoken"];

/// Stand-in for `{authuser}` in previews: a 24-hex-digit id, the shape of platform ids.
pub const PREVIEW_AUTHUSER: &str = "5f3c9a2e8b1d4c6f7a0e2b9d";
/// Stand-in for `{authtoken}` in previews. The real token's length is not documented and not
/// known until delivery; 32 characters is a guess, so previews can be off by a segment.
pub const PREVIEW_AUTHTOKEN: &str = "Xk3vQ9pL2mR7tY5wB8nC4dF6gH1jZ0sA";
/// A 13-digit epoch-millisecond stamp, the length `ts` has until the year 2286.
const PREVIEW_TS_MS: i64 = 1_700_000_000_000;
/// Shown for `ts` where the link is displayed rather than counted.
pub const SEND_TIME_MARK: &str = "<send time>";

/// A message template as stored in TOML. Missing keys take the defaults of
/// [`DEFAULT_TEMPLATE_TOML`]; unknown keys are an error so a typo never silently falls back to
/// a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Template {
    pub name: String,
    pub welcome_text: String,
    pub link_text: String,
    pub link_label: String,
    /// The organization's Conversational Landing Page; required for sending, but may be empty
    /// in a file so a template can be written before the page exists.
    pub clp_url: String,
    /// Alphanumeric sender; empty means none (TOML has no null).
    pub sender_id: String,
    /// Country for national numbers when the organization has none (ISO 3166 alpha-2); the
    /// organization's own country wins (see [`Template::region_for`]).
    pub country: String,
    /// Language stored on newly created contacts.
    pub locale: String,
    pub welcome_delay_ms: u64,
    pub link_delay_ms: u64,
    pub leave_delay_ms: u64,
    pub send_accept: bool,
    pub send_leave: bool,
    /// The most segments one SMS may take once a contact's values are filled in.
    pub max_segments: usize,
}

/// Twilio refuses a message body longer than this, however it is segmented.
pub const MAX_SMS_CHARS: usize = 1600;

impl Default for Template {
    fn default() -> Self {
        Template {
            name: "default".to_owned(),
            welcome_text: "Hi {givenName|there}, it's time to make a new appointment with \
                {organization}. In a moment you'll receive a link to plan it with us.\n"
                .to_owned(),
            link_text: "Please click on the link to plan your meeting with us:".to_owned(),
            link_label: "link:".to_owned(),
            clp_url: String::new(),
            sender_id: String::new(),
            country: "NL".to_owned(),
            locale: "en".to_owned(),
            welcome_delay_ms: 1000,
            link_delay_ms: 10_000,
            leave_delay_ms: 11_000,
            send_accept: true,
            send_leave: true,
            max_segments: 4,
        }
    }
}

/// A template file that could not be read.
#[derive(Debug, Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {origin} is not valid: {message}")]
    Parse { origin: String, message: String },
    #[error("cannot write the template as TOML: {0}")]
    Serialize(String),
}

/// A placeholder that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlaceholderError {
    #[error("a {{ near \"{near}\" is never closed; close it with }}")]
    Unclosed { near: String },
    #[error(
        "a }} near \"{near}\" has no opening {{; braces are only for variables like {{givenName}}"
    )]
    StrayClose { near: String },
    #[error("an empty placeholder {{}}; write a variable name such as {{givenName}}")]
    EmptyName,
    #[error("double braces near \"{near}\"; variables use single braces, e.g. {{givenName}}")]
    DoubleBrace { near: String },
    #[error("{{{name}}} is filled in by the platform and takes no fallback; write {{{name}}}")]
    PlatformWithFallback { name: String },
}

/// One thing wrong with a template; validation reports all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateProblem {
    /// The fallback landing-page address cannot be used (see [`crate::invite::link`]).
    #[error("clp_url \"{url}\" cannot be used: {reason}")]
    ClpUrl { url: String, reason: String },
    #[error("sender_id: {0}")]
    SenderId(sender_id::SenderIdError),
    #[error(
        "{later} ({later_ms} ms) must be larger than {earlier} ({earlier_ms} ms), or the messages arrive out of order"
    )]
    DelayOrder {
        earlier: &'static str,
        earlier_ms: u64,
        later: &'static str,
        later_ms: u64,
    },
    #[error("{field} is empty; write the text the contact should receive")]
    EmptyText { field: &'static str },
    #[error("{field}: {problem}")]
    Placeholder {
        field: &'static str,
        problem: PlaceholderError,
    },
    #[error("{field} uses {{{name}}}, which is not a known variable{hint}")]
    UnknownVariable {
        field: &'static str,
        name: String,
        hint: String,
    },
    #[error("country \"{country}\" is not a two-letter country code such as NL, BE or DE")]
    UnknownCountry { country: String },
    #[error("{0}")]
    InvalidLocale(String),
    #[error("name is empty; give the template a name to recognise it by")]
    EmptyName,
    #[error("max_segments is 0; allow at least 1 segment per SMS")]
    NoSegments,
    /// The texts are too long even before any contact's values are in.
    #[error("{0}")]
    TooLong(String),
}

/// All problems of one template, so a user fixes them in one go instead of one per run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the template has {} problem(s): {}", .0.len(), join_problems(.0))]
pub struct TemplateProblems(pub Vec<TemplateProblem>);

fn join_problems(problems: &[TemplateProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Variables one contact has no value for; that contact is skipped, the others go on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "no value for {}; fill it in for this contact or give the template a fallback such as {{{}|…}}",
    .names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", "),
    .names.first().map_or("givenName", String::as_str)
)]
pub struct MissingVars {
    pub names: Vec<String>,
}

/// Why a template could not be rendered for one contact.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    #[error(transparent)]
    Missing(#[from] MissingVars),
    /// The template's placeholders are malformed; validation would have said so.
    #[error(transparent)]
    Invalid(#[from] TemplateProblems),
    /// A value would put a control character or a direction override into the SMS: a name
    /// that rewrites the customer's screen, or hides what it says, is not sent.
    #[error(
        "{{{name}}} of this contact holds a control character or a text-direction override ({shown}); fix it in the list"
    )]
    Unsafe { name: String, shown: String },
    /// The SMS would be longer than it may be.
    #[error("the {which} SMS would be {chars} characters, {segments} segment(s); {limit}")]
    TooLong {
        which: &'static str,
        chars: usize,
        segments: usize,
        limit: String,
    },
}

/// The texts of one contact's invitation, with their variables filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedTemplate {
    pub welcome_text: String,
    pub link_text: String,
    pub link_label: String,
}

/// A parsed piece of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var {
        name: &'a str,
        fallback: Option<&'a str>,
    },
    Platform(&'a str),
}

/// Up to 20 characters of context for an error message.
fn near(text: &str) -> String {
    text.chars().take(20).collect()
}

fn parse_text(text: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with('}') {
            return Err(PlaceholderError::StrayClose { near: near(tail) });
        }
        if tail.starts_with("{{") {
            return Err(PlaceholderError::DoubleBrace { near: near(tail) });
        }
        let Some(close) = tail.find('}') else {
            return Err(PlaceholderError::Unclosed { near: near(tail) });
        };
        let inner = &tail[1..close];
        if inner.contains('{') {
            return Err(PlaceholderError::Unclosed { near: near(tail) });
        }
        pieces.push(placeholder(inner)?);
        rest = &tail[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// Reads the inside of `{…}`: a name, optionally `|` and a fallback (both trimmed, so
/// `{givenName | there}` means what it looks like).
fn placeholder(inner: &str) -> Result<Piece<'_>, PlaceholderError> {
    let (name, fallback) = match inner.split_once('|') {
        Some((n, f)) => (n.trim(), Some(f.trim())),
        None => (inner.trim(), None),
    };
    if name.is_empty() {
        return Err(PlaceholderError::EmptyName);
    }
    match (PLATFORM_PLACEHOLDERS.contains(&name), fallback) {
        (true, None) => Ok(Piece::Platform(name)),
        (true, Some(_)) => Err(PlaceholderError::PlatformWithFallback {
            name: name.to_owned(),
        }),
        (false, _) => Ok(Piece::Var { name, fallback }),
    }
}

/// Profile values are inserted as written, except braces: a contact named "{authtoken}" must
/// not become a platform placeholder that the backend would fill in.
fn sanitize_value(value: &str) -> String {
    value
        .trim()
        .chars()
        .filter(|c| !matches!(c, '{' | '}'))
        .collect()
}

fn render_text(
    text: &str,
    field: &'static str,
    vars: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> Result<String, RenderError> {
    let pieces = parse_text(text).map_err(|problem| {
        TemplateProblems(vec![TemplateProblem::Placeholder { field, problem }])
    })?;
    let mut out = String::with_capacity(text.len());
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Platform(name) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            Piece::Var { name, fallback } => {
                let value = vars(name)
                    .map(|v| sanitize_value(&v))
                    .filter(|v| !v.is_empty());
                if let Some(v) = value.as_deref()
                    && v.chars().any(crate::safe_text::needs_escape)
                {
                    return Err(RenderError::Unsafe {
                        name: name.to_owned(),
                        shown: crate::safe_text::printable(v).into_owned(),
                    });
                }
                match (value, fallback) {
                    (Some(v), _) => out.push_str(&v),
                    (None, Some(f)) => out.push_str(f),
                    (None, None) if !missing.iter().any(|m| m == name) => {
                        missing.push(name.to_owned())
                    }
                    (None, None) => {}
                }
            }
        }
    }
    Ok(out.trim().to_owned())
}

impl Template {
    /// Reads a template from TOML text; `origin` names it in error messages (a path, or
    /// "built-in").
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, TemplateError> {
        toml::from_str(text).map_err(|e| TemplateError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads a template file; errors name the path so the user knows which file to fix.
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The template as TOML, for saving a template edited in the TUI.
    pub fn to_toml(&self) -> Result<String, TemplateError> {
        toml::to_string(self).map_err(|e| TemplateError::Serialize(e.to_string()))
    }

    /// The SenderID, if one is set.
    pub fn sender(&self) -> Option<&str> {
        (!self.sender_id.is_empty()).then_some(self.sender_id.as_str())
    }

    /// The default country for national numbers, if the template sets one.
    pub fn region(&self) -> Option<&str> {
        let c = self.country.trim();
        (!c.is_empty()).then_some(c)
    }

    /// The country a number typed without `+` belongs to, for contacts of an organization:
    /// the organization's own country, else the template's. A Belgian garage's customers type
    /// Belgian numbers, whatever country the shared template was written for.
    pub fn region_for<'a>(
        &'a self,
        org: Option<&'a crate::api::models::Organization>,
    ) -> Option<&'a str> {
        org.and_then(|o| o.extra_str("country"))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .or(self.region())
    }

    fn texts(&self) -> [(&'static str, &str); 3] {
        [
            ("welcome_text", &self.welcome_text),
            ("link_text", &self.link_text),
            ("link_label", &self.link_label),
        ]
    }

    /// The contact variables the texts use, in order of first use, so a CSV's header can be
    /// checked against them before any row is read.
    pub fn used_variables(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (_, text) in self.texts() {
            for piece in parse_text(text).unwrap_or_default() {
                if let Piece::Var { name, .. } = piece
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    /// Checks everything that would make sending fail or misbehave, and reports all problems.
    /// `extra_fields` are the profile fields the contacts are known to have beyond the built-in
    /// ones (e.g. the extra columns of an imported CSV).
    pub fn validate(&self, extra_fields: &[&str]) -> Result<(), TemplateProblems> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(TemplateProblem::EmptyName);
        }
        self.check_texts(extra_fields, &mut problems);
        // The address is the organization's (see `link`); the template's is a fallback, checked
        // here only for its shape, since whether plain http is acceptable depends on the API.
        let url = self.clp_url.trim();
        if !url.is_empty()
            && let Err(reason) = crate::invite::link::check_clp_url(url, true)
        {
            problems.push(TemplateProblem::ClpUrl {
                url: url.to_owned(),
                reason,
            });
        }
        if let Some(sender) = self.sender()
            && let Err(e) = sender_id::validate(sender)
        {
            problems.push(TemplateProblem::SenderId(e));
        }
        self.check_delays(&mut problems);
        if self.max_segments == 0 {
            problems.push(TemplateProblem::NoSegments);
        } else if problems.is_empty() {
            // With a short stand-in for every value, the texts alone must already fit.
            let short = |name: &str| Some(name.chars().take(4).collect::<String>());
            if let Err(RenderError::TooLong {
                which,
                chars,
                segments,
                limit,
            }) = self.render(&short)
            {
                problems.push(TemplateProblem::TooLong(format!(
                    "the {which} SMS is {chars} characters, {segments} segment(s) even before a contact's values are in; {limit}"
                )));
            }
        }
        if let Some(country) = self.region()
            && !phone::is_known_region(country)
        {
            problems.push(TemplateProblem::UnknownCountry {
                country: country.to_owned(),
            });
        }
        if !self.locale.trim().is_empty()
            && let Err(e) = import::normalize_locale(&self.locale)
        {
            problems.push(TemplateProblem::InvalidLocale(e));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(TemplateProblems(problems))
        }
    }

    fn check_texts(&self, extra_fields: &[&str], problems: &mut Vec<TemplateProblem>) {
        for (field, text) in self.texts() {
            if text.trim().is_empty() {
                problems.push(TemplateProblem::EmptyText { field });
                continue;
            }
            let pieces = match parse_text(text) {
                Ok(p) => p,
                Err(problem) => {
                    problems.push(TemplateProblem::Placeholder { field, problem });
                    continue;
                }
            };
            let mut reported: Vec<&str> = Vec::new();
            for piece in pieces {
                let Piece::Var { name, .. } = piece else {
                    continue;
                };
                let known = BUILTIN_VARIABLES.contains(&name) || extra_fields.contains(&name);
                if !known && !reported.contains(&name) {
                    reported.push(name);
                    problems.push(TemplateProblem::UnknownVariable {
                        field,
                        name: name.to_owned(),
                        hint: variable_hint(name, extra_fields),
                    });
                }
            }
        }
    }

    fn check_delays(&self, problems: &mut Vec<TemplateProblem>) {
        if self.link_delay_ms <= self.welcome_delay_ms {
            problems.push(TemplateProblem::DelayOrder {
                earlier: "welcome_delay_ms",
                earlier_ms: self.welcome_delay_ms,
                later: "link_delay_ms",
                later_ms: self.link_delay_ms,
            });
        }
        if self.send_leave && self.leave_delay_ms <= self.link_delay_ms {
            problems.push(TemplateProblem::DelayOrder {
                earlier: "link_delay_ms",
                earlier_ms: self.link_delay_ms,
                later: "leave_delay_ms",
                later_ms: self.leave_delay_ms,
            });
        }
    }

    /// Things that do not block sending but that the user should see before confirming.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.link_delay_ms < 10_000 {
            out.push(format!(
                "link_delay_ms is {} ms; below 10000 ms the platform may not have the contact's link token ready and the link can arrive broken",
                self.link_delay_ms
            ));
        }
        if let Some(sender) = self.sender() {
            out.extend(sender_id::warnings(sender, self.region()));
            if let Some(region) = self.region() {
                let support = sender_id::alpha_sender_support(region);
                if support.support != sender_id::AlphaSupport::Supported {
                    out.push(format!("SenderID in {region}: {}", support.reason));
                }
            }
        }
        for (field, text) in self.texts() {
            out.extend(encoding_warning(field, text));
        }
        out
    }

    /// Fills in one contact's variables. `vars` returns a contact's value for a variable name;
    /// blank values count as missing, so a fallback applies to them.
    pub fn render(
        &self,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RenderedTemplate, RenderError> {
        let mut missing = Vec::new();
        let rendered = RenderedTemplate {
            welcome_text: render_text(&self.welcome_text, "welcome_text", vars, &mut missing)?,
            link_text: render_text(&self.link_text, "link_text", vars, &mut missing)?,
            link_label: render_text(&self.link_label, "link_label", vars, &mut missing)?,
        };
        if !missing.is_empty() {
            return Err(MissingVars { names: missing }.into());
        }
        self.check_length(&rendered)?;
        Ok(rendered)
    }

    /// Each SMS within Twilio's 1,600 characters and the template's segment ceiling, counted as
    /// the contact will receive it (the platform's placeholders at a plausible length).
    fn check_length(&self, rendered: &RenderedTemplate) -> Result<(), RenderError> {
        let (welcome, link) = self.sms_previews(rendered);
        for (which, text) in [("welcome", welcome), ("link", link)] {
            let info = segments::analyze(&text);
            let limit = if info.chars > MAX_SMS_CHARS {
                format!("an SMS may have at most {MAX_SMS_CHARS} characters")
            } else if info.segments > self.max_segments {
                format!(
                    "the template allows {} (max_segments); shorten the text or the values",
                    self.max_segments
                )
            } else {
                continue;
            };
            return Err(RenderError::TooLong {
                which,
                chars: info.chars,
                segments: info.segments,
                limit,
            });
        }
        Ok(())
    }

    /// The two SMS texts as the contact will roughly see them, for segment counting: the
    /// welcome text, and the link text with the label and the link on the next line. The
    /// platform placeholders are replaced by stand-ins of plausible length
    /// ([`PREVIEW_AUTHUSER`], [`PREVIEW_AUTHTOKEN`]); the real token length is unknown, so
    /// treat the link SMS count as an estimate.
    pub fn sms_previews(&self, rendered: &RenderedTemplate) -> (String, String) {
        let link = format!(
            "{}\n{} {}",
            rendered.link_text,
            rendered.link_label,
            self.link_uri(PREVIEW_TS_MS)
        );
        (
            with_stand_ins(&rendered.welcome_text),
            with_stand_ins(&link),
        )
    }

    /// The two SMS as the screens show them. Unlike [`Template::sms_previews`], the platform's
    /// placeholders stay visible (they are filled per contact at delivery) and the time stamp
    /// says it is set at sending, so no stand-in is mistaken for a working link or a real token.
    pub fn sms_display(&self, rendered: &RenderedTemplate) -> (String, String) {
        let link = format!(
            "{}\n{} {}",
            rendered.link_text,
            rendered.link_label,
            self.link_uri_with(SEND_TIME_MARK)
        );
        (rendered.welcome_text.clone(), link)
    }

    /// A short, stable fingerprint of what the contact receives, so a re-invite cooldown can
    /// tell "the same invitation again" from "a different message". The template's name,
    /// country and locale are left out: renaming a template does not change what is sent.
    pub fn template_hash(&self) -> String {
        let fields: [(&str, String); 10] = [
            ("welcome_text", self.welcome_text.trim().to_owned()),
            ("link_text", self.link_text.trim().to_owned()),
            ("link_label", self.link_label.trim().to_owned()),
            ("clp_url", self.clp_url.trim().to_owned()),
            ("sender_id", self.sender_id.clone()),
            ("welcome_delay_ms", self.welcome_delay_ms.to_string()),
            ("link_delay_ms", self.link_delay_ms.to_string()),
            ("leave_delay_ms", self.leave_delay_ms.to_string()),
            ("send_accept", self.send_accept.to_string()),
            ("send_leave", self.send_leave.to_string()),
        ];
        let mut hasher = Sha256::new();
        for (key, value) in fields {
            // Length-prefixed so that moving text from one field to the next changes the hash.
            hasher.update(format!("{key}:{}:", value.len()).as_bytes());
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
        let mut hex = hex::encode(hasher.finalize());
        hex.truncate(16);
        hex
    }
}

fn with_stand_ins(text: &str) -> String {
    text.replace("{authuser}", PREVIEW_AUTHUSER)
        .replace("{authtoken}", PREVIEW_AUTHTOKEN)
}

fn encoding_warning(field: &str, text: &str) -> Option<String> {
    let info = segments::analyze(text);
    if info.non_gsm.is_empty() {
        return None;
    }
    let chars: String = info.non_gsm.iter().collect();
    let hint = if segments::gsm_safe_suggestion(text).is_some() {
        "; they have plain look-alikes that would fit in GSM"
    } else {
        ""
    };
    Some(format!(
        "{field} contains characters outside the GSM alphabet ({chars}), so each SMS holds only 70 characters instead of 160{hint}"
    ))
}

/// "did you mean" for a variable that differs from a known one only in case, the most common
/// slip (`{givenname}`, `{Organization}`).
fn variable_hint(name: &str, extra_fields: &[&str]) -> String {
    let known = BUILTIN_VARIABLES.iter().chain(extra_fields.iter());
    let close = known.clone().find(|k| k.eq_ignore_ascii_case(name));
    match close {
        Some(k) => format!("; did you mean {{{k}}}?"),
        None => format!(
            "; known variables are {}",
            known
                .map(|k| format!("{{{k}}}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn valid() -> Template {
        Template {
            clp_url: "https://clp.example.nl/chat".to_owned(),
            ..Template::default()
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn problems(t: &Template) -> Vec<TemplateProblem> {
        t.validate(&[]).err().map(|p| p.0).unwrap_or_default()
    }

    fn rendered(t: &Template, pairs: &[(&str, &str)]) -> RenderedTemplate {
        match t.render(&vars(pairs)) {
            Ok(r) => r,
            Err(e) => panic!("render failed: {e}"),
        }
    }

    #[test]
    fn a_value_with_control_characters_is_refused_with_the_reason() {
        let t = valid();
        let e = t
            .render(&vars(&[
                ("givenName", "Jan\u{1b}]52;c;aGk=\u{7}"),
                ("organization", "Acme"),
            ]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "{givenName} of this contact holds a control character or a text-direction override (Jan\\x1b]52;c;aGk=\\x07); fix it in the list"
        );
        let rlo = t
            .render(&vars(&[
                ("givenName", "Jan\u{202e}"),
                ("organization", "Acme"),
            ]))
            .unwrap_err();
        assert!(matches!(rlo, RenderError::Unsafe { .. }), "{rlo}");
    }

    #[test]
    fn an_sms_longer_than_allowed_is_refused_per_contact_and_in_the_template() {
        let t = valid();
        // A 10,000-character name would make the welcome SMS dozens of segments long.
        let long = "N".repeat(10_000);
        let e = t
            .render(&vars(&[("givenName", &long), ("organization", "Acme")]))
            .unwrap_err();
        assert!(
            matches!(
                &e,
                RenderError::TooLong {
                    which: "welcome",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("at most 1600 characters"), "{e}");
        // Within 1,600 characters but past the template's ceiling.
        let tight = Template {
            max_segments: 1,
            ..valid()
        };
        let e = tight
            .render(&vars(&[
                ("givenName", &"N".repeat(200)),
                ("organization", "Acme"),
            ]))
            .unwrap_err();
        assert!(e.to_string().contains("max_segments"), "{e}");
        // A 100 KB text fails the template itself, before any contact.
        let huge = Template {
            welcome_text: "x".repeat(100 * 1024),
            ..valid()
        };
        assert!(
            problems(&huge)
                .iter()
                .any(|p| matches!(p, TemplateProblem::TooLong(_))),
            "{:?}",
            problems(&huge)
        );
        let none = Template {
            max_segments: 0,
            ..valid()
        };
        assert_eq!(problems(&none), vec![TemplateProblem::NoSegments]);
    }

    #[test]
    fn the_organizations_country_reads_its_national_numbers() {
        let org = |country: Option<&str>| -> crate::api::models::Organization {
            let mut v = serde_json::json!({"id": "o"});
            if let Some(c) = country {
                v["country"] = serde_json::json!(c);
            }
            serde_json::from_value(v).unwrap()
        };
        let t = Template::default();
        assert_eq!(t.region_for(Some(&org(Some("BE")))), Some("BE"));
        assert_eq!(t.region_for(Some(&org(None))), Some("NL"));
        assert_eq!(t.region_for(None), Some("NL"));
        let none = Template {
            country: String::new(),
            ..Template::default()
        };
        assert_eq!(none.region_for(Some(&org(Some("DE")))), Some("DE"));
        assert_eq!(none.region_for(None), None);
    }

    #[test]
    fn shipped_file_is_exactly_the_defaults() {
        let parsed = Template::from_toml(DEFAULT_TEMPLATE_TOML, "built-in");
        assert_eq!(parsed.ok(), Some(Template::default()));
    }

    #[test]
    fn defaults_follow_the_brief() {
        let t = Template::default();
        assert_eq!(
            t.link_text,
            "Please click on the link to plan your meeting with us:"
        );
        assert_eq!(t.link_label, "link:");
        assert_eq!(
            (t.welcome_delay_ms, t.link_delay_ms, t.leave_delay_ms),
            (1000, 10_000, 11_000)
        );
        assert!(t.send_accept && t.send_leave);
        assert_eq!(t.locale, "en");
        assert!(t.welcome_text.contains("{organization}"));
        assert_eq!(
            problems(&t),
            vec![],
            "the address may come from the organization"
        );
        assert_eq!(problems(&valid()), vec![]);
    }

    #[test]
    fn default_welcome_fits_one_sms_and_the_link_sms_needs_two() {
        // The brief's link text plus a short CLP URL and the platform parameters already passes
        // 160 characters, so the link SMS is billed as two; the preview must show that.
        let t = valid();
        let r = rendered(
            &t,
            &[("givenName", "Jan"), ("organization", "Garage Jansen B.V.")],
        );
        let (welcome, link) = t.sms_previews(&r);
        let welcome = segments::analyze(&welcome);
        let link = segments::analyze(&link);
        assert_eq!(
            (welcome.encoding, welcome.segments),
            (segments::Encoding::Gsm7, 1)
        );
        assert_eq!(
            (link.encoding, link.segments),
            (segments::Encoding::Gsm7, 2)
        );
    }

    #[test]
    fn missing_keys_take_defaults() {
        let t = Template::from_toml("clp_url = \"https://x.nl\"\nsend_leave = false\n", "test");
        let t = t.unwrap_or_default();
        assert_eq!(t.clp_url, "https://x.nl");
        assert!(!t.send_leave);
        assert_eq!(t.link_label, "link:");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err = Template::from_toml("welcom_text = \"hi\"\n", "my.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("welcom_text"), "{msg}");
        assert!(msg.contains("my.toml"), "{msg}");
    }

    #[test]
    fn wrong_types_are_rejected() {
        let err = Template::from_toml("link_delay_ms = \"ten\"\n", "t").unwrap_err();
        assert!(err.to_string().contains("link_delay_ms"), "{err}");
        assert!(Template::from_toml("link_delay_ms = -1\n", "t").is_err());
    }

    #[test]
    fn load_reports_the_path() {
        let err = Template::load(Path::new("/nonexistent/t.toml")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/t.toml"));
    }

    #[test]
    fn toml_round_trip() {
        let t = Template {
            sender_id: "ACME".into(),
            welcome_text: "line 1\nline \"2\"".into(),
            ..valid()
        };
        let text = t.to_toml().unwrap_or_default();
        assert_eq!(Template::from_toml(&text, "t").ok(), Some(t));
    }

    #[test]
    fn a_fallback_clp_url_is_checked_with_the_link_rule() {
        let with = |url: &str| {
            problems(&Template {
                clp_url: url.into(),
                ..Template::default()
            })
        };
        assert_eq!(with("https://clp.example.nl/a?b=c#x"), vec![]);
        assert_eq!(with("http://localhost:8080/clp"), vec![]);
        for bad in [
            "http://clp.example.nl",
            "ftp://x.nl",
            "https://u:p@x.nl/",
            "https://x.nl/?id={authuser}",
        ] {
            assert!(
                matches!(with(bad).as_slice(), [TemplateProblem::ClpUrl { .. }]),
                "{bad}"
            );
        }
    }

    #[test]
    fn validation_reports_every_problem_at_once() {
        let t = Template {
            name: " ".into(),
            welcome_text: "Hi {givenname}".into(),
            link_text: "".into(),
            link_label: "{oops".into(),
            clp_url: "http://clp.example.nl".into(),
            sender_id: "123".into(),
            country: "XX".into(),
            locale: "dutch".into(),
            welcome_delay_ms: 5000,
            link_delay_ms: 5000,
            leave_delay_ms: 100,
            ..Template::default()
        };
        let p = problems(&t);
        assert_eq!(p.len(), 10, "{p:#?}");
        assert!(p.contains(&TemplateProblem::EmptyName));
        assert!(p.contains(&TemplateProblem::EmptyText { field: "link_text" }));
        assert!(p.iter().any(|x| matches!(x, TemplateProblem::UnknownVariable { hint, .. } if hint.contains("{givenName}"))));
        assert!(p.iter().any(|x| matches!(
            x,
            TemplateProblem::Placeholder {
                field: "link_label",
                ..
            }
        )));
        assert!(
            p.iter()
                .any(|x| matches!(x, TemplateProblem::ClpUrl { .. }))
        );
        assert!(p.iter().any(|x| matches!(x, TemplateProblem::SenderId(_))));
        assert!(
            p.iter()
                .any(|x| matches!(x, TemplateProblem::UnknownCountry { .. }))
        );
        assert!(
            p.iter()
                .any(|x| matches!(x, TemplateProblem::InvalidLocale(_)))
        );
        let delays = p
            .iter()
            .filter(|x| matches!(x, TemplateProblem::DelayOrder { .. }))
            .count();
        assert_eq!(delays, 2);
        let all = TemplateProblems(p).to_string();
        assert!(all.starts_with("the template has 10 problem(s)"), "{all}");
    }

    #[test]
    fn leave_delay_is_not_checked_when_leave_is_off() {
        let t = Template {
            send_leave: false,
            leave_delay_ms: 0,
            ..valid()
        };
        assert_eq!(problems(&t), vec![]);
    }

    #[test]
    fn extra_fields_are_known_variables() {
        let t = Template {
            welcome_text: "Hi {givenName}, see you in {City}".into(),
            ..valid()
        };
        assert!(
            matches!(&problems(&t)[..], [TemplateProblem::UnknownVariable { name, .. }] if name == "City")
        );
        assert_eq!(t.validate(&["City"]), Ok(()));
    }

    #[test]
    fn placeholder_syntax_errors() {
        assert!(matches!(
            parse_text("a } b"),
            Err(PlaceholderError::StrayClose { .. })
        ));
        assert!(matches!(
            parse_text("a { b"),
            Err(PlaceholderError::Unclosed { .. })
        ));
        assert!(matches!(
            parse_text("{a {b}"),
            Err(PlaceholderError::Unclosed { .. })
        ));
        assert!(matches!(parse_text("{}"), Err(PlaceholderError::EmptyName)));
        assert!(matches!(
            parse_text("{ |x}"),
            Err(PlaceholderError::EmptyName)
        ));
        assert!(matches!(
            parse_text("{{givenName}}"),
            Err(PlaceholderError::DoubleBrace { .. })
        ));
        assert!(matches!(
            parse_text("{authuser|x}"),
            Err(PlaceholderError::PlatformWithFallback { .. })
        ));
        let msg = PlaceholderError::DoubleBrace {
            near: "{{x}}".into(),
        }
        .to_string();
        assert!(msg.contains("{givenName}"), "{msg}");
    }

    #[test]
    fn placeholder_parsing() {
        assert_eq!(
            parse_text("Hi {givenName | there}, {authtoken}!"),
            Ok(vec![
                Piece::Text("Hi "),
                Piece::Var {
                    name: "givenName",
                    fallback: Some("there")
                },
                Piece::Text(", "),
                Piece::Platform("authtoken"),
                Piece::Text("!"),
            ])
        );
    }

    #[test]
    fn render_fills_variables_and_fallbacks() {
        let t = Template {
            welcome_text: "Hi {givenName|there} {familyName|}, {organization} ({City})".into(),
            ..valid()
        };
        let r = rendered(
            &t,
            &[
                ("givenName", "Jan"),
                ("organization", "Acme"),
                ("City", "Delft"),
            ],
        );
        assert_eq!(r.welcome_text, "Hi Jan , Acme (Delft)");
        let r = rendered(
            &t,
            &[
                ("givenName", "  "),
                ("organization", "Acme"),
                ("City", "Delft"),
            ],
        );
        assert_eq!(r.welcome_text, "Hi there , Acme (Delft)");
    }

    #[test]
    fn render_blocks_only_on_missing_values_and_lists_them_once() {
        let t = Template {
            welcome_text: "{givenName} {City} {givenName}".into(),
            link_text: "{email}".into(),
            ..valid()
        };
        let err = t.render(&vars(&[])).unwrap_err();
        assert_eq!(
            err,
            RenderError::Missing(MissingVars {
                names: vec!["givenName".into(), "City".into(), "email".into()]
            })
        );
        let msg = err.to_string();
        assert!(
            msg.contains("{givenName}, {City}, {email}") && msg.contains("{givenName|"),
            "{msg}"
        );
    }

    #[test]
    fn render_passes_platform_placeholders_through() {
        let t = Template {
            link_text: "Go {authuser} {authtoken}".into(),
            ..valid()
        };
        let r = rendered(&t, &[("organization", "Acme")]);
        assert_eq!(r.link_text, "Go {authuser} {authtoken}");
    }

    #[test]
    fn render_keeps_profile_values_from_injecting_placeholders() {
        let t = Template {
            welcome_text: "Hi {givenName}".into(),
            ..valid()
        };
        let r = rendered(&t, &[("givenName", "{authtoken}")]);
        assert_eq!(r.welcome_text, "Hi authtoken");
    }

    #[test]
    fn render_of_a_malformed_template_is_an_invalid_error() {
        let t = Template {
            welcome_text: "Hi {".into(),
            ..valid()
        };
        assert!(matches!(t.render(&vars(&[])), Err(RenderError::Invalid(_))));
    }

    #[test]
    fn render_trims_texts() {
        let r = rendered(&valid(), &[("organization", "Acme")]);
        assert!(r.welcome_text.ends_with("with us."));
        assert!(r.welcome_text.starts_with("Hi there, "));
    }

    #[test]
    fn display_keeps_the_platform_placeholders_visible() {
        let t = Template {
            clp_url: "https://x.nl/c?a=1#f".into(),
            welcome_text: "W {authuser}".into(),
            ..valid()
        };
        let r = rendered(&t, &[("givenName", "Jan"), ("organization", "Acme")]);
        let (welcome, link) = t.sms_display(&r);
        assert_eq!(welcome, "W {authuser}");
        assert!(
            link.ends_with("https://x.nl/c?a=1&id={authuser}&token={authtoken}&ts=<send time>#f"),
            "{link}"
        );
        assert!(!link.contains(PREVIEW_AUTHTOKEN) && !welcome.contains(PREVIEW_AUTHUSER));
    }

    #[test]
    fn previews_use_stand_ins_of_realistic_length() {
        let t = Template {
            clp_url: "https://x.nl/c?a=1#f".into(),
            ..valid()
        };
        let r = RenderedTemplate {
            welcome_text: "W {authuser}".into(),
            link_text: "Click:".into(),
            link_label: "link:".into(),
        };
        let (welcome, link) = t.sms_previews(&r);
        assert_eq!(welcome, format!("W {PREVIEW_AUTHUSER}"));
        assert_eq!(
            link,
            format!(
                "Click:\nlink: https://x.nl/c?a=1&id={PREVIEW_AUTHUSER}&token={PREVIEW_AUTHTOKEN}&ts=1700000000000#f"
            )
        );
        assert_eq!((PREVIEW_AUTHUSER.len(), PREVIEW_AUTHTOKEN.len()), (24, 32));
    }

    #[test]
    fn hash_is_stable_short_and_tracks_content_only() {
        let t = valid();
        let h = t.template_hash();
        assert_eq!(h.len(), 16);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(h, valid().template_hash());
        let renamed = Template {
            name: "other".into(),
            country: "BE".into(),
            ..valid()
        };
        assert_eq!(renamed.template_hash(), h);
        let reworded = Template {
            link_label: "Link:".into(),
            ..valid()
        };
        assert_ne!(reworded.template_hash(), h);
        let moved = Template {
            link_text: format!("{}x", t.link_text),
            link_label: t.link_label[1..].to_owned(),
            ..valid()
        };
        assert_ne!(moved.template_hash(), h);
        assert_ne!(
            Template {
                send_leave: false,
                ..valid()
            }
            .template_hash(),
            h
        );
    }

    #[test]
    fn used_variables_in_order_of_first_use() {
        let t = Template {
            welcome_text: "{givenName} {organization} {givenName}".into(),
            link_text: "{City|x} {authuser}".into(),
            ..valid()
        };
        assert_eq!(
            t.used_variables(),
            vec!["givenName", "organization", "City"]
        );
    }

    #[test]
    fn warnings_cover_delay_sender_and_encoding() {
        assert_eq!(valid().warnings(), Vec::<String>::new());
        let t = Template {
            link_delay_ms: 5000,
            leave_delay_ms: 6000,
            sender_id: "ACME".into(),
            country: "US".into(),
            welcome_text: "Financiële hulp".into(),
            ..valid()
        };
        let w = t.warnings().join("\n");
        assert!(w.contains("below 10000"), "{w}");
        assert!(w.contains("one-way"), "{w}");
        assert!(w.contains("SenderID in US"), "{w}");
        assert!(
            w.contains("welcome_text contains characters outside the GSM alphabet (ë)"),
            "{w}"
        );
        assert!(w.contains("look-alikes"), "{w}");
    }

    #[test]
    fn accessors_treat_empty_as_unset() {
        let t = Template {
            sender_id: String::new(),
            country: " ".into(),
            ..valid()
        };
        assert_eq!((t.sender(), t.region()), (None, None));
        let t = Template {
            sender_id: "ACME".into(),
            country: "BE".into(),
            ..valid()
        };
        assert_eq!((t.sender(), t.region()), (Some("ACME"), Some("BE")));
    }

    proptest! {
        #[test]
        fn any_text_never_panics(text in any::<String>(), value in any::<String>()) {
            let t = Template { welcome_text: text.clone(), link_text: text.clone(), clp_url: text, ..Template::default() };
            let _ = t.validate(&[]);
            let _ = t.warnings();
            let _ = t.used_variables();
            let _ = t.link_uri(0);
            if let Ok(r) = t.render(&|_| Some(value.clone())) {
                let _ = t.messages(&r, "x", 0);
                let _ = t.sms_previews(&r);
            }
        }

        #[test]
        fn rendered_values_never_add_placeholders(value in any::<String>()) {
            let t = Template { welcome_text: "{givenName}".into(), ..valid() };
            if let Ok(r) = t.render(&|_| Some(value.clone())) {
                let clean = !r.welcome_text.contains(['{', '}']);
                prop_assert!(clean, "braces in {:?}", r.welcome_text);
            }
        }

        #[test]
        fn any_toml_never_panics(s in any::<String>()) {
            let _ = Template::from_toml(&s, "p");
        }
    }
}
