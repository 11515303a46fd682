//! Contacts from a CSV file or a pasted list, checked row by row before anything is sent.
//!
//! A batch is only as good as its worst row, and a support engineer fixing a list needs to know
//! which line is wrong and why, so a bad row never stops the import: it is reported with its
//! 1-based line and reason, and the good rows go on. Numbers are normalized first and then
//! de-duplicated on E.164, because `06 1234 5678` and `+31612345678` are one person
//! (`reference/sms-practice.md` §2.1, §2.5).

use crate::invite::contact::{Contact, Details};
use crate::invite::phone::{self, Region};
use compact_str::CompactString;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use thiserror::Error;

/// A row that could not be used, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line in the input.
    pub line: usize,
    pub raw: String,
    pub reason: String,
}

/// One number that appeared on several lines; only the first line (`lines[0]`) is imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    pub e164: String,
    pub lines: Vec<usize>,
}

/// Everything an import found, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub contacts: Vec<Contact>,
    pub errors: Vec<RowError>,
    pub duplicates: Vec<Duplicate>,
}

/// Problems that make the whole input unusable (as opposed to one bad row).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error(
        "the file is empty; expected a header line such as \"telephone,givenName,familyName,email\""
    )]
    Empty,
    #[error(
        "no phone column found in the header ({found}); name one column telephone, phone or mobile"
    )]
    NoPhoneColumn { found: String },
    #[error(
        "the first line ({first_line}) looks like a contact, not a header; add a header line such as \"telephone,givenName,familyName\" or paste the list as text"
    )]
    MissingHeader { first_line: String },
    #[error(transparent)]
    Region(#[from] phone::PhoneError),
}

/// Reads a file's bytes as text: UTF-8 (a byte-order mark is dropped) or, failing that,
/// Windows-1252, which is what spreadsheet programs write on Western European machines; without
/// this, "Jörg" from an Excel export would make the whole file unreadable.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| cp1252_char(b)).collect()),
    }
}

fn cp1252_char(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Checks that an address is plausibly deliverable in shape (one `@`, a dotted domain, no
/// spaces); a typo caught here is cheaper than a contact profile with a broken address.
pub fn validate_email(email: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("email \"{email}\" is not a valid address: {why}"));
    if email.chars().count() > 254 {
        return bad("longer than 254 characters");
    }
    if email.chars().any(char::is_whitespace) {
        return bad("it contains a space");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad("it has no @");
    };
    if domain.contains('@') {
        return bad("it has more than one @");
    }
    if let Err(why) = check_local_part(local) {
        return bad(why);
    }
    if let Err(why) = check_domain(domain) {
        return bad(why);
    }
    Ok(())
}

fn check_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("nothing before the @");
    }
    if local.len() > 64 {
        return Err("the part before the @ is longer than 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("misplaced dot before the @");
    }
    if local
        .chars()
        .any(|c| "\",:;<>()[]\\".contains(c) || c.is_control())
    {
        return Err("a character that is not allowed before the @");
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), &'static str> {
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.is_empty() || labels.len() < 2 {
        return Err("the domain after the @ needs a dot, as in example.nl");
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return Err("the domain after the @ is malformed");
    }
    if labels.last().is_some_and(|tld| tld.chars().count() < 2) {
        return Err("the domain ends in a one-letter extension");
    }
    Ok(())
}

/// Turns a language tag as people write it (`NL`, `nl_NL`, `en-gb`) into the usual spelling
/// (`nl`, `nl-NL`, `en-GB`), so the contact's profile gets a tag the platform understands.
pub fn normalize_locale(locale: &str) -> Result<String, String> {
    let trimmed = locale.trim();
    let bad = || {
        Err(format!(
            "locale \"{trimmed}\" is not a language code; use one like en, nl or nl-NL"
        ))
    };
    let mut parts = trimmed.split(['-', '_']);
    let Some(language) = parts.next() else {
        return bad();
    };
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return bad();
    }
    let mut out = language.to_ascii_lowercase();
    for part in parts {
        if !(2..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return bad();
        }
        out.push('-');
        let is_region = part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic());
        out.push_str(&if is_region {
            part.to_ascii_uppercase()
        } else {
            part.to_owned()
        });
    }
    Ok(out)
}

