//! The SMTP probe: what swaks does by hand, once a run, against `transport.host:port`
//! within `transport.timeout`. Connect; banner and EHLO; STARTTLS (or the implicit
//! handshake) with the certificate verified and its end date read; the configured AUTH
//! mechanism advertised; SIZE; with `--login` (and before every `--send` but a dry run)
//! the login itself, then QUIT without MAIL; in relay mode `MAIL FROM:<account>` and,
//! with `--rcpt`, `RCPT TO`, each undone with RSET. It stops at the first step that
//! fails (a warning, such as a certificate near its end, does not stop it, nor does a
//! small SIZE, which only large messages would meet); the rules read one step each
//! (`functions/smtp_probe.rs`).
//!
//! Written over rustls rather than lettre's connection: lettre keeps the EHLO reply's
//! SIZE and the server's certificate to itself, and folds connect, banner and EHLO into
//! one call, where the probe must tell each apart.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::probe::{Lines, ReplyLine, StepOutcome, Stopped, mask};
use super::secret;
use crate::config::connection::Login;
use crate::config::setting::{Auth, Setting};
use crate::config::transport::{Mode, Tls, Transport};

/// The probe's steps, each read by a rule of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Step {
    Connect,
    Greeting,
    Tls,
    Certificate,
    Auth,
    Size,
    Login,
    Sender,
    Recipient,
}

/// What the probe found: the steps it reached, and the SIZE the server advertised
/// (`None`: no limit, or not reached).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Probed {
    pub(crate) findings: super::probe::Findings<Step>,
    pub(crate) size: Option<u64>,
}

/// What the command line asks of the probe beyond the connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Log in (`preflight --login`; before `--send`, but for a dry run).
    pub(crate) login: bool,
    /// `--rcpt`: ask the server whether it takes this recipient.
    pub(crate) rcpt: Option<String>,
}

/// The transport, probed once a run however many rules ask.
pub(crate) struct SmtpProbe {
    transport: Transport,
    account: Option<String>,
    request: Request,
    probed: OnceLock<Probed>,
}

impl SmtpProbe {
    pub(crate) fn new(transport: Transport, account: Option<String>, request: Request) -> SmtpProbe {
        SmtpProbe { transport, account, request, probed: OnceLock::new() }
    }

    /// What the probe found; `dns` gives the relay's EHLO name as `--send` gives it.
    pub(crate) fn probed(&self, dns: &super::dns::Dns) -> &Probed {
        self.probed.get_or_init(|| {
            let mut probed = Probed::default();
            let hello = super::smtp::hello_name(&self.transport, Some(dns))
                .unwrap_or_else(|| lettre::transport::smtp::extension::ClientId::default().to_string());
            let _stopped = probe(&self.transport, self.account.as_deref(), &self.request, &hello, &mut probed);
            probed
        })
    }
}

