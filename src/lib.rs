//! nhsmail-lint: a compliance linter for applications that send automated email
//! through NHSmail. The binary (`main.rs`) is glue over these modules; the data path
//! is described in `docs/architecture.md`.

// Files are read, never mapped, and nothing else needs `unsafe`.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod corpus;
pub mod diagnostic;
pub mod explain;
pub mod fixtures;
pub mod functions;
pub mod identity;
pub mod init;
pub mod inputs;
pub mod isolate;
pub mod mail;
pub mod matrix;
pub mod merge;
pub mod online;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod send;
pub mod shards;
pub mod suggest;
pub mod units;
pub mod yaml;
