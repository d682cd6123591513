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
pub enum StepOutcome {
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
pub struct Findings<S> {
    /// Each step as it was made, in order.
    pub steps: Vec<(S, StepOutcome)>,
}

impl<S> Default for Findings<S> {
    fn default() -> Self {
        Findings { steps: Vec::new() }
    }
}

/// The probe stopped at a step that failed (already recorded).
pub struct Stopped;

impl<S: Copy + PartialEq> Findings<S> {
    /// How `step` went: its last outcome (the SMTP greeting is made again after STARTTLS).
    pub fn step(&self, step: S) -> Option<&StepOutcome> {
        self.steps.iter().rev().find(|(s, _)| *s == step).map(|(_, o)| o)
    }

    /// Whether every step reached passed (or only warned).
    pub fn ok(&self) -> bool {
        !self.steps.iter().any(|(_, o)| matches!(o, StepOutcome::Failed(_) | StepOutcome::NoAnswer(_)))
    }

    pub fn pass(&mut self, step: S) {
        self.steps.push((step, StepOutcome::Passed));
    }

    pub fn stop(&mut self, step: S, outcome: StepOutcome) -> Stopped {
        self.steps.push((step, outcome));
        Stopped
    }

    /// The TCP connection to `host:port` (from `source`) as step `connect`, and the TLS settings (the
    /// roots and `ca_file`) that step `tls` will use.
    pub fn connect<'a>(
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
    pub fn secure(
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

/// A line protocol's conversation: lines out, lines in.
pub struct Lines<'a> {
    /// `None` only while TLS is being set up.
    stream: Option<Stream>,
    buffer: Vec<u8>,
    pub host: &'a str,
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
    pub fn send(&mut self, line: &str, what: &str) -> Result<(), StepOutcome> {
        let stream = self.stream.as_mut().expect("connected").io();
        let written = stream.write_all(format!("{line}\r\n").as_bytes()).and_then(|()| stream.flush());
        self.deadline = Deadline::after(self.timeout);
        written.map_err(|e| self.lost(&e, what))
    }

    /// The next line, without its line break; `after` names what it answers.
    pub fn line(&mut self, after: &str) -> Result<String, StepOutcome> {
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
pub fn mask(text: &str, secrets: &[&str]) -> String {
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

    #[test]
    fn echoed_secrets_are_masked() {
        assert_eq!(
            mask("535 bad hunter2 (aHVudGVyMg==)", &["hunter2", "aHVudGVyMg==", ""]),
            "535 bad (hidden) ((hidden))"
        );
    }
}
