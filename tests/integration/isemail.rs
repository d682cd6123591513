//! The address grammar against a public conformance suite: Dominic Sayers' isemail test
//! set (`tests/fixtures/isemail/tests.xml`, version 3.05, BSD 3-Clause). Each of its
//! addresses that can stand on a header line is put in a Reply-To, and `reply-to-invalid`
//! must report exactly those that docs/rules.md ("The address grammar") calls invalid.

use crate::common::{run, temp_files};

const SET: &str = include_str!("../fixtures/isemail/tests.xml");

struct Case {
    id: String,
    address: String,
    category: String,
    diagnosis: String,
}

/// The text of `<name>...</name>` in `block` (`<name/>` is empty), XML references and
/// isemail's stand-ins for control characters (U+2400 + the code, as its notes say)
/// decoded.
fn element(block: &str, name: &str) -> String {
    if block.contains(&format!("<{name}/>")) {
        return String::new();
    }
    let open = format!("<{name}>");
    let start = block.find(&open).unwrap_or_else(|| panic!("no <{name}> in {block}")) + open.len();
    let end = start + block[start..].find(&format!("</{name}>")).expect("closed");
    let mut out = String::new();
    let mut rest = &block[start..end];
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = amp + rest[amp..].find(';').expect("a reference ends with ;");
        out.push(match &rest[amp + 1..semi] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            hex => char::from_u32(u32::from_str_radix(hex.trim_start_matches("#x"), 16).expect("hex")).expect("char"),
        });
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out.chars().map(|c| if ('\u{2400}'..'\u{2420}').contains(&c) { char::from(c as u32 as u8) } else { c }).collect()
}

fn cases() -> Vec<Case> {
    assert!(SET.contains("<tests version=\"3.05\">"), "the vendored set is version 3.05");
    SET.split("<test id=\"")
        .skip(1)
        .map(|block| Case {
            id: block[..block.find('"').expect("id")].to_owned(),
            address: element(block, "address"),
            category: element(block, "category"),
            diagnosis: element(block, "diagnosis"),
        })
        .collect()
}

/// What a monitored reply address may be, by isemail's verdict (docs/rules.md).
fn valid(case: &Case) -> bool {
    match (case.category.as_str(), case.diagnosis.as_str()) {
        ("ISEMAIL_VALID_CATEGORY" | "ISEMAIL_DNSWARN" | "ISEMAIL_CFWS", _) => true,
        // A top-level domain alone, and a non-empty quoted local part.
        ("ISEMAIL_RFC5321", "ISEMAIL_RFC5321_TLD") => true,
        ("ISEMAIL_RFC5321", "ISEMAIL_RFC5321_QUOTEDSTRING") => !case.address.starts_with("\"\"@"),
        // Numeric top-level domains and address literals.
        ("ISEMAIL_RFC5321", _) => false,
        ("ISEMAIL_DEPREC" | "ISEMAIL_RFC5322" | "ISEMAIL_ERR", _) => false,
        (category, _) => panic!("test {}: no verdict for category {category}", case.id),
    }
}

#[test]
fn reply_to_invalid_reports_exactly_the_invalid_addresses_of_isemail() {
    let all = cases();
    assert_eq!(all.len(), 164, "every test of the set is read");
    // A line break ends the header line (a fold is white space, which other cases hold),
    // and NUL is no text.
    let (fit, left): (Vec<&Case>, Vec<&Case>) = all.iter().partition(|c| !c.address.contains(['\r', '\n', '\0']));
    assert_eq!((fit.len(), left.len()), (134, 30));
    let messages: Vec<(String, Vec<u8>)> = fit
        .iter()
        .map(|case| {
            let message = format!(
                "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: a.patient@nhs.net\n\
                 Reply-To: {}\nSubject: Results\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\
                 Message-ID: <isemail-{}@pathology.example.nhs.uk>\n\nResults are ready.\n",
                case.address, case.id
            );
            (format!("{:0>3}.eml", case.id), message.into_bytes())
        })
        .collect();
    let files: Vec<(&str, &[u8])> = messages.iter().map(|(n, m)| (n.as_str(), m.as_slice())).collect();
    let dir = temp_files(&files);
    let report = run(&["check", "--format", "json", dir.path().to_str().expect("utf-8")]).json();
    let mut wrong = Vec::new();
    for file in report["files"].as_array().expect("files") {
        let name = file["path"].as_str().expect("path").rsplit('/').next().expect("name");
        let case = fit.iter().find(|c| format!("{:0>3}.eml", c.id) == name).expect("a case");
        let found: Vec<&str> = file["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "reply-to-invalid")
            .map(|d| d["message"].as_str().expect("message"))
            .collect();
        // An entry's finding says why it is not valid; an empty Reply-To has its own message.
        let says_why = found.iter().any(|m| m.contains("is not a valid email address: "));
        let unexplained = !found.is_empty() && !says_why && !case.address.trim().is_empty();
        if found.is_empty() != valid(case) || unexplained {
            wrong.push(format!(
                "test {} {:?} ({}): {}",
                case.id,
                case.address,
                case.diagnosis,
                if found.is_empty() { "passes".to_owned() } else { found.join("; ") }
            ));
        }
    }
    assert_eq!(report["files"].as_array().expect("files").len(), fit.len(), "each message reported");
    assert!(wrong.is_empty(), "{} of {} judged otherwise:\n{}", wrong.len(), fit.len(), wrong.join("\n"));
}
