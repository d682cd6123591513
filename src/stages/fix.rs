//! `check --fix` and `--diff`: before the scan, each `.eml` file checked is read, its
//! findings' fixes (the safe ones; the unsafe ones too with `--unsafe-fixes`) applied in
//! rounds until none is left, and the result written over the file (atomically, never
//! over a file that changed since it was read) or shown as a unified diff. mbox, Maildir,
//! gzipped files and standard input are never edited. The scan that follows reports what
//! is left.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::findings::fix::{self, Applicability};
use crate::inputs::{self, Found, Passed};
use crate::mail::MessageView;
use crate::rules::engine;
use crate::stages::scan::ScanPlan;

/// How `--fix` and `--diff` run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixPlan {
    /// `--diff`: show the fixes, change nothing.
    pub(crate) diff: bool,
    /// `--unsafe-fixes`: the unsafe ones too.
    pub(crate) unsafe_fixes: bool,
}

/// Rounds of fixing a file: a fix can leave another to make (two overlapping edits).
const ROUNDS: usize = 8;

/// What the fixing did.
#[derive(Debug, Default)]
pub(crate) struct Fixed {
    /// Fixes applied (or, with `--diff`, that would be).
    pub(crate) fixes: usize,
    /// Files changed (or that would be).
    pub(crate) files: usize,
    /// Unsafe fixes left out (no `--unsafe-fixes`).
    pub(crate) unsafe_left: usize,
    /// Files with fixes that could not be written, and why.
    pub(crate) not_edited: Vec<(PathBuf, String)>,
}

/// Fixes each file `plan` reads, writing to `diff` the diffs when `fix.diff`.
pub(crate) fn run(plan: &ScanPlan, fix: FixPlan, diff: &mut dyn Write) -> std::io::Result<Fixed> {
    let mut out = Fixed::default();
    let passed = Passed::default();
    for found in inputs::files(&plan.inputs, &passed) {
        // Only a file that is one message is edited: an mbox, a Maildir message (no
        // extension), a gzipped file or standard input is left as it is, and checked.
        let path = match found {
            Found::File { path, .. } if is_plain_eml(&path) => path,
            Found::File { .. } | Found::Stdin(_) | Found::Failed { .. } => continue,
        };
        let Ok(original) = std::fs::read(&path) else { continue };
        let (fixed, applied, unsafe_left) = fixed(plan, fix, &path, original.clone());
        out.unsafe_left += unsafe_left;
        if applied == 0 {
            continue;
        }
        if fix.diff {
            diff.write_all(unified(&path, &original, &fixed).as_bytes())?;
        } else if let Err(why) = write_over(&path, &original, &fixed) {
            out.not_edited.push((path, why));
            continue;
        }
        out.fixes += applied;
        out.files += 1;
    }
    Ok(out)
}

/// The file's bytes with its fixes applied, how many were, and how many unsafe ones were
/// left out.
fn fixed(plan: &ScanPlan, fix: FixPlan, path: &Path, mut bytes: Vec<u8>) -> (Vec<u8>, usize, usize) {
    let (mut applied, mut unsafe_left) = (0, 0);
    for round in 0..ROUNDS {
        let (buffer, size) = crate::mail::parse_buffer(bytes.clone());
        let view = MessageView::new(&buffer, size);
        let evaluation = engine::evaluate(&plan.rules, &plan.active, &view, None);
        let fixes: Vec<&fix::Fix> = evaluation
            .diagnostics
            .iter()
            .filter(|d| !plan.ignores.ignored(path, &d.rule))
            .filter_map(|d| d.fix.as_ref())
            .filter(|f| f.span.end <= size)
            .collect();
        let allowed = |f: &&&fix::Fix| fix.unsafe_fixes || f.applicability == Applicability::Safe;
        if round == 0 {
            unsafe_left = fixes.iter().filter(|f| !allowed(f)).count();
        }
        let (next, count) = fix::apply(&bytes, fixes.iter().filter(allowed).copied());
        if count == 0 {
            break;
        }
        applied += count;
        bytes = next;
    }
    (bytes, applied, unsafe_left)
}

fn is_plain_eml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"))
}

/// Writes `fixed` over `path` through a file beside it renamed into place, unless the
/// file no longer holds `original` (another program changed it meanwhile).
fn write_over(path: &Path, original: &[u8], fixed: &[u8]) -> Result<(), String> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(|e| format!("cannot write beside it: {e}"))?;
    temporary.write_all(fixed).map_err(|e| format!("cannot write beside it: {e}"))?;
    let permissions = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions();
    temporary.as_file().set_permissions(permissions).map_err(|e| e.to_string())?;
    if std::fs::read(path).map_err(|e| e.to_string())? != original {
        return Err("it changed while it was being fixed; run again".into());
    }
    temporary.persist(path).map_err(|e| format!("cannot replace it: {}", e.error))?;
    Ok(())
}

/// `git diff`'s form of the change, three lines of context.
fn unified(path: &Path, before: &[u8], after: &[u8]) -> String {
    let (before, after) = (String::from_utf8_lossy(before), String::from_utf8_lossy(after));
    let name = path.display().to_string();
    let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
    diff.unified_diff().context_radius(3).header(&format!("a/{name}"), &format!("b/{name}")).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.eml");
        std::fs::write(&path, "changed by another program").expect("write");
        let why = write_over(&path, b"as read", b"fixed").expect_err("stale");
        assert!(why.contains("changed while it was being fixed"), "{why}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "changed by another program");
        write_over(&path, b"changed by another program", b"fixed").expect("current");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "fixed");
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left beside it");
    }
}
