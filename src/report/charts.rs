//! The report's charts, drawn with plotters' SVG backend into strings that the HTML embeds
//! inline. Labels that came from reports (target names) are escaped by the backend.

use plotters::prelude::*;

use super::data::{Coverage, Remediation};
use crate::findings::Severity;

/// Colours per severity, critical first.
const SEVERITY_COLOURS: [RGBColor; 5] = [
    RGBColor(0x9b, 0x1c, 0x1c),
    RGBColor(0xd9, 0x48, 0x0f),
    RGBColor(0xca, 0x8a, 0x04),
    RGBColor(0x25, 0x63, 0xeb),
    RGBColor(0x6b, 0x72, 0x80),
];

const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";

/// The charts of one report, as SVG documents.
#[derive(Debug, serde::Serialize)]
pub struct Charts {
    /// Open findings by severity at the end of each week.
    pub findings_by_week: String,
    /// Findings fixed in the period by time to fix, per severity.
    pub time_to_fix: String,
    /// Scans per target and month.
    pub coverage: String,
}

impl Charts {
    /// Draws every chart.
    ///
    /// # Errors
    ///
    /// A drawing error of the backend, as text.
    pub fn draw(remediation: &Remediation, coverage: &Coverage) -> Result<Charts, String> {
        Ok(Charts {
            findings_by_week: findings_by_week(remediation).map_err(|e| e.to_string())?,
            time_to_fix: time_to_fix(remediation).map_err(|e| e.to_string())?,
            coverage: coverage_grid(coverage).map_err(|e| e.to_string())?,
        })
    }
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

fn findings_by_week(remediation: &Remediation) -> DrawResult<String> {
    let weeks = &remediation.weekly;
    let top = weeks.iter().flat_map(|w| w.open).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..weeks.len().max(1), 0..top + top / 10 + 1)?;
        chart
            .configure_mesh()
            .x_labels(weeks.len().min(14))
            .x_label_formatter(&|i| {
                weeks.get(*i).map(|w| w.week_end.format("%m-%d").to_string()).unwrap_or_default()
            })
            .y_desc("open findings")
            .label_style((FONT, 11))
            .draw()?;
        for (index, severity) in Severity::ALL.iter().enumerate() {
            let colour = SEVERITY_COLOURS[index];
            let points = weeks.iter().enumerate().map(|(i, w)| (i, w.open[index]));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                .label(severity.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], colour));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 11))
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

fn time_to_fix(remediation: &Remediation) -> DrawResult<String> {
    const BUCKETS: [&str; 4] = ["0-7 days", "8-30 days", "31-90 days", "over 90 days"];
    let rows = &remediation.time_to_fix;
    let top = rows.iter().flat_map(|r| r.buckets).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let groups = BUCKETS.len() * (rows.len() + 1);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..groups, 0..top + top / 10 + 1)?;
        let per_group = rows.len() + 1;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups)
            .x_label_formatter(&|i| {
                if i % per_group == rows.len() / 2 {
                    BUCKETS[i / per_group].to_string()
                } else {
                    String::new()
                }
            })
            .y_desc("findings fixed")
            .label_style((FONT, 11))
            .draw()?;
        for (index, row) in rows.iter().enumerate() {
            let colour = SEVERITY_COLOURS[index];
            let bars = row.buckets.iter().enumerate().map(move |(bucket, count)| {
                let x = bucket * per_group + index;
                Rectangle::new([(x, 0), (x + 1, *count)], colour.filled())
            });
            chart.draw_series(bars)?.label(row.severity.as_str()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour.filled())
            });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 11))
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Most targets drawn in the coverage grid; the table lists them all.
const MAX_GRID_ROWS: usize = 40;

fn coverage_grid(coverage: &Coverage) -> DrawResult<String> {
    let targets: Vec<_> = coverage.targets.iter().take(MAX_GRID_ROWS).collect();
    let months = &coverage.months;
    let (label_width, cell_width, cell_height) = (260i32, 90i32, 22i32);
    let height = 40 + cell_height * targets.len().max(1) as i32;
    let width = label_width + cell_width * months.len().max(1) as i32 + 10;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        let text = (FONT, 12).into_font();
        for (column, month) in months.iter().enumerate() {
            let x = label_width + cell_width * column as i32 + 8;
            root.draw(&Text::new(month.clone(), (x, 10), text.clone()))?;
        }
        let top = targets.iter().flat_map(|t| t.per_month.iter().copied()).max().unwrap_or(1);
        for (row, target) in targets.iter().enumerate() {
            let y = 32 + cell_height * row as i32;
            let label = shorten(&format!("{} {}", target.project, target.target), 40);
            root.draw(&Text::new(label, (4, y + 4), text.clone()))?;
            for (column, count) in target.per_month.iter().enumerate() {
                let x = label_width + cell_width * column as i32;
                let shade = if *count == 0 {
                    RGBColor(0xfe, 0xe2, 0xe2)
                } else {
                    let strength = 0.35 + 0.65 * (*count as f64 / top.max(1) as f64);
                    RGBColor(0x16, 0x80, 0x3d).mix(strength).to_rgba().into_rgb()
                };
                let cell = [(x + 2, y), (x + cell_width - 2, y + cell_height - 4)];
                root.draw(&Rectangle::new(cell, shade.filled()))?;
                root.draw(&Text::new(
                    count.to_string(),
                    (x + cell_width / 2 - 4, y + 4),
                    text.clone(),
                ))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

trait IntoRgb {
    fn into_rgb(self) -> RGBColor;
}

impl IntoRgb for RGBAColor {
    /// Blends over white, so the SVG needs no opacity.
    fn into_rgb(self) -> RGBColor {
        let blend = |c: u8| (f64::from(c) * self.3 + 255.0 * (1.0 - self.3)).round() as u8;
        RGBColor(blend(self.0), blend(self.1), blend(self.2))
    }
}
