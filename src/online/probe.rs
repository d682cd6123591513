//! What the SMTP and mailbox probes share: how a step went (`StepOutcome`), the steps a
//! probe reached (`Findings`), and the line-by-line conversation with the server over
//! TCP and then TLS (`Lines`), every read and write bounded by the timeout, with the
//! certificate verified and its end date read (`tls.rs`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::deadline::{Bound, Deadline, Unarmed};
use super::{net, tls};

/// How one step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    Passed,
    /// The server or the set-up is wrong: a finding.
    Failed(String),
    /// A lesser finding (a certificate near its end).
    Warning(String),
    /// The server stopped answering, or deferred: nothing can be said ("could not check").
    NoAnswer(String),
}

/// The steps a probe reached, in order (it stops at the first that fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Findings<S> {
    /// Each step as it was made, in order.
    pub(crate) steps: Vec<(S, StepOutcome)>,
}

impl<S> Default for Findings<S> {
    fn default() -> Self {
        Findings { steps: Vec::new() }
    }
}

/// The probe stopped at a step that failed (already recorded).
pub(crate) struct Stopped;

impl<S: Copy + PartialEq> Findings<S> {
    /// How `step` went: its last outcome (the SMTP greeting is made again after STARTTLS).
    pub(crate) fn step(&self, step: S) -> Option<&StepOutcome> {
        self.steps.iter().rev().find(|(s, _)| *s == step).map(|(_, o)| o)
    }

    /// Whether every step reached passed (or only warned).
    #[cfg(test)]
    pub(crate) fn ok(&self) -> bool {
        !self.steps.iter().any(|(_, o)| matches!(o, StepOutcome::Failed(_) | StepOutcome::NoAnswer(_)))
    }

    pub(crate) fn pass(&mut self, step: S) {
        self.steps.push((step, StepOutcome::Passed));
    }

    pub(crate) fn stop(&mut self, step: S, outcome: StepOutcome) -> Stopped {
        self.steps.push((step, outcome));
        Stopped
    }

    /// The TCP connection to `host:port` (from `source`) as step `connect`, and the TLS settings (the
    /// roots and `ca_file`) that step `tls` will use.
    pub(crate) fn connect<'a>(
        &mut self,
        (host, port, timeout): (&'a str, u16, Duration),
        (source, ca_file): (Option<std::net::IpAddr>, Option<&Path>),
        (connect, tls): (S, S),
    ) -> Result<(Lines<'a>, Arc<rustls::ClientConfig>), Stopped> {
        let tcp = net::connect(host, port, timeout, source)
            .map_err(|e| self.stop(connect, StepOutcome::Failed(e.to_string())))?;
        self.pass(connect);
        let config = tls::client_config(ca_file).map_err(|e| self.stop(tls, StepOutcome::Failed(e.to_string())))?;
        Ok((Lines::new(tcp, host, timeout), config))
    }

    /// The TLS handshake over `lines` as step `tls`, then the certificate's end date
    /// as step `certificate` (a warning within 14 days).
    pub(crate) fn secure(
        &mut self,
        lines: &mut Lines<'_>,
        config: Arc<rustls::ClientConfig>,
        tls: S,
        certificate: S,
    ) -> Result<(), Stopped> {
        let Some(Stream::Plain(tcp)) = lines.stream.take() else { unreachable!("TLS is set up once, on TCP") };
        // Each read of the handshake gets the whole timeout, not what the last reply left.
        let _ = tcp.set_read_timeout(Some(lines.timeout));
        let stream = tls::handshake(config, lines.host, tcp).map_err(|e| {
            let outcome = match e {
                tls::HandshakeError::Refused(why) => StepOutcome::Failed(why),
                e @ tls::HandshakeError::NoAnswer { .. } => StepOutcome::NoAnswer(e.to_string()),
            };
            self.stop(tls, outcome)
        })?;
        self.pass(tls);
        match tls::expiring(&stream.conn, lines.host) {
            Some(warning) => self.steps.push((certificate, StepOutcome::Warning(warning))),
            None => self.pass(certificate),
        }
        lines.stream = Some(Stream::Tls(Box::new(stream)));
        lines.deadline = Deadline::after(lines.timeout);
        Ok(())
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tls::TlsStream>),
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Stream {
    fn io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.as_mut(),
        }
    }

    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// The most lines one reply may have: a reply is held in memory until it ends, and a
/// server that floods lines must not fill it (an EHLO reply has a dozen or two).
const MAX_REPLY_LINES: usize = 1000;

/// A line of a reply of many lines, as the protocol reads it: one more, or the last.
pub(crate) enum ReplyLine<T, L> {
    More(T),
    Last(L),
}

/// A line protocol's conversation: lines out, lines in.
pub(crate) struct Lines<'a> {
    /// `None` only while TLS is being set up.
    stream: Option<Stream>,
    buffer: Vec<u8>,
    pub(crate) host: &'a str,
    timeout: Duration,
    /// When the reply being read must be whole: the timeout bounds each reply as a
    /// whole, so a server that trickles bytes or floods lines cannot hold the run.
    deadline: Deadline,
}

