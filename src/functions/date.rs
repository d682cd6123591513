//! `invalid_date`: the whole value, when it is not an RFC 5322 `date-time` (section
//! 3.3, with the obsolete forms of 4.3 that readers must accept: two-digit years, named
//! zones), or names a day that does not exist, or a day of the week the date does not
//! fall on. `{{detail}}` says what is wrong. A message whose Date does not parse drops
//! out of the distribution-list interval, so it must not pass silently.

use super::Finding;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const NAMED_ZONES: [&str; 10] = ["ut", "gmt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt"];

pub(crate) fn find_invalid(value: &str) -> Vec<Finding> {
    match check(value) {
        Ok(()) => Vec::new(),
        Err(why) => vec![Finding::whole(value, why.to_string())],
    }
}

/// What is wrong with a Date value: the finding's `{{detail}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum DateError {
    #[error("a comment's parentheses do not balance")]
    Comment,
    #[error("it is empty")]
    Empty,
    #[error("`{0}` is not a day of the week")]
    DayName(String),
    #[error("the day of the week must be followed by a comma")]
    NoComma,
    #[error("it is not day month year hh:mm[:ss] zone (as `Mon, 23 Nov 2026 09:00:00 +0000`)")]
    Shape,
    #[error("`{0}` is not a day of the month")]
    Day(String),
    #[error("`{0}` is not a month (Jan to Dec)")]
    Month(String),
    #[error("`{0}` is not a year")]
    Year(String),
    #[error("there is no day {day} in {month} {year}")]
    NoSuchDay { day: u32, month: &'static str, year: u32 },
    #[error("`{0}` is not a time (hh:mm or hh:mm:ss)")]
    Time(String),
    #[error("`{0}` is not a time zone (+hhmm or -hhmm)")]
    Zone(String),
    #[error("{day} {month} {year} is a {actual}, not a {named}")]
    Weekday { day: u32, month: &'static str, year: u32, actual: &'static str, named: &'static str },
}

/// Comments (CFWS) removed, nested ones too; `None` for an unclosed or stray parenthesis.
fn without_comments(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let (mut depth, mut escaped) = (0usize, false);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if depth > 0 => escaped = true,
            '(' => depth += 1,
            ')' if depth == 0 => return None,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    out.push(' ');
                }
            }
            _ if depth > 0 => {}
            c => out.push(c),
        }
    }
    (depth == 0).then_some(out)
}

