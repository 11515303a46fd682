//! Phone numbers as people type them, turned into the E.164 form the platform matches on.
//!
//! The platform looks contacts up by the exact `profile.telephone` string, so every number must
//! be normalized the same way before lookup, de-duplication and create; otherwise one person
//! becomes two contacts. We use the `phonenumber` crate (libphonenumber metadata) for the
//! country rules, but clean the input ourselves first because the crate silently maps letters
//! to keypad digits and parses e-mail addresses as numbers (docs/sms.md, "Phone numbers").
//! Only ASCII digits and a leading `+` ever reach the parser.
//!
//! The numbering plans themselves (which country, which kind of line, which national prefix)
//! are read in `plan.rs`.

mod pattern;
mod plan;

use phonenumber::{country, metadata::DATABASE};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use thiserror::Error;

/// E.164 allows at most 15 digits after the `+`.
const E164_MAX_DIGITS: usize = 15;
/// No real number, national or international, has fewer digits than this.
const MIN_DIGITS: usize = 3;
/// 15 digits plus a two-digit international prefix such as `00`, with room for `011`.
const MAX_TYPED_DIGITS: usize = E164_MAX_DIGITS + 3;

/// A number normalized for one destination country.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// The canonical spelling (`+31612345678`): what we store, look up and de-duplicate on.
    pub e164: String,
    /// The national spelling with trunk prefix and digits only (`0612345678`), because an
    /// organization may have stored its contacts that way and the lookup must find them too.
    pub national: String,
    /// ISO 3166 alpha-2 country of the number (`NL`); `None` for non-geographic numbers.
    pub region: Option<String>,
    /// The country calling code (31 for `+31…`).
    pub calling_code: u16,
    pub kind: NumberKind,
}

/// What kind of line a number is, as far as the numbering plan tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    Mobile,
    FixedLine,
    /// The numbering plan cannot tell (the US and Canada, for instance).
    FixedLineOrMobile,
    /// Toll-free, premium, VoIP, pager, personal numbers and anything unclassified.
    Other,
}

impl NumberKind {
    /// Why a number of this kind may not receive the SMS, if it may not.
    pub fn sms_warning(self, e164: &str) -> Option<String> {
        match self {
            NumberKind::Mobile | NumberKind::FixedLineOrMobile => None,
            NumberKind::FixedLine => Some(format!(
                "{e164} is a fixed line; most fixed lines cannot receive SMS, so this invitation will probably not arrive"
            )),
            NumberKind::Other => Some(format!(
                "{e164} is not a mobile number (service, VoIP or unknown range); it may not receive SMS"
            )),
        }
    }
}

impl PhoneNumber {
    /// Whether the number can plausibly receive an SMS; fixed lines and service numbers
    /// mostly cannot, and the send then fails at the carrier instead of at our preview.
    pub fn is_mobile_capable(&self) -> bool {
        matches!(
            self.kind,
            NumberKind::Mobile | NumberKind::FixedLineOrMobile
        )
    }

    /// A warning to show before sending to a number that is unlikely to take SMS.
    pub fn sms_warning(&self) -> Option<String> {
        self.kind.sms_warning(&self.e164)
    }

    /// Every spelling the organization may have stored this number under, canonical first,
    /// for the contact lookup.
    pub fn lookup_spellings(&self) -> Vec<String> {
        let mut out = vec![self.e164.clone()];
        if !self.national.is_empty() && self.national != self.e164 {
            out.push(self.national.clone());
        }
        out
    }
}

