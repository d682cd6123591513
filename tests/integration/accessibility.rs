//! The HTML report against WCAG 2.2 AA as far as a machine can tell: axe-core (pinned,
//! from npm: `packages::axe_core`) run inside the page in Debian's headless Chromium, on
//! the sample corpus's report and on a 5,000-message archive's; and the page reflowing
//! to one column at 320 CSS pixels, the width of 1280 at 400% zoom. Keyboard use and the
//! reading of the page at that zoom are checked by hand (docs/reports.md).

use std::path::Path;

use crate::common::{root, run_in, temp_files};
use crate::packages::AXE_CORE;
use crate::reports::chromium;

/// The WCAG levels axe checks: A and AA of 2.0, 2.1 and 2.2.
const TAGS: &str = r#"["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22aa"]"#;

/// Runs after the page and axe have loaded: opens every `<details>` (closed ones hold the
/// charts' tables and the examples, which axe skips while hidden), runs axe and writes its
/// violations and the ids of the rules that passed into `<pre id="axe-results">`,
/// percent-encoded, so the DOM dump carries them byte for byte.
const RUN_AXE: &str = r#"
document.querySelectorAll("details").forEach(function (d) { d.open = true; });
axe.run(document, { runOnly: { type: "tag", values: TAGS } }).then(function (r) {
  var out = document.createElement("pre");
  out.id = "axe-results";
  out.textContent = encodeURIComponent(JSON.stringify({
    passes: r.passes.map(function (p) { return p.id; }),
    violations: r.violations.map(function (v) {
      return { id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(function (n) { return { target: n.target, summary: n.failureSummary }; }) };
    })
  }));
  document.body.appendChild(out);
});
"#;

/// The ASCII of `text` with its `%XX` escapes decoded (what encodeURIComponent made).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("a %XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The text of `<pre id="ID">` in a DOM dump.
fn element_text<'a>(dom: &'a str, id: &str) -> &'a str {
    let open = format!("<pre id=\"{id}\">");
    let start =
        dom.find(&open).unwrap_or_else(|| panic!("no {id} in the page: the script did not finish")) + open.len();
    &dom[start..start + dom[start..].find("</pre>").expect("</pre>")]
}

/// axe-core's verdict on `page`: each violation that is serious or critical, in words
/// (the rest are printed, not failed); and the rules that passed.
fn axe(browser: &str, axe_js: &Path, page: &Path, work: &Path) -> (Vec<String>, Vec<String>) {
    let checked = work.join(format!("axe-{}", page.file_name().expect("name").to_string_lossy()));
    let mut html = std::fs::read_to_string(page).expect("the report");
    html.push_str("<script>");
    html.push_str(&std::fs::read_to_string(axe_js).expect("axe.min.js"));
    html.push_str("</script><script>");
    html.push_str(&RUN_AXE.replace("TAGS", TAGS));
    html.push_str("</script>");
    std::fs::write(&checked, html).expect("the page to check");
    // Virtual time: Chromium dumps the DOM once the page is idle, axe's promise settled.
    let args = ["--window-size=1280,1600", "--virtual-time-budget=60000", "--dump-dom"];
    let output = chromium(browser, &work.join("profile"), &checked, &args);
    let dom = String::from_utf8(output.stdout).expect("UTF-8");
    let results: serde_json::Value =
        serde_json::from_str(&percent_decoded(element_text(&dom, "axe-results"))).expect("axe's JSON");
    let passes = results["passes"].as_array().expect("passes").iter().map(|p| p.as_str().expect("id").to_owned());
    let mut failing = Vec::new();
    for v in results["violations"].as_array().expect("violations") {
        let nodes = v["nodes"].as_array().expect("nodes");
        let said: Vec<String> = nodes
            .iter()
            .map(|n| format!("    {} : {}", n["target"], n["summary"].as_str().unwrap_or("").replace('\n', " ")))
            .collect();
        let line =
            format!("{} ({}, {} node(s)): {}\n{}", v["id"], v["impact"], nodes.len(), v["help"], said.join("\n"));
        if matches!(v["impact"].as_str(), Some("serious" | "critical")) {
            failing.push(line);
        } else {
            eprintln!("axe-core, {} (not failing the test): {line}", page.display());
        }
    }
    (failing, passes.collect())
}

