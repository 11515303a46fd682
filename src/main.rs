//! Entry point: parse the command line, set up logging, dispatch, map errors to exit codes.
//!
//! Errors are printed with `err!`, which never panics on a closed stderr, and with control
//! characters escaped, since a message may quote a name or a file's content (a message may span
//! lines, as the list of a template's problems does).

use std::process::ExitCode;

use clap::Parser;
use sms_invite::cli::{Cli, ClientArgs, Command};
use sms_invite::commands::{self, Failure};
use sms_invite::safe_text::printable_lines;
use sms_invite::{err, logging, paths};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Completions and manual pages only print text: no log file, no runtime, no data dir.
    match &cli.command {
        Some(Command::Completions(args)) => {
            return exit(commands::generate::completions(args.shell));
        }
        Some(Command::Man(args)) => return exit(commands::generate::man(args.command.as_deref())),
        _ => {}
    }
    let _log = logging::init(&paths::log_file());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            err!("error: cannot start the async runtime: {e}");
            return ExitCode::from(commands::EXIT_FAILED);
        }
    };
    exit(runtime.block_on(run(cli)))
}

/// The exit code of a command; a failure is printed first, with its hint.
fn exit(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            err!("error: {}", printable_lines(&f.message));
            if let Some(h) = f.hint {
                err!("  hint: {}", printable_lines(&h));
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    survive_file_size_limits();
    let before = cli.client;
    match cli.command {
        Some(Command::Sandbox(args)) => commands::sandbox::run(args).await,
        Some(Command::Orgs(args)) => {
            commands::orgs::run(&args.client.resolve(&before), args.json).await
        }
        Some(Command::Check(args)) => {
            let global = args.client.resolve(&before);
            commands::check::run(&global, args).await
        }
        Some(Command::Send(args)) => {
            let global = args.client.resolve(&before);
            commands::send::run(&global, args).await
        }
        Some(Command::Watch(args)) => {
            let global = args.client.resolve(&before);
            commands::watch::run(&global, args).await
        }
        Some(Command::Link(args)) => {
            let global = args.client.resolve(&before);
            commands::link::run(&global, args).await
        }
        Some(Command::Completions(args)) => commands::generate::completions(args.shell),
        Some(Command::Man(args)) => commands::generate::man(args.command.as_deref()),
        None => commands::tui::run(&before.resolve(&ClientArgs::default()), cli.tui).await,
    }
}

/// A write past the file-size limit (`ulimit -f`) raises SIGXFSZ, whose default is to kill
/// the process on the spot, mid-send. Taking the signal instead makes that write fail with
/// EFBIG, which the journal turns into a clean stop before the next send.
fn survive_file_size_limits() {
    #[cfg(target_os = "linux")]
    {
        use tokio::signal::unix::{SignalKind, signal};
        const SIGXFSZ: i32 = 25;
        if let Ok(mut s) = signal(SignalKind::from_raw(SIGXFSZ)) {
            tokio::spawn(async move { while s.recv().await.is_some() {} });
        }
    }
}
