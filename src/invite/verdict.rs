//! What happens to one contact of a batch, decided by rules both front ends share: the send
//! engine applies them at send time, and the TUI's confirm screen applies them to what its
//! lookups found, so the operator sees beforehand exactly the verdict and the reason the
//! send will give.
//!
//! The rules, in the order they apply:
//! 1. **Cooldown**: a number invited with the same template recently is skipped.
//! 2. **Which contact**: no platform contact means a new one is created; one contact gets the
//!    invitation in its conversation; several contacts sharing the number are never picked
//!    from arbitrarily: the operator names one (or, in the TUI, chooses all of them).
//! 3. **Held by a person**: a conversation an agent has accepted right now is not barged into.
//!
//! Rules 1 and 3 are skips the operator may override explicitly, per contact or per run
//! ([`Force`]); rule 2 fails the row until a contact is named.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cooldown::{self, LastInvite};
use super::events::State;
use super::target::Target;
use crate::api::Client;
use crate::api::models::PlatformContact;

/// Skips the operator chose to override for a contact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Force {
    /// Send although this template went to the number within the cooldown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cooldown: bool,
    /// Send although a person holds the conversation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl Force {
    /// `--force`: every skip overridden.
    pub const ALL: Force = Force {
        cooldown: true,
        held: true,
    };

    pub fn is_none(&self) -> bool {
        *self == Force::default()
    }

    pub fn or(self, other: Force) -> Force {
        Force {
            cooldown: self.cooldown || other.cooldown,
            held: self.held || other.held,
        }
    }
}

/// A platform contact that has the number, as a lookup found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub contact_id: String,
    pub name: Option<String>,
    pub conversation: Option<String>,
    /// The people who hold its conversation right now; `None` when the lookup did not bring
    /// the conversation's participants along (the engine then reads the conversation).
    pub holders: Option<Vec<String>>,
}

impl Found {
    pub fn from_contact(c: &PlatformContact) -> Found {
        let conversation = c.conversation.as_ref();
        let holders = conversation.and_then(|r| r.doc()).map(|conv| {
            conv.holders()
                .iter()
                .map(|p| holder_name(p.name.as_deref(), p.user.as_deref()))
                .collect()
        });
        Found {
            contact_id: c.id.clone(),
            name: c.profile.full_name(),
            conversation: conversation.map(|r| r.id().to_string()),
            holders,
        }
    }

    /// "Jan Jansen (5f01…)" or "no name (5f01…)".
    pub fn label(&self) -> String {
        format!(
            "{} ({})",
            self.name.as_deref().unwrap_or("no name"),
            self.contact_id
        )
    }
}

/// How a person holding a conversation is named.
pub fn holder_name(name: Option<&str>, user: Option<&str>) -> String {
    name.or(user).unwrap_or("an agent").to_string()
}

/// What the operator can do about a refusal; each front end words it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    /// Name the platform contact (a contactId column, `--contact-id`, or a pick in the TUI).
    NameContact,
    /// Override the skip explicitly (`--force`, or `f` in the TUI).
    Force,
}

impl Remedy {
    /// The command line's wording.
    pub fn cli_hint(self) -> &'static str {
        match self {
            Remedy::NameContact => "name one: a contactId column or --contact-id",
            Remedy::Force => "use --force to send anyway",
        }
    }
}

/// Why a contact does not get an invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `Skipped` (deliberately left alone) or `Failed` (cannot be sent as asked).
    pub state: State,
    pub reason: String,
    pub remedy: Option<Remedy>,
}

impl Refusal {
    fn skip(reason: String) -> Refusal {
        Refusal {
            state: State::Skipped,
            reason,
            remedy: Some(Remedy::Force),
        }
    }

    fn fail(reason: String, remedy: Option<Remedy>) -> Refusal {
        Refusal {
            state: State::Failed,
            reason,
            remedy,
        }
    }

    /// The reason with the command line's remedy, as `send` prints it.
    pub fn cli_text(&self) -> String {
        match self.remedy {
            Some(r) => format!("{}; {}", self.reason, r.cli_hint()),
            None => self.reason.clone(),
        }
    }
}

