//! The bytes under the CSV parser, watched on their way in.
//!
//! The `csv` crate parses well but is silent about three things an import must know:
//!
//! - which line of the file a record starts on, as the user's editor counts lines (its own
//!   count is off by one after a CRLF line end);
//! - a quote that is never closed: the parser then reads the rest of the file as one cell, and
//!   the rows after it vanish without a word;
//! - a record of unbounded size: the parser buffers a whole record, so a file without line
//!   breaks would be held in memory whole.
//!
//! [`Scan`] passes the bytes through unchanged and follows the same quoting grammar as the
//! parser's defaults (RFC 4180 with `""` inside quotes, lines ending in LF, CR or CRLF), which
//! takes four states; the parser does not expose its own.

use std::collections::VecDeque;
use std::io::{self, Read};

/// Where the parser stands inside a record, as far as quotes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    /// At the start of a cell: a quote here opens a quoted cell.
    CellStart,
    /// In a cell that did not start with a quote: quotes are ordinary characters.
    Plain,
    /// Inside a quoted cell: delimiters and line ends are part of the cell.
    Inside,
    /// Just after a quote inside a quoted cell: a second quote is a literal one, anything else
    /// closes the cell.
    Closing,
}

/// Why the scan refused the input; reported instead of the parser's I/O error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The record starting on this line grew past the limit.
    RecordTooLong { line: usize },
    /// A quote opened on this line and the record grew past the limit before it was closed.
    QuoteNotClosed { line: usize },
}

/// A reader that passes bytes through and keeps line numbers, quote state and record size.
pub struct Scan<R> {
    inner: R,
    delimiter: u8,
    quote: Quote,
    max_record_bytes: usize,
    /// Bytes passed through so far.
    offset: u64,
    /// Offsets of line feeds not yet counted by [`Scan::line_of`]; the parser reads ahead by at
    /// most its buffer, so this stays small.
    pending_newlines: VecDeque<u64>,
    counted_newlines: usize,
    newlines: usize,
    record_bytes: usize,
    record_line: usize,
    quote_line: usize,
    stop: Option<Stop>,
    eof: bool,
}

impl<R: Read> Scan<R> {
    pub fn new(inner: R, delimiter: u8, max_record_bytes: usize) -> Self {
        Scan {
            inner,
            delimiter,
            quote: Quote::CellStart,
            max_record_bytes,
            offset: 0,
            pending_newlines: VecDeque::new(),
            counted_newlines: 0,
            newlines: 0,
            record_bytes: 0,
            record_line: 1,
            quote_line: 0,
            stop: None,
            eof: false,
        }
    }

    /// The 1-based line of the byte at `offset`. Calls must not go backwards.
    pub fn line_of(&mut self, offset: u64) -> usize {
        while self.pending_newlines.front().is_some_and(|&n| n < offset) {
            self.pending_newlines.pop_front();
            self.counted_newlines += 1;
        }
        self.counted_newlines + 1
    }

    /// Why reading stopped early, if it did.
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// The line of a quote still open at the end of the input.
    pub fn unclosed_quote(&self) -> Option<usize> {
        (self.eof && self.quote == Quote::Inside).then_some(self.quote_line)
    }

    fn track(&mut self, b: u8) {
        let at = self.offset;
        self.offset += 1;
        self.record_bytes += 1;
        if b == b'\n' {
            self.newlines += 1;
            self.pending_newlines.push_back(at);
        }
        let line_end = b == b'\n' || b == b'\r';
        self.quote = match (self.quote, b) {
            (Quote::Inside, b'"') => Quote::Closing,
            (Quote::Inside, _) => Quote::Inside,
            (Quote::CellStart, b'"') => {
                self.quote_line = self.newlines + 1;
                Quote::Inside
            }
            (Quote::Closing, b'"') => Quote::Inside,
            (_, b) if b == self.delimiter => Quote::CellStart,
            _ if line_end => {
                self.record_bytes = 0;
                self.record_line = self.newlines + 1;
                Quote::CellStart
            }
            _ => Quote::Plain,
        };
    }

    fn too_long(&self) -> Stop {
        if self.quote == Quote::Inside {
            Stop::QuoteNotClosed {
                line: self.quote_line,
            }
        } else {
            Stop::RecordTooLong {
                line: self.record_line,
            }
        }
    }
}

impl<R: Read> Read for Scan<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(stop) = self.stop {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{stop:?}"),
            ));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        for &b in buf.get(..n).unwrap_or_default() {
            self.track(b);
            if self.record_bytes > self.max_record_bytes {
                let stop = self.too_long();
                self.stop = Some(stop);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{stop:?}"),
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(input: &str, max: usize) -> (Scan<&[u8]>, io::Result<Vec<u8>>) {
        let mut s = Scan::new(input.as_bytes(), b',', max);
        let mut out = Vec::new();
        let r = s.read_to_end(&mut out).map(|_| out);
        (s, r)
    }

    #[test]
    fn bytes_pass_through_and_lines_are_counted() {
        let (mut s, out) = scan("a,b\r\nc\n\nd", 100);
        assert_eq!(out.ok().as_deref(), Some(&b"a,b\r\nc\n\nd"[..]));
        assert_eq!(s.line_of(0), 1);
        assert_eq!(s.line_of(5), 2);
        assert_eq!(s.line_of(7), 3);
        assert_eq!(s.line_of(8), 4);
        assert_eq!(s.unclosed_quote(), None);
    }

    #[test]
    fn quotes_follow_the_csv_grammar() {
        for closed in [
            "a,\"b\nc\"\n",
            "\"a\"\"b\",c",
            "a\"b,c\n",
            "\"\"",
            "a,\"b\"x,\"\"\"\"\n",
        ] {
            assert_eq!(scan(closed, 100).0.unclosed_quote(), None, "{closed:?}");
        }
        assert_eq!(scan("a\nb,\"c\nd\n", 100).0.unclosed_quote(), Some(2));
        assert_eq!(scan("\"a\"\"", 100).0.unclosed_quote(), Some(1));
    }

    #[test]
    fn a_record_past_the_limit_stops_the_scan() {
        let (s, out) = scan("ab\nabcdefgh\n", 5);
        assert!(out.is_err());
        assert_eq!(s.stop(), Some(Stop::RecordTooLong { line: 2 }));
        let (s, _) = scan("a\n\"b\nc\nd\ne", 5);
        assert_eq!(s.stop(), Some(Stop::QuoteNotClosed { line: 2 }));
    }
}
