//! The data path of a run, in order: the plans compiled once from the command line, the
//! config and the packs; `--fix` and `--diff`; the set-up checks; the parallel scan; the corpus rules across
//! it; the baseline that keeps only what is new.

pub(crate) mod baseline;
pub(crate) mod corpus;
pub(crate) mod fix;
pub mod plan;
pub(crate) mod preflight;
pub(crate) mod scan;
