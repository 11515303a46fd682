//! Writing to stdout and stderr without panicking when nobody reads them any more.
//!
//! `println!` and `eprintln!` panic when the write fails, and it fails as soon as the reader of
//! a pipe has gone: `sms-invite orgs | head -3`, or `2>&1 | head -c 100`. A panic in the middle
//! of a send would leave the run half journalled, and its message cannot even be printed. Here a
//! failed write instead marks the stream as gone and later writes to it are skipped, so:
//!
//! - a read-only command (`orgs`, `check`) asks [`stdout_gone`] and stops early, as `head`'s
//!   writer is expected to;
//! - a send keeps going, journals every contact and finishes its run; only the printing stops.
//!
//! Use [`out!`](crate::out) and [`err!`](crate::err) as `println!` and `eprintln!`, and
//! [`err_part!`](crate::err_part) as `eprint!` (it flushes, for a progress line).

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// True once a write to stdout has failed: whatever is printed from now on is lost.
pub fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::Relaxed)
}

/// True once a write to stderr has failed.
pub fn stderr_gone() -> bool {
    STDERR_GONE.load(Ordering::Relaxed)
}

/// Writes one line to stdout; false when it could not be written (see [`stdout_gone`]).
pub fn stdout_line(args: fmt::Arguments<'_>) -> bool {
    write_to(std::io::stdout().lock(), &STDOUT_GONE, args, End::Line)
}

/// Writes one line to stderr; false when it could not be written.
pub fn stderr_line(args: fmt::Arguments<'_>) -> bool {
    write_to(std::io::stderr().lock(), &STDERR_GONE, args, End::Line)
}

/// Writes to stderr without a line end and flushes, for a line that is redrawn in place.
pub fn stderr_text(args: fmt::Arguments<'_>) -> bool {
    write_to(std::io::stderr().lock(), &STDERR_GONE, args, End::Flush)
}

enum End {
    Line,
    Flush,
}

/// One failed write is enough to give up on a stream: a closed pipe does not reopen, and a
/// full disk behind a redirect would otherwise fail once per line.
fn write_to(mut w: impl Write, gone: &AtomicBool, args: fmt::Arguments<'_>, end: End) -> bool {
    if gone.load(Ordering::Relaxed) {
        return false;
    }
    let written = w.write_fmt(args).and_then(|()| match end {
        End::Line => w.write_all(b"\n"),
        End::Flush => w.flush(),
    });
    if written.is_err() {
        gone.store(true, Ordering::Relaxed);
    }
    written.is_ok()
}

/// Like `println!`, but a closed or failing stdout is noted instead of panicking; evaluates to
/// whether the line was written.
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::stdout_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_line(format_args!($($arg)*))
    };
}

/// Like `eprintln!`, but a closed or failing stderr is noted instead of panicking; evaluates to
/// whether the line was written.
#[macro_export]
macro_rules! err {
    () => {
        $crate::output::stderr_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::stderr_line(format_args!($($arg)*))
    };
}

/// Like `eprint!` followed by a flush, without panicking.
#[macro_export]
macro_rules! err_part {
    ($($arg:tt)*) => {
        $crate::output::stderr_text(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_failed_write_marks_the_stream_gone_and_later_ones_are_skipped() {
        let gone = AtomicBool::new(false);
        assert!(!write_to(Closed, &gone, format_args!("x"), End::Line));
        assert!(gone.load(Ordering::Relaxed));
        let mut sink = Vec::new();
        assert!(!write_to(&mut sink, &gone, format_args!("y"), End::Line));
        assert!(sink.is_empty());
    }

    #[test]
    fn a_working_stream_gets_the_line() {
        let gone = AtomicBool::new(false);
        let mut sink = Vec::new();
        assert!(write_to(
            &mut sink,
            &gone,
            format_args!("a {}", 1),
            End::Line
        ));
        assert!(write_to(&mut sink, &gone, format_args!("b"), End::Flush));
        assert_eq!(sink, b"a 1\nb");
        assert!(!gone.load(Ordering::Relaxed));
    }
}