fn digits(token: &str, len: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (len.contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit())).then(|| token.parse().ok()).flatten()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 0 for Monday (Sakamoto's method).
fn weekday(year: u32, month: u32, day: u32) -> usize {
    const T: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let sunday_first = (y + y / 4 - y / 100 + y / 400 + T[month as usize - 1] + day) % 7;
    ((sunday_first + 6) % 7) as usize
}

fn check(value: &str) -> Result<(), DateError> {
    let text = without_comments(value).ok_or(DateError::Comment)?;
    let spaced = text.replace(',', " , ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return Err(DateError::Empty);
    }
    let mut day_name = None;
    if tokens[0].chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        let name = tokens[0].to_ascii_lowercase();
        let index = DAYS.iter().position(|d| *d == name).ok_or_else(|| DateError::DayName(tokens[0].to_owned()))?;
        if tokens.get(1) != Some(&",") {
            return Err(DateError::NoComma);
        }
        day_name = Some(index);
        tokens.drain(..2);
    }
    let [day, month, year, time, zone] = tokens[..] else {
        return Err(DateError::Shape);
    };
    let day = digits(day, 1..=2).ok_or_else(|| DateError::Day(day.to_owned()))?;
    let month_index = MONTHS
        .iter()
        .position(|m| *m == month.to_ascii_lowercase())
        .ok_or_else(|| DateError::Month(month.to_owned()))?;
    let month = month_index as u32 + 1;
    let year = match year.len() {
        2 => digits(year, 2..=2).map(|y| if y < 50 { 2000 + y } else { 1900 + y }),
        3 => digits(year, 3..=3).map(|y| 1900 + y),
        _ => digits(year, 4..=9).filter(|y| *y >= 1900),
    }
    .ok_or_else(|| DateError::Year(year.to_owned()))?;
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateError::NoSuchDay { day, month: MONTH_NAMES[month_index], year });
    }
    let parts: Vec<&str> = time.split(':').collect();
    let bad_time = || DateError::Time(time.to_owned());
    if !(2..=3).contains(&parts.len()) {
        return Err(bad_time());
    }
    digits(parts[0], 2..=2).filter(|h| *h < 24).ok_or_else(bad_time)?;
    digits(parts[1], 2..=2).filter(|m| *m < 60).ok_or_else(bad_time)?;
    if let Some(second) = parts.get(2) {
        digits(second, 2..=2).filter(|s| *s <= 60).ok_or_else(bad_time)?;
    }
    let zone_ok = match zone.as_bytes() {
        [b'+' | b'-', rest @ ..] => {
            rest.len() == 4 && rest.iter().all(u8::is_ascii_digit) && digits(&zone[3..], 2..=2).is_some_and(|m| m < 60)
        }
        _ => {
            let lower = zone.to_ascii_lowercase();
            NAMED_ZONES.contains(&lower.as_str())
                || (lower.len() == 1 && lower.as_bytes()[0].is_ascii_alphabetic() && lower != "j")
        }
    };
    if !zone_ok {
        return Err(DateError::Zone(zone.to_owned()));
    }
    if let Some(named) = day_name {
        let actual = weekday(year, month, day);
        if named != actual {
            let (month, actual, named) = (MONTH_NAMES[month_index], DAY_NAMES[actual], DAY_NAMES[named]);
            return Err(DateError::Weekday { day, month, year, actual, named });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_5322_dates_pass() {
        for date in [
            "Mon, 23 Nov 2026 09:00:00 +0000",
            "23 Nov 2026 09:00 -0500",
            "Mon,23 Nov 2026 09:00:00 +0000",
            "Mon, 23 Nov 2026 09:00:00 +0000 (GMT)",
            "Sun, 29 Feb 2004 23:59:60 GMT",
            "Wed, 29 Apr 98 15:12:01 EDT",
            "1 Jan 2027 00:00:00 Z",
        ] {
            assert_eq!(check(date), Ok(()), "{date}");
        }
    }

    #[test]
    fn others_say_why() {
        for (date, why) in [
            ("", "empty"),
            ("2026-11-23T09:00:00Z", "not day month year"),
            ("Monday, 23 Nov 2026 09:00:00 +0000", "not a day of the week"),
            ("Mon 23 Nov 2026 09:00:00 +0000", "followed by a comma"),
            ("Mon, 23 November 2026 09:00:00 +0000", "not a month"),
            ("Mon, 31 Nov 2026 09:00:00 +0000", "no day 31 in Nov 2026"),
            ("Mon, 23 Nov 2026 9:00:00 +0000", "not a time"),
            ("Mon, 23 Nov 2026 24:00:00 +0000", "not a time"),
            ("Mon, 23 Nov 2026 09:00:00", "not day month year"),
            ("Mon, 23 Nov 2026 09:00:00 +00:00", "not a time zone"),
            ("Mon, 23 Nov 2026 09:00:00 BST", "not a time zone"),
            ("Tue, 23 Nov 2026 09:00:00 +0000", "is a Monday, not a Tuesday"),
            ("Mon, 23 Nov 2026 09:00:00 +0000 (GMT", "parentheses"),
            ("{{ sent_at }}", "not day month year"),
        ] {
            let got = check(date).expect_err(date).to_string();
            assert!(got.contains(why), "{date}: {got}");
        }
    }

    /// Each reason word for word: it is the finding's `{{detail}}`.
    #[test]
    fn each_reason_reads_as_it_always_has() {
        for (date, why) in [
            ("(x", "a comment's parentheses do not balance"),
            ("", "it is empty"),
            ("Monday, 23 Nov 2026 09:00:00 +0000", "`Monday` is not a day of the week"),
            ("Mon 23 Nov 2026 09:00:00 +0000", "the day of the week must be followed by a comma"),
            ("2026-11-23T09:00:00Z", "it is not day month year hh:mm[:ss] zone (as `Mon, 23 Nov 2026 09:00:00 +0000`)"),
            ("Mon, 123 Nov 2026 09:00:00 +0000", "`123` is not a day of the month"),
            ("Mon, 23 November 2026 09:00:00 +0000", "`November` is not a month (Jan to Dec)"),
            ("Mon, 23 Nov 1800 09:00:00 +0000", "`1800` is not a year"),
            ("Mon, 31 Nov 2026 09:00:00 +0000", "there is no day 31 in Nov 2026"),
            ("Mon, 23 Nov 2026 9:00 +0000", "`9:00` is not a time (hh:mm or hh:mm:ss)"),
            ("Mon, 23 Nov 2026 09:00:00 BST", "`BST` is not a time zone (+hhmm or -hhmm)"),
            ("Tue, 23 Nov 2026 09:00:00 +0000", "23 Nov 2026 is a Monday, not a Tuesday"),
        ] {
            assert_eq!(check(date).map_err(|e| e.to_string()), Err(why.to_owned()), "{date}");
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday(2026, 11, 23), 0);
        assert_eq!(weekday(2004, 2, 29), 6);
        assert_eq!(weekday(2000, 1, 1), 5);
    }
}
