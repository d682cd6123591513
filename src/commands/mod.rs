//! The subcommands' own code: each file joins the stages, or reads the packs, for one
//! command; `main.rs` picks which.

pub mod bounces;
pub mod check;
pub mod completions;
pub mod explain;
pub mod fixtures;
pub mod init;
pub mod man;
pub mod matrix;
pub mod merge;
pub mod schema;
pub mod settings;
pub mod version;
