//! The reports for people: the HTML page opened by a real headless Chromium (Debian's,
//! installed by the test when missing) with networking off; hostile headers escaped in
//! HTML and Markdown; the Markdown summary of a very large scan under GitHub's 1 MiB
//! step-summary limit. (The screenshots docs/reports.md shows are made by
//! scripts/screenshots.sh.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{root, run, temp_files};

const ARGS: &[&str] = &["check", "--config", "corpus/nhsmail-lint.yaml"];
const PATHS: &[&str] = &["corpus/clean", "corpus/rules"];

/// `check ARGS --format FORMAT PATHS` in the project root.
fn report(format: &str, out: Option<&Path>) -> crate::common::Run {
    let mut args = ARGS.to_vec();
    args.extend(["--format", format]);
    let out = out.map(|o| o.display().to_string());
    if let Some(out) = &out {
        args.extend(["--output", out.as_str()]);
    }
    args.extend(PATHS);
    run(&args)
}

/// Chromium, headless, on `page` with `what` (`--window-size=...`, `--dump-dom`,
/// `--screenshot=...`), a fresh profile, and no network at all when it can be taken away
/// (a new network namespace).
pub(crate) fn chromium(chromium: &str, profile: &Path, page: &Path, what: &[&str]) -> std::process::Output {
    let offline = Command::new("unshare").args(["-n", "true"]).status().is_ok_and(|s| s.success());
    let mut command = if offline {
        let mut c = Command::new("unshare");
        c.args(["-n", chromium]);
        c
    } else {
        Command::new(chromium)
    };
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(what)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile);
    let output = command.output().expect("chromium runs");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// The cells that follow `<b>ID</b>` in the matrix: verb, sentence, checked, failing, compliant.
fn matrix_cells(dom: &str, id: &str) -> Vec<String> {
    let start = dom.find(&format!("<td><b>{id}</b></td>")).unwrap_or_else(|| panic!("no row for {id}"));
    let row = &dom[start..start + dom[start..].find("</tr>").expect("row end")];
    row.split("<td")
        .skip(2)
        .map(|cell| {
            let text = &cell[cell.find('>').expect("tag") + 1..];
            text[..text.find('<').unwrap_or(text.len())].trim().to_owned()
        })
        .collect()
}

/// The window the page is opened in: a desktop's width, and tall enough to hold the charts.
const WINDOW: &str = "--window-size=1280,2400";

