//! `sms-invite link ORG [URL]`: shows, saves or forgets an organization's landing-page address,
//! the link of its SMS invitations.

use std::io::Write;

use super::{EXIT_OK, Failure, usage};
use crate::cli::{Global, LinkArgs};
use crate::invite::link::{self, LinkSource};
use crate::safe_text::printable;

pub async fn run(global: &Global, args: LinkArgs) -> Result<u8, Failure> {
    let conn = super::connect(global).await?;
    let org = super::resolve_org(&conn.client, &args.org).await?;
    let config_dir = crate::paths::config_dir();
    let mut book = super::link_book(&config_dir)?;
    let mut out = std::io::stdout().lock();
    if args.remove {
        book.set(&org, None)
            .map_err(|e| usage(e, "check the config dir's permissions"))?;
        let _ = writeln!(out, "Forgot the address of {}.", printable(org.label()));
    } else if let Some(url) = &args.url {
        let url = link::check_clp_url(url, conn.local_api()).map_err(|why| {
            usage(
                format!(
                    "{url:?} cannot be the landing page of {}: {why}",
                    org.label()
                ),
                "give the https address of the organization's Conversational Landing Page",
            )
        })?;
        book.set(&org, Some(&url))
            .map_err(|e| usage(e, "check the config dir's permissions"))?;
        let _ = writeln!(
            out,
            "Saved for {}: {url}\n(in {})",
            printable(org.label()),
            book.path().display()
        );
        return Ok(EXIT_OK);
    }
    let template = super::load_template(&config_dir, None)?;
    let choice = link::choose(None, &book, &org.id, &template.clp_url);
    let _ = match choice.source {
        LinkSource::None => writeln!(
            out,
            "{} has no landing-page address; `sms-invite link ORG URL` saves one.",
            printable(org.label())
        ),
        _ => writeln!(
            out,
            "{}: {} ({})",
            printable(org.label()),
            choice.url,
            printable(&choice.origin(org.label()))
        ),
    };
    Ok(EXIT_OK)
}
