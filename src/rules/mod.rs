//! The rule engine: rule packs are YAML (`spec`), compiled and validated before any
//! message is read (`compile`), then run over messages (`engine`) through field
//! selectors (`field`). The NHSmail pack is built in.

pub mod compile;
pub mod engine;
pub mod field;
pub mod spec;

pub use compile::{Check, Rule, RuleSet, compile};

/// The built-in NHSmail pack, compiled into the binary.
pub const BUILTIN_PACK: &str = include_str!("../../rules/nhsmail.yaml");
pub const BUILTIN_PACK_NAME: &str = "rules/nhsmail.yaml (built in)";
