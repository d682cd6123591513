//! The SMTP password or OAuth token, from where the config says (an environment
//! variable, a file, a command), never from the config or the command line. Errors name
//! the source, never the value; the value is never logged or reported.

use std::process::{Command, Stdio};

use crate::config::setting::Secret;

/// The secret itself. Its Debug output hides it, so it cannot leak through a log line.
pub(crate) struct Credential(String);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(hidden)")
    }
}

impl Credential {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// Why the secret could not be had; it names the source, never the value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable {0} is not set")]
    Unset(String),
    #[error("cannot read the password file {path}: {kind}")]
    Unreadable { path: String, kind: std::io::ErrorKind },
    #[error("cannot run token_command: {0}")]
    CannotRun(std::io::ErrorKind),
    #[error("token_command failed ({0})")]
    CommandFailed(std::process::ExitStatus),
    #[error("token_command printed something that is not text")]
    NotText,
    #[error("the password or token is empty")]
    Empty,
}

pub(crate) fn fetch(source: &Secret) -> Result<Credential, SecretError> {
    let value = match source {
        Secret::Env(name) => std::env::var(name).map_err(|_| SecretError::Unset(name.clone()))?,
        Secret::File(path) => std::fs::read_to_string(path)
            .map_err(|e| SecretError::Unreadable { path: path.display().to_string(), kind: e.kind() })?,
        Secret::Command(command) => {
            let output = Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .map_err(|e| SecretError::CannotRun(e.kind()))?;
            if !output.status.success() {
                return Err(SecretError::CommandFailed(output.status));
            }
            String::from_utf8(output.stdout).map_err(|_| SecretError::NotText)?
        }
    };
    let value = value.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        return Err(SecretError::Empty);
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
        let err = fetch(&Secret::Env("NHSMAIL_LINT_TEST_UNSET_VARIABLE".into())).expect_err("unset").to_string();
        assert!(err.contains("NHSMAIL_LINT_TEST_UNSET_VARIABLE"));
    }
}