/// The fields of one row before any check, whatever the input format.
#[derive(Debug, Default)]
struct RowFields<'a> {
    phone: &'a str,
    given_name: &'a str,
    family_name: &'a str,
    full_name: Cow<'a, str>,
    email: &'a str,
    locale: &'a str,
    country: &'a str,
    extra: BTreeMap<String, String>,
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// Checks one row and builds the contact; the error is the reason shown for that line.
fn build_contact(
    mut row: RowFields<'_>,
    default_region: Option<Region>,
    line: usize,
) -> Result<Contact, String> {
    let raw_phone = row.phone.trim();
    if raw_phone.is_empty() {
        return Err("no phone number on this row".to_owned());
    }
    let row_region = Region::parse_optional(Some(row.country)).map_err(|_| {
        format!(
            "country \"{}\" is not a two-letter country code such as NL or BE",
            row.country.trim()
        )
    })?;
    let phone =
        phone::normalize_in(raw_phone, row_region.or(default_region)).map_err(|e| e.to_string())?;
    let email = non_empty(row.email);
    if let Some(e) = email {
        validate_email(e)?;
    }
    let locale = non_empty(row.locale).map(normalize_locale).transpose()?;
    let mut extra = std::mem::take(&mut row.extra);
    let contact_id = take_contact_id(&mut extra);
    let (given_name, family_name) = names(&row);
    Ok(Contact::new(
        &phone,
        Details {
            raw_phone,
            given_name: given_name.as_deref(),
            family_name: family_name.as_deref(),
            email,
            locale: locale.as_deref(),
            contact_id: contact_id.as_deref(),
            extra,
            line,
        },
    ))
}

/// A `contactId` column (any spelling: "Contact ID", "contact_id") names the platform contact
/// to invite when several share the number; it is taken out of the profile fields.
fn take_contact_id(extra: &mut BTreeMap<String, String>) -> Option<String> {
    let key = extra
        .keys()
        .find(|k| {
            let k: String = k.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            k.eq_ignore_ascii_case("contactid")
        })
        .cloned()?;
    let id = extra.remove(&key)?;
    Some(id.trim().to_owned()).filter(|id| !id.is_empty())
}

/// Given and family name from their own fields, or split from a full name (first word given,
/// the rest family, so "Jan van der Berg" keeps "van der Berg" together).
fn names<'a>(row: &'a RowFields<'_>) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let given = non_empty(row.given_name);
    let family = non_empty(row.family_name);
    if given.is_some() || family.is_some() {
        return (given.map(Cow::Borrowed), family.map(Cow::Borrowed));
    }
    let mut words = row.full_name.split_whitespace();
    let Some(first) = words.next() else {
        return (None, None);
    };
    let rest = words.collect::<Vec<_>>().join(" ");
    (
        Some(Cow::Borrowed(first)),
        (!rest.is_empty()).then_some(Cow::Owned(rest)),
    )
}

/// Collects accepted contacts, dropping later rows with an already-seen number.
#[derive(Default)]
struct Collector {
    report: ImportReport,
    /// By number, the line that number was first seen on. E.164 numbers are at most 16 bytes,
    /// so a `CompactString` keeps them inline: no allocation per contact.
    first_seen: HashMap<CompactString, usize>,
    duplicate_index: HashMap<CompactString, usize>,
}

impl Collector {
    /// Sized for `rows` contacts up front, because growing a 100,000-entry list and map step
    /// by step moved every contact several times.
    fn with_capacity(rows: usize) -> Self {
        let mut collector = Collector::default();
        collector.report.contacts.reserve(rows);
        collector.first_seen.reserve(rows);
        collector
    }

    fn push(&mut self, result: Result<Contact, String>, line: usize, raw: &str) {
        match result {
            Ok(contact) => self.push_contact(contact, line),
            Err(reason) => self.report.errors.push(RowError {
                line,
                raw: raw.to_owned(),
                reason,
            }),
        }
    }

    fn push_contact(&mut self, contact: Contact, line: usize) {
        let e164 = CompactString::from(contact.e164());
        let Some(&first_line) = self.first_seen.get(&e164) else {
            self.first_seen.insert(e164, line);
            self.report.contacts.push(contact);
            return;
        };
        let dups = &mut self.report.duplicates;
        let index = *self.duplicate_index.entry(e164.clone()).or_insert_with(|| {
            dups.push(Duplicate {
                e164: e164.to_string(),
                lines: vec![first_line],
            });
            dups.len() - 1
        });
        if let Some(dup) = dups.get_mut(index) {
            dup.lines.push(line);
        }
    }
}

