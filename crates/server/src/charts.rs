//! Bar charts drawn as SVG on the server: no script, no external service.
//!
//! A chart has one series, so colour never carries meaning: each bar has its value written
//! above it (when there is room) and a `<title>`, a bar that may not be shown is drawn as a
//! hatched outline marked "–", and the page puts the same figures in a table next to it.

use std::fmt::Write as _;

/// One bar: its label, and its value when it may be shown.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The x-axis label (a date).
    pub label: String,
    /// The value, `None` when it is not shown (fewer than k people, or withheld).
    pub value: Option<u64>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 36.0;
const LEFT: f64 = 8.0;

/// An accessible SVG bar chart. `title` names the chart for assistive technology;
/// `hidden_label` is the tooltip of bars that are not shown.
#[must_use]
pub fn bar_chart(title: &str, bars: &[Bar], hidden_label: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    svg.push_str(
        r#"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="1.5"/></pattern></defs>"#,
    );
    let plot_height = HEIGHT - TOP - BOTTOM;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let count = bars.len().max(1);
    let slot = (WIDTH - 2.0 * LEFT) / count as f64;
    let bar_width = (slot * 0.7).max(1.0);
    let label_every = (count / 8).max(1);
    let base = TOP + plot_height;
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="currentColor" stroke-width="1"/>"#,
        WIDTH - LEFT
    );
    for (index, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * index as f64 + (slot - bar_width) / 2.0;
        let centre = x + bar_width / 2.0;
        match bar.value {
            Some(value) => {
                let height = plot_height * value as f64 / max as f64;
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bar_width:.1}" height="{height:.1}"><title>{}: {value}</title></rect>"#,
                    base - height,
                    escape(&bar.label)
                );
                if slot >= 18.0 {
                    let _ = write!(
                        svg,
                        r#"<text class="value" x="{centre:.1}" y="{:.1}" text-anchor="middle" font-size="11">{value}</text>"#,
                        base - height - 4.0
                    );
                }
            }
            None => {
                let height = plot_height * 0.12;
                let _ = write!(
                    svg,
                    r#"<rect class="bar-hidden" x="{x:.1}" y="{:.1}" width="{bar_width:.1}" height="{height:.1}" fill="url(#hatch)" stroke="currentColor" stroke-dasharray="2 2"><title>{}: {}</title></rect>"#,
                    base - height,
                    escape(&bar.label),
                    escape(hidden_label)
                );
                if slot >= 18.0 {
                    let _ = write!(
                        svg,
                        r#"<text class="value" x="{centre:.1}" y="{:.1}" text-anchor="middle" font-size="11">–</text>"#,
                        base - height - 4.0
                    );
                }
            }
        }
        if index % label_every == 0 {
            // The first and last labels hang inwards, so that they are never cut off.
            let (anchor, at) = if index == 0 {
                ("start", x)
            } else if index + label_every >= count {
                ("end", x + bar_width)
            } else {
                ("middle", centre)
            };
            let _ = write!(
                svg,
                r#"<text class="axis" x="{at:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11">{}</text>"#,
                base + 16.0,
                escape(axis_label(&bar.label))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The label under a bar: a date without its year (`2026-11-05` → `11-05`), which the bar's
/// title and the table give in full.
fn axis_label(label: &str) -> &str {
    let bytes = label.as_bytes();
    if bytes.len() > 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        &label[5..]
    } else {
        label
    }
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_values_and_hidden_bars_are_marked_not_drawn_as_zero() {
        let bars = [
            Bar {
                label: "2026-11-23".into(),
                value: Some(12),
            },
            Bar {
                label: "2026-11-30".into(),
                value: None,
            },
            Bar {
                label: "<script>".into(),
                value: Some(3),
            },
        ];
        let svg = bar_chart("Shares per week", &bars, "fewer than 5 people");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="Shares per week""#));
        assert!(svg.contains("<title>2026-11-23: 12</title>"));
        assert!(svg.contains(">12</text>"));
        assert!(svg.contains("<title>2026-11-30: fewer than 5 people</title>"));
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="bar-hidden""#).count(), 1);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_tallest_bar_fills_the_plot() {
        let bars = [
            Bar {
                label: "a".into(),
                value: Some(5),
            },
            Bar {
                label: "b".into(),
                value: Some(10),
            },
        ];
        let svg = bar_chart("t", &bars, "h");
        let plot = HEIGHT - TOP - BOTTOM;
        assert!(svg.contains(&format!(r#"height="{plot:.1}""#)));
        assert!(svg.contains(&format!(r#"height="{:.1}""#, plot / 2.0)));
    }
}