/// Rule 1: the cooldown. An invitation older than the cooldown does not count, whoever
/// passed it in: a screen left open may outlive the cooldown its lookup saw.
pub fn cooled(
    last: Option<&LastInvite>,
    cooldown: Duration,
    force: Force,
    now: DateTime<Utc>,
) -> Option<Refusal> {
    let within = |l: &&LastInvite| {
        chrono::Duration::from_std(cooldown).is_ok_and(|c| now.signed_duration_since(l.at) < c)
    };
    let last = last.filter(|_| !force.cooldown).filter(within)?;
    Some(Refusal::skip(cooldown::reason(last, cooldown, now)))
}

/// Who gets the invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick<'a> {
    /// Nobody has the number: the platform creates the contact.
    New,
    Existing(&'a Found),
}

/// Rule 2: which contact. `contact_id` is the one the operator named, if any.
pub fn pick<'a>(contact_id: Option<&str>, found: &'a [Found]) -> Result<Pick<'a>, Refusal> {
    match (found, contact_id) {
        ([], None) => Ok(Pick::New),
        ([], Some(id)) => Err(Refusal::fail(
            format!("no contact {id} has this number in the organization"),
            None,
        )),
        (many, Some(id)) => many
            .iter()
            .find(|c| c.contact_id == id)
            .map(Pick::Existing)
            .ok_or_else(|| {
                Refusal::fail(
                    format!(
                        "contact {id} does not have this number; {} other contact(s) do",
                        many.len()
                    ),
                    None,
                )
            }),
        ([one], None) => Ok(Pick::Existing(one)),
        (many, None) => Err(Refusal::fail(
            shared_reason(many),
            Some(Remedy::NameContact),
        )),
    }
}

/// "2 contacts share this number: Mark Visser (…), Eva Visser (…)".
pub fn shared_reason(found: &[Found]) -> String {
    let names: Vec<String> = found.iter().map(Found::label).collect();
    format!(
        "{} contacts share this number: {}",
        found.len(),
        names.join(", ")
    )
}

/// Rule 3: a person holds the conversation.
pub fn held(holders: &[String], force: Force) -> Option<Refusal> {
    if holders.is_empty() || force.held {
        return None;
    }
    Some(Refusal::skip(format!(
        "{} has the conversation accepted right now; not barging in",
        holders.join(", ")
    )))
}

/// The verdict for a contact whose lookup is known: all three rules in order. A contact whose
/// conversation was not read yet (`holders: None`) passes rule 3 here; the engine reads the
/// conversation and applies [`held`] before it sends.
pub fn assess<'a>(
    contact_id: Option<&str>,
    force: Force,
    found: &'a [Found],
    last: Option<&LastInvite>,
    cooldown: Duration,
    now: DateTime<Utc>,
) -> Result<Pick<'a>, Refusal> {
    if let Some(r) = cooled(last, cooldown, force, now) {
        return Err(r);
    }
    let pick = pick(contact_id, found)?;
    if let Pick::Existing(c) = pick
        && let Some(r) = c.holders.as_deref().and_then(|h| held(h, force))
    {
        return Err(r);
    }
    Ok(pick)
}

/// What a lookup found out about a number before sending: the input of these rules, so the
/// TUI shows beforehand the verdict the send will reach.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lookup {
    pub e164: String,
    /// The platform contacts with this number; `None` until looked up.
    pub found: Option<Vec<Found>>,
    /// The number's last invitation with this template, from the journals.
    pub last_invite: Option<LastInvite>,
    pub error: Option<String>,
}

impl Lookup {
    /// Asks the platform which contacts have the number (in both spellings), with their
    /// conversations, as the send engine does.
    pub async fn of(
        client: &Client,
        org: &str,
        target: &Target,
        last_invite: Option<LastInvite>,
    ) -> Lookup {
        let mut l = Lookup {
            e164: target.e164.clone(),
            last_invite,
            ..Lookup::default()
        };
        match client.contacts_by_phone(org, &target.spellings()).await {
            Ok(found) => l.found = Some(found.iter().map(Found::from_contact).collect()),
            Err(e) => l.error = Some(e.to_string()),
        }
        l
    }

