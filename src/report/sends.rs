//! How `--send` and the journal read to a person: one line a message, then counts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::human::sanitise;
use crate::send::Outcome;
use crate::send::journal::JournalRecord;
use crate::util::clock::rfc3339;

pub(crate) fn outcomes_text(outcomes: &[Outcome]) -> String {
    let mut out = String::from("Sending:\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes {
        *counts.entry(o.verdict.as_str()).or_insert(0) += 1;
        let _ = writeln!(out, "  {:<12} {}  {}", o.verdict.as_str(), sanitise(&o.path), sanitise(&o.detail));
    }
    let counts: Vec<String> = counts.iter().map(|(verdict, n)| format!("{n} {verdict}")).collect();
    let counts = if counts.is_empty() { "nothing to send".to_owned() } else { counts.join(", ") };
    let _ = writeln!(out, "Sending summary: {counts}.\n");
    out
}

/// The journal's entries as text, for `journal`.
pub fn journal_text(entries: &[JournalRecord]) -> String {
    let mut out = format!("{:<9} {:<20} {:<4} {:<30} {}\n", "STATE", "WHEN", "TRY", "MESSAGE-ID", "PATH / DETAIL");
    for e in entries {
        let when = rfc3339(e.sent_at.unwrap_or(e.updated_at));
        let id = e.message_id.as_deref().unwrap_or("-");
        let state = serde_json::to_value(e.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let _ = writeln!(out, "{state:<9} {when:<20} {:<4} {:<30} {}", e.attempts, sanitise(id), sanitise(&e.path));
        let lists = if e.lists.is_empty() { String::new() } else { format!("; lists: {}", e.lists.join(", ")) };
        let detail = e.detail.as_deref().unwrap_or("");
        let _ = writeln!(out, "{:>66} {} recipient(s){lists}. {}", "", e.recipients.len(), sanitise(detail));
    }
    out
}
