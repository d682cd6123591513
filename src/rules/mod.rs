//! The rule engine: rule packs are YAML (`spec`), compiled and validated before any
//! message is read (`compile`), then run over messages (`engine`) through field
//! selectors (`field`). The NHSmail pack is built in.

pub(crate) mod compile;
pub(crate) mod compiled;
pub(crate) mod condition;
pub(crate) mod config_field;
pub mod engine;
pub mod field;
pub(crate) mod fix;
pub(crate) mod pattern;
pub(crate) mod spec;
pub(crate) mod value;

pub use compile::compile;
pub(crate) use compiled::{Check, Interval, Requirement};
pub use compiled::{Rule, RuleSet};

use crate::util::yaml::YamlSource;

/// The built-in NHSmail pack, compiled into the binary.
pub(crate) const BUILTIN_PACK: &str = include_str!("../../rules/nhsmail.yaml");
pub(crate) const BUILTIN_PACK_NAME: &str = "rules/nhsmail.yaml (built in)";
/// The same pack as JSON, converted by build.rs (empty if the YAML did not parse).
const BUILTIN_PACK_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/nhsmail.json"));

/// The built-in pack as the rule compiler reads it: from its build-time JSON form.
pub fn builtin_pack() -> YamlSource {
    YamlSource::prebuilt(BUILTIN_PACK_NAME, BUILTIN_PACK, BUILTIN_PACK_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The JSON the binary reads is the YAML people edit: the same pack, value for value
    /// (a YAML scalar that JSON would type differently would show here).
    #[test]
    fn the_built_in_pack_as_built_is_the_yaml_as_written() {
        let shown = |pack: YamlSource| {
            let spec = pack.parse::<spec::PackSpec>().unwrap_or_else(|e| panic!("{e:?}"));
            let text = format!("{spec:#?}");
            let location = regex::Regex::new(r"(?s)(referenced|defined): Location \{.*?\n\s*\},").expect("valid regex");
            location.replace_all(&text, "$1: _,").into_owned()
        };
        assert!(BUILTIN_PACK_JSON.starts_with('{'), "build.rs did not convert the pack");
        let yaml = shown(YamlSource::new(BUILTIN_PACK_NAME, BUILTIN_PACK));
        assert!(yaml.contains("nhs-number-in-subject") && !yaml.contains("Location {"), "{}", &yaml[..2000]);
        assert_eq!(shown(builtin_pack()), yaml);
    }

    #[test]
    fn the_built_in_pack_compiles_and_documents_every_rule() {
        let pack = builtin_pack();
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.rules.len() >= 24);
        for rule in &rules.rules {
            // Its patterns wait for their first message: each must build.
            let required = match &rule.check {
                Check::Require(conditions) => &conditions[..],
                Check::Interval(_) => &[],
            };
            for condition in rule.when.iter().chain(&rule.unless).chain(required) {
                if let compiled::Op::Matches(pattern) | compiled::Op::NotMatches(pattern) = &condition.op {
                    pattern.build().unwrap_or_else(|e| panic!("{}: {e}", rule.id));
                }
            }
            let d = &rule.docs;
            let documented = [&d.what, &d.why, &d.example, &d.source].iter().all(|s| s.is_some());
            assert!(documented && rule.help.is_some(), "{} lacks docs or help", rule.id);
            // A set-up rule says whether its errors stop every send, and why; no other does.
            let config = rule.scope == spec::Scope::Config;
            assert_eq!(d.sending.is_some(), config, "{}: docs.sending on {:?} rules only", rule.id, rule.scope);
        }
    }

    /// The status-code table: every row's pattern builds (they wait for their first
    /// report), every row cites a page, and the codes the issue names say the requirement
    /// their cause is, or none.
    #[test]
    fn the_built_in_status_codes_build_cite_and_name_their_requirement() {
        let rules = compile(&[builtin_pack()], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.status_codes.len() >= 25, "{}", rules.status_codes.len());
        for row in &rules.status_codes {
            if let Some(pattern) = &row.diagnostic {
                pattern.build().unwrap_or_else(|e| panic!("{}: {e}", row.code));
            }
            assert!(row.source.starts_with("https://"), "{}: {}", row.code, row.source);
        }
        let requirement = |code: &str, text: &str| {
            let row = rules.classify(code, text).unwrap_or_else(|| panic!("{code} is in the table"));
            row.requirement.as_deref().map(str::to_owned)
        };
        assert_eq!(requirement("5.7.60", "").as_deref(), Some("A2"));
        assert_eq!(requirement("5.3.4", "").as_deref(), Some("M1"));
        assert_eq!(requirement("5.5.3", "").as_deref(), Some("M2"));
        assert_eq!(requirement("5.7.30", "").as_deref(), Some("C8"));
        assert_eq!(requirement("5.7.708", ""), None);
        assert_eq!(requirement("5.7.750", ""), None);
        // One code, two causes: the diagnostic text tells the sender's quota from a full mailbox.
        let quota = rules.classify(
            "5.2.2",
            "554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException",
        );
        assert_eq!(quota.map(|r| r.side), Some(spec::Side::Sender));
        let full = rules.classify("5.2.2", "552 5.2.2 Mailbox full");
        assert_eq!(full.map(|r| r.side), Some(spec::Side::Recipient));
        assert!(rules.classify("5.9.99", "").is_none());
    }

    /// Only a set-up error that makes every send fail or breach stops `--send`: the rest
    /// stop nothing (a warning never does) or hold back only the messages they concern.
    #[test]
    fn the_set_up_rules_that_stop_every_send_are_the_ones_that_say_so() {
        let pack = builtin_pack();
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let config = rules.rules.iter().filter(|r| r.scope == spec::Scope::Config);
        let mut blocking: Vec<&str> = config.filter(|r| r.blocks_send).map(|r| &*r.id).collect();
        blocking.sort_unstable();
        assert_eq!(
            blocking,
            [
                "account-placeholder",
                "mailbox-quota",
                "relay-dns-registration",
                "relay-tls-mode",
                "smtp-auth-mechanism",
                "smtp-connect",
                "smtp-greeting",
                "smtp-login",
                "smtp-secret-missing",
                "smtp-sender",
                "smtp-tls",
                "smtp-tls-mode",
                "smtp-username",
                "username-not-account",
            ]
        );
        for rule in rules.rules.iter().filter(|r| r.blocks_send) {
            assert_eq!(
                rule.severity,
                crate::findings::diagnostic::Severity::Error,
                "{}: a blocker is an error",
                rule.id
            );
        }
        let size = rules.get("smtp-size").expect("smtp-size");
        assert_eq!((size.severity, size.blocks_send), (crate::findings::diagnostic::Severity::Warning, false));
    }

    /// The compliance matrix of the built-in pack: every rule traces to a requirement,
    /// every requirement is checked by a rule or attested, the declared coverage is what
    /// the rules give (plus attest), and a rule whose severity is not its verb's says why.
    #[test]
    fn the_built_in_matrix_leaves_nothing_uncovered() {
        use spec::Coverage;
        let pack = builtin_pack();
        let rules = compile(&[pack], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.requirements.len() >= 25, "{}", rules.requirements.len());
        for rule in &rules.rules {
            assert!(!rule.requirement.is_empty(), "{} names no requirement", rule.id);
            let by_verb = crate::commands::explain::verb_severity(&rules, rule).expect("requirements have verbs");
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

    /// A trust's set-up rule stops every send unless it says otherwise; no other rule does.
    #[test]
    fn a_config_rule_stops_every_send_unless_it_says_otherwise() {
        let pack = "rules:
  - {id: stops, severity: error, summary: s, message: m, scope: config, require: [{field: transport.host, equals: x}]}
  - {id: concerns-some, severity: error, summary: s, message: m, scope: config, blocks_send: false,
     require: [{field: transport.host, equals: x}]}
  - {id: a-message-rule, severity: error, summary: s, message: m, require: [{field: subject, present: true}]}
";
        let rules = compile(&[YamlSource::new("t.yaml", pack)], &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let blocks: Vec<bool> = rules.rules.iter().map(|r| r.blocks_send).collect();
        assert_eq!(blocks, [true, false, false]);
    }

    /// A requirement from the guidance quotes it word for word (whitespace aside).
    #[test]
    fn guidance_sentences_are_the_guidance_s_own_words() {
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let guidance = words(include_str!("../../tests/fixtures/nhsmail-sending-automated-email.txt"));
        let pack = builtin_pack();
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