/// Why a typed number could not be normalized; every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("no phone number given; type one like +31 6 12345678 or 06-12345678")]
    Empty,
    #[error(
        "\"{input}\" looks like an e-mail address, not a phone number; put it in the email field"
    )]
    LooksLikeEmail { input: String },
    #[error(
        "\"{input}\" contains letters ({letters}); type digits only (letters are not converted to keypad digits, and extensions cannot receive SMS)"
    )]
    ContainsLetters { input: String, letters: String },
    #[error(
        "\"{input}\" contains {ch:?}; use only digits, spaces, dashes, dots, slashes, parentheses and a leading +"
    )]
    UnexpectedCharacter { input: String, ch: char },
    #[error("\"{input}\" has a + that is not at the start; only the country code may start with +")]
    MisplacedPlus { input: String },
    #[error("\"{input}\" is too short{detail}; check for missing digits")]
    TooShort { input: String, detail: String },
    #[error("\"{input}\" is too long{detail}; check for extra digits or two numbers run together")]
    TooLong { input: String, detail: String },
    #[error(
        "\"{input}\" has no country code and no default country is set; write it as +<country code>… (e.g. +31 6 12345678) or set the template's country"
    )]
    NeedsCountry { input: String },
    #[error(
        "\"{input}\" does not start with a known country calling code; check the digits after + or 00"
    )]
    UnknownCountryCode { input: String },
    #[error(
        "\"{region}\" is not a country the phone rules know; use a two-letter ISO 3166 code such as NL, BE or DE"
    )]
    UnknownRegion { region: String },
    #[error(
        "\"{input}\" (read as {e164}) is not a valid number{detail}; check the digits and the country code"
    )]
    Invalid {
        input: String,
        e164: String,
        detail: String,
    },
}

/// Normalizes a number as a person typed it (`06-12345678`, `0031 6 1234 5678`,
/// `+31 (0)6 12345678`, `612345678`) to E.164, reading national numbers as belonging to
/// `default_region` (ISO 3166 alpha-2, e.g. the template's or organization's country).
///
/// A leading `tel:` is accepted because numbers copied from web pages and vCards carry it; URI
/// parameters after it (`;ext=`) are not, as they contain letters.
pub fn normalize(input: &str, default_region: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    normalize_in(input, Region::parse_optional(default_region)?)
}

/// A checked default country, so a caller normalizing many numbers reads it only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    /// Reads an ISO 3166 alpha-2 code (any case) that the numbering rules know.
    pub fn parse(region: &str) -> Result<Self, PhoneError> {
        parse_region(region.trim()).map(Region)
    }

    /// Like [`Region::parse`], with a missing or blank code meaning "no default country".
    pub fn parse_optional(region: Option<&str>) -> Result<Option<Self>, PhoneError> {
        region
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(Region::parse)
            .transpose()
    }
}

/// [`normalize`] with an already checked default country.
pub fn normalize_in(input: &str, region: Option<Region>) -> Result<PhoneNumber, PhoneError> {
    let typed = clean(input)?;
    let parsed = parse_typed(input, &typed, region.map(|r| r.0))?;
    finish(input, &parsed)
}

/// The country (ISO 3166 alpha-2) a canonical `+…` number belongs to, or `None` when it does
/// not parse or is non-geographic.
pub fn region_of(e164: &str) -> Option<String> {
    let parsed = parse_plus(e164)?;
    let meta = plan::home_metadata(parsed.code().value(), &parsed.national().to_string())?;
    (meta.id() != "001").then(|| meta.id().to_owned())
}

/// The country calling code of a canonical `+…` number.
pub fn calling_code_of(e164: &str) -> Option<u16> {
    parse_plus(e164).map(|n| n.code().value())
}

/// The calling code of a country (`"NL"` → 31), or `None` for an unknown code.
pub fn calling_code_for_region(region: &str) -> Option<u16> {
    let id = parse_region(region.trim()).ok()?;
    DATABASE.by_id(id.as_ref()).map(|m| m.country_code())
}

/// Whether `region` is a country code the numbering rules know, so a template or
/// organization setting can be checked before any number is read with it.
pub fn is_known_region(region: &str) -> bool {
    calling_code_for_region(region).is_some()
}

fn parse_plus(e164: &str) -> Option<phonenumber::PhoneNumber> {
    let digits = e164.strip_prefix('+')?;
    if digits.is_empty()
        || digits.len() > E164_MAX_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    phonenumber::parse(None, e164).ok()
}

