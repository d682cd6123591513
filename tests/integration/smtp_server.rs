//! A real SMTP server for the `--send` tests, started by the tests on 127.0.0.1:
//! mailin-embedded with STARTTLS (a certificate from a throwaway CA, trusted by the
//! client through `transport.ca_file`) and AUTH PLAIN/LOGIN. It keeps what
//! it received and can be told to answer the next commands with given codes.

use std::collections::VecDeque;
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig, response};

use crate::common::{Certificates, Leaf};

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// EHLO/HELO commands seen, over all connections.
    greetings: usize,
    /// Codes to answer RCPT with, first come first served (421 closes the connection).
    rcpt_replies: VecDeque<u16>,
    /// Codes to answer the end of DATA with.
    data_replies: VecDeque<u16>,
    /// Run once a message has been received, before the reply goes back.
    on_delivery: Option<Box<dyn FnOnce() + Send>>,
}

#[derive(Clone)]
struct Session {
    shared: Arc<Mutex<Shared>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

fn reply(code: u16) -> Response {
    let text = match code {
        421 => "Service closing transmission channel",
        451 => "Requested action aborted: try again later",
        550 => "Requested action not taken: mailbox unavailable",
        _ => "Test reply",
    };
    Response::custom(code, text.to_owned())
}

impl Handler for Session {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        self.shared.lock().expect("lock").greetings += 1;
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if let Some(code) = self.shared.lock().expect("lock").rcpt_replies.pop_front() {
            return reply(code);
        }
        self.to.push(to.to_owned());
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.data.clear();
        response::START_DATA
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mut shared = self.shared.lock().expect("lock");
        if let Some(code) = shared.data_replies.pop_front() {
            return reply(code);
        }
        let received = Received { from: self.from.clone(), to: self.to.clone(), data: std::mem::take(&mut self.data) };
        shared.received.push(received);
        if let Some(hook) = shared.on_delivery.take() {
            hook();
        }
        response::OK
    }

    fn auth_plain(&mut self, _authz: &str, _user: &str, password: &str) -> Response {
        if password == PASSWORD { response::AUTH_OK } else { response::INVALID_CREDENTIALS }
    }

    fn auth_login(&mut self, _user: &str, password: &str) -> Response {
        self.auth_plain("", "", password)
    }
}

pub struct TestSmtp {
    pub port: u16,
    /// The CA that signed the server's certificate (PEM), for `transport.ca_file`.
    pub ca_file: PathBuf,
    shared: Arc<Mutex<Shared>>,
    _dir: tempfile::TempDir,
}

impl TestSmtp {
    /// With `auth`, the server offers AUTH PLAIN and LOGIN (submission); without, it is a relay.
    pub fn start(auth: bool) -> TestSmtp {
        TestSmtp::with_certificate(auth, &Leaf::default())
    }

    /// As `start`, presenting a certificate for `leaf` (signed by the CA in `ca_file`).
    pub fn with_certificate(auth: bool, leaf: &Leaf<'_>) -> TestSmtp {
        // mailin builds its TLS config with rustls' process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("dir");
        let certificates = Certificates::write_leaf(dir.path(), leaf);
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let session = Session { shared: shared.clone(), from: String::new(), to: Vec::new(), data: Vec::new() };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut server = Server::new(session);
        server
            .with_name("localhost")
            .with_tcp_listener(listener)
            .with_ssl(SslConfig::SelfSigned {
                cert_path: certificates.cert.display().to_string(),
                key_path: certificates.key.display().to_string(),
            })
            .expect("tls");
        if auth {
            server.with_auth(AuthMechanism::Plain).with_auth(AuthMechanism::Login);
        }
        // Serves until the test process ends.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        TestSmtp { port, ca_file: certificates.ca, shared, _dir: dir }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").received.clone()
    }

    pub fn greetings(&self) -> usize {
        self.shared.lock().expect("lock").greetings
    }

    pub fn reply_to_rcpt(&self, codes: &[u16]) {
        self.shared.lock().expect("lock").rcpt_replies.extend(codes);
    }

    /// Runs `hook` when the next message has been received, before the server says so.
    pub fn on_next_delivery(&self, hook: impl FnOnce() + Send + 'static) {
        self.shared.lock().expect("lock").on_delivery = Some(Box::new(hook));
    }

    pub fn reply_to_data(&self, codes: &[u16]) {
        self.shared.lock().expect("lock").data_replies.extend(codes);
    }
}
