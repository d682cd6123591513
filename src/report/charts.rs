//! The HTML report's charts, drawn by plotters as SVG text to inline in the page (no
//! fonts, images or scripts to fetch): findings per week stacked by rule, findings per
//! rule by severity, and the ten paths, senders and templates with most findings.

use std::collections::BTreeMap;
use std::sync::Arc;

use plotters::coord::CoordTranslate;
use plotters::coord::ranged1d::SegmentValue;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;

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

/// The series' legend, boxed, at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let frame = RGBColor(0xd8, 0xdd, 0xe0);
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(frame)
        .label_font((FONT, 13))
        .draw()
}

/// A chart, or why there is none.
pub(crate) enum Chart {
    Svg(String),
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

/// plotters' SVG, ready to inline in HTML (which needs no namespace declaration).
fn inline(svg: String) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

fn days_label(days: i64) -> String {
    crate::util::clock::day(days * 86_400)
}

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
    let max = stacks.iter().map(|s| s.iter().sum::<usize>()).max().unwrap_or(1).max(1);
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d((0..weeks).into_segmented(), 0..(max + max / 8 + 1))?;
        let step = weeks.div_ceil(12).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(1)
            .light_line_style(RGBColor(0xe8, 0xed, 0xee))
            .bold_line_style(RGBColor(0xd8, 0xdd, 0xe0))
            .axis_style(AXIS)
            .x_labels(weeks.min(12))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(w) if w.is_multiple_of(step) => days_label(start + *w as i64 * 7),
                _ => String::new(),
            })
            .y_desc("findings")
            .x_desc("week beginning (Monday), by each message's own Date")
            .label_style((FONT, 13).into_font().color(&AXIS))
            .axis_desc_style((FONT, 14).into_font().color(&AXIS))
            .draw()?;
        for s in 0..series {
            let colour = PALETTE[if s < named.len() { s } else { PALETTE.len() - 1 }];
            let bars = stacks.iter().enumerate().filter(|(_, stack)| stack[s] > 0).map(|(w, stack)| {
                let below: usize = stack[..s].iter().sum();
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(w), below), (SegmentValue::Exact(w + 1), below + stack[s])],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 2, 2);
                bar
            });
            let name = named.get(s).map_or("other rules".to_owned(), |r| label(r, 32, false));
            chart.draw_series(bars)?.label(name).legend(swatch(colour));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present()?;
        Ok(())
    })();
    let mut notes = Vec::new();
    if earlier > 0 {
        notes.push(format!("{earlier} finding(s) in earlier weeks are not drawn"));
    }
    if tally.undated > 0 {
        notes.push(format!(
            "{} finding(s) are not in this chart: their message has no usable Date, or a rule across messages found them",
            tally.undated
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; ") + ".");
    match drawn {
        Ok(()) => (Chart::Svg(inline(svg)), note),
        Err(_) => (Chart::Empty("The chart could not be drawn."), note),
    }
}

/// One horizontal bar a row, the largest at the top; with `colours`, a legend of them.
pub(crate) fn bars(rows: &[(String, u64, RGBColor)], legend: &[(&str, RGBColor)], keep_end: bool) -> Chart {
    if rows.is_empty() {
        return Chart::Empty("No findings.");
    }
    let n = rows.len();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let height = 70 + 30 * n as u32;
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(360)
            .build_cartesian_2d(0..(max + max / 10 + 1), (0..n).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(1)
            .light_line_style(RGBColor(0xe8, 0xed, 0xee))
            .bold_line_style(RGBColor(0xd8, 0xdd, 0xe0))
            .axis_style(AXIS)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if *i < n => label(&rows[n - 1 - i].0, 52, keep_end),
                _ => String::new(),
            })
            .x_desc("findings")
            .label_style((FONT, 13).into_font().color(&AXIS))
            .axis_desc_style((FONT, 14).into_font().color(&AXIS))
            .draw()?;
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, value, colour))| {
            let y = n - 1 - i;
            let mut bar =
                Rectangle::new([(0, SegmentValue::Exact(y)), (*value, SegmentValue::Exact(y + 1))], colour.filled());
            bar.set_margin(5, 5, 0, 0);
            bar
        }))?;
        // Each bar's count just beyond its end.
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, value, _))| {
            EmptyElement::at((*value, SegmentValue::CenterOf(n - 1 - i)))
                + Text::new(value.to_string(), (6, -7), (FONT, 12).into_font().color(&AXIS))
        }))?;
        for (name, colour) in legend {
            let colour = *colour;
            chart
                .draw_series(std::iter::empty::<Rectangle<(u64, SegmentValue<usize>)>>())?
                .label(*name)
                .legend(swatch(colour));
        }
        if !legend.is_empty() {
            draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => Chart::Svg(inline(svg)),
        Err(_) => Chart::Empty("The chart could not be drawn."),
    }
}

/// Bars of the per-rule chart at most: a pack of hundreds of rules would draw a chart
/// taller than any screen; the rest share one bar.
const RULE_BARS: usize = 25;

/// Findings per rule, coloured by the worst severity each reported (the rules beyond
/// `RULE_BARS - 1` together in one grey bar).
pub(crate) fn per_rule(tally: &Tally) -> Chart {
    let mut rows: Vec<(String, u64, RGBColor)> = tally
        .by_rule
        .iter()
        .map(|(rule, t)| (rule.to_string(), t.findings() as u64, severity_colour(t.severity())))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if rows.len() > RULE_BARS {
        let rest = rows.split_off(RULE_BARS - 1);
        let findings = rest.iter().map(|r| r.1).sum();
        rows.push((format!("{} other rules", rest.len()), findings, PALETTE[PALETTE.len() - 1]));
    }
    let legend = [Severity::Error, Severity::Warning, Severity::Info].map(|s| (s.as_str(), severity_colour(s)));
    bars(&rows, &legend, false)
}

/// The ten keys with most findings, in one colour.
pub(crate) fn top_ten(top: &[(String, u64)], keep_end: bool) -> Chart {
    let rows: Vec<(String, u64, RGBColor)> = top.iter().map(|(k, n)| (k.clone(), *n, PALETTE[0])).collect();
    bars(&rows, &[], keep_end)
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
        let Chart::Svg(svg) = per_rule(&tally) else { panic!("a chart") };
        assert!(svg.contains("rule-00") && svg.contains("rule-23"), "the rules with most findings are named");
        assert!(!svg.contains("rule-24"), "the rest are not drawn one a bar");
        assert!(svg.contains("16 other rules"), "they are counted together");
        let height = 70 + 30 * RULE_BARS as u32;
        assert!(svg.contains(&format!("height=\"{height}\"")), "{}", &svg[..200]);
    }
}
