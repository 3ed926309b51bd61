//! The value types `State` is made of: the tab, the playback mode and its speeds, the clock the
//! frame loop reports, and the message log's filters. Plain data, no behaviour beyond labels.

use crate::sim::{Mechanism, NodeId, SimTime, StopReason};

/// The views a user can switch between in the main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Topology,
    Log,
    Timeline,
    Metrics,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Topology, Tab::Log, Tab::Timeline, Tab::Metrics];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Topology => "Topology",
            Tab::Log => "Message log",
            Tab::Timeline => "Timeline",
            Tab::Metrics => "Metrics",
        }
    }

    /// Stable identifier used in element ids and (later) the `view=` query parameter.
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Topology => "topology",
            Tab::Log => "log",
            Tab::Timeline => "timeline",
            Tab::Metrics => "metrics",
        }
    }
}

/// Playback speeds offered by the toolbar, as multiples of real time.
pub const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0];

/// Most trace records a run may hold in the page (about 170 MB); past this the run pauses for
/// good rather than exhaust the tab's memory.
pub const TRACE_LIMIT: u32 = 3_000_000;

/// What the frame loop is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Paused,
    /// Advancing in step with wall time × speed.
    Playing,
    /// Advancing as fast as frames allow, towards the end of the run (cancellable).
    RunToEnd,
    /// Advancing as fast as frames allow to simulated time `t` (a seek, the `t=` link option),
    /// then pausing, or playing if `then_play` (autoplay asked while it was on its way).
    /// Cancellable; never one long frame, however far `t` is.
    SeekTo {
        t: SimTime,
        then_play: bool,
    },
}

/// Where the run stands; the frame loop sends a fresh one after every frame that moved it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Which run this reading belongs to (stale readings of an old run are ignored).
    pub run_id: u32,
    /// The engine for this run exists (false until the app has built it).
    pub built: bool,
    pub now: SimTime,
    pub duration: SimTime,
    pub events: u64,
    pub records: u32,
    pub in_flight: u32,
    pub stop: Option<StopReason>,
}

impl Clock {
    /// Fraction of the duration simulated so far, in `[0, 1]`.
    pub fn progress(&self) -> f64 {
        self.progress_to(self.duration)
    }

    /// How far the run is on its way to `t` (0 to 1; 1 once there, or when `t` is zero).
    pub fn progress_to(&self, t: SimTime) -> f64 {
        if t.0 == 0 {
            1.0
        } else {
            (self.now.0 as f64 / t.0 as f64).clamp(0.0, 1.0)
        }
    }
}

impl Mode {
    /// How far a run to the end or a seek has come (`None` when neither is under way).
    pub fn busy_progress(self, clock: &Clock) -> Option<f64> {
        match self {
            Mode::RunToEnd => Some(clock.progress()),
            // A seek past the end stops at the end.
            Mode::SeekTo { t, .. } => Some(clock.progress_to(t.min(clock.duration))),
            Mode::Paused | Mode::Playing => None,
        }
    }
}

/// Which outcomes the message log shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutcomeFilter {
    #[default]
    All,
    Success,
    Failure,
    Dropped,
    Timeout,
    Retry,
    DeadLetter,
}

impl OutcomeFilter {
    pub const ALL: [OutcomeFilter; 7] = [
        OutcomeFilter::All,
        OutcomeFilter::Success,
        OutcomeFilter::Failure,
        OutcomeFilter::Dropped,
        OutcomeFilter::Timeout,
        OutcomeFilter::Retry,
        OutcomeFilter::DeadLetter,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OutcomeFilter::All => "All outcomes",
            OutcomeFilter::Success => "Success",
            OutcomeFilter::Failure => "Any failure",
            OutcomeFilter::Dropped => "Dropped",
            OutcomeFilter::Timeout => "Timeouts",
            OutcomeFilter::Retry => "Retries / redeliveries",
            OutcomeFilter::DeadLetter => "Dead letters",
        }
    }
}

/// The message log's filters. `node` is also set by clicking a node in the topology.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub node: Option<NodeId>,
    /// `node` stands for every replica of its replicated service.
    pub replicas: bool,
    pub mechanism: Option<Mechanism>,
    pub outcome: OutcomeFilter,
    pub text: String,
}

impl LogFilter {
    pub fn is_empty(&self) -> bool {
        *self == LogFilter::default()
    }
}
