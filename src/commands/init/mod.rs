//! `nhsmail-lint init`: a commented starter `nhsmail-lint.yaml` (account, distribution
//! lists, a submission transport taking its password from the environment, attestations),
//! written only where no file is.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The starter, as written; `tests` load it as the loader and the schema would.
pub(crate) const STARTER: &str = include_str!("starter.yaml");

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InitError {
    /// A file is already there: it is never overwritten.
    #[error("{0} already exists: nhsmail-lint init never overwrites a configuration")]
    #[diagnostic(code(init), help("edit it, or write the starter elsewhere with --output FILE"))]
    Exists(PathBuf),
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    #[diagnostic(code(init))]
    Write {
        /// The file.
        path: PathBuf,
        /// Why it could not be written.
        source: std::io::Error,
    },
}

/// Writes the starter at `path`, refusing (atomically) when something is there already.
pub fn write(path: &Path) -> Result<(), InitError> {
    let failed = |source| InitError::Write { path: path.to_path_buf(), source };
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(InitError::Exists(path.to_path_buf())),
        Err(e) => return Err(failed(e)),
    };
    file.write_all(STARTER.as_bytes()).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::util::yaml::YamlSource;

    #[test]
    fn the_starter_loads_with_its_submission_transport() {
        let config = Config::load(YamlSource::new("starter.yaml", STARTER)).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(config.account.as_deref(), Some(crate::config::PLACEHOLDER_ACCOUNT));
        let transport = config.transport.expect("a transport");
        assert_eq!(
            transport.login.secret.map(|s| s.value),
            Some(crate::config::setting::Secret::Env("NHSMAIL_PASSWORD".into()))
        );
    }
}
