//! Contacts from a CSV file or a pasted list, checked row by row before anything is sent.
//!
//! A batch is only as good as its worst row, and a support engineer fixing a list needs to know
//! which line is wrong and why, so a bad row never stops the import: it is reported with its
//! 1-based line and reason, and the good rows go on. Numbers are normalized first and then
//! de-duplicated on E.164, because `06 1234 5678` and `+31612345678` are one person
//! (docs/sms.md, "Phone numbers" and "CSV files").
//!
//! A file is refused as a whole only when no row of it can be trusted: no header or no phone
//! column, a quote that is never closed (every row after it would be swallowed), two columns
//! for one field that disagree (which one is right?), more rows than the cap, or something that
//! is not text. Files are read as a stream with a cap on rows and on the size of one record, so
//! refusing a million-row file costs no more memory than reading the cap's worth.
//!
//! Reasons and the rows they quote are made printable here (see [`crate::safe_text`]), since
//! every caller shows them on a terminal.

mod scan;

use crate::invite::contact::{Contact, Details};
use crate::invite::phone::{self, Region};
use crate::safe_text::printable;
use compact_str::CompactString;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use thiserror::Error;

/// The row cap of [`ImportOptions::new`], meant for `send`: the tool is for batches of tens to
/// hundreds, and a file a hundred times that size is more likely a wrong export than a batch.
pub const DEFAULT_MAX_ROWS: usize = 10_000;

/// The row cap of [`import_csv`], [`import_csv_bytes`] and [`import_text`]: the largest list
/// the TUI is built and measured for (README, Performance), so its imports keep working.
pub const LARGE_MAX_ROWS: usize = 100_000;

/// Set to a number of rows, this replaces every caller's cap, so an operator with a genuine
/// big batch is not stuck until a new release.
pub const MAX_ROWS_ENV: &str = "SMS_INVITE_MAX_ROWS";

/// The longest cell read into a contact, in characters. Names, numbers, locales and profile
/// fields are far shorter; a longer cell is a pasted paragraph or an attack, and kept whole it
/// would be sent to the platform and shown in every list. E-mail addresses have their own
/// limit of 254 (the longest the mail standards allow), checked by [`validate_email`].
pub const MAX_FIELD_CHARS: usize = 200;

/// The most bytes one contact may carry (its cells plus the names of its profile fields):
/// with the row cap this bounds the memory of an import, whatever the file's columns.
pub const MAX_CONTACT_BYTES: usize = 4096;

/// The largest record read at all (one line, or several when a quoted cell spans lines).
/// The CSV parser holds a whole record in memory, so without this a file with no line breaks
/// would be read into memory whole before anything could be said about it.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// How much of a row is quoted back in a [`RowError`]: enough to find it in the file.
const MAX_RAW_CHARS: usize = 200;

/// How an import reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions<'a> {
    /// The country of numbers written without one, unless the row has a country column.
    pub default_region: Option<&'a str>,
    /// More rows than this (blank ones not counted) refuse the input. [`MAX_ROWS_ENV`], when
    /// set, wins.
    pub max_rows: usize,
}

impl<'a> ImportOptions<'a> {
    /// Options with the [`DEFAULT_MAX_ROWS`] cap.
    pub fn new(default_region: Option<&'a str>) -> Self {
        ImportOptions {
            default_region,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }

    pub fn max_rows(self, max_rows: usize) -> Self {
        ImportOptions { max_rows, ..self }
    }
}

/// A row that could not be used, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line in the input.
    pub line: usize,
    /// The row as it can be shown: control characters escaped, long rows shortened.
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

/// A CSV import: the rows, and notes about the file as a whole that the user should see even
/// though nothing was refused (say, two columns read as one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvImport {
    pub report: ImportReport,
    pub notes: Vec<String>,
}

impl From<ImportReport> for CsvImport {
    fn from(report: ImportReport) -> CsvImport {
        CsvImport {
            report,
            notes: Vec::new(),
        }
    }
}

