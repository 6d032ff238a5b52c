//! One SVG per workload, drawn with plotters: throughput (or latency) against
//! thread count on a log2 axis, one line per structure through the medians,
//! with a vertical bar from min to max at each point and a dashed line at the
//! core count (right of it, threads are oversubscribed).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::WorkloadResult;
use crate::workloads::Metric;

const SIZE: (u32, u32) = (900, 560);

/// One colour per structure, in legend order; lazuli is drawn first, thicker.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x3a, 0x93), // lazuli blue
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Draws `DIR/<group>-<workload>.svg` and returns its path.
pub fn draw(w: &WorkloadResult, cores: usize, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(format!("{}.svg", w.file_stem));
    draw_to(w, cores, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn draw_to(
    w: &WorkloadResult,
    cores: usize,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;

    let measured = w.points.iter().filter(|p| p.unsupported.is_none());
    let y_max = measured
        .filter_map(|p| p.stats())
        .map(|s| s.max)
        .fold(0.0f64, f64::max);
    // Headroom above the highest bar keeps the legend (upper right) off the data.
    let y_max = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };
    let t_min = *w.threads.first().ok_or("no thread counts")? as f64;
    let t_max = *w.threads.last().ok_or("no thread counts")? as f64;
    // Half a doubling of margin on each side of the log2 axis.
    let x_range = (t_min / 1.4)..(t_max * 1.4);
    let key_points: Vec<f64> = w.threads.iter().map(|&t| t as f64).collect();

    let (y_desc, unit) = match w.metric {
        Metric::Throughput => ("throughput, Mops/s (median; bars: min..max)", "Mops/s"),
        Metric::Latency => ("latency, ns (median; bars: min..max)", "ns"),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}/{}: {unit} against threads", w.group, w.name),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            x_range.log_scale().base(2.0).with_key_points(key_points),
            0.0..y_max,
        )?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "threads ({cores} cores; right of the dashed line: oversubscribed)"
        ))
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&|x| format!("{}", x.round() as u64))
        .y_label_formatter(&|y| {
            if y.abs() >= 100.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.1}")
            }
        })
        .light_line_style(WHITE.mix(0.0))
        .draw()?;

    // The core count: beyond it threads share cores.
    if (t_min..=t_max).contains(&(cores as f64)) {
        let c = cores as f64;
        chart.draw_series(DashedLineSeries::new(
            [(c, 0.0), (c, y_max)],
            6,
            4,
            BLACK.mix(0.4).stroke_width(1),
        ))?;
    }

    let mut ordered: Vec<_> = w.structures.iter().collect();
    ordered.sort_by_key(|s| !s.lazuli);
    let lines = ordered.len();
    for (i, s) in ordered.into_iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // Spread the structures' bars a little sideways (a few percent of a
        // doubling) so that overlapping ranges stay readable.
        let dodge = 2f64.powf((i as f64 - (lines as f64 - 1.0) / 2.0) * 0.04);
        let stroke = if s.lazuli { 3 } else { 2 };
        let stats: Vec<(f64, crate::harness::Stats)> = w
            .threads
            .iter()
            .filter_map(|&t| {
                let p = w.point(s.name, t)?;
                if p.unsupported.is_some() {
                    return None;
                }
                Some((t as f64 * dodge, p.stats()?))
            })
            .collect();
        if stats.is_empty() {
            continue;
        }
        let name = if s.lazuli {
            format!("{} (lazuli)", s.name)
        } else {
            s.name.to_owned()
        };
        chart
            .draw_series(
                LineSeries::new(
                    stats.iter().map(|(t, st)| (*t, st.median)),
                    color.stroke_width(stroke),
                )
                .point_size(3),
            )?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3)));
        chart.draw_series(stats.iter().map(|(t, st)| {
            PathElement::new([(*t, st.min), (*t, st.max)], color.mix(0.5).stroke_width(2))
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 15))
        .draw()?;
    root.present()?;
    Ok(())
}
