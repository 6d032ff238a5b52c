//! Command-line options, parsed by hand with std only.
//!
//! Every malformed option ends in a [`CliError`] that `main` prints as one line
//! plus the usage text, with exit status 2. Nothing here panics on user input.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default measured time of one repetition of one measurement point.
pub const DEFAULT_DURATION: Duration = Duration::from_millis(500);
/// Default number of interleaved repetitions.
pub const DEFAULT_REPS: usize = 5;
/// Repetitions under `--quick` (the fewest that still give a median and a spread).
pub const QUICK_REPS: usize = 3;
/// Under `--quick`, the whole measured time (warm-up included) is planned to
/// fit in this budget; the per-point duration is derived from it.
pub const QUICK_BUDGET: Duration = Duration::from_secs(75);
/// Bounds on the per-point duration that `--quick` derives.
pub const QUICK_DURATION_RANGE: (Duration, Duration) =
    (Duration::from_millis(20), Duration::from_millis(100));
/// The thread counts are capped here: beyond it a typo (`--threads 10000`) is
/// far more likely than a real machine.
pub const MAX_THREADS: usize = 1024;

/// The structure groups `--only` accepts, in the order they run.
pub const GROUPS: [&str; 4] = ["queue", "signal", "list", "skiplist"];

pub const USAGE: &str = "\
usage: cargo run --release --example scaling -- [options]

options:
  --threads LIST   comma-separated thread counts, e.g. 1,2,4,8
                   (default: powers of two up to twice the available cores)
  --quick          a short run (about a minute, under two on 2 cores): 3 reps,
                   per-point duration fitted to a fixed budget
  --duration D     measured time per point and repetition: 500ms, 1s, 1.5s
                   (default 500ms; with --quick, derived from the budget)
  --reps N         interleaved repetitions per point (default 5; --quick: 3)
  --only LIST      comma-separated groups: queue, signal, list, skiplist
                   (may be repeated; default: all)
  --out DIR        where scaling.csv and the SVG plots go (default target/scaling)
  -h, --help       this text";

/// The options after parsing. `None` means "not given": the defaults depend on
/// the machine and on `--quick`, and are resolved by [`Options::plan`].
#[derive(Debug, Default)]
pub struct Options {
    pub threads: Option<Vec<usize>>,
    pub quick: bool,
    pub duration: Option<Duration>,
    pub reps: Option<usize>,
    pub only: Vec<&'static str>,
    pub out: Option<PathBuf>,
    pub help: bool,
}

/// A user error in the command line.
#[derive(Debug, PartialEq, Eq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, CliError> {
    Err(CliError(message.into()))
}

impl Options {
    /// Parses the arguments after the program name. Accepts `--opt value` and
    /// `--opt=value`.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, CliError> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value)),
                _ => (arg.clone(), None),
            };
            let inline = inline.map(str::to_owned);
            let mut value = |name: &str| -> Result<String, CliError> {
                match inline.clone().or_else(|| args.next()) {
                    Some(v) if !v.is_empty() => Ok(v),
                    _ => err(format!("{name} needs a value")),
                }
            };
            match flag.as_str() {
                "--threads" => options.threads = Some(parse_threads(&value("--threads")?)?),
                "--duration" => options.duration = Some(parse_duration(&value("--duration")?)?),
                "--reps" => options.reps = Some(parse_reps(&value("--reps")?)?),
                "--only" => {
                    for group in parse_only(&value("--only")?)? {
                        if !options.only.contains(&group) {
                            options.only.push(group);
                        }
                    }
                }
                "--out" => options.out = Some(PathBuf::from(value("--out")?)),
                "--quick" | "-h" | "--help" if inline.is_some() => {
                    return err(format!("{flag} takes no value"))
                }
                "--quick" => options.quick = true,
                "-h" | "--help" => options.help = true,
                // `cargo bench` passes `--bench` to every bench target; accept it so
                // the example also survives being run that way.
                "--bench" => {}
                other => return err(format!("unknown option `{other}`")),
            }
        }
        Ok(options)
    }
}

