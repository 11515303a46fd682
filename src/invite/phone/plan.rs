//! The numbering plans: which country's plan a number belongs to, what kind of line it is,
//! which digits its national spelling starts with, and how long its numbers may be. The plans
//! are libphonenumber's metadata, shipped in the `phonenumber` crate; the crate's own lookups
//! are slow under load and misread numbers with leading zeros, so the metadata is read here.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use phonenumber::{Mode, Type, metadata::DATABASE};

use super::NumberKind;
use super::pattern;

/// The numbering plans that share a calling code, and the one the crate formats with. The
/// database builds these lists afresh on every call, which showed up in large imports, so
/// they are kept per thread.
#[derive(Default)]
struct CodePlans {
    /// In the database's region order; a non-geographic code has its single entry here.
    regions: Vec<&'static phonenumber::Metadata>,
    formatting: Option<&'static phonenumber::Metadata>,
}

fn code_plans(code: u16) -> Rc<CodePlans> {
    thread_local! {
        static PLANS: RefCell<HashMap<u16, Rc<CodePlans>>> = RefCell::new(HashMap::new());
    }
    PLANS.with(|plans| {
        Rc::clone(
            plans
                .borrow_mut()
                .entry(code)
                .or_insert_with(|| Rc::new(load_code_plans(code))),
        )
    })
}

fn load_code_plans(code: u16) -> CodePlans {
    let db: &'static phonenumber::metadata::Database = &DATABASE;
    let by_code = db.by_code(&code).unwrap_or_default();
    let regions = db
        .region(&code)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| match r {
            "001" => by_code.first().copied(),
            id => db.by_id(id),
        })
        .collect();
    CodePlans {
        regions,
        formatting: by_code.first().copied(),
    }
}

/// The numbering plan of a number: the only one for its calling code, or, for shared codes
/// (+1, +7, +39, +44), the first whose leading digits or number ranges fit. This mirrors the
/// crate's own lookup, but on the national significant number with its leading zeros; the
/// crate's `country()` drops them and so finds no country for Italian fixed lines, and its
/// `number_type` then calls them unknown. One pass here also replaces the crate's separate
/// `is_valid` and `number_type` passes, each a dozen patterns behind one global lock.
pub(super) fn home_metadata(code: u16, nsn: &str) -> Option<&'static phonenumber::Metadata> {
    let plans = code_plans(code);
    if let [only] = plans.regions[..] {
        return Some(only);
    }
    plans
        .regions
        .iter()
        .copied()
        .find(|meta| match meta.leading_digits() {
            Some(leading) => pattern::matches_prefix(leading.as_str(), nsn)
                .unwrap_or_else(|| leading.find(nsn).is_some_and(|m| m.start() == 0)),
            None => line_type(meta.descriptors(), nsn) != Type::Unknown,
        })
}

/// What kind of line `nsn` is in the plan `meta`; `None` when the plan says no such number
/// exists.
pub(super) fn line_kind(meta: &'static phonenumber::Metadata, nsn: &str) -> Option<NumberKind> {
    match line_type(meta.descriptors(), nsn) {
        Type::Unknown => None,
        t => Some(kind_of(t)),
    }
}

/// The line type by libphonenumber's precedence: special services first, because their ranges
/// may overlap the fixed-line ranges (Irish 1800 numbers match both).
fn line_type(d: &'static phonenumber::metadata::Descriptors, nsn: &str) -> Type {
    if !desc_matches(d.general(), nsn) {
        return Type::Unknown;
    }
    let special = [
        (Type::PremiumRate, d.premium_rate()),
        (Type::TollFree, d.toll_free()),
        (Type::SharedCost, d.shared_cost()),
        (Type::Voip, d.voip()),
        (Type::PersonalNumber, d.personal_number()),
        (Type::Pager, d.pager()),
        (Type::Uan, d.uan()),
        (Type::Voicemail, d.voicemail()),
    ];
    for (kind, desc) in special {
        if desc.is_some_and(|x| desc_matches(x, nsn)) {
            return kind;
        }
    }
    let same_pattern = match (d.fixed_line(), d.mobile()) {
        (Some(f), Some(m)) => f.national_number().as_str() == m.national_number().as_str(),
        _ => false,
    };
    let fixed = d.fixed_line().is_some_and(|f| desc_matches(f, nsn));
    let mobile = || d.mobile().is_some_and(|m| desc_matches(m, nsn));
    match (fixed, same_pattern) {
        (true, true) => Type::FixedLineOrMobile,
        (true, false) if mobile() => Type::FixedLineOrMobile,
        (true, false) => Type::FixedLine,
        (false, _) if mobile() => Type::Mobile,
        (false, _) => Type::Unknown,
    }
}

