//! Matching for the numbering-plan patterns of the metadata, without the crate's regex cache.
//!
//! Every pattern match in the `phonenumber` crate takes one global lock and hashes the
//! pattern's source (up to several hundred characters) to find the compiled regex, so checking
//! a number against a country's dozen patterns cost more than everything else in an import.
//! Here each pattern is compiled once per thread with the `regex` crate (the same engine the
//! crate uses) and found by its address in the static metadata, which costs nothing to hash.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

/// Anchored at the start, and at both ends; whitespace in the metadata is layout, as in the
/// crate (`ignore_whitespace`).
type Compiled = Option<Rc<(Regex, Regex)>>;

thread_local! {
    static CACHE: RefCell<HashMap<(usize, usize), Compiled>> = RefCell::new(HashMap::new());
}

fn compiled(pattern: &'static str) -> Compiled {
    let key = (pattern.as_ptr() as usize, pattern.len());
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                let prefix = Regex::new(&format!("(?x)^(?:{pattern})")).ok()?;
                let full = Regex::new(&format!("(?x)^(?:{pattern})$")).ok()?;
                Some(Rc::new((prefix, full)))
            })
            .clone()
    })
}

/// Whether `pattern` matches a prefix of `text` (the crate's `find(..).start() == 0`);
/// `None` when the pattern does not compile and the caller should ask the crate.
pub(super) fn matches_prefix(pattern: &'static str, text: &str) -> Option<bool> {
    compiled(pattern).map(|c| c.0.is_match(text))
}

/// Whether `pattern` matches all of `text`.
pub(super) fn matches_fully(pattern: &'static str, text: &str) -> Option<bool> {
    compiled(pattern).map(|c| c.1.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchoring() {
        assert_eq!(matches_prefix("6[1-58]", "612345678"), Some(true));
        assert_eq!(matches_fully("6[1-58]", "612345678"), Some(false));
        assert_eq!(matches_fully("6\\d{8}", "612345678"), Some(true));
        assert_eq!(
            matches_fully("1|23", "23"),
            Some(true),
            "alternation is grouped"
        );
        assert_eq!(matches_prefix("(", "1"), None);
    }
}