fn parse_region(region: &str) -> Result<country::Id, PhoneError> {
    let upper = region.to_ascii_uppercase();
    let unknown = || PhoneError::UnknownRegion {
        region: region.to_owned(),
    };
    if upper.len() != 2 {
        return Err(unknown());
    }
    let id = country::Id::from_str(&upper).map_err(|_| unknown())?;
    DATABASE.by_id(id.as_ref()).ok_or_else(unknown)?;
    Ok(id)
}

/// The digits a person typed, and whether they marked the number international with `+`.
#[derive(Debug, PartialEq, Eq)]
struct Typed {
    digits: String,
    plus: bool,
}

fn clean(input: &str) -> Result<Typed, PhoneError> {
    let owned = || input.to_owned();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if trimmed.contains('@') {
        return Err(PhoneError::LooksLikeEmail { input: owned() });
    }
    let body = strip_tel_prefix(trimmed).trim_start();
    let letters = letter_words(body);
    if !letters.is_empty() {
        return Err(PhoneError::ContainsLetters {
            input: owned(),
            letters,
        });
    }
    let (plus, rest) = match body.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let digits = collect_digits(input, rest, plus)?;
    check_digit_count(input, &digits)?;
    Ok(Typed { digits, plus })
}

fn strip_tel_prefix(s: &str) -> &str {
    match s.get(..4) {
        Some(head) if head.eq_ignore_ascii_case("tel:") => &s[4..],
        _ => s,
    }
}

/// The letters as they were typed, word by word ("call me"), so the operator recognises them;
/// a de-duplicated set ("calme") reads like a typo of its own.
fn letter_words(s: &str) -> String {
    s.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{A0}' | '\u{202F}' | '-' | '‐' | '‑' | '–' | '—' | '.' | '/' | '(' | ')'
    )
}

/// Keeps the digits. In an international number a "(0)" is the national trunk prefix people
/// write for readers dialling at home (`+31 (0)6 …`) and is never dialled from abroad, so it
/// is dropped before the digits are read.
fn collect_digits(input: &str, rest: &str, plus: bool) -> Result<String, PhoneError> {
    let international = plus || rest.trim_start().starts_with("00");
    let rest = if international {
        rest.replacen("(0)", "", 1)
    } else {
        rest.to_owned()
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' => {
                return Err(PhoneError::MisplacedPlus {
                    input: input.to_owned(),
                });
            }
            c if is_separator(c) => {}
            ch => {
                return Err(PhoneError::UnexpectedCharacter {
                    input: input.to_owned(),
                    ch,
                });
            }
        }
    }
    Ok(digits)
}

fn check_digit_count(input: &str, digits: &str) -> Result<(), PhoneError> {
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    if digits.len() < MIN_DIGITS {
        return Err(PhoneError::TooShort {
            input: input.to_owned(),
            detail: format!(" ({} digits)", digits.len()),
        });
    }
    if digits.len() > MAX_TYPED_DIGITS {
        return Err(PhoneError::TooLong {
            input: input.to_owned(),
            detail: format!(
                " ({} digits; an international number has at most 15)",
                digits.len()
            ),
        });
    }
    Ok(())
}

/// A parsed reading of the input with its classification, computed once because
/// classification is the expensive part of normalizing.
struct Candidate {
    number: phonenumber::PhoneNumber,
    /// National significant number, leading zeros included (Italy keeps them).
    nsn: String,
    /// The numbering plan the number belongs to, when one accepts it.
    home: Option<&'static phonenumber::Metadata>,
    /// `None` when the numbering plan says the number cannot exist.
    kind: Option<NumberKind>,
}

impl Candidate {
    fn is_valid(&self) -> bool {
        self.kind.is_some()
    }
}

