//! A contact as a list keeps it: an import's good rows and the TUI's contact rows.
//!
//! Lists can hold 100,000 contacts and the TUI must stay under 80 MB while it imports them, so
//! a contact's text (number, spellings, names, e-mail, locale, platform id) is packed into one
//! allocation with end offsets, instead of up to nine `String`s of 24 bytes each plus a heap
//! block apiece. That takes a typical imported contact from about 460 to about 140 bytes. No
//! crate packs a fixed set of string fields like this (`compact_str` inlines single strings of
//! up to 24 bytes, which would still leave 24 bytes per field), so it is written here; the
//! packing is private, and every field is read through a method.
//!
//! The engine and the journal work with [`Target`], which [`Contact::to_target`] builds for the
//! contacts actually sent. An empty optional field is stored as absent: a blank cell, name or
//! e-mail means "not known", everywhere in the tool.

use std::collections::BTreeMap;
use std::fmt;

use super::phone::{NumberKind, PhoneNumber};
use super::target::Target;

/// The packed text fields, in packing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    E164,
    National,
    RawPhone,
    Region,
    GivenName,
    FamilyName,
    Email,
    Locale,
    ContactId,
}

const FIELDS: usize = 9;

/// The optional parts of a contact, borrowed while it is built.
#[derive(Clone, Debug, Default)]
pub struct Details<'a> {
    /// The number as it was written; the E.164 form when empty.
    pub raw_phone: &'a str,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// A language tag such as `nl` or `nl-NL`.
    pub locale: Option<&'a str>,
    /// The platform contact, when several share the number.
    pub contact_id: Option<&'a str>,
    /// Columns we do not know, kept as profile fields.
    pub extra: BTreeMap<String, String>,
    /// 1-based input line; 0 when the contact did not come from an input.
    pub line: usize,
}

/// One contact with a normalized number; immutable once built (see [`Contact::fill_missing`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    text: Box<str>,
    /// End of every field but the last, whose end is `text.len()`.
    ends: [u32; FIELDS - 1],
    calling_code: u16,
    kind: NumberKind,
    /// 1-based input line, 0 for none (an input has more than 4 billion lines never).
    line: u32,
    /// Rare, so a list without extra columns pays one pointer per contact for them.
    #[expect(
        clippy::box_collection,
        reason = "8 bytes in every contact instead of an empty map's 24"
    )]
    extra: Option<Box<BTreeMap<String, String>>>,
}

static NO_EXTRA: BTreeMap<String, String> = BTreeMap::new();

impl Contact {
    pub fn new(phone: &PhoneNumber, details: Details<'_>) -> Contact {
        let raw = if details.raw_phone.trim().is_empty() {
            phone.e164.as_str()
        } else {
            details.raw_phone.trim()
        };
        let texts = [
            Some(phone.e164.as_str()),
            Some(phone.national.as_str()),
            Some(raw),
            phone.region.as_deref(),
            details.given_name,
            details.family_name,
            details.email,
            details.locale,
            details.contact_id,
        ];
        let (text, ends) = pack(texts);
        Contact {
            text,
            ends,
            calling_code: phone.calling_code,
            kind: phone.kind,
            line: u32::try_from(details.line).unwrap_or(u32::MAX),
            extra: (!details.extra.is_empty()).then(|| Box::new(details.extra)),
        }
    }

    /// A contact known only by its number.
    pub fn from_phone(phone: &PhoneNumber) -> Contact {
        Contact::new(phone, Details::default())
    }

    fn field(&self, field: Field) -> &str {
        let i = field as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        self.text.get(start..end).unwrap_or("")
    }

    fn optional(&self, field: Field) -> Option<&str> {
        Some(self.field(field)).filter(|s| !s.is_empty())
    }

    /// The canonical spelling (`+31612345678`): the key for lookup and de-duplication.
    pub fn e164(&self) -> &str {
        self.field(Field::E164)
    }

    /// The national spelling (`0612345678`), which an organization may have stored instead.
    pub fn national(&self) -> &str {
        self.field(Field::National)
    }

    /// The number as it was written.
    pub fn raw_phone(&self) -> &str {
        self.field(Field::RawPhone)
    }

