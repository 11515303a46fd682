//! Effects are data: `update` returns them and the runtime ([`super::app`]) performs them,
//! sending the outcome back as a [`super::msg::Msg`]. Tests assert on them without any I/O.

use std::path::PathBuf;

use crate::api::Secret;
use crate::api::models::Organization;
use crate::invite::events::ContactUpdate;
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
    CheckOrg(Organization),
    LoadContacts(Organization),
    Annotate {
        org: Organization,
        targets: Vec<Target>,
        template_hash: String,
    },
    Import {
        path: PathBuf,
        region: Option<String>,
    },
    StartSend {
        org: Organization,
        template: Template,
        targets: Vec<Target>,
        retry_of: Option<String>,
    },
    CancelSend,
    Export {
        path: PathBuf,
        run_id: String,
        rows: Vec<ContactUpdate>,
    },
    Copy(String),
    SaveTemplate {
        path: PathBuf,
        template: Template,
    },
    Suspend,
}
