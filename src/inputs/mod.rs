//! What the scan reads, in path order: `.eml` files (and `.eml.gz`), mbox files (each
//! message an item, `file.mbox:#N`), Maildir folders (`cur/`, `new/`), `-` for one
//! message on standard input, and whatever file is named explicitly. Directories are
//! walked sorted, skipping hidden and VCS folders unless asked, with `--include` and
//! `--exclude` globs and `--shard K/N` applied; symlink loops are reported, not followed.

mod mbox;
mod read;
mod reread;
mod walk;

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

pub(crate) use read::{messages, read, recycle};
pub(crate) use reread::Rereader;
pub(crate) use walk::{Found, Passed, files, sizes};

/// Decompressed input larger than this is refused (a gzip bomb would otherwise fill memory).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// One message to check, and what to call it in reports.
pub(crate) struct Item {
    pub(crate) label: PathBuf,
    pub(crate) source: Source,
}

pub(crate) enum Source {
    File(PathBuf),
    /// Already read (an mbox message, standard input); `first_line` is the line of the
    /// containing file the message starts on.
    Bytes {
        bytes: Vec<u8>,
        first_line: usize,
    },
    /// The item could not be read or walked to.
    Failed(String),
}

/// What a run reads: the paths given, and which files a walk of them takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inputs {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) selection: Selection,
}

/// A `--include` or `--exclude` pattern that is not a glob.
#[derive(Debug, thiserror::Error)]
#[error("bad glob `{pattern}`: {source}")]
pub(crate) struct GlobError {
    pattern: String,
    source: globset::Error,
}

/// Which files a walk takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub(crate) include: Option<GlobSet>,
    pub(crate) exclude: Option<GlobSet>,
    pub(crate) hidden: bool,
    /// Leave out what the `.gitignore` files of the walked folders ignore (not `--no-ignore`).
    pub(crate) gitignore: bool,
    /// No path was given: the walk of `.` shows its files as `a.eml`, not `./a.eml`.
    pub(crate) implicit_root: bool,
    /// `--stdin-filename`: what `-` is reported (and matched by `ignore:`) as.
    pub(crate) stdin_name: Option<PathBuf>,
    /// `(k, n)`: only the paths whose stable hash is `k` modulo `n`.
    pub(crate) shard: Option<(u64, u64)>,
}

impl Selection {
    pub(crate) fn globs(patterns: &[String]) -> Result<Option<GlobSet>, GlobError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|source| GlobError { pattern: pattern.clone(), source })?;
            builder.add(glob);
        }
        let all = patterns.join(", ");
        builder.build().map(Some).map_err(|source| GlobError { pattern: all, source })
    }

    fn takes(&self, relative: &Path) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(relative))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(relative))
    }

    fn in_shard(&self, path: &Path) -> bool {
        self.shard.is_none_or(|(k, n)| stable_hash(path.to_string_lossy().as_bytes()) % n == k)
    }
}

/// FNV-1a: the same on every machine and every run, so shards partition the same way.
fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable() {
        assert_eq!(stable_hash(b"archive/2026-11/a.eml"), stable_hash(b"archive/2026-11/a.eml"));
        assert_ne!(stable_hash(b"a.eml"), stable_hash(b"b.eml"));
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
    }
}
