//! The HTML report's charts, drawn by plotters as SVG text to inline in the page (no
//! fonts, images or scripts to fetch): findings per week stacked by rule, findings per
//! rule by severity, and the ten paths, senders and templates with most findings. Each
//! comes with its text alternative: a sentence for `aria-label` and its numbers as a
//! table, so that neither a screen reader nor a reader who cannot tell the colours apart
//! depends on the picture.

use std::collections::BTreeMap;
use std::sync::Arc;

use plotters::coord::ranged1d::SegmentValue;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::count;
use super::tally::Tally;
use crate::findings::diagnostic::Severity;

const WIDTH: u32 = 960;
const FONT: &str = "sans-serif";
/// Series colours (NHS identity palette), the last for "other rules".
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x5e, 0xb8),
    RGBColor(0xda, 0x29, 0x1c),
    RGBColor(0x00, 0x96, 0x39),
    RGBColor(0xed, 0x8b, 0x00),
    RGBColor(0x33, 0x00, 0x72),
    RGBColor(0x00, 0xa9, 0xce),
    RGBColor(0xae, 0x25, 0x73),
    RGBColor(0x76, 0x86, 0x92),
];
/// Weeks shown at most: the latest, with a note of the findings before them.
const MAX_WEEKS: i64 = super::tally::WEEKS;
const MIN_WEEKS: i64 = 8;
const AXIS: RGBColor = RGBColor(0x42, 0x52, 0x63);

fn severity_colour(severity: Severity) -> RGBColor {
    match severity {
        Severity::Error => RGBColor(0xda, 0x29, 0x1c),
        Severity::Warning => RGBColor(0xed, 0x8b, 0x00),
        Severity::Info => RGBColor(0x00, 0x5e, 0xb8),
    }
}

/// A legend's square of `colour`.
fn swatch(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled())
}

/// Pixels a legend entry takes besides its text, and a character of 13 px text at most
/// (the legend is laid out before any browser measures it).
const ENTRY_PAD: i32 = 34;
const CHAR_WIDTH: i32 = 8;
const ENTRY_HEIGHT: i32 = 22;

/// A legend of `entries` in `area`, never over the plot: entries left to right, a new
/// line when the next would not fit (a narrow area makes it a column).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, RGBColor)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32;
    let (mut x, mut y) = (0, ENTRY_HEIGHT / 2);
    for (name, colour) in entries {
        let w = ENTRY_PAD + CHAR_WIDTH * name.chars().count() as i32;
        if x > 0 && x + w > width {
            (x, y) = (0, y + ENTRY_HEIGHT);
        }
        area.draw(&swatch(*colour)((x, y)))?;
        area.draw(&Text::new(name.as_str(), (x + 18, y - 8), (FONT, 13).into_font().color(&AXIS)))?;
        x += w;
    }
    Ok(())
}

/// A drawn chart, named by a sentence summarising it (its `aria-label`), and its numbers
/// as a table (`head`, then `rows`, each as long as `head`).
pub(crate) struct Drawn {
    pub(crate) svg: String,
    pub(crate) head: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// A chart, or why there is none.
pub(crate) enum Chart {
    Drawn(Drawn),
    Empty(&'static str),
}

/// The text a chart can show: no control characters, at most `max` characters (a path
/// keeps its end, where the file name is).
fn label(text: &str, max: usize, keep_end: bool) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    let n = clean.chars().count();
    if n <= max {
        clean
    } else if keep_end {
        format!("…{}", clean.chars().skip(n - max + 1).collect::<String>())
    } else {
        format!("{}…", clean.chars().take(max - 1).collect::<String>())
    }
}

/// plotters' SVG, ready to inline in HTML (which needs no namespace declaration): an
/// image to assistive technology, named by `summary` (its drawn text is not read out).
fn inline(svg: String, summary: &str) -> String {
    let name = askama::filters::escape(summary, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", &format!(" role=\"img\" aria-label=\"{name}\""), 1)
}

