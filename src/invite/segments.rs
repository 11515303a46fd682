//! How many SMS a text costs, and why.
//!
//! Segments are what carriers bill and what counts against throughput, and our invitation is two
//! SMS (welcome and link), so the preview must count them the way the network does: GSM 03.38
//! (7-bit) when every character is in the GSM alphabet, UCS-2 (UTF-16 code units) as soon as one
//! character is not. The numbers and edge cases follow Twilio's live-tested behaviour (see
//! docs/sms.md, "Segments and encodings").
//!
//! Characters are counted as Unicode scalar values, not grapheme clusters: that is what the
//! network sees, and it keeps the crate free of a segmentation dependency. A flag emoji therefore
//! counts as two characters (and four UCS-2 units).

use serde::Serialize;

/// Septets in a single, unsplit GSM-7 SMS.
const GSM_SINGLE: usize = 160;
/// Septets per part of a concatenated GSM-7 SMS (the user data header takes 7).
const GSM_PART: usize = 153;
/// UTF-16 units in a single, unsplit UCS-2 SMS.
const UCS2_SINGLE: usize = 70;
/// UTF-16 units per part of a concatenated UCS-2 SMS.
const UCS2_PART: usize = 67;

/// The alphabet the whole message is sent in; one non-GSM character decides for all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The segment analysis of one SMS text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsInfo {
    pub encoding: Encoding,
    /// Unicode scalar values (see the module note on grapheme clusters).
    pub chars: usize,
    /// Septets for GSM-7 (extension characters cost two), UTF-16 code units for UCS-2.
    pub units: usize,
    /// Zero for an empty text: nothing would be sent, so nothing is billed.
    pub segments: usize,
    /// The capacity that applies to this text: the single-SMS limit while it fits in one SMS, the
    /// per-part limit once it is split.
    pub per_segment_limit: usize,
    /// The distinct characters that forced UCS-2, in order of first appearance, so a warning can
    /// point at exactly what to replace.
    pub non_gsm: Vec<char>,
}

