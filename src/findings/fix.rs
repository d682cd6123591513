//! A finding's machine fix: one edit of the message's own bytes, and how safe it is to
//! apply unasked (ruff's applicability: `--fix` applies the safe ones, `--unsafe-fixes`
//! the others too), and applying a file's fixes together.

use std::ops::Range;

use serde::Serialize;

/// Whether a fix keeps what the message means (safe) or changes what the recipient reads
/// or how NHSmail treats it (unsafe: a person should look first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Applied by `--fix`.
    Safe,
    /// Applied by `--fix --unsafe-fixes` only.
    Unsafe,
}

/// Replace the bytes `span` of the message with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub(crate) applicability: Applicability,
    #[serde(skip)]
    pub(crate) span: Range<usize>,
    pub(crate) replacement: String,
}

/// `bytes` with every fix `wanted` applied, in order; a fix that overlaps one before it
/// is left for the next round (`--fix` checks the result again). The number applied.
pub(crate) fn apply<'a>(bytes: &[u8], fixes: impl IntoIterator<Item = &'a Fix>) -> (Vec<u8>, usize) {
    let mut fixes: Vec<&Fix> = fixes.into_iter().collect();
    fixes.sort_by_key(|f| (f.span.start, f.span.end));
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let (mut at, mut applied) = (0, 0);
    for fix in fixes {
        // Two fixes at one place, or overlapping: only the first this round.
        if fix.span.start < at || (applied > 0 && fix.span.start == at && fix.span.is_empty()) {
            continue;
        }
        if fix.span.end > bytes.len() {
            continue;
        }
        out.extend_from_slice(&bytes[at..fix.span.start]);
        out.extend_from_slice(fix.replacement.as_bytes());
        at = fix.span.end;
        applied += 1;
    }
    out.extend_from_slice(&bytes[at..]);
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(span: Range<usize>, text: &str) -> Fix {
        Fix { applicability: Applicability::Safe, span, replacement: text.to_owned() }
    }

    #[test]
    fn fixes_apply_in_order_and_an_overlapping_one_waits() {
        let bytes = b"From: Smith, John <j@nhs.net>\nSubject: Results\n";
        let quote = fix(6..29, "\"Smith, John\" <j@nhs.net>");
        let secure = fix(39..39, "[secure] ");
        let overlapping = fix(10..12, "x");
        let (out, applied) = apply(bytes, [&secure, &overlapping, &quote]);
        assert_eq!(applied, 2);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "From: \"Smith, John\" <j@nhs.net>\nSubject: [secure] Results\n"
        );
    }
}
