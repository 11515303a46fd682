//! Alphanumeric SenderIDs: what the networks accept, and where they do not deliver at all.
//!
//! A SenderID makes the SMS one-way (the contact cannot reply, only tap the link), and a
//! rejected or rewritten SenderID fails silently on the handset, so we check it before any send
//! rather than learn about it from a carrier error. The rules are the strict common subset of
//! the providers' rules (docs/sms.md, "Sender IDs"): at most 11 ASCII letters, digits and
//! spaces, with at least one letter.

use serde::Serialize;
use thiserror::Error;

/// The longest SenderID every provider accepts.
pub const MAX_LEN: usize = 11;

/// Why a SenderID cannot be used; each message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SenderIdError {
    #[error(
        "the SenderID is empty; leave it out to send from a phone number, or give 1 to 11 letters and digits"
    )]
    Empty,
    #[error(
        "the SenderID \"{sender}\" is {len} characters long; carriers accept at most 11, so shorten it"
    )]
    TooLong { sender: String, len: usize },
    #[error(
        "the SenderID \"{sender}\" contains {ch:?}; only ASCII letters, digits and spaces are accepted everywhere"
    )]
    InvalidChar { sender: String, ch: char },
    #[error(
        "the SenderID \"{sender}\" has no letter; carriers treat digits-only senders as phone numbers, so add at least one letter"
    )]
    NoLetter { sender: String },
    #[error(
        "the SenderID \"{sender}\" starts or ends with a space; remove it (handsets show or drop it unpredictably)"
    )]
    EdgeSpace { sender: String },
}

/// Checks a SenderID against the rules every provider accepts.
pub fn validate(sender: &str) -> Result<(), SenderIdError> {
    let owned = || sender.to_owned();
    if sender.trim().is_empty() {
        return Err(SenderIdError::Empty);
    }
    if let Some(ch) = sender
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == ' '))
    {
        return Err(SenderIdError::InvalidChar {
            sender: owned(),
            ch,
        });
    }
    let len = sender.chars().count();
    if len > MAX_LEN {
        return Err(SenderIdError::TooLong {
            sender: owned(),
            len,
        });
    }
    if sender.starts_with(' ') || sender.ends_with(' ') {
        return Err(SenderIdError::EdgeSpace { sender: owned() });
    }
    if !sender.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(SenderIdError::NoLetter { sender: owned() });
    }
    Ok(())
}

/// Hints about a valid SenderID that may still display or deliver badly; none of them blocks a
/// send. `region` is the destination country (ISO 3166 alpha-2) when known.
pub fn warnings(sender: &str, region: Option<&str>) -> Vec<String> {
    let mut out = vec![
        "with a SenderID the SMS is one-way: the contact cannot reply by SMS, only tap the link"
            .to_owned(),
    ];
    let region = region.map(str::to_ascii_uppercase);
    if sender.contains(' ') {
        match region.as_deref() {
            Some(r @ ("MX" | "RU")) => out.push(format!(
                "carriers in {r} reject SenderIDs with spaces; remove the space"
            )),
            _ => out.push(
                "some iPhones drop the spaces in a SenderID (\"MY SHOP\" shows as \"MYSHOP\")"
                    .to_owned(),
            ),
        }
    }
    let has_upper = sender.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = sender.chars().any(|c| c.is_ascii_lowercase());
    if region.as_deref() == Some("CU") && has_upper && has_lower {
        out.push("Cuba requires an all-uppercase or all-lowercase SenderID".to_owned());
    }
    out
}

/// Whether an alphanumeric SenderID reaches handsets in a country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlphaSupport {
    /// No known restriction (delivery still depends on the carrier).
    Supported,
    /// Works only after the SenderID is registered with the carriers of that country.
    NeedsRegistration,
    /// The SenderID is refused, or replaced by a number or short code so it never shows.
    NotSupported,
}

/// The verdict for one country with the reason a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlphaSenderSupport {
    pub support: AlphaSupport,
    pub reason: &'static str,
}

