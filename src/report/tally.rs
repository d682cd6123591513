//! The counts the reports for people (`html`, `markdown`) keep as the scan streams, in
//! memory bounded whatever the scan's size: 20 examples a rule, the first 1,000 affected
//! messages a rule and a count, the top senders and templates by the Space-Saving count,
//! findings by week.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::findings::diagnostic::{Excerpt, FileFindings, Located, Severity};
use crate::rules::RuleSet;
use crate::rules::spec::Scope;

/// Example findings kept for each rule.
pub(crate) const EXAMPLES: usize = 20;
/// Affected messages listed for each rule (the rest are counted).
pub(crate) const AFFECTED: usize = 1000;
/// Findings listed first in the Markdown summary.
pub(crate) const FIRST: usize = 30;
/// Keys each top-ten count tracks: exact while there are no more distinct keys.
pub(crate) const TRACKED: usize = 200;
/// Weeks the weekly chart can show: the latest, three years.
pub(crate) const WEEKS: i64 = 156;

/// The Monday (days since the epoch) of the week holding `time` (seconds since the epoch).
fn week_of(time: i64) -> i64 {
    let days = time.div_euclid(86_400);
    days - (days + 3).rem_euclid(7)
}

/// The Space-Saving count (Metwally et al.): the most frequent keys of a stream in
/// fixed memory. Each key keeps the count it may have been credited with on entering
/// (`error`), so what is shown is a lower bound, exact while no more than `TRACKED`
/// distinct keys are seen.
#[derive(Debug, Default)]
pub(crate) struct TopCounts {
    /// Key -> (count, overstated by at most).
    counts: HashMap<String, (u64, u64)>,
    /// A key was evicted: the counts shown are lower bounds.
    pub(crate) approximate: bool,
}

/// Characters of a top-ten key kept: a header can be megabytes long, and a chart
/// shows some fifty characters of it.
const KEY_CHARS: usize = 200;

impl TopCounts {
    fn add(&mut self, key: &str, n: u64) {
        let key = match key.char_indices().nth(KEY_CHARS) {
            Some((end, _)) => &key[..end],
            None => key,
        };
        if let Some((count, _)) = self.counts.get_mut(key) {
            *count += n;
            return;
        }
        let mut floor = 0;
        if self.counts.len() >= TRACKED {
            let least = self.counts.iter().min_by(|a, b| (a.1.0, a.0).cmp(&(b.1.0, b.0)));
            let (least, (count, _)) = least.map(|(k, c)| (k.clone(), *c)).expect("full");
            self.counts.remove(&least);
            floor = count;
            self.approximate = true;
        }
        self.counts.insert(key.to_owned(), (floor + n, floor));
    }

    /// The `k` keys with the largest sure counts.
    pub(crate) fn top(&self, k: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> =
            self.counts.iter().map(|(key, (n, error))| (key.clone(), n - error)).filter(|(_, n)| *n > 0).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }
}

/// The ten files with most findings, exact: the scan reports each file's messages
/// together, in path order, so a file's count is complete when the next file starts.
#[derive(Debug, Default)]
pub(crate) struct TopFiles {
    current: Option<(String, u64)>,
    ten: Vec<(String, u64)>,
    /// Findings of rules across messages (after the scan) on files not among the ten.
    pub(crate) not_counted: usize,
}

impl TopFiles {
    fn add(&mut self, file: &str, n: u64) {
        match &mut self.current {
            Some((current, count)) if current == file => *count += n,
            _ => {
                if let Some(done) = self.current.replace((file.to_owned(), n)) {
                    self.keep(done);
                }
            }
        }
    }

    fn keep(&mut self, entry: (String, u64)) {
        self.ten.push(entry);
        self.ten.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.ten.truncate(10);
    }

    /// Findings found after the scan (corpus rules) on `file`: counted when it is among the ten.
    fn late(&mut self, file: &str, n: u64) {
        if let Some(done) = self.current.take() {
            self.keep(done);
        }
        match self.ten.iter_mut().find(|(f, _)| f == file) {
            Some((_, count)) => *count += n,
            None => self.not_counted += n as usize,
        }
    }

    pub(crate) fn top(&self) -> Vec<(String, u64)> {
        let mut all = self.ten.clone();
        all.extend(self.current.clone());
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(10);
        all
    }
}

/// One finding as the reports show it.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) severity: Severity,
    pub(crate) rule: Arc<str>,
    pub(crate) message: String,
    pub(crate) excerpt: Option<Excerpt>,
}