impl<'a> Lines<'a> {
    fn new(tcp: TcpStream, host: &'a str, timeout: Duration) -> Lines<'a> {
        Lines {
            stream: Some(Stream::Plain(tcp)),
            buffer: Vec::new(),
            host,
            timeout,
            deadline: Deadline::after(timeout),
        }
    }

    /// Sends `line`; `what` names it in errors (never a secret).
    pub(crate) fn send(&mut self, line: &str, what: &str) -> Result<(), StepOutcome> {
        let stream = self.stream.as_mut().expect("connected").io();
        let written = stream.write_all(format!("{line}\r\n").as_bytes()).and_then(|()| stream.flush());
        self.deadline = Deadline::after(self.timeout);
        written.map_err(|e| self.lost(&e, what))
    }

    /// The next line, without its line break; `after` names what it answers.
    pub(crate) fn line(&mut self, after: &str) -> Result<String, StepOutcome> {
        loop {
            if let Some(end) = memchr::memchr(b'\n', &self.buffer) {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_owned());
            }
            if self.buffer.len() > 64 * 1024 {
                return Err(StepOutcome::Failed(format!("{} sent a line of over 64 KiB", self.host)));
            }
            let mut chunk = [0u8; 4096];
            let stream = self.stream.as_mut().expect("connected");
            match self.deadline.arm(stream.socket(), Bound::Reads) {
                Ok(()) => {}
                Err(Unarmed::Passed) => return Err(self.no_reply(after)),
                Err(Unarmed::Socket(e)) => return Err(self.lost(&e, after)),
            }
            match stream.io().read(&mut chunk) {
                Ok(0) => return Err(StepOutcome::Failed(format!("{} closed the connection after {after}", self.host))),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.lost(&e, after)),
            }
        }
    }

    /// The lines of one reply of many, each read by `read` as one more or the last (a
    /// line it refuses ends the reply with its failure): those before the last, and
    /// the last. `after` names what it answers; `called` is what the protocol's replies
    /// are called in the failure for one of over `MAX_REPLY_LINES` lines (`a reply`).
    pub(crate) fn read_reply<T, L>(
        &mut self,
        after: &str,
        called: &str,
        mut read: impl FnMut(String) -> Result<ReplyLine<T, L>, StepOutcome>,
    ) -> Result<(Vec<T>, L), StepOutcome> {
        let mut more = Vec::new();
        loop {
            match read(self.line(after)?)? {
                ReplyLine::Last(last) => return Ok((more, last)),
                ReplyLine::More(line) => more.push(line),
            }
            if more.len() >= MAX_REPLY_LINES {
                let why = format!("{} sent {called} to {after} of over {MAX_REPLY_LINES} lines", self.host);
                return Err(StepOutcome::Failed(why));
            }
        }
    }

    fn no_reply(&self, after: &str) -> StepOutcome {
        let seconds = self.timeout.as_secs().max(1);
        StepOutcome::NoAnswer(format!("{} stopped answering: no reply to {after} within {seconds}s", self.host))
    }

    fn lost(&self, e: &std::io::Error, after: &str) -> StepOutcome {
        if net::timed_out(e) {
            self.no_reply(after)
        } else {
            StepOutcome::Failed(format!("the connection to {} failed after {after}: {e}", self.host))
        }
    }
}

/// `text` with each of `secrets` replaced, should a server echo one back.
pub(crate) fn mask(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "(hidden)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_made_again_is_judged_by_its_last_outcome() {
        let mut findings = Findings::default();
        findings.pass("greeting");
        findings.pass("tls");
        let _stopped = findings.stop("greeting", StepOutcome::Failed("EHLO refused after STARTTLS".into()));
        assert_eq!(findings.step("greeting"), Some(&StepOutcome::Failed("EHLO refused after STARTTLS".into())));
        assert_eq!(findings.step("tls"), Some(&StepOutcome::Passed));
        assert_eq!(findings.step("login"), None);
        assert!(!findings.ok());
    }

    /// `Lines` reading what a server sends at once: `replies`.
    fn lines_from(replies: String) -> Lines<'static> {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let tcp = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        server.write_all(replies.as_bytes()).expect("write");
        Lines::new(tcp, "mail.example", Duration::from_secs(5))
    }

    /// SMTP's reading: `250-` goes on, `250 ` is the last line.
    fn smtp(line: String) -> Result<ReplyLine<String, String>, StepOutcome> {
        Ok(match line.strip_prefix("250-") {
            Some(more) => ReplyLine::More(more.to_owned()),
            None => ReplyLine::Last(line),
        })
    }

    #[test]
    fn a_reply_is_its_lines_up_to_the_last_and_a_flood_is_refused() {
        let mut lines = lines_from("250-a\r\n250-b\r\n250 c\r\n".to_owned());
        let reply = lines.read_reply("EHLO", "a reply", smtp);
        assert_eq!(reply.ok(), Some((vec!["a".to_owned(), "b".to_owned()], "250 c".to_owned())));
        let mut lines = lines_from(format!("{}250 last\r\n", "250-x\r\n".repeat(MAX_REPLY_LINES - 1)));
        let (more, last) = lines.read_reply("EHLO", "a reply", smtp).expect("just under the cap");
        assert_eq!((more.len(), last.as_str()), (MAX_REPLY_LINES - 1, "250 last"));
        let mut lines = lines_from("250-x\r\n".repeat(MAX_REPLY_LINES));
        let flood = "mail.example sent an answer to CAPA of over 1000 lines";
        assert_eq!(lines.read_reply("CAPA", "an answer", smtp).err(), Some(StepOutcome::Failed(flood.into())));
    }

    #[test]
    fn a_line_the_protocol_refuses_ends_the_reply_with_its_failure() {
        let mut lines = lines_from("HTTP/1.1 400\r\n".to_owned());
        let refused = StepOutcome::Failed("not SMTP".into());
        let reply = lines.read_reply("EHLO", "a reply", |_| Err::<ReplyLine<(), ()>, _>(refused.clone()));
        assert_eq!(reply.err(), Some(refused));
    }

    #[test]
    fn echoed_secrets_are_masked() {
        assert_eq!(
            mask("535 bad hunter2 (aHVudGVyMg==)", &["hunter2", "aHVudGVyMg==", ""]),
            "535 bad (hidden) ((hidden))"
        );
    }
}
