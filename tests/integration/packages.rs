//! The Debian packages the mailbox, XOAUTH2 and directory tests run (Dovecot's IMAP and
//! submission servers, OpenLDAP's slapd): installed by the tests themselves when missing, once per test run, so that
//! `cargo test` does all set-up on a fresh machine. Needs apt-get and root (or sudo
//! without a password); otherwise the tests fail saying what to install.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The servers' programs and the packages that bring them.
const NEEDED: &[(&str, &str)] = &[
    ("/usr/sbin/dovecot", "dovecot-imapd"),
    ("/usr/lib/dovecot/submission", "dovecot-submissiond"),
    ("/usr/sbin/slapd", "slapd"),
    ("/usr/sbin/slapadd", "slapd"),
];

pub fn ensure_installed() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(why) = INSTALLED.get_or_init(install) {
        panic!("{why}");
    }
}

fn install() -> Result<(), String> {
    let mut missing: Vec<&str> =
        NEEDED.iter().filter(|(program, _)| !Path::new(program).exists()).map(|(_, package)| *package).collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let manual = format!("install them with: apt-get install {}", missing.join(" "));
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt = |args: &[&str]| {
        let mut command = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            command.args(["-n", "apt-get"]);
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive").output()
    };
    let mut install: Vec<&str> = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    // The package lists may be missing or stale on a fresh machine: update and retry.
    let ok = |o: std::io::Result<std::process::Output>| o.is_ok_and(|o| o.status.success());
    if ok(apt(&install)) || (ok(apt(&["update", "-q"])) && ok(apt(&install))) {
        Ok(())
    } else {
        Err(format!(
            "the mailbox and directory tests need Debian's {} and could not install them: {manual}",
            missing.join(", ")
        ))
    }
}
