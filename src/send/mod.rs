//! `check --send`: deliver the messages that passed, exactly once. For each message, in
//! path order: re-check it as it is now, refuse one whose From is not the account, skip
//! one the journal says went already (or may have), space sends as the corpus rules
//! say (a distribution list: 30 minutes, across runs, from the journal), keep to the
//! throttle, and journal the send before and after it. A journal that fails stops the
//! run at once (nothing is sent that cannot be recorded), and every message still gets
//! a verdict.

pub mod journal;
pub(crate) mod wire;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::transport::{Mode, Transport};
use crate::findings::diagnostic::Severity;
use crate::mail::address::canonical;
use crate::mail::{self, MessageView};
use crate::online::Services;
use crate::online::secret::{self, SecretError};
use crate::online::smtp::{self, Delivery, Sender, SmtpSetupError};
use crate::rules::field::Target;
use crate::rules::{Check, Interval, RuleSet, engine};
use crate::util::clock::{self, rfc3339};
use journal::{Journal, JournalError, Planned, State};

/// What `--send` needs: the transport and account, the rules a message is checked
/// against again just before it goes, the rules that space sends, and the journal.
pub(crate) struct SendPlan {
    pub(crate) transport: Transport,
    pub(crate) account: String,
    pub(crate) rules: Arc<RuleSet>,
    /// Indices into `rules` of the message rules (the scan's own).
    pub(crate) recheck: Vec<usize>,
    /// Indices into `rules` of the corpus rules that space sends, each by its own
    /// `min_interval` for the keys it groups by (its `only` list).
    pub(crate) spacing: Vec<usize>,
    pub(crate) services: Option<Arc<Services>>,
    pub(crate) journal: PathBuf,
    /// Show what would be sent, send nothing.
    pub(crate) dry_run: bool,
    pub(crate) resend_unknown: bool,
    /// Sleep until a deferred message may go, instead of deferring it.
    pub(crate) wait: bool,
}

/// Why `--send` stopped before it went through every message.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The password or token could not be had.
    #[error("cannot get the SMTP password or token: {0}")]
    Secret(#[from] SecretError),
    /// No password or token is configured.
    #[error("submission needs password_env, password_file or token_command in `transport:`")]
    NoSecret,
    /// The SMTP transport could not be set up.
    #[error(transparent)]
    Smtp(#[from] SmtpSetupError),
}

/// A message the scan checked, with the error-severity rules it broke.
pub(crate) struct Candidate {
    pub(crate) path: PathBuf,
    pub(crate) errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Verdict {
    Sent,
    /// The journal says it went in an earlier run.
    AlreadySent,
    /// `--dry-run`: it would have gone.
    WouldSend,
    /// A distribution list had a send less than the interval ago.
    Deferred,
    /// Lint errors, a wrong From, or a broken set-up.
    Blocked,
    Failed,
    /// It may or may not have gone (a crash or a dropped connection after the body).
    Unknown,
}

impl Verdict {
    /// Whether the run did what it should for this message.
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Verdict::Sent | Verdict::AlreadySent | Verdict::WouldSend)
    }

    /// The verdict's name, as JSON writes it (`serde` kebab case) and text shows it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Sent => "sent",
            Verdict::AlreadySent => "already-sent",
            Verdict::WouldSend => "would-send",
            Verdict::Deferred => "deferred",
            Verdict::Blocked => "blocked",
            Verdict::Failed => "failed",
            Verdict::Unknown => "unknown",
        }
    }
}

/// What a send did to one message.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub(crate) path: String,
    pub(crate) verdict: Verdict,
    pub(crate) detail: String,
    pub(crate) message_id: Option<String>,
    pub(crate) recipients: Vec<String>,
}

impl Outcome {
    fn of(path: &Path, verdict: Verdict, detail: String, prepared: Option<&Prepared>) -> Outcome {
        Outcome {
            path: path.display().to_string(),
            verdict,
            detail,
            message_id: prepared.and_then(|p| p.message_id.clone()),
            recipients: prepared.map(|p| p.recipients.clone()).unwrap_or_default(),
        }
    }
}

