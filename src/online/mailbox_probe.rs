//! The mailbox probe, as the SMTP probe does it: connect to `mailbox.host:port`, the
//! implicit TLS handshake (IMAP 993, POP 995) with the certificate verified and its end
//! date read, the greeting and capabilities (the configured login offered), then the
//! login itself (IMAP LOGIN or POP USER/PASS for `plain`/`login`, SASL XOAUTH2 with the
//! token for `xoauth2`), and a polite LOGOUT/QUIT. Once a run, stopping at the first
//! step that fails; the rules read one step each (`functions/mailbox_probe.rs`).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::imap_string::quoted;
use super::probe::{Findings, Lines, ReplyLine, StepOutcome, Stopped, mask};
use super::secret;
use crate::config::mailbox::{MailboxSettings, Protocol};
use crate::config::setting::Auth;

/// The probe's steps, each read by a rule of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Step {
    Connect,
    Tls,
    Certificate,
    Capabilities,
    Login,
}

/// The mailbox, probed once a run however many rules ask.
pub(crate) struct MailboxProbe {
    settings: MailboxSettings,
    findings: OnceLock<Findings<Step>>,
}

impl MailboxProbe {
    pub(crate) fn new(settings: MailboxSettings) -> MailboxProbe {
        MailboxProbe { settings, findings: OnceLock::new() }
    }

    pub(crate) fn findings(&self) -> &Findings<Step> {
        self.findings.get_or_init(|| {
            let mut findings = Findings::default();
            let _stopped = probe(&self.settings, &mut findings);
            findings
        })
    }
}

fn probe(m: &MailboxSettings, found: &mut Findings<Step>) -> Result<(), Stopped> {
    let (server, login) = (&m.server, &m.login);
    let host = server.host.value.as_str();
    let (mut lines, config) = found.connect(
        (host, server.port.value, server.timeout),
        (None, server.ca_file.as_deref()),
        (Step::Connect, Step::Tls),
    )?;
    found.secure(&mut lines, config, Step::Tls, Step::Certificate)?;
    let mut session: Box<dyn Dialect> = match m.protocol.value {
        Protocol::Imap => Box::new(Imap { lines, tag: 0 }),
        Protocol::Pop => Box::new(Pop { lines }),
    };
    session.capabilities(login.auth.value).map_err(|o| found.stop(Step::Capabilities, o))?;
    found.pass(Step::Capabilities);
    let Some(source) = &login.secret else {
        // mailbox-secret-missing says so; there is nothing to log in with.
        return Ok(());
    };
    let login = secret::fetch(&source.value)
        .map_err(|e| StepOutcome::Failed(format!("cannot log in: {e}")))
        .and_then(|secret| session.login(&login.username.value, login.auth.value, secret.expose()));
    login.map_err(|o| found.stop(Step::Login, o))?;
    found.pass(Step::Login);
    session.logout();
    Ok(())
}

/// What differs between IMAP and POP.
trait Dialect {
    /// The greeting and capabilities: the configured way to log in must be offered.
    fn capabilities(&mut self, auth: Auth) -> Result<(), StepOutcome>;
    fn login(&mut self, user: &str, auth: Auth, secret: &str) -> Result<(), StepOutcome>;
    fn logout(&mut self);
}

/// SASL XOAUTH2's initial response (as Exchange Online takes it).
fn xoauth2(user: &str, token: &str) -> String {
    BASE64.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

/// A server that challenges again after the token and the empty answer.
fn kept_asking(host: &str) -> StepOutcome {
    StepOutcome::Failed(format!("{host} kept asking (`+`) after every answer of AUTHENTICATE XOAUTH2"))
}

/// A login's answer: accepted, or refused with what the server said, secrets masked.
fn judge(accepted: bool, said: &str, host: &str, user: &str, secret: &str) -> Result<(), StepOutcome> {
    if accepted {
        return Ok(());
    }
    let said = mask(said, &[secret, &xoauth2(user, secret)]);
    Err(StepOutcome::Failed(format!("{host} refused the login of {user}: `{said}`")))
}

struct Imap<'a> {
    lines: Lines<'a>,
    tag: u32,
}

impl Imap<'_> {
    /// Sends a tagged command (`what` names it in errors) and reads to its tagged reply:
    /// the untagged lines before it, and the tagged line without its tag.
    fn command(&mut self, line: &str, what: &str) -> Result<(Vec<String>, String), StepOutcome> {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.lines.send(&format!("{tag} {line}"), what)?;
        self.until(&tag, what)
    }

    fn until(&mut self, tag: &str, what: &str) -> Result<(Vec<String>, String), StepOutcome> {
        self.lines.read_reply(what, "an answer", |line| {
            Ok(match line.strip_prefix(tag).and_then(|rest| rest.strip_prefix(' ')) {
                Some(status) => ReplyLine::Last(status.to_owned()),
                None => ReplyLine::More(line),
            })
        })
    }
}

