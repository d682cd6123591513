//! What `merge` proves before it joins parts: that they are the shards of one scan (the same
//! run id, version, rule packs, config and inputs as given), each shard once, none missing,
//! and that the merge judges with the packs and config the shards used. A part is known by
//! the `"run"` object of its summary line.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::report::provenance::Hashed;

/// A part's own account of its run, as its summary line gives it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PartRun {
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) packs: Vec<Hashed>,
    pub(crate) config: Option<Hashed>,
    #[serde(default)]
    pub(crate) inputs: Vec<String>,
    pub(crate) shard: Option<String>,
    pub(crate) run_id: Option<String>,
}

/// Parts that are not the shards of one scan, or a merge that would judge them otherwise.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ShardsError {
    #[error(
        "{path} is not a finished shard's part: it has no summary line (the shard was stopped, or this is not `check --shard K/N --format jsonl` output)"
    )]
    #[diagnostic(
        code(merge),
        help("run that shard again, or pass --allow-partial to merge the others and report its share as not checked")
    )]
    Unfinished { path: String },
    #[error("{path} is not a shard's part: `check` wrote it without --shard K/N")]
    #[diagnostic(code(merge), help("merge joins the parts of `check --shard K/N --format jsonl`"))]
    NotAShard { path: String },
    #[error("the parts are not of one scan: {first} has {what} {a}, {second} has {b}")]
    #[diagnostic(
        code(merge),
        help(
            "merge the parts of one scan only: the same paths, config, rule packs and version, and the same --run-id"
        )
    )]
    Mixed { what: &'static str, first: String, a: String, second: String, b: String },
    #[error("the parts were scanned with {what} {parts}, but this merge has {ours}")]
    #[diagnostic(
        code(merge),
        help("give merge the --config and rule packs the shards used (the report would otherwise mix two settings)")
    )]
    Different { what: &'static str, parts: String, ours: String },
    #[error("shard {shard} is given twice: {first} and {second}")]
    #[diagnostic(code(merge), help("pass each shard's part once"))]
    Repeated { shard: String, first: String, second: String },
    #[error("shard(s) {missing} of {n} are missing: no part was given for them")]
    #[diagnostic(
        code(merge),
        help(
            "merge once every shard has ended (afterany) and pass every part, or pass --allow-partial to report the missing shares as not checked"
        )
    )]
    Missing { missing: String, n: u64 },
    #[error("no part finished: there is nothing to merge")]
    #[diagnostic(code(merge))]
    Nothing,
}

/// What the merge itself runs with, to hold the parts against.
pub(crate) struct Ours {
    pub(crate) version: &'static str,
    pub(crate) packs: Vec<Hashed>,
    pub(crate) config: Option<Hashed>,
}

/// The shards that a partial merge lacks (`K/N`), and the parts it left out as unfinished.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Gaps {
    pub(crate) missing: Vec<String>,
    pub(crate) unfinished: Vec<String>,
}

fn describe(hashed: &Option<Hashed>) -> String {
    hashed.as_ref().map_or_else(|| "no config file".to_owned(), |h| format!("{} (sha256 {})", h.name, &h.sha256))
}

fn packs(packs: &[Hashed]) -> String {
    let names: Vec<String> = packs.iter().map(|p| format!("{} (sha256 {})", p.name, &p.sha256)).collect();
    names.join(", ")
}

fn digests(packs: &[Hashed]) -> Vec<&str> {
    packs.iter().map(|p| p.sha256.as_str()).collect()
}

/// Proves `parts` (each path with its run, `None` for a part without a summary line) to be
/// the shards of one scan judged as it was scanned; with `allow_partial`, missing shards and
/// unfinished parts are gaps to report rather than errors.
pub(crate) fn prove(
    parts: &[(String, Option<PartRun>)],
    ours: &Ours,
    allow_partial: bool,
) -> Result<Gaps, ShardsError> {
    let mut gaps = Gaps::default();
    let mut finished: Vec<(&str, &PartRun)> = Vec::new();
    for (path, run) in parts {
        match run {
            Some(run) => finished.push((path, run)),
            None if allow_partial => gaps.unfinished.push(path.clone()),
            None => return Err(ShardsError::Unfinished { path: path.clone() }),
        }
    }
    let Some(&(first, one)) = finished.first() else { return Err(ShardsError::Nothing) };
    let mut shares: BTreeMap<u64, &str> = BTreeMap::new();
    let mut of = None;
    for &(path, run) in &finished {
        let mixed = |what, a: String, b: String| {
            let (first, second) = (first.to_owned(), path.to_owned());
            Err(ShardsError::Mixed { what, first, a, second, b })
        };
        if run.run_id != one.run_id {
            let id = |r: &PartRun| r.run_id.clone().unwrap_or_else(|| "none".to_owned());
            return mixed("run id", id(one), id(run));
        }
        if run.version != one.version {
            return mixed("version", one.version.clone(), run.version.clone());
        }
        if digests(&run.packs) != digests(&one.packs) {
            return mixed("rule packs", packs(&one.packs), packs(&run.packs));
        }
        if run.config.as_ref().map(|c| &c.sha256) != one.config.as_ref().map(|c| &c.sha256) {
            return mixed("config", describe(&one.config), describe(&run.config));
        }
        if run.inputs != one.inputs {
            return mixed("inputs", one.inputs.join(" "), run.inputs.join(" "));
        }
        let Some((k, n)) = run.shard.as_deref().and_then(share) else {
            return Err(ShardsError::NotAShard { path: path.to_owned() });
        };
        if let Some(n0) = of.filter(|&n0| n0 != n) {
            return mixed("shards of", format!("{n0}"), format!("{n}"));
        }
        of = Some(n);
        if let Some(before) = shares.insert(k, path) {
            let (first, second) = (before.to_owned(), path.to_owned());
            return Err(ShardsError::Repeated { shard: format!("{k}/{n}"), first, second });
        }
    }
    if one.version != ours.version {
        return Err(ShardsError::Different { what: "version", parts: one.version.clone(), ours: ours.version.into() });
    }
    if digests(&one.packs) != digests(&ours.packs) {
        return Err(ShardsError::Different { what: "rule packs", parts: packs(&one.packs), ours: packs(&ours.packs) });
    }
    if one.config.as_ref().map(|c| &c.sha256) != ours.config.as_ref().map(|c| &c.sha256) {
        let (parts, ours) = (describe(&one.config), describe(&ours.config));
        return Err(ShardsError::Different { what: "config", parts, ours });
    }
    let n = of.unwrap_or(1);
    gaps.missing = (1..=n).filter(|k| !shares.contains_key(k)).map(|k| format!("{k}/{n}")).collect();
    if !gaps.missing.is_empty() && !allow_partial {
        return Err(ShardsError::Missing { missing: gaps.missing.join(", "), n });
    }
    Ok(gaps)
}

