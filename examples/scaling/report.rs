//! What a run produces: the Go-style table, the ratio table and the CSV.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::harness::Stats;
use crate::workloads::Metric;

/// One structure at one thread count in one workload.
#[derive(Debug)]
pub struct Point {
    pub structure: &'static str,
    pub threads: usize,
    /// The repetitions' values in the workload's metric unit, in run order.
    pub samples: Vec<f64>,
    /// Why this structure does not run here, if it does not.
    pub unsupported: Option<&'static str>,
}

impl Point {
    pub fn stats(&self) -> Option<Stats> {
        Stats::of(&self.samples)
    }
}

/// A structure's identity in the legend.
#[derive(Debug)]
pub struct Structure {
    pub name: &'static str,
    pub full_name: &'static str,
    pub lazuli: bool,
}

/// Everything measured for one workload.
#[derive(Debug)]
pub struct WorkloadResult {
    pub group: &'static str,
    pub name: &'static str,
    pub about: &'static str,
    pub metric: Metric,
    pub file_stem: String,
    pub structures: Vec<Structure>,
    pub threads: Vec<usize>,
    pub points: Vec<Point>,
}

impl WorkloadResult {
    pub fn point(&self, structure: &str, threads: usize) -> Option<&Point> {
        self.points
            .iter()
            .find(|p| p.structure == structure && p.threads == threads)
    }

    pub fn lazuli(&self) -> Option<&Structure> {
        self.structures.iter().find(|s| s.lazuli)
    }
}

/// ns per operation for a throughput in Mops/s, or the latency itself.
fn ns_per_op(metric: Metric, value: f64) -> f64 {
    match metric {
        Metric::Throughput => 1e3 / value.max(1e-12),
        Metric::Latency => value,
    }
}

fn oversubscribed(threads: usize, cores: usize) -> bool {
    threads > cores
}

