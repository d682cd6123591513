//! Running the built binary from the project root and reading its JSON report, and
//! deciding whether a test that needs something from outside the project can run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Set (to anything but empty or `0`) by `.ci/run`: every test's outside requirement
/// must be met, so a missing one fails its test instead of skipping it.
pub const REQUIRE_ALL: &str = "NHSMAIL_LINT_REQUIRE_ALL";

/// Whether a test that needs `what` from outside the project (the public corpus beside
/// it, Debian packages) can run: `missing` says why not, `None` when it is there. When
/// it is missing the test is skipped with one line on stderr, or fails under
/// NHSMAIL_LINT_REQUIRE_ALL. The line goes past the test harness's capture, so a plain
/// `cargo test` shows what it did not test.
pub fn requirement(what: &str, missing: Option<String>) -> bool {
    let required = std::env::var_os(REQUIRE_ALL).is_some_and(|v| !v.is_empty() && v != "0");
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    decide(required, &test, what, missing, &mut std::io::stderr())
}

/// `requirement` with its inputs given, so that its decision can be tested.
fn decide(required: bool, test: &str, what: &str, missing: Option<String>, out: &mut dyn Write) -> bool {
    let Some(why) = missing else { return true };
    assert!(!required, "{test} needs {what}, and {why}; it cannot be skipped, as {REQUIRE_ALL} is set");
    let _ = writeln!(out, "skipped {test}: it needs {what}, and {why} (set {REQUIRE_ALL}=1 to fail instead)");
    false
}

/// The public corpus, `../shared/corpus-public` beside the project, if it is there
/// (see `requirement`).
pub fn public_corpus() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus-public");
    let missing = (!dir.is_dir()).then(|| format!("{} is not there", dir.display()));
    requirement("the public corpus ../shared/corpus-public", missing).then_some(dir)
}

/// Runs `nhsmail-lint ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_with_env(dir, args, &[])
}

/// The command, ready to run in `dir` with `env` added.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nhsmail-lint"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    hermetic(&mut command).envs(env.iter().copied());
    command
}

/// Runs `nhsmail-lint ARGS` in `dir` with `env` added.
pub fn run_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    Run::from(command(dir, args, env).output().expect("run nhsmail-lint"))
}

/// Runs `nhsmail-lint ARGS` in `dir` under `timeout`: a hang fails the test (exit 124)
/// instead of stalling the whole run.
pub fn run_within(dir: &Path, args: &[&str], seconds: u32) -> Run {
    run_within_env(dir, args, &[], seconds)
}

/// As `run_within`, with `env` added.
pub fn run_within_env(dir: &Path, args: &[&str], env: &[(&str, &str)], seconds: u32) -> Run {
    let mut command = Command::new("timeout");
    command
        .arg(seconds.to_string())
        .arg(env!("CARGO_BIN_EXE_nhsmail-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let output = hermetic(&mut command).envs(env.iter().copied()).output().expect("run nhsmail-lint under timeout");
    Run::from(output)
}

/// No config file from the machine running the tests: the one `NHSMAIL_LINT_CONFIG` names
/// or the user's own would change what every test sees (a test adds its own back).
pub fn hermetic(command: &mut Command) -> &mut Command {
    command.env_remove("NHSMAIL_LINT_CONFIG").env("XDG_CONFIG_HOME", "/nonexistent")
}

/// `nhsmail-lint.yaml` named by the environment, as a team names a config whose
/// `token_command` it trusts: one found from the current folder runs no program.
pub const NAMED_CONFIG: (&str, &str) = ("NHSMAIL_LINT_CONFIG", "nhsmail-lint.yaml");

/// Runs `nhsmail-lint ARGS` in the project root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// Whether a JSON diagnostic is a finding about the set-up or messages, not a
/// requirement still waiting for a person's attestation (`preflight` lists those in
/// every run until they are recorded; tests of other rules leave them out).
pub fn not_attestation(d: &&Value) -> bool {
    d["rule"] != "attestation-open"
}

/// (rule, line) of every diagnostic of every file, keyed by path as reported.
pub fn findings(report: &Value) -> Vec<(String, Vec<(String, u64)>)> {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let diagnostics = f["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .filter(not_attestation)
                .map(|d| (d["rule"].as_str().expect("rule").to_owned(), d["line"].as_u64().expect("line")))
                .collect();
            (f["path"].as_str().expect("path").to_owned(), diagnostics)
        })
        .collect()
}

/// The rules that fired in a report, in order.
pub fn rules_fired(report: &Value) -> Vec<String> {
    findings(report).into_iter().flat_map(|(_, d)| d.into_iter().map(|(r, _)| r)).collect()
}

/// Writes `files` (name, contents) into a fresh temporary directory.
pub fn temp_files(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    dir
}

/// A throwaway CA and a certificate for localhost and 127.0.0.1 signed by it, written
/// as PEM files: the test servers present the certificate, and the client trusts the
/// CA through `ca_file`.
pub struct Certificates {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A day, as (year, month, day).
pub type Day = (i32, u8, u8);

/// What the server's certificate says, for the tests of certificates that fail.
pub struct Leaf<'a> {
    /// The CA's name: another name is another CA to a client (the same name with another
    /// key is a bad signature).
    pub ca: &'a str,
    pub names: &'a [&'a str],
    /// The last day it is valid (UTC), and the first: by default rcgen's long validity.
    pub valid: Option<(Day, Day)>,
}

