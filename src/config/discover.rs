//! Which configuration file a run reads, and how it was named: `--isolated` reads none,
//! `--config` names one, else `NHSMAIL_LINT_CONFIG`, else the nearest `nhsmail-lint.yaml`
//! or `.nhsmail-lint.yaml` from the current folder upwards (as ESLint finds its config:
//! from where the command runs, not per checked file), else the user's own
//! (`$XDG_CONFIG_HOME/nhsmail-lint/nhsmail-lint.yaml`). How it was named decides whether
//! it may run programs (`token_command`).

use std::path::{Path, PathBuf};

/// The environment variable that names the config file.
pub(crate) const ENV: &str = "NHSMAIL_LINT_CONFIG";

/// The names looked for in each folder, in this order.
pub(crate) const NAMES: [&str; 2] = ["nhsmail-lint.yaml", ".nhsmail-lint.yaml"];

/// How the config file in use was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `--config FILE`.
    Flag,
    /// `NHSMAIL_LINT_CONFIG`.
    Environment,
    /// Found from the current folder upwards.
    Discovered,
    /// The user's own config folder.
    User,
}

impl Origin {
    /// Words for the human summary and `nhsmail-lint config`.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Origin::Flag => "named by --config",
            Origin::Environment => "named by NHSMAIL_LINT_CONFIG",
            Origin::Discovered => "found from the current folder",
            Origin::User => "the user's own config",
        }
    }

    /// Whether the file may run programs. Somebody chose to run a file named on the command
    /// line, in the environment or in their own config folder; a file found by walking up
    /// from the current folder is whatever the checkout holds, and a pull request can add
    /// one whose `token_command` would run with the CI job's secrets in its environment.
    pub(crate) fn may_run_commands(self) -> bool {
        self != Origin::Discovered
    }
}

/// The config file a run reads and how it was named.
#[derive(Debug, Clone)]
pub struct Located {
    /// The file.
    pub path: PathBuf,
    /// How it was named.
    pub origin: Origin,
}

/// The config file this run reads, if any: `isolated` reads none, then `flag`, the
/// environment variable, the nearest file from `cwd` upwards, the user's own.
pub fn locate(flag: Option<&Path>, isolated: bool, cwd: &Path) -> Option<Located> {
    if isolated {
        return None;
    }
    if let Some(path) = flag {
        return Some(Located { path: path.to_owned(), origin: Origin::Flag });
    }
    if let Some(path) = std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        return Some(Located { path: PathBuf::from(path), origin: Origin::Environment });
    }
    if let Some(path) = nearest(cwd) {
        return Some(Located { path, origin: Origin::Discovered });
    }
    user_config().filter(|p| p.is_file()).map(|path| Located { path, origin: Origin::User })
}

/// The nearest config file from `start` upwards. The folder that holds `.git` is the
/// last one looked in: a file above the repository is not the project's (a CI runner's
/// work folder, a shared home), and a checkout must mean the same wherever it is cloned.
/// A path shown relative to `start` when it is in `start` itself, so that reports read
/// `nhsmail-lint.yaml` as before.
fn nearest(start: &Path) -> Option<PathBuf> {
    for folder in start.ancestors() {
        if let Some(name) = NAMES.iter().find(|name| folder.join(name).is_file()) {
            return Some(if folder == start { PathBuf::from(name) } else { folder.join(name) });
        }
        if folder.join(".git").exists() {
            return None;
        }
    }
    None
}

/// `$XDG_CONFIG_HOME/nhsmail-lint/nhsmail-lint.yaml`, `~/.config/...` when it is unset.
pub(crate) fn user_config() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("nhsmail-lint").join(NAMES[0]))
}

/// The config file's folder and the current folder, both absolute, when they differ
/// (none when the file is in the current folder: paths are already relative to it).
pub(crate) fn rebase(folder: &Path) -> Option<(PathBuf, PathBuf)> {
    let cwd = std::env::current_dir().ok()?;
    let folder = lexical(&cwd.join(folder));
    (folder != cwd).then_some((folder, cwd))
}