/// Problems that make the whole input unusable (as opposed to one bad row). Every message is
/// printable: text from the file in it has its control characters escaped.
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
    #[error(
        "the file has more than {} rows; sms-invite is for batches of hundreds; split the file, or raise the cap with {MAX_ROWS_ENV}=N",
        thousands(*max)
    )]
    TooManyRows { max: usize },
    #[error(
        "the list has more than {} contacts; sms-invite is for batches of hundreds; split the list, or raise the cap with {MAX_ROWS_ENV}=N",
        thousands(*max)
    )]
    TooManyEntries { max: usize },
    #[error(
        "the quote (\") that opens a cell on line {line} is never closed, so the rest of the file would be read as that one cell; close it, or write a quote inside a cell as two (\"\")"
    )]
    UnterminatedQuote { line: usize },
    #[error(
        "the row on line {line} is longer than {} bytes, which is no contact; check that this is the CSV export of a contact list, one contact per line",
        thousands(MAX_RECORD_BYTES)
    )]
    RecordTooLong { line: usize },
    #[error(
        "columns {columns} both give the {field}, and on line {line} they differ ({values}); delete or rename one of them, so it is clear which one to use"
    )]
    ConflictingColumns {
        field: String,
        columns: String,
        line: usize,
        values: String,
    },
    #[error(
        "the file contains NUL bytes: it is UTF-16 without a byte-order mark, or not text at all; save it as \"CSV UTF-8\" and import that"
    )]
    NotText,
    #[error(
        "{MAX_ROWS_ENV}={value:?} is not a number of rows; set it to a number such as 20000, or unset it"
    )]
    BadCap { value: String },
    #[error("cannot read the file: {message}")]
    Read { message: String },
    #[error(transparent)]
    Region(#[from] phone::PhoneError),
}

impl ImportError {
    /// What to do, for a caller that prints a hint apart from the message (the messages say it
    /// too, so a caller may also print the message alone).
    pub fn hint(&self) -> &'static str {
        match self {
            ImportError::Empty
            | ImportError::NoPhoneColumn { .. }
            | ImportError::MissingHeader { .. } => {
                "the first line must name the columns, e.g. telephone,givenName,familyName"
            }
            ImportError::TooManyRows { .. } | ImportError::TooManyEntries { .. } => {
                "send a few hundred at a time, or set SMS_INVITE_MAX_ROWS"
            }
            ImportError::UnterminatedQuote { .. } | ImportError::RecordTooLong { .. } => {
                "open the file in a text editor at that line"
            }
            ImportError::ConflictingColumns { .. } => "keep one column per field",
            ImportError::NotText => "in the spreadsheet program, save as \"CSV UTF-8\"",
            ImportError::BadCap { .. } => "SMS_INVITE_MAX_ROWS takes a number of rows",
            ImportError::Read { .. } => "check the path and that the file can be read",
            ImportError::Region(_) => "use a two-letter country code such as NL or BE",
        }
    }
}

/// `10000` as `10,000`, as the messages show counts.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The cap in force: the environment's, when set, else the caller's.
fn row_cap(configured: usize) -> Result<usize, ImportError> {
    match std::env::var(MAX_ROWS_ENV) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| ImportError::BadCap {
            value: shown(&v, 40),
        }),
        _ => Ok(configured),
    }
}

/// Text from the input as a message may quote it: escaped, and cut at `max` characters.
fn shown(s: &str, max: usize) -> String {
    let p = printable(s);
    match p.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &p[..cut]),
        None => p.into_owned(),
    }
}

/// Reads a file's bytes as text: UTF-8 (a byte-order mark is dropped) or, failing that,
/// Windows-1252, which is what spreadsheet programs write on Western European machines; without
/// this, "Jörg" from an Excel export would make the whole file unreadable.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
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
    check_sizes(&row)?;
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

/// Fails a row with a cell longer than [`MAX_FIELD_CHARS`] (254 for the e-mail address) or
/// more contact data than [`MAX_CONTACT_BYTES`], before anything quotes the cell in a message.
fn check_sizes(row: &RowFields<'_>) -> Result<(), String> {
    let named = [
        ("phone number", row.phone, MAX_FIELD_CHARS),
        ("given name", row.given_name, MAX_FIELD_CHARS),
        ("family name", row.family_name, MAX_FIELD_CHARS),
        ("name", &*row.full_name, MAX_FIELD_CHARS),
        ("e-mail address", row.email, 254),
        ("locale", row.locale, MAX_FIELD_CHARS),
        ("country", row.country, MAX_FIELD_CHARS),
    ];
    let mut bytes = 0;
    for (what, value, max) in named {
        check_size(what, value, max)?;
        bytes += value.trim().len();
    }
    for (name, value) in &row.extra {
        check_size(
            &format!("\"{}\" cell", shown(name, 40)),
            value,
            MAX_FIELD_CHARS,
        )?;
        bytes += name.len() + value.len();
    }
    if bytes > MAX_CONTACT_BYTES {
        return Err(format!(
            "this row holds {} bytes of contact data, more than the {} one contact may carry; leave out the columns you do not need",
            thousands(bytes),
            thousands(MAX_CONTACT_BYTES)
        ));
    }
    Ok(())
}

