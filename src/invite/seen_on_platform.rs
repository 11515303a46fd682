//! Invitations another machine sent: the platform's own record of them.
//!
//! The claims ledger keeps two runs on one machine apart; two operators on two machines share
//! nothing but the platform. Every message of an invitation carries `meta.inviteId` (and the
//! template's fingerprint in `meta.templateHash`), so an existing contact's conversation tells
//! whether an invitation went out recently, whoever sent it. Contacts are checked in batches:
//! one `GET /v2/messages?conversation=[…]` for the conversations of the contacts in flight,
//! so the check costs a fraction of a request per contact.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::api::models::Message;
use crate::api::{Client, Op, Query};

/// At most this many conversations in one request (the URL stays a few KB long).
const BATCH_MAX: usize = 40;
/// How long a request waits for others to join its batch.
const GATHER: Duration = Duration::from_millis(15);

/// One invitation found in a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub at: DateTime<Utc>,
    pub invite_id: String,
    /// `None` for an invitation sent before the fingerprint was added: it counts as the same.
    pub template_hash: Option<String>,
}

type Answer = Result<Vec<Seen>, String>;

/// A handle to the batcher of one run; dropping every handle ends it.
#[derive(Clone)]
pub struct SeenOnPlatform {
    ask: mpsc::UnboundedSender<(String, oneshot::Sender<Answer>)>,
}

impl SeenOnPlatform {
    /// Starts the batcher: invitations since `since` in the conversations asked about.
    pub fn start(client: Client, since: DateTime<Utc>) -> SeenOnPlatform {
        let (ask, mut rx) = mpsc::unbounded_channel::<(String, oneshot::Sender<Answer>)>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH_MAX {
                    match tokio::time::timeout(GATHER, rx.recv()).await {
                        Ok(Some(next)) => batch.push(next),
                        _ => break,
                    }
                }
                let ids: Vec<String> = batch.iter().map(|(c, _)| c.clone()).collect();
                let found = invitations_in(&client, &ids, since).await;
                for (conversation, reply) in batch {
                    let answer = match &found {
                        Ok(by_conv) => Ok(by_conv.get(&conversation).cloned().unwrap_or_default()),
                        Err(e) => Err(e.clone()),
                    };
                    let _ = reply.send(answer);
                }
            }
        });
        SeenOnPlatform { ask }
    }

    /// The invitations in `conversation` since the batcher's start time.
    pub async fn in_conversation(&self, conversation: &str) -> Answer {
        let (tx, rx) = oneshot::channel();
        self.ask
            .send((conversation.to_string(), tx))
            .map_err(|_| "the check has stopped".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the check has stopped".to_string()))
    }
}

/// One listing for many conversations, every page of it, grouped by conversation.
async fn invitations_in(
    client: &Client,
    conversations: &[String],
    since: DateTime<Utc>,
) -> Result<HashMap<String, Vec<Seen>>, String> {
    let q = Query::new()
        .any_of("conversation", conversations)
        .op(
            "createdAt",
            Op::Gte,
            since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
        .eq("meta.inviteId", "")
        .select("conversation,meta,createdAt")
        .limit(1000);
    let messages = client
        .messages(&q, 10_000)
        .await
        .map_err(|e| format!("{e} ({})", e.hint()))?;
    let mut out: HashMap<String, Vec<Seen>> = HashMap::new();
    for m in messages {
        if let Some((conversation, seen)) = seen_in(&m) {
            out.entry(conversation).or_default().push(seen);
        }
    }
    Ok(out)
}

/// The invitation a message belongs to, if it is one of ours (a platform that ignores the
/// `meta.inviteId` filter returns other messages too; they are left out here).
fn seen_in(m: &Message) -> Option<(String, Seen)> {
    let invite_id = m.meta.get("inviteId")?.as_str()?.to_string();
    let at = m.created_at.as_deref()?.parse::<DateTime<Utc>>().ok()?;
    let template_hash = m
        .meta
        .get("templateHash")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Some((
        m.conversation.clone()?,
        Seen {
            at,
            invite_id,
            template_hash,
        },
    ))
}

/// The newest invitation other than `ours` with this template (or without a fingerprint).
pub fn latest_other<'a>(seen: &'a [Seen], ours: &str, template_hash: &str) -> Option<&'a Seen> {
    seen.iter()
        .filter(|s| s.invite_id != ours)
        .filter(|s| {
            s.template_hash
                .as_deref()
                .is_none_or(|h| h == template_hash)
        })
        .max_by_key(|s| s.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(id: &str, mins_ago: i64, hash: Option<&str>) -> Seen {
        Seen {
            at: Utc::now() - chrono::Duration::minutes(mins_ago),
            invite_id: id.into(),
            template_hash: hash.map(str::to_string),
        }
    }

    #[test]
    fn the_newest_other_invitation_with_this_template_counts() {
        let list = vec![
            seen("mine", 1, Some("h")),
            seen("old", 50, Some("h")),
            seen("other-template", 2, Some("x")),
            seen("before-fingerprints", 30, None),
        ];
        assert_eq!(
            latest_other(&list, "mine", "h").map(|s| s.invite_id.as_str()),
            Some("before-fingerprints")
        );
        assert!(latest_other(&list[..1], "mine", "h").is_none());
    }
}
