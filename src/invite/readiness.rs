//! Can an organization send SMS? The answer comes from its `twilio` services and those of its
//! ancestors (the sandbox's assumption for the unknown §10.8: a parent's service covers its
//! children), computed for every organization from two list calls instead of one per org.

use serde::Serialize;

use crate::api::models::{Organization, Service};
use crate::api::{ApiError, Client, ErrorKind, Query};

/// The SMS status of one organization.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "sms", rename_all = "snake_case")]
pub enum SmsStatus {
    /// An active `twilio` service in `via` (the organization itself or an ancestor).
    Ready {
        via: String,
        via_name: String,
        inherited: bool,
    },
    NotReady {
        reason: String,
    },
    /// Could not be determined (e.g. the token may not list services).
    Unknown {
        reason: String,
    },
}

impl SmsStatus {
    pub fn label(&self) -> &'static str {
        match self {
            SmsStatus::Ready { .. } => "ready",
            SmsStatus::NotReady { .. } => "not ready",
            SmsStatus::Unknown { .. } => "unknown",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            SmsStatus::Ready {
                via_name,
                inherited: false,
                ..
            } => format!("own twilio service ({via_name})"),
            SmsStatus::Ready {
                via_name,
                inherited: true,
                ..
            } => format!("via parent's twilio service ({via_name})"),
            SmsStatus::NotReady { reason } | SmsStatus::Unknown { reason } => reason.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct OrgSms {
    pub org: Organization,
    pub status: SmsStatus,
}

/// Decides each organization's status from the twilio services the token can see.
/// `services` is `None` when they could not be listed; `why` says why.
pub fn sms_status(orgs: &[Organization], services: Result<&[Service], &str>) -> Vec<OrgSms> {
    orgs.iter()
        .map(|org| OrgSms {
            org: org.clone(),
            status: status_of(org, orgs, services),
        })
        .collect()
}

fn status_of(
    org: &Organization,
    orgs: &[Organization],
    services: Result<&[Service], &str>,
) -> SmsStatus {
    let services = match services {
        Ok(s) => s,
        Err(why) => {
            return SmsStatus::Unknown {
                reason: why.to_string(),
            };
        }
    };
    let mut chain: Vec<&str> = org.ancestors();
    chain.push(&org.id);
    chain.reverse();
    let mut disabled = None;
    for (depth, id) in chain.iter().enumerate() {
        let twilio = services.iter().filter(|s| {
            s.organization.as_deref() == Some(id) && s.kind.as_deref() == Some("twilio")
        });
        for s in twilio {
            if s.is_active() {
                let via_name = orgs
                    .iter()
                    .find(|o| o.id == *id)
                    .map(|o| o.label().to_string())
                    .unwrap_or_else(|| id.to_string());
                return SmsStatus::Ready {
                    via: id.to_string(),
                    via_name,
                    inherited: depth > 0,
                };
            }
            disabled.get_or_insert_with(|| s.name.clone().unwrap_or_else(|| s.id.clone()));
        }
    }
    match disabled {
        Some(name) => SmsStatus::NotReady {
            reason: format!("its twilio service \"{name}\" is disabled; enable it in the platform's integrations"),
        },
        None => SmsStatus::NotReady {
            reason: "no twilio (SMS) service in this organization or its parents; ask an admin to add the SMS integration".to_string(),
        },
    }
}

/// Every organization the token sees with its SMS status, in two paged list calls.
pub async fn overview(client: &Client) -> Result<Vec<OrgSms>, ApiError> {
    let orgs = client
        .organizations(&Query::new().sort("orgPath"), 100_000)
        .await?;
    let services = client
        .services(&Query::new().eq("type", "twilio"), 100_000)
        .await;
    Ok(match services {
        Ok(s) => sms_status(&orgs, Ok(&s)),
        Err(e) if e.kind == ErrorKind::Forbidden => sms_status(
            &orgs,
            Err("the token may not list services (needs admin scope), so SMS status is unknown"),
        ),
        Err(e) => return Err(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn org(id: &str, path: &str) -> Organization {
        serde_json::from_value(json!({"id": id, "displayName": id.to_uppercase(), "orgPath": path}))
            .unwrap()
    }

    fn svc(org: &str, enabled: bool) -> Service {
        serde_json::from_value(json!({"id": format!("s-{org}"), "organization": org, "type": "twilio", "name": "SMS", "enabled": enabled})).unwrap()
    }

    #[test]
    fn own_inherited_disabled_and_missing() {
        let orgs = vec![
            org("r", "r"),
            org("h", "r#h"),
            org("a", "r#h#a"),
            org("d", "r#d"),
            org("n", "r#n"),
        ];
        let services = vec![svc("h", true), svc("d", false)];
        let st = sms_status(&orgs, Ok(&services));
        let by = |id: &str| st.iter().find(|o| o.org.id == id).unwrap().status.clone();
        assert!(matches!(
            by("h"),
            SmsStatus::Ready {
                inherited: false,
                ..
            }
        ));
        assert!(matches!(by("a"), SmsStatus::Ready { ref via, inherited: true, .. } if via == "h"));
        assert!(
            matches!(by("d"), SmsStatus::NotReady { ref reason } if reason.contains("disabled"))
        );
        assert!(
            matches!(by("n"), SmsStatus::NotReady { ref reason } if reason.contains("no twilio"))
        );
        assert!(matches!(by("r"), SmsStatus::NotReady { .. }));
    }

    #[test]
    fn unknown_without_services() {
        let st = sms_status(&[org("r", "r")], Err("no admin"));
        assert_eq!(st[0].status.label(), "unknown");
    }
}
