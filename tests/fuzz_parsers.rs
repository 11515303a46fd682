//! Every parser of outside input, fed generated hostile input: no panic anywhere, and every
//! refusal carries a message a user can act on. Cases per property: `PROPTEST_CASES`
//! (default 2,000 here; the unit tests run a quicker pass of some of the same).

use proptest::prelude::*;
use serde_json::Value;
use sms_invite::api::models::{
    Contact, Conversation, Message, Organization, Service, TokenResponse, User,
};
use sms_invite::api::pagination;
use sms_invite::api::retry::parse_retry_after;
use sms_invite::api::{Claims, client::parse_api_url};
use sms_invite::invite::{import, phone, segments, sender_id, template::Template};
use sms_invite::sandbox::filter::ListQuery;
use sms_invite::tui::keymap::Key;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Arbitrary JSON, nested a few levels: the shape of a misbehaving server's answers.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "id",
            "profile",
            "conversation",
            "participants",
            "5ee7372448d9940011151f42"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "id",
                    "profile",
                    "telephone",
                    "conversation",
                    "participants",
                    "active",
                    "accepted",
                    "role",
                    "name",
                    "orgPath",
                    "type",
                    "enabled",
                    "meta",
                    "actions",
                    "token",
                    "x"
                ])
                .prop_map(String::from),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn decode_all(v: &Value) {
    let text = v.to_string();
    let _ = serde_json::from_str::<Vec<Contact>>(&text);
    let _ = serde_json::from_str::<Contact>(&text);
    let _ = serde_json::from_str::<Conversation>(&text);
    let _ = serde_json::from_str::<Vec<Organization>>(&text);
    let _ = serde_json::from_str::<Vec<Service>>(&text);
    let _ = serde_json::from_str::<Vec<Message>>(&text);
    let _ = serde_json::from_str::<User>(&text);
    if let Ok(c) = serde_json::from_str::<Conversation>(&text) {
        let _ = c.holders();
    }
    if let Ok(t) = serde_json::from_str::<TokenResponse>(&text) {
        // Whatever the server sent, Debug never shows the token.
        assert_eq!(format!("{:?}", t.token), "Secret(<redacted>)");
        assert!(format!("{t:?}").contains("token: Secret(<redacted>)"));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn phone_numbers(s in any::<String>(), typed in "[+0-9 ()./-]{0,24}", region in prop::option::of("[A-Z]{2}")) {
        for input in [&s, &typed] {
            match phone::normalize(input, region.as_deref()) {
                Ok(n) => {
                    prop_assert!(n.e164.starts_with('+'));
                    prop_assert!(n.e164[1..].chars().all(|c| c.is_ascii_digit()));
                    prop_assert!(n.e164.len() <= 16);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn csv_and_pasted_lists(s in any::<String>(), rows in prop::collection::vec("[0-9a-zA-Z+ ;,\"@.()\t\r\n-]{0,40}", 0..12)) {
        let csv = format!("telephone,givenName,email\n{}", rows.join("\n"));
        for input in [s.as_str(), csv.as_str()] {
            for report in [import::import_csv(input, Some("NL")), import::import_text(input, Some("NL"))].into_iter().flatten() {
                for e in &report.errors {
                    prop_assert!(e.line >= 1);
                    prop_assert!(!e.reason.trim().is_empty());
                }
                let mut seen = std::collections::HashSet::new();
                for c in &report.contacts {
                    prop_assert!(seen.insert(c.e164().to_string()), "duplicate kept: {}", c.e164());
                    prop_assert!(c.e164().starts_with('+') && c.line().is_some());
                }
            }
        }
        let _ = import::import_csv_bytes(s.as_bytes(), None);
    }

    #[test]
    fn templates_toml_and_variables(toml_text in any::<String>(), text in any::<String>(), value in any::<String>()) {
        if let Err(e) = Template::from_toml(&toml_text, "fuzz") {
            prop_assert!(!e.to_string().is_empty());
        }
        let t = Template { welcome_text: text.clone(), link_text: text, clp_url: "https://clp.example.com/x?a=1#f".into(), ..Template::default() };
        let _ = t.validate(&[]);
        let _ = t.warnings();
        if let Ok(r) = t.render(&|_| Some(value.clone())) {
            let msgs = t.messages(&r, "inv", 0);
            prop_assert!(msgs.iter().all(|m| m["meta"]["inviteId"] == "inv"));
            let (a, b) = t.sms_previews(&r);
            let _ = (segments::analyze(&a), segments::analyze(&b));
        }
    }

    #[test]
    fn link_headers(h in any::<String>(), target in "[ -~]{0,40}") {
        let _ = pagination::next_link([h.as_str()]);
        let built = format!("<{target}>; rel=\"next\", <x>; rel=\"prev\"");
        let base = url::Url::parse("https://api.web1on1.chat/v2/contacts?offset=0").unwrap();
        if let Some(t) = pagination::next_link([built.as_str()])
            && let Ok(u) = pagination::resolve(&base, &t)
        {
            prop_assert_eq!(u.origin(), base.origin(), "never follows a link off the API host");
        }
    }

    #[test]
    fn api_json_answers(v in json()) {
        decode_all(&v);
    }

    #[test]
    fn jwt_claims(s in any::<String>(), parts in prop::collection::vec("[A-Za-z0-9_=-]{0,40}", 0..5)) {
        let dotted = parts.join(".");
        for t in [s.as_str(), dotted.as_str()] {
            if let Err(e) = Claims::decode_access(t) {
                prop_assert!(!e.to_string().contains(t) || t.len() < 8, "the error repeats the token");
            }
        }
    }

    #[test]
    fn small_parsers(s in any::<String>()) {
        let _ = parse_retry_after(&s, chrono::Utc::now());
        let _ = ListQuery::parse(&s);
        let _ = Key::parse(&s);
        let _ = sender_id::validate(&s);
        if let Err(e) = parse_api_url(&s) {
            prop_assert!(!e.message.is_empty());
        }
        let info = segments::analyze(&s);
        prop_assert!(info.segments == 0 || info.units <= info.segments * info.per_segment_limit + 1);
    }
}