fn check_size(what: &str, value: &str, max: usize) -> Result<(), String> {
    let chars = value.trim().chars().count();
    if chars > max {
        return Err(format!(
            "the {what} is {} characters long; at most {max} are read, so shorten it",
            thousands(chars)
        ));
    }
    Ok(())
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
            Err(reason) => self.push_error(line, raw, &reason),
        }
    }

    /// Reason and row are stored as they can be shown, so no caller prints a control
    /// sequence from the file, and a huge row costs no more than its first characters.
    fn push_error(&mut self, line: usize, raw: &str, reason: &str) {
        self.report.errors.push(RowError {
            line,
            raw: shown(raw, MAX_RAW_CHARS),
            reason: printable(reason).into_owned(),
        });
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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

impl Role {
    /// The field as messages name it.
    fn label(self) -> &'static str {
        match self {
            Role::Mobile => "mobile number",
            Role::Phone => "phone number",
            Role::GivenName => "given name",
            Role::FamilyName => "family name",
            Role::FullName => "name",
            Role::Email => "e-mail address",
            Role::Locale => "locale",
            Role::Country => "country",
        }
    }
}

/// Header names are matched ignoring case, spaces and punctuation, with the common English
/// and Dutch spellings, because exports from CRMs and spreadsheets never agree on them.
fn role_of(header: &str) -> Option<Role> {
    let role = match header_key(header).as_str() {
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

/// A header name without case, spaces and punctuation: "Zip Code" and "zip_code" are one
/// column to a person, so they are one field here.
fn header_key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The columns that give one field, in header order.
///
/// Two columns for one field (two `telephone` columns, or `phone` and `telephone`) are read as
/// one: each row takes the first that is filled in. That is safe only while they never give
/// different values on one row, so a row where they do refuses the whole file, naming both
/// columns (which one is right cannot be guessed, and every row is suspect); when they agree
/// throughout, the import goes on with a note. A mobile column and a phone column are two
/// fields, not one: the mobile wins and the phone is the fallback.
#[derive(Debug, Default)]
struct Field {
    columns: Vec<usize>,
}

/// Two cells of one field that differ on a row.
struct Conflict {
    field: String,
    first: usize,
    second: usize,
    values: (String, String),
}

impl Field {
    /// The first filled-in cell of this field, or the two columns that disagree.
    fn value<'r>(
        &self,
        field: &dyn Fn() -> String,
        record: &'r csv::StringRecord,
        same: &dyn Fn(&str, &str) -> bool,
    ) -> Result<&'r str, Conflict> {
        let mut cells = self
            .columns
            .iter()
            .filter_map(|&i| Some((i, record.get(i)?)))
            .filter(|(_, v)| !v.trim().is_empty());
        let Some((first, value)) = cells.next() else {
            return Ok("");
        };
        for (i, other) in cells {
            if !same(value.trim(), other.trim()) {
                return Err(Conflict {
                    field: field(),
                    first,
                    second: i,
                    values: (value.to_owned(), other.to_owned()),
                });
            }
        }
        Ok(value)
    }
}