/// Looks up whether a SenderID works in a country (ISO 3166 alpha-2, any case).
///
/// The table holds only the countries with a documented restriction; everything else is
/// reported as supported with a reason that says so, because the absence of a rule is not a
/// guarantee.
pub fn alpha_sender_support(region: &str) -> AlphaSenderSupport {
    use AlphaSupport::*;
    let region = region.trim().to_ascii_uppercase();
    let (support, reason) = match region.as_str() {
        "US" | "CA" | "PR" => (
            NotSupported,
            "carriers in the US, Canada and Puerto Rico do not deliver alphanumeric SenderIDs; send without a SenderID",
        ),
        "IN" => (
            NotSupported,
            "India overwrites the SenderID of international traffic, so the contact sees a different sender; send without a SenderID",
        ),
        "AR" => (
            NotSupported,
            "Argentina replaces alphanumeric SenderIDs with a short code; send without a SenderID",
        ),
        "AU" | "BY" | "BD" | "AM" => (
            NeedsRegistration,
            "this country only delivers SenderIDs that were registered with its carriers in advance",
        ),
        "SA" => (
            NeedsRegistration,
            "Saudi Arabia requires a registered SenderID (promotional ones carry an -AD suffix)",
        ),
        "AE" => (
            NeedsRegistration,
            "the UAE requires a registered SenderID (promotional ones carry an AD- prefix)",
        ),
        "JO" => (
            NeedsRegistration,
            "Jordan requires a registered SenderID (ADV is for promotional traffic only)",
        ),
        "MX" | "RU" => (
            Supported,
            "supported, but the SenderID must not contain spaces",
        ),
        "CU" => (
            Supported,
            "supported, but the SenderID must be all uppercase or all lowercase",
        ),
        r if r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()) => (
            Supported,
            "no known restriction for this country; delivery still depends on the carrier",
        ),
        _ => (
            Supported,
            "not a two-letter country code, so no country rules could be checked",
        ),
    };
    AlphaSenderSupport { support, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_letters_digits_and_inner_spaces_up_to_11() {
        for ok in ["ACME", "Acme 2", "a", "ABCDEFGHIJK", "Shop24", "1a"] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_empty_and_blank() {
        assert_eq!(validate(""), Err(SenderIdError::Empty));
        assert_eq!(validate("   "), Err(SenderIdError::Empty));
    }

    #[test]
    fn rejects_more_than_11_characters() {
        let err = validate("ABCDEFGHIJKL");
        assert!(matches!(err, Err(SenderIdError::TooLong { len: 12, .. })));
        assert!(err.unwrap_err().to_string().contains("at most 11"));
    }

    #[test]
    fn rejects_punctuation_and_non_ascii() {
        for (bad, ch) in [
            ("A-B", '-'),
            ("Café", 'é'),
            ("A_B", '_'),
            ("A&B", '&'),
            ("A\tB", '\t'),
        ] {
            assert!(
                matches!(validate(bad), Err(SenderIdError::InvalidChar { ch: c, .. }) if c == ch),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_digits_only() {
        assert!(matches!(
            validate("12345"),
            Err(SenderIdError::NoLetter { .. })
        ));
        assert!(matches!(
            validate("12 34"),
            Err(SenderIdError::NoLetter { .. })
        ));
    }

    #[test]
    fn rejects_leading_or_trailing_space() {
        assert!(matches!(
            validate(" ACME"),
            Err(SenderIdError::EdgeSpace { .. })
        ));
        assert!(matches!(
            validate("ACME "),
            Err(SenderIdError::EdgeSpace { .. })
        ));
    }

    #[test]
    fn warnings_always_mention_one_way() {
        let w = warnings("ACME", Some("NL"));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("one-way"));
    }

    #[test]
    fn warnings_flag_spaces_per_region() {
        assert!(warnings("MY SHOP", Some("mx"))[1].contains("reject"));
        assert!(warnings("MY SHOP", None)[1].contains("iPhone"));
        assert!(warnings("MyShop", Some("CU"))[1].contains("Cuba"));
        assert_eq!(warnings("MYSHOP", Some("CU")).len(), 1);
    }

    #[test]
    fn support_table_matches_the_documented_countries() {
        use AlphaSupport::*;
        let cases = [
            ("US", NotSupported),
            ("ca", NotSupported),
            ("PR", NotSupported),
            ("IN", NotSupported),
            ("AR", NotSupported),
            ("AU", NeedsRegistration),
            ("BY", NeedsRegistration),
            ("BD", NeedsRegistration),
            ("AM", NeedsRegistration),
            ("NL", Supported),
            ("BE", Supported),
            ("MX", Supported),
        ];
        for (region, expected) in cases {
            assert_eq!(alpha_sender_support(region).support, expected, "{region}");
        }
    }

    #[test]
    fn support_reasons_are_specific() {
        assert!(alpha_sender_support("IN").reason.contains("overwrites"));
        assert!(alpha_sender_support("AR").reason.contains("short code"));
        assert!(alpha_sender_support("MX").reason.contains("spaces"));
        assert!(
            alpha_sender_support("NL")
                .reason
                .contains("no known restriction")
        );
        assert!(
            alpha_sender_support("Netherlands")
                .reason
                .contains("not a two-letter")
        );
    }

    proptest! {
        #[test]
        fn validate_never_panics_and_accepts_only_the_strict_subset(s in any::<String>()) {
            if validate(&s).is_ok() {
                prop_assert!(s.len() <= MAX_LEN);
                prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '));
                prop_assert!(s.chars().any(|c| c.is_ascii_alphabetic()));
            }
            let _ = alpha_sender_support(&s);
            let _ = warnings(&s, Some(&s));
        }
    }
}
