//! Large files mapped from the page cache instead of copied into memory. Copying is most
//! of what checking a large message costs (the kernel's copy into a fresh buffer, page by
//! page), so a file of `MAP_FROM` bytes or more is mapped when that is safe. A mapped
//! file whose bytes go away kills the whole process with SIGBUS, where a read would only
//! fail on that file, so a file is mapped only when all of these hold, and read otherwise:
//! - it is on a local file system (`LOCAL`: disks and tmpfs): over a network or FUSE file
//!   system the other side can truncate it whatever this machine's kernel holds;
//! - a read lease is granted: the kernel then holds any local writer (an open for writing,
//!   a truncate) until the file is let go (it breaks a lease only after
//!   `/proc/sys/fs/lease-break-time`, 45 s by default), and grants none while someone has
//!   the file open for writing, nor on another user's file without `CAP_LEASE`;
//! - every page is in the page cache, or can be read in at once (`MADV_POPULATE_READ`,
//!   Linux 5.14, reports a disk error as an error, where touching the page later would
//!   raise SIGBUS; on older kernels a file not wholly in the page cache is read).
//!
//! The scan maps only when it asks no online service, so a message is let go within
//! milliseconds, far inside the lease-break time (unless the process is stopped or frozen
//! for longer: Ctrl-Z, a frozen cgroup); so does the re-reading of files with corpus
//! findings after the scan, which asks none.

use std::fs::File;
use std::ops::Deref;

/// Files this large or larger are mapped (below it a read costs less than mapping).
pub const MAP_FROM: u64 = 256 * 1024;

/// A file's bytes, mapped, with the file (and its lease) held until they are dropped.
#[cfg_attr(not(target_os = "linux"), allow(dead_code, reason = "only Linux maps"))]
pub struct Mapped {
    // Dropped before `_file`: the mapping goes, then the lease with the file.
    map: memmap2::Mmap,
    _file: File,
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

/// Maps `file` under a read lease, or hands it back to be read.
#[cfg(target_os = "linux")]
pub fn map(file: File) -> Result<Mapped, File> {
    if !on_local_file_system(&file) || !lease(&file) {
        return Err(file);
    }
    // SAFETY: the file is on a local file system, and the lease just taken holds off
    // every process that would open it for writing or truncate it until `Mapped` is
    // dropped (see the module's comment on how soon that is); this process never writes
    // to it. So the mapped bytes stay as they are for the mapping's life.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else {
        return Err(file);
    };
    // Read every page in now: a disk error comes back here as an error instead of as
    // SIGBUS when the page is first touched.
    if !populate(&map, &file) {
        return Err(file);
    }
    Ok(Mapped { map, _file: file })
}

/// Whether every page of `map` can be read without a disk error: yes when all are in the
/// page cache already (the common case, and reading them in again costs 9%), else by
/// reading them in now.
#[cfg(target_os = "linux")]
fn populate(map: &memmap2::Mmap, file: &File) -> bool {
    map.is_empty() || (owned(file) && in_page_cache(map)) || map.advise(memmap2::Advice::PopulateRead).is_ok()
}

/// Whether this process owns `file`: only then does `mincore` tell the page cache's
/// state for certain (for a file it could not write it may report every page as there,
/// and a lease on another user's file is granted with `CAP_LEASE` alone).
#[cfg(target_os = "linux")]
fn owned(file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata().is_ok_and(|m| m.uid() == rustix::process::geteuid().as_raw())
}

#[cfg(target_os = "linux")]
fn in_page_cache(map: &memmap2::Mmap) -> bool {
    let page = rustix::param::page_size();
    let mut resident = vec![0u8; map.len().div_ceil(page)];
    // SAFETY: `mincore` writes one byte a page of the mapping, `map.len()` rounded up to
    // pages, into `resident`, which holds exactly that many; the mapping is live and
    // starts on a page (offset 0).
    let done = unsafe { libc::mincore(map.as_ptr().cast_mut().cast(), map.len(), resident.as_mut_ptr()) == 0 };
    done && resident.iter().all(|r| r & 1 == 1)
}

/// tmpfs's `statfs` magic number.
#[cfg(target_os = "linux")]
const TMPFS: i64 = 0x0102_1994;

/// The local file systems, by `statfs` magic number.
#[cfg(target_os = "linux")]
const LOCAL: &[i64] = &[
    0xEF53,      // ext2, ext3, ext4
    0x5846_5342, // xfs
    0x9123_683E, // btrfs
    0xF2F5_2010, // f2fs
    0x2FC1_2FC1, // zfs
    TMPFS,
];

#[cfg(target_os = "linux")]
#[allow(clippy::useless_conversion, reason = "`f_type` is an i64 on x86_64, a u32 on some other targets")]
fn on_local_file_system(file: &File) -> bool {
    rustix::fs::fstatfs(file).is_ok_and(|fs| LOCAL.contains(&i64::from(fs.f_type)))
}

/// `F_SETSIG` from Linux's `<fcntl.h>` (the libc crate leaves it out): 10 on every
/// architecture Rust builds for.
#[cfg(target_os = "linux")]
const F_SETSIG: libc::c_int = 10;

