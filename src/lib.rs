//! nhsmail-lint: a compliance linter for applications that send automated email
//! through NHSmail. The binary (`main.rs`) is glue over these modules; the data path
//! is described in `docs/architecture.md`.

// Files are read, never mapped, and nothing else needs `unsafe`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub(crate) mod bounces;
pub mod cli;
pub mod commands;
pub mod config;
pub mod findings;
pub mod functions;
pub(crate) mod inputs;
pub mod mail;
pub mod online;
pub mod report;
pub mod rules;
pub mod send;
pub mod stages;
pub mod util;
