//! Large files mapped from the page cache instead of copied into memory. Copying is most
//! of what checking a large message costs (the kernel's copy into a fresh buffer, page by
//! page), so a file of `MAP_FROM` bytes or more is mapped, but only under a read lease:
//! a mapped file that another process truncates kills the reader with SIGBUS, and a
//! lease makes the kernel hold any writer (an open for writing, a truncate) until the
//! file is let go, which is milliseconds later. Where no lease can be had (a file
//! someone has open for writing, another user's file, a file system without leases,
//! another operating system) the file is read as before.

use std::fs::File;
use std::ops::Deref;

/// Files this large or larger are mapped (below it a read costs less than mapping).
pub const MAP_FROM: u64 = 256 * 1024;

/// A file's bytes, mapped, with the file (and its lease) held until they are dropped.
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
pub fn map(file: File) -> Result<Mapped, File> {
    if !lease(&file) {
        return Err(file);
    }
    // SAFETY: the lease just taken holds off every process that would open the file for
    // writing or truncate it until `Mapped` is dropped (the kernel breaks a lease only
    // after `/proc/sys/fs/lease-break-time`, 45 s by default, far beyond the
    // milliseconds a message is checked in), and this process never writes to it, so
    // the mapped bytes stay valid and unchanged for the mapping's life.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Ok(Mapped { map, _file: file }),
        Err(_) => Err(file),
    }
}

/// Takes a read lease on `file`, which must be open read-only.
#[cfg(target_os = "linux")]
fn lease(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    static IGNORE_SIGIO: std::sync::Once = std::sync::Once::new();
    // A writer that waits on a lease is announced with SIGIO, whose default action ends
    // the process; the announcement is not needed (the file is let go soon anyway).
    // SAFETY: `SIG_IGN` installs no handler, and nothing else in this program uses SIGIO.
    IGNORE_SIGIO.call_once(|| unsafe {
        libc::signal(libc::SIGIO, libc::SIG_IGN);
    });
    // SAFETY: `fcntl` with `F_SETLEASE` reads no memory; the descriptor is open, owned
    // by `file`, for the duration of the call.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn lease(_: &File) -> bool {
    false
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.eml");
        std::fs::write(&path, b"Subject: a\n\nbody\n").unwrap();
        let Ok(mapped) = map(File::open(&path).unwrap()) else { panic!("no lease on a file no one writes") };
        assert_eq!(&mapped[..], b"Subject: a\n\nbody\n");
        let refused = open_for_writing(&path).expect_err("a writer must wait while the file is mapped");
        assert_eq!(refused.kind(), std::io::ErrorKind::WouldBlock);
        drop(mapped);
        open_for_writing(&path).expect("once let go, the file can be written");
    }

    #[test]
    fn a_file_open_for_writing_is_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.eml");
        let mut writer = File::create(&path).unwrap();
        writer.write_all(b"Subject: a\n\n").unwrap();
        assert!(map(File::open(&path).unwrap()).is_err(), "a file being written must be read, not mapped");
    }
}
