//! The read floor of `scripts/bench.sh`: what any checker of an archive must at least pay.
//! It walks the paths as `check` does (jwalk, sorted, one folder at a time), reads every
//! `.eml` file to its end on JOBS threads, each into a buffer it keeps (allocated as the
//! check's are), and prints how many bytes it read. `cat` as a floor pays a process start-up per batch of files; this does not.
//!
//!     cargo run --release --example floor -- JOBS PATH...

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use rayon::iter::{ParallelBridge, ParallelIterator};

// The check's own allocator, so the kernel copies into memory laid out as the check's is.
// With glibc's, a buffer of a few MB is an mmap whose first byte is 16 bytes past a page
// start, and on some CPUs `read` into it copies at half speed (an 810 MB archive read in
// 0.55 s instead of 0.21 s): a floor slower than the check it measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn read(path: &Path) -> u64 {
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        match std::fs::File::open(path).and_then(|mut file| file.read_to_end(buffer)) {
            Ok(n) => n as u64,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                0
            }
        }
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(jobs) = args.next().and_then(|j| j.parse::<usize>().ok()).filter(|&j| j > 0) else {
        eprintln!("usage: floor JOBS PATH...");
        std::process::exit(2);
    };
    let paths: Vec<String> = args.collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().expect("threads");
    let bytes: u64 = pool.install(|| {
        paths
            .iter()
            .flat_map(|root| jwalk::WalkDir::new(root).sort(true).parallelism(jwalk::Parallelism::Serial))
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "eml"))
            .par_bridge()
            .map(|entry| read(&entry.path()))
            .sum()
    });
    println!("{bytes}");
}