/// The table in the style of Go's `-cpu` output, one block per workload.
pub fn table(results: &[WorkloadResult], cores: usize) -> String {
    let mut out = String::new();
    for w in results {
        let width = w
            .structures
            .iter()
            .flat_map(|s| {
                w.threads
                    .iter()
                    .map(move |t| label(s.name, w.name, *t).len())
            })
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "{}/{}: {}", w.group, w.name, w.about);
        for s in &w.structures {
            for &t in &w.threads {
                let Some(p) = w.point(s.name, t) else {
                    continue;
                };
                let name = label(s.name, w.name, t);
                let _ = write!(out, "  {name:<width$}");
                match (p.unsupported, p.stats()) {
                    (Some(why), _) => {
                        let _ = write!(out, "  {:>12}  ({why})", "n/a");
                    }
                    (None, None) => {
                        let _ = write!(out, "  {:>12}", "no samples");
                    }
                    (None, Some(st)) => {
                        let _ = match w.metric {
                            Metric::Throughput => write!(
                                out,
                                "  {:>7.2} Mops/s  {:>8.1} ns/op   [{:.2} .. {:.2}] ±{:.1}%",
                                st.median,
                                ns_per_op(w.metric, st.median),
                                st.min,
                                st.max,
                                st.spread_percent()
                            ),
                            Metric::Latency => write!(
                                out,
                                "  {:>14}  {:>8.0} ns/op   [{:.0} .. {:.0}] ±{:.1}%",
                                "",
                                st.median,
                                st.min,
                                st.max,
                                st.spread_percent()
                            ),
                        };
                    }
                }
                if oversubscribed(t, cores) {
                    out.push_str("  (oversubscribed)");
                }
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out
}

fn label(structure: &str, workload: &str, threads: usize) -> String {
    format!("{structure}/{workload}-{threads}")
}

/// lazuli over each peer, median over median; above 1.00x lazuli is better
/// (for a latency the ratio is inverted so that this still holds).
pub fn ratios(results: &[WorkloadResult], cores: usize) -> String {
    let mut out = String::new();
    for w in results {
        let Some(ours) = w.lazuli() else {
            let _ = writeln!(
                out,
                "{}/{}: no lazuli structure in this build, no ratios\n",
                w.group, w.name
            );
            continue;
        };
        let what = match w.metric {
            Metric::Throughput => "throughput over each peer's",
            Metric::Latency => "speed-up (peer latency / ours)",
        };
        let _ = writeln!(
            out,
            "{}/{}: {} {what}; above 1.00x {} is better",
            w.group, w.name, ours.name, ours.name
        );
        let width = w.structures.iter().map(|s| s.name.len()).max().unwrap_or(4);
        let _ = write!(out, "  {:<width$}", "peer");
        for &t in &w.threads {
            let head = format!("x{t}{}", if oversubscribed(t, cores) { "*" } else { "" });
            let _ = write!(out, " {head:>8}");
        }
        out.push('\n');
        for peer in w.structures.iter().filter(|s| !s.lazuli) {
            let _ = write!(out, "  {:<width$}", peer.name);
            for &t in &w.threads {
                let median = |name| {
                    w.point(name, t)
                        .filter(|p| p.unsupported.is_none())
                        .and_then(Point::stats)
                        .map(|s| s.median)
                };
                let cell = match (median(ours.name), median(peer.name)) {
                    (Some(a), Some(b)) if a > 0.0 && b > 0.0 => {
                        let r = match w.metric {
                            Metric::Throughput => a / b,
                            Metric::Latency => b / a,
                        };
                        format!("{r:.2}x")
                    }
                    _ => "n/a".to_owned(),
                };
                let _ = write!(out, " {cell:>8}");
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if results.iter().any(|w| w.threads.iter().any(|&t| t > cores)) {
        let _ = writeln!(
            out,
            "* oversubscribed: more threads than the {cores} available cores"
        );
    }
    out
}

/// The legend: short names to full types, once per group.
pub fn legend(results: &[WorkloadResult]) -> String {
    let mut out = String::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for w in results {
        if !seen.iter().any(|(group, _)| *group == w.group) {
            let _ = writeln!(out, "  {}:", w.group);
        }
        for s in &w.structures {
            if seen.contains(&(w.group, s.name)) {
                continue;
            }
            seen.push((w.group, s.name));
            let mark = if s.lazuli { " (lazuli)" } else { "" };
            let _ = writeln!(out, "    {:<18} {}{mark}", s.name, s.full_name);
        }
    }
    out
}

pub const CSV_HEADER: &str = "group,workload,structure,type,lazuli,threads,oversubscribed,\
metric,unit,reps,median,min,q1,q3,max,ns_per_op,samples,note";

/// One line per structure and thread count, n/a points included (with a note).
pub fn csv(results: &[WorkloadResult], cores: usize) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for w in results {
        let (metric, unit) = match w.metric {
            Metric::Throughput => ("throughput", "Mops/s"),
            Metric::Latency => ("latency", "ns"),
        };
        for s in &w.structures {
            for &t in &w.threads {
                let Some(p) = w.point(s.name, t) else {
                    continue;
                };
                let mut fields: Vec<String> = vec![
                    w.group.into(),
                    w.name.into(),
                    s.name.into(),
                    s.full_name.into(),
                    s.lazuli.to_string(),
                    t.to_string(),
                    oversubscribed(t, cores).to_string(),
                    metric.into(),
                    unit.into(),
                    p.samples.len().to_string(),
                ];
                match p.stats().filter(|_| p.unsupported.is_none()) {
                    Some(st) => {
                        for v in [st.median, st.min, st.q1, st.q3, st.max] {
                            fields.push(format!("{v:.4}"));
                        }
                        fields.push(format!("{:.2}", ns_per_op(w.metric, st.median)));
                    }
                    None => fields.extend(std::iter::repeat_n(String::new(), 6)),
                }
                let samples: Vec<String> = p.samples.iter().map(|v| format!("{v:.4}")).collect();
                fields.push(samples.join(";"));
                fields.push(p.unsupported.unwrap_or("").into());
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
    }
    out
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

pub fn write_csv(results: &[WorkloadResult], cores: usize, path: &Path) -> io::Result<()> {
    std::fs::write(path, csv(results, cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<WorkloadResult> {
        let structures = vec![
            Structure {
                name: "Queue",
                full_name: "lazuli::Queue<u64>",
                lazuli: true,
            },
            Structure {
                name: "Peer",
                full_name: "peer, with a comma",
                lazuli: false,
            },
        ];
        let points = vec![
            Point {
                structure: "Queue",
                threads: 1,
                samples: vec![20.0, 22.0, 21.0],
                unsupported: None,
            },
            Point {
                structure: "Peer",
                threads: 1,
                samples: vec![10.0, 10.5, 9.5],
                unsupported: None,
            },
            Point {
                structure: "Queue",
                threads: 4,
                samples: vec![8.0],
                unsupported: None,
            },
            Point {
                structure: "Peer",
                threads: 4,
                samples: vec![],
                unsupported: Some("one receiver"),
            },
        ];
        vec![WorkloadResult {
            group: "queue",
            name: "pairs",
            about: "test",
            metric: Metric::Throughput,
            file_stem: "queue-pairs".into(),
            structures,
            threads: vec![1, 4],
            points,
        }]
    }

    #[test]
    fn table_is_go_style_and_marks_oversubscription() {
        let t = table(&sample(), 2);
        let first = t.lines().nth(1).unwrap();
        assert!(first.starts_with("  Queue/pairs-1"), "{first}");
        assert!(
            first.contains("21.00 Mops/s") && first.contains("47.6 ns/op"),
            "{first}"
        );
        assert!(
            t.contains("Queue/pairs-4") && t.contains("(oversubscribed)"),
            "{t}"
        );
        assert!(t.contains("n/a  (one receiver)"), "{t}");
    }

    #[test]
    fn ratios_divide_medians() {
        let r = ratios(&sample(), 2);
        let peer = r
            .lines()
            .find(|l| l.trim_start().starts_with("Peer"))
            .unwrap();
        assert!(peer.contains("2.10x") && peer.contains("n/a"), "{r}");
    }

    #[test]
    fn csv_has_one_line_per_point_and_quotes_commas() {
        let c = csv(&sample(), 2);
        assert_eq!(c.lines().count(), 5, "{c}");
        assert!(c.contains("\"peer, with a comma\""), "{c}");
        let cols = CSV_HEADER.split(',').count();
        assert!(c.lines().all(|l| l.matches(',').count() >= cols - 1), "{c}");
    }
}
