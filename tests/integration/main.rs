//! Integration tests: the real binary over real files, in one test binary (as ripgrep
//! does), with a module per area.

mod baseline;
mod cli;
mod common;
mod corpus;
mod directory;
mod dns_server;
mod docs;
mod formats;
mod generated;
mod hostile;
mod imap_server;
mod inputs;
mod ldap_server;
mod mailbox;
mod packages;
mod preflight;
mod probe;
mod public_corpus;
mod rule_packs;
mod scale;
mod send;
mod smtp_script;
mod smtp_server;
mod snapshots;
