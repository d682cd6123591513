//! Judging one condition against its target: as a precondition (`holds`) here; as a
//! requirement, value by value, in the engine. Shared by the engine and by the
//! compiler, which judges message rules' preconditions on the configuration once.

use std::borrow::Cow;

use super::compiled::{Condition, Op};
use super::field::Target;
use super::value::{Kind, Value};
use crate::mail::address::canonical;
use crate::online::Services;

/// `b` is already normalised (the compiler normalises what a condition compares with).
fn equal(kind: Kind, a: &str, b: &str) -> bool {
    if kind == Kind::Address { canonical(a) == b } else { a == b }
}

/// The form values of `kind` are compared in: addresses and domains in their one form
/// (`mail::address::canonical`: case, quoting that is not needed, IDNA).
pub(crate) fn normalise(kind: Kind, text: &str) -> Cow<'_, str> {
    if kind == Kind::Address { Cow::Owned(canonical(text)) } else { Cow::Borrowed(text) }
}

/// Whether one value passes the condition's operator.
pub(crate) fn passes(condition: &Condition, value: &Value<'_>, services: Option<&Services>) -> bool {
    let kind = condition.field.kind();
    let text = value.text.as_ref();
    match &condition.op {
        Op::Equals(s) => equal(kind, &value.display(), s),
        Op::NotEquals(s) => !equal(kind, &value.display(), s),
        Op::Matches(re) => re.is_match(text),
        Op::NotMatches(re) => !re.is_match(text),
        Op::Max(n) => value.number.is_none_or(|v| v <= *n),
        Op::Min(n) => value.number.is_none_or(|v| v >= *n),
        Op::Present | Op::Absent => true,
        Op::OneOf(words) => words.contains(&normalise(kind, &value.display())),
        Op::NotOneOf(words) => !words.contains(&normalise(kind, &value.display())),
        Op::Contains(call) => !call.detector.find(text, services).is_empty(),
        Op::NotContains(call) => call.detector.find(text, services).is_empty(),
    }
}

/// As a precondition: true when the field has a value that passes (for `absent`, when
/// it has none).
pub(crate) fn holds(condition: &Condition, target: Target<'_, '_>, services: Option<&Services>) -> bool {
    let mut any = false;
    let mut any_passing = false;
    condition.field.for_each(target, &mut |v| {
        any = true;
        // One passing value settles it: a bulk send's thousands need not all be judged.
        any_passing = any_passing || passes(condition, &v, services);
    });
    match condition.op {
        Op::Present => any,
        Op::Absent => !any,
        _ => any_passing,
    }
}