    /// ISO 3166 alpha-2 country of the number; `None` for non-geographic numbers.
    pub fn region(&self) -> Option<&str> {
        self.optional(Field::Region)
    }

    pub fn given_name(&self) -> Option<&str> {
        self.optional(Field::GivenName)
    }

    pub fn family_name(&self) -> Option<&str> {
        self.optional(Field::FamilyName)
    }

    pub fn email(&self) -> Option<&str> {
        self.optional(Field::Email)
    }

    pub fn locale(&self) -> Option<&str> {
        self.optional(Field::Locale)
    }

    pub fn contact_id(&self) -> Option<&str> {
        self.optional(Field::ContactId)
    }

    pub fn extra(&self) -> &BTreeMap<String, String> {
        self.extra.as_deref().unwrap_or(&NO_EXTRA)
    }

    /// 1-based line of the input the contact came from.
    pub fn line(&self) -> Option<usize> {
        (self.line > 0).then_some(self.line as usize)
    }

    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    /// Why this number may not receive the SMS (a fixed line, say), if it may not.
    pub fn sms_warning(&self) -> Option<String> {
        self.kind.sms_warning(self.e164())
    }

    /// The number with its facts, as [`super::phone`] reads it.
    pub fn phone(&self) -> PhoneNumber {
        PhoneNumber {
            e164: self.e164().to_owned(),
            national: self.national().to_owned(),
            region: self.region().map(str::to_owned),
            calling_code: self.calling_code,
            kind: self.kind,
        }
    }

    /// Given and family name joined, for `{name}` and for display.
    pub fn full_name(&self) -> Option<String> {
        match (self.given_name(), self.family_name()) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(n), None) | (None, Some(n)) => Some(n.to_owned()),
            (None, None) => None,
        }
    }

    /// This contact with the names and e-mail it lacks taken from `other` (the same number
    /// listed again, say); what it has is kept.
    pub fn fill_missing(&self, other: &Contact) -> Contact {
        let mut texts = self.texts();
        for field in [Field::GivenName, Field::FamilyName, Field::Email] {
            let i = field as usize;
            if texts[i].is_none() {
                texts[i] = other.optional(field);
            }
        }
        let (text, ends) = pack(texts);
        Contact {
            text,
            ends,
            ..self.clone()
        }
    }

    fn texts(&self) -> [Option<&str>; FIELDS] {
        use Field::*;
        [
            E164, National, RawPhone, Region, GivenName, FamilyName, Email, Locale, ContactId,
        ]
        .map(|f| self.optional(f))
    }

    /// What the engine sends and the journal keeps.
    pub fn to_target(&self) -> Target {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Target {
            e164: self.e164().to_owned(),
            national: self.national().to_owned(),
            region: owned(self.region()),
            given_name: owned(self.given_name()),
            family_name: owned(self.family_name()),
            email: owned(self.email()),
            locale: owned(self.locale()),
            extra: self.extra().clone(),
            contact_id: owned(self.contact_id()),
            line: self.line(),
            warning: self.sms_warning(),
            force: Default::default(),
        }
    }
}