/// Takes a read lease on `file`, which must be open read-only.
#[cfg(target_os = "linux")]
fn lease(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // A writer that waits on the lease is announced by a signal, SIGIO unless another is
    // set, and SIGIO's default action ends the process: SIGURG's is to ignore it, and the
    // announcement is not needed (the file is let go soon anyway).
    // SAFETY: `fcntl` with `F_SETSIG` and `F_SETLEASE` takes integers and reads no memory;
    // the descriptor is open, owned by `file`, for the duration of the calls.
    unsafe { libc::fcntl(fd, F_SETSIG, libc::SIGURG) == 0 && libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) == 0 }
}

/// Elsewhere files are read: leases, `mincore` and `MADV_POPULATE_READ` are Linux's.
#[cfg(not(target_os = "linux"))]
pub fn map(file: File) -> Result<Mapped, File> {
    Err(file)
}

/// A temporary folder on a file system this module maps from, and that file system's
/// type, for the tests: `None` (the test is skipped) elsewhere, such as a `/tmp` on
/// overlayfs in a container, unless NHSMAIL_LINT_REQUIRE_ALL is set, as in CI.
#[cfg(all(test, target_os = "linux"))]
pub(super) fn local_test_dir(test: &str) -> Option<(tempfile::TempDir, i64)> {
    let dir = tempfile::tempdir().unwrap();
    #[allow(clippy::useless_conversion, reason = "`f_type`'s type differs between targets")]
    let kind = i64::from(rustix::fs::statfs(dir.path()).unwrap().f_type);
    if LOCAL.contains(&kind) {
        return Some((dir, kind));
    }
    skip(test, &format!("a temporary folder on a local file system, and it is on file system {kind:#x}"));
    None
}

/// Skips a test that cannot run here, as `tests/integration/common.rs::requirement` does:
/// with NHSMAIL_LINT_REQUIRE_ALL set (CI), it fails instead.
#[cfg(all(test, target_os = "linux"))]
pub(super) fn skip(test: &str, why: &str) {
    let required = std::env::var_os("NHSMAIL_LINT_REQUIRE_ALL").is_some_and(|v| !v.is_empty() && v != "0");
    assert!(!required, "{test} needs {why}; it cannot be skipped, as NHSMAIL_LINT_REQUIRE_ALL is set");
    eprintln!("skipped {test}: it needs {why} (set NHSMAIL_LINT_REQUIRE_ALL=1 to fail instead)");
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    use super::*;

    fn open_for_writing(path: &std::path::Path) -> std::io::Result<File> {
        // Non-blocking: an open that meets a lease fails at once instead of waiting.
        std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path)
    }

    #[test]
    fn a_mapped_file_cannot_be_opened_for_writing_until_it_is_let_go() {
        let Some((dir, _)) = local_test_dir("a_mapped_file_cannot_be_opened_for_writing_until_it_is_let_go") else {
            return;
        };
        let path = dir.path().join("big.eml");
        std::fs::write(&path, b"Subject: a\n\nbody\n").unwrap();
        let Ok(mapped) = map(File::open(&path).unwrap()) else { panic!("no lease on a local file no one writes") };
        assert_eq!(&mapped[..], b"Subject: a\n\nbody\n");
        // The lease's notice reaches this process too: the test would end here if it
        // were SIGIO.
        let refused = open_for_writing(&path).expect_err("a writer must wait while the file is mapped");
        assert_eq!(refused.kind(), std::io::ErrorKind::WouldBlock);
        drop(mapped);
        open_for_writing(&path).expect("once let go, the file can be written");
    }

    #[test]
    fn a_file_open_for_writing_is_not_mapped() {
        let Some((dir, _)) = local_test_dir("a_file_open_for_writing_is_not_mapped") else { return };
        let path = dir.path().join("growing.eml");
        let mut writer = File::create(&path).unwrap();
        writer.write_all(b"Subject: a\n\n").unwrap();
        assert!(map(File::open(&path).unwrap()).is_err(), "a file being written must be read, not mapped");
    }

    #[test]
    fn a_file_not_in_the_page_cache_is_read_in_when_mapped() {
        let test = "a_file_not_in_the_page_cache_is_read_in_when_mapped";
        let Some((dir, kind)) = local_test_dir(test) else { return };
        if kind == TMPFS {
            // tmpfs pages never leave memory: there is nothing to read in.
            skip(test, "a temporary folder on a disk, and it is on tmpfs");
            return;
        }
        let path = dir.path().join("cold.eml");
        let bytes: Vec<u8> = (0..MAP_FROM).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = File::open(&path).unwrap();
        file.sync_all().unwrap();
        // Clean pages of a file on disk leave the page cache when asked to.
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        // SAFETY: a file of this test's own, which nothing else opens.
        let cold = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        assert!(owned(&file) && !in_page_cache(&cold), "evicted pages are not in the page cache");
        drop(cold);
        let Ok(mapped) = map(file) else { panic!("mapped after reading it in") };
        assert!(in_page_cache(&mapped.map), "read in by the mapping");
        assert_eq!(&mapped[..], &bytes[..]);
    }

    #[test]
    fn only_files_on_local_file_systems_are_mapped() {
        assert!(!on_local_file_system(&File::open("/proc/self/status").unwrap()), "procfs");
        if let Some((dir, _)) = local_test_dir("only_files_on_local_file_systems_are_mapped") {
            std::fs::write(dir.path().join("a.eml"), b"Subject: a\n\n").unwrap();
            assert!(on_local_file_system(&File::open(dir.path().join("a.eml")).unwrap()));
        }
    }
}