impl Default for Leaf<'_> {
    fn default() -> Self {
        Leaf { ca: "nhsmail-lint test CA", names: &["localhost", "127.0.0.1"], valid: None }
    }
}

impl Certificates {
    pub fn write(dir: &Path) -> Certificates {
        Certificates::write_leaf(dir, &Leaf::default())
    }

    pub fn write_leaf(dir: &Path, leaf: &Leaf<'_>) -> Certificates {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, leaf.ca);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca");
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = leaf.names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        if let Some(((ay, am, ad), (by, bm, bd))) = leaf.valid {
            params.not_after = date_time_ymd(ay, am, ad);
            params.not_before = date_time_ymd(by, bm, bd);
        }
        let cert = params.signed_by(&key, &ca).expect("cert");
        let paths = Certificates { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        for (path, pem) in [(&paths.ca, ca.pem()), (&paths.cert, cert.pem()), (&paths.key, key.serialize_pem())] {
            std::fs::write(path, pem).expect("write pem");
        }
        paths
    }
}

/// A loopback port free a moment ago, for a server that must be told its port.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Waits until something listens on `port` (the server has started), or panics with
/// `log` after 30 s.
pub fn wait_for_port(port: u16, child: &mut std::process::Child, log: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = child.try_wait().expect("wait").is_some();
        if exited || std::time::Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("the test server did not start listening on {port}:\n{log}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_test_whose_requirement_is_met_runs() {
    let mut out = Vec::new();
    assert!(decide(false, "t", "the moon", None, &mut out));
    assert!(decide(true, "t", "the moon", None, &mut out));
    assert!(out.is_empty(), "and says nothing");
}

#[test]
fn a_test_whose_requirement_is_missing_is_skipped_with_one_line() {
    let mut out = Vec::new();
    assert!(!decide(false, "t", "the moon", Some("it has not risen".to_owned()), &mut out));
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "skipped t: it needs the moon, and it has not risen (set NHSMAIL_LINT_REQUIRE_ALL=1 to fail instead)\n"
    );
}

#[test]
#[should_panic(expected = "t needs the moon, and it has not risen; it cannot be skipped, as NHSMAIL_LINT_REQUIRE_ALL")]
fn a_test_whose_requirement_is_missing_fails_when_all_are_required() {
    decide(true, "t", "the moon", Some("it has not risen".to_owned()), &mut Vec::new());
}

/// This machine's own IPv4 address other than loopback (the one its route to 192.0.2.1
/// leaves from), for tests of the relay's reverse lookup: the resolver answers loopback
/// PTR questions itself. Decided as `requirement` decides.
pub fn own_address() -> Option<String> {
    let own = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| s.connect("192.0.2.1:25").and(s.local_addr()));
    let missing = match &own {
        Ok(addr) if !addr.ip().is_loopback() => None,
        Ok(addr) => Some(format!("the route to 192.0.2.1 leaves from {addr}")),
        Err(e) => Some(format!("this machine has no route to 192.0.2.1 ({e})")),
    };
    requirement("an IPv4 address other than loopback", missing).then(|| own.expect("checked").ip().to_string())
}

/// `message` with a Message-ID no other message of the test process has: variants of one
/// message are different messages, which must not share one (`message-id-reused`).
pub fn own_message_id(message: &[u8]) -> Vec<u8> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    String::from_utf8_lossy(message).replacen("Message-ID: <", &format!("Message-ID: <variant-{n}."), 1).into_bytes()
}

/// The finding keys of a JSON report's diagnostics, sorted.
pub fn finding_keys(report: &Value) -> Vec<String> {
    let files = report["files"].as_array().expect("files");
    let diagnostics = files.iter().flat_map(|f| f["diagnostics"].as_array().expect("list"));
    let mut keys: Vec<String> = diagnostics.filter_map(|d| d["key"].as_str()).map(str::to_owned).collect();
    keys.sort();
    keys
}
