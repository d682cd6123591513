//! An SMTP server on 127.0.0.1 (plain text, STARTTLS or implicit TLS) that answers as a test tells it,
//! for the probe's cases the real servers cannot be made to show: a server that accepts the
//! connection and never speaks, one whose EHLO reply lacks STARTTLS or advertises a
//! SIZE below NHSmail's, a relay that refuses MAIL FROM or RCPT TO, and two that would keep a
//! client for ever: one whose EHLO reply never ends (a line every so often, or a flood)
//! and one that answers every AUTH line with another challenge. It keeps every command
//! it was sent, so a test can show that nothing was sent (no DATA) and that the probe
//! cleared its transaction (RSET). Serves until the test process ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::common::Certificates;

#[derive(Clone)]
pub struct Script {
    /// `None`: accept the connection and never say anything.
    pub banner: Option<&'static str>,
    /// The EHLO reply's extension lines (after the greeting line).
    pub extensions: Vec<&'static str>,
    pub mail_reply: &'static str,
    pub rcpt_reply: &'static str,
    /// TLS from the first byte (`tls: implicit`), with a certificate for localhost.
    pub implicit_tls: Option<Arc<rustls::ServerConfig>>,
    /// STARTTLS offered in the EHLO reply (`tls: starttls`), with a certificate for localhost.
    pub starttls: Option<Arc<rustls::ServerConfig>>,
    /// The EHLO reply goes on for ever, a continuation line after each such pause.
    pub endless_ehlo: Option<std::time::Duration>,
    /// AUTH, and every line after it, is answered `334` (another challenge).
    pub endless_auth: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            banner: Some("220 localhost ESMTP test"),
            extensions: vec!["PIPELINING", "8BITMIME"],
            mail_reply: "250 2.1.0 Ok",
            rcpt_reply: "250 2.1.5 Ok",
            implicit_tls: None,
            starttls: None,
            endless_ehlo: None,
            endless_auth: false,
        }
    }
}

/// A TLS server configuration presenting `certificates`' certificate for localhost.
pub fn tls_config(certificates: &Certificates) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_file(&certificates.cert).expect("certificate")];
    let key = PrivateKeyDer::from_pem_file(&certificates.key).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    Arc::new(config)
}

pub struct ScriptedSmtp {
    pub port: u16,
    commands: Arc<Mutex<Vec<String>>>,
    peers: Arc<Mutex<Vec<IpAddr>>>,
}

impl ScriptedSmtp {
    pub fn start(script: Script) -> ScriptedSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let commands: Arc<Mutex<Vec<String>>> = Arc::default();
        let peers: Arc<Mutex<Vec<IpAddr>>> = Arc::default();
        let (seen, callers) = (commands.clone(), peers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(peer) = stream.peer_addr() {
                    callers.lock().expect("lock").push(peer.ip());
                }
                let (script, seen) = (script.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &script, &seen));
            }
        });
        ScriptedSmtp { port, commands, peers }
    }

    /// The address each connection came from.
    pub fn peers(&self) -> Vec<IpAddr> {
        self.peers.lock().expect("lock").clone()
    }

    /// Every command received, over all connections.
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().expect("lock").clone()
    }
}

fn serve(stream: TcpStream, script: &Script, seen: &Mutex<Vec<String>>) {
    let Some(banner) = script.banner else {
        // Hold the connection open, silent whatever comes, until the client gives up and
        // closes it.
        let _ = std::io::copy(&mut { stream }, &mut std::io::sink());
        return;
    };
    let tls = |config: &Arc<rustls::ServerConfig>, stream| {
        rustls::ServerConnection::new(config.clone()).ok().map(|c| rustls::StreamOwned::new(c, stream))
    };
    match &script.implicit_tls {
        None => {
            let upgrade = converse(BufReader::new(stream), Some(banner), script, seen);
            // After `220` to STARTTLS the conversation starts again over TLS, without a banner.
            if let Some(stream) = upgrade.zip(script.starttls.as_ref()).and_then(|(s, config)| tls(config, s)) {
                converse(BufReader::new(stream), None, script, seen);
            }
        }
        Some(config) => {
            if let Some(stream) = tls(config, stream) {
                converse(BufReader::new(stream), Some(banner), script, seen);
            }
        }
    }
}

