//! What the scan reads, in path order: `.eml` files (and `.eml.gz`), mbox files (each
//! message an item, `file.mbox:#N`), Maildir folders (`cur/`, `new/`), `-` for one
//! message on standard input, and whatever file is named explicitly. Directories are
//! walked sorted, skipping hidden and VCS folders unless asked, with `--include` and
//! `--exclude` globs and `--shard K/N` applied; symlink loops are reported, not followed.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Decompressed input larger than this is refused (a gzip bomb would otherwise fill memory).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// One message to check, and what to call it in reports.
pub struct Item {
    pub label: PathBuf,
    pub source: Source,
}

pub enum Source {
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
pub struct Inputs {
    pub paths: Vec<PathBuf>,
    pub selection: Selection,
}

/// A `--include` or `--exclude` pattern that is not a glob.
#[derive(Debug, thiserror::Error)]
#[error("bad glob `{pattern}`: {source}")]
pub struct GlobError {
    pattern: String,
    source: globset::Error,
}

/// Which files a walk takes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    pub hidden: bool,
    /// `(k, n)`: only the paths whose stable hash is `k` modulo `n`.
    pub shard: Option<(u64, u64)>,
}

impl Selection {
    pub fn globs(patterns: &[String]) -> Result<Option<GlobSet>, GlobError> {
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

const VCS: &[&str] = &[".git", ".hg", ".svn", "CVS", "_darcs", ".bzr"];

/// What a walk finds, before any file is opened.
pub enum Found {
    Stdin,
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

/// The files under the inputs' paths, lazily, in path order (each folder's entries by
/// name); nothing is opened here. jwalk reads each folder as the walk reaches it, on
/// the calling thread: its parallel mode reads every folder ahead of the scan and keeps
/// their entries (measured: +6 MB at 20,000 files, growing with the tree, and no faster
/// on a warm cache), which an archive of millions cannot afford.
pub fn files(inputs: &Inputs) -> impl Iterator<Item = Found> + Send + '_ {
    let selection = &inputs.selection;
    inputs.paths.iter().flat_map(move |root| -> Box<dyn Iterator<Item = Found> + Send + '_> {
        if root.as_os_str() == "-" {
            return Box::new(std::iter::once(Found::Stdin));
        }
        if root.is_file() {
            // Named explicitly: checked whatever its name, if in this shard.
            let take = selection.in_shard(root).then(|| Found::File { path: root.clone(), explicit: true });
            return Box::new(take.into_iter());
        }
        let hidden = selection.hidden;
        let walk = jwalk::WalkDirGeneric::<((), Option<PathBuf>)>::new(root)
            .follow_links(true)
            .skip_hidden(false)
            .parallelism(jwalk::Parallelism::Serial)
            .process_read_dir(move |depth, folder, _, children| {
                // Called once for the roots themselves (no depth): those are taken as given.
                if depth.is_some() {
                    children.retain(|c| c.as_ref().map_or(true, |e| hidden || !is_hidden_or_vcs(&e.file_name)));
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
            Ok(e) if e.file_type().is_dir() => None,
            // A FIFO, socket or device would block or never end: say so instead of reading it.
            Ok(e) if !e.file_type().is_file() => (e.depth == 0 || is_message_file(&e.path())).then(|| Found::Failed {
                path: e.path(),
                why: "not a regular file (a FIFO, socket or device)".to_owned(),
            }),
            Ok(e) => {
                let path = e.path();
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let wanted = is_message_file(&path) && selection.takes(relative) && selection.in_shard(&path);
                wanted.then_some(Found::File { path, explicit: false })
            }
            Err(err) => Some(Found::Failed { path: err.path().unwrap_or(root).to_path_buf(), why: err.to_string() }),
        }))
    })
}

/// The messages a found file holds, read as they are needed: one, or an mbox's each.
pub fn messages(found: Found) -> Box<dyn Iterator<Item = Item> + Send> {
    match found {
        Found::Stdin => Box::new(std::iter::once(stdin_item())),
        Found::File { path, explicit } => expand(path, explicit),
        Found::Failed { path, why } => Box::new(std::iter::once(Item { label: path, source: Source::Failed(why) })),
    }
}

/// The size on disk of each file a scan will read, for a progress bar's total.
pub fn sizes(inputs: &Inputs) -> impl Iterator<Item = u64> + Send + '_ {
    files(inputs).filter_map(|f| match f {
        Found::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
        _ => None,
    })
}

