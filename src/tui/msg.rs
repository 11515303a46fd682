//! Everything that can happen to the model: input, and the results of effects. Results carry
//! enough context to be applied (or dropped when stale) without asking anything else.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::Event as TermEvent;

use super::model::{Annotation, Session};
use crate::api::models::Organization;
use crate::invite::contact::Contact;
use crate::invite::events::Event as EngineEvent;
use crate::invite::import::ImportReport;
use crate::invite::readiness::{CheckItem, OrgSms};

#[derive(Debug, Clone)]
pub enum Msg {
    Term(TermEvent),
    Tick(DateTime<Utc>),
    SignedIn(Result<Session, String>),
    OrgsLoaded(Result<Vec<OrgSms>, String>),
    ReadinessLoaded {
        org: String,
        items: Vec<CheckItem>,
    },
    ContactsLoaded {
        org: String,
        result: Result<Vec<(Contact, Annotation)>, String>,
        /// The cap, when the organization has more contacts than were loaded.
        capped: Option<usize>,
    },
    Annotated {
        org: String,
        notes: Vec<Annotation>,
    },
    Imported {
        path: PathBuf,
        result: Result<ImportReport, String>,
    },
    Engine(EngineEvent),
    Exported(Result<PathBuf, String>),
    Copied(Result<usize, String>),
    TemplateSaved(Result<PathBuf, String>),
    /// The organization the TUI was started for (e.g. `--org`).
    Preselect(Organization),
}