fn days_label(days: i64) -> String {
    crate::util::clock::day(days * 86_400)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The year and month (1 to 12) of day `days` since 1970.
fn year_month(days: i64) -> (i64, u8) {
    let t = mail_parser::DateTime::from_timestamp(days * 86_400);
    (i64::from(t.year), t.month)
}

/// Weeks beyond which the weekly axis is labelled by month: a date a few weeks apart
/// reads as noise across a year or more.
const WEEKS_BY_DATE: usize = 26;
/// Pixels between two axis labels at least, so that none overlaps the next.
const LABEL_GAP: f64 = 84.0;

/// The weekly axis's labels, `(week, text)`, for `weeks` weeks from day `start` drawn
/// `width` pixels wide: on a short range a Monday's date every few weeks; on a long one
/// the week a month begins in, every one, two, three, six or twelve months so that the
/// labels do not touch, each month named once.
fn week_labels(start: i64, weeks: usize, width: u32) -> Vec<(usize, String)> {
    let per_week = f64::from(width) / weeks as f64;
    if weeks <= WEEKS_BY_DATE {
        let step = (LABEL_GAP / per_week).ceil().max(1.0) as usize;
        return (0..weeks).step_by(step).map(|w| (w, days_label(start + w as i64 * 7))).collect();
    }
    let every = [1u8, 2, 3, 6, 12].into_iter().find(|m| f64::from(*m) * 4.35 * per_week >= LABEL_GAP).unwrap_or(12);
    let mut labels = Vec::new();
    let mut month = year_month(start);
    for w in 1..weeks {
        // The week holding the month's first day: its Monday may be in the month before.
        let this = year_month(start + w as i64 * 7 + 6);
        if this != month && (this.1 - 1).is_multiple_of(every) {
            labels.push((w, format!("{} {}", MONTHS[usize::from(this.1 - 1)], this.0)));
        }
        month = this;
    }
    labels
}

/// Width of the weekly chart's legend, beside the plot.
const LEGEND_WIDTH: u32 = 260;

/// Findings per week by the messages' own Date, stacked by rule (the seven rules with
/// most findings, the rest as "other rules"); and a note of findings not shown.
pub(crate) fn weekly(tally: &Tally) -> (Chart, Option<String>) {
    let (Some(&first), Some(&last)) = (tally.weeks.keys().next(), tally.weeks.keys().next_back()) else {
        return (Chart::Empty("No finding is in a message with a usable Date."), None);
    };
    // At least `MIN_WEEKS` weeks, so one week's bar is not the whole width.
    let start = first.max(last - (MAX_WEEKS - 1) * 7).min(last - (MIN_WEEKS - 1) * 7);
    let earlier: usize = tally.earlier + tally.weeks.range(..start).flat_map(|(_, r)| r.values()).sum::<usize>();
    let mut totals: BTreeMap<&Arc<str>, usize> = BTreeMap::new();
    for rules in tally.weeks.range(start..).map(|(_, r)| r) {
        for (rule, n) in rules {
            *totals.entry(rule).or_insert(0) += n;
        }
    }
    let mut ranked: Vec<(&Arc<str>, usize)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: Vec<&Arc<str>> = ranked.iter().take(PALETTE.len() - 1).map(|(r, _)| *r).collect();
    let series = named.len() + usize::from(ranked.len() > named.len());
    let weeks = ((last - start) / 7 + 1) as usize;
    // stacks[week][series]
    let mut stacks = vec![vec![0usize; series]; weeks];
    for (week, rules) in tally.weeks.range(start..) {
        let w = ((week - start) / 7) as usize;
        for (rule, n) in rules {
            let s = named.iter().position(|r| *r == rule).unwrap_or(series - 1);
            stacks[w][s] += n;
        }
    }
    let names: Vec<String> =
        (0..series).map(|s| named.get(s).map_or("other rules".to_owned(), |r| label(r, 32, false))).collect();
    let colours: Vec<RGBColor> =
        (0..series).map(|s| PALETTE[if s < named.len() { s } else { PALETTE.len() - 1 }]).collect();
    let week_totals: Vec<usize> = stacks.iter().map(|s| s.iter().sum()).collect();
    let max = week_totals.iter().copied().max().unwrap_or(1).max(1);
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d((0..weeks - 1).into_segmented(), 0..(max + max / 8 + 1))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(1)
            .light_line_style(RGBColor(0xe8, 0xed, 0xee))
            .bold_line_style(RGBColor(0xd8, 0xdd, 0xe0))
            .axis_style(AXIS)
            // The weeks' labels and ticks are drawn below, where each belongs.
            .x_labels(1)
            .x_label_formatter(&|_| String::new())
            .set_tick_mark_size(LabelAreaPosition::Bottom, 0)
            .y_label_formatter(&|v| count(*v))
            .y_desc("findings")
            .x_desc("findings per week (Monday to Sunday), by each message's own Date")
            .label_style((FONT, 13).into_font().color(&AXIS))
            .axis_desc_style((FONT, 14).into_font().color(&AXIS))
            .draw()?;
        let (left, _) = chart.backend_coord(&(SegmentValue::Exact(0), 0));
        let (right, axis) = chart.backend_coord(&(SegmentValue::Exact(weeks), 0));
        for (w, text) in week_labels(start, weeks, (right - left).max(1) as u32) {
            let (x, _) = chart.backend_coord(&(SegmentValue::Exact(w), 0));
            root.draw(&PathElement::new([(x, axis), (x, axis + 5)], AXIS))?;
            let style = (FONT, 13).into_font().color(&AXIS).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(text, (x, axis + 8), style))?;
        }
        for s in 0..series {
            let bars = stacks.iter().enumerate().filter(|(_, stack)| stack[s] > 0).map(|(w, stack)| {
                let below: usize = stack[..s].iter().sum();
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(w), below), (SegmentValue::Exact(w + 1), below + stack[s])],
                    colours[s].filled(),
                );
                bar.set_margin(0, 0, 1, 1);
                bar
            });
            chart.draw_series(bars)?;
        }
        let entries: Vec<(String, RGBColor)> = names.iter().cloned().zip(colours.iter().copied()).collect();
        draw_legend(&legend.margin(24, 0, 8, 8), &entries)?;
        root.present()?;
        Ok(())
    })();
    let mut notes = Vec::new();
    if earlier > 0 {
        notes.push(format!("{} finding(s) in earlier weeks are not drawn", count(earlier)));
    }
    if tally.undated > 0 {
        notes.push(format!(
            "{} finding(s) are not in this chart: their message has no usable Date, or a rule across messages found them",
            count(tally.undated)
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; ") + ".");
    let Ok(()) = drawn else { return (Chart::Empty("The chart could not be drawn."), note) };
    let busiest = week_totals.iter().enumerate().max_by_key(|(w, n)| (**n, *w)).map_or(0, |(w, _)| w);
    let by_rule: Vec<String> = names
        .iter()
        .zip(0..series)
        .map(|(name, s)| format!("{name} {}", count(stacks.iter().map(|w| w[s]).sum::<usize>())))
        .collect();
    let summary = format!(
        "Findings per week from {} to {}: {} in {} weeks, the most ({}) in the week of {}. By rule: {}.",
        days_label(start),
        days_label(last),
        count(week_totals.iter().sum::<usize>()),
        weeks,
        count(week_totals[busiest]),
        days_label(start + busiest as i64 * 7),
        by_rule.join(", ")
    );
    let mut head = vec!["Week beginning".to_owned()];
    head.extend(names);
    head.push("All".to_owned());
    let rows = stacks
        .iter()
        .zip(&week_totals)
        .enumerate()
        .map(|(w, (stack, total))| {
            let mut row = vec![days_label(start + w as i64 * 7)];
            row.extend(stack.iter().chain([total]).map(|n| count(*n)));
            row
        })
        .collect();
    (Chart::Drawn(Drawn { svg: inline(svg, &summary), head, rows }), note)
}

/// One horizontal bar a row (name, count, colour, and the word the colour stands for),
/// the largest at the top; with `legend`, a key to the colours above the bars. `what`
/// names the chart and its rows in the text alternative.
pub(crate) fn bars(
    rows: &[(String, u64, RGBColor, Option<&str>)],
    legend: &[(&str, RGBColor)],
    keep_end: bool,
    what: [&str; 2],
) -> Chart {
    if rows.is_empty() {
        return Chart::Empty("No findings.");
    }
    let n = rows.len();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let key = if legend.is_empty() { 0 } else { ENTRY_HEIGHT as u32 + 8 };
    let height = 70 + 30 * n as u32 + key;
    let value = |n: u64, word: Option<&str>| match word {
        Some(word) => format!("{} {word}", count(n as usize)),
        None => count(n as usize),
    };
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (key_area, plot) = root.split_vertically(key);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(360)
            .build_cartesian_2d(0..(max + max / 6 + 1), 0.0..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(1)
            .light_line_style(RGBColor(0xe8, 0xed, 0xee))
            .bold_line_style(RGBColor(0xd8, 0xdd, 0xe0))
            .axis_style(AXIS)
            // The rows' names are drawn below, one a bar, and need no tick.
            .y_labels(1)
            .y_label_formatter(&|_| String::new())
            .set_tick_mark_size(LabelAreaPosition::Left, 0)
            .x_label_formatter(&|v| count(*v as usize))
            .x_desc("findings")
            .label_style((FONT, 13).into_font().color(&AXIS))
            .axis_desc_style((FONT, 14).into_font().color(&AXIS))
            .draw()?;
        // Row i from the top spans n - 1 - i to n - i.
        let top = |i: usize| (n - i) as f64;
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, count, colour, _))| {
            let mut bar = Rectangle::new([(0, top(i) - 1.0), (*count, top(i))], colour.filled());
            bar.set_margin(5, 5, 0, 0);
            bar
        }))?;
        // Each bar's count, and the word its colour stands for, just beyond its end.
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, count, _, word))| {
            EmptyElement::at((*count, top(i) - 0.5))
                + Text::new(value(*count, *word), (6, -7), (FONT, 12).into_font().color(&AXIS))
        }))?;
        let name_style = (FONT, 13).into_font().color(&AXIS).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, (name, ..)) in rows.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0, top(i) - 0.5));
            root.draw(&Text::new(label(name, 52, keep_end), (x - 8, y), name_style.clone()))?;
        }
        if !legend.is_empty() {
            let entries: Vec<(String, RGBColor)> = legend.iter().map(|(name, c)| ((*name).to_owned(), *c)).collect();
            draw_legend(&key_area.margin(10, 0, 372, 0), &entries)?;
        }
        root.present()?;
        Ok(())
    })();
    let Ok(()) = drawn else { return Chart::Empty("The chart could not be drawn.") };
    let [title, row_name] = what;
    let listed: Vec<String> = rows
        .iter()
        .map(|(name, count, _, word)| format!("{} {}", label(name, 200, keep_end), value(*count, *word)))
        .collect();
    let summary = format!("{title}: {}.", listed.join(", "));
    let mut head = vec![row_name.to_owned(), "Findings".to_owned()];
    let worded = rows.iter().any(|r| r.3.is_some());
    if worded {
        head.push("Severity".to_owned());
    }
    let table = rows
        .iter()
        .map(|(name, n, _, word)| {
            let mut row = vec![label(name, 200, keep_end), count(*n as usize)];
            if worded {
                row.push(word.unwrap_or("\u{2013}").to_owned());
            }
            row
        })
        .collect();
    Chart::Drawn(Drawn { svg: inline(svg, &summary), head, rows: table })
}
/// Bars of the per-rule chart at most: a pack of hundreds of rules would draw a chart
/// taller than any screen; the rest share one bar.
const RULE_BARS: usize = 25;

