//! `check --send`: deliver the messages that passed, exactly once. For each message, in
//! path order: re-check it as it is now, refuse one whose From is not the account, skip
//! one the journal says went already (or may have), space sends to a distribution list
//! by its interval (across runs, from the journal), keep to the throttle, and journal the
//! send before and after it.

pub mod journal;
pub mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mail_parser::DateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::transport::Mode;
use crate::diagnostic::Severity;
use crate::mail::{self, MessageView};
use crate::online::secret;
use crate::online::smtp::{self, Delivery, Sender};
use crate::rules::{Check, engine};
use crate::settings::Settings;
use journal::{Journal, Planned, State};

/// The choices `--send` was given.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub dry_run: bool,
    pub journal: PathBuf,
    pub resend_unknown: bool,
    /// Sleep until a deferred distribution-list message may go, instead of deferring it.
    pub wait: bool,
}

/// A message the scan checked, with the error-severity rules it broke.
pub struct Candidate {
    pub path: PathBuf,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
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
    pub fn is_done(self) -> bool {
        matches!(self, Verdict::Sent | Verdict::AlreadySent | Verdict::WouldSend)
    }

    /// The verdict's name, as JSON writes it (`serde` kebab case) and text shows it.
    pub fn as_str(self) -> &'static str {
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

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub path: String,
    pub verdict: Verdict,
    pub detail: String,
    pub message_id: Option<String>,
    pub recipients: Vec<String>,
}

/// What to send, worked out from the message as it is now.
struct Prepared {
    digest: String,
    message_id: Option<String>,
    recipients: Vec<String>,
    lists: Vec<String>,
    body: Vec<u8>,
}

pub fn run(
    settings: &Settings,
    options: &SendOptions,
    candidates: Vec<Candidate>,
    setup_ok: bool,
) -> Result<Vec<Outcome>, String> {
    let transport = settings.config.transport.as_ref().ok_or("--send needs a `transport:` in the configuration")?;
    let account = settings.config.account.clone().ok_or("--send needs `account` in the configuration or --account")?;
    let journal = Journal::open(&options.journal)?;
    let credential = match (transport.mode.value, &transport.secret, options.dry_run) {
        (_, _, true) | (Mode::Relay, _, _) => None,
        (Mode::Submission, Some(source), false) => Some(secret::fetch(&source.value)?),
        (Mode::Submission, None, false) => {
            return Err("submission needs password_env, password_file or token_command in `transport:`".to_owned());
        }
    };
    let mut sender = match options.dry_run {
        true => None,
        false => Some(Sender::new(transport, credential, relay_ehlo_name(settings))?),
    };
    let interval = list_interval(settings);
    let spacing = smtp::spacing(transport.rate_per_minute);
    let mut list_next: HashMap<String, i64> = HashMap::new();
    let mut last_send: Option<Instant> = None;
    let mut outcomes = Vec::new();
    for candidate in candidates {
        let path = candidate.path.display().to_string();
        let outcome = |verdict, detail: String, prepared: Option<&Prepared>| Outcome {
            path: path.clone(),
            verdict,
            detail,
            message_id: prepared.and_then(|p| p.message_id.clone()),
            recipients: prepared.map(|p| p.recipients.clone()).unwrap_or_default(),
        };
        if !setup_ok {
            outcomes.push(outcome(
                Verdict::Blocked,
                "the sending set-up has errors (see the configuration file)".into(),
                None,
            ));
            continue;
        }
        if !candidate.errors.is_empty() {
            outcomes.push(outcome(Verdict::Blocked, format!("lint errors: {}", candidate.errors.join(", ")), None));
            continue;
        }
        let prepared = match prepare(settings, &candidate.path, &account) {
            Ok(p) => p,
            Err(why) => {
                outcomes.push(outcome(Verdict::Blocked, why, None));
                continue;
            }
        };
        let planned = Planned {
            digest: &prepared.digest,
            path: &path,
            message_id: prepared.message_id.as_deref(),
            recipients: &prepared.recipients,
            lists: &prepared.lists,
        };
        match journal.get(&prepared.digest)?.map(|e| (e.state, e)) {
            Some((State::Sent, entry)) => {
                let when = entry.sent_at.map(time).unwrap_or_default();
                outcomes.push(outcome(Verdict::AlreadySent, format!("sent {when}"), Some(&prepared)));
                continue;
            }
            Some((State::Sending, entry)) if !options.resend_unknown => {
                let detail = format!(
                    "a send began {} and its outcome is unknown; check the recipient's copy, then re-run with --resend-unknown to send it again",
                    time(entry.updated_at)
                );
                outcomes.push(outcome(Verdict::Unknown, detail, Some(&prepared)));
                continue;
            }
            _ => {}
        }
        let mut earliest = 0;
        for list in &prepared.lists {
            if !list_next.contains_key(list) {
                let next = journal.last_send_to(list)?.map_or(0, |at| at + interval);
                list_next.insert(list.clone(), next);
            }
            earliest = earliest.max(list_next[list]);
        }
        if earliest > journal::now() {
            if options.wait && !options.dry_run {
                eprintln!("waiting until {} to send {path} (distribution-list interval)", time(earliest));
                std::thread::sleep(std::time::Duration::from_secs((earliest - journal::now()).max(0) as u64));
            } else {
                let until = time(earliest);
                if !options.dry_run {
                    journal.deferred(&planned, &until)?;
                }
                let detail =
                    format!("a distribution list had a send less than {} min ago; it may go at {until}", interval / 60);
                outcomes.push(outcome(Verdict::Deferred, detail, Some(&prepared)));
                continue;
            }
        }
        let Some(sender) = sender.as_mut() else {
            let detail = format!(
                "{} bytes from {account} to {} via {} {}:{}",
                prepared.body.len(),
                prepared.recipients.join(", "),
                transport.mode.value.as_str(),
                transport.host.value,
                transport.port.value
            );
            outcomes.push(outcome(Verdict::WouldSend, detail, Some(&prepared)));
            continue;
        };
        if let Some(last) = last_send {
            std::thread::sleep(spacing.saturating_sub(last.elapsed()));
        }
        journal.sending(&planned)?;
        last_send = Some(Instant::now());
        let delivery = sender.deliver(&account, &prepared.recipients, &prepared.body);
        let (verdict, detail) = match delivery {
            Delivery::Sent(reply) => {
                journal.sent(&prepared.digest, &reply)?;
                for list in &prepared.lists {
                    list_next.insert(list.clone(), journal::now() + interval);
                }
                (Verdict::Sent, reply)
            }
            Delivery::Failed(reason) => {
                journal.failed(&prepared.digest, &reason)?;
                (Verdict::Failed, reason)
            }
            // The journal keeps `sending`: the next run reports it instead of resending.
            Delivery::Unknown(reason) => (Verdict::Unknown, reason),
        };
        outcomes.push(outcome(verdict, detail, Some(&prepared)));
    }
    if let Some(sender) = sender.as_mut() {
        sender.close();
    }
    Ok(outcomes)
}