fn probe(
    t: &Transport,
    account: Option<&str>,
    request: &Request,
    hello: &str,
    probed: &mut Probed,
) -> Result<(), Stopped> {
    let found = &mut probed.findings;
    let host = t.server.host.value.as_str();
    let (lines, config) = found.connect(
        (host, t.server.port.value, t.server.timeout),
        (t.source_ip.as_ref().map(|ip| ip.value), t.server.ca_file.as_deref()),
        (Step::Connect, Step::Tls),
    )?;
    let mut session = Session(lines);
    if t.tls.value == Tls::Implicit {
        found.secure(&mut session.0, config.clone(), Step::Tls, Step::Certificate)?;
    }
    let banner = session.reply("the connection").map_err(|o| found.stop(Step::Greeting, o))?;
    if banner.code != 220 {
        return Err(found.stop(Step::Greeting, StepOutcome::Failed(format!("{host} greeted with `{banner}`, not 220"))));
    }
    let mut extensions = session.ehlo(hello).map_err(|o| found.stop(Step::Greeting, o))?;
    found.pass(Step::Greeting);
    let offered = extensions.iter().any(|e| e.eq_ignore_ascii_case("STARTTLS"));
    if t.tls.value == Tls::Starttls && !offered {
        let why = format!("{host} does not offer STARTTLS in its EHLO reply, so the connection cannot be encrypted");
        if t.mode.value == Mode::Submission {
            return Err(found.stop(Step::Tls, StepOutcome::Failed(why)));
        }
        // The relay's TLS is opportunistic (as `--send` uses it): mail still goes, in clear.
        found.steps.push((Step::Tls, StepOutcome::Warning(format!("{why}; the relay will be used without TLS"))));
    } else if t.tls.value == Tls::Starttls {
        let reply = session.command("STARTTLS").map_err(|o| found.stop(Step::Tls, o))?;
        if reply.code != 220 {
            return Err(found.stop(Step::Tls, StepOutcome::Failed(format!("{host} answered STARTTLS with `{reply}`"))));
        }
        found.secure(&mut session.0, config, Step::Tls, Step::Certificate)?;
        extensions = session.ehlo(hello).map_err(|o| found.stop(Step::Greeting, o))?;
    }
    if t.mode.value == Mode::Submission {
        let wanted = mechanism(t.login.auth.value);
        let offered: Vec<&str> = extensions
            .iter()
            // `AUTH PLAIN LOGIN`, or the older `AUTH=PLAIN LOGIN` some servers still send.
            .filter_map(|e| e.split_once([' ', '=']).filter(|(k, _)| k.eq_ignore_ascii_case("AUTH")).map(|(_, m)| m))
            .flat_map(str::split_whitespace)
            .collect();
        if !offered.iter().any(|m| m.eq_ignore_ascii_case(wanted)) {
            let offers = match offered.is_empty() {
                true => "no AUTH mechanism".to_owned(),
                false => format!("AUTH {}", offered.join(" ")),
            };
            let after = if t.tls.value == Tls::None { "" } else { " after TLS" };
            let why = format!("{host} offers {offers}{after}, not {wanted} (`transport.auth`)");
            return Err(found.stop(Step::Auth, StepOutcome::Failed(why)));
        }
        found.pass(Step::Auth);
    }
    probed.size = extensions
        .iter()
        .filter_map(|e| e.strip_prefix("SIZE").or_else(|| e.strip_prefix("size")))
        .find_map(|limit| limit.trim().parse::<u64>().ok())
        .filter(|&limit| limit > 0);
    let found = &mut probed.findings;
    found.pass(Step::Size);
    let submission = t.mode.value == Mode::Submission;
    if submission && (request.login || request.rcpt.is_some()) {
        if t.tls.value == Tls::None {
            // A secret never crosses the network in clear, not even to test it.
            let why = "not tried: the login would send the password in clear (`transport.tls: none`); \
                       submission needs `tls: starttls` (port 587)";
            return Err(found.stop(Step::Login, StepOutcome::Failed(why.to_owned())));
        }
        session.login(&t.login).map_err(|o| found.stop(Step::Login, o))?;
        found.pass(Step::Login);
    }
    // The sender asked about: the account, else (submission) the login's name.
    let sender = account.or_else(|| t.login.username.as_ref().map(|u| u.value.as_str()));
    if sender.is_none() && request.rcpt.is_some() {
        // --rcpt asked a question; no answer is not a pass.
        let why = "there is no `account` to give as MAIL FROM, so RCPT TO cannot be asked: set `account`";
        return Err(found.stop(Step::Recipient, StepOutcome::Failed(why.to_owned())));
    }
    if let Some(account) = sender.filter(|_| !submission || request.rcpt.is_some()) {
        session.transaction(Step::Sender, &format!("MAIL FROM:<{account}>"), found)?;
        if let Some(rcpt) = &request.rcpt {
            session.transaction(Step::Recipient, &format!("RCPT TO:<{rcpt}>"), found)?;
        }
        // Nothing is sent: the transaction is cleared before QUIT.
        let _ = session.command("RSET");
    }
    let _ = session.command("QUIT");
    Ok(())
}

fn mechanism(auth: Auth) -> &'static str {
    match auth {
        Auth::Plain => "PLAIN",
        Auth::Login => "LOGIN",
        Auth::Xoauth2 => "XOAUTH2",
    }
}

/// One server reply: its code and its lines' text.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" ").trim())
    }
}

/// The SMTP dialogue: commands out, replies in.
struct Session<'a>(Lines<'a>);