#[derive(Debug, Default)]
pub(crate) struct RuleTally {
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
    /// Messages with at least one of its findings.
    pub(crate) messages: usize,
    pub(crate) examples: Vec<Example>,
    pub(crate) affected: Vec<String>,
}

impl RuleTally {
    pub(crate) fn findings(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    /// The worst severity it reported.
    pub(crate) fn severity(&self) -> Severity {
        if self.errors > 0 {
            Severity::Error
        } else if self.warnings > 0 {
            Severity::Warning
        } else {
            Severity::Info
        }
    }
}

/// Everything counted as the findings arrive.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) by_rule: BTreeMap<Arc<str>, RuleTally>,
    /// Messages failing each requirement.
    pub(crate) failing: HashMap<Arc<str>, usize>,
    /// Messages that do not follow a recommendation of each requirement (findings of
    /// rules at `info` severity only): advice, not failing.
    pub(crate) advised: HashMap<Arc<str>, usize>,
    /// The rules at `info` severity (as configured): their findings are advice.
    advisory: HashSet<Arc<str>>,
    /// Findings by the week (Monday, days since the epoch) of their message's Date, by
    /// rule: the latest `WEEKS` weeks only (older ones fold into `earlier`), so a scan
    /// of messages dated across centuries keeps a few weeks in memory.
    pub(crate) weeks: BTreeMap<i64, BTreeMap<Arc<str>, usize>>,
    /// Findings in weeks before those kept.
    pub(crate) earlier: usize,
    /// Findings not in `weeks`: their message has no usable Date (none, or one more than
    /// a week after the run), or a corpus rule found them.
    pub(crate) undated: usize,
    /// The week after which a Date is taken as false (a week past the run's start).
    pub(crate) latest_week: i64,
    pub(crate) paths: TopFiles,
    pub(crate) senders: TopCounts,
    pub(crate) templates: TopCounts,
    pub(crate) first: Vec<Example>,
    /// Requirements a corpus rule checks, and the messages the scan already counted as
    /// failing them (so a corpus finding on the same message is not counted twice): one
    /// bit a message, as a set of millions of indices would not stay small.
    corpus_requirements: HashSet<Arc<str>>,
    failed_in_scan: HashMap<Arc<str>, Vec<u64>>,
    /// The set-up's findings (config rules), by requirement: errors and warnings.
    pub(crate) setup: HashMap<Arc<str>, usize>,
    /// The set-up's findings of rules at `info` severity (a recommendation not followed,
    /// such as POP configured where IMAP is recommended), by requirement.
    pub(crate) setup_advice: HashMap<Arc<str>, usize>,
    /// The set-up's checks that were not made, by requirement: info findings of rules
    /// above `info` (a quota with no limit known) and rules that said nothing because their check was not made (a
    /// probe's step not reached or not asked for). They make a row "not checked", never
    /// "compliant".
    pub(crate) setup_unsure: HashMap<Arc<str>, usize>,
    pub(crate) setup_findings: Vec<Example>,
    /// Messages no rule reading a header ran on (not messages at all, or not read).
    pub(crate) unchecked: usize,
}

impl Tally {
    pub(super) fn new(rules: &RuleSet) -> Tally {
        let corpus = rules.rules.iter().filter(|r| r.scope == Scope::Corpus);
        let corpus_requirements = corpus.flat_map(|r| r.requirement.iter().cloned()).collect();
        let latest_week = week_of(crate::util::clock::now() + 7 * 86_400);
        let advisory = rules.rules.iter().filter(|r| r.severity == Severity::Info).map(|r| r.id.clone()).collect();
        Tally { corpus_requirements, latest_week, advisory, ..Tally::default() }
    }