/// What each column of a CSV header is for.
#[derive(Debug, Default)]
struct Columns {
    /// Phone columns, best first: a "mobile" column wins over a generic "phone" one, and a row
    /// whose first choice is empty falls back to the next.
    phone: Vec<usize>,
    given_name: Option<usize>,
    family_name: Option<usize>,
    full_name: Option<usize>,
    email: Option<usize>,
    locale: Option<usize>,
    country: Option<usize>,
    extra: Vec<(usize, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Mobile,
    Phone,
    GivenName,
    FamilyName,
    FullName,
    Email,
    Locale,
    Country,
}

/// Header names are matched ignoring case, spaces and punctuation, with the common English
/// and Dutch spellings, because exports from CRMs and spreadsheets never agree on them.
fn role_of(header: &str) -> Option<Role> {
    let key: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let role = match key.as_str() {
        "mobile" | "mobilephone" | "mobilenumber" | "mobiel" | "mobielnummer" | "cell"
        | "cellphone" | "gsm" | "msisdn" => Role::Mobile,
        "telephone" | "phone" | "phonenumber" | "tel" | "telnr" | "telefoon" | "telefoonnummer"
        | "number" => Role::Phone,
        "givenname" | "firstname" | "first" | "forename" | "voornaam" => Role::GivenName,
        "familyname" | "lastname" | "last" | "surname" | "achternaam" => Role::FamilyName,
        "name" | "fullname" | "naam" | "contactname" => Role::FullName,
        "email" | "emailaddress" | "mail" => Role::Email,
        "locale" | "language" | "lang" | "taal" => Role::Locale,
        "country" | "region" | "land" => Role::Country,
        _ => return None,
    };
    Some(role)
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Self {
        let mut cols = Columns::default();
        let mut mobile = Vec::new();
        let mut phone = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let slot = match role_of(name) {
                Some(Role::Mobile) => {
                    mobile.push(i);
                    continue;
                }
                Some(Role::Phone) => {
                    phone.push(i);
                    continue;
                }
                Some(Role::GivenName) => &mut cols.given_name,
                Some(Role::FamilyName) => &mut cols.family_name,
                Some(Role::FullName) => &mut cols.full_name,
                Some(Role::Email) => &mut cols.email,
                Some(Role::Locale) => &mut cols.locale,
                Some(Role::Country) => &mut cols.country,
                None => {
                    cols.push_extra(i, name);
                    continue;
                }
            };
            match slot {
                None => *slot = Some(i),
                Some(_) => cols.push_extra(i, name),
            }
        }
        mobile.extend(phone);
        cols.phone = mobile;
        cols
    }

    fn push_extra(&mut self, i: usize, name: &str) {
        let name = match name.trim() {
            "" => format!("column {}", i + 1),
            n => n.to_owned(),
        };
        if !self.extra.iter().any(|(_, n)| *n == name) {
            self.extra.push((i, name));
        }
    }

    fn fields<'r>(&self, record: &'r csv::StringRecord) -> RowFields<'r> {
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let phone = self
            .phone
            .iter()
            .filter_map(|&i| record.get(i))
            .find(|v| !v.trim().is_empty())
            .unwrap_or("");
        // Inserted one by one: collecting builds a sorted vector first, which for the one or
        // two extra columns of a typical row cost more than the rest of the row.
        let mut extra = BTreeMap::new();
        for (i, name) in &self.extra {
            if let Some(value) = record.get(*i).and_then(non_empty) {
                extra.insert(name.clone(), value.to_owned());
            }
        }
        RowFields {
            phone,
            given_name: get(self.given_name),
            family_name: get(self.family_name),
            full_name: Cow::Borrowed(get(self.full_name)),
            email: get(self.email),
            locale: get(self.locale),
            country: get(self.country),
            extra,
        }
    }
}

/// Picks the delimiter from the header line: spreadsheets in much of Europe write `;` because
/// `,` is their decimal separator, and a tab comes from copying cells.
fn sniff_delimiter(header_line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| *d == b) {
            entry.1 += 1;
        }
    }
    counts
        .iter()
        .max_by_key(|(d, n)| (*n, *d == b','))
        .map_or(b',', |(d, _)| *d)
}