/// What each column of a CSV header is for.
#[derive(Debug, Default)]
struct Columns {
    mobile: Field,
    phone: Field,
    given_name: Field,
    family_name: Field,
    full_name: Field,
    email: Field,
    locale: Field,
    country: Field,
    /// The other columns, by name as written first; each becomes a profile field.
    extra: Vec<(String, Field)>,
    /// The header cells, to name columns in messages.
    names: Vec<String>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Self {
        let mut cols = Columns {
            names: header.iter().map(str::to_owned).collect(),
            ..Columns::default()
        };
        let mut extra_keys: HashMap<String, usize> = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            if let Some(role) = role_of(name) {
                cols.field_mut(role).columns.push(i);
                continue;
            }
            let key = match header_key(name) {
                k if k.is_empty() => format!("column {}", i + 1),
                k => k,
            };
            match extra_keys.get(&key).and_then(|&at| cols.extra.get_mut(at)) {
                Some((_, field)) => field.columns.push(i),
                None => {
                    extra_keys.insert(key, cols.extra.len());
                    let shown = match name.trim() {
                        "" => format!("column {}", i + 1),
                        n => n.to_owned(),
                    };
                    cols.extra.push((shown, Field { columns: vec![i] }));
                }
            }
        }
        cols
    }

    fn field_mut(&mut self, role: Role) -> &mut Field {
        match role {
            Role::Mobile => &mut self.mobile,
            Role::Phone => &mut self.phone,
            Role::GivenName => &mut self.given_name,
            Role::FamilyName => &mut self.family_name,
            Role::FullName => &mut self.full_name,
            Role::Email => &mut self.email,
            Role::Locale => &mut self.locale,
            Role::Country => &mut self.country,
        }
    }

    fn roles(&self) -> [(Role, &Field); 8] {
        [
            (Role::Mobile, &self.mobile),
            (Role::Phone, &self.phone),
            (Role::GivenName, &self.given_name),
            (Role::FamilyName, &self.family_name),
            (Role::FullName, &self.full_name),
            (Role::Email, &self.email),
            (Role::Locale, &self.locale),
            (Role::Country, &self.country),
        ]
    }

    fn has_phone(&self) -> bool {
        !self.mobile.columns.is_empty() || !self.phone.columns.is_empty()
    }

    fn fields<'r>(
        &self,
        record: &'r csv::StringRecord,
        region: Option<Region>,
    ) -> Result<RowFields<'r>, Conflict> {
        let same_text = |a: &str, b: &str| a == b;
        let same_phone = |a: &str, b: &str| a == b || same_number(a, b, region);
        let same_email = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let get = |role: Role, field: &Field| {
            let same: &dyn Fn(&str, &str) -> bool = match role {
                Role::Mobile | Role::Phone => &same_phone,
                Role::Email => &same_email,
                _ => &same_text,
            };
            field.value(&|| role.label().to_owned(), record, same)
        };
        let mobile = get(Role::Mobile, &self.mobile)?;
        let phone = get(Role::Phone, &self.phone)?;
        // Inserted one by one: collecting builds a sorted vector first, which for the one or
        // two extra columns of a typical row cost more than the rest of the row.
        let mut extra = BTreeMap::new();
        for (name, field) in &self.extra {
            let value = field.value(
                &|| format!("\"{}\" field", shown(name, 40)),
                record,
                &same_text,
            )?;
            if let Some(value) = non_empty(value) {
                extra.insert(name.clone(), value.to_owned());
            }
        }
        Ok(RowFields {
            phone: if mobile.trim().is_empty() {
                phone
            } else {
                mobile
            },
            given_name: get(Role::GivenName, &self.given_name)?,
            family_name: get(Role::FamilyName, &self.family_name)?,
            full_name: Cow::Borrowed(get(Role::FullName, &self.full_name)?),
            email: get(Role::Email, &self.email)?,
            locale: get(Role::Locale, &self.locale)?,
            country: get(Role::Country, &self.country)?,
            extra,
        })
    }

    /// `"phone" (column 2) and "telephone" (column 5)`.
    fn describe(&self, columns: &[usize]) -> String {
        let one = |&i: &usize| {
            let name = self.names.get(i).map_or("", String::as_str);
            format!("\"{}\" (column {})", shown(name.trim(), 40), i + 1)
        };
        match columns {
            [] => String::new(),
            [only] => one(only),
            [init @ .., last] => format!(
                "{} and {}",
                init.iter().map(one).collect::<Vec<_>>().join(", "),
                one(last)
            ),
        }
    }

    /// A note for every field read from several columns that never disagreed.
    fn notes(&self) -> Vec<String> {
        let roles = self
            .roles()
            .into_iter()
            .map(|(r, f)| (r.label().to_owned(), f));
        let extra = self
            .extra
            .iter()
            .map(|(name, f)| (format!("\"{}\" field", shown(name, 40)), f));
        roles
            .chain(extra)
            .filter(|(_, f)| f.columns.len() > 1)
            .map(|(what, f)| {
                let all = if f.columns.len() == 2 { "both" } else { "all" };
                format!(
                    "columns {} {all} give the {what}; they agree on every row, so each row uses the first one filled in",
                    self.describe(&f.columns)
                )
            })
            .collect()
    }

    fn refuse(&self, c: Conflict, line: usize) -> ImportError {
        ImportError::ConflictingColumns {
            field: c.field,
            columns: self.describe(&[c.first, c.second]),
            line,
            values: format!(
                "\"{}\" and \"{}\"",
                shown(&c.values.0, 40),
                shown(&c.values.1, 40)
            ),
        }
    }
}