    /// One message's findings; `corpus` for those a corpus rule found after the scan.
    pub(super) fn message(&mut self, index: usize, findings: FileFindings, corpus: bool) {
        if findings.detail.as_ref().is_some_and(|d| d.unchecked) {
            self.unchecked += 1;
        }
        if findings.diagnostics.is_empty() {
            return;
        }
        let path = findings.path.display().to_string();
        let detail = findings.detail.map(|d| *d).unwrap_or_default();
        let mut excerpts = detail.excerpts.into_iter();
        let mut rules_seen: HashSet<Arc<str>> = HashSet::new();
        let mut requirements: HashSet<Arc<str>> = HashSet::new();
        let mut advised: HashSet<Arc<str>> = HashSet::new();
        let week = detail.date.filter(|_| !corpus).map(week_of).filter(|w| *w <= self.latest_week);
        let n = findings.diagnostics.len() as u64;
        // An mbox's messages count towards the mbox.
        let file = super::file_of(&path);
        if corpus {
            self.paths.late(file, n);
        } else {
            self.paths.add(file, n);
        }
        if let Some(from) = &detail.from {
            self.senders.add(from, n);
        }
        if let Some(template) = &detail.template {
            self.templates.add(template, n);
        }
        for d in findings.diagnostics {
            let shows = |e: &Excerpt| {
                e.lines.iter().any(|l| !(l.before.is_empty() && l.marked.is_empty() && l.after.is_empty()))
            };
            let excerpt = excerpts.next().filter(shows);
            let rule = d.diagnostic.rule.clone();
            match week {
                Some(week) => self.dated(week, rule.clone()),
                None => self.undated += 1,
            }
            let broken = if self.advisory.contains(&rule) { &mut advised } else { &mut requirements };
            broken.extend(d.diagnostic.requirement.iter().cloned());
            let tally = self.by_rule.entry(rule.clone()).or_default();
            match d.diagnostic.severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
                Severity::Info => tally.infos += 1,
            }
            if rules_seen.insert(rule.clone()) {
                tally.messages += 1;
                if tally.affected.len() < AFFECTED {
                    tally.affected.push(path.clone());
                }
            }
            let example = || example(&path, &d, excerpt.clone());
            if tally.examples.len() < EXAMPLES {
                tally.examples.push(example());
            }
            if self.first.len() < FIRST {
                self.first.push(example());
            }
        }
        for requirement in advised.difference(&requirements) {
            *self.advised.entry(requirement.clone()).or_insert(0) += 1;
        }
        for requirement in requirements {
            let counted = self.corpus_requirements.contains(&requirement);
            let (word, bit) = (index / 64, 1u64 << (index % 64));
            if counted && corpus {
                let bits = self.failed_in_scan.get(&requirement);
                if bits.and_then(|b| b.get(word)).is_some_and(|w| w & bit != 0) {
                    continue;
                }
            }
            if counted && !corpus {
                let bits = self.failed_in_scan.entry(requirement.clone()).or_default();
                if bits.len() <= word {
                    bits.resize(word + 1, 0);
                }
                bits[word] |= bit;
            }
            *self.failing.entry(requirement).or_insert(0) += 1;
        }
    }

    /// A finding in `week`: counted there, or in `earlier` when older than the weeks kept.
    fn dated(&mut self, week: i64, rule: Arc<str>) {
        let last = self.weeks.keys().next_back().map_or(week, |&last| last.max(week));
        let start = last - (WEEKS - 1) * 7;
        if week < start {
            self.earlier += 1;
            return;
        }
        *self.weeks.entry(week).or_default().entry(rule).or_insert(0) += 1;
        while let Some(oldest) = self.weeks.first_entry() {
            if *oldest.key() >= start {
                break;
            }
            self.earlier += oldest.remove().values().sum::<usize>();
        }
    }

    pub(super) fn setup(&mut self, findings: FileFindings) {
        let path = findings.path.display().to_string();
        for d in &findings.diagnostics {
            // An open attestation is the row's own status, not a check of the set-up.
            let counts = match d.diagnostic.severity {
                _ if *d.diagnostic.rule == *crate::findings::diagnostic::ATTESTATION_OPEN => None,
                Severity::Info if self.advisory.contains(&d.diagnostic.rule) => Some(&mut self.setup_advice),
                Severity::Info => Some(&mut self.setup_unsure),
                Severity::Warning | Severity::Error => Some(&mut self.setup),
            };
            if let Some(counts) = counts {
                for requirement in d.diagnostic.requirement.iter() {
                    *counts.entry(requirement.clone()).or_insert(0) += 1;
                }
            }
            self.setup_findings.push(example(&path, d, None));
        }
    }
}