/// A linked folder that leads back to one the walk is in would be walked for ever: it
/// is not entered, and its entry says where it leads.
fn stop_at_loop(folder: &Path, child: &mut jwalk::DirEntry<((), Option<PathBuf>)>) {
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

fn is_mbox(path: &Path, explicit: bool) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".mbox") {
        return true;
    }
    // A file named explicitly is an mbox when it starts like one and holds several messages.
    explicit
        && !name.ends_with(".eml")
        && open(path).is_ok_and(|mut r| {
            let mut head = vec![0; 64 * 1024];
            let n = read_up_to(&mut r, &mut head);
            head.truncate(n);
            head.starts_with(b"From ") && memchr::memmem::find(&head, b"\n\nFrom ").is_some()
        })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

fn expand(path: PathBuf, explicit: bool) -> Box<dyn Iterator<Item = Item> + Send> {
    if is_mbox(&path, explicit) {
        match open(&path) {
            Ok(reader) => Box::new(Mbox::new(path, reader)),
            Err(e) => Box::new(std::iter::once(Item { label: path, source: Source::Failed(e.to_string()) })),
        }
    } else {
        Box::new(std::iter::once(Item { label: path.clone(), source: Source::File(path) }))
    }
}

/// The file's bytes, decompressed when it ends `.gz`.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        // One allocation of the file's size and one read, the common case by far.
        return std::fs::read(path);
    }
    let mut bytes = Vec::new();
    let mut reader = open(path)?.take(MAX_DECOMPRESSED + 1);
    reader.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DECOMPRESSED {
        return Err(std::io::Error::other("larger than 1 GiB once decompressed"));
    }
    Ok(bytes)
}

/// Reads scanned items again by their labels, in scan order, to show findings made after
/// the scan (corpus rules): a file whole, an mbox message (`file.mbox:#N`) with the line
/// it starts on. Each mbox is read once, however many of its messages are asked for.
#[derive(Default)]
pub struct Rereader {
    mbox: Option<Mbox>,
}

impl Rereader {
    /// The item's bytes and the line of its file they start on; `None` for standard input
    /// or an item no longer there as it was.
    pub fn read(&mut self, label: &Path) -> Option<(Vec<u8>, usize)> {
        if label.is_file() {
            return read(label).ok().map(|bytes| (bytes, 1));
        }
        let (file, n) = label.to_str()?.rsplit_once(":#")?;
        let n: usize = n.parse().ok()?;
        let file = Path::new(file);
        let ahead = self.mbox.as_ref().is_some_and(|m| m.path == file && m.count < n);
        if !ahead {
            self.mbox = Some(Mbox::new(file.to_path_buf(), open(file).ok()?));
        }
        let mbox = self.mbox.as_mut()?;
        while let Some(item) = mbox.next() {
            match item.source {
                Source::Bytes { bytes, first_line } if mbox.count == n => return Some((bytes, first_line)),
                Source::Bytes { .. } => {}
                Source::File(_) | Source::Failed(_) => return None,
            }
        }
        None
    }
}

fn open(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    let gzipped = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gzipped { Box::new(flate2::read::MultiGzDecoder::new(file)) } else { Box::new(file) })
}

fn stdin_item() -> Item {
    let mut bytes = Vec::new();
    let source = match std::io::stdin().lock().take(MAX_DECOMPRESSED).read_to_end(&mut bytes) {
        Ok(_) => Source::Bytes { bytes, first_line: 1 },
        Err(e) => Source::Failed(format!("cannot read standard input: {e}")),
    };
    Item { label: PathBuf::from("-"), source }
}

