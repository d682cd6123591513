//! A real directory for the recipient tests: Debian's OpenLDAP slapd, started by the
//! tests on a loopback port with LDAPS only (a certificate from a throwaway CA) and
//! anonymous read, holding a small `o=nhs` tree: two people, the sending account and a distribution
//! list.
//! It logs each search, so tests can count the questions asked. Stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::common::{Certificates, free_port, wait_for_port};

pub const PERSON: &str = "jane.smith@nhs.net";
pub const OTHER_PERSON: &str = "amir.khan@nhs.net";
pub const GROUP: &str = "pathology.team@nhs.net";
pub const ACCOUNT: &str = "pathology.results@nhs.net";

const DATA: &str = "dn: o=nhs
objectClass: organization
o: nhs

dn: cn=Jane Smith,o=nhs
objectClass: inetOrgPerson
cn: Jane Smith
sn: Smith
mail: jane.smith@nhs.net

dn: cn=Amir Khan,o=nhs
objectClass: inetOrgPerson
cn: Amir Khan
sn: Khan
mail: amir.khan@nhs.net

dn: cn=Pathology Results,o=nhs
objectClass: inetOrgPerson
cn: Pathology Results
sn: Results
mail: pathology.results@nhs.net

dn: cn=Pathology Team,o=nhs
objectClass: groupOfNames
objectClass: extensibleObject
cn: Pathology Team
mail: pathology.team@nhs.net
member: cn=Jane Smith,o=nhs
";

pub struct TestLdap {
    pub port: u16,
    pub ca_file: PathBuf,
    config: PathBuf,
    log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestLdap {
    /// `None` where slapd is not installed and cannot be (`packages::available`).
    pub fn start() -> Option<TestLdap> {
        if !crate::packages::available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        let certificates = Certificates::write(root);
        std::fs::create_dir(root.join("db")).expect("mkdir");
        let config = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n\
             pidfile {root}/slapd.pid\nTLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n\
             database mdb\nsuffix \"o=nhs\"\nrootdn \"cn=admin,o=nhs\"\ndirectory {root}/db\n\
             access to * by * read\n",
            root = root.display(),
            cert = certificates.cert.display(),
            key = certificates.key.display(),
        );
        let config_file = root.join("slapd.conf");
        std::fs::write(&config_file, config).expect("config");
        std::fs::write(root.join("data.ldif"), DATA).expect("ldif");
        let loaded = Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(&config_file)
            .arg("-l")
            .arg(root.join("data.ldif"))
            .output()
            .expect("slapadd");
        assert!(loaded.status.success(), "slapadd: {}", String::from_utf8_lossy(&loaded.stderr));
        let port = free_port();
        let log = root.join("slapd.log");
        let child = serve(&config_file, port, &log);
        Some(TestLdap { port, ca_file: certificates.ca, config: config_file, log, child, _dir: dir })
    }

    /// Stops slapd, dropping every connection, and starts it again on the same port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = serve(&self.config, self.port, &self.log);
    }

    /// How many searches asked for `address`.
    pub fn searches_for(&self, address: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).expect("slapd log");
        log.lines().filter(|l| l.contains(" SRCH ") && l.contains(&format!("(mail={address})"))).count()
    }
}

/// slapd in the foreground (`-d stats` also logs each operation, appended to `log`),
/// once it listens.
fn serve(config: &std::path::Path, port: u16, log: &std::path::Path) -> Child {
    let stderr = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log");
    let mut child = Command::new("/usr/sbin/slapd")
        .args(["-d", "stats", "-f"])
        .arg(config)
        .arg("-h")
        .arg(format!("ldaps://127.0.0.1:{port}/"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start slapd");
    wait_for_port(port, &mut child, log);
    child
}

impl Drop for TestLdap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
