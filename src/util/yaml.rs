//! Loading the YAML files a user writes (rule packs, the config file) and reporting
//! their errors as miette diagnostics that point at the offending spot.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report, SourceSpan};
use serde::de::DeserializeOwned;

use crate::mail::bytes;
use serde_saphyr::{Location, MessageFormatter, Spanned};

/// A YAML document with the name it is reported under.
#[derive(Clone)]
pub struct YamlSource {
    pub(crate) name: String,
    pub(crate) text: Arc<str>,
    /// The same document as JSON, converted when the binary was built (the built-in pack,
    /// by build.rs): read instead of the YAML, a tenth of the cost. Its values carry no
    /// locations, which only errors use, and a built-in pack has none.
    prebuilt: Option<&'static str>,
    /// The folder of the file it was read from: relative paths written in it (`ca_file`,
    /// `password_file`, `ignore:` globs) are relative to it, wherever the command runs.
    folder: Option<std::path::PathBuf>,
}

impl YamlSource {
    /// A YAML text and the name its errors show.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        YamlSource { name: name.into(), text: text.into(), prebuilt: None, folder: None }
    }

    /// A document built into the binary, with its JSON form (empty when it did not parse
    /// at build time: then the YAML is read, and its error reported, as for any file).
    pub(crate) fn prebuilt(name: &str, text: &'static str, json: &'static str) -> Self {
        YamlSource { prebuilt: Some(json).filter(|json| !json.is_empty()), ..Self::new(name, text) }
    }

    /// Built into the binary: the built-in pack, whose every part its tests prove.
    pub(crate) fn is_prebuilt(&self) -> bool {
        self.prebuilt.is_some()
    }

    pub(crate) fn read(path: &std::path::Path) -> Result<Self, Report> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!(code = "config-unreadable", "cannot read {}: {e}", path.display()))?;
        let folder = path.parent().map(std::path::Path::to_path_buf);
        Ok(YamlSource { folder, ..Self::new(path.display().to_string(), text) })
    }

    /// The folder of the file it was read from (none for a text given in code).
    pub(crate) fn folder(&self) -> Option<&std::path::Path> {
        self.folder.as_deref()
    }

    /// A path written in the document, relative to the document's own folder.
    pub(crate) fn resolve(&self, written: &str) -> std::path::PathBuf {
        match &self.folder {
            Some(folder) => folder.join(written),
            None => std::path::PathBuf::from(written),
        }
    }

    /// Deserialises the document; syntax errors, unknown keys and wrong types come back
    /// pointing into it. The parser's default budget refuses alias bombs.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, Report> {
        if let Some(json) = self.prebuilt {
            return serde_json::from_str(json).map_err(|e| {
                miette::miette!(code = "invalid-yaml", "{} (as converted at build time): {e}", self.name)
            });
        }
        serde_saphyr::from_str(&self.text).map_err(|e| {
            // Rendered here, against the masked text: the parser's own report would
            // quote the source as written, secrets included.
            let message = serde_saphyr::DefaultMessageFormatter.format_message(&e).into_owned();
            match e.location() {
                Some(location) => self.error(&location, &message, unknown_name_help(&message)),
                None => miette::miette!(code = "invalid-yaml", "{}: {message}", self.name),
            }
        })
    }

    /// A semantic error (valid YAML, invalid meaning) at `location`.
    pub(crate) fn error(&self, location: &Location, message: impl Into<String>, help: Option<String>) -> Report {
        let message = message.into();
        let range = self.range(location);
        if let Some(range) = &range
            && !bytes::is_shown(self.text.as_bytes(), range.start)
        {
            let (line, column) = (location.line(), location.column());
            return miette::miette!(code = "invalid-yaml-value", "{}:{line}:{column}: {message}", self.name);
        }
        self.labelled("invalid-yaml-value", range, message, help)
    }

    /// An error with its own `code` at the bytes `range` of the document, with a help line.
    pub(crate) fn error_span(&self, code: &str, range: Range<usize>, message: &str, help: String) -> Report {
        self.labelled(code, Some(range), message.to_owned(), Some(help))
    }

    fn labelled(&self, code: &str, range: Option<Range<usize>>, message: String, help: Option<String>) -> Report {
        let mut diag = MietteDiagnostic::new(message).with_code(code.to_owned());
        if let Some(range) = range {
            diag = diag.with_label(LabeledSpan::underline(SourceSpan::new(range.start.into(), range.len())));
        }
        if let Some(help) = help {
            diag = diag.with_help(help);
        }
        Report::new(diag).with_source_code(NamedSource::new(self.name.clone(), self.shown()))
    }

    pub(crate) fn error_at<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> Report {
        self.error(&value.referenced, message, None)
    }

    /// The line (from 1) the byte at `offset` is on.
    pub(crate) fn line_at(&self, offset: usize) -> u64 {
        let before = &self.text.as_bytes()[..offset.min(self.text.len())];
        memchr::memchr_iter(b'\n', before).count() as u64 + 1
    }

    /// The bytes of the document a parsed value came from.
    pub(crate) fn range(&self, location: &Location) -> Option<Range<usize>> {
        if *location == Location::UNKNOWN {
            return None;
        }
        let span = location.span();
        if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
            let start = (offset as usize).min(self.text.len());
            return Some(start..(start + len as usize).min(self.text.len()));
        }
        // Fall back to the line and column when the parser gave no byte offsets.
        let line_start: usize =
            self.text.split_inclusive('\n').take(location.line().saturating_sub(1) as usize).map(str::len).sum();
        let offset = (line_start + location.column().saturating_sub(1) as usize).min(self.text.len());
        Some(offset..(offset + 1).min(self.text.len()))
    }

    /// The document as it may be shown: the values of `password:` and `token:` keys
    /// replaced by `*`, byte for byte, so no report ever prints a secret.
    pub(crate) fn shown(&self) -> Arc<str> {
        let masked = SECRET_VALUE
            .replace_all(&self.text, |caps: &regex::Captures<'_>| format!("{}{}", &caps[1], "*".repeat(caps[2].len())));
        match masked {
            std::borrow::Cow::Borrowed(_) => self.text.clone(),
            std::borrow::Cow::Owned(text) => text.into(),
        }
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (a mistyped key, operator
/// or section) and "unknown variant" (a mistyped severity): the closest expected name.
fn unknown_name_help(message: &str) -> Option<String> {
    let caps = UNKNOWN_NAME.captures(message)?;
    let list = caps[2].trim_start_matches("one of ");
    let expected = list.split(',').map(|name| name.trim().trim_matches('`'));
    crate::util::suggest::help(&caps[1], expected, None)
}

static UNKNOWN_NAME: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"unknown (?:field|variant) `([^`]*)`, expected (.*)").expect("valid regex"));

/// A `password:` or `token:` key (block or flow style) and its scalar value.
static SECRET_VALUE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(\b(?:password|token)[ \t]*:[ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s,}#'"](?:[^,}#\n]*[^\s,}#])?)"#)
        .expect("valid regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_byte_for_byte() {
        let text = "transport:\n  password: hunter2 # no\n  token: 'abc'\n  x: {token: t0k, y: 1}\n  password_env: P\n";
        let shown = YamlSource::new("c.yaml", text).shown();
        assert_eq!(shown.len(), text.len());
        for secret in ["hunter2", "abc", "t0k"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("password_env: P"), "{shown}");
        assert!(shown.contains("# no"), "{shown}");
    }
}
