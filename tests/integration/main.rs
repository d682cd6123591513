//! Integration tests: the real binary over real files, in one test binary (as ripgrep
//! does), with a module per area.

mod baseline;
mod ci_reports;
mod cli;
mod command_line_docs;
mod common;
mod corpus;
mod directory;
mod dns_server;
mod docs;
mod formats;
mod generated;
mod generated_mail;
mod hostile;
mod imap_server;
mod inputs;
mod isemail;
mod ldap_server;
mod mailbox;
mod packages;
mod preflight;
mod probe;
mod public_corpus;
mod reports;
mod rule_packs;
mod rule_tests;
mod scale;
mod schemas;
mod send;
mod smtp_script;
mod smtp_server;
mod snapshots;
mod suggestions;
mod unread;
mod version;