impl Session<'_> {
    fn ehlo(&mut self, hello: &str) -> Result<Vec<String>, StepOutcome> {
        let reply = self.command(&format!("EHLO {hello}"))?;
        if reply.code != 250 {
            return Err(StepOutcome::Failed(format!("{} answered EHLO {hello} with `{reply}`", self.0.host)));
        }
        Ok(reply.lines.into_iter().skip(1).map(|l| l.trim().to_owned()).collect())
    }

    fn command(&mut self, line: &str) -> Result<Reply, StepOutcome> {
        let what = line.split(':').next().unwrap_or(line).split(' ').next().unwrap_or(line).to_owned();
        self.0.send(line, &what)?;
        self.reply(&what)
    }

    /// The next reply, its continuation lines (`250-`) joined.
    fn reply(&mut self, after: &str) -> Result<Reply, StepOutcome> {
        let host = self.0.host;
        let (mut lines, (code, last)) = self.0.read_reply(after, "a reply", |line| {
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok()).ok_or_else(|| {
                StepOutcome::Failed(format!("{host} does not speak SMTP: it answered {after} with `{}`", line.trim()))
            })?;
            let text = line.get(4..).unwrap_or("").trim_end().to_owned();
            // `250-` goes on; `250 ` (or a bare code) is the last line, whose code is the reply's.
            Ok(match line.as_bytes().get(3) {
                Some(b'-') => ReplyLine::More(text),
                _ => ReplyLine::Last((code, text)),
            })
        })?;
        lines.push(last);
        Ok(Reply { code, lines })
    }

    /// AUTH with the configured mechanism and secret. A refusal names the server's reply,
    /// with the secret (and its base64 forms) masked should the server echo it.
    fn login(&mut self, login: &Login<Option<Setting<String>>>) -> Result<(), StepOutcome> {
        let Some(source) = &login.secret else {
            return Err(StepOutcome::Failed(
                "there is no password_env, password_file or token_command to log in with".into(),
            ));
        };
        let credential =
            secret::fetch(&source.value).map_err(|e| StepOutcome::Failed(format!("cannot log in: {e}")))?;
        let secret = credential.expose();
        let user = login.username.as_ref().map_or("", |u| u.value.as_str());
        let answers: Vec<String> = match login.auth.value {
            Auth::Plain => vec![format!("AUTH PLAIN {}", BASE64.encode(format!("\0{user}\0{secret}")))],
            Auth::Login => vec!["AUTH LOGIN".into(), BASE64.encode(user), BASE64.encode(secret)],
            Auth::Xoauth2 => {
                vec![format!("AUTH XOAUTH2 {}", BASE64.encode(format!("user={user}\x01auth=Bearer {secret}\x01\x01")))]
            }
        };
        let hidden: Vec<&str> = answers.iter().map(String::as_str).chain([secret]).collect();
        let mask = |reply: &Reply| mask(&reply.to_string(), &hidden);
        let mut answers_left = answers.iter();
        let mut reply = self.command_hidden(answers_left.next().expect("one at least"))?;
        // Each answer once, then one empty line; a server that challenges beyond that
        // would keep the probe going for ever.
        let mut challenges = 0;
        while reply.code == 334 {
            challenges += 1;
            if challenges > answers.len() {
                let why = format!(
                    "{} kept asking (`334`) after every answer of AUTH {}",
                    self.0.host,
                    mechanism(login.auth.value)
                );
                return Err(StepOutcome::Failed(why));
            }
            // A challenge: the next answer, or (XOAUTH2's error) an empty line, after
            // which the server ends the exchange with its refusal.
            let next = answers_left.next().map_or("", String::as_str);
            reply = self.command_hidden(next)?;
        }
        match reply.code {
            235 => Ok(()),
            400..=499 => Err(StepOutcome::NoAnswer(format!("{} deferred the login: `{}`", self.0.host, mask(&reply)))),
            _ => Err(StepOutcome::Failed(format!("{} refused the login of {user}: `{}`", self.0.host, mask(&reply)))),
        }
    }

    /// A command that carries a secret: errors name it as AUTH, never by its text.
    fn command_hidden(&mut self, line: &str) -> Result<Reply, StepOutcome> {
        self.0.send(line, "AUTH")?;
        self.reply("AUTH")
    }

    /// MAIL FROM or RCPT TO: a 5xx is the step's finding, a 4xx says nothing for sure.
    fn transaction(&mut self, step: Step, line: &str, found: &mut super::probe::Findings<Step>) -> Result<(), Stopped> {
        let reply = self.command(line).map_err(|o| found.stop(step, o))?;
        match reply.code {
            200..=299 => {
                found.pass(step);
                Ok(())
            }
            400..=499 => {
                let why = format!("{} deferred `{line}`: `{reply}`", self.0.host);
                Err(found.stop(step, StepOutcome::NoAnswer(why)))
            }
            _ => Err(found.stop(step, StepOutcome::Failed(format!("{} refused `{line}`: `{reply}`", self.0.host)))),
        }
    }
}