fn candidate(
    input: &str,
    region: Option<country::Id>,
    text: &str,
    international: bool,
) -> Result<Candidate, PhoneError> {
    let number = parse_one(input, region, text, international)?;
    let nsn = number.national().to_string();
    let home = plan::home_metadata(number.code().value(), &nsn);
    let kind = home.and_then(|meta| plan::line_kind(meta, &nsn));
    Ok(Candidate {
        number,
        nsn,
        home,
        kind,
    })
}

/// Parses the cleaned digits. A leading `00` is the international prefix in most of the world,
/// but the crate only recognizes it with a matching default country (and `0032…` fails without
/// one), so it is tried as `+` when the regional reading fails or is invalid.
fn parse_typed(
    input: &str,
    typed: &Typed,
    region: Option<country::Id>,
) -> Result<Candidate, PhoneError> {
    if typed.plus {
        return candidate(input, None, &format!("+{}", typed.digits), true);
    }
    let after_00 = typed.digits.strip_prefix("00").filter(|d| !d.is_empty());
    let Some(region) = region else {
        return match after_00 {
            Some(rest) => candidate(input, None, &format!("+{rest}"), true),
            None => Err(PhoneError::NeedsCountry {
                input: input.to_owned(),
            }),
        };
    };
    let regional = candidate(input, Some(region), &typed.digits, false);
    match (regional, after_00) {
        (Ok(c), _) if c.is_valid() => Ok(c),
        (regional, Some(rest)) => match candidate(input, None, &format!("+{rest}"), true) {
            Ok(c) if c.is_valid() => Ok(c),
            _ => regional,
        },
        (regional, None) => regional,
    }
}

fn parse_one(
    input: &str,
    region: Option<country::Id>,
    text: &str,
    international: bool,
) -> Result<phonenumber::PhoneNumber, PhoneError> {
    use phonenumber::ParseError as P;
    phonenumber::parse(region, text).map_err(|e| match e {
        P::InvalidCountryCode if international => PhoneError::UnknownCountryCode {
            input: input.to_owned(),
        },
        P::InvalidCountryCode => PhoneError::NeedsCountry {
            input: input.to_owned(),
        },
        P::TooLong => PhoneError::TooLong {
            input: input.to_owned(),
            detail: String::new(),
        },
        P::NoNumber | P::TooShortAfterIdd | P::TooShortNsn | P::MalformedInteger(_) => {
            PhoneError::TooShort {
                input: input.to_owned(),
                detail: String::new(),
            }
        }
    })
}

/// Turns a parsed number into our record, rejecting numbers the numbering plan says cannot
/// exist; the error says whether digits are missing or extra when the plan's lengths tell.
fn finish(input: &str, c: &Candidate) -> Result<PhoneNumber, PhoneError> {
    let code = c.number.code().value();
    let e164 = format!("+{code}{}", c.nsn);
    let digit_count = e164.len().saturating_sub(1);
    if digit_count > E164_MAX_DIGITS {
        return Err(PhoneError::TooLong {
            input: input.to_owned(),
            detail: format!(" ({digit_count} digits; an international number has at most 15)"),
        });
    }
    let Some(kind) = c.kind else {
        return Err(invalid_number_error(input, e164, code, &c.nsn));
    };
    let national = plan::national_digits(&c.number, &c.nsn);
    Ok(PhoneNumber {
        e164,
        national,
        region: c
            .home
            .map(phonenumber::Metadata::id)
            .filter(|id| *id != "001")
            .map(str::to_owned),
        calling_code: code,
        kind,
    })
}

