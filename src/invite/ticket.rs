//! A run's results as a Markdown block to paste into a support ticket: what was sent to whom
//! in the whole batch, and every failure's reason. It is built from the run's summary and
//! rows alone, so any front end that holds a run can offer it.

use crate::invite::events::{ContactUpdate, Summary};

/// The ticket block for a run of the organization labelled `org`. `summary` gives the run's
/// id and its headline; one table row per contact follows, in the order given.
pub fn summary_markdown<'a>(
    org: &str,
    summary: &Summary,
    rows: impl IntoIterator<Item = &'a ContactUpdate>,
) -> String {
    let mut out = format!("**SMS invitations** — {org} (run {})\n\n", summary.run_id);
    out.push_str(&summary.headline());
    out.push_str("\n\n| number | name | result | detail |\n|---|---|---|---|\n");
    for u in rows {
        let detail = u
            .reason
            .clone()
            .or_else(|| u.conversation.as_ref().map(|c| format!("conversation {c}")))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            u.e164,
            cell(u.name.as_deref().unwrap_or_default()),
            u.state().label(),
            cell(&detail)
        ));
    }
    out
}

/// A table cell's text: a `|` from a name or a reason would end the cell early.
fn cell(text: &str) -> String {
    text.replace('|', "/")
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
        let text = summary_markdown("Acme", &summary, &rows);
        assert!(text.starts_with("**SMS invitations** — Acme (run run-1)\n\n"));
        assert!(text.contains(&summary.headline()));
        assert!(text.contains("| +31612345678 | Jan / Jansen | sent | conversation c1 |\n"));
        assert!(text.contains("| +31687654321 |  | failed | a / b |\n"));
        assert_eq!(text.lines().filter(|l| l.starts_with("| +")).count(), 2);
    }
}