/// The crate's descriptor test (possible lengths first, then the pattern at the start of the
/// number), through [`pattern`] when it understands the pattern.
fn desc_matches(desc: &'static phonenumber::metadata::Descriptor, nsn: &str) -> bool {
    let lengths = desc.possible_length();
    if !lengths.is_empty() && !lengths.iter().any(|&l| usize::from(l) == nsn.len()) {
        return false;
    }
    pattern::matches_prefix(desc.national_number().as_str(), nsn)
        .unwrap_or_else(|| desc.is_match(nsn))
}

/// The national spelling, digits only: the national significant number with whatever the
/// country's national format puts before it (NL "0", the US nothing), decided by the same
/// format choice as the crate's formatter but without its regex cache (see [`pattern`]).
pub(super) fn national_digits(number: &phonenumber::PhoneNumber, nsn: &str) -> String {
    let code = number.code().value();
    let prefix = match (code_plans(code).formatting, number.carrier()) {
        (Some(meta), None) => trunk_prefix(meta, nsn),
        _ => None,
    };
    match prefix {
        Some(p) => format!("{p}{nsn}"),
        None => number
            .format()
            .mode(Mode::National)
            .to_string()
            .chars()
            .filter(char::is_ascii_digit)
            .collect(),
    }
}

/// The digits the national format of `nsn` starts with; `None` when a pattern is outside
/// what [`pattern`] understands. Like the crate, the first format whose leading digits and
/// pattern fit wins, and a format without leading digits fits anything.
fn trunk_prefix(meta: &'static phonenumber::Metadata, nsn: &str) -> Option<String> {
    let prefix_of = |f: &phonenumber::metadata::Format| {
        f.national_prefix()
            .map(|rule| rule_digits(rule, meta.national_prefix().unwrap_or("")))
            .unwrap_or_default()
    };
    for format in meta.formats() {
        let Some(leading) = format.leading_digits().last() else {
            return Some(prefix_of(format));
        };
        if pattern::matches_prefix(leading.as_str(), nsn)?
            && pattern::matches_fully(format.pattern().as_str(), nsn)?
        {
            return is_plain_format(format).then(|| prefix_of(format));
        }
    }
    Some(String::new())
}

/// Whether a format only regroups the digits (`(\d{2})(\d{3})` → `$1 $2`). Some drop or add
/// digits (Argentine mobiles lose a 9 and gain a 15), and for those only the crate's formatter
/// gives the national spelling.
fn is_plain_format(format: &phonenumber::metadata::Format) -> bool {
    let groups = top_level_capture_groups(format.pattern().as_str());
    let refs: Vec<u32> = format
        .format()
        .split('$')
        .skip(1)
        .filter_map(|part| part.chars().next()?.to_digit(10))
        .collect();
    let literal_digits = format.format().split('$').enumerate().any(|(i, part)| {
        part.chars()
            .skip(usize::from(i > 0))
            .any(|c| c.is_ascii_digit())
    });
    groups.is_some_and(|n| refs.iter().copied().eq(1..=n)) && !literal_digits
}

/// The number of capture groups when the pattern is nothing but a row of them, else `None`.
fn top_level_capture_groups(pattern: &str) -> Option<u32> {
    let mut depth = 0u32;
    let mut groups = 0;
    let mut chars = pattern.chars().filter(|c| !c.is_whitespace()).peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' if depth == 0 => {
                if chars.peek() == Some(&'?') {
                    return None;
                }
                groups += 1;
                depth += 1;
            }
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            _ if depth == 0 => return None,
            _ => {}
        }
    }
    (depth == 0).then_some(groups)
}