/// Two spellings of one number, such as `06 12345678` and `+31612345678`.
fn same_number(a: &str, b: &str, region: Option<Region>) -> bool {
    match (
        phone::normalize_in(a, region),
        phone::normalize_in(b, region),
    ) {
        (Ok(x), Ok(y)) => x.e164 == y.e164,
        _ => false,
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
fn excel_separator_line(first: &[u8]) -> Option<u8> {
    let line = first.strip_suffix(b"\n").unwrap_or(first);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.strip_prefix(b"sep=")? {
        [d] => Some(*d),
        _ => None,
    }
}

/// Imports contacts from CSV text with a header line, capped at [`LARGE_MAX_ROWS`] rows.
/// National numbers are read as belonging to `default_region` unless the row has its own
/// country column.
///
/// Rows whose cells are all empty (trailing `;;;` lines from spreadsheets) are skipped without
/// an error; any other unusable row becomes a [`RowError`]. Notes about the file (see
/// [`CsvImport`]) are logged; [`read_csv`] returns them.
pub fn import_csv(input: &str, default_region: Option<&str>) -> Result<ImportReport, ImportError> {
    import_csv_bytes(input.as_bytes(), default_region)
}

/// Imports contacts from bytes of unknown encoding, as [`read_csv`] does, capped at
/// [`LARGE_MAX_ROWS`] rows.
pub fn import_csv_bytes(
    bytes: &[u8],
    default_region: Option<&str>,
) -> Result<ImportReport, ImportError> {
    let options = ImportOptions::new(default_region).max_rows(LARGE_MAX_ROWS);
    let max_rows = row_cap(options.max_rows)?;
    let expected = memchr::memchr_iter(b'\n', bytes).count().min(max_rows);
    let import = read_csv_sized(bytes, &options, expected)?;
    for note in &import.notes {
        tracing::info!("import: {note}");
    }
    Ok(import.report)
}

/// Imports contacts from a CSV file, read as a stream: see [`read_csv`].
pub fn import_csv_file(path: &Path, options: &ImportOptions<'_>) -> Result<CsvImport, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::Read {
        message: format!("{}: {e}", printable(&path.display().to_string())),
    })?;
    read_csv(file, options)
}

/// Imports contacts from CSV read as a stream, in memory bounded by the row cap.
///
/// The bytes may be UTF-8, UTF-16 with a byte-order mark, or Windows-1252, which spreadsheet
/// programs write on Western European machines (without it "Jörg" from an Excel export would be
/// unreadable). Encodings are told apart per cell: a cell that is valid UTF-8 is read as UTF-8,
/// any other as Windows-1252. A stream cannot be looked at whole first, and Western text written
/// as Windows-1252 is practically never valid UTF-8 where it is not ASCII.
pub fn read_csv(input: impl Read, options: &ImportOptions<'_>) -> Result<CsvImport, ImportError> {
    read_csv_sized(input, options, 0)
}

