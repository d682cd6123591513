//! `SpanMap`: where each byte of a derived text (decoded, rendered, unfolded) came from
//! in the raw message, so a finding in the text a recipient reads still points at the
//! bytes that carry it. Each stage of the text view writes through an [`Emitter`] that
//! composes its own offsets with the stage before it.

use std::ops::Range;

/// One run of text and the raw bytes it stands for. `exact` runs are the same bytes
/// (offset for offset); the others (an entity, a quoted-printable escape, a base64 line)
/// map as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    text: usize,
    raw: Range<usize>,
    exact: bool,
}

/// Text offsets to raw byte ranges; segments are sorted by `text` and each covers the
/// text up to the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanMap {
    segments: Vec<Segment>,
}

impl SpanMap {
    /// Text that is the raw bytes `raw`, offset for offset.
    pub(crate) fn identity(raw: Range<usize>) -> Self {
        SpanMap { segments: vec![Segment { text: 0, raw, exact: true }] }
    }

    /// Text that stands for the raw bytes `raw` as a whole.
    pub(crate) fn block(raw: Range<usize>) -> Self {
        SpanMap { segments: vec![Segment { text: 0, raw, exact: false }] }
    }

    pub(super) fn push(&mut self, text: usize, raw: Range<usize>, exact: bool) {
        if let Some(last) = self.segments.last_mut() {
            if last.text == text {
                // The run before was empty (a removed soft break): it covers nothing.
                *last = Segment { text, raw, exact };
                return;
            }
            if exact && last.exact && last.raw.end == raw.start && last.text + last.raw.len() == text {
                last.raw.end = raw.end;
                return;
            }
        }
        self.segments.push(Segment { text, raw, exact });
    }

    fn segment(&self, text: usize) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.text <= text);
        self.segments.get(i.checked_sub(1)?)
    }

    /// The raw bytes behind the text `range`: exact where the text is the bytes, else
    /// the whole of each run it touches.
    pub fn span(&self, range: Range<usize>) -> Option<Range<usize>> {
        let first = self.segment(range.start)?;
        let start = if first.exact { first.raw.start + (range.start - first.text) } else { first.raw.start };
        let last = self.segment(range.end.saturating_sub(1).max(range.start))?;
        let end = if last.exact { (last.raw.start + (range.end - last.text)).min(last.raw.end) } else { last.raw.end };
        Some(start.min(end)..end.max(start))
    }

    /// Whether the text `range` is byte for byte the raw bytes `span` gives (the tests'
    /// check of what `span` promises).
    #[cfg(test)]
    pub(crate) fn is_exact(&self, range: Range<usize>) -> bool {
        let (Some(first), Some(last)) = (self.segment(range.start), self.segment(range.end.saturating_sub(1))) else {
            return false;
        };
        first == last && first.exact && range.end <= first.text + first.raw.len()
    }

    /// The segments that overlap the text `range`, cut to it: (text range, raw range,
    /// exact), so a copy keeps every run's precision.
    fn pieces(&self, range: Range<usize>) -> impl Iterator<Item = (Range<usize>, Range<usize>, bool)> + '_ {
        let from = self.segments.partition_point(|s| s.text <= range.start).saturating_sub(1);
        // Only the segments that start before the range ends: a copy costs what it covers,
        // so a stage stays linear however many copies it makes.
        let to = self.segments.partition_point(|s| s.text < range.end).max(from);
        let segments = &self.segments[from.min(self.segments.len())..to.min(self.segments.len())];
        let next = move |i: usize| self.segments.get(from + i + 1).map_or(usize::MAX, |n| n.text);
        segments.iter().enumerate().filter_map(move |(i, s)| {
            let end = next(i);
            let text = s.text.max(range.start)..end.min(range.end);
            if text.start >= text.end {
                return None;
            }
            let raw = if s.exact {
                s.raw.start + (text.start - s.text)..s.raw.start + (text.end - s.text)
            } else {
                s.raw.clone()
            };
            Some((text, raw, s.exact))
        })
    }
}

/// Writes a stage's output text and its map, from offsets in the stage's input, whose
/// own map is `input`.
pub(crate) struct Emitter<'a> {
    pub(crate) text: String,
    pub(crate) map: SpanMap,
    input: &'a SpanMap,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(input: &'a SpanMap, capacity: usize) -> Self {
        Emitter { text: String::with_capacity(capacity), map: SpanMap::default(), input }
    }

    /// `text`, which is the input's `from` unchanged.
    pub(crate) fn copy(&mut self, text: &str, from: Range<usize>) {
        let base = self.text.len();
        self.text.push_str(text);
        for (piece, raw, exact) in self.input.pieces(from.clone()) {
            self.map.push(base + piece.start - from.start, raw, exact);
        }
    }

    /// `text`, which stands for the input's `from` as a whole (an entity, an escape).
    pub(crate) fn replace(&mut self, text: &str, from: Range<usize>) {
        if text.is_empty() {
            return;
        }
        let raw = self.input.span(from).unwrap_or(0..0);
        self.map.push(self.text.len(), raw, false);
        self.text.push_str(text);
    }

    /// A line break the rendering adds between blocks (a `<p>`, a calendar property),
    /// pointed at `from`, the markup that makes it.
    pub(crate) fn line_break(&mut self, from: Range<usize>) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.replace("\n", from);
        }
    }

    pub(crate) fn finish(self) -> (String, SpanMap) {
        (self.text, self.map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_exact_runs_and_replacements_map_as_a_whole() {
        // Raw: `ab=3Dcd` at 100; decoded `ab=cd`.
        let raw = SpanMap::identity(100..107);
        let mut e = Emitter::new(&raw, 8);
        e.copy("ab", 0..2);
        e.replace("=", 2..5);
        e.copy("cd", 5..7);
        let (text, map) = e.finish();
        assert_eq!(text, "ab=cd");
        assert_eq!(map.span(0..2), Some(100..102));
        assert_eq!(map.span(2..3), Some(102..105));
        assert_eq!(map.span(1..4), Some(101..106));
        assert!(map.is_exact(3..5));
        assert!(!map.is_exact(1..4));
    }

    #[test]
    fn a_second_stage_composes_with_the_first() {
        // Stage one drops a soft break: `12=\n34` at 0 reads `1234`.
        let raw = SpanMap::identity(0..7);
        let mut one = Emitter::new(&raw, 4);
        one.copy("12", 0..2);
        one.copy("34", 5..7);
        let (text, map) = one.finish();
        assert_eq!(map.span(0..4), Some(0..7));
        assert!(!map.is_exact(0..4));
        // Stage two copies `234` out of it.
        let mut two = Emitter::new(&map, 3);
        two.copy(&text[1..], 1..4);
        let (_, map2) = two.finish();
        assert_eq!(map2.span(0..1), Some(1..2));
        assert_eq!(map2.span(1..3), Some(5..7));
        assert_eq!(map2.span(0..3), Some(1..7));
    }
}
