//! The walk: the files under the inputs' paths in path order, with hidden and VCS
//! folders, globs and `--shard` applied and symlink loops stopped. Nothing is opened.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Inputs;

/// jwalk's per-folder state (the `.gitignore` files from the root down to the folder)
/// and per-entry state (where a symlink loop leads back to, if the entry is one).
type Walked = (Option<Arc<Ignored>>, Option<PathBuf>);

/// The `.gitignore` of one walked folder, and its parent folders' below the root: a
/// folder's own file is asked first, as git does, then each parent's.
#[derive(Debug)]
struct Ignored {
    here: ignore::gitignore::Gitignore,
    parent: Option<Arc<Ignored>>,
}

impl Ignored {
    /// The stack for `folder`: `parent`'s, with `folder/.gitignore` on top when there is one.
    fn enter(parent: Option<Arc<Ignored>>, folder: &Path) -> Option<Arc<Ignored>> {
        let file = folder.join(".gitignore");
        if !file.is_file() {
            return parent;
        }
        // A line git would not read is left out by the builder, as git leaves it out.
        let (here, _) = ignore::gitignore::Gitignore::new(&file);
        Some(Arc::new(Ignored { here, parent }))
    }

    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        let mut level = Some(self);
        while let Some(ignored) = level {
            match ignored.here.matched(path, is_dir) {
                ignore::Match::Ignore(_) => return true,
                ignore::Match::Whitelist(_) => return false,
                ignore::Match::None => level = ignored.parent.as_deref(),
            }
        }
        false
    }
}

const VCS: &[&str] = &[".git", ".hg", ".svn", "CVS", "_darcs", ".bzr"];

/// What a walk finds, before any file is opened.
pub(crate) enum Found {
    /// Standard input, reported as this name.
    Stdin(PathBuf),
    /// `explicit`: named on the command line (checked whatever its name).
    File {
        path: PathBuf,
        explicit: bool,
    },
    Failed {
        path: PathBuf,
        why: String,
    },
}

/// The files a walk passed over, so that a run that read nothing can say why and the
/// summary counts them: not mail (by extension, lower case; `""` for none), or left out
/// by `--include` / `--exclude`.
#[derive(Debug, Default)]
pub(crate) struct Passed {
    not_mail: Mutex<BTreeMap<String, usize>>,
    not_selected: Mutex<usize>,
}

impl Passed {
    fn not_mail(&self, path: &Path) {
        let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        *self.not_mail.lock().expect("counts").entry(extension).or_insert(0) += 1;
    }

    fn not_selected(&self) {
        *self.not_selected.lock().expect("count") += 1;
    }

    /// Files that are not mail, by extension.
    pub(crate) fn not_mail_by_extension(&self) -> BTreeMap<String, usize> {
        self.not_mail.lock().expect("counts").clone()
    }

    /// Files that are mail but `--include` / `--exclude` left out.
    pub(crate) fn not_selected_count(&self) -> usize {
        *self.not_selected.lock().expect("count")
    }
}

