//! A run's results as a Markdown block to paste into a support ticket: what was sent to whom
//! in the whole batch, and every failure's reason. It is built from the run's summary and
//! rows alone, so any front end that holds a run can offer it.

use crate::invite::events::{ContactUpdate, Summary};
use crate::invite::follow::Outcome;

/// The ticket block for a run of the organization labelled `org`. `summary` gives the run's
/// id and its headline; one table row per contact follows, in the order given. When the
/// invitations were followed, `afterwards` is the line that says how many came back, and the
/// table gets a column with what following saw of each.
pub fn summary_markdown<'a>(
    org: &str,
    summary: &Summary,
    rows: impl IntoIterator<Item = (&'a ContactUpdate, Option<Outcome>)>,
    afterwards: Option<&str>,
) -> String {
    let mut out = format!("**SMS invitations** — {org} (run {})\n\n", summary.run_id);
    out.push_str(&summary.headline());
    match afterwards {
        Some(line) => {
            out.push_str(&format!("\n**Afterwards**: {}", cell(line)));
            out.push_str(
                "\n\n| number | name | result | detail | afterwards |\n|---|---|---|---|---|\n",
            );
        }
        None => out.push_str("\n\n| number | name | result | detail |\n|---|---|---|---|\n"),
    }
    for (u, outcome) in rows {
        let detail = u
            .reason
            .clone()
            .or_else(|| u.conversation.as_ref().map(|c| format!("conversation {c}")))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} |",
            u.e164,
            cell(u.name.as_deref().unwrap_or_default()),
            u.state().label(),
            cell(&detail)
        ));
        if afterwards.is_some() {
            let seen = outcome.map(|o| o.label()).unwrap_or_default();
            out.push_str(&format!(" {} |", cell(&seen)));
        }
        out.push('\n');
    }
    out
}

/// A table cell's text: a `|` or a line break from a name, a reason or a platform message
/// would end the cell or the row early.
fn cell(text: &str) -> String {
    text.replace('|', "/").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::events::State;

    #[test]
    fn one_row_per_contact_and_pipes_stay_inside_their_cell() {
        let summary = Summary::of_states("run-1", [State::Sent, State::Failed]);
        let rows = [
            ContactUpdate {
                index: 0,
                e164: "+31612345678".into(),
                name: Some("Jan | Jansen".into()),
                state: Some(State::Sent),
                conversation: Some("c1".into()),
                ..ContactUpdate::default()
            },
            ContactUpdate {
                index: 1,
                e164: "+31687654321".into(),
                state: Some(State::Failed),
                reason: Some("a | b".into()),
                ..ContactUpdate::default()
            },
        ];
        let text = summary_markdown("Acme", &summary, rows.iter().map(|u| (u, None)), None);
        assert!(text.starts_with("**SMS invitations** — Acme (run run-1)\n\n"));
        assert!(text.contains(&summary.headline()));
        assert!(text.contains("| +31612345678 | Jan / Jansen | sent | conversation c1 |\n"));
        assert!(text.contains("| +31687654321 |  | failed | a / b |\n"));
        assert_eq!(text.lines().filter(|l| l.starts_with("| +")).count(), 2);
    }

    #[test]
    fn what_following_saw_is_a_column_of_its_own() {
        let summary = Summary::of_states("run-1", [State::Sent, State::Sent]);
        let rows = [
            ContactUpdate {
                index: 0,
                e164: "+31612345678".into(),
                state: Some(State::Sent),
                ..ContactUpdate::default()
            },
            ContactUpdate {
                index: 1,
                e164: "+31687654321".into(),
                state: Some(State::Sent),
                ..ContactUpdate::default()
            },
        ];
        let seen = [
            Some(Outcome::CameBack {
                via: crate::invite::follow::Via::Sms,
                after: std::time::Duration::from_secs(120),
            }),
            Some(Outcome::Problem {
                text: "could not | deliver\nto +316".into(),
            }),
        ];
        let text = summary_markdown(
            "Acme",
            &summary,
            rows.iter().zip(seen),
            Some("1 of 2 came back"),
        );
        assert!(text.contains("**Afterwards**: 1 of 2 came back"), "{text}");
        assert!(text.contains("| afterwards |"), "{text}");
        assert!(
            text.contains("| came back by SMS after 2 min |\n"),
            "{text}"
        );
        assert!(
            text.contains("| platform: could not / deliver to +316 |\n"),
            "one row, one cell: {text}"
        );
    }
}
