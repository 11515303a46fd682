//! A run's results as CSV, for a spreadsheet or a ticket.
//!
//! The cells hold names from a contact list and reasons that quote them, and a spreadsheet
//! program runs a cell that starts with `=`, `+`, `-` or `@` as a formula: a contact named
//! `=HYPERLINK("http://…","click")` would become a live link in the support engineer's sheet,
//! and older programs run commands the same way. Following OWASP's advice on CSV injection, such
//! a cell is written with a leading `'`, which spreadsheets read as "this is text" and do not
//! show, and every cell is quoted so no value can spill into the next one. Phone numbers in
//! E.164 (`+` and digits) are left as they are: they are what the sheet is for, and a `+`
//! followed by digits is a number, not a formula.
//!
//! The file is created readable by its owner only, like every file with customer data.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::invite::events::ContactUpdate;
use crate::invite::follow::Outcome;

/// The header of a results file, in column order. `followed` and `follow_detail` say what
/// following the invitation saw (back, problem or waiting, and in words); empty when it was
/// not followed.
pub const RESULT_COLUMNS: [&str; 13] = [
    "run",
    "index",
    "telephone",
    "name",
    "status",
    "reason",
    "new_contact",
    "contact_id",
    "conversation",
    "invite_id",
    "reconciled",
    "followed",
    "follow_detail",
];

/// Writes one row per contact to `path` (created, or emptied, with mode 0600) and returns the
/// path written. The error says which file could not be written and why.
pub fn write_results_csv<'a>(
    path: &Path,
    rows: impl IntoIterator<Item = (&'a ContactUpdate, &'a Option<Outcome>)>,
    run_id: &str,
) -> Result<PathBuf, String> {
    let failed = |e: &dyn std::fmt::Display| {
        format!(
            "cannot write {}: {e}; check that the folder exists and that you may write there",
            path.display()
        )
    };
    let file = crate::paths::create_private_file(path).map_err(|e| failed(&e))?;
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(std::io::BufWriter::new(file));
    w.write_record(RESULT_COLUMNS).map_err(|e| failed(&e))?;
    for (u, follow) in rows {
        let row = result_row(u, follow.as_ref(), run_id);
        w.write_record(row.iter().map(|c| spreadsheet_safe(c).into_owned()))
            .map_err(|e| failed(&e))?;
    }
    let mut inner = w.into_inner().map_err(|e| failed(e.error()))?;
    inner.flush().map_err(|e| failed(&e))?;
    Ok(path.to_path_buf())
}

fn result_row(u: &ContactUpdate, follow: Option<&Outcome>, run_id: &str) -> [String; 13] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        run_id.to_string(),
        u.index.to_string(),
        u.e164.clone(),
        text(&u.name),
        u.state().label().to_string(),
        text(&u.reason),
        u.new_contact.map(|b| b.to_string()).unwrap_or_default(),
        text(&u.contact_id),
        text(&u.conversation),
        text(&u.invite_id),
        u.reconciled.to_string(),
        follow.map(|o| o.word().to_string()).unwrap_or_default(),
        follow.map(Outcome::label).unwrap_or_default(),
    ]
}

/// The cell as it must be written so that a spreadsheet shows it as text: unchanged, or with a
/// `'` in front when the program would read it as a formula.
///
/// Leading spaces and control characters are looked past, since some programs drop them before
/// deciding; the full-width forms of the four signs are treated like the signs, since some
/// programs fold them. A tab or carriage return at the start is itself a trigger (OWASP).
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if is_e164(cell) || !starts_formula(cell) {
        Cow::Borrowed(cell)
    } else {
        Cow::Owned(format!("'{cell}"))
    }
}

/// Whether a spreadsheet could take `cell` for a formula.
pub fn starts_formula(cell: &str) -> bool {
    if cell.starts_with(['\t', '\r']) {
        return true;
    }
    cell.trim_start_matches(|c: char| c.is_whitespace() || c.is_control())
        .starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠'])
}

/// `+` and 1 to 15 digits: a phone number as the platform stores it.
fn is_e164(cell: &str) -> bool {
    cell.strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_a_quote_and_other_cells_stay() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("  =1", "'  =1"),
            ("＝1", "'＝1"),
            ("+31612345678", "+31612345678"),
            ("+3161234567x", "'+3161234567x"),
            ("+", "'+"),
            ("Jan Jansen", "Jan Jansen"),
            ("jan@example.nl", "jan@example.nl"),
            ("", ""),
            ("'=already text", "'=already text"),
        ] {
            assert_eq!(spreadsheet_safe(cell), written, "{cell:?}");
        }
    }
}
