//! Every parser of outside input, fed generated hostile input: no panic anywhere, and every
//! refusal carries a message a user can act on. Cases per property: `PROPTEST_CASES`
//! (default 2,000 here; the unit tests run a quicker pass of some of the same).

use proptest::prelude::*;
use serde_json::Value;
use sms_invite::api::models::{
    Conversation, Message, Organization, PlatformContact, Service, TokenResponse, User,
};
use sms_invite::api::pagination;
use sms_invite::api::retry::parse_retry_after;
use sms_invite::api::{Claims, client::parse_api_url};
use sms_invite::invite::{export, import, phone, segments, sender_id, template::Template};
use sms_invite::safe_text;
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
    let _ = serde_json::from_str::<Vec<PlatformContact>>(&text);
    let _ = serde_json::from_str::<PlatformContact>(&text);
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

    /// Whatever a file holds, what the import says about it can be printed on a terminal: no
    /// message, reason or quoted row carries a control or bidirectional character.
    #[test]
    fn import_messages_are_printable(bytes in prop::collection::vec(any::<u8>(), 0..300), s in any::<String>(), cells in prop::collection::vec("[0-9a-z\u{1b}\u{7}\u{9b}\u{202e}\u{0}\t\r\n,;\"]{0,12}", 0..12)) {
        let printable = |t: &str| !t.chars().any(safe_text::needs_escape);
        let csv = format!("phone,name,City\n{}", cells.join(","));
        let inputs = [bytes.clone(), s.into_bytes(), csv.into_bytes()];
        for input in &inputs {
            match import::read_csv(input.as_slice(), &import::ImportOptions::new(Some("NL")).max_rows(5)) {
                Ok(r) => {
                    for e in &r.report.errors {
                        prop_assert!(printable(&e.reason) && printable(&e.raw), "{e:?}");
                        prop_assert!(e.raw.chars().count() <= 201);
                    }
                    prop_assert!(r.notes.iter().all(|n| printable(n)), "{:?}", r.notes);
                }
                Err(e) => prop_assert!(printable(&e.to_string()), "{e}"),
            }
        }
    }

    /// Any cell, as a spreadsheet reads the export: it never starts a formula (a phone number
    /// in E.164 is a number, not a formula), and nothing but a leading quote is added.
    #[test]
    fn export_cells_never_start_a_formula(s in any::<String>(), typed in "[ \t\r=+@－＋0-9a-z-]{0,12}") {
        for cell in [s.as_str(), typed.as_str()] {
            let safe = export::spreadsheet_safe(cell);
            let e164 = safe.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.len() <= 15 && d.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(!export::starts_formula(&safe) || e164, "{safe:?}");
            prop_assert!(safe == cell || safe == format!("'{cell}"), "{safe:?}");
            // Written and read back as CSV, the cell is unchanged: quoting cannot be escaped.
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).has_headers(false).from_writer(Vec::new());
            w.write_record([safe.as_ref(), "next"]).unwrap();
            let bytes = w.into_inner().unwrap();
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
            let back = r.records().next().unwrap().unwrap();
            prop_assert_eq!(back.get(0), Some(safe.as_ref()));
            prop_assert_eq!(back.len(), 2);
        }
    }

    #[test]
    fn printable_text_reaches_no_terminal_control(s in any::<String>()) {
        let one = safe_text::printable(&s);
        prop_assert!(!one.chars().any(safe_text::needs_escape));
        prop_assert!(!one.contains('\n'));
        let lines = safe_text::printable_lines(&s);
        prop_assert!(!lines.chars().any(|c| c != '\n' && safe_text::needs_escape(c)));
        prop_assert_eq!(lines.matches('\n').count(), s.matches('\n').count());
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
