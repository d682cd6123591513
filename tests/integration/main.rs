//! Integration tests: the real binary over real files, in one test binary (as ripgrep
//! does), with a module per area.

mod baseline;
mod cli;
mod common;
mod corpus;
mod directory;
mod dns_server;
mod docs;
mod examples;
mod fixes;
mod formats;
mod generated;
mod generated_mail;
mod habits;
mod hostile;
mod imap_server;
mod inputs;
mod isemail;
mod ldap_server;
mod mailbox;
mod packages;
mod packaging;
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
