//! Line-based text formats read as their reader sees them: `format=flowed` plain text
//! (RFC 3676) with its soft line breaks joined, and calendar and vCard content lines
//! (RFC 5545 3.1, RFC 6350 3.2) unfolded, with the property values a person is shown.

use super::map::{Emitter, SpanMap};

/// The lines of `text` with the offset each starts at, line break included.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line))
    })
}

fn without_break(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// `format=flowed` text with each soft line break (a line ending in a space) joined to
/// the next line of the same quote depth (RFC 3676 4.5: `> ` marks a quoted line; the
/// marks of a line that continues one are not text), space-stuffing removed; `delsp` drops
/// the space before the break too.
pub(crate) fn flowed(input: &str, map: &SpanMap, delsp: bool) -> (String, SpanMap) {
    let mut out = Emitter::new(map, input.len());
    // The quote depth of the line before, when it ended in a soft break.
    let mut flowing: Option<usize> = None;
    let depth_of = |line: &str| line.bytes().take_while(|b| *b == b'>').count();
    let mut all = lines(input).peekable();
    while let Some((start, line)) = all.next() {
        let content = without_break(line);
        let depth = depth_of(content);
        let stuffed = depth + usize::from(content[depth..].starts_with(' '));
        // A continued line starts after its marks; a first line keeps them (they show).
        let from = if flowing == Some(depth) { stuffed } else { usize::from(depth == 0) * stuffed };
        let soft = content.ends_with(' ')
            && &content[depth..] != "-- "
            && content.len() > stuffed
            && all.peek().is_some_and(|(_, next)| depth_of(next) == depth);
        let keep = if !soft {
            line.len()
        } else if delsp {
            content.len() - 1
        } else {
            content.len()
        };
        let keep = keep.max(from);
        out.copy(&line[from..keep], start + from..start + keep);
        flowing = soft.then_some(depth);
    }
    out.finish()
}

/// Calendar properties an invitation shows its reader.
const CALENDAR: &[&str] = &["SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT", "RESOURCES", "X-ALT-DESC"];

/// The values of a calendar's shown properties (`calendar`), or of every property of a
/// vCard, one a line, unfolded and unescaped.
pub(crate) fn content_lines(input: &str, map: &SpanMap, calendar: bool) -> (String, SpanMap) {
    let (unfolded, unfolded_map) = unfold(input, map);
    let mut out = Emitter::new(&unfolded_map, unfolded.len());
    for (start, line) in lines(&unfolded) {
        let content = without_break(line);
        let Some(colon) = value_start(content) else { continue };
        let name = &content[..content.find([';', ':']).unwrap_or(colon)];
        let name = name.rsplit('.').next().unwrap_or(name);
        if calendar && !CALENDAR.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            continue;
        }
        unescape(&mut out, &content[colon + 1..], start + colon + 1);
        out.line_break(start..start + content.len());
    }
    out.finish()
}

/// `input` with each fold (a line break and the one space or tab after it) removed.
fn unfold(input: &str, map: &SpanMap) -> (String, SpanMap) {
    let mut out = Emitter::new(map, input.len());
    let mut skip = 0;
    for (start, line) in lines(input) {
        let next = input.as_bytes().get(start + line.len());
        let folded = line.ends_with('\n') && matches!(next, Some(b' ' | b'\t'));
        let keep = if folded { without_break(line).len() } else { line.len() };
        out.copy(&line[skip..keep.max(skip)], start + skip..start + keep.max(skip));
        skip = usize::from(folded);
    }
    out.finish()
}

/// Where a content line's value starts: its first colon outside a quoted parameter.
fn value_start(line: &str) -> Option<usize> {
    let mut quoted = false;
    line.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ':' if !quoted => Some(i),
        _ => None,
    })
}

/// A value with its backslash escapes (`\n`, `\,`, `\;`, `\\`) read, each mapped to its
/// two bytes.
fn unescape(out: &mut Emitter<'_>, value: &str, at: usize) {
    let mut run = 0;
    let mut i = 0;
    while let Some(p) = value[i..].find('\\') {
        let slash = i + p;
        let replaced = match value[slash + 1..].chars().next() {
            Some('n' | 'N') => "\n",
            Some(',') => ",",
            Some(';') => ";",
            Some('\\') => "\\",
            _ => {
                i = slash + 1;
                continue;
            }
        };
        out.copy(&value[run..slash], at + run..at + slash);
        out.replace(replaced, at + slash..at + slash + 2);
        i = slash + 2;
        run = i;
    }
    out.copy(&value[run..], at + run..at + value.len());
}

/// Where `needle` of a rendering stands in its input, for the tests.
#[cfg(test)]
fn source_of<'i>(input: &'i str, rendered: &(String, SpanMap), needle: &str) -> &'i str {
    let at = rendered.0.find(needle).unwrap_or_else(|| panic!("{needle:?} in {:?}", rendered.0));
    let span: std::ops::Range<usize> = rendered.1.span(at..at + needle.len()).expect("mapped");
    &input[span]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_breaks_are_joined_and_hard_ones_kept() {
        let input = "NHS number 943 \r\n476 5919\r\n-- \r\nsig\r\n";
        let out = flowed(input, &SpanMap::identity(0..input.len()), false);
        assert_eq!(out.0, "NHS number 943 476 5919\r\n-- \r\nsig\r\n");
        assert_eq!(source_of(input, &out, "943 476 5919"), "943 \r\n476 5919");
        let out = flowed("a \nb\n", &SpanMap::identity(0..5), true);
        assert_eq!(out.0, "ab\n");
        let out = flowed(" From here\n", &SpanMap::identity(0..11), false);
        assert_eq!(out.0, "From here\n");
        // A quoted paragraph (a reply): joined without the marks of the lines it continues.
        let input = "> NHS 943 476 \r\n> 5919 is\r\n>> deeper \r\n> shallower\r\n";
        let out = flowed(input, &SpanMap::identity(0..input.len()), false);
        assert_eq!(out.0, "> NHS 943 476 5919 is\r\n>> deeper \r\n> shallower\r\n");
        assert_eq!(source_of(input, &out, "943 476 5919"), "943 476 \r\n> 5919");
    }

    #[test]
    fn calendar_values_are_unfolded_unescaped_and_chosen() {
        let input = "BEGIN:VEVENT\r\nUID:943-476-5919@x\r\nSUMMARY:Clinic\r\nDESCRIPTION:Patient NHS number 943 47\r\n 6 5919\\, bring\\nletter\r\nLOCATION;ALTREP=\"cid:x\":Room 4\r\nEND:VEVENT\r\n";
        let out = content_lines(input, &SpanMap::identity(0..input.len()), true);
        assert_eq!(out.0, "Clinic\nPatient NHS number 943 476 5919, bring\nletter\nRoom 4\n");
        assert_eq!(source_of(input, &out, "943 476 5919"), "943 47\r\n 6 5919");
        assert_eq!(source_of(input, &out, ","), "\\,");
    }

    #[test]
    fn every_vcard_value_is_read() {
        let input = "BEGIN:VCARD\nFN:Smith\\, Jo\nitem1.NOTE:NHS 943 476 5919\nEND:VCARD\n";
        let out = content_lines(input, &SpanMap::identity(0..input.len()), false);
        assert_eq!(out.0, "VCARD\nSmith, Jo\nNHS 943 476 5919\nVCARD\n");
    }
}