/// What to send, worked out from the message as it is now.
struct Prepared {
    /// The journal's key (`identity::send_key`): a copy of a sent message is sent already.
    digest: String,
    /// The SHA-256 of the file, as journals before `send_key` keyed sends.
    legacy_digest: String,
    message_id: Option<String>,
    recipients: Vec<String>,
    /// The keys spaced sends are counted by (the distribution lists it goes to), and
    /// the interval each one needs.
    intervals: Vec<(String, i64)>,
    /// The same keys, as the journal records them.
    spaced: Vec<String>,
    body: Vec<u8>,
}

/// What a `--send` run did: a verdict for every message, and what stopped it early,
/// if anything did (the messages it did not reach are listed as blocked).
pub(crate) struct Sending {
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) stopped: Option<SendError>,
}

/// `blocking`: the set-up rules whose errors stop every send (none: send what passed).
pub(crate) fn run(plan: &SendPlan, candidates: Vec<Candidate>, blocking: &[Arc<str>]) -> Sending {
    let mut outcomes = Vec::new();
    let mut candidates = candidates.into_iter();
    let stopped = Run::start(plan).and_then(|mut run| {
        let result = candidates.by_ref().try_for_each(|candidate| {
            let (outcome, stop) = run.one(candidate, blocking);
            outcomes.push(outcome);
            stop.map_or(Ok(()), Err)
        });
        run.close();
        result
    });
    let stopped = stopped.err();
    if let Some(error) = &stopped {
        for candidate in candidates {
            let detail = format!("not attempted: sending stopped ({error})");
            outcomes.push(Outcome::of(&candidate.path, Verdict::Blocked, detail, None));
        }
    }
    Sending { outcomes, stopped }
}

/// One run's state: the journal, the connection, and the spacing so far.
struct Run<'a> {
    plan: &'a SendPlan,
    journal: Journal,
    /// `None` for a dry run.
    sender: Option<Sender>,
    /// When each spaced key may next be sent to, and the interval that says so.
    next: HashMap<String, i64>,
    last_send: Option<Instant>,
}