fn read_csv_sized(
    input: impl Read,
    options: &ImportOptions<'_>,
    expected_rows: usize,
) -> Result<CsvImport, ImportError> {
    let region = Region::parse_optional(options.default_region)?;
    let max_rows = row_cap(options.max_rows)?;
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .utf8_passthru(true)
        .strip_bom(true)
        .build(input);
    let mut source = BufReader::new(decoded);
    let start = Start::read(&mut source)?;
    let scan = scan::Scan::new(
        io::Cursor::new(start.header).chain(source),
        start.delimiter,
        MAX_RECORD_BYTES,
    );
    let mut rows = Rows {
        reader: csv::ReaderBuilder::new()
            .delimiter(start.delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(scan),
        bytes: csv::ByteRecord::new(),
        text: csv::StringRecord::new(),
        delimiter: start.delimiter,
        line_offset: start.line_offset,
    };
    let columns = match rows.next()? {
        Some(_) => columns_of(&rows.text),
        None => Err(ImportError::Empty),
    };
    let columns = columns.map_err(|e| rows.unclosed_quote().unwrap_or(e))?;
    let mut out = Collector::with_capacity(expected_rows);
    let mut count = 0usize;
    while let Some(line) = rows.next()? {
        if rows.text.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > max_rows {
            return Err(ImportError::TooManyRows { max: max_rows });
        }
        let fields = columns
            .fields(&rows.text, region)
            .map_err(|c| columns.refuse(c, line))?;
        match build_contact(fields, region, line) {
            Ok(contact) => out.push_contact(contact, line),
            Err(reason) => out.push_error(line, &rows.raw(), &reason),
        }
    }
    if let Some(e) = rows.unclosed_quote() {
        return Err(e);
    }
    Ok(CsvImport {
        report: out.report,
        notes: columns.notes(),
    })
}

/// What the first line says before the parser starts: the delimiter, and whether it was an
/// Excel `sep=` line (skipped) or the header (handed on to the parser).
struct Start {
    delimiter: u8,
    header: Vec<u8>,
    line_offset: usize,
}

impl Start {
    fn read(source: &mut impl BufRead) -> Result<Start, ImportError> {
        let mut first = Vec::new();
        let limit = u64::try_from(MAX_RECORD_BYTES).unwrap_or(u64::MAX);
        source
            .take(limit + 1)
            .read_until(b'\n', &mut first)
            .map_err(|e| ImportError::Read {
                message: e.to_string(),
            })?;
        if first.len() > MAX_RECORD_BYTES {
            return Err(ImportError::RecordTooLong { line: 1 });
        }
        if first.contains(&0) {
            return Err(ImportError::NotText);
        }
        if let Some(delimiter) = excel_separator_line(&first) {
            return Ok(Start {
                delimiter,
                header: Vec::new(),
                line_offset: 1,
            });
        }
        Ok(Start {
            delimiter: sniff_delimiter(&String::from_utf8_lossy(&first)),
            header: first,
            line_offset: 0,
        })
    }
}

/// The parser, with the current record as bytes and as text.
struct Rows<R: Read> {
    reader: csv::Reader<scan::Scan<R>>,
    bytes: csv::ByteRecord,
    text: csv::StringRecord,
    delimiter: u8,
    line_offset: usize,
}

impl<R: Read> Rows<R> {
    /// Reads the next record into `text` and returns the line it starts on.
    fn next(&mut self) -> Result<Option<usize>, ImportError> {
        match self.reader.read_byte_record(&mut self.bytes) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(self.failure(&e)),
        }
        // The record's last line, less the line breaks inside quoted cells.
        let end = self.reader.position().byte();
        let inside: usize = self
            .bytes
            .iter()
            .map(|f| memchr::memchr_iter(b'\n', f).count())
            .sum();
        let last = self.reader.get_mut().line_of(end.saturating_sub(1));
        self.text.clear();
        for cell in &self.bytes {
            self.text.push_field(&decode_cell(cell));
        }
        Ok(Some(last.saturating_sub(inside) + self.line_offset))
    }

    fn failure(&self, e: &csv::Error) -> ImportError {
        match self.reader.get_ref().stop() {
            Some(scan::Stop::RecordTooLong { line }) => ImportError::RecordTooLong {
                line: line + self.line_offset,
            },
            Some(scan::Stop::QuoteNotClosed { line }) => ImportError::UnterminatedQuote {
                line: line + self.line_offset,
            },
            None => ImportError::Read {
                message: e.to_string(),
            },
        }
    }

    fn unclosed_quote(&self) -> Option<ImportError> {
        let line = self.reader.get_ref().unclosed_quote()?;
        Some(ImportError::UnterminatedQuote {
            line: line + self.line_offset,
        })
    }

    /// The current record written back as a CSV line, to show with its reason.
    fn raw(&self) -> String {
        let delimiter = char::from(self.delimiter);
        let cells: Vec<Cow<'_, str>> = self
            .text
            .iter()
            .map(|c| {
                if c.contains([delimiter, '"', '\n', '\r']) {
                    Cow::Owned(format!("\"{}\"", c.replace('"', "\"\"")))
                } else {
                    Cow::Borrowed(c)
                }
            })
            .collect();
        cells.join(&delimiter.to_string())
    }
}

fn decode_cell(cell: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(cell)
                .0
        }
    }
}