fn example(path: &str, d: &Located, excerpt: Option<Excerpt>) -> Example {
    Example {
        path: path.to_owned(),
        line: d.line,
        column: d.column,
        severity: d.diagnostic.severity,
        rule: d.diagnostic.rule.clone(),
        message: d.diagnostic.message.clone(),
        excerpt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_files_are_exact_and_count_an_mbox_once() {
        let mut files = TopFiles::default();
        for (file, n) in [("a.eml", 2), ("b.mbox", 1), ("b.mbox", 4), ("c.eml", 3), ("d.eml", 1)] {
            files.add(file, n);
        }
        files.late("c.eml", 5);
        assert_eq!(files.top()[..2], [("c.eml".to_owned(), 8), ("b.mbox".to_owned(), 5)]);
        let mut many = TopFiles::default();
        (0..50u64).for_each(|i| many.add(&format!("f{i:02}"), i % 7));
        many.late("f00", 1);
        assert_eq!(many.top().len(), 10);
        let counts: Vec<u64> = many.top().iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [6, 6, 6, 6, 6, 6, 6, 5, 5, 5], "{:?}", many.top());
        assert_eq!(many.not_counted, 1, "a late finding on a file outside the ten is said, not hidden");
    }

    /// A message with one error of rule `r`, and its Date.
    fn one_finding(path: &str, requirement: Vec<Arc<str>>, date: Option<i64>) -> FileFindings {
        let diagnostic = crate::findings::diagnostic::Diagnostic {
            rule: "r".into(),
            requirement: requirement.into(),
            severity: Severity::Error,
            message: "m".into(),
            help: None,
            label: None,
            span: 0..0,
            fix: None,
        };
        FileFindings {
            path: path.into(),
            diagnostics: vec![Located { diagnostic, line: 1, column: 1, key: None }],
            rendered: None,
            name: None,
            detail: Some(Box::new(crate::findings::diagnostic::Detail {
                date,
                ..crate::findings::diagnostic::Detail::default()
            })),
        }
    }

    #[test]
    fn a_message_failing_a_requirement_in_the_scan_and_across_messages_counts_once() {
        let requirement: Arc<str> = "R9".into();
        let findings = |path: &str| one_finding(path, vec![requirement.clone()], None);
        let mut tally = Tally { corpus_requirements: [requirement.clone()].into(), ..Tally::default() };
        tally.message(70, findings("a.eml"), false);
        tally.message(70, findings("a.eml"), true);
        assert_eq!(tally.failing[&requirement], 1, "the same message, once");
        tally.message(6, findings("b.eml"), true);
        tally.message(200, findings("c.eml"), true);
        assert_eq!(tally.failing[&requirement], 3, "other messages, failing only across messages, count");
    }

    #[test]
    fn the_weeks_kept_are_the_latest_and_false_dates_are_undated() {
        let mut tally = Tally { latest_week: week_of(100_000 * 86_400), ..Tally::default() };
        let rule: Arc<str> = "r".into();
        // Messages dated across some 270 years, one finding a day.
        for day in 0..100_000 {
            tally.dated(week_of(day * 86_400), rule.clone());
        }
        assert!(tally.weeks.len() as i64 <= WEEKS, "{} weeks kept", tally.weeks.len());
        let kept: usize = tally.weeks.values().flat_map(|r| r.values()).sum();
        assert_eq!(kept + tally.earlier, 100_000, "every finding is counted once");
        assert_eq!(*tally.weeks.keys().next_back().expect("weeks"), week_of(99_999 * 86_400));
        // A Date past the run's week is not a date to chart.
        let mut tally = Tally::new(&RuleSet::default());
        let dated = |days: i64| one_finding("a.eml", Vec::new(), Some(crate::util::clock::now() + days * 86_400));
        tally.message(0, dated(-30), false);
        tally.message(1, dated(3650), false);
        assert_eq!((tally.weeks.len(), tally.undated), (1, 1), "the message dated ten years ahead is undated");
    }

    #[test]
    fn top_counts_never_overstate() {
        let mut exact = TopCounts::default();
        (0..100).for_each(|i| exact.add(&format!("k{}", i % 10), 1 + (i % 10) as u64));
        assert!(!exact.approximate);
        assert_eq!(exact.top(1), [("k9".to_owned(), 100)]);
        // Thousands of keys with a few findings each, and one heavy hitter.
        let mut spread = TopCounts::default();
        for i in 0..5000u64 {
            spread.add(&format!("thin{i}"), 3);
            if i % 10 == 0 {
                spread.add("heavy", 10);
            }
        }
        assert!(spread.approximate);
        let top = spread.top(10);
        assert_eq!(top[0].0, "heavy");
        assert!(top[0].1 <= 5000, "a lower bound of its 5000");
        assert!(top.iter().skip(1).all(|(_, n)| *n <= 3), "no thin key shown above its 3: {top:?}");
        // A header of a megabyte is kept as its first characters.
        let mut long = TopCounts::default();
        long.add(&"é".repeat(1 << 20), 1);
        assert_eq!(long.top(1)[0].0.chars().count(), KEY_CHARS);
    }
}
