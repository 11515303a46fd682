//! Shell completions and manual pages, generated from the same clap definition the binary
//! parses with, so they cannot fall behind a renamed flag or a new command.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::commands::{EXIT_FAILED, EXIT_OK, Failure, usage};

const BIN: &str = "sms-invite";

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<u8, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    print(&script)
}

/// The roff page of sms-invite, or of one of its commands (`sms-invite-send`, say), the
/// way `git help` splits its pages.
pub fn man(command: Option<&str>) -> Result<u8, Failure> {
    // `help` is clap's, documented by every page's -h; it gets no page of its own.
    let mut root = Cli::command().disable_help_subcommand(true);
    // Building fills in each command's display name (sms-invite-send) and synopsis prefix.
    root.build();
    let page = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return Err(usage(
                    format!("no manual page for {name:?}"),
                    format!("name a command: {}", names.join(", ")),
                ));
            }
        },
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands")
        .render(&mut roff)
        .map_err(|e| failed(&e))?;
    print(&roff)
}

/// Writes the whole text to stdout. A reader that went away (`| head`) is not an error: it
/// took what it wanted, as with any generator.
fn print(text: &[u8]) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_OK),
        Err(e) => Err(failed(&e)),
    }
}

fn failed(e: &std::io::Error) -> Failure {
    Failure {
        code: EXIT_FAILED,
        message: format!("cannot write to stdout: {e}"),
        hint: None,
    }
}
