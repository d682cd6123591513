//! The rule engine: rule packs are YAML (`spec`), compiled and validated before any
//! message is read (`compile`), then run over messages (`engine`) through field
//! selectors (`field`). The NHSmail pack is built in.

pub mod compile;
pub mod compiled;
pub mod condition;
pub mod config_field;
pub mod engine;
pub mod field;
pub mod spec;
pub mod value;

pub use compile::compile;
pub use compiled::{Check, Rule, RuleSet};

/// The built-in NHSmail pack, compiled into the binary.
pub const BUILTIN_PACK: &str = include_str!("../../rules/nhsmail.yaml");
pub const BUILTIN_PACK_NAME: &str = "rules/nhsmail.yaml (built in)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::yaml::YamlSource;

    #[test]
    fn the_built_in_pack_compiles_and_documents_every_rule() {
        let pack = YamlSource::new(BUILTIN_PACK_NAME, BUILTIN_PACK);
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.rules.len() >= 24);
        for rule in &rules.rules {
            let d = &rule.docs;
            let documented = [&d.what, &d.why, &d.example, &d.source].iter().all(|s| s.is_some());
            assert!(documented && rule.help.is_some(), "{} lacks docs or help", rule.id);
        }
    }
}