    /// [`Lookup::of`] for many targets at once, in batches where the platform allows (see
    /// `lookups`); a target left to the send is an empty lookup ("checked at send").
    pub async fn many(
        client: &Client,
        org: &str,
        targets: &[Target],
        recent: &BTreeMap<String, LastInvite>,
    ) -> Vec<Lookup> {
        let wanted = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.spellings()))
            .collect();
        let found = super::lookups::look_up_many(client, org, wanted).await;
        targets
            .iter()
            .zip(found)
            .map(|(t, found)| {
                let mut l = Lookup {
                    e164: t.e164.clone(),
                    last_invite: recent.get(&t.e164).cloned(),
                    ..Lookup::default()
                };
                match found {
                    Some(Ok(f)) => l.found = Some(f.iter().map(Found::from_contact).collect()),
                    Some(Err(e)) => l.error = Some(e.to_string()),
                    None => {}
                }
                l
            })
            .collect()
    }

    /// New (`false`) or existing (`true`), once looked up.
    pub fn existing(&self) -> Option<bool> {
        self.found.as_ref().map(|f| !f.is_empty())
    }

    /// The name the platform has for the number, when one contact has it.
    pub fn name(&self) -> Option<&str> {
        match self.found.as_deref() {
            Some([one]) => one.name.as_deref(),
            _ => None,
        }
    }

    /// The verdict of the rules for `target` with this lookup; `None` until looked up.
    pub fn verdict(
        &self,
        target: &Target,
        force: Force,
        now: DateTime<Utc>,
    ) -> Option<Result<Pick<'_>, Refusal>> {
        let found = self.found.as_deref()?;
        Some(assess(
            target.contact_id.as_deref(),
            force,
            found,
            self.last_invite.as_ref(),
            cooldown::DEFAULT,
            now,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(id: &str, name: &str, holders: &[&str]) -> Found {
        Found {
            contact_id: id.into(),
            name: Some(name.into()),
            conversation: Some(format!("conv-{id}")),
            holders: Some(holders.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn each_rule_and_its_override() {
        let now = Utc::now();
        let last = LastInvite {
            at: now - chrono::Duration::minutes(5),
            run: "r".into(),
        };
        let cd = cooldown::DEFAULT;
        let none = Force::default();
        let jan = [found("a", "Jan", &[])];
        let held_by_anna = [found("s", "Sanne", &["Anna"])];
        let shared = [found("m", "Mark", &[]), found("e", "Eva", &[])];

        assert_eq!(assess(None, none, &[], None, cd, now), Ok(Pick::New));
        assert_eq!(
            assess(None, none, &jan, None, cd, now),
            Ok(Pick::Existing(&jan[0]))
        );
        let r = assess(None, none, &jan, Some(&last), cd, now).unwrap_err();
        assert_eq!(
            (
                r.state,
                r.remedy,
                r.reason.starts_with("invited with this template 5 min ago")
            ),
            (State::Skipped, Some(Remedy::Force), true)
        );
        let forced = Force {
            cooldown: true,
            ..none
        };
        assert!(assess(None, forced, &jan, Some(&last), cd, now).is_ok());
        // An invitation as old as the cooldown no longer counts.
        let a_day_on = last.at + chrono::Duration::hours(24);
        assert!(assess(None, none, &jan, Some(&last), cd, a_day_on).is_ok());
        let just_before = a_day_on - chrono::Duration::seconds(1);
        assert!(assess(None, none, &jan, Some(&last), cd, just_before).is_err());

        let r = assess(None, none, &held_by_anna, None, cd, now).unwrap_err();
        assert_eq!(
            r.reason,
            "Anna has the conversation accepted right now; not barging in"
        );
        assert!(assess(None, Force::ALL, &held_by_anna, None, cd, now).is_ok());

        let r = assess(None, none, &shared, None, cd, now).unwrap_err();
        assert_eq!(
            (r.state, r.remedy),
            (State::Failed, Some(Remedy::NameContact))
        );
        assert_eq!(r.reason, "2 contacts share this number: Mark (m), Eva (e)");
        assert_eq!(
            assess(Some("e"), none, &shared, None, cd, now),
            Ok(Pick::Existing(&shared[1]))
        );
        assert!(assess(Some("x"), none, &shared, None, cd, now).is_err());
        assert!(assess(Some("x"), none, &[], None, cd, now).is_err());
        assert_eq!(
            r.cli_text(),
            "2 contacts share this number: Mark (m), Eva (e); name one: a contactId column or --contact-id"
        );
    }

    #[test]
    fn force_flags_serialize_only_when_set() {
        assert_eq!(serde_json::to_string(&Force::default()).unwrap(), "{}");
        assert_eq!(
            serde_json::to_string(&Force::ALL).unwrap(),
            r#"{"cooldown":true,"held":true}"#
        );
    }
}
