//! A scan spread over shards and merged gives exactly the single-machine result,
//! corpus rules included (their messages split across shards).

use crate::common::{run, temp_files};

const CONFIG: &[&str] = &["--config", "corpus/nhsmail-lint.yaml"];
const PATHS: &[&str] = &["corpus/clean", "corpus/rules"];

#[test]
fn merged_shards_equal_a_single_machine_scan() {
    let mut args = vec!["check"];
    args.extend(CONFIG);
    args.extend(["--format", "json"]);
    args.extend(PATHS);
    let single = run(&args);

    let dir = temp_files(&[]);
    let parts: Vec<String> = (0..3).map(|k| dir.path().join(format!("part{k}.jsonl")).display().to_string()).collect();
    let mut shards_with_list_messages = 0;
    for (k, part) in (1..).zip(&parts) {
        let shard = format!("{k}/3");
        let mut args = vec!["check"];
        args.extend(CONFIG);
        args.extend(["--format", "jsonl", "--shard", shard.as_str(), "--output", part.as_str()]);
        args.extend(PATHS);
        let result = run(&args);
        assert!(result.code < 2, "{}", result.stderr);
        let text = std::fs::read_to_string(part).expect("part");
        assert!(!text.contains("\"corpus\":true"), "a shard does not judge the corpus alone");
        shards_with_list_messages += usize::from(text.contains("\"fact\""));
    }
    assert!(shards_with_list_messages >= 2, "the distribution-list messages are split across shards");

    let mut args = vec!["merge"];
    args.extend(CONFIG);
    args.extend(["--format", "json"]);
    args.extend(parts.iter().map(String::as_str));
    let merged = run(&args);
    assert_eq!(merged.code, single.code);
    let (mut merged, mut single) = (merged.json(), single.json());
    let (merged_run, single_run) = (merged["run"].take(), single["run"].take());
    assert_eq!(merged, single);
    // The merged report carries each shard's provenance, and what they read together.
    assert_eq!(merged_run["command"], "merge");
    let shards = merged_run["shards"].as_array().expect("the shards' runs");
    assert_eq!(shards.len(), 3);
    assert!(shards.iter().all(|s| s["command"] == "check" && s["packs"] == single_run["packs"]), "{shards:?}");
    for key in ["files", "messages", "bytes"] {
        assert_eq!(merged_run[key], single_run[key], "{key}");
    }
    // The page for people says the same, and names each shard's run.
    let mut args = vec!["merge"];
    args.extend(CONFIG);
    args.extend(["--format", "html"]);
    args.extend(parts.iter().map(String::as_str));
    let html = run(&args).stdout;
    let errors = single["summary"]["errors"].as_u64().expect("errors");
    assert!(html.contains(&format!("<b>{errors}</b><span>errors</span>")), "{html}");
    assert!(html.contains("<th>Shard 3</th><td>check on "), "each shard's run");
}
