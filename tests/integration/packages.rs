//! The Debian packages the mailbox, XOAUTH2 and directory tests run (Dovecot's IMAP, POP
//! and submission servers, OpenLDAP's slapd), the browser the HTML report is opened in
//! (Chromium) and the formatter the man page is rendered with (groff): installed by the tests themselves when missing, once per test run, so that
//! `cargo test` does all set-up on a fresh machine. Needs apt-get and root (or sudo
//! without a password); where they cannot be installed, the tests that need them are
//! skipped, or fail under NHSMAIL_LINT_REQUIRE_ALL (`common::requirement`). Likewise
//! axe-core, the accessibility checker the HTML report is run through, from npm.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The servers' programs and the packages that bring them.
const NEEDED: &[(&str, &str)] = &[
    ("/usr/sbin/dovecot", "dovecot-imapd"),
    ("/usr/lib/dovecot/submission", "dovecot-submissiond"),
    ("/usr/lib/dovecot/pop3", "dovecot-pop3d"),
    ("/usr/sbin/slapd", "slapd"),
    ("/usr/sbin/slapadd", "slapd"),
];

/// Whether the packages are there, installing them first if need be.
pub fn available() -> bool {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let missing = INSTALLED.get_or_init(|| install(NEEDED)).clone().err();
    crate::common::requirement("Debian's Dovecot and slapd", missing)
}

/// Debian's Chromium (the HTML report's test), installed the same way when missing.
pub fn chromium() -> Option<&'static str> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    program("/usr/bin/chromium", "chromium", "Debian's Chromium", &INSTALLED)
}

/// Debian's groff (the man page's test), installed the same way when missing.
pub fn groff() -> Option<&'static str> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    program("/usr/bin/groff", "groff-base", "groff", &INSTALLED)
}

/// axe-core's version, pinned: a new release adds rules, and a report that passed must
/// not start failing without a change of ours.
pub const AXE_CORE: &str = "4.14.1";

/// axe-core's `axe.min.js`, installed with npm under the build's directory for tests once
/// (kept across runs; a pinned version never changes). npm and not a copy in the
/// repository: 650 KB of minified third-party code would be a blob no review reads, and
/// npm checks the package against the registry's integrity digest as it installs it.
pub fn axe_core() -> Option<PathBuf> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("axe-core-{AXE_CORE}"));
        let script = prefix.join("node_modules/axe-core/axe.min.js");
        if script.is_file() {
            return Ok(script);
        }
        let npm = Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix"])
            .arg(&prefix)
            .arg(format!("axe-core@{AXE_CORE}"))
            .output();
        match npm {
            Ok(o) if o.status.success() && script.is_file() => Ok(script),
            Ok(o) => Err(format!(
                "`npm install axe-core@{AXE_CORE}` failed: {}",
                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("no message").trim()
            )),
            Err(e) => Err(format!("npm does not run: {e}")),
        }
    });
    crate::common::requirement(&format!("axe-core {AXE_CORE} (from npm)"), installed.clone().err())
        .then(|| installed.clone().ok())
        .flatten()
}

/// `program`, from the Debian `package` installed once per test run when missing (`what`
/// names it to a person).
fn program(
    program: &'static str,
    package: &str,
    what: &str,
    installed: &OnceLock<Result<(), String>>,
) -> Option<&'static str> {
    let missing = installed.get_or_init(|| install(&[(program, package)])).clone().err();
    crate::common::requirement(what, missing).then_some(program)
}

/// Installs what is missing of `needed` (program, package), or says why it could not.
fn install(needed: &[(&str, &str)]) -> Result<(), String> {
    let mut missing: Vec<&str> =
        needed.iter().filter(|(program, _)| !Path::new(program).exists()).map(|(_, package)| *package).collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    // One apt-get at a time: the tests needing Dovecot and those needing Chromium start
    // together, and dpkg's lock would refuse the second (another process's holder is
    // waited for, up to two minutes).
    static APT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = APT.lock().unwrap_or_else(|e| e.into_inner());
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt = |args: &[&str]| {
        let mut command = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            command.args(["-n", "apt-get"]);
        }
        command.args(["-o", "DPkg::Lock::Timeout=120"]).args(args).env("DEBIAN_FRONTEND", "noninteractive").output()
    };
    let mut install: Vec<&str> = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    // The package lists may be missing or stale on a fresh machine: update and retry.
    let ok = |o: &std::io::Result<std::process::Output>| o.as_ref().is_ok_and(|o| o.status.success());
    let first = apt(&install);
    if ok(&first) || (ok(&apt(&["update", "-q"])) && ok(&apt(&install))) {
        return Ok(());
    }
    let (sudo, who) = if root { ("", "") } else { ("sudo -n ", " (not root)") };
    let said = match first {
        Ok(o) => String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("no message").trim().to_owned(),
        Err(e) => format!("{}: {e}", if root { "apt-get" } else { "sudo" }),
    };
    Err(format!("`{sudo}apt-get install {}` failed{who}: {said}", missing.join(" ")))
}
