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
pub use compiled::{Check, Interval, Requirement, Rule, RuleSet};

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

    /// The compliance matrix of the built-in pack: every rule traces to a requirement,
    /// every requirement is checked by a rule or attested, the declared coverage is what
    /// the rules give (plus attest), and a rule whose severity is not its verb's says why.
    #[test]
    fn the_built_in_matrix_leaves_nothing_uncovered() {
        use spec::Coverage;
        let pack = YamlSource::new(BUILTIN_PACK_NAME, BUILTIN_PACK);
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.requirements.len() >= 25, "{}", rules.requirements.len());
        for rule in &rules.rules {
            assert!(!rule.requirement.is_empty(), "{} names no requirement", rule.id);
            let by_verb = crate::explain::verb_severity(&rules, rule).expect("requirements have verbs");
            if by_verb != rule.severity {
                assert!(
                    rule.docs.severity_reason.is_some(),
                    "{}: {:?} is not its verb's {by_verb:?}",
                    rule.id,
                    rule.severity
                );
            } else {
                assert!(
                    rule.docs.severity_reason.is_none(),
                    "{}: a severity_reason where there is no departure",
                    rule.id
                );
            }
        }
        for requirement in &rules.requirements {
            let checked: Vec<&Rule> = rules.rules_for(&requirement.id).collect();
            assert!(
                !checked.is_empty() || requirement.coverage.contains(&Coverage::Attest),
                "{} has no rule and no attest coverage",
                requirement.id
            );
            let mut derived: Vec<Coverage> =
                checked.iter().map(|r| if r.online { Coverage::Online } else { Coverage::Offline }).collect();
            derived.extend(requirement.coverage.iter().filter(|c| **c == Coverage::Attest));
            derived.sort();
            derived.dedup();
            assert_eq!(derived, requirement.coverage, "{}: declared coverage against its rules", requirement.id);
        }
    }

    /// A requirement from the guidance quotes it word for word (whitespace aside).
    #[test]
    fn guidance_sentences_are_the_guidance_s_own_words() {
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let guidance = words(include_str!("../../tests/fixtures/nhsmail-sending-automated-email.txt"));
        let pack = YamlSource::new(BUILTIN_PACK_NAME, BUILTIN_PACK);
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let quoted: Vec<_> = rules.requirements.iter().filter(|r| r.source.starts_with("Guidance")).collect();
        assert!(quoted.len() >= 20, "{}", quoted.len());
        for requirement in quoted {
            assert!(
                guidance.contains(&words(&requirement.sentence)),
                "{}: not in the guidance: {}",
                requirement.id,
                requirement.sentence
            );
        }
    }
}