/// Concatenates the fields (absent ones empty) and records where each ends. A contact's text
/// longer than 4 GiB cannot come from any input this tool reads; the offsets saturate rather
/// than wrap if one ever did.
fn pack(texts: [Option<&str>; FIELDS]) -> (Box<str>, [u32; FIELDS - 1]) {
    let len = texts.iter().flatten().map(|s| s.len()).sum();
    let mut text = String::with_capacity(len);
    let mut ends = [0u32; FIELDS - 1];
    for (i, part) in texts.iter().enumerate() {
        text.push_str(part.unwrap_or(""));
        if let Some(end) = ends.get_mut(i) {
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
    }
    (text.into_boxed_str(), ends)
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contact")
            .field("e164", &self.e164())
            .field("national", &self.national())
            .field("raw_phone", &self.raw_phone())
            .field("region", &self.region())
            .field("kind", &self.kind)
            .field("given_name", &self.given_name())
            .field("family_name", &self.family_name())
            .field("email", &self.email())
            .field("locale", &self.locale())
            .field("contact_id", &self.contact_id())
            .field("extra", self.extra())
            .field("line", &self.line())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::phone::normalize;
    use proptest::prelude::*;

    fn jan() -> Contact {
        let phone = normalize("06 12345678", Some("NL")).unwrap();
        Contact::new(
            &phone,
            Details {
                raw_phone: " 06 12345678 ",
                given_name: Some("Jan"),
                family_name: Some("Jansen"),
                locale: Some("nl"),
                contact_id: Some("5f01"),
                extra: [("plate".to_string(), "AB-12-CD".to_string())].into(),
                line: 3,
                ..Details::default()
            },
        )
    }

    #[test]
    fn reads_back_every_field() {
        let c = jan();
        assert_eq!(c.e164(), "+31612345678");
        assert_eq!(c.national(), "0612345678");
        assert_eq!(c.raw_phone(), "06 12345678");
        assert_eq!(c.region(), Some("NL"));
        assert_eq!(c.given_name(), Some("Jan"));
        assert_eq!(c.family_name(), Some("Jansen"));
        assert_eq!(c.email(), None);
        assert_eq!(c.locale(), Some("nl"));
        assert_eq!(c.contact_id(), Some("5f01"));
        assert_eq!(c.line(), Some(3));
        assert_eq!(c.full_name().as_deref(), Some("Jan Jansen"));
        assert_eq!(c.phone(), normalize("+31612345678", None).unwrap());
    }

    #[test]
    fn target_has_every_field() {
        let t = jan().to_target();
        assert_eq!(t.contact_id.as_deref(), Some("5f01"));
        assert_eq!(t.extra.get("plate").map(String::as_str), Some("AB-12-CD"));
        assert_eq!(t.full_name().as_deref(), Some("Jan Jansen"));
        assert_eq!(t.locale.as_deref(), Some("nl"));
        assert_eq!(t.line, Some(3));
        assert_eq!(t.warning, None);
        assert_eq!(t.region.as_deref(), Some("NL"));
        let fixed = Contact::from_phone(&normalize("020 1234567", Some("NL")).unwrap());
        assert!(fixed.to_target().warning.unwrap().contains("fixed line"));
        assert_eq!(fixed.line(), None);
        assert_eq!(fixed.raw_phone(), "+31201234567");
    }

    #[test]
    fn fill_missing_keeps_what_is_there() {
        let phone = normalize("+31612345678", None).unwrap();
        let other = Contact::new(
            &phone,
            Details {
                given_name: Some("Johannes"),
                email: Some("jan@example.nl"),
                ..Details::default()
            },
        );
        let merged = jan().fill_missing(&other);
        assert_eq!(merged.given_name(), Some("Jan"));
        assert_eq!(merged.email(), Some("jan@example.nl"));
        assert_eq!(merged.family_name(), Some("Jansen"));
        assert_eq!(merged.line(), Some(3));
        assert_eq!(merged.extra().len(), 1);
    }

    #[test]
    fn is_small() {
        // The point of the type: a list of 100,000 must stay well under 80 MB.
        assert!(std::mem::size_of::<Contact>() <= 72);
    }

    proptest! {
        #[test]
        fn any_text_round_trips(
            given in proptest::option::of(".{1,40}"),
            family in proptest::option::of(".{0,40}"),
            email in proptest::option::of("[a-z]{1,10}@[a-z]{1,10}\\.nl"),
            id in proptest::option::of("[0-9a-f]{24}"),
        ) {
            let phone = normalize("+32470123456", None).unwrap();
            let c = Contact::new(&phone, Details {
                given_name: given.as_deref(),
                family_name: family.as_deref(),
                email: email.as_deref(),
                contact_id: id.as_deref(),
                ..Details::default()
            });
            let absent = |s: Option<String>| s.filter(|s| !s.is_empty());
            prop_assert_eq!(c.given_name().map(str::to_owned), absent(given));
            prop_assert_eq!(c.family_name().map(str::to_owned), absent(family));
            prop_assert_eq!(c.email().map(str::to_owned), email);
            prop_assert_eq!(c.contact_id().map(str::to_owned), id);
            prop_assert_eq!(c.e164(), "+32470123456");
            prop_assert_eq!(c.region(), Some("BE"));
        }
    }
}