/// Reads the message again and checks it as it is now (it may have changed since the
/// scan), then works out its envelope and bytes.
fn prepare(settings: &Settings, path: &Path, account: &str) -> Result<Prepared, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let digest = format!("{:x}", Sha256::digest(&bytes));
    let (buffer, size) = mail::parse_buffer(bytes);
    let view = MessageView::new(&buffer, size);
    let errors: Vec<String> = engine::evaluate(&settings.rules, |r| settings.is_active(r), &view, settings.env())
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.rule.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(format!("it changed since the scan, and now has lint errors: {}", errors.join(", ")));
    }
    let from: Vec<String> = view.mailboxes("From").iter().map(|m| m.address.clone()).collect();
    if from.len() != 1 || !from[0].eq_ignore_ascii_case(account) {
        return Err(format!(
            "From is {}, not the sending account {account}: nhsmail-lint never sends it",
            from.join(", ")
        ));
    }
    let recipients = wire::recipients(&view);
    if recipients.is_empty() {
        return Err("it has no recipients".to_owned());
    }
    let lists = ["To", "Cc"]
        .iter()
        .flat_map(|h| view.mailboxes(h).to_vec())
        .map(|m| m.address.to_ascii_lowercase())
        .filter(|a| settings.config.distribution_lists.contains(a))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let message_id = view
        .headers()
        .and_then(|h| h.first("Message-ID"))
        .map(|f| mail::headers::raw_value(view.raw(), f).0.into_owned());
    Ok(Prepared { digest, message_id, recipients, lists, body: wire::wire_bytes(&view) })
}

/// The interval the distribution-list rule enforces (30 minutes in the NHSmail pack).
fn list_interval(settings: &Settings) -> i64 {
    settings
        .rules
        .rules
        .iter()
        .find_map(|r| match &r.check {
            Check::Interval(interval) if &*r.id == "distribution-list-interval" => Some(interval.min_seconds),
            _ => None,
        })
        .unwrap_or(30 * 60)
}

/// For the relay, EHLO gives the sending IP's registered name, when pre-flight can find it.
fn relay_ehlo_name(settings: &Settings) -> Option<String> {
    let transport = settings.config.transport.as_ref()?;
    if transport.mode.value != Mode::Relay || transport.ehlo_name.is_some() {
        return None;
    }
    let ip = transport.source_ip.as_ref()?.value;
    match settings.online.as_ref()?.dns.ptr(ip) {
        crate::online::dns::Answer::Found(names) => names.into_iter().next(),
        _ => None,
    }
}

pub fn time(seconds: i64) -> String {
    DateTime::from_timestamp(seconds).to_rfc3339()
}