#[test]
fn html_report_in_a_real_browser() {
    let Some(browser) = crate::packages::chromium() else { return };
    let dir = temp_files(&[]);
    let page = dir.path().join("report.html");
    let result = report("html", Some(&page));
    assert_eq!(result.code, 1, "{}", result.stderr);
    let html = std::fs::read_to_string(&page).expect("the page");
    // Self-contained: nothing to fetch, in any attribute or style (an address may stand in
    // a rule's text, never where a browser would load it).
    for pattern in ["=\"http", "='http", "=http", "url(", "<link", "@import", "=\"//", "<iframe", "<object", "<embed"] {
        assert!(!html.contains(pattern), "the page loads something ({pattern})");
    }

    let json = report("json", None).json();
    let files = json["files"].as_array().expect("files");
    let failing = |id: &str| {
        let fails = |f: &&Value| {
            f["diagnostics"]
                .as_array()
                .expect("list")
                .iter()
                .any(|d| d["requirement"].as_array().expect("ids").iter().any(|r| r == id))
        };
        files.iter().filter(fails).count().to_string()
    };
    let messages = files.len().to_string();
    // Files that are not messages: checked by R1's unparseable-message, by no header rule.
    let not_messages =
        |f: &&Value| f["diagnostics"].as_array().expect("list").iter().any(|d| d["rule"] == "unparseable-message");
    let read_as_messages = (files.len() - files.iter().filter(not_messages).count()).to_string();
    assert_ne!(read_as_messages, messages, "the corpus holds files that are not messages");

    let profile = dir.path().join("profile");
    let dom = String::from_utf8(chromium(browser, &profile, &page, &[WINDOW, "--dump-dom"]).stdout).expect("utf-8");
    assert!(dom.contains("<h2 id=\"matrix\">Compliance matrix</h2>"), "{dom}");
    let provenance = dom.find("id=\"provenance\"").expect("provenance");
    let matrix = dom.find("id=\"matrix\"").expect("matrix");
    let overview = dom.find("id=\"overview\"").expect("overview");
    assert!(overview < matrix && matrix < provenance, "the counts, then the matrix; provenance at the end");
    // Each failing requirement: messages checked, how many fail (as the JSON says), the share.
    for id in ["M4", "M5", "P1", "R1", "L1"] {
        let cells = matrix_cells(&dom, id);
        let checked = if id == "R1" { &messages } else { &read_as_messages };
        assert_eq!(&cells[2], checked, "{id} checked: {cells:?}");
        assert_eq!(cells[3], failing(id), "{id} failing: {cells:?}");
        assert!(cells[4].ends_with('%') && cells[4] != "100.0%", "{id}: {cells:?}");
    }
    // M1 (message size) is checked and nothing breaks it; C1 (TLS) is a set-up rule this
    // configuration has no set-up for.
    assert_eq!(matrix_cells(&dom, "M1")[3..5], ["0".to_owned(), "100.0%".to_owned()]);
    assert!(dom.contains("not checked in this run"), "C1 and others say why they are unchecked");
    let requirements = run(&["requirements", "--format", "json"]).json().as_array().expect("rows").len();
    assert!(dom.contains(&format!("<b>{requirements} requirement(s): ")), "the matrix in a sentence");
    let summary = json["summary"]["errors"].as_u64().expect("errors").to_string();
    assert!(dom.contains(&format!("<b>{summary}</b><span>errors</span>")), "the error count");
    assert!(dom.contains("<svg"), "the charts are inline SVG");
    assert!(dom.contains("Expand all"), "the little script ran");
    assert!(dom.contains("<mark>no-reply@nhs.net</mark>"), "the offending bytes highlighted");

    let shot = dir.path().join("report.png");
    chromium(browser, &profile, &page, &[WINDOW, &format!("--screenshot={}", shot.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("decoded");
    assert_eq!((frame.width, frame.height), (1280, 2400));
    let channels = frame.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = pixels[..frame.buffer_size()].chunks(channels).collect();
    let white = pixels[..frame.buffer_size()].chunks(channels).filter(|p| p[..3] == [255, 255, 255]).count();
    let total = (frame.width * frame.height) as usize;
    assert!(colours.len() > 100, "a page, not a blank: {} colours", colours.len());
    assert!(white < total * 95 / 100, "mostly white: {white} of {total}");
}

/// A message whose headers try to inject markup: a script in the Subject (with an NHS
/// number, so the Subject is a finding's excerpt), an image with `onerror` in From's
/// display name (which the display-name rule quotes).
const HOSTILE: &[u8] = b"From: \"\\\"><img src=x onerror=alert(1)>\" <pathology.results@nhs.net>\r\n\
To: a@nhs.net\r\nSubject: <script>alert(1)</script> 943 476 5919 [x](javascript:alert(1))\r\n\
Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <h@x.nhs.uk>\r\n\r\nHello\r\n";

#[test]
fn hostile_headers_are_text_in_html_and_markdown() {
    let dir = temp_files(&[("hostile.eml", HOSTILE)]);
    let check = |format: &str| {
        let result = crate::common::run_in(dir.path(), &["check", "--format", format, "hostile.eml"]);
        assert_eq!(result.code, 1, "{}", result.stderr);
        result.stdout
    };
    let html = check("html");
    assert!(html.contains("nhs-number-in-subject") && html.contains("display-name-format"), "the findings are there");
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    assert!(!html.contains("<img") && !html.contains("onerror=alert(1)>"), "no element from the message");
    // askama writes the entities as numbers.
    assert!(html.contains("Subject: &#60;script&#62;alert(1)&#60;/script&#62;"), "the Subject shown as text");
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"), "the display name shown as text");

    let markdown = check("markdown");
    assert!(markdown.contains("nhs-number-in-subject"), "{markdown}");
    assert!(!markdown.contains("](javascript:"), "no link from the message: {markdown}");
    // Rendered as GitHub renders it: the message's text shows, and no element comes of it
    // (in text, `<` is an entity; in a code span, what is quoted is shown as it is).
    let rendered = comrak::markdown_to_html(&markdown, &comrak::Options::default());
    assert!(!rendered.contains("<script") && !rendered.contains("<img"), "{rendered}");
    assert!(rendered.contains("&lt;img src=x onerror=alert(1)&gt;"), "{rendered}");
}

#[test]
fn markdown_summary_of_a_huge_scan_fits_a_step_summary() {
    // 12,500 messages in one mbox, eight findings each (no display name, a no-reply
    // From, an NHS number and a placeholder in the Subject, two in the body, no Date,
    // no Message-ID): 100,000 findings.
    let mut mbox = Vec::new();
    for i in 0..12_500 {
        mbox.extend_from_slice(
            format!(
                "From noreply@nhs.net Mon Nov 23 09:00:00 2026\nFrom: noreply@nhs.net\nTo: patient{i}@nhs.net\n\
                 Subject: Results for 943 476 5919 {{{{ name }}}}\n\nDear {{{{ name }}}}, see {{{{ link }}}}.\n\n"
            )
            .as_bytes(),
        );
    }
    let dir = temp_files(&[("archive.mbox", &mbox)]);
    let result = crate::common::run_in(dir.path(), &["check", "--format", "markdown", "archive.mbox"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let markdown = result.stdout;
    let totals = markdown.lines().skip_while(|l| !l.starts_with("|---:|")).nth(1).expect("the totals row");
    // Counts are written as people read them: `12,500`.
    let counts: Vec<u64> = totals.split('|').filter_map(|c| c.trim().replace(',', "").parse().ok()).collect();
    assert_eq!(counts[0], 12_500, "{totals}");
    assert!(counts[2] + counts[3] + counts[4] >= 100_000, "a scan of 100,000 findings: {totals}");
    assert!(markdown.len() < 1024 * 1024, "{} bytes", markdown.len());
    // `#` is escaped, as all Markdown punctuation from the messages is.
    assert!(
        markdown.contains("- archive.mbox:\\#1:4 error nhs-number-in-subject"),
        "the first findings with path:line"
    );
    assert!(markdown.contains("more finding(s)"), "the rest counted, not listed");
}

#[test]
fn accepted_exceptions_and_sending_are_shown() {
    let smtp = crate::smtp_server::TestSmtp::start(true);
    let good = crate::send::message(1, "");
    let noreply = String::from_utf8(crate::send::message(2, ""))
        .expect("text")
        .replace("pathology.enquiries@example.nhs.uk", "no-reply@nhs.net");
    let no_id = String::from_utf8(crate::send::message(3, ""))
        .expect("text")
        .replace("Message-ID: <reminder-3@pathology.example.nhs.uk>\r\n", "");
    let extra = "rules:\n  disable: [display-name-format]\n  severity: { line-too-long: warning }\n\
                 ignore:\n  \"out/c.eml\": [missing-message-id]\n\
                 attestations:\n  A1: \"application account created, ticket INC0123456\"\n";
    let files: &[(&str, &[u8])] =
        &[("out/a.eml", &good), ("out/b.eml", noreply.as_bytes()), ("out/c.eml", no_id.as_bytes())];
    let setup = crate::send::workspace(&smtp, false, extra, files);
    let dir = setup.dir.path();
    let result = crate::common::run_with_env(dir, &["check", "--send", "--format", "html", "out"], crate::send::ENV);
    assert_eq!(result.code, 1, "b.eml is blocked: {}", result.stderr);
    let html = result.stdout;
    // The matrix shows what a person attested.
    assert!(html.contains("<span class=\"pill\">attested</span><div class=\"small muted\">application account created, ticket INC0123456</div>"), "{html}");
    assert!(html.contains("<th>Disabled rules</th><td><code>display-name-format</code></td>"), "{html}");
    assert!(html.contains("<code>line-too-long</code>: error &rarr; warning"), "the pack's severity and the config's");
    assert!(html.contains("<code>out/c.eml</code>: missing-message-id<br>1 finding(s) left out by them."));
    // What --send did: a, c sent; b blocked by its error.
    assert!(html.contains("<span class=\"pill ok\">2 sent</span>"), "{html}");
    assert!(html.contains("<span class=\"pill error\">1 blocked</span>"));
    assert!(html.contains("<tr><td><code>out/b.eml</code></td><td>blocked</td>"));
    assert_eq!(smtp.received().len(), 2);

    // A baseline: what it hid of the messages' findings is counted (the set-up's are
    // not baselined).
    let recorded = crate::common::run_in(dir, &["check", "--write-baseline", "base.json", "--format", "json", "out"]);
    let known: usize = recorded.json()["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.starts_with("out/")))
        .map(|f| f["diagnostics"].as_array().expect("list").len())
        .sum();
    assert!(known > 0);
    let html = crate::common::run_in(dir, &["check", "--baseline", "base.json", "--format", "html", "out"]).stdout;
    assert!(html.contains(&format!("<code>base.json</code>: {known} known finding(s) not reported")), "{html}");
}

/// A file that is not a message is checked by the rules that read no header
/// (unparseable-message) and by none of the others: the matrix counts it for the first
/// and never calls the others compliant on it.
#[test]
fn a_file_that_is_not_a_message_is_not_counted_as_checked_by_header_rules() {
    let good = b"From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a@nhs.net\r\n\
Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <a@nhs.net>\r\n\r\nResults are ready.\r\n";
    let dir = temp_files(&[("a.eml", good), ("b.eml", b"just prose, not a message\n")]);
    let args = ["check", "--account", "pathology.results@nhs.net", "--format", "markdown", "."];
    let markdown = crate::common::run_in(dir.path(), &args).stdout;
    let row = |id: &str| {
        let start = format!("| {id} |");
        markdown.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("no {id} row: {markdown}")).to_owned()
    };
    assert!(row("M5").starts_with("| M5 | must | 1 | 0 | 100.0% |"), "{}", row("M5"));
    assert!(row("M5").contains("1 file(s) not checked"), "{}", row("M5"));
    assert!(row("R1").starts_with("| R1 | must | 2 | 1 | 50.0% |"), "{}", row("R1"));
}

/// A shell's glob can pass thousands of paths: the page names the first hundred and
/// counts the rest (the JSON `"run"` keeps them all).
#[test]
fn the_provenance_names_the_first_hundred_inputs() {
    let names: Vec<String> = (0..150).map(|n| format!("m{n:03}.eml")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"Subject: s\n\nx\n".as_slice())).collect();
    let dir = temp_files(&files);
    let mut args = vec!["check", "--format", "html"];
    args.extend(names.iter().map(String::as_str));
    let html = crate::common::run_in(dir.path(), &args).stdout;
    assert!(html.contains("<code>m099.eml</code> and 50 more</td>"), "the first hundred, then a count");
    assert!(!html.contains("<code>m100.eml</code>,"), "no more than a hundred named");
}

/// A recommendation not followed (an `info` rule's finding) is neither failing nor unchecked:
/// the matrix says so in its own words, in Markdown and in the HTML page's row class.
#[test]
fn a_recommendation_not_followed_is_advice_not_failing() {
    let config = b"mailbox:\n  host: pop.example.nhs.uk\n  protocol: pop\n  username: a@nhs.net\n  password_env: P\n";
    let imap = b"mailbox:\n  host: imap.example.nhs.uk\n  username: a@nhs.net\n  password_env: P\n";
    let status = |config: &[u8], format: &str| {
        let dir = temp_files(&[("nhsmail-lint.yaml", config)]);
        let clean = root().join("corpus/clean");
        let run = crate::common::run_in(dir.path(), &["check", "--format", format, &clean.display().to_string()]);
        assert!(run.code < 2, "{}", run.stderr);
        run.stdout
    };
    let markdown = status(config, "markdown");
    let row = markdown.lines().find(|l| l.starts_with("| C3 |")).expect("C3 row");
    assert!(row.contains("| recommendation not followed: set-up: 1 recommendation(s) not followed"), "{row}");
    let html = status(config, "html");
    assert!(html.contains("<tr class=\"s-advice\"><td><b>C3</b></td>"), "the row has its own class");
    let followed = status(imap, "markdown");
    let row = followed.lines().find(|l| l.starts_with("| C3 |")).expect("C3 row");
    assert!(row.contains("| compliant: set-up compliant (pop-configured)"), "{row}");
}
