//! A real IMAP server for the mailbox tests: Debian's Dovecot, started by the tests on
//! a loopback port with implicit TLS (a certificate from a throwaway CA), one user with
//! a password, and the quota plugin whose usage the test sets. It can also take
//! XOAUTH2 tokens: JWTs it validates itself against a key the test holds (Dovecot's
//! local validation), as Exchange Online takes OAuth tokens. A refused login is
//! answered at once (no failure delay; Dovecot still slows the next logins from the
//! same address down a little). Tests put messages of known sizes into folders (nested
//! ones too, `/` between levels as Exchange shows them) and read back what a run left:
//! each folder's `\Recent` count. Stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{Certificates, free_port, wait_for_port};

pub const USER: &str = "pathology.results@nhs.net";
pub const PASSWORD: &str = "imap password 42";

pub struct TestImap {
    pub port: u16,
    /// POP3 over implicit TLS (995's protocol), for the mailbox probe.
    pub pop_port: u16,
    /// With `with_submission`: Dovecot's SMTP submission server (STARTTLS, AUTH).
    pub submission_port: Option<u16>,
    pub ca_file: PathBuf,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestImap {
    /// With `quota`, Dovecot offers the QUOTA extension (RFC 9208); without, it does not.
    /// `None` where Dovecot is not installed and cannot be (`packages::available`).
    pub fn start(quota: bool) -> Option<TestImap> {
        TestImap::launch(quota, None, None)
    }

    /// With quota, and XOAUTH2 for tokens signed (HS256) with `key`.
    pub fn with_oauth(key: &[u8]) -> Option<TestImap> {
        TestImap::launch(true, Some(key), None)
    }

    /// With XOAUTH2 as above, and an SMTP submission server too (STARTTLS, AUTH) that
    /// relays what it accepts to 127.0.0.1:`relay_port`.
    pub fn with_submission(key: &[u8], relay_port: u16) -> Option<TestImap> {
        TestImap::launch(true, Some(key), Some(relay_port))
    }

    fn launch(quota: bool, oauth_key: Option<&[u8]>, relay_port: Option<u16>) -> Option<TestImap> {
        if !crate::packages::available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        let certificates = Certificates::write(root);
        let home = root.join("home");
        let maildir = home.join("Maildir");
        for sub in ["run", "state", "home/Maildir/cur", "home/Maildir/new", "home/Maildir/tmp"] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n")).expect("passwd");
        let port = free_port();
        let plugins = if quota {
            "mail_plugins = quota\nprotocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n\
             plugin {\n  quota = maildir:User quota\n}\n"
        } else {
            ""
        };
        let oauth = match oauth_key {
            Some(key) => {
                use base64::Engine;
                let keys = root.join("keys/default/HS256");
                std::fs::create_dir_all(&keys).expect("mkdir");
                std::fs::write(keys.join("default"), base64::engine::general_purpose::STANDARD.encode(key))
                    .expect("key");
                let settings = format!(
                    "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={}/keys/\n\
                     username_attribute = sub\n",
                    root.display()
                );
                std::fs::write(root.join("oauth2.conf"), settings).expect("oauth2.conf");
                format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {}/oauth2.conf\n}}\n",
                    root.display()
                )
            }
            None => String::new(),
        };
        let pop_port = free_port();
        let pop = format!(
            "protocols = $protocols pop3\nservice pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = 0\n  }}\n  \
             inet_listener pop3s {{\n    port = {pop_port}\n    ssl = yes\n  }}\n}}\n"
        );
        let submission_port = relay_port.map(|_| free_port());
        let submission = match (relay_port, submission_port) {
            (Some(relay), Some(port)) => format!(
                "protocols = $protocols submission\nhostname = localhost\nsubmission_relay_host = 127.0.0.1\n\
                 submission_relay_port = {relay}\nsubmission_relay_trusted = yes\nsubmission_relay_ssl = no\n\
                 service submission-login {{\n  chroot =\n  inet_listener submission {{\n    port = {port}\n  }}\n}}\n"
            ),
            _ => String::new(),
        };
        let (user, users) = mail_user();
        let config = format!(
            "{users}first_valid_uid = 1\nbase_dir = {root}/run\nstate_dir = {root}/state\nlog_path = {root}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = required\nssl_cert = <{cert}\nssl_key = <{key}\n\
             auth_mechanisms = plain login xoauth2\n{oauth}\
             auth_failure_delay = 0\n\
             passdb {{\n  driver = passwd-file\n  mechanisms = plain login\n  \
             args = scheme=PLAIN username_format=%u {root}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={user} gid={user} home={home}\n}}\n\
             mail_location = maildir:~/Maildir:LAYOUT=fs\nmailbox_list_index = no\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n{plugins}\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = 0\n  }}\n  \
             inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n{pop}{submission}",
            root = root.display(),
            cert = certificates.cert.display(),
            key = certificates.key.display(),
            home = home.display(),
        );
        let config_file = root.join("dovecot.conf");
        std::fs::write(&config_file, config).expect("config");
        give_to(&user, &home);
        // Foreground (-F), and no pipes: a daemon holding a pipe open would hang the test.
        let mut child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        for port in [port, pop_port].into_iter().chain(submission_port) {
            wait_for_port(port, &mut child, &root.join("dovecot.log"));
        }
        Some(TestImap { port, pop_port, submission_port, ca_file: certificates.ca, maildir, child, _dir: dir })
    }

    /// Puts `messages` into `folder` (`INBOX`, or a path such as `Archive/2026/Results`,
    /// whose parents then exist only as names: `\Noselect`), as a mail delivery would:
    /// new, so `\Recent` until someone SELECTs the folder. Written with CRLF line ends,
    /// each message's IMAP size (RFC822.SIZE) is its length.
    pub fn put(&self, folder: &str, messages: &[Vec<u8>]) {
        let dir = self.folder(folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        for (n, message) in messages.iter().enumerate() {
            std::fs::write(dir.join("new").join(format!("1764460800.M{n}P1.test")), message).expect("message");
        }
        give_to(&mail_user().0, &dir);
    }

    /// Where Dovecot keeps `folder`: a directory a level (its `fs` layout), so that a
    /// folder's parents are plain directories, which it lists as `\Noselect`.
    fn folder(&self, folder: &str) -> PathBuf {
        if folder == "INBOX" { self.maildir.clone() } else { self.maildir.join(folder) }
    }

    /// A folder's `\Recent` count, asked with STATUS (which, unlike SELECT, leaves it).
    pub fn recent(&self, folder: &str) -> u32 {
        let tls = nhsmail_lint::online::tls::client_config(Some(&self.ca_file)).expect("tls");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let tcp = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let tls = rustls::StreamOwned::new(rustls::ClientConnection::new(tls, name).expect("tls"), tcp);
        let mut client = imap::Client::new(tls);
        client.read_greeting().expect("greeting");
        let mut session = client.login(USER, PASSWORD).map_err(|(e, _)| e).expect("login");
        let status = session.status(folder, "(RECENT)").expect("status");
        let _ = session.logout();
        status.recent
    }

    /// Holds `folder`'s maildir lock as another Dovecot process would while it delivers:
    /// opening the folder waits for it (Dovecot's own timeout is minutes), so a count
    /// that reaches this folder cannot finish. (LIST does not wait: the server keeps no
    /// mailbox list index, which would open every folder to list it.)
    pub fn lock(&self, folder: &str) {
        let dir = self.folder(folder);
        // Dovecot takes a lock whose process is gone for stale at once: name a live one
        // (this test's), on this host.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
        let lock = dir.join("dovecot-uidlist.lock");
        std::fs::write(&lock, format!("{}:{}", std::process::id(), host.trim())).expect("lock");
        give_to(&mail_user().0, &lock);
    }

    /// Makes `folder` unreadable to Dovecot: it still lists it, and refuses to open it.
    pub fn break_folder(&self, folder: &str) {
        use std::os::unix::fs::PermissionsExt;
        // Its `cur` still there (so a folder to list), but not to be read.
        let cur = self.folder(folder).join("cur");
        std::fs::set_permissions(&cur, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }

    /// Sets the mailbox's usage and limit, in bytes, as Dovecot's maildir quota keeps them.
    pub fn set_usage(&self, used: u64, limit: u64) {
        let path = self.maildir.join("maildirsize");
        std::fs::write(&path, format!("{limit}S\n{used} 1\n")).expect("maildirsize");
        give_to(&mail_user().0, &path);
    }
}

impl Drop for TestImap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The user mail is kept as, and the settings that make Dovecot run as it: as root,
/// Dovecot's own `dovecot` user; otherwise the user running the tests.
fn mail_user() -> (String, String) {
    let me = Command::new("id").arg("-un").output().expect("id");
    let me = String::from_utf8_lossy(&me.stdout).trim().to_owned();
    if me == "root" {
        ("dovecot".to_owned(), String::new())
    } else {
        (me.clone(), format!("default_internal_user = {me}\ndefault_login_user = {me}\n"))
    }
}

fn give_to(user: &str, path: &Path) {
    let status = Command::new("chown").arg("-R").arg(format!("{user}:")).arg(path).status().expect("chown");
    assert!(status.success(), "chown {user} {}", path.display());
    // The temporary directory is private to its creator; Dovecot's user must get through it.
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(std::env::temp_dir()) && *d != std::env::temp_dir()) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
        dir = d.parent();
    }
}

/// An HS256 JWT for `user`, valid for an hour, signed with `key`.
pub fn token(user: &str, key: &[u8]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = b64(format!(r#"{{"sub":"{user}","exp":{}}}"#, now + 3600).as_bytes());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("{header}.{body}").as_bytes());
    format!("{header}.{body}.{}", b64(&mac.finalize().into_bytes()))
}