/// Findings per rule, coloured by the worst severity each reported (the rules beyond
/// `RULE_BARS - 1` together in one grey bar).
pub(crate) fn per_rule(tally: &Tally) -> Chart {
    let mut rows: Vec<(String, u64, RGBColor, Option<&str>)> = tally
        .by_rule
        .iter()
        .map(|(rule, t)| {
            let severity = t.severity();
            (rule.to_string(), t.findings() as u64, severity_colour(severity), Some(severity.as_str()))
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if rows.len() > RULE_BARS {
        let rest = rows.split_off(RULE_BARS - 1);
        let findings = rest.iter().map(|r| r.1).sum();
        rows.push((format!("{} other rules", rest.len()), findings, PALETTE[PALETTE.len() - 1], None));
    }
    let legend = [Severity::Error, Severity::Warning, Severity::Info].map(|s| (s.as_str(), severity_colour(s)));
    bars(&rows, &legend, false, ["Findings per rule", "Rule"])
}

/// The ten keys with most findings, in one colour; `what` is the chart's title and what
/// a row is.
pub(crate) fn top_ten(top: &[(String, u64)], keep_end: bool, what: [&str; 2]) -> Chart {
    let rows: Vec<(String, u64, RGBColor, Option<&str>)> =
        top.iter().map(|(k, n)| (k.clone(), *n, PALETTE[0], None)).collect();
    bars(&rows, &[], keep_end, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tally::RuleTally;

    #[test]
    fn a_pack_of_many_rules_draws_a_chart_of_readable_height() {
        let mut tally = Tally::default();
        for n in 0..40 {
            tally.by_rule.insert(format!("rule-{n:02}").into(), RuleTally { errors: 100 - n, ..RuleTally::default() });
        }
        let Chart::Drawn(Drawn { svg, .. }) = per_rule(&tally) else { panic!("a chart") };
        assert!(svg.contains("rule-00") && svg.contains("rule-23"), "the rules with most findings are named");
        assert!(!svg.contains("rule-24"), "the rest are not drawn one a bar");
        assert!(svg.contains("16 other rules"), "they are counted together");
        let height = 70 + 30 * RULE_BARS as u32 + ENTRY_HEIGHT as u32 + 8;
        assert!(svg.contains(&format!("height=\"{height}\"")), "{}", &svg[..200]);
    }

    /// Monday 23 November 2026, in days since 1970.
    const MONDAY: i64 = 20_780;

    #[test]
    fn counts_are_written_with_thousands_separated() {
        assert_eq!(crate::util::clock::day(MONDAY * 86_400), "2026-11-23");
        let written: Vec<String> = [0, 999, 5_000, 1_234_567].map(count).into();
        assert_eq!(written, ["0", "999", "5,000", "1,234,567"]);
    }

    #[test]
    fn a_long_range_is_labelled_by_month_each_month_once_and_apart() {
        let start = MONDAY - 89 * 7;
        let labels = week_labels(start, 90, 650);
        let texts: Vec<&str> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            ["Apr 2025", "Jul 2025", "Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026"],
            "{labels:?}"
        );
        for pair in labels.windows(2) {
            assert!((pair[1].0 - pair[0].0) as f64 * 650.0 / 90.0 >= LABEL_GAP, "{pair:?} touch");
        }
        // Each label sits on the week holding the month's first day.
        assert_eq!(days_label(start + labels[0].0 as i64 * 7), "2025-03-31");
        // A short range names Mondays.
        let short: Vec<String> = week_labels(MONDAY - 7 * 7, 8, 650).into_iter().map(|(_, t)| t).collect();
        assert_eq!(short, ["2026-10-05", "2026-10-19", "2026-11-02", "2026-11-16"]);
    }

    /// The `x` of each `<text>` drawing one of `names` in plotters' SVG.
    fn text_x(svg: &str, names: &[&str]) -> Vec<f64> {
        svg.split("<text ")
            .skip(1)
            .filter(|t| names.iter().any(|n| t.contains(&format!("\n{n}\n</text>"))))
            .map(|t| {
                let x = &t[t.find("x=\"").expect("x") + 3..];
                x[..x.find('"').expect("end")].parse().expect("a number")
            })
            .collect()
    }

    #[test]
    fn the_weekly_chart_keeps_its_legend_beside_the_bars_and_says_what_it_shows() {
        let mut tally = Tally::default();
        for w in 0..90 {
            let week = tally.weeks.entry(MONDAY - (89 - w) * 7).or_default();
            week.insert("no-reply-address".into(), 10 + w as usize * 50);
            week.insert("missing-message-id".into(), 3);
        }
        let (Chart::Drawn(drawn), None) = weekly(&tally) else { panic!("a chart, all of it drawn") };
        let legend = text_x(&drawn.svg, &["no-reply-address", "missing-message-id"]);
        assert_eq!(legend.len(), 2, "{}", drawn.svg);
        assert!(legend.iter().all(|x| *x > f64::from(WIDTH - LEGEND_WIDTH)), "the legend is over the plot: {legend:?}");
        let name = "role=\"img\" aria-label=\"Findings per week from 2025-03-10 to 2026-11-23: 201,420 in 90 weeks, \
                    the most (4,463) in the week of 2026-11-23. By rule: no-reply-address 201,150, missing-message-id 270.\"";
        assert!(drawn.svg.lines().next().is_some_and(|l| l.contains(name)), "{}", &drawn.svg[..300]);
        assert_eq!(drawn.head, ["Week beginning", "no-reply-address", "missing-message-id", "All"]);
        assert_eq!(drawn.rows.len(), 90);
        assert_eq!(drawn.rows[89], ["2026-11-23", "4,460", "3", "4,463"]);
    }

    #[test]
    fn a_bar_chart_names_each_bar_once_with_no_tick_to_spare() {
        // A horizontal line in the axes' colour: the bottom axis, or a tick on the left one.
        let across = |svg: &str| {
            svg.split("<polyline ")
                .skip(1)
                .filter(|l| l.contains("stroke=\"#425263\""))
                .filter(|l| {
                    let points = &l[l.find("points=\"").expect("points") + 8..];
                    let ys: Vec<&str> = points[..points.find('"').expect("end")]
                        .split_whitespace()
                        .map(|p| p.split(',').nth(1).expect("x,y"))
                        .collect();
                    ys.windows(2).all(|y| y[0] == y[1])
                })
                .count()
        };
        let top = [("a.eml".to_owned(), 5_000), ("b.eml".to_owned(), 12)];
        let Chart::Drawn(drawn) = top_ten(&top, true, ["The ten files", "File"]) else { panic!("a chart") };
        assert_eq!(text_x(&drawn.svg, &["a.eml"]).len(), 1, "{}", drawn.svg);
        assert!(drawn.svg.contains("\n5,000\n</text>"), "the count, written as the report writes counts");
        assert!(drawn.svg.contains("aria-label=\"The ten files: a.eml 5,000, b.eml 12.\""), "{}", &drawn.svg[..200]);
        assert_eq!(drawn.rows, [["a.eml", "5,000"], ["b.eml", "12"]]);
        assert_eq!(across(&drawn.svg), 1, "the bottom axis, and no tick on the left one: {}", drawn.svg);
    }
}