/// Excel may start a CSV with a `sep=;` line naming the delimiter; honour and skip it.
fn excel_separator_line(input: &str) -> Option<(u8, &str)> {
    let (first, rest) = input.split_once('\n').unwrap_or((input, ""));
    let sep = first.trim_end_matches('\r').strip_prefix("sep=")?;
    match sep.as_bytes() {
        [d] => Some((*d, rest)),
        _ => None,
    }
}

/// Imports contacts from CSV text with a header line. National numbers are read as belonging to
/// `default_region` unless the row has its own country column.
///
/// Rows whose cells are all empty (trailing `;;;` lines from spreadsheets) are skipped without
/// an error; any other unusable row becomes a [`RowError`].
pub fn import_csv(input: &str, default_region: Option<&str>) -> Result<ImportReport, ImportError> {
    let default_region = Region::parse_optional(default_region)?;
    let input = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let (delimiter, body, line_offset) = match excel_separator_line(input) {
        Some((d, rest)) => (d, rest, 1),
        None => (
            sniff_delimiter(input.lines().next().unwrap_or("")),
            input,
            0,
        ),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(body.as_bytes());
    let header = reader.headers().map_err(|_| ImportError::Empty)?;
    let columns = columns_of(header)?;
    Ok(read_rows(
        &mut reader,
        body,
        &columns,
        default_region,
        line_offset,
    ))
}

/// Reads the header line, refusing files without one or without a phone column, since every
/// row would then fail for the same reason.
fn columns_of(header: &csv::StringRecord) -> Result<Columns, ImportError> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let columns = Columns::from_header(header);
    if !columns.phone.is_empty() {
        return Ok(columns);
    }
    let cells = header.iter().collect::<Vec<_>>().join(", ");
    if header.iter().any(is_number_word) {
        Err(ImportError::MissingHeader { first_line: cells })
    } else {
        Err(ImportError::NoPhoneColumn { found: cells })
    }
}

/// Imports contacts from bytes of unknown encoding (see [`decode_text`]).
pub fn import_csv_bytes(
    bytes: &[u8],
    default_region: Option<&str>,
) -> Result<ImportReport, ImportError> {
    import_csv(&decode_text(bytes), default_region)
}

fn read_rows(
    reader: &mut csv::Reader<&[u8]>,
    body: &str,
    columns: &Columns,
    default_region: Option<Region>,
    line_offset: usize,
) -> ImportReport {
    let mut out = Collector::with_capacity(body.bytes().filter(|&b| b == b'\n').count());
    let mut lines = LineCounter::default();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        let outcome = reader.read_record(&mut record);
        let end = reader.position().byte();
        let (raw, raw_start) = raw_slice(body, start, end);
        let line = lines.line_at(body, raw_start) + line_offset;
        match outcome {
            Ok(false) => break,
            Ok(true) if record.iter().all(|f| f.trim().is_empty()) => {}
            Ok(true) => {
                let result = build_contact(columns.fields(&record), default_region, line);
                out.push(result, line, raw);
            }
            Err(e) => {
                out.push(Err(format!("unreadable CSV: {e}")), line, raw);
                if end == start {
                    break;
                }
            }
        }
    }
    out.report
}

/// 1-based line numbers from byte offsets, computed incrementally. The CSV reader's own line
/// numbers are off by one after a CRLF line end, and every report line must match the line a
/// user sees in their editor.
#[derive(Default)]
struct LineCounter {
    byte: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, body: &str, byte: usize) -> usize {
        if byte > self.byte {
            let seen = body.get(self.byte..byte).unwrap_or("");
            self.newlines += seen.bytes().filter(|&b| b == b'\n').count();
            self.byte = byte;
        }
        self.newlines + 1
    }
}

/// The text of one record as it appears in the input, without the surrounding line breaks,
/// and the byte offset where that text starts.
fn raw_slice(body: &str, start: u64, end: u64) -> (&str, usize) {
    let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
        return ("", 0);
    };
    let slice = body.get(start..end).unwrap_or("");
    let trimmed = slice.trim_start_matches(['\r', '\n']);
    let offset = start + (slice.len() - trimmed.len());
    (trimmed.trim_end_matches(['\r', '\n']), offset)
}