fn invalid_number_error(input: &str, e164: String, code: u16, nsn: &str) -> PhoneError {
    let metas = DATABASE.by_code(&code).unwrap_or_default();
    let main = metas
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(metas.first());
    let Some(meta) = main else {
        return PhoneError::UnknownCountryCode {
            input: input.to_owned(),
        };
    };
    let lengths = plan::possible_lengths(meta);
    let found = nsn.len();
    let expected = describe_lengths(&lengths);
    let detail = format!(
        " for {} ({expected} digits expected after +{code}, found {found})",
        meta.id()
    );
    let input = input.to_owned();
    match (lengths.first(), lengths.last()) {
        (Some(&min), _) if found < usize::from(min) => PhoneError::TooShort { input, detail },
        (_, Some(&max)) if found > usize::from(max) => PhoneError::TooLong { input, detail },
        _ if lengths.is_empty() => PhoneError::Invalid {
            input,
            e164,
            detail: String::new(),
        },
        // The length fits, so the digits themselves are off: saying "9 digits expected, found
        // 9" would only confuse.
        _ => PhoneError::Invalid {
            input,
            e164,
            detail: format!(
                " for {}: no {} number starts with these digits",
                meta.id(),
                meta.id()
            ),
        },
    }
}

fn describe_lengths(lengths: &[u16]) -> String {
    match lengths {
        [] => "a different number of".to_owned(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first} to {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e164(input: &str, region: Option<&str>) -> String {
        match normalize(input, region) {
            Ok(n) => n.e164,
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn dutch_mobile_spellings_all_normalize_to_one_number() {
        let nl = Some("NL");
        for input in [
            "06-12345678",
            "06 1234 5678",
            "0612345678",
            "(06) 12345678",
            "06.12.34.56.78",
            "+31 6 1234 5678",
            "+31612345678",
            "0031612345678",
            "0031 6 12345678",
            "+31 (0)6 12345678",
            "+31(0)612345678",
            "0031 (0)6 12345678",
            "+31 06 12345678",
            "tel:+31612345678",
            "TEL:0612345678",
            "  06\u{A0}12345678 ",
            "06–12345678",
        ] {
            assert_eq!(e164(input, nl), "+31612345678", "{input}");
        }
    }

    #[test]
    fn nine_digits_get_the_default_country_code() {
        assert_eq!(e164("612345678", Some("NL")), "+31612345678");
        assert_eq!(e164("612345678", Some("nl")), "+31612345678");
    }

    #[test]
    fn international_numbers_ignore_the_default_country() {
        assert_eq!(e164("+32 470 12 34 56", Some("NL")), "+32470123456");
        assert_eq!(e164("0032 470 12 34 56", Some("NL")), "+32470123456");
        assert_eq!(e164("+31612345678", Some("US")), "+31612345678");
    }

    #[test]
    fn belgian_formats() {
        assert_eq!(e164("0470123456", Some("BE")), "+32470123456");
        assert_eq!(e164("0470 12 34 56", Some("BE")), "+32470123456");
        assert_eq!(e164("+32 470 12 34 56", None), "+32470123456");
        assert_eq!(e164("0032470123456", None), "+32470123456");
    }

    #[test]
    fn german_uk_and_us_formats() {
        assert_eq!(e164("0151 23456789", Some("DE")), "+4915123456789");
        assert_eq!(e164("+49 151 23456789", None), "+4915123456789");
        assert_eq!(e164("07911 123456", Some("GB")), "+447911123456");
        assert_eq!(e164("+44 (0)7911 123456", None), "+447911123456");
        assert_eq!(e164("(201) 555-0123", Some("US")), "+12015550123");
        assert_eq!(e164("+1 520-878-2491", None), "+15208782491");
        assert_eq!(e164("011 31 6 12345678", Some("US")), "+31612345678");
    }

    #[test]
    fn double_zero_prefix_works_without_a_region_and_in_a_region_with_another_idd() {
        assert_eq!(e164("0031612345678", None), "+31612345678");
        assert_eq!(e164("0031612345678", Some("US")), "+31612345678");
    }

    #[test]
    fn record_has_national_spelling_region_and_kind() {
        let n = normalize("+31 6 1234 5678", None).expect("valid number");
        assert_eq!(n.national, "0612345678");
        assert_eq!(n.region.as_deref(), Some("NL"));
        assert_eq!(n.calling_code, 31);
        assert_eq!(n.kind, NumberKind::Mobile);
        assert!(n.is_mobile_capable());
        assert_eq!(n.sms_warning(), None);
        assert_eq!(n.lookup_spellings(), vec!["+31612345678", "0612345678"]);
        let be = normalize("+32470123456", None).expect("valid number");
        assert_eq!(be.national, "0470123456");
        let us = normalize("+12015550123", None).expect("valid number");
        assert_eq!(us.national, "2015550123");
        assert_eq!(us.kind, NumberKind::FixedLineOrMobile);
        assert!(us.is_mobile_capable());
    }

    #[test]
    fn fixed_lines_are_flagged() {
        let n = normalize("020-1234567", Some("NL")).expect("valid number");
        assert_eq!(n.e164, "+31201234567");
        assert_eq!(n.national, "0201234567");
        assert_eq!(n.kind, NumberKind::FixedLine);
        assert!(!n.is_mobile_capable());
        assert!(n.sms_warning().is_some_and(|w| w.contains("fixed line")));
        let free = normalize("0800 0226", Some("NL")).expect("valid number");
        assert_eq!(free.kind, NumberKind::Other);
        assert!(
            free.sms_warning()
                .is_some_and(|w| w.contains("not a mobile"))
        );
    }

    #[test]
    fn rejects_empty_input() {
        assert_eq!(normalize("", Some("NL")), Err(PhoneError::Empty));
        assert_eq!(normalize("  ", Some("NL")), Err(PhoneError::Empty));
        assert_eq!(normalize("- ()", Some("NL")), Err(PhoneError::Empty));
    }

    #[test]
    fn rejects_letters_instead_of_mapping_them_to_keypad_digits() {
        let err = normalize("0800-FLOWERS", Some("NL")).unwrap_err();
        assert!(
            matches!(&err, PhoneError::ContainsLetters { letters, .. } if letters == "FLOWERS")
        );
        let repeated = normalize("06abab", Some("NL")).unwrap_err();
        assert!(
            matches!(&repeated, PhoneError::ContainsLetters { letters, .. } if letters == "abab")
        );
        assert!(err.to_string().contains("letters"));
        let words = normalize("06 call me", Some("NL")).unwrap_err();
        assert!(
            matches!(&words, PhoneError::ContainsLetters { letters, .. } if letters == "call me"),
            "{words}"
        );
        assert!(matches!(
            normalize("0612345678 ext 12", Some("NL")),
            Err(PhoneError::ContainsLetters { .. })
        ));
        assert!(matches!(
            normalize("a", Some("NL")),
            Err(PhoneError::ContainsLetters { .. })
        ));
        assert!(matches!(
            normalize("tel:+3161234;ext=1", Some("NL")),
            Err(PhoneError::ContainsLetters { .. })
        ));
    }

    #[test]
    fn rejects_email_addresses() {
        let err = normalize("jan@example.nl", Some("NL")).unwrap_err();
        assert!(matches!(err, PhoneError::LooksLikeEmail { .. }));
        assert!(err.to_string().contains("e-mail"));
        assert!(matches!(
            normalize("0612345678@sms.nl", None),
            Err(PhoneError::LooksLikeEmail { .. })
        ));
    }

    #[test]
    fn rejects_odd_characters_and_misplaced_plus() {
        assert!(matches!(
            normalize("06#12345678", Some("NL")),
            Err(PhoneError::UnexpectedCharacter { ch: '#', .. })
        ));
        assert!(matches!(
            normalize("06+12345678", Some("NL")),
            Err(PhoneError::MisplacedPlus { .. })
        ));
        assert!(matches!(
            normalize("++31612345678", None),
            Err(PhoneError::MisplacedPlus { .. })
        ));
    }

    #[test]
    fn too_short_and_too_long_say_so() {
        let short = normalize("06123", Some("NL")).unwrap_err();
        assert!(matches!(short, PhoneError::TooShort { .. }), "{short:?}");
        assert!(
            short
                .to_string()
                .contains("digits expected after +31, found 4"),
            "{short}"
        );
        assert!(matches!(
            normalize("12", Some("NL")),
            Err(PhoneError::TooShort { .. })
        ));
        let over_e164 = normalize("+31 6123 4567 8901 23", None).unwrap_err();
        assert!(over_e164.to_string().contains("16 digits"), "{over_e164}");
        let long = normalize("0612345678901", Some("NL")).unwrap_err();
        assert!(matches!(long, PhoneError::TooLong { .. }), "{long:?}");
        assert!(matches!(
            normalize("+31 6123456789012345678", None),
            Err(PhoneError::TooLong { .. })
        ));
    }

    #[test]
    fn national_number_without_region_asks_for_a_country() {
        let err = normalize("0612345678", None).unwrap_err();
        assert!(matches!(err, PhoneError::NeedsCountry { .. }));
        assert!(err.to_string().contains("country"));
        assert!(matches!(
            normalize("612345678", Some(" ")),
            Err(PhoneError::NeedsCountry { .. })
        ));
    }

    #[test]
    fn unknown_region_and_country_code_are_reported() {
        assert!(matches!(
            normalize("0612345678", Some("XX")),
            Err(PhoneError::UnknownRegion { .. })
        ));
        assert!(matches!(
            normalize("0612345678", Some("NLD")),
            Err(PhoneError::UnknownRegion { .. })
        ));
        assert!(matches!(
            normalize("+999 12345678", None),
            Err(PhoneError::UnknownCountryCode { .. })
        ));
    }

    #[test]
    fn numbers_outside_the_plan_are_invalid() {
        let err = normalize("0112345678", Some("NL")).unwrap_err();
        assert!(matches!(err, PhoneError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("not a valid number"));
    }

    #[test]
    fn region_and_calling_code_lookups() {
        assert_eq!(region_of("+32470123456").as_deref(), Some("BE"));
        assert_eq!(region_of("+12015550123").as_deref(), Some("US"));
        assert_eq!(region_of("0612345678"), None);
        assert_eq!(region_of("+390212345678").as_deref(), Some("IT"));
        assert_eq!(region_of("+80012345678"), None);
        assert_eq!(region_of("+"), None);
        assert_eq!(calling_code_of("+447911123456"), Some(44));
        assert_eq!(calling_code_for_region("nl"), Some(31));
        assert_eq!(calling_code_for_region("ZZ"), None);
        assert!(is_known_region("BE"));
        assert!(!is_known_region("Netherlands"));
    }

    proptest! {
        #[test]
        fn any_string_never_panics(s in any::<String>(), region in prop::option::of("[A-Za-z]{0,3}")) {
            if let Ok(n) = normalize(&s, region.as_deref()) {
                prop_assert!(n.e164.starts_with('+'));
                prop_assert!(n.e164.len() <= E164_MAX_DIGITS + 1);
            }
            let _ = region_of(&s);
            let _ = calling_code_of(&s);
        }

        #[test]
        fn phone_like_strings_never_panic(s in "[+0-9 ()./-]{0,30}", region in prop::sample::select(vec!["NL", "BE", "US", "DE", "GB", "IT"])) {
            let _ = normalize(&s, Some(region));
            let _ = normalize(&s, None);
        }

        #[test]
        fn every_valid_dutch_mobile_round_trips(n in 10_000_000u32..60_000_000) {
            let expected = format!("+316{n}");
            prop_assert_eq!(e164(&format!("06-{n}"), Some("NL")), expected.clone());
            prop_assert_eq!(e164(&format!("0031 6 {n}"), None), expected.clone());
            let parsed = normalize(&expected, None);
            prop_assert!(parsed.is_ok());
            if let Ok(p) = parsed {
                prop_assert_eq!(normalize(&p.national, Some("NL")).map(|q| q.e164), Ok(expected));
            }
        }
    }
}
