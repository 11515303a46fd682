//! Rules about a batch as a whole, shared by the command line and the TUI: one invitation per
//! phone unless the operator chooses otherwise, and a typed count before a large send.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::target::Target;

/// Above this many invitations the operator types the count to send, so a large batch cannot
/// go out by a stray key press.
pub const TYPED_CONFIRM_ABOVE: usize = 25;

/// What the operator types to send `n` invitations: the count above the threshold, else "yes"
/// (the command line) or nothing but the send key (the TUI).
pub fn needs_typed_count(n: usize) -> bool {
    n > TYPED_CONFIRM_ABOVE
}

/// Selected contacts that share a phone with one listed before them: the phone gets one
/// invitation (to the first), unless the operator chooses to send each their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamePhone {
    pub e164: String,
    /// Who gets the invitation.
    pub kept: Target,
    /// The others with this number, left out.
    pub left_out: Vec<Target>,
}

impl SamePhone {
    /// "Eva Visser is on +31… too; one invitation, to Mark Visser".
    pub fn describe(&self) -> String {
        let others: Vec<String> = self.left_out.iter().map(Target::label).collect();
        format!(
            "{} selected for {}: one invitation, to {}",
            others.len() + 1,
            self.e164,
            self.kept.label()
        )
    }
}

/// Keeps the first target of every phone number and reports the rest.
pub fn one_per_phone(mut targets: Vec<Target>) -> (Vec<Target>, Vec<SamePhone>) {
    // Worked out in place: a batch may hold 100,000 targets, and a second list of them (or a
    // copy of every number as a key) would double what the confirm screen holds.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(targets.len());
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match first.entry(t.e164.as_str()) {
            Entry::Occupied(e) => repeats.push((i, *e.get())),
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    drop(first);
    if repeats.is_empty() {
        return (targets, Vec::new());
    }
    let mut same: Vec<SamePhone> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for &(i, kept) in &repeats {
        let left = std::mem::take(&mut targets[i]);
        let g = *group_of.entry(kept).or_insert_with(|| {
            same.push(SamePhone {
                e164: left.e164.clone(),
                kept: targets[kept].clone(),
                left_out: Vec::new(),
            });
            same.len() - 1
        });
        same[g].left_out.push(left);
    }
    let mut left_out = repeats.iter().map(|(i, _)| *i).peekable();
    let mut pos = 0;
    targets.retain(|_| {
        let leave = left_out.next_if_eq(&pos).is_some();
        pos += 1;
        !leave
    });
    (targets, same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(e164: &str, name: &str, id: &str) -> Target {
        Target {
            e164: e164.into(),
            given_name: Some(name.into()),
            contact_id: Some(id.into()),
            ..Target::default()
        }
    }

    #[test]
    fn one_invitation_per_phone_and_the_rest_reported() {
        let (kept, same) = one_per_phone(vec![
            t("+1", "Mark", "m"),
            t("+2", "Jan", "j"),
            t("+1", "Eva", "e"),
            t("+1", "Ed", "d"),
        ]);
        let names: Vec<String> = kept.iter().map(Target::label).collect();
        assert_eq!(names, vec!["Mark", "Jan"]);
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].left_out.len(), 2);
        assert_eq!(
            same[0].describe(),
            "3 selected for +1: one invitation, to Mark"
        );
    }

    #[test]
    fn the_typed_count_starts_above_the_threshold() {
        assert!(!needs_typed_count(TYPED_CONFIRM_ABOVE));
        assert!(needs_typed_count(TYPED_CONFIRM_ABOVE + 1));
    }
}