/// Imports a pasted list such as `Jan Jansen 06-12345678, Piet 0031 6 12345678` with one
/// contact per line, comma or semicolon. In each entry the run of number-like words is the phone
/// number (so spaces inside a number are fine), a word with `@` is the e-mail address, and the
/// other words are the name.
pub fn import_text(input: &str, default_region: Option<&str>) -> Result<ImportReport, ImportError> {
    let default_region = Region::parse_optional(default_region)?;
    let mut out = Collector::default();
    for (index, line) in input.lines().enumerate() {
        for entry in line
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let line = index + 1;
            let result =
                parse_entry(entry).and_then(|row| build_contact(row, default_region, line));
            out.push(result, line, entry);
        }
    }
    Ok(out.report)
}

fn is_number_word(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.()/".contains(c))
}

/// Splits one pasted entry into number, e-mail and name words.
fn parse_entry(entry: &str) -> Result<RowFields<'_>, String> {
    let words = word_spans(entry);
    let word = |&(start, end): &(usize, usize)| entry.get(start..end).unwrap_or("");
    let number_words: Vec<usize> = (0..words.len())
        .filter(|&i| is_number_word(word(&words[i])))
        .collect();
    let (Some(&first), Some(&last)) = (number_words.first(), number_words.last()) else {
        return Err("no phone number found in this entry".to_owned());
    };
    if last - first + 1 != number_words.len() {
        return Err(
            "more than one phone number in this entry; put each contact on its own line or separate them with a comma"
                .to_owned(),
        );
    }
    let phone = entry.get(words[first].0..words[last].1).unwrap_or("");
    let others: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| !(first..=last).contains(i))
        .map(|(_, w)| word(w))
        .collect();
    let (emails, name): (Vec<&str>, Vec<&str>) = others.iter().partition(|w| w.contains('@'));
    if emails.len() > 1 {
        return Err("more than one e-mail address in this entry".to_owned());
    }
    Ok(RowFields {
        phone,
        full_name: Cow::Owned(name.join(" ")),
        email: emails.first().copied().unwrap_or(""),
        ..RowFields::default()
    })
}