impl<'a> Run<'a> {
    fn start(plan: &'a SendPlan) -> Result<Run<'a>, SendError> {
        let journal = Journal::open(&plan.journal)?;
        let transport = &plan.transport;
        let credential = match (transport.mode.value, &transport.login.secret, plan.dry_run) {
            (_, _, true) | (Mode::Relay, _, _) => None,
            (Mode::Submission, Some(source), false) => Some(secret::fetch(&source.value)?),
            (Mode::Submission, None, false) => return Err(SendError::NoSecret),
        };
        let sender = match plan.dry_run {
            true => None,
            false => {
                let hello = smtp::hello_name(transport, plan.services.as_deref().map(|s| &s.dns));
                Some(Sender::new(transport, credential, hello)?)
            }
        };
        Ok(Run { plan, journal, sender, next: HashMap::new(), last_send: None })
    }

    /// One message's verdict, and the journal error that must stop the run, if any.
    fn one(&mut self, candidate: Candidate, blocking: &[Arc<str>]) -> (Outcome, Option<SendError>) {
        let blocked = |detail: String| (Outcome::of(&candidate.path, Verdict::Blocked, detail, None), None);
        if !blocking.is_empty() {
            return blocked(format!(
                "the sending set-up has errors that stop every send ({}; see the configuration file)",
                blocking.join(", ")
            ));
        }
        if !candidate.errors.is_empty() {
            return blocked(format!("lint errors: {}", candidate.errors.join(", ")));
        }
        let prepared = match prepare(self.plan, &candidate.path) {
            Ok(p) => p,
            Err(why) => return blocked(why.to_string()),
        };
        // The probe read the server's SIZE: a larger message would only be refused, and a
        // smaller one is not its concern (smtp-size is a warning that stops nothing).
        let services = self.plan.services.as_deref();
        let limit = services.and_then(|s| s.smtp.as_ref()?.probed(&s.dns).size);
        if let Some(limit) = limit.filter(|&limit| prepared.body.len() as u64 > limit) {
            let size = prepared.body.len();
            return blocked(format!(
                "the message is {size} bytes, over the {limit} bytes the SMTP server takes (SIZE)"
            ));
        }
        let outcome = |verdict, detail: String| Outcome::of(&candidate.path, verdict, detail, Some(&prepared));
        match self.send(&candidate.path, &prepared) {
            Ok((verdict, detail)) => (outcome(verdict, detail), None),
            Err(Interrupted { verdict, detail, error }) => (outcome(verdict, detail), Some(error.into())),
        }
    }

    fn send(&mut self, path: &Path, prepared: &Prepared) -> Result<(Verdict, String), Interrupted> {
        let path = path.display().to_string();
        let planned = Planned {
            digest: &prepared.digest,
            path: &path,
            message_id: prepared.message_id.as_deref(),
            recipients: &prepared.recipients,
            lists: &prepared.spaced,
        };
        let not_sent = |error| Interrupted { verdict: Verdict::Blocked, detail: format!("not sent: {error}"), error };
        // A journal written before sends were keyed by content knows them by their bytes.
        let entry = match self.journal.get(&prepared.digest).map_err(not_sent)? {
            Some(entry) => Some(entry),
            None => self.journal.get(&prepared.legacy_digest).map_err(not_sent)?,
        };
        match entry.map(|e| (e.state, e)) {
            Some((State::Sent, entry)) => {
                let when = entry.sent_at.map(rfc3339).unwrap_or_default();
                let copy = if entry.path == path { String::new() } else { format!(" as {}", entry.path) };
                return Ok((Verdict::AlreadySent, format!("sent {when}{copy}")));
            }
            Some((State::Sending, entry)) if !self.plan.resend_unknown => {
                let detail = format!(
                    "a send began {} and its outcome is unknown; check the recipient's copy, then re-run with \
                     --resend-unknown to send it again",
                    rfc3339(entry.updated_at)
                );
                return Ok((Verdict::Unknown, detail));
            }
            _ => {}
        }
        let earliest = self.earliest(prepared).map_err(not_sent)?;
        if earliest > clock::now() {
            if self.plan.wait && !self.plan.dry_run {
                eprintln!("waiting until {} to send {path} (distribution-list interval)", rfc3339(earliest));
                std::thread::sleep(std::time::Duration::from_secs((earliest - clock::now()).max(0) as u64));
            } else {
                let until = rfc3339(earliest);
                if !self.plan.dry_run {
                    self.journal.deferred(&planned, &until).map_err(not_sent)?;
                }
                let interval = prepared.intervals.iter().map(|(_, i)| *i).max().unwrap_or(0);
                let detail =
                    format!("a distribution list had a send less than {} min ago; it may go at {until}", interval / 60);
                return Ok((Verdict::Deferred, detail));
            }
        }
        let Some(sender) = self.sender.as_mut() else {
            let transport = &self.plan.transport;
            let detail = format!(
                "{} bytes from {} to {} via {} {}:{}",
                prepared.body.len(),
                self.plan.account,
                prepared.recipients.join(", "),
                transport.mode.value.as_str(),
                transport.server.host.value,
                transport.server.port.value
            );
            return Ok((Verdict::WouldSend, detail));
        };
        if let Some(last) = self.last_send {
            std::thread::sleep(smtp::spacing(self.plan.transport.rate_per_minute).saturating_sub(last.elapsed()));
        }
        self.journal.sending(&planned).map_err(not_sent)?;
        self.last_send = Some(Instant::now());
        match sender.deliver(&self.plan.account, &prepared.recipients, &prepared.body) {
            Delivery::Sent(reply) => {
                for (key, interval) in &prepared.intervals {
                    self.next.insert(key.clone(), clock::now() + interval);
                }
                // It went: a journal that cannot say so leaves it `sending`, which the
                // next run reports as unknown rather than sending it again.
                self.journal.sent(&prepared.digest, &reply).map_err(|error| Interrupted {
                    verdict: Verdict::Sent,
                    detail: format!("{reply} (but the journal could not record it: {error})"),
                    error,
                })?;
                Ok((Verdict::Sent, reply))
            }
            Delivery::Failed(reason) => {
                self.journal.failed(&prepared.digest, &reason).map_err(|error| Interrupted {
                    verdict: Verdict::Failed,
                    detail: format!("{reason} (and the journal could not record it: {error})"),
                    error,
                })?;
                Ok((Verdict::Failed, reason))
            }
            // The journal keeps `sending`: the next run reports it instead of resending.
            Delivery::Unknown(reason) => Ok((Verdict::Unknown, reason)),
        }
    }

    /// When the message may go: the latest of its spaced keys' next allowed sends
    /// (each known from the journal, across runs).
    fn earliest(&mut self, prepared: &Prepared) -> Result<i64, JournalError> {
        let mut earliest = 0;
        for (key, interval) in &prepared.intervals {
            if !self.next.contains_key(key) {
                let next = self.journal.last_send_to(key)?.map_or(0, |at| at + interval);
                self.next.insert(key.clone(), next);
            }
            earliest = earliest.max(self.next[key]);
        }
        Ok(earliest)
    }

    fn close(&mut self) {
        if let Some(sender) = self.sender.as_mut() {
            sender.close();
        }
    }
}

/// A journal error in the middle of one message: what to say of the message, and why
/// the run stops.
struct Interrupted {
    verdict: Verdict,
    detail: String,
    error: JournalError,
}

/// Why a message that passed the scan is not sent after all.
#[derive(Debug, thiserror::Error)]
enum Unsendable {
    #[error("cannot read it: {0}")]
    Unreadable(std::io::Error),
    #[error("it changed since the scan, and now has lint errors: {}", .0.join(", "))]
    Changed(Vec<String>),
    #[error("From is {}, not the sending account {account}: nhsmail-lint never sends it", .from.join(", "))]
    NotTheAccount { from: Vec<String>, account: String },
    #[error("it has no recipients")]
    NoRecipients,
    #[error("it would be {size} bytes on the wire, over NHSmail's limit of {limit} bytes (35 MiB)")]
    TooLarge { size: usize, limit: usize },
}

/// NHSmail's message size limit, read as Exchange Online reads "35 MB" (its MaxSendSize
/// is `35 MB (36,700,160 bytes)`): a message over it is never sent, whatever the rules
/// say (message-size disabled or made a warning), since NHSmail would refuse it.
const WIRE_LIMIT: usize = 35 * 1024 * 1024;

/// Reads the message again and checks it as it is now (it may have changed since the
/// scan), then works out its envelope and bytes.
fn prepare(plan: &SendPlan, path: &Path) -> Result<Prepared, Unsendable> {
    let account = &plan.account;
    let bytes = std::fs::read(path).map_err(Unsendable::Unreadable)?;
    let legacy_digest = format!("{:x}", Sha256::digest(&bytes));
    let (buffer, size) = mail::parse_buffer(bytes);
    let view = MessageView::new(&buffer, size);
    let digest = crate::findings::identity::send_key(&view);
    let errors: Vec<String> = engine::evaluate(&plan.rules, &plan.recheck, &view, plan.services.as_deref())
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.rule.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(Unsendable::Changed(errors));
    }
    let from: Vec<String> = view.every_mailbox("From").into_iter().map(|m| m.address).collect();
    if from.len() != 1 || canonical(&from[0]) != canonical(account) {
        return Err(Unsendable::NotTheAccount { from, account: account.clone() });
    }
    let recipients = wire::recipients(&view);
    if recipients.is_empty() {
        return Err(Unsendable::NoRecipients);
    }
    // Measured as `message-size` measures it, before the bytes are built.
    let size = crate::mail::wire::wire_size(&view);
    if size > WIRE_LIMIT {
        return Err(Unsendable::TooLarge { size, limit: WIRE_LIMIT });
    }
    let body = wire::wire_bytes(&view);
    let intervals = spaced_keys(plan, &view);
    let spaced = intervals.iter().map(|(key, _)| key.clone()).collect();
    let message_id = crate::findings::identity::message_id(&view);
    Ok(Prepared { digest, legacy_digest, message_id, recipients, intervals, spaced, body })
}

/// The keys of the message that the spacing rules count (each rule's `group_by` values
/// in its `only` list), with the longest interval any of them asks for each.
fn spaced_keys(plan: &SendPlan, view: &MessageView<'_>) -> Vec<(String, i64)> {
    let mut keys: HashMap<String, i64> = HashMap::new();
    for rule in plan.spacing.iter().map(|&i| &plan.rules.rules[i]) {
        let Check::Interval(interval) = &rule.check else { continue };
        let Some(min_seconds) = interval.min_seconds else { continue };
        interval.group_by.for_each(Target::Message(view), &mut |v| {
            let key = Interval::key(interval.group_by.kind(), &v.text);
            if interval.only.as_ref().is_none_or(|only| only.contains(&key)) {
                let longest = keys.entry(key).or_insert(0);
                *longest = (*longest).max(min_seconds);
            }
        });
    }
    let ordered: BTreeSet<(String, i64)> = keys.into_iter().collect();
    ordered.into_iter().collect()
}
