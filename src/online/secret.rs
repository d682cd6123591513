//! The SMTP password or OAuth token, from where the config says (an environment
//! variable, a file, a command), never from the config or the command line. Errors name
//! the source, never the value; the value is never logged or reported.

use std::process::{Command, Stdio};

use crate::config::setting::Secret;

/// The secret itself. Its Debug output hides it, so it cannot leak through a log line.
pub struct Credential(String);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(hidden)")
    }
}

impl Credential {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

pub fn fetch(source: &Secret) -> Result<Credential, String> {
    let value = match source {
        Secret::Env(name) => std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))?,
        Secret::File(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the password file {}: {}", path.display(), e.kind()))?,
        Secret::Command(command) => {
            let output = Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run token_command: {}", e.kind()))?;
            if !output.status.success() {
                return Err(format!("token_command failed ({})", output.status));
            }
            String::from_utf8(output.stdout)
                .map_err(|_| "token_command printed something that is not text".to_owned())?
        }
    };
    let value = value.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        return Err("the password or token is empty".to_owned());
    }
    Ok(Credential(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_and_no_leak_in_debug() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("p");
        std::fs::write(&file, "s3cret\n").expect("write");
        let c = fetch(&Secret::File(file)).expect("file");
        assert_eq!(c.expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(fetch(&Secret::Command("printf tok3n".into())).expect("command").expose(), "tok3n");
        assert!(fetch(&Secret::Command("exit 3".into())).is_err());
        let err = fetch(&Secret::Env("NHSMAIL_LINT_TEST_UNSET_VARIABLE".into())).expect_err("unset");
        assert!(err.contains("NHSMAIL_LINT_TEST_UNSET_VARIABLE"));
    }
}