/// The digits a national-prefix formatting rule such as `($NP$FG)` or `8 ($FG)` writes, apart
/// from the number's own first group.
fn rule_digits(rule: &str, national_prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = rule;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("$NP") {
            out.extend(national_prefix.chars().filter(char::is_ascii_digit));
            rest = after;
        } else if let Some(after) = rest
            .strip_prefix("$FG")
            .or_else(|| rest.strip_prefix("$CC"))
        {
            rest = after;
        } else {
            if c.is_ascii_digit() {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The national-number lengths of lines that reach a person (fixed and mobile), sorted; the
/// general lengths also cover service numbers and would make the hint vaguer.
pub(super) fn possible_lengths(meta: &phonenumber::Metadata) -> Vec<u16> {
    let d = meta.descriptors();
    let lengths_of = |descs: &[Option<&phonenumber::metadata::Descriptor>]| -> Vec<u16> {
        descs
            .iter()
            .flatten()
            .flat_map(|desc| desc.possible_length().iter().copied())
            .collect()
    };
    let mut lengths = lengths_of(&[d.mobile(), d.fixed_line()]);
    if lengths.is_empty() {
        lengths = lengths_of(&[Some(d.general())]);
    }
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

fn kind_of(t: Type) -> NumberKind {
    match t {
        Type::Mobile => NumberKind::Mobile,
        Type::FixedLine => NumberKind::FixedLine,
        Type::FixedLineOrMobile => NumberKind::FixedLineOrMobile,
        _ => NumberKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::phone::{candidate, normalize};
    use proptest::prelude::*;

    /// Every example number in the metadata, for every country and line type, in E.164.
    fn metadata_examples() -> Vec<String> {
        let mut out = Vec::new();
        for code in 1..1000u16 {
            for meta in DATABASE.by_code(&code).unwrap_or_default() {
                let d = meta.descriptors();
                let descs = [
                    d.fixed_line(),
                    d.mobile(),
                    d.toll_free(),
                    d.premium_rate(),
                    d.voip(),
                ];
                for example in descs.into_iter().flatten().filter_map(|x| x.example()) {
                    out.push(format!("+{code}{example}"));
                }
            }
        }
        out
    }

    #[test]
    fn classification_agrees_with_the_crate_on_every_metadata_example() {
        let examples = metadata_examples();
        assert!(examples.len() > 500, "{}", examples.len());
        let mut disagreements = Vec::new();
        for e164 in &examples {
            let Ok(n) = phonenumber::parse(None, e164) else {
                continue;
            };
            let ours = candidate(e164, None, e164, true).ok().and_then(|c| c.kind);
            let theirs = n.is_valid().then(|| kind_of(n.number_type(&DATABASE)));
            // The crate types numbers with leading zeros without those zeros (see
            // `home_metadata`); for them only validity is comparable.
            let comparable = if n.national().zeros() == 0 {
                ours == theirs
            } else {
                ours.is_some() == theirs.is_some()
            };
            if !comparable {
                disagreements.push(format!("{e164}: ours {ours:?}, crate {theirs:?}"));
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }

    #[test]
    fn national_spelling_matches_the_crate_formatter_on_every_metadata_example() {
        let mut disagreements = Vec::new();
        for e164 in metadata_examples() {
            let Ok(c) = candidate(&e164, None, &e164, true) else {
                continue;
            };
            if c.kind.is_none() {
                continue;
            }
            let crate_national: String = c
                .number
                .format()
                .mode(Mode::National)
                .to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let ours = national_digits(&c.number, &c.nsn);
            if ours != crate_national {
                disagreements.push(format!("{e164}: ours {ours}, crate {crate_national}"));
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }

    /// National numbers to try patterns on: every example of the country, and each with its
    /// last digit changed, dropped and doubled, so both matches and near misses are covered.
    fn pattern_probes(meta: &'static phonenumber::Metadata) -> Vec<String> {
        let examples = all_descriptors(meta)
            .into_iter()
            .filter_map(|x| x.example());
        let mut out = Vec::new();
        for e in examples {
            let mut changed = e.to_owned();
            let last = changed.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
            out.push(format!("{changed}{}", (last + 1) % 10));
            out.push(changed.clone());
            out.push(format!("{e}{last}"));
            out.push(e.to_owned());
        }
        out
    }

    fn all_descriptors(
        meta: &'static phonenumber::Metadata,
    ) -> Vec<&'static phonenumber::metadata::Descriptor> {
        let d = meta.descriptors();
        [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    #[test]
    fn pattern_matcher_agrees_with_the_crate_on_every_metadata_pattern() {
        let db: &'static phonenumber::metadata::Database = &DATABASE;
        let mut checked = 0;
        let mut unsupported = 0;
        let mut disagreements = Vec::new();
        for meta in db.iter() {
            let probes = pattern_probes(meta);
            for desc in all_descriptors(meta) {
                for nsn in &probes {
                    checked += 1;
                    if pattern::matches_prefix(desc.national_number().as_str(), nsn).is_none() {
                        unsupported += 1;
                    }
                    if desc_matches(desc, nsn) != desc.is_match(nsn) {
                        disagreements.push(format!("{} {nsn}", meta.id()));
                    }
                }
            }
            for format in meta.formats() {
                for nsn in &probes {
                    let crate_full = format
                        .pattern()
                        .find(nsn)
                        .is_some_and(|m| m.start() == 0 && m.end() == nsn.len());
                    if pattern::matches_fully(format.pattern().as_str(), nsn) != Some(crate_full) {
                        disagreements.push(format!("{} format {nsn}", meta.id()));
                    }
                    for leading in format.leading_digits() {
                        let crate_prefix = leading.find(nsn).is_some_and(|m| m.start() == 0);
                        if pattern::matches_prefix(leading.as_str(), nsn) != Some(crate_prefix) {
                            disagreements.push(format!("{} leading {nsn}", meta.id()));
                        }
                    }
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
        assert_eq!(
            unsupported, 0,
            "every metadata pattern is in the supported subset"
        );
        assert!(
            disagreements.is_empty(),
            "{}",
            disagreements[..disagreements.len().min(20)].join("\n")
        );
    }

    #[test]
    fn plain_formats_only_regroup_digits() {
        assert_eq!(top_level_capture_groups("(\\d{2})(\\d{3})"), Some(2));
        assert_eq!(top_level_capture_groups("( \\d )( (?:1|2) )"), Some(2));
        assert_eq!(top_level_capture_groups("9(\\d{4})"), None);
        assert_eq!(top_level_capture_groups("(?:\\d)"), None);
        assert_eq!(top_level_capture_groups("(\\d"), None);
        assert_eq!(top_level_capture_groups("\\d)"), None);
    }

    #[test]
    fn trunk_prefix_rules() {
        assert_eq!(rule_digits("$NP$FG", "0"), "0");
        assert_eq!(rule_digits("($NP$FG)", "0"), "0");
        assert_eq!(rule_digits("8 ($FG)", "8"), "8");
        assert_eq!(rule_digits("$FG", "1"), "");
        let nl = DATABASE
            .by_id("NL")
            .and_then(|m| trunk_prefix(m, "612345678"));
        assert_eq!(nl.as_deref(), Some("0"));
        let us = DATABASE
            .by_id("US")
            .and_then(|m| trunk_prefix(m, "2015550123"));
        assert_eq!(us.as_deref(), Some(""));
    }

    #[test]
    fn numbers_with_leading_zeros_get_their_real_kind() {
        let ci = normalize("+225 01 23 45 67 89", None).map(|n| n.kind);
        assert_eq!(ci, Ok(NumberKind::Mobile));
        let example = DATABASE
            .by_id("IT")
            .and_then(|m| m.descriptors().fixed_line()?.example())
            .unwrap_or_default();
        assert!(example.starts_with('0'), "{example}");
        let it = normalize(&format!("+39{example}"), None).map(|n| (n.kind, n.national));
        assert_eq!(it, Ok((NumberKind::FixedLine, example.to_owned())));
    }

    #[test]
    fn special_ranges_win_over_fixed_line() {
        let free = normalize("+353 1800 123456", None).map(|n| n.kind);
        assert_eq!(free, Ok(NumberKind::Other));
    }

    proptest! {
        #[test]
        fn pattern_matcher_agrees_with_the_crate_on_random_numbers(
            nsn in "[0-9]{1,17}",
            region in prop::sample::select(vec!["NL", "BE", "DE", "GB", "US", "IT", "FR", "AR", "IN"]),
        ) {
            let db: &'static phonenumber::metadata::Database = &DATABASE;
            if let Some(meta) = db.by_id(region) {
                for desc in all_descriptors(meta) {
                    prop_assert_eq!(desc_matches(desc, &nsn), desc.is_match(&nsn));
                }
            }
        }
    }
}