/// Byte ranges of the whitespace-separated words, so the number can be taken from the entry
/// exactly as typed, spaces inside it included.
fn word_spans(entry: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in entry.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, entry.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn csv(input: &str) -> ImportReport {
        match import_csv(input, Some("NL")) {
            Ok(r) => r,
            Err(e) => panic!("import failed: {e}"),
        }
    }

    fn text(input: &str) -> ImportReport {
        match import_text(input, Some("NL")) {
            Ok(r) => r,
            Err(e) => panic!("import failed: {e}"),
        }
    }

    #[test]
    fn csv_with_standard_headers() {
        let r = csv("telephone,givenName,familyName,email,locale\n\
                     06-12345678,Jan,Jansen,jan@example.nl,nl_nl\n");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let c = &r.contacts[0];
        assert_eq!(c.e164(), "+31612345678");
        assert_eq!(c.raw_phone(), "06-12345678");
        assert_eq!(c.given_name(), Some("Jan"));
        assert_eq!(c.family_name(), Some("Jansen"));
        assert_eq!(c.email(), Some("jan@example.nl"));
        assert_eq!(c.locale(), Some("nl-NL"));
        assert_eq!(c.line(), Some(2));
    }

    #[test]
    fn csv_header_aliases_are_case_and_punctuation_insensitive() {
        let r = csv(
            "Mobile Phone;First Name;LAST_NAME;E-mail;Language\n0612345678;Jan;Jansen;j@x.nl;EN\n",
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let c = &r.contacts[0];
        assert_eq!(c.given_name(), Some("Jan"));
        assert_eq!(c.family_name(), Some("Jansen"));
        assert_eq!(c.email(), Some("j@x.nl"));
        assert_eq!(c.locale(), Some("en"));
    }

    #[test]
    fn a_contact_id_column_names_the_platform_contact() {
        let r = csv("phone,Contact ID,City\n0612345678, 5f01 ,Utrecht\n0612345679,,Delft\n");
        assert_eq!(r.contacts[0].contact_id(), Some("5f01"));
        assert!(!r.contacts[0].extra().contains_key("Contact ID"));
        assert_eq!(
            r.contacts[0].to_target().contact_id.as_deref(),
            Some("5f01")
        );
        assert_eq!(r.contacts[1].contact_id(), None);
        assert_eq!(
            r.contacts[1].extra().get("City").map(String::as_str),
            Some("Delft")
        );
    }

    #[test]
    fn csv_extra_columns_become_profile_fields() {
        let r = csv("phone,Zip Code,City,,Notes\n0612345678,1234 AB,Utrecht,x,\n");
        let extra = r.contacts[0].extra();
        assert_eq!(extra.get("Zip Code").map(String::as_str), Some("1234 AB"));
        assert_eq!(extra.get("City").map(String::as_str), Some("Utrecht"));
        assert_eq!(extra.get("column 4").map(String::as_str), Some("x"));
        assert!(!extra.contains_key("Notes"), "empty cells are left out");
    }

    #[test]
    fn csv_full_name_column_is_split_into_given_and_family() {
        let r = csv("name,phone\nJan van der Berg,0612345678\nPiet,0612345679\n");
        assert_eq!(r.contacts[0].given_name(), Some("Jan"));
        assert_eq!(r.contacts[0].family_name(), Some("van der Berg"));
        assert_eq!(r.contacts[1].given_name(), Some("Piet"));
        assert_eq!(r.contacts[1].family_name(), None);
    }

    #[test]
    fn csv_mobile_column_wins_and_phone_is_the_fallback() {
        let r = csv("phone,mobile\n0201234567,0612345678\n0201234567,\n");
        assert_eq!(r.contacts[0].e164(), "+31612345678");
        assert_eq!(r.contacts[1].e164(), "+31201234567");
    }

    #[test]
    fn csv_country_column_overrides_the_default_region() {
        let r = csv("phone,country\n0470123456,BE\n0612345678,\n0612345678,Holland\n");
        assert_eq!(r.contacts[0].e164(), "+32470123456");
        assert_eq!(r.contacts[1].e164(), "+31612345678");
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].reason.contains("Holland"));
    }

    #[test]
    fn bad_rows_are_reported_with_line_and_reason_and_good_rows_go_on() {
        let r = csv(
            "phone,email\n0612345678,a@b.nl\nhello,\n0612345679,not-an-email\n,x@y.nl\n0612345670,\n",
        );
        assert_eq!(r.contacts.len(), 2);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(r.errors[0].reason.contains("letters"));
        assert_eq!(r.errors[0].raw, "hello,");
        assert!(r.errors[1].reason.contains("email"));
        assert!(r.errors[2].reason.contains("no phone number"));
        assert_eq!(r.contacts[1].line(), Some(6));
    }

    #[test]
    fn bad_locale_is_a_row_error() {
        let r = csv("phone,locale\n0612345678,dutch\n");
        assert!(r.contacts.is_empty());
        assert!(r.errors[0].reason.contains("locale"));
    }

    #[test]
    fn duplicates_keep_the_first_and_list_every_line() {
        let r = csv(
            "phone,name\n06 1234 5678,A\n+31612345678,B\n0612345679,C\n0031612345678,D\n0612345679,E\n",
        );
        assert_eq!(r.contacts.len(), 2);
        assert_eq!(r.contacts[0].given_name(), Some("A"));
        assert_eq!(
            r.duplicates,
            vec![
                Duplicate {
                    e164: "+31612345678".into(),
                    lines: vec![2, 3, 5]
                },
                Duplicate {
                    e164: "+31612345679".into(),
                    lines: vec![4, 6]
                },
            ]
        );
    }

    #[test]
    fn quoted_multiline_fields_keep_correct_line_numbers() {
        let r = csv("phone,note\n0612345678,\"two\nlines\"\nbad,\n");
        assert_eq!(
            r.contacts[0].extra().get("note").map(String::as_str),
            Some("two\nlines")
        );
        assert_eq!(r.errors[0].line, 4);
    }

    #[test]
    fn blank_and_separator_only_rows_are_skipped() {
        let r = csv("phone;name\n0612345678;A\n;;\n\n");
        assert_eq!(r.contacts.len(), 1);
        assert!(r.errors.is_empty());
    }

    #[test]
    fn excel_sep_line_bom_and_crlf_are_handled() {
        let r = csv("\u{FEFF}sep=;\r\nphone;name\r\n0612345678;A\r\nx;B\r\n");
        assert_eq!(r.contacts.len(), 1);
        assert_eq!(r.contacts[0].line(), Some(3));
        assert_eq!(r.errors[0].line, 4);
        assert_eq!(r.errors[0].raw, "x;B");
    }

    #[test]
    fn tab_separated_input_is_detected() {
        let r = csv("phone\tname\n0612345678\tJan\n");
        assert_eq!(r.contacts[0].given_name(), Some("Jan"));
    }

    #[test]
    fn windows_1252_bytes_are_decoded() {
        let r = import_csv_bytes(b"phone;name\n0612345678;J\xF6rg \x93Jo\x94\n", Some("NL"));
        let r = r.unwrap_or_default();
        assert_eq!(r.contacts[0].given_name(), Some("Jörg"));
        assert_eq!(r.contacts[0].family_name(), Some("“Jo”"));
        assert_eq!(decode_text(b"\xEF\xBB\xBFabc"), "abc");
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(import_csv("", Some("NL")), Err(ImportError::Empty));
        let err = import_csv("name,email\nJan,j@x.nl\n", Some("NL")).unwrap_err();
        assert!(matches!(&err, ImportError::NoPhoneColumn { found } if found == "name, email"));
        assert!(err.to_string().contains("telephone"));
        let headerless = import_csv("0612345678,Jan\n0612345679,Piet\n", Some("NL"));
        assert!(matches!(headerless, Err(ImportError::MissingHeader { .. })));
        assert!(matches!(
            import_csv("phone\n", Some("XX")),
            Err(ImportError::Region(_))
        ));
        assert!(matches!(
            import_text("x", Some("XX")),
            Err(ImportError::Region(_))
        ));
    }

    #[test]
    fn pasted_list_from_the_brief() {
        let r = text("Jan Jansen 06-12345678, Piet 0031 6 12345678\nKlaas +31612345679");
        assert_eq!(r.contacts.len(), 2);
        assert_eq!(r.contacts[0].given_name(), Some("Jan"));
        assert_eq!(r.contacts[0].family_name(), Some("Jansen"));
        assert_eq!(r.contacts[0].raw_phone(), "06-12345678");
        assert_eq!(r.contacts[1].given_name(), Some("Klaas"));
        assert_eq!(r.contacts[1].line(), Some(2));
        assert_eq!(
            r.duplicates,
            vec![Duplicate {
                e164: "+31612345678".into(),
                lines: vec![1, 1]
            }]
        );
    }

    #[test]
    fn pasted_entry_with_spaced_number_name_after_and_email() {
        let r = text("06 12 34 56 78 Jan de Vries jan@example.nl; +32 470 12 34 56");
        let c = &r.contacts[0];
        assert_eq!(c.raw_phone(), "06 12 34 56 78");
        assert_eq!(c.given_name(), Some("Jan"));
        assert_eq!(c.family_name(), Some("de Vries"));
        assert_eq!(c.email(), Some("jan@example.nl"));
        assert_eq!(r.contacts[1].e164(), "+32470123456");
        assert_eq!(r.contacts[1].given_name(), None);
    }

    #[test]
    fn pasted_entry_with_email_between_name_words() {
        let r = text("Jan jan@example.nl  de Vries +31612345678");
        let c = &r.contacts[0];
        assert_eq!(c.given_name(), Some("Jan"));
        assert_eq!(c.family_name(), Some("de Vries"));
        assert_eq!(c.email(), Some("jan@example.nl"));
    }

    #[test]
    fn word_spans_keep_byte_offsets() {
        assert_eq!(word_spans(" ab  ç d "), vec![(1, 3), (5, 7), (8, 9)]);
        assert_eq!(word_spans(""), vec![]);
    }

    #[test]
    fn pasted_entries_with_problems_are_reported() {
        let r = text("Jan\nPiet 0612345678 Klaas 0612345679\nKees 06123 \nAnna 0612345670 anna@");
        let reasons: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4);
        assert!(reasons[0].1.contains("no phone number"));
        assert!(reasons[1].1.contains("more than one phone number"));
        assert!(reasons[2].1.contains("too short"));
        assert!(reasons[3].1.contains("email"));
        assert_eq!(
            reasons.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert_eq!(r.errors[2].raw, "Kees 06123");
    }

    #[test]
    fn email_checks() {
        for ok in ["a@b.nl", "first.last+tag@sub.example.com", "jörg@bücher.de"] {
            assert_eq!(validate_email(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "a", "a@", "@b.nl", "a@b", "a b@c.nl", "a@@b.nl", "a@b..nl", ".a@b.nl", "a@-b.nl",
            "a@b.n", "a<b@c.nl",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locale_normalization() {
        assert_eq!(normalize_locale("NL").as_deref(), Ok("nl"));
        assert_eq!(normalize_locale("en_gb").as_deref(), Ok("en-GB"));
        assert_eq!(normalize_locale("zh-Hant-TW").as_deref(), Ok("zh-Hant-TW"));
        for bad in ["", "dutch", "n", "nl-", "nl--NL", "1l"] {
            assert!(normalize_locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contact_variables() {
        let r = csv("phone,givenName,familyName,Zip Code,email\n0612345678,Jan,,1234,\n");
        let c = r.contacts[0].to_target();
        assert_eq!(c.variable("givenName", "Acme").as_deref(), Some("Jan"));
        assert_eq!(c.variable("familyName", "Acme"), None);
        assert_eq!(c.variable("name", "Acme").as_deref(), Some("Jan"));
        assert_eq!(
            c.variable("telephone", "Acme").as_deref(),
            Some("+31612345678")
        );
        assert_eq!(c.variable("organization", "Acme").as_deref(), Some("Acme"));
        assert_eq!(c.variable("organization", " "), None);
        assert_eq!(c.variable("Zip Code", "Acme").as_deref(), Some("1234"));
        assert_eq!(c.variable("email", "Acme"), None);
        assert_eq!(c.variable("unknown", "Acme"), None);
    }

    #[test]
    fn delimiter_sniffing_ignores_quoted_separators() {
        assert_eq!(sniff_delimiter("\"a,b\";c"), b';');
        assert_eq!(sniff_delimiter("a,b;c,d"), b',');
        assert_eq!(sniff_delimiter("phone"), b',');
    }

    /// Nanoseconds this thread has run on a CPU (Linux), so the measurement below is not
    /// distorted by other processes competing for the machine.
    fn thread_cpu_ns() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    #[test]
    #[ignore = "timing measurement, run with --release --ignored --nocapture"]
    fn measure_100k_rows() {
        let mut input = String::from("telephone,givenName,familyName,email,City\n");
        for i in 0..100_000u32 {
            let n = 10_000_000 + i;
            input.push_str(&format!("06-{n},Jan{i},Jansen,jan{i}@example.nl,Utrecht\n"));
        }
        let _ = phone::normalize("0612345678", Some("NL"));
        let cpu_before = thread_cpu_ns();
        let started = std::time::Instant::now();
        let r = csv(&input);
        let elapsed = started.elapsed();
        let cpu = thread_cpu_ns()
            .zip(cpu_before)
            .map(|(a, b)| (a - b) / 1_000_000);
        assert_eq!(r.contacts.len(), 100_000);
        println!("100k rows imported in {elapsed:?} wall, {cpu:?} ms on CPU");
    }

    proptest! {
        #[test]
        fn csv_import_never_panics(s in any::<String>()) {
            let _ = import_csv(&s, Some("NL"));
            let _ = import_csv(&format!("phone,name,email\n{s}"), Some("NL"));
            let _ = import_csv_bytes(s.as_bytes(), None);
        }

        #[test]
        fn text_import_never_panics(s in any::<String>()) {
            let _ = import_text(&s, Some("NL"));
            let _ = import_text(&s, None);
        }

        #[test]
        fn structured_rows_never_panic(rows in prop::collection::vec("[0-9a-z+ ;,\"@.()\n-]{0,30}", 0..8)) {
            let input = format!("phone;name;email\n{}", rows.join("\n"));
            if let Ok(r) = import_csv(&input, Some("NL")) {
                for c in &r.contacts {
                    prop_assert!(c.line().is_some_and(|l| l >= 2));
                }
                for e in &r.errors {
                    prop_assert!(e.line >= 2);
                }
            }
        }

        #[test]
        fn random_bytes_decode_and_import_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_text(&bytes);
            let _ = import_csv_bytes(&bytes, Some("BE"));
        }
    }
}