/// Answers commands until the client leaves; returns the stream when the client asked for
/// STARTTLS (offered only while `banner` is given, so before TLS).
fn converse<S: Read + Write>(
    mut stream: BufReader<S>,
    banner: Option<&str>,
    script: &Script,
    seen: &Mutex<Vec<String>>,
) -> Option<S> {
    let say = |stream: &mut BufReader<S>, line: String| {
        let writer = stream.get_mut();
        writer.write_all(format!("{line}\r\n").as_bytes()).and_then(|()| writer.flush()).is_ok()
    };
    if let Some(banner) = banner
        && !say(&mut stream, banner.to_owned())
    {
        return None;
    }
    let starttls = script.starttls.is_some() && banner.is_some();
    let mut line = String::new();
    let read = |stream: &mut BufReader<S>, line: &mut String| {
        line.clear();
        stream.read_line(line).is_ok_and(|n| n > 0)
    };
    let mut authenticating = false;
    while read(&mut stream, &mut line) {
        let line = line.trim_end().to_owned();
        seen.lock().expect("lock").push(line.clone());
        let verb = line.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        authenticating |= script.endless_auth && verb == "AUTH";
        let ok = match verb.as_str() {
            _ if authenticating => say(&mut stream, "334 ".to_owned()),
            // Until the client gives up and closes the connection.
            "EHLO" if script.endless_ehlo.is_some() => {
                let pause = script.endless_ehlo.unwrap_or_default();
                std::iter::repeat_with(|| {
                    std::thread::sleep(pause);
                    say(&mut stream, "250-X-MORE".to_owned())
                })
                .all(|written| written)
            }
            "EHLO" => {
                let mut lines = vec!["localhost".to_owned()];
                lines.extend(starttls.then(|| "STARTTLS".to_owned()));
                lines.extend(script.extensions.iter().map(|e| (*e).to_owned()));
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .all(|(i, l)| say(&mut stream, format!("250{}{l}", if i == last { ' ' } else { '-' })))
            }
            "MAIL" => say(&mut stream, script.mail_reply.to_owned()),
            "RCPT" => say(&mut stream, script.rcpt_reply.to_owned()),
            "RSET" | "NOOP" => say(&mut stream, "250 2.0.0 Ok".to_owned()),
            "DATA" => {
                // The message itself is not kept: the tests count DATA commands.
                let mut data = String::new();
                let taken = say(&mut stream, "354 End data with <CR><LF>.<CR><LF>".to_owned())
                    && std::iter::from_fn(|| read(&mut stream, &mut data).then(|| data.trim_end() == "."))
                        .any(|end| end);
                taken && say(&mut stream, "250 2.0.0 Queued".to_owned())
            }
            "STARTTLS" if starttls => {
                return say(&mut stream, "220 2.0.0 Ready to start TLS".to_owned()).then(|| stream.into_inner());
            }
            "QUIT" => {
                say(&mut stream, "221 2.0.0 Bye".to_owned());
                return None;
            }
            _ => say(&mut stream, "502 5.5.2 Command not recognized".to_owned()),
        };
        if !ok {
            return None;
        }
    }
    None
}

/// A port whose server, once connected, sends the start of a 16 KiB TLS handshake record
/// and then a byte every 300 ms: each read is within any timeout of a second or more,
/// the record never whole. Serves until the test process ends.
pub fn trickling_handshake() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut tcp = tcp;
                let mut written = tcp.write_all(&[0x16, 0x03, 0x03, 0x3f, 0xff]);
                while written.is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    written = tcp.write_all(&[0]);
                }
            });
        }
    });
    port
}