/// `path` (relative to `cwd`, or absolute) relative to `folder`; none when it is outside.
pub(crate) fn relative_to(folder: &Path, cwd: &Path, path: &Path) -> Option<PathBuf> {
    lexical(&cwd.join(path)).strip_prefix(folder).ok().map(Path::to_path_buf)
}

/// `.` and `..` taken out by reading the path, not the file system: the checked paths
/// are not resolved through links either, so the two compare as written.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_file_wins_and_the_repository_root_stops_the_walk() {
        let dir = tempfile::tempdir().expect("dir");
        let repo = dir.path().join("repo");
        let deep = repo.join("templates/letters");
        std::fs::create_dir_all(&deep).expect("mkdir");
        std::fs::write(dir.path().join(NAMES[0]), "").expect("above the repository");
        assert_eq!(nearest(&deep), Some(dir.path().join(NAMES[0])), "no repository: up to the root");
        std::fs::create_dir(repo.join(".git")).expect("git");
        assert_eq!(nearest(&deep), None, "the repository's root is the last folder looked in");
        std::fs::write(repo.join(NAMES[1]), "").expect("hidden name");
        assert_eq!(nearest(&deep), Some(repo.join(NAMES[1])));
        std::fs::write(repo.join("templates").join(NAMES[0]), "").expect("nearer");
        assert_eq!(nearest(&deep), Some(repo.join("templates").join(NAMES[0])));
        std::fs::write(deep.join(NAMES[0]), "").expect("here");
        assert_eq!(nearest(&deep), Some(PathBuf::from(NAMES[0])), "in the current folder: as before");
    }

    #[test]
    fn isolated_reads_none_and_the_flag_wins() {
        let here = Path::new("/");
        assert!(locate(Some(Path::new("x.yaml")), true, here).is_none());
        let flagged = locate(Some(Path::new("x.yaml")), false, here).expect("flag");
        assert_eq!((flagged.path, flagged.origin), (PathBuf::from("x.yaml"), Origin::Flag));
        assert!(!Origin::Discovered.may_run_commands() && Origin::Flag.may_run_commands());
    }

    #[test]
    fn checked_paths_are_read_relative_to_the_config_files_folder() {
        let (folder, cwd) = (Path::new("/repo"), Path::new("/repo/templates"));
        assert_eq!(relative_to(folder, cwd, Path::new("legacy/a.eml")), Some(PathBuf::from("templates/legacy/a.eml")));
        assert_eq!(relative_to(folder, cwd, Path::new("../out/./b.eml")), Some(PathBuf::from("out/b.eml")));
        assert_eq!(relative_to(folder, cwd, Path::new("/elsewhere/c.eml")), None);
    }
}

#[cfg(test)]
mod relative_paths {
    use crate::config::Config;
    use crate::util::yaml::YamlSource;

    #[test]
    fn paths_written_in_a_config_are_relative_to_its_folder() {
        let dir = tempfile::tempdir().expect("dir");
        let folder = dir.path().join("project");
        std::fs::create_dir(&folder).expect("mkdir");
        let file = folder.join("nhsmail-lint.yaml");
        std::fs::write(
            &file,
            "account: a@nhs.net\ntransport:\n  mode: submission\n  host: send.nhs.net\n  username: a@nhs.net\n  \
             password_file: secret.txt\n  ca_file: certs/ca.pem\n",
        )
        .expect("write");
        let config = Config::load(YamlSource::read(&file).expect("read")).expect("load");
        let transport = config.transport.expect("transport");
        assert_eq!(transport.server.ca_file, Some(folder.join("certs/ca.pem")));
        let secret = transport.login.secret.expect("secret").value;
        assert_eq!(secret, crate::config::setting::Secret::File(folder.join("secret.txt")));
    }
}