/// The files under the inputs' paths, lazily, in path order (each folder's entries by
/// name); nothing is opened here. jwalk reads each folder as the walk reaches it, on
/// the calling thread: its parallel mode reads every folder ahead of the scan and keeps
/// their entries (measured: +6 MB at 20,000 files, growing with the tree, and no faster
/// on a warm cache), which an archive of millions cannot afford.
pub(crate) fn files<'a>(inputs: &'a Inputs, passed: &'a Passed) -> impl Iterator<Item = Found> + Send + 'a {
    let selection = &inputs.selection;
    inputs.paths.iter().flat_map(move |root| -> Box<dyn Iterator<Item = Found> + Send + 'a> {
        if root.as_os_str() == "-" {
            let name = selection.stdin_name.clone().unwrap_or_else(|| PathBuf::from("-"));
            return Box::new(std::iter::once(Found::Stdin(name)));
        }
        if root.is_file() {
            // Named explicitly: checked whatever its name, if in this shard.
            let take = selection.in_shard(root).then(|| Found::File { path: root.clone(), explicit: true });
            return Box::new(take.into_iter());
        }
        let (hidden, gitignore) = (selection.hidden, selection.gitignore);
        let walk = jwalk::WalkDirGeneric::<Walked>::new(root)
            .follow_links(true)
            .skip_hidden(false)
            .parallelism(jwalk::Parallelism::Serial)
            .process_read_dir(move |depth, folder, ignored, children| {
                // Called once for the roots themselves (no depth): those are taken as given.
                if depth.is_some() {
                    children.retain(|c| c.as_ref().map_or(true, |e| hidden || !is_hidden_or_vcs(&e.file_name)));
                    if gitignore {
                        *ignored = Ignored::enter(ignored.take(), folder);
                        if let Some(ignored) = ignored.as_deref() {
                            children.retain(|c| {
                                c.as_ref().map_or(true, |e| !ignored.ignores(&e.path(), e.file_type().is_dir()))
                            });
                        }
                    }
                    children.iter_mut().flatten().for_each(|child| stop_at_loop(folder, child));
                }
                // By name, errors (a dangling link) in their place rather than last.
                children.sort_by_cached_key(|c| match c {
                    Ok(e) => e.file_name.clone(),
                    Err(e) => e.path().and_then(Path::file_name).map(ToOwned::to_owned).unwrap_or_default(),
                });
            });
        Box::new(walk.into_iter().filter_map(move |entry| match entry {
            Ok(e) if e.client_state.is_some() => {
                let ancestor = e.client_state.as_deref().unwrap_or(Path::new("")).display().to_string();
                Some(Found::Failed { path: e.path(), why: format!("a symlink loop: it leads back to {ancestor}") })
            }
            // A folder that cannot be read hides every message in it: say so, with why.
            Ok(e) if e.file_type().is_dir() => {
                e.read_children_error.as_ref().map(|err| Found::Failed { path: e.path(), why: os_reason(err) })
            }
            // A FIFO, socket or device would block or never end: say so instead of reading it.
            Ok(e) if !e.file_type().is_file() => (e.depth == 0 || is_message_file(&e.path())).then(|| Found::Failed {
                path: e.path(),
                why: "not a regular file (a FIFO, socket or device)".to_owned(),
            }),
            Ok(e) => {
                // `check` with no path walks `.`: its files read `a.eml`, as ruff shows them.
                let path = match e.path().strip_prefix(".") {
                    Ok(inner) if selection.implicit_root => inner.to_path_buf(),
                    _ => e.path(),
                };
                let relative = path.strip_prefix(root).unwrap_or(&path);
                if !is_message_file(&path) {
                    passed.not_mail(&path);
                    return None;
                }
                if !selection.takes(relative) {
                    passed.not_selected();
                    return None;
                }
                selection.in_shard(&path).then_some(Found::File { path, explicit: false })
            }
            Err(err) => Some(Found::Failed { path: err.path().unwrap_or(root).to_path_buf(), why: os_reason(&err) }),
        }))
    })
}

/// The operating system's reason (`Permission denied (os error 13)`), without jwalk's
/// wrapping of the path, which the finding names already.
fn os_reason(err: &jwalk::Error) -> String {
    err.io_error().map_or_else(|| err.to_string(), ToString::to_string)
}

/// The size on disk of each file a scan will read, for a progress bar's total.
pub(crate) fn sizes<'a>(inputs: &'a Inputs, passed: &'a Passed) -> impl Iterator<Item = u64> + Send + 'a {
    files(inputs, passed).filter_map(|f| match f {
        Found::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
        _ => None,
    })
}

/// A linked folder that leads back to one the walk is in would be walked for ever: it
/// is not entered, and its entry says where it leads.
fn stop_at_loop(folder: &Path, child: &mut jwalk::DirEntry<Walked>) {
    if !(child.path_is_symlink() && child.file_type.is_dir()) {
        return;
    }
    if let (Ok(target), Ok(folder)) = (std::fs::canonicalize(child.path()), std::fs::canonicalize(folder))
        && folder.starts_with(&target)
    {
        child.read_children_path = None;
        child.client_state = Some(target);
    }
}

fn is_hidden_or_vcs(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || VCS.contains(&name.as_ref())
}

/// A file a directory walk takes: `.eml`, `.mbox` (either gzipped), or a Maildir message.
fn is_message_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".eml") || name.ends_with(".mbox") || in_maildir(path)
}

/// In `cur/` or `new/` of a folder that has both (and is so a Maildir).
fn in_maildir(path: &Path) -> bool {
    let Some(dir) = path.parent() else { return false };
    let is_box = dir.file_name().is_some_and(|n| n == "cur" || n == "new");
    is_box && dir.parent().is_some_and(|maildir| maildir.join("cur").is_dir() && maildir.join("new").is_dir())
}