impl Dialect for Imap<'_> {
    fn capabilities(&mut self, auth: Auth) -> Result<(), StepOutcome> {
        let host = self.lines.host;
        let greeting = self.lines.line("the connection")?;
        if !greeting.starts_with("* OK") {
            return Err(StepOutcome::Failed(format!("{host} greeted with `{greeting}`, not `* OK`")));
        }
        let (untagged, status) = self.command("CAPABILITY", "CAPABILITY")?;
        if !status.starts_with("OK") {
            return Err(StepOutcome::Failed(format!("{host} answered CAPABILITY with `{status}`")));
        }
        let capabilities: Vec<String> = untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* CAPABILITY "))
            .flat_map(str::split_whitespace)
            .map(str::to_ascii_uppercase)
            .collect();
        let offered = |c: &str| capabilities.iter().any(|have| have == c);
        match auth {
            Auth::Xoauth2 if !offered("AUTH=XOAUTH2") => Err(StepOutcome::Failed(format!(
                "{host} does not offer AUTH=XOAUTH2 (its capabilities: {}), which `mailbox.auth: xoauth2` needs",
                capabilities.join(" ")
            ))),
            Auth::Plain | Auth::Login if offered("LOGINDISABLED") => Err(StepOutcome::Failed(format!(
                "{host} says LOGINDISABLED: it takes no password login (IMAP LOGIN); use `auth: xoauth2`"
            ))),
            _ => Ok(()),
        }
    }

    fn login(&mut self, user: &str, auth: Auth, secret: &str) -> Result<(), StepOutcome> {
        let status = match auth {
            Auth::Plain | Auth::Login => {
                self.command(&format!("LOGIN {} {}", quoted(user), quoted(secret)), "LOGIN")?.1
            }
            Auth::Xoauth2 => {
                self.tag += 1;
                let tag = format!("a{}", self.tag);
                self.lines.send(&format!("{tag} AUTHENTICATE XOAUTH2"), "AUTHENTICATE")?;
                let mut status = None;
                let mut answers = [xoauth2(user, secret), String::new()].into_iter();
                while status.is_none() {
                    let line = self.lines.line("AUTHENTICATE")?;
                    if line.starts_with('+') {
                        // The challenge, then (after a failure's JSON) an empty answer; no
                        // more, or a server that keeps asking would keep the probe going.
                        let answer = answers.next().ok_or_else(|| kept_asking(self.lines.host))?;
                        self.lines.send(&answer, "AUTHENTICATE")?;
                    } else if let Some(rest) = line.strip_prefix(&tag).and_then(|r| r.strip_prefix(' ')) {
                        status = Some(rest.to_owned());
                    }
                }
                status.unwrap_or_default()
            }
        };
        judge(status.starts_with("OK"), &status, self.lines.host, user, secret)
    }

    fn logout(&mut self) {
        let _ = self.command("LOGOUT", "LOGOUT");
    }
}

struct Pop<'a> {
    lines: Lines<'a>,
}

impl Pop<'_> {
    fn command(&mut self, line: &str, what: &str) -> Result<String, StepOutcome> {
        self.lines.send(line, what)?;
        self.lines.line(what)
    }
}

impl Dialect for Pop<'_> {
    fn capabilities(&mut self, auth: Auth) -> Result<(), StepOutcome> {
        let host = self.lines.host;
        let greeting = self.lines.line("the connection")?;
        if !greeting.starts_with("+OK") {
            return Err(StepOutcome::Failed(format!("{host} greeted with `{greeting}`, not `+OK`")));
        }
        if !self.command("CAPA", "CAPA")?.starts_with("+OK") {
            // CAPA is optional (RFC 2449): nothing is known, so nothing is reported.
            return Ok(());
        }
        let (capabilities, ()) = self.lines.read_reply("CAPA", "an answer", |line| {
            Ok(if line == "." { ReplyLine::Last(()) } else { ReplyLine::More(line.to_ascii_uppercase()) })
        })?;
        let sasl =
            |m: &str| capabilities.iter().any(|c| c.starts_with("SASL ") && c.split_whitespace().any(|w| w == m));
        match auth {
            Auth::Xoauth2 if !sasl("XOAUTH2") => Err(StepOutcome::Failed(format!(
                "{host} does not offer SASL XOAUTH2 (its capabilities: {}), which `mailbox.auth: xoauth2` needs",
                capabilities.join("; ")
            ))),
            Auth::Plain | Auth::Login if !capabilities.iter().any(|c| c == "USER") => {
                Err(StepOutcome::Failed(format!(
                    "{host} does not offer USER/PASS (its capabilities: {}): it takes no password login; use `auth: xoauth2`",
                    capabilities.join("; ")
                )))
            }
            _ => Ok(()),
        }
    }

    fn login(&mut self, user: &str, auth: Auth, secret: &str) -> Result<(), StepOutcome> {
        let reply = match auth {
            Auth::Plain | Auth::Login => {
                let reply = self.command(&format!("USER {user}"), "USER")?;
                if reply.starts_with("+OK") {
                    self.lines.send(&format!("PASS {secret}"), "PASS")?;
                    self.lines.line("PASS")?
                } else {
                    reply
                }
            }
            Auth::Xoauth2 => {
                let mut reply = self.command("AUTH XOAUTH2", "AUTH")?;
                let mut answers = [xoauth2(user, secret), String::new()].into_iter();
                while reply.starts_with('+') && !reply.starts_with("+OK") {
                    let answer = answers.next().ok_or_else(|| kept_asking(self.lines.host))?;
                    reply = self.command(&answer, "AUTH")?;
                }
                reply
            }
        };
        judge(reply.starts_with("+OK"), &reply, self.lines.host, user, secret)
    }

    fn logout(&mut self) {
        let _ = self.command("QUIT", "QUIT");
    }
}
