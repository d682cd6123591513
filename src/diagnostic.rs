//! What a rule reports: severity levels and the diagnostic record every report format
//! is built from.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
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
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub label: Option<String>,
    pub span: Range<usize>,
}

/// A diagnostic with its line and column resolved, as reports print it.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
    #[serde(skip)]
    pub diagnostic: Diagnostic,
}

impl Located {
    pub fn new(diagnostic: Diagnostic, raw: &[u8]) -> Self {
        let (line, column) = crate::mail::bytes::line_col(raw, diagnostic.span.start);
        Located {
            rule: diagnostic.rule.clone(),
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            line,
            column,
            help: diagnostic.help.clone(),
            diagnostic,
        }
    }
}