/// The page's width in CSS pixels in a 320-pixel frame (the width of 1280 at 400% zoom;
/// headless Chromium's own window is never narrower than 500): more than 320 means the
/// reader at that zoom scrolls sideways to read each line.
fn width_at_320(browser: &str, page: &Path, work: &Path) -> u64 {
    let measured = work.join(format!("width-{}", page.file_name().expect("name").to_string_lossy()));
    let report = std::fs::read_to_string(page).expect("the report");
    // A srcdoc frame is of its parent's origin, so the parent can measure it.
    let frame = report.replace('&', "&amp;").replace('"', "&quot;");
    let html = format!(
        "<!DOCTYPE html><html><body style=\"margin: 0\"><iframe id=\"f\" style=\"width: 320px; height: 800px; border: 0\" \
         srcdoc=\"{frame}\"></iframe><script>document.getElementById('f').addEventListener('load', function () {{ \
         var w = document.createElement('pre'); w.id = 'page-width'; \
         w.textContent = this.contentDocument.documentElement.scrollWidth; document.body.appendChild(w); }});</script>"
    );
    std::fs::write(&measured, html).expect("the page to measure");
    let args = ["--window-size=1280,800", "--virtual-time-budget=10000", "--dump-dom"];
    let output = chromium(browser, &work.join("profile"), &measured, &args);
    let dom = String::from_utf8(output.stdout).expect("UTF-8");
    element_text(&dom, "page-width").parse().expect("a width")
}

#[test]
fn html_reports_meet_wcag_2_2_aa_by_axe_core_and_reflow_at_400_percent() {
    let Some(browser) = crate::packages::chromium() else { return };
    let Some(axe_js) = crate::packages::axe_core() else { return };
    let python = std::process::Command::new("python3").arg("--version").output();
    let missing = (!python.is_ok_and(|o| o.status.success())).then(|| "python3 does not run".to_owned());
    if !crate::common::requirement("python3 (scripts/bench_archive.py makes the archive)", missing) {
        return;
    }
    let dir = temp_files(&[]);
    let work = dir.path();
    let archive = work.join("archive");
    let made = std::process::Command::new("python3")
        .arg(root().join("scripts/bench_archive.py"))
        .args(["findings", &archive.display().to_string(), "5000"])
        .output()
        .expect("python3");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));

    let corpus = work.join("corpus.html");
    let big = work.join("archive.html");
    let corpus_run =
        run_in(&root(), &["check", "corpus/", "--format", "html", "--output", &corpus.display().to_string()]);
    assert_eq!(corpus_run.code, 1, "{}", corpus_run.stderr);
    let big_run = run_in(work, &["check", "archive", "--format", "html", "--output", &big.display().to_string()]);
    assert_eq!(big_run.code, 1, "{}", big_run.stderr);
    assert!(std::fs::read_to_string(&big).expect("page").contains("<b>5,000</b><span>messages checked</span>"));

    for page in [&corpus, &big] {
        let (failing, passes) = axe(browser, &axe_js, page, work);
        assert!(
            failing.is_empty(),
            "axe-core {AXE_CORE} finds serious or critical WCAG 2.2 AA violations in the report of {}:\n{}",
            page.display(),
            failing.join("\n")
        );
        // axe ran its checks on the page, not on an empty one.
        for rule in ["color-contrast", "svg-img-alt", "document-title", "html-has-lang"] {
            assert!(passes.iter().any(|p| p == rule), "axe did not check {rule} on {}: {passes:?}", page.display());
        }
        let width = width_at_320(browser, page, work);
        assert!(width <= 320, "the report of {} is {width} px wide in a 320 px window", page.display());
    }
}
