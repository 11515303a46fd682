//! Effects are data: `update` returns them and the runtime ([`super::app`]) performs them,
//! sending the outcome back as a [`super::msg::Msg`]. Tests assert on them without any I/O.

use std::path::PathBuf;

use crate::api::Secret;
use crate::api::models::Organization;
use crate::invite::events::ContactUpdate;
use crate::invite::follow::Outcome;
use crate::invite::link::LinkChoice;
use crate::invite::readiness::Recipients;
use crate::invite::target::Target;
use crate::invite::template::Template;

/// `StartSend` carries a whole template; the others are small, and effects are few.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Effect {
    SignIn {
        token: Secret,
        remember: bool,
    },
    LoadOrgs,
    /// Builds the readiness report for `org` with this template, link and contacts; the
    /// answer is `Msg::Assessed`.
    Assess {
        org: Organization,
        template: Template,
        link: LinkChoice,
        /// What the rules need of the contacts (their columns and countries), not the
        /// contacts themselves: a batch may hold 100,000.
        recipients: Recipients,
        /// The signed-in bot's name, for the token line.
        bot_name: Option<String>,
    },
    LoadContacts(Organization),
    LookUp {
        org: Organization,
        targets: Vec<Target>,
        template_hash: String,
    },
    Import {
        path: PathBuf,
        region: Option<String>,
    },
    /// Sends to `targets`; with `resume`, as the next attempt of that journalled run.
    StartSend {
        org: Organization,
        template: Template,
        targets: Vec<Target>,
        resume: Option<String>,
    },
    CancelSend,
    Export {
        path: PathBuf,
        run_id: String,
        rows: Vec<ContactUpdate>,
        /// What following saw of each row's invitation, in row order (`None`: not followed).
        follow: Vec<Option<Outcome>>,
    },
    Copy(String),
    SaveTemplate {
        path: PathBuf,
        template: Template,
    },
    /// Remembers an organization's landing-page address (already checked).
    SaveLink {
        org: Organization,
        url: String,
    },
    LoadRuns,
    /// Opens a journalled run: its contacts and its organization; with `retry`, then confirms
    /// sending what is not done.
    OpenRun {
        run: String,
        retry: bool,
    },
    Suspend,
}