/// `K/N` as a part records it (1-based).
fn share(text: &str) -> Option<(u64, u64)> {
    let (k, n) = text.split_once('/')?;
    let (k, n) = (k.parse().ok()?, n.parse().ok()?);
    (1..=n).contains(&k).then_some((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(name: &str, sha: &str) -> Hashed {
        Hashed { name: name.to_owned(), sha256: sha.to_owned(), found: None }
    }

    fn run(shard: &str) -> PartRun {
        PartRun {
            version: "0.1.0".to_owned(),
            packs: vec![hashed("builtin", "aa")],
            config: Some(hashed("nhsmail-lint.yaml", "cc")),
            inputs: vec!["archive".to_owned()],
            shard: Some(shard.to_owned()),
            run_id: Some("job-7".to_owned()),
        }
    }

    fn ours() -> Ours {
        Ours { version: "0.1.0", packs: vec![hashed("builtin", "aa")], config: Some(hashed("/etc/lint.yaml", "cc")) }
    }

    fn parts(runs: Vec<PartRun>) -> Vec<(String, Option<PartRun>)> {
        runs.into_iter().enumerate().map(|(i, r)| (format!("part{i}.jsonl"), Some(r))).collect()
    }

    #[test]
    fn every_shard_of_one_scan_once_is_proved() {
        assert_eq!(prove(&parts(vec![run("2/2"), run("1/2")]), &ours(), false).expect("proved"), Gaps::default());
    }

    #[test]
    fn a_missing_shard_is_refused_or_with_allow_partial_reported() {
        let three = parts(vec![run("1/3"), run("3/3")]);
        let err = prove(&three, &ours(), false).expect_err("missing");
        assert_eq!(err.to_string(), "shard(s) 2/3 of 3 are missing: no part was given for them");
        let mut with_unfinished = three.clone();
        with_unfinished.push(("cut.jsonl".to_owned(), None));
        assert!(matches!(prove(&with_unfinished, &ours(), false), Err(ShardsError::Unfinished { .. })));
        let gaps = prove(&with_unfinished, &ours(), true).expect("partial");
        assert_eq!(gaps, Gaps { missing: vec!["2/3".to_owned()], unfinished: vec!["cut.jsonl".to_owned()] });
    }

    #[test]
    fn repeated_or_mixed_parts_are_refused() {
        let repeated = prove(&parts(vec![run("1/2"), run("1/2")]), &ours(), true).expect_err("twice");
        assert!(repeated.to_string().starts_with("shard 1/2 is given twice: part0.jsonl and part1.jsonl"));
        let mut other_scan = run("2/2");
        other_scan.run_id = Some("job-8".to_owned());
        let mixed = prove(&parts(vec![run("1/2"), other_scan]), &ours(), true).expect_err("two scans");
        assert!(mixed.to_string().contains("has run id job-7, part1.jsonl has job-8"), "{mixed}");
        let mut other_config = run("2/2");
        other_config.config = None;
        let mixed = prove(&parts(vec![run("1/2"), other_config]), &ours(), true).expect_err("two configs");
        assert!(mixed.to_string().contains("has config nhsmail-lint.yaml (sha256 cc), part1.jsonl has no config"));
        let mut other_n = run("2/3");
        other_n.shard = Some("2/3".to_owned());
        assert!(prove(&parts(vec![run("1/2"), other_n]), &ours(), true).is_err());
        let mut unsharded = run("1/1");
        unsharded.shard = None;
        assert!(matches!(prove(&parts(vec![unsharded]), &ours(), true), Err(ShardsError::NotAShard { .. })));
    }

    #[test]
    fn a_merge_with_another_config_is_refused() {
        let mut elsewhere = ours();
        elsewhere.config = Some(hashed("nhsmail-lint.yaml", "dd"));
        let err = prove(&parts(vec![run("1/1")]), &elsewhere, false).expect_err("another config");
        assert!(matches!(err, ShardsError::Different { what: "config", .. }), "{err}");
        assert!(prove(&parts(vec![run("1/1")]), &ours(), false).is_ok(), "the same file by another path is the same");
    }
}