/// Septets a character costs in GSM 03.38: 1 for the basic table, 2 for the extension table
/// (escape + code), `None` when it is not in the GSM alphabet at all.
pub fn gsm_septets(c: char) -> Option<usize> {
    match c {
        '[' | '\\' | ']' | '^' | '{' | '|' | '}' | '~' | '\u{0C}' | '€' => Some(2),
        '`' => None,
        ' '..='~' | '\n' | '\r' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

/// Whether the whole text can go out as GSM-7.
pub fn is_gsm(text: &str) -> bool {
    text.chars().all(|c| gsm_septets(c).is_some())
}

/// Counts encoding, units and segments of `text` as the network would bill it.
pub fn analyze(text: &str) -> SmsInfo {
    let non_gsm = non_gsm_chars(text);
    let chars = text.chars().count();
    if non_gsm.is_empty() {
        let costs = text.chars().map(|c| gsm_septets(c).unwrap_or(1));
        let (units, segments) = count_segments(costs, GSM_SINGLE, GSM_PART);
        SmsInfo {
            encoding: Encoding::Gsm7,
            chars,
            units,
            segments,
            per_segment_limit: limit_for(segments, GSM_SINGLE, GSM_PART),
            non_gsm,
        }
    } else {
        let costs = text.chars().map(char::len_utf16);
        let (units, segments) = count_segments(costs, UCS2_SINGLE, UCS2_PART);
        SmsInfo {
            encoding: Encoding::Ucs2,
            chars,
            units,
            segments,
            per_segment_limit: limit_for(segments, UCS2_SINGLE, UCS2_PART),
            non_gsm,
        }
    }
}

fn non_gsm_chars(text: &str) -> Vec<char> {
    let mut found = Vec::new();
    for c in text.chars() {
        if gsm_septets(c).is_none() && !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

fn limit_for(segments: usize, single: usize, part: usize) -> usize {
    if segments > 1 { part } else { single }
}

/// Packs per-character costs into segments. A character never straddles two parts: an escape
/// pair or a surrogate pair that does not fit moves whole to the next part, which is why a
/// part can end up one unit short of its limit.
fn count_segments(
    costs: impl Iterator<Item = usize>,
    single: usize,
    part: usize,
) -> (usize, usize) {
    let mut total = 0;
    let mut parts = 1;
    let mut in_part = 0;
    for cost in costs {
        total += cost;
        if in_part + cost > part {
            parts += 1;
            in_part = 0;
        }
        in_part += cost;
    }
    let segments = match total {
        0 => 0,
        t if t <= single => 1,
        _ => parts,
    };
    (total, segments)
}

/// A GSM-7 spelling of `text` with common look-alikes replaced (curly quotes, dashes, ellipsis,
/// accented letters outside the GSM table such as ë and ï), for a "this would save segments"
/// hint.
///
/// Returns `None` when the text is already GSM-7, or when some character has no reasonable
/// GSM stand-in (emoji, CJK, °): a suggestion that still needs UCS-2 would not save anything.
pub fn gsm_safe_suggestion(text: &str) -> Option<String> {
    if is_gsm(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_combining_mark(c) {
            if !compose_last(&mut out, c) {
                continue;
            }
        } else if gsm_septets(c).is_some() {
            out.push(c);
        } else {
            out.push_str(look_alike(c)?);
        }
    }
    is_gsm(&out).then_some(out)
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// Folds a combining mark into the preceding letter when the precomposed letter is in the GSM
/// table (e + U+0301 → é), so a decomposed "é" keeps its accent instead of losing it. Returns
/// whether it composed; otherwise the mark is simply dropped by the caller.
fn compose_last(out: &mut String, mark: char) -> bool {
    let Some(base) = out.chars().last() else {
        return false;
    };
    let composed = match (base, mark) {
        ('e', '\u{301}') => 'é',
        ('E', '\u{301}') => 'É',
        ('e', '\u{300}') => 'è',
        ('u', '\u{300}') => 'ù',
        ('i', '\u{300}') => 'ì',
        ('o', '\u{300}') => 'ò',
        ('a', '\u{300}') => 'à',
        ('a', '\u{308}') => 'ä',
        ('o', '\u{308}') => 'ö',
        ('u', '\u{308}') => 'ü',
        ('A', '\u{308}') => 'Ä',
        ('O', '\u{308}') => 'Ö',
        ('U', '\u{308}') => 'Ü',
        ('n', '\u{303}') => 'ñ',
        ('N', '\u{303}') => 'Ñ',
        ('a', '\u{30A}') => 'å',
        ('A', '\u{30A}') => 'Å',
        ('C', '\u{327}') => 'Ç',
        _ => return false,
    };
    out.pop();
    out.push(composed);
    true
}

/// The GSM-7 stand-in for a character outside the GSM alphabet, if there is an obvious one.
fn look_alike(c: char) -> Option<&'static str> {
    let s = match c {
        '‘' | '’' | '‚' | '‛' | '′' | '´' | '`' => "'",
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '•' => "-",
        '…' => "...",
        '\t' | '\u{A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' => "",
        '×' => "x",
        'ë' | 'ê' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'Ë' | 'Ê' | 'È' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ï' | 'í' | 'î' | 'ī' | 'ı' => "i",
        'Ï' | 'Í' | 'Î' | 'Ì' | 'Ī' | 'İ' => "I",
        'á' | 'â' | 'ã' | 'ā' | 'ą' => "a",
        'Á' | 'Â' | 'Ã' | 'À' | 'Ā' | 'Ą' => "A",
        'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
        'Ó' | 'Ô' | 'Õ' | 'Ò' | 'Ō' | 'Ő' => "O",
        'ú' | 'û' | 'ū' | 'ů' | 'ű' => "u",
        'Ú' | 'Û' | 'Ù' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ç' | 'ć' | 'č' => "c",
        'Ć' | 'Č' => "C",
        'ś' | 'š' | 'ş' => "s",
        'Ś' | 'Š' | 'Ş' => "S",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ł' => "l",
        'Ł' => "L",
        'ń' | 'ň' => "n",
        'Ń' | 'Ň' => "N",
        'ř' => "r",
        'Ř' => "R",
        'ğ' => "g",
        'Ğ' => "G",
        'ď' => "d",
        'Ď' => "D",
        'ť' => "t",
        'Ť' => "T",
        'œ' => "oe",
        'Œ' => "OE",
        _ => return None,
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(text: &str) -> usize {
        analyze(text).segments
    }

    #[test]
    fn plain_ascii_is_gsm7_with_160_in_one_sms() {
        let info = analyze(&"a".repeat(160));
        assert_eq!(info.encoding, Encoding::Gsm7);
        assert_eq!((info.chars, info.units, info.segments), (160, 160, 1));
        assert_eq!(info.per_segment_limit, 160);
        assert!(info.non_gsm.is_empty());
    }

    #[test]
    fn gsm7_161_chars_need_two_parts_of_153() {
        let info = analyze(&"a".repeat(161));
        assert_eq!((info.segments, info.per_segment_limit), (2, 153));
        assert_eq!(seg(&"a".repeat(306)), 2);
        assert_eq!(seg(&"a".repeat(307)), 3);
    }

    #[test]
    fn extension_chars_cost_two_septets() {
        for c in ['|', '^', '€', '{', '}', '[', ']', '~', '\\', '\u{0C}'] {
            let info = analyze(&c.to_string());
            assert_eq!(info.encoding, Encoding::Gsm7, "{c:?}");
            assert_eq!((info.chars, info.units), (1, 2), "{c:?}");
        }
        assert_eq!(seg(&"€".repeat(80)), 1);
        assert_eq!(seg(&"€".repeat(81)), 2);
    }

    #[test]
    fn escape_pairs_never_split_so_153_brackets_take_three_parts() {
        let info = analyze(&"]".repeat(153));
        assert_eq!(info.units, 306);
        assert_eq!(info.segments, 3);
    }

    #[test]
    fn crlf_counts_two_characters() {
        let crlf = format!("{}\r\n{}", "a".repeat(80), "a".repeat(79));
        let lf = format!("{}\n{}", "a".repeat(80), "a".repeat(79));
        assert_eq!(seg(&crlf), 2);
        assert_eq!(seg(&lf), 1);
    }

    #[test]
    fn precomposed_e_acute_stays_gsm_but_decomposed_forces_ucs2() {
        assert_eq!(analyze("café").encoding, Encoding::Gsm7);
        let decomposed = analyze("cafe\u{301}");
        assert_eq!(decomposed.encoding, Encoding::Ucs2);
        assert_eq!(decomposed.non_gsm, vec!['\u{301}']);
    }

    #[test]
    fn curly_quotes_force_ucs2() {
        let info = analyze("It’s “fine”");
        assert_eq!(info.encoding, Encoding::Ucs2);
        assert_eq!(info.non_gsm, vec!['’', '“', '”']);
    }

    #[test]
    fn ucs2_70_in_one_sms_and_71_in_two() {
        let info = analyze(&"中".repeat(70));
        assert_eq!(
            (info.encoding, info.units, info.segments),
            (Encoding::Ucs2, 70, 1)
        );
        assert_eq!(info.per_segment_limit, 70);
        let info = analyze(&"中".repeat(71));
        assert_eq!((info.segments, info.per_segment_limit), (2, 67));
    }

    #[test]
    fn extension_chars_cost_one_unit_in_ucs2() {
        let info = analyze("中€[");
        assert_eq!((info.encoding, info.units), (Encoding::Ucs2, 3));
    }

    #[test]
    fn emoji_count_two_units() {
        let info = analyze("hi 😀");
        assert_eq!((info.chars, info.units), (4, 5));
        assert_eq!(info.non_gsm, vec!['😀']);
    }

    #[test]
    fn emoji_on_a_boundary_moves_whole_to_the_next_part() {
        // 66 units + an emoji that would straddle units 67/68: the first part holds 66 units,
        // so 66 + 2 + 66 = 134 units need three parts, not two.
        let text = format!("{}😀{}", "中".repeat(66), "中".repeat(66));
        let info = analyze(&text);
        assert_eq!(info.units, 134);
        assert_eq!(info.segments, 3);
        // Shift by one and it fits in two parts of 67.
        let text = format!("{}😀{}", "中".repeat(65), "中".repeat(65));
        assert_eq!(seg(&text), 2);
    }

    #[test]
    fn dutch_letters_outside_the_gsm_table_force_ucs2() {
        for word in ["financiële", "ideeën", "België", "reünie"] {
            let info = analyze(word);
            let expected = word.contains('ü');
            assert_eq!(info.encoding == Encoding::Gsm7, expected, "{word}");
        }
    }

    #[test]
    fn backtick_and_tab_are_not_gsm() {
        assert_eq!(analyze("`").encoding, Encoding::Ucs2);
        assert_eq!(analyze("a\tb").encoding, Encoding::Ucs2);
    }

    #[test]
    fn non_gsm_lists_each_char_once_in_order() {
        let info = analyze("ë ï ë “ ï");
        assert_eq!(info.non_gsm, vec!['ë', 'ï', '“']);
    }

    #[test]
    fn empty_text_is_zero_segments() {
        let info = analyze("");
        assert_eq!((info.chars, info.units, info.segments), (0, 0, 0));
        assert_eq!(info.encoding, Encoding::Gsm7);
    }

    #[test]
    fn whole_gsm_basic_table_is_single_septet() {
        let table = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        let info = analyze(table);
        assert_eq!(info.encoding, Encoding::Gsm7);
        assert_eq!(info.units, info.chars);
    }

    #[test]
    fn suggestion_replaces_look_alikes() {
        let text = "Financiële “hulp” – ideeën… it’s fine";
        let s = gsm_safe_suggestion(text);
        assert_eq!(
            s.as_deref(),
            Some("Financiele \"hulp\" - ideeen... it's fine")
        );
    }

    #[test]
    fn suggestion_composes_decomposed_accents_into_gsm_letters() {
        assert_eq!(gsm_safe_suggestion("cafe\u{301}").as_deref(), Some("café"));
        assert_eq!(gsm_safe_suggestion("e\u{308}").as_deref(), Some("e"));
    }

    #[test]
    fn suggestion_is_none_when_already_gsm_or_not_convertible() {
        assert_eq!(gsm_safe_suggestion("plain text"), None);
        assert_eq!(gsm_safe_suggestion("ë 😀"), None);
        assert_eq!(gsm_safe_suggestion("20°"), None);
    }

    #[test]
    fn suggestion_drops_invisible_characters() {
        assert_eq!(
            gsm_safe_suggestion("a\u{200B}b\u{A0}c").as_deref(),
            Some("ab c")
        );
    }

    proptest! {
        #[test]
        fn analysis_is_consistent_for_any_text(text in any::<String>()) {
            let info = analyze(&text);
            prop_assert_eq!(info.chars, text.chars().count());
            prop_assert_eq!(info.segments == 0, text.is_empty());
            prop_assert!(info.units >= info.chars);
            let capacity = if info.segments <= 1 {
                info.per_segment_limit
            } else {
                info.segments * info.per_segment_limit
            };
            prop_assert!(info.units <= capacity);
            if let Some(s) = gsm_safe_suggestion(&text) {
                prop_assert!(is_gsm(&s));
            }
        }

        #[test]
        fn ascii_letters_segment_count_matches_formula(n in 0usize..1000) {
            let expected = match n {
                0 => 0,
                1..=160 => 1,
                _ => n.div_ceil(153),
            };
            prop_assert_eq!(seg(&"x".repeat(n)), expected);
        }
    }
}
