//! What a rule reports: severity levels and the diagnostic record every report format
//! is built from.

use std::ops::Range;
use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// How serious a finding is: `error` fails a run by default; `warning` and `info` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding in one file, with its span as a byte range into that file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: Arc<str>,
    /// The ids of the requirements its rule checks (none for the scanner's own findings).
    pub requirement: Arc<[Arc<str>]>,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub label: Option<String>,
    pub span: Range<usize>,
}

/// What a report shows of one file (or of the config, or an mbox message): its
/// diagnostics, and their human rendering when that format is wanted (made while the
/// bytes were at hand).
#[derive(Debug, Clone)]
pub struct FileFindings {
    pub path: std::path::PathBuf,
    pub diagnostics: Vec<Located>,
    pub rendered: Option<String>,
}

/// Renders a file's diagnostics against its bytes (for the human format), its line
/// numbers shifted by the last argument (an mbox message's place in its file).
pub type Renderer<'a> = dyn Fn(&std::path::Path, &[u8], &[Located], usize) -> String + Sync + 'a;

/// A diagnostic with its line and column resolved, as reports print it.
#[derive(Debug, Clone)]
pub struct Located {
    pub diagnostic: Diagnostic,
    pub line: usize,
    pub column: usize,
}

impl Located {
    pub fn new(diagnostic: Diagnostic, raw: &[u8]) -> Self {
        let (line, column) = crate::mail::bytes::line_col(raw, diagnostic.span.start);
        Located { diagnostic, line, column }
    }
}

/// The JSON contract's shape:
/// `{"rule","requirement","severity","message","line","column","help"}`.
impl Serialize for Located {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = &self.diagnostic;
        let mut out = serializer.serialize_struct("Diagnostic", 7)?;
        out.serialize_field("rule", &*d.rule)?;
        out.serialize_field("requirement", &*d.requirement)?;
        out.serialize_field("severity", &d.severity)?;
        out.serialize_field("message", &d.message)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("help", &d.help)?;
        out.end()
    }
}
