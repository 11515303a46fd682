//! Following a journalled run: the one way the TUI, `watch` and `send --watch` follow
//! invitations, so all three journal what they see the same way and a watch that is stopped
//! picks up where it left off.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::events::{ContactUpdate, State};
use super::follow::{FollowConfig, FollowEvent, FollowSummary, Followed, Follower, follow};
use super::journal::{Journal, StoredRun};
use crate::api::Client;

/// Where following starts and what may join it.
pub struct Plan {
    /// Invitations sent before following began, and what was already seen of them.
    pub run: Option<StoredRun>,
    /// Invitations sent while following (a send in the same process).
    pub joins: Option<mpsc::UnboundedReceiver<Followed>>,
    /// Whether that send is still running.
    pub sending: Option<watch::Receiver<bool>>,
}

/// Whether `u` is an invitation to follow: sent, into a known conversation, with its invite id
/// (by which our own messages are told apart from the customer's).
pub fn is_followed(u: &ContactUpdate) -> bool {
    u.state() == State::Sent && u.conversation.is_some() && u.invite_id.is_some()
}

/// The invitation to follow once `u` reports it sent (see [`is_followed`]), as of now.
pub fn followed_from(u: &ContactUpdate) -> Option<Followed> {
    if !is_followed(u) {
        return None;
    }
    Some(Followed {
        index: u.index,
        e164: u.e164.clone(),
        conversation: u.conversation.clone()?,
        invite_id: u.invite_id.clone()?,
        sent_at: Utc::now(),
    })
}

/// Follows the run whose journal is `journal` until everyone came back, the window closes or
/// `cancel` fires. Each new sign is journalled before it is passed on; a sign the journal
/// cannot take is still reported (with a warning), since following sends nothing.
pub async fn follow_run(
    client: Client,
    journal: Arc<Journal>,
    config: FollowConfig,
    plan: Plan,
    events: mpsc::UnboundedSender<FollowEvent>,
    cancel: CancellationToken,
) -> FollowSummary {
    let (initial, known) = plan
        .run
        .as_ref()
        .map(StoredRun::follow_plan)
        .unwrap_or_default();
    let mut follower = Follower::new(client, config, initial);
    follower.known = known;
    follower.joins = plan.joins;
    follower.sending = plan.sending;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let following = follow(follower, tx, cancel);
    let passing_on = async {
        while let Some(e) = rx.recv().await {
            if let FollowEvent::Update(u) = &e
                && let Err(err) = journal.follow(u)
            {
                let _ = events.send(FollowEvent::Trouble(format!(
                    "the journal could not record what following saw ({err}); a later watch may report it again"
                )));
            }
            let _ = events.send(e);
        }
    };
    let (summary, ()) = tokio::join!(following, passing_on);
    summary
}
