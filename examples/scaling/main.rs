//! The scaling report: every lazuli structure against its peers at 1, 2, 4, 8...
//! threads, as a Go `-cpu`-style table, a ratio table, `scaling.csv` and one SVG
//! plot per workload.
//!
//! ```text
//! cargo run --release --example scaling                      # everything, ~minutes
//! cargo run --release --example scaling -- --quick           # under 2 minutes on 2 cores
//! cargo run --release --example scaling -- --only queue --threads 1,2,4,8 --reps 7
//! ```
//!
//! The method (fixed-duration runs, start barrier, per-thread counters,
//! interleaved repetitions, medians) is described in `harness.rs`; each
//! workload's definition is in the module doc of its file under `workloads/`.

mod cli;
mod harness;
mod plot;
mod report;
mod workloads;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use cli::{Options, Plan};
use harness::Timing;
use report::{Point, Structure, WorkloadResult};
use workloads::{Status, Workload};

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if options.help {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let plan = options.plan(cores);
    match run(&plan, cores) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(plan: &Plan, cores: usize) -> Result<(), String> {
    // Which groups run, and which are asked for but not built yet.
    let mut workloads: Vec<Workload> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for group in workloads::registry() {
        if !plan.groups.contains(&group.name) {
            continue;
        }
        match group.status {
            Status::Ready(make) => workloads.extend(make()),
            Status::Pending(why) => pending.push(format!("{}: {why}", group.name)),
        }
    }
    if workloads.is_empty() {
        return Err(format!(
            "nothing to measure: every group asked for is not built yet\n  {}",
            pending.join("\n  ")
        ));
    }

    let points: u64 = workloads
        .iter()
        .map(|w| {
            let per_rep: usize = w
                .threads(&plan.threads)
                .iter()
                .map(|&t| {
                    w.subjects
                        .iter()
                        .filter(|s| s.unsupported(t).is_none())
                        .count()
                })
                .sum();
            (per_rep * plan.reps) as u64
        })
        .sum();
    let duration = plan.duration.unwrap_or_else(|| quick_duration(points));
    let timing = Timing::new(duration);

    // Fail on an unusable output folder now, not after minutes of measuring.
    std::fs::create_dir_all(&plan.out)
        .map_err(|e| format!("cannot create {}: {e}", plan.out.display()))?;

    print_header(plan, cores, timing, points, &pending);

    let bar = ProgressBar::new(points).with_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} points, eta {eta}  {msg}",
        )
        .map_err(|e| e.to_string())?
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let results: Vec<WorkloadResult> = workloads
        .into_iter()
        .map(|w| measure_workload(w, plan, timing, &bar))
        .collect();
    bar.finish_and_clear();
    let elapsed = started.elapsed();

    println!("{}", report::table(&results, cores));
    println!("{}", report::ratios(&results, cores));
    println!("structures:\n{}", report::legend(&results));

    let csv = plan.out.join("scaling.csv");
    report::write_csv(&results, cores, &csv)
        .map_err(|e| format!("cannot write {}: {e}", csv.display()))?;
    println!("wrote {}", csv.display());
    for w in &results {
        let svg = plot::draw(w, cores, &plan.out)?;
        println!("wrote {}", svg.display());
    }
    println!("measured {points} points in {:.1} s", elapsed.as_secs_f64());
    Ok(())
}

/// Under `--quick`: the per-point duration that fits the measured time into
/// `cli::QUICK_BUDGET`, clamped to `cli::QUICK_DURATION_RANGE`.
fn quick_duration(points: u64) -> Duration {
    let (low, high) = cli::QUICK_DURATION_RANGE;
    // A point costs its duration plus a tenth of warm-up.
    let per_point = cli::QUICK_BUDGET.as_secs_f64() / points.max(1) as f64 / 1.1;
    Duration::from_secs_f64(per_point).clamp(low, high)
}

/// Runs every repetition of one workload, interleaved: rep 1 of every thread
/// count and structure, then rep 2, and so on. Within a rep the structures take
/// turns going first, so none always runs right after the same neighbour.
fn measure_workload(
    mut w: Workload,
    plan: &Plan,
    timing: Timing,
    bar: &ProgressBar,
) -> WorkloadResult {
    let structures: Vec<Structure> = w
        .subjects
        .iter()
        .map(|s| Structure {
            name: s.name(),
            full_name: s.full_name(),
            lazuli: s.is_lazuli(),
        })
        .collect();
    let threads = w.threads(&plan.threads);
    let mut points: Vec<Point> = Vec::new();
    for s in &w.subjects {
        for &t in &threads {
            points.push(Point {
                structure: s.name(),
                threads: t,
                samples: Vec::with_capacity(plan.reps),
                unsupported: s.unsupported(t),
            });
        }
    }
    let n = w.subjects.len();
    for rep in 0..plan.reps {
        for (ti, &t) in threads.iter().enumerate() {
            for k in 0..n {
                let si = (k + rep) % n;
                let subject = &mut w.subjects[si];
                if subject.unsupported(t).is_some() {
                    continue;
                }
                bar.set_message(format!(
                    "{}/{}-{t} {} (rep {}/{})",
                    w.group,
                    w.name,
                    subject.name(),
                    rep + 1,
                    plan.reps
                ));
                let value = subject.measure(t, timing);
                points[si * threads.len() + ti].samples.push(value);
                bar.inc(1);
            }
        }
    }
    WorkloadResult {
        group: w.group,
        name: w.name,
        about: w.about,
        metric: w.metric,
        file_stem: w.file_stem(),
        structures,
        threads,
        points,
    }
}

fn print_header(plan: &Plan, cores: usize, timing: Timing, points: u64, pending: &[String]) {
    println!(
        "machine: {cores} cores (available_parallelism), CPU: {}",
        cpu_model()
    );
    let over: Vec<String> = plan
        .threads
        .iter()
        .filter(|&&t| t > cores)
        .map(|t| format!("x{t}"))
        .collect();
    if !over.is_empty() {
        println!(
            "         thread counts above {cores} are oversubscribed ({}): threads share cores",
            over.join(", ")
        );
    }
    let threads: Vec<String> = plan.threads.iter().map(|t| t.to_string()).collect();
    println!(
        "method:  threads {}; {} interleaved reps of {} ms (+{} ms warm-up) per point; \
         medians, spread = [min .. max] and ±half-range",
        threads.join(","),
        plan.reps,
        timing.duration.as_millis(),
        timing.warmup.as_millis(),
    );
    let estimate = timing.total().as_secs_f64() * points as f64;
    println!("         {points} points, about {estimate:.0} s of measurement");
    for p in pending {
        println!("skipped: {p}");
    }
    println!();
}

/// The `model name` line of /proc/cpuinfo, where there is one.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/cpuinfo model name)".to_owned())
}
