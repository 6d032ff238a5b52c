//! The workload registry: which structures run which workloads.
//!
//! A *group* is one lazuli structure and its peers (`queue`, `signal`, `list`,
//! `skiplist`; the names `--only` takes). A group is one file in this folder
//! with a `workloads()` function that returns its [`Workload`]s; each workload
//! holds one [`Subject`] per structure. Adding a group is: write the file,
//! `mod` it here, and turn its [`Status::Pending`] entry in [`registry`] into
//! [`Status::Ready`].

use crate::harness::Timing;

/// The naming methods of a [`Subject`] (`name`, `full_name`, `is_lazuli`)
/// for a struct that keeps them in fields `name`, `full_name` and `lazuli`.
/// Defined before the group modules so that they can use it.
macro_rules! subject_names_from_fields {
    () => {
        fn name(&self) -> &'static str {
            self.name
        }
        fn full_name(&self) -> &'static str {
            self.full_name
        }
        fn is_lazuli(&self) -> bool {
            self.lazuli
        }
    };
}

pub mod list;
pub mod maps;
pub mod queue;
pub mod queue_regimes;
pub mod sets;
pub mod signal;
pub mod skiplist;

/// What a workload's numbers mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Million operations per second over all threads; higher is better.
    Throughput,
    /// Nanoseconds per event (for example push-to-resume); lower is better.
    Latency,
}

/// One structure under one workload.
pub trait Subject {
    /// Short name used in the tables, e.g. `SegQueue`; the lazuli structure
    /// uses its own type name, e.g. `Queue`.
    fn name(&self) -> &'static str;
    /// Full type, for the legend, e.g. `crossbeam_queue::SegQueue<u64>`.
    fn full_name(&self) -> &'static str;
    /// Whether this is the lazuli structure (the numerator of the ratio table).
    fn is_lazuli(&self) -> bool {
        false
    }
    /// `Some(reason)` if this structure cannot run this workload at this thread
    /// count honestly (for example a single-receiver channel with two consumers).
    fn unsupported(&self, _threads: usize) -> Option<&'static str> {
        None
    }
    /// Runs one point and returns its value in the workload's [`Metric`] unit.
    fn measure(&mut self, threads: usize, timing: Timing) -> f64;
}

/// One workload: a name, what it does, and the structures that run it.
pub struct Workload {
    /// The group, e.g. `queue`.
    pub group: &'static str,
    /// The workload, e.g. `pairs`; the table rows read `Structure/name-threads`.
    pub name: &'static str,
    /// One or two lines printed above the workload's rows.
    pub about: &'static str,
    pub metric: Metric,
    /// `Some(n)`: the workload is defined at exactly `n` threads (for example
    /// wake latency: one producer, one consumer) and runs there whatever
    /// `--threads` says.
    pub fixed_threads: Option<usize>,
    pub subjects: Vec<Box<dyn Subject>>,
}

impl Workload {
    /// The thread counts this workload runs at.
    pub fn threads(&self, requested: &[usize]) -> Vec<usize> {
        match self.fixed_threads {
            Some(n) => vec![n],
            None => requested.to_vec(),
        }
    }

    /// Stem of the SVG file, e.g. `queue-pairs`.
    pub fn file_stem(&self) -> String {
        format!("{}-{}", self.group, self.name).replace(['/', ' '], "-")
    }
}

/// Whether a group can be measured in this build.
pub enum Status {
    Ready(fn() -> Vec<Workload>),
    /// The lazuli structure does not exist yet; the text says which and where.
    /// (Unused once every group is ready; kept for the next structure.)
    #[allow(dead_code)]
    Pending(&'static str),
}

pub struct Group {
    pub name: &'static str,
    pub status: Status,
}

/// Every group, in the order `cli::GROUPS` lists them.
pub fn registry() -> Vec<Group> {
    vec![
        Group {
            name: "queue",
            status: Status::Ready(queue::workloads),
        },
        Group {
            name: "signal",
            status: Status::Ready(signal::workloads),
        },
        Group {
            name: "list",
            status: Status::Ready(list::workloads),
        },
        Group {
            name: "skiplist",
            status: Status::Ready(skiplist::workloads),
        },
    ]
}