/// Reads the header line, refusing files without one or without a phone column, since every
/// row would then fail for the same reason.
fn columns_of(header: &csv::StringRecord) -> Result<Columns, ImportError> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let columns = Columns::from_header(header);
    if columns.has_phone() {
        return Ok(columns);
    }
    let cells = shown(&header.iter().collect::<Vec<_>>().join(", "), MAX_RAW_CHARS);
    if header.iter().any(is_number_word) {
        Err(ImportError::MissingHeader { first_line: cells })
    } else {
        Err(ImportError::NoPhoneColumn { found: cells })
    }
}

/// Imports a pasted list such as `Jan Jansen 06-12345678, Piet 0031 6 12345678` with one
/// contact per line, comma or semicolon, capped at [`LARGE_MAX_ROWS`] entries. In each entry the
/// run of number-like words is the phone number (so spaces inside a number are fine), a word
/// with `@` is the e-mail address, and the other words are the name.
pub fn import_text(input: &str, default_region: Option<&str>) -> Result<ImportReport, ImportError> {
    import_text_with(
        input,
        &ImportOptions::new(default_region).max_rows(LARGE_MAX_ROWS),
    )
}

/// [`import_text`] with a chosen cap.
pub fn import_text_with(
    input: &str,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let default_region = Region::parse_optional(options.default_region)?;
    let max = row_cap(options.max_rows)?;
    let mut out = Collector::default();
    let mut count = 0usize;
    for (index, line) in input.lines().enumerate() {
        for entry in line
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            count += 1;
            if count > max {
                return Err(ImportError::TooManyEntries { max });
            }
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

    fn read(input: &[u8], max_rows: usize) -> Result<CsvImport, ImportError> {
        read_csv(input, &ImportOptions::new(Some("NL")).max_rows(max_rows))
    }

    fn no_controls(message: &str) {
        assert!(
            !message.chars().any(crate::safe_text::needs_escape),
            "{message:?}"
        );
    }

    #[test]
    fn duplicate_columns_that_agree_are_read_as_one_with_a_note() {
        let r = read(
            b"phone,name,telephone,City,city\n0612345678,Jan,+31612345678,Delft,\n,Piet,0612345679,,Delft\n",
            10,
        )
        .unwrap();
        assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
        let numbers: Vec<&str> = r.report.contacts.iter().map(|c| c.e164()).collect();
        assert_eq!(numbers, ["+31612345678", "+31612345679"]);
        let city = |i: usize| r.report.contacts[i].extra().get("City").cloned();
        assert_eq!(
            (city(0), city(1)),
            (Some("Delft".into()), Some("Delft".into()))
        );
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
        assert!(r.notes[0].contains("\"phone\" (column 1) and \"telephone\" (column 3)"));
        assert!(r.notes[0].contains("phone number"));
        assert!(r.notes[1].contains("\"City\" (column 4) and \"city\" (column 5)"));
    }

    #[test]
    fn duplicate_columns_that_disagree_refuse_the_file_naming_them() {
        let err = read(
            b"telephone,name,telephone\n0612345678,Jan,0612345678\n0612345670,Piet,0612345679\n",
            10,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ImportError::ConflictingColumns {
                field: "phone number".into(),
                columns: "\"telephone\" (column 1) and \"telephone\" (column 3)".into(),
                line: 3,
                values: "\"0612345670\" and \"0612345679\"".into(),
            }
        );
        assert!(err.to_string().contains("delete or rename one of them"));
        let err = read(b"phone,first name,voornaam\n0612345678,Jan,Piet\n", 10).unwrap_err();
        assert!(
            matches!(&err, ImportError::ConflictingColumns { field, .. } if field == "given name")
        );
        // A mobile and a phone column are two fields: the mobile wins, no conflict.
        assert!(read(b"phone,mobile\n0201234567,0612345678\n", 10).is_ok());
    }

    #[test]
    fn an_unterminated_quote_is_refused_with_its_line() {
        let input = b"phone,name\n0612345678,Jan\n0612345679,\"Piet\n0612345670,Klaas\n";
        assert_eq!(
            read(input, 10),
            Err(ImportError::UnterminatedQuote { line: 3 })
        );
        assert_eq!(
            import_csv("sep=,\nphone,name\n0612345678,\"Jan", Some("NL")),
            Err(ImportError::UnterminatedQuote { line: 3 })
        );
        assert_eq!(
            import_csv("\"phone,name\n0612345678,Jan\n", Some("NL")),
            Err(ImportError::UnterminatedQuote { line: 1 })
        );
        let closed = read(b"phone,name\n0612345678,\"Jan \"\"J\"\" \nJansen\"\n", 10).unwrap();
        assert_eq!(closed.report.contacts[0].given_name(), Some("Jan"));
    }

    #[test]
    fn utf16_with_a_bom_is_decoded_and_without_one_refused_cleanly() {
        let text = "phone;name\n0612345678;Jörg\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        for bytes in [&le, &be] {
            let r = import_csv_bytes(bytes, Some("NL")).unwrap();
            assert_eq!(r.contacts[0].given_name(), Some("Jörg"));
            assert_eq!(r.contacts[0].line(), Some(2));
        }
        let err = import_csv_bytes(&le[2..], Some("NL")).unwrap_err();
        assert_eq!(err, ImportError::NotText);
        no_controls(&err.to_string());
    }

    #[test]
    fn messages_and_rows_never_carry_control_characters() {
        let err = import_csv("na\x01me,e\x1b]0;x\x07mail\nJan,j@x.nl\n", Some("NL")).unwrap_err();
        no_controls(&err.to_string());
        assert!(err.to_string().contains("e\\x1b]0;x\\x07mail"), "{err}");
        let r = csv("phone,name\n06\x1b[2J,Jan\u{202e}\n");
        no_controls(&r.errors[0].reason);
        no_controls(&r.errors[0].raw);
        let r = text("Jan\x1b[31m 06123\u{9b}");
        no_controls(&r.errors[0].reason);
        no_controls(&r.errors[0].raw);
    }

    #[test]
    fn an_overlong_cell_fails_its_row_and_the_rest_go_on() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let input = format!(
            "phone,givenName,Notes\n0612345678,{long},\n0612345679,Piet,{long}\n0612345670,Klaas,ok\n"
        );
        let r = csv(&input);
        assert_eq!(r.contacts.len(), 1);
        assert_eq!(r.contacts[0].given_name(), Some("Klaas"));
        assert!(
            r.errors[0].reason.contains("given name is 201 characters"),
            "{:?}",
            r.errors
        );
        assert!(
            r.errors[1].reason.contains("\"Notes\" cell is 201"),
            "{:?}",
            r.errors
        );
        assert!(r.errors[0].raw.chars().count() <= MAX_RAW_CHARS + 1);
        let wide: String = (0..30).map(|i| format!(",Field{i}")).collect();
        let values: String = (0..30).map(|_| format!(",{}", "v".repeat(150))).collect();
        let r = csv(&format!("phone{wide}\n0612345678{values}\n"));
        assert!(
            r.errors[0].reason.contains("bytes of contact data"),
            "{:?}",
            r.errors
        );
    }

    #[test]
    fn past_the_row_cap_the_file_is_refused() {
        let rows = "phone,name\n0612345671\n\n,,\n0612345672\n0612345673\n";
        let r = read(rows.as_bytes(), 3).unwrap();
        assert_eq!(r.report.contacts.len(), 3, "blank rows do not count");
        let err = read(format!("{rows}0612345674\n").as_bytes(), 3).unwrap_err();
        assert_eq!(err, ImportError::TooManyRows { max: 3 });
        let err = ImportError::TooManyRows { max: 10_000 }.to_string();
        assert!(
            err.starts_with("the file has more than 10,000 rows"),
            "{err}"
        );
        assert!(err.contains(MAX_ROWS_ENV), "{err}");
        let pasted = import_text_with(
            "0612345671, 0612345672",
            &ImportOptions::new(Some("NL")).max_rows(1),
        );
        assert_eq!(pasted, Err(ImportError::TooManyEntries { max: 1 }));
    }

    #[test]
    fn a_record_without_an_end_is_refused_before_it_fills_memory() {
        let mut input = b"phone\n".to_vec();
        input.extend(std::iter::repeat_n(b'1', MAX_RECORD_BYTES + 10));
        assert_eq!(
            read(&input, 10),
            Err(ImportError::RecordTooLong { line: 2 })
        );
        let header = vec![b'a'; MAX_RECORD_BYTES + 10];
        assert_eq!(
            read(&header, 10),
            Err(ImportError::RecordTooLong { line: 1 })
        );
        let mut quoted = b"phone,note\n0612345678,\"".to_vec();
        quoted.extend(b"line\n".repeat(MAX_RECORD_BYTES / 5 + 1));
        assert_eq!(
            read(&quoted, 10),
            Err(ImportError::UnterminatedQuote { line: 2 })
        );
    }

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_048_576), "1,048,576");
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