/// `1,2,4,8` -> `[1, 2, 4, 8]`: positive, at most [`MAX_THREADS`], deduplicated
/// and sorted.
pub fn parse_threads(text: &str) -> Result<Vec<usize>, CliError> {
    let mut counts = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let n: usize = match part.parse() {
            Ok(n) => n,
            Err(_) => {
                return err(format!(
                    "--threads: `{part}` is not a thread count (expected positive integers, e.g. 1,2,4,8)"
                ))
            }
        };
        if n == 0 {
            return err("--threads: 0 is not a thread count (each count must be at least 1)");
        }
        if n > MAX_THREADS {
            return err(format!("--threads: {n} is more than {MAX_THREADS} threads"));
        }
        counts.push(n);
    }
    counts.sort_unstable();
    counts.dedup();
    Ok(counts)
}

/// `250ms`, `1s`, `1.5s`. A bare number is refused: the unit must be explicit.
pub fn parse_duration(text: &str) -> Result<Duration, CliError> {
    let bad = || {
        err(format!(
            "--duration: `{text}` is not a duration (expected e.g. 250ms, 1s or 1.5s)"
        ))
    };
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        return bad();
    };
    let seconds = match number.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => x * scale,
        _ => return bad(),
    };
    if !(0.001..=3600.0).contains(&seconds) {
        return err(format!(
            "--duration: `{text}` is out of range (1ms to 1 hour)"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub fn parse_reps(text: &str) -> Result<usize, CliError> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => err(format!(
            "--reps: `{text}` is not a repetition count (expected an integer from 1 to 1000)"
        )),
    }
}

pub fn parse_only(text: &str) -> Result<Vec<&'static str>, CliError> {
    text.split(',')
        .map(|name| {
            let name = name.trim();
            match GROUPS.iter().find(|g| **g == name) {
                Some(group) => Ok(*group),
                None => err(format!(
                    "--only: unknown group `{name}` (expected one of {})",
                    GROUPS.join(", ")
                )),
            }
        })
        .collect()
}

/// The defaults resolved against the machine.
#[derive(Debug)]
pub struct Plan {
    pub threads: Vec<usize>,
    /// `None`: derive from [`QUICK_BUDGET`] once the number of points is known.
    pub duration: Option<Duration>,
    pub reps: usize,
    pub groups: Vec<&'static str>,
    pub out: PathBuf,
}

impl Options {
    pub fn plan(&self, cores: usize) -> Plan {
        let threads = self
            .threads
            .clone()
            .unwrap_or_else(|| default_threads(cores));
        let duration = match (self.duration, self.quick) {
            (Some(d), _) => Some(d),
            (None, true) => None,
            (None, false) => Some(DEFAULT_DURATION),
        };
        let reps = self
            .reps
            .unwrap_or(if self.quick { QUICK_REPS } else { DEFAULT_REPS });
        let groups = if self.only.is_empty() {
            GROUPS.to_vec()
        } else {
            // Keep the canonical order whatever order `--only` listed them in.
            GROUPS
                .iter()
                .copied()
                .filter(|g| self.only.contains(g))
                .collect()
        };
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("target").join("scaling"));
        Plan {
            threads,
            duration,
            reps,
            groups,
            out,
        }
    }
}

/// Powers of two up to twice the core count: 1, 2, 4 on 2 cores; 1 .. 128 on 64.
pub fn default_threads(cores: usize) -> Vec<usize> {
    let limit = cores.max(1) * 2;
    std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|n| *n <= limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, CliError> {
        Options::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn threads_are_validated() {
        assert_eq!(parse_threads("8,1,2,2").unwrap(), vec![1, 2, 8]);
        assert!(parse_threads("0").unwrap_err().0.contains("0 is not"));
        assert!(parse_threads("abc").unwrap_err().0.contains("`abc`"));
        assert!(parse_threads("1,,2").is_err());
        assert!(parse_threads("-1").is_err());
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("NaNs").is_err());
    }

    #[test]
    fn options_accept_both_spellings_and_reject_unknowns() {
        let o = parse(&["--threads=1,2", "--only", "queue,list", "--quick"]).unwrap();
        assert_eq!(o.threads, Some(vec![1, 2]));
        assert_eq!(o.only, vec!["queue", "list"]);
        assert!(o.quick);
        assert!(parse(&["--only", "heap"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--reps"]).is_err());
        assert!(parse(&["--quick=1"]).is_err());
    }

    #[test]
    fn default_threads_double_the_cores() {
        assert_eq!(default_threads(2), vec![1, 2, 4]);
        assert_eq!(default_threads(3), vec![1, 2, 4]);
        assert_eq!(default_threads(1), vec![1, 2]);
    }
}
