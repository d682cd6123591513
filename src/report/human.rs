//! The human format: miette's graphical diagnostics with the message's own bytes as
//! the source, so each label sits under the exact bytes that broke the rule.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use crate::findings::diagnostic::{Located, Severity};

/// Renders one file's diagnostics as text.
/// `line_shift` is added to line numbers (an mbox message's place in its file).
pub fn render(color: bool, path: &Path, raw: &[u8], diagnostics: &[Located], line_shift: usize) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_width(100);
    let name = sanitise(&path.display().to_string()).into_owned();
    let source = TerminalSafe { name, bytes: terminal_safe(raw), line_shift };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let snippet = crate::mail::bytes::is_shown(raw, diagnostic.diagnostic.span.start);
        let shown = Shown { d: diagnostic, source: snippet.then_some(&source), path };
        let mut text = String::new();
        // Writing into a String cannot fail; a span miette cannot read is dropped by it.
        // miette panics on some pathological layouts: fall back to the plain form.
        let rendered = crate::util::isolate::catch(|| {
            let _ = handler.render_report(&mut text, &shown);
        });
        if rendered.is_err() {
            text = String::new();
            let plain = Shown { source: None, ..shown };
            let _ = handler.render_report(&mut text, &plain);
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// The message bytes with everything a terminal would act on (control characters,
/// escape sequences, invalid UTF-8, which miette would widen) replaced by `?`, byte for
/// byte, so offsets still match.
fn terminal_safe(raw: &[u8]) -> Cow<'_, [u8]> {
    let unsafe_byte = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0x7f;
    if std::str::from_utf8(raw).is_ok() && !raw.iter().any(|b| unsafe_byte(*b)) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch.is_ascii() && unsafe_byte(ch as u8) || (ch.is_control() && !ch.is_ascii()) {
                out.extend(std::iter::repeat_n(b'?', ch.len_utf8()));
            } else {
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
        out.extend(std::iter::repeat_n(b'?', chunk.invalid().len()));
    }
    Cow::Owned(out)
}

struct TerminalSafe<'a> {
    name: String,
    bytes: Cow<'a, [u8]>,
    line_shift: usize,
}

impl SourceCode for TerminalSafe<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self.bytes.as_ref().read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.line_shift,
            inner.column(),
            inner.line_count(),
        )))
    }
}

struct Shown<'a> {
    d: &'a Located,
    /// `None` shows the message with its location in words, without a snippet.
    source: Option<&'a TerminalSafe<'a>>,
    path: &'a Path,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.diagnostic.message)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&sanitise(&self.d.diagnostic.message))?;
        if self.source.is_none() {
            let path = self.path.display().to_string();
            write!(f, "\n  at {}:{}:{}", sanitise(&path), self.d.line, self.d.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&*self.d.diagnostic.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d.diagnostic.help.as_deref().map(|h| Box::new(sanitise(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source?;
        let span = &self.d.diagnostic.span;
        let len = span.len().min(source.bytes.len().saturating_sub(span.start));
        let label = LabeledSpan::new(self.d.diagnostic.label.clone(), span.start, len);
        Some(Box::new(std::iter::once(label)))
    }
}

/// Message text can quote header values; show control characters escaped.
pub(crate) fn sanitise(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect(),
    )
}
