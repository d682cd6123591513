//! A plain-text SMTP server on 127.0.0.1 that answers as a test tells it, for the
//! probe's cases the real servers cannot be made to show: a server that accepts the
//! connection and never speaks, one whose EHLO reply lacks STARTTLS or advertises a
//! small SIZE, and a relay that refuses MAIL FROM or RCPT TO. It keeps every command
//! it was sent, so a test can show that nothing was sent (no DATA) and that the probe
//! cleared its transaction (RSET). Serves until the test process ends.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Script {
    /// `None`: accept the connection and never say anything.
    pub banner: Option<&'static str>,
    /// The EHLO reply's extension lines (after the greeting line).
    pub extensions: Vec<&'static str>,
    pub mail_reply: &'static str,
    pub rcpt_reply: &'static str,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            banner: Some("220 localhost ESMTP test"),
            extensions: vec!["PIPELINING", "8BITMIME"],
            mail_reply: "250 2.1.0 Ok",
            rcpt_reply: "250 2.1.5 Ok",
        }
    }
}

pub struct ScriptedSmtp {
    pub port: u16,
    commands: Arc<Mutex<Vec<String>>>,
}

impl ScriptedSmtp {
    pub fn start(script: Script) -> ScriptedSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let commands: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = commands.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (script, seen) = (script.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &script, &seen));
            }
        });
        ScriptedSmtp { port, commands }
    }

    /// Every command received, over all connections.
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().expect("lock").clone()
    }
}

fn serve(stream: std::net::TcpStream, script: &Script, seen: &Mutex<Vec<String>>) {
    let Some(banner) = script.banner else {
        // Hold the connection open, silent, until the client gives up and closes it.
        let mut reader = BufReader::new(stream);
        let _ = reader.fill_buf();
        return;
    };
    let mut writer = stream.try_clone().expect("clone");
    let mut say = |line: String| writer.write_all(format!("{line}\r\n").as_bytes()).is_ok();
    if !say(banner.to_owned()) {
        return;
    }
    let mut lines = BufReader::new(stream).lines();
    while let Some(Ok(line)) = lines.next() {
        seen.lock().expect("lock").push(line.clone());
        let verb = line.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        let ok = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["localhost".to_owned()];
                lines.extend(script.extensions.iter().map(|e| (*e).to_owned()));
                let last = lines.len() - 1;
                lines.iter().enumerate().all(|(i, l)| say(format!("250{}{l}", if i == last { ' ' } else { '-' })))
            }
            "MAIL" => say(script.mail_reply.to_owned()),
            "RCPT" => say(script.rcpt_reply.to_owned()),
            "RSET" | "NOOP" => say("250 2.0.0 Ok".to_owned()),
            "DATA" => {
                // The message itself is not kept: the tests count DATA commands.
                let taken = say("354 End data with <CR><LF>.<CR><LF>".to_owned())
                    && lines.by_ref().map_while(Result::ok).any(|l| l == ".");
                taken && say("250 2.0.0 Queued".to_owned())
            }
            "QUIT" => {
                say("221 2.0.0 Bye".to_owned());
                return;
            }
            _ => say("502 5.5.2 Command not recognized".to_owned()),
        };
        if !ok {
            return;
        }
    }
}