/// The messages of an mbox, read as they are needed. A message starts after a line
/// beginning `From ` that opens the file or follows a blank line (mboxo and mboxrd);
/// the blank line that separates two messages is not part of either.
struct Mbox {
    path: PathBuf,
    reader: BufReader<Box<dyn Read + Send>>,
    /// The `From ` line that opens the next message, already read.
    pending: Option<usize>,
    line: usize,
    count: usize,
    done: bool,
}

impl Mbox {
    fn new(path: PathBuf, reader: Box<dyn Read + Send>) -> Self {
        Mbox { path, reader: BufReader::new(reader), pending: None, line: 0, count: 0, done: false }
    }

    fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<bool> {
        buf.clear();
        let n = self.reader.read_until(b'\n', buf)?;
        if n > 0 {
            self.line += 1;
        }
        Ok(n > 0)
    }
}

impl Iterator for Mbox {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        // The first message's separator.
        if self.pending.is_none() {
            match self.next_line(&mut line) {
                Ok(true) if line.starts_with(b"From ") => self.pending = Some(self.line),
                Ok(true) => {
                    self.done = true;
                    let why = "it is named as an mbox but does not start with a `From ` line".to_owned();
                    return Some(Item { label: self.path.clone(), source: Source::Failed(why) });
                }
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => return Some(self.failed(e)),
            }
        }
        let separator = self.pending.take()?;
        let mut bytes = Vec::new();
        let mut previous_blank = false;
        loop {
            match self.next_line(&mut line) {
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Ok(true) if previous_blank && line.starts_with(b"From ") => {
                    self.pending = Some(self.line);
                    break;
                }
                Ok(true) => {
                    previous_blank = line == b"\n" || line == b"\r\n";
                    bytes.extend_from_slice(&line);
                    if bytes.len() as u64 > MAX_DECOMPRESSED {
                        self.done = true;
                        return Some(self.failed(std::io::Error::other("a message larger than 1 GiB")));
                    }
                }
                Err(e) => return Some(self.failed(e)),
            }
        }
        if previous_blank && self.pending.is_some() {
            let blank = if bytes.ends_with(b"\r\n") { 2 } else { 1 };
            bytes.truncate(bytes.len() - blank);
        }
        self.count += 1;
        let label = PathBuf::from(format!("{}:#{}", self.path.display(), self.count));
        Some(Item { label, source: Source::Bytes { bytes, first_line: separator + 1 } })
    }
}

impl Mbox {
    fn failed(&mut self, e: std::io::Error) -> Item {
        self.done = true;
        Item { label: self.path.clone(), source: Source::Failed(e.to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(mbox: &[u8]) -> Vec<(String, String, usize)> {
        let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(mbox.to_vec()));
        Mbox::new(PathBuf::from("a.mbox"), reader)
            .map(|item| match item.source {
                Source::Bytes { bytes, first_line } => {
                    (item.label.display().to_string(), String::from_utf8(bytes).unwrap(), first_line)
                }
                _ => panic!("unreadable"),
            })
            .collect()
    }

    #[test]
    fn splits_on_from_lines_after_blank_lines() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2026\nSubject: one\n\nbody\nFrom here on, quoted or not\n\nFrom b@x Tue Jan 2 00:00:00 2026\nSubject: two\n\n>From quoted\n";
        let got = messages(mbox);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ("a.mbox:#1".into(), "Subject: one\n\nbody\nFrom here on, quoted or not\n".into(), 2));
        assert_eq!(got[1], ("a.mbox:#2".into(), "Subject: two\n\n>From quoted\n".into(), 8));
    }

    #[test]
    fn hashes_are_stable() {
        assert_eq!(stable_hash(b"archive/2026-11/a.eml"), stable_hash(b"archive/2026-11/a.eml"));
        assert_ne!(stable_hash(b"a.eml"), stable_hash(b"b.eml"));
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
    }
}
