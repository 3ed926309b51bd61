//! Playground UI state: a plain `State` changed only through the closed `Action` enum (Yew reducer).
//!
//! The reducer is pure: it compiles scenario text (a pure function of the text) but never touches
//! the running `Sim`, timers, storage or the DOM. The `Sim` lives outside (see `run.rs`); the
//! frame loop advances it and reports back with the small `Action::Advanced(Clock)`.

use std::rc::Rc;
use yew::Reducible;

use crate::scenario::link::{self, LinkError};
use crate::scenario::{self, gallery, Compiled, Diagnostic};
use crate::sim::{Mechanism, NodeId, RecordId, SimTime, StopReason};

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

/// A successfully compiled scenario: what the current run runs.
#[derive(Debug)]
pub struct Applied {
    /// Equal to the `run_id` it was applied with; two `Applied` are equal when their versions are.
    pub version: u32,
    pub text: Rc<str>,
    pub compiled: Compiled,
}

impl PartialEq for Applied {
    fn eq(&self, other: &Applied) -> bool {
        self.version == other.version
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
    pub mechanism: Option<Mechanism>,
    pub outcome: OutcomeFilter,
    pub text: String,
}

impl LogFilter {
    pub fn is_empty(&self) -> bool {
        *self == LogFilter::default()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub tab: Tab,
    /// Text in the editor, applied or not.
    pub draft: Rc<str>,
    /// The last text that compiled; what the current run runs.
    pub applied: Option<Rc<Applied>>,
    /// Problems found the last time the draft was checked (empty when it compiled).
    pub diagnostics: Rc<Vec<Diagnostic>>,
    /// The text those diagnostics are about (the draft may have moved on since).
    pub checked: Rc<str>,
    /// The gallery entry the draft is (unchanged), if any.
    pub example: Option<&'static str>,
    pub seed: u64,
    pub speed: f64,
    pub mode: Mode,
    /// Bumped whenever a new run must be built (Apply, Reset, new seed, gallery pick).
    pub run_id: u32,
    pub clock: Clock,
    /// Selected trace record, shared by the log, the timeline and the detail panel.
    pub selected: Option<RecordId>,
    pub filter: LogFilter,
    /// Why the link the page was opened with could not be loaded (a dismissible banner).
    pub link_error: Option<Rc<str>>,
    /// The editor shows text that came from a share link and the user has not adopted it yet:
    /// autosave stays off, so opening someone's link never overwrites one's own saved draft.
    /// Any edit, Apply or load clears it (from then on the text is the user's and autosaves).
    pub hold_autosave: bool,
    /// The page URL still holds a link that could not be loaded; leave it alone (so a reload
    /// shows the same banner and text) until the user applies or loads something.
    pub hold_url: bool,
    /// Where the page is in its boot sequence (see `Phase`).
    pub phase: Phase,
    /// Bumped each time the editor's text is replaced wholesale (a gallery pick, a restore, a
    /// link) rather than edited: the history keeps the text before as an entry of its own.
    pub replaced: u32,
}

/// The page's boot sequence. The release build comes in two wasm halves, the second fetched
/// after the first paint; until it is in, the page shows its text and runs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The text is shown before the code that compiles and runs it has arrived: nothing is
    /// applied yet, and `Action::Boot` brings the state the page would have opened with.
    /// `edited`: the user edited the text meanwhile, so `Boot` keeps it whatever the page
    /// opened with.
    Booting { edited: bool },
    /// The whole app is in, or a text was applied while booting: a run from here on.
    Running,
}

/// Every change to the UI state. Closed: a new kind of change is a new variant, handled everywhere.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SelectTab(Tab),
    EditDraft(String),
    /// Compile the draft; on success it becomes the run (reset), otherwise show diagnostics.
    Apply,
    /// Replace the draft with the canonical formatting of it (when it parses).
    Format,
    /// Load a gallery entry by id and run it.
    LoadExample(&'static str),
    /// Load text (e.g. the user's saved custom scenario) and apply it.
    LoadText(String),
    SetSpeed(f64),
    SetSeed(u64),
    TogglePlay,
    /// Start playing (nothing when already playing or when the run cannot go on).
    Play,
    /// Open a share-link fragment in an open page (the host page's `load`), as `State::open`
    /// does at page load: a good link runs, a bad one shows its reason in the banner.
    OpenLink(String),
    Pause,
    RunToEnd,
    /// Move forward to simulated time `t` over as many frames as it takes, then pause.
    SeekTo(SimTime),
    Reset,
    /// The frame loop (or a step) moved the run.
    Advanced(Clock),
    Select(Option<RecordId>),
    SetFilter(LogFilter),
    /// Filter the log to one node (topology click), or clear that part of the filter.
    FilterNode(Option<NodeId>),
    /// Close the bad-link banner.
    DismissLinkError,
    /// The rest of the app has arrived: take this opening state (see `State::booting`), keeping
    /// the tab. Ignored once anything was applied.
    Boot(Box<State>),
}

impl State {
    /// The state the app opens with: the saved draft if there is one (and it compiles, it runs),
    /// otherwise the default gallery scenario.
    pub fn new(saved: Option<String>) -> Self {
        let default = gallery::default_example();
        let mut state = State::unapplied(Rc::from(default.text));
        // The default scenario always runs first, so there is a last good run whatever was saved.
        state.apply_text(Rc::from(default.text), Some(default.seed));
        if let Some(text) = saved.filter(|t| !t.trim().is_empty() && t.as_str() != default.text) {
            let text: Rc<str> = Rc::from(text);
            state.example = example_of(&text);
            state.draft = text.clone();
            state.apply_text(text, None);
        }
        state
    }

    /// What the page shows before it can compile: the saved draft (or the default scenario) in
    /// the editor, nothing applied, nothing parsed. Edits are kept and autosaved; `Boot` (or any
    /// Apply) ends it.
    pub fn booting(saved: Option<String>) -> Self {
        let draft: Rc<str> = match saved.filter(|t| !t.trim().is_empty()) {
            Some(text) => Rc::from(text),
            None => Rc::from(gallery::default_example().text),
        };
        State {
            phase: Phase::Booting { edited: false },
            ..State::unapplied(draft)
        }
    }

    /// `draft` in the editor and nothing applied yet, with the default scenario's seed.
    fn unapplied(draft: Rc<str>) -> Self {
        State {
            tab: Tab::Topology,
            example: example_of(&draft),
            draft,
            applied: None,
            diagnostics: Rc::new(Vec::new()),
            checked: Rc::from(""),
            seed: gallery::default_example().seed,
            speed: 1.0,
            mode: Mode::Paused,
            run_id: 0,
            clock: Clock::default(),
            selected: None,
            filter: LogFilter::default(),
            link_error: None,
            hold_autosave: false,
            hold_url: false,
            phase: Phase::Running,
            replaced: 0,
        }
    }

    /// The state for a page opened with URL fragment `fragment` (without `#`) and autosaved
    /// text `saved`. A fragment with a scenario (`s=1.…`) wins over the autosave for what is
    /// shown and run (its seed is in its text, so the run is the link's run), but autosave is
    /// held until the user edits or applies (see `hold_autosave`). A link that cannot be decoded
    /// shows its reason in a banner and opens on the autosave (or the default scenario); a link
    /// whose text does not compile puts that text in the editor with its diagnostics, and the
    /// default scenario runs.
    pub fn open(fragment: Option<&str>, saved: Option<String>) -> Self {
        let fragment = fragment.unwrap_or("");
        let mut state = State::new(saved);
        if fragment.split('&').any(|p| p.trim().starts_with("s=")) {
            state.open_link(fragment);
        }
        state
    }

    /// Open share-link fragment `fragment` over the current state: its scenario runs with its
    /// seed, paused, and autosave is held (someone's link must not replace one's own draft).
    /// A link that cannot be decoded leaves the run as it was and shows its reason; one whose
    /// text does not compile puts that text in the editor with its diagnostics.
    fn open_link(&mut self, fragment: &str) {
        self.mode = Mode::Paused;
        let (text, error) = match link::decode(fragment) {
            Ok((text, _)) => (Some(text), None),
            Err(e) => {
                let reason: Rc<str> = Rc::from(e.to_string());
                match e {
                    LinkError::Invalid { text, .. } => (Some(text), Some(reason)),
                    _ => (None, Some(reason)),
                }
            }
        };
        self.hold_url = error.is_some();
        self.link_error = error;
        if let Some(text) = text {
            let text: Rc<str> = Rc::from(text);
            self.example = example_of(&text);
            self.draft = text.clone();
            self.replaced += 1;
            self.hold_autosave = true;
            let before = self.run_id;
            self.apply_text(text, None);
            // The link's run is the one its text describes, whatever seed the toolbar had.
            if self.run_id != before {
                if let Some(a) = &self.applied {
                    self.seed = a.compiled.seed;
                }
            }
        }
    }

    /// The URL fragment (without `#`) that reproduces the current run: the applied text, or,
    /// when the toolbar's seed differs from the one written in it, the canonical text of the
    /// scenario with that seed. `None` when nothing is applied.
    pub fn link_fragment(&self) -> Option<String> {
        let applied = self.applied.as_ref()?;
        if applied.compiled.seed == self.seed {
            Some(link::encode_text(&applied.text))
        } else {
            let mut scenario = applied.compiled.scenario.clone();
            scenario.seed = self.seed;
            Some(link::encode(&scenario))
        }
    }

    /// Compile `text`: on success it becomes the applied scenario and a new run is due; on failure
    /// only the diagnostics change (the last good run stays). `seed` overrides the seed choice.
    fn apply_text(&mut self, text: Rc<str>, seed: Option<u64>) {
        self.checked = text.clone();
        match scenario::compile(&text) {
            Ok(compiled) => {
                // A run from here on: a `Boot` arriving later has nothing to add. (A text that
                // does not compile leaves booting on, so `Boot` still brings a run.)
                self.phase = Phase::Running;
                // A seed written in the text wins when it changed (or on first load); otherwise
                // the toolbar's seed stays, so "new seed" survives small edits.
                let written_changed = self
                    .applied
                    .as_ref()
                    .is_none_or(|a| a.compiled.seed != compiled.seed);
                self.seed = seed.unwrap_or(if written_changed {
                    compiled.seed
                } else {
                    self.seed
                });
                self.run_id += 1;
                self.applied = Some(Rc::new(Applied {
                    version: self.run_id,
                    text,
                    compiled,
                }));
                self.diagnostics = Rc::new(Vec::new());
                self.new_run();
            }
            Err(diagnostics) => self.diagnostics = Rc::new(diagnostics),
        }
    }

    /// Forget everything about the previous run (the frame loop builds the new one).
    fn new_run(&mut self) {
        self.clock = Clock {
            run_id: self.run_id,
            duration: self
                .applied
                .as_ref()
                .map_or(SimTime::ZERO, |a| a.compiled.world.run.duration),
            ..Clock::default()
        };
        self.selected = None;
        self.filter.node = None;
        if matches!(self.mode, Mode::RunToEnd | Mode::SeekTo { .. }) {
            self.mode = Mode::Paused;
        }
    }

    /// Whether the page is still booting (`Phase::Booting`).
    pub fn is_booting(&self) -> bool {
        matches!(self.phase, Phase::Booting { .. })
    }

    /// Whether the run can move forward (there is one, and it has not stopped).
    pub fn can_advance(&self) -> bool {
        self.applied.is_some() && self.clock.stop.is_none() && self.clock.records < TRACE_LIMIT
    }

    /// Whether the draft differs from the text the current run runs.
    pub fn draft_is_dirty(&self) -> bool {
        self.applied.as_ref().is_none_or(|a| a.text != self.draft)
    }
}

/// The gallery entry whose text is exactly `text`.
pub fn example_of(text: &str) -> Option<&'static str> {
    gallery::GALLERY
        .iter()
        .find(|e| e.text == text)
        .map(|e| e.id)
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Returning the same Rc when nothing changed lets Yew skip the re-render.
        // While booting there is no run to reset or reseed; `Boot` brings the run.
        if self.is_booting() && matches!(action, Action::SetSeed(_) | Action::Reset) {
            return self;
        }
        let mut next = (*self).clone();
        if matches!(
            action,
            Action::EditDraft(_)
                | Action::Apply
                | Action::Format
                | Action::LoadExample(_)
                | Action::LoadText(_)
                | Action::SetSeed(_)
        ) {
            next.hold_autosave = false;
            next.hold_url = false;
        }
        match action {
            Action::SelectTab(tab) => next.tab = tab,
            Action::EditDraft(draft) => {
                if *draft == *self.draft {
                    return self;
                }
                next.example = example_of(&draft);
                next.draft = Rc::from(draft);
                if let Phase::Booting { edited } = &mut next.phase {
                    *edited = true;
                }
            }
            Action::Apply => {
                let text = next.draft.clone();
                next.apply_text(text, None);
            }
            Action::Format => match scenario::parse(&self.draft) {
                Ok(model) => {
                    let text = scenario::format(&model);
                    next.example = example_of(&text);
                    next.draft = Rc::from(text);
                    next.diagnostics = Rc::new(Vec::new());
                    next.checked = next.draft.clone();
                }
                Err(diagnostics) => {
                    next.diagnostics = Rc::new(diagnostics);
                    next.checked = next.draft.clone();
                }
            },
            Action::LoadExample(id) => {
                let Some(example) = gallery::find(id) else {
                    return self;
                };
                next.draft = Rc::from(example.text);
                next.example = Some(example.id);
                next.replaced += 1;
                next.apply_text(Rc::from(example.text), Some(example.seed));
            }
            Action::LoadText(text) => {
                let text: Rc<str> = Rc::from(text);
                next.example = example_of(&text);
                next.draft = text.clone();
                next.replaced += 1;
                next.apply_text(text, None);
            }
            Action::SetSpeed(speed) => {
                if !(speed.is_finite() && speed > 0.0) {
                    return self;
                }
                next.speed = speed;
            }
            Action::SetSeed(seed) => {
                next.seed = seed;
                next.run_id += 1;
                next.new_run();
            }
            Action::TogglePlay => {
                next.mode = match self.mode {
                    Mode::Paused if self.can_advance() => Mode::Playing,
                    Mode::Paused => return self,
                    // On its way to a time: Play asks to play once there; again, to stay
                    // paused there (Cancel stops the seek itself).
                    Mode::SeekTo { t, then_play } => Mode::SeekTo {
                        t,
                        then_play: !then_play,
                    },
                    Mode::Playing | Mode::RunToEnd => Mode::Paused,
                };
            }
            Action::Play => {
                if self.mode == Mode::Playing || !self.can_advance() {
                    return self;
                }
                next.mode = match self.mode {
                    // On its way to a start time: play once there.
                    Mode::SeekTo { t, .. } => Mode::SeekTo { t, then_play: true },
                    _ => Mode::Playing,
                };
            }
            Action::OpenLink(fragment) => next.open_link(&fragment),
            Action::Pause => next.mode = Mode::Paused,
            Action::RunToEnd => {
                if !self.can_advance() {
                    return self;
                }
                next.mode = Mode::RunToEnd;
            }
            Action::SeekTo(t) => {
                // `t == now` still runs once: events due at `t` that a step left waiting are
                // processed, so a time always means the same event count.
                if !self.can_advance() || t < self.clock.now {
                    return self;
                }
                next.mode = Mode::SeekTo {
                    t,
                    then_play: false,
                };
            }
            Action::Reset => {
                next.run_id += 1;
                next.mode = Mode::Paused;
                next.new_run();
            }
            Action::Advanced(clock) => {
                if clock.run_id != self.run_id {
                    return self;
                }
                next.clock = clock;
                if let Mode::SeekTo { t, then_play } = self.mode {
                    if clock.now >= t {
                        next.mode = if then_play {
                            Mode::Playing
                        } else {
                            Mode::Paused
                        };
                    }
                }
                if clock.stop.is_some() || clock.records >= TRACE_LIMIT {
                    next.mode = Mode::Paused;
                }
            }
            Action::Select(selected) => next.selected = selected,
            Action::SetFilter(filter) => next.filter = filter,
            Action::FilterNode(node) => next.filter.node = node,
            Action::DismissLinkError => next.link_error = None,
            Action::Boot(opened) => {
                let Phase::Booting { edited } = self.phase else {
                    return self;
                };
                // What happened while booting stays: the tab and the speed; a link the host page
                // opened meanwhile (its text, banner and held autosave); the user's edits. Else
                // the opening state's text wins where it differs only because it is someone
                // else's link; otherwise the booting text (storage may have missed an edit).
                let from_link = self.hold_autosave || self.link_error.is_some();
                let keep_text =
                    from_link || edited || (!opened.hold_autosave && opened.draft != self.draft);
                next = *opened;
                next.tab = self.tab;
                next.speed = self.speed;
                if keep_text {
                    next.example = example_of(&self.draft);
                    next.draft = self.draft.clone();
                    next.diagnostics = self.diagnostics.clone();
                    next.checked = self.checked.clone();
                    next.hold_autosave = self.hold_autosave;
                }
                if from_link {
                    next.hold_url = self.hold_url;
                    next.link_error = self.link_error.clone();
                }
                next.replaced = self.replaced + u32::from(next.draft != self.draft);
            }
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: Rc<State>, action: Action) -> Rc<State> {
        state.reduce(action)
    }

    #[test]
    fn opens_on_the_default_gallery_scenario() {
        let s = State::new(None);
        let default = gallery::default_example();
        assert_eq!(&*s.draft, default.text);
        assert_eq!(s.example, Some(default.id));
        assert!(s.applied.is_some());
        assert_eq!(s.seed, default.seed);
        assert!(s.diagnostics.is_empty());
        assert_eq!(s.mode, Mode::Paused);
    }

    #[test]
    fn booting_shows_the_text_and_runs_nothing_until_boot() {
        let default = gallery::default_example();
        let s = State::booting(None);
        assert!(s.is_booting() && s.applied.is_none() && !s.can_advance());
        assert_eq!(&*s.draft, default.text);
        assert_eq!(s.example, Some(default.id));
        let s = State::booting(Some("scenario \"mine\"\n".into()));
        assert_eq!(&*s.draft, "scenario \"mine\"\n");
        assert_eq!(s.example, None);

        // Edits while booting are kept (the autosave holds them for the opening state); the
        // tab picked meanwhile survives Boot, and Boot brings a run.
        let s = reduce(
            Rc::new(State::booting(None)),
            Action::EditDraft("edited".into()),
        );
        assert!(s.is_booting() && &*s.draft == "edited");
        let s = reduce(s, Action::SelectTab(Tab::Metrics));
        let opened = State::open(None, Some("edited".into()));
        let s = reduce(s, Action::Boot(Box::new(opened)));
        assert!(!s.is_booting() && s.applied.is_some() && s.can_advance());
        assert_eq!(s.tab, Tab::Metrics);
        assert_eq!(&*s.draft, "edited");
    }

    #[test]
    fn replacing_the_text_wholesale_is_counted_and_editing_is_not() {
        let link = link::encode_text("scenario \"theirs\" seed 2\nservice t\n");
        let s = Rc::new(State::open(
            None,
            Some("scenario \"mine\"\nservice m\n".into()),
        ));
        let n = s.replaced;
        let s = reduce(
            s,
            Action::EditDraft("scenario \"mine\"\nservice m2\n".into()),
        );
        let s = reduce(s, Action::Format);
        let s = reduce(s, Action::Apply);
        assert_eq!(
            s.replaced, n,
            "edits, Format and Apply keep the draft's slot"
        );
        let s = reduce(s, Action::LoadExample(gallery::default_example().id));
        assert_eq!(s.replaced, n + 1);
        let s = reduce(s, Action::LoadText("scenario \"old\"\n".into()));
        assert_eq!(s.replaced, n + 2);
        let s = reduce(s, Action::OpenLink(link.clone()));
        assert_eq!(s.replaced, n + 3);
        // Boot: a new slot only when the text shown changes.
        let booting = Rc::new(State::booting(Some("mine".into())));
        let same = reduce(
            booting.clone(),
            Action::Boot(Box::new(State::open(None, Some("mine".into())))),
        );
        assert_eq!(same.replaced, booting.replaced);
        let linked = reduce(
            booting.clone(),
            Action::Boot(Box::new(State::open(Some(&link), Some("mine".into())))),
        );
        assert_eq!(&*linked.draft, "scenario \"theirs\" seed 2\nservice t\n");
        assert_eq!(linked.replaced, booting.replaced + 1);
    }

    #[test]
    fn booting_keeps_what_the_user_did_through_boot() {
        // No run to reset or reseed while booting.
        let s = Rc::new(State::booting(None));
        assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::Reset)));
        assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::SetSeed(9))));
        // Speed and text survive a Boot built from storage that missed the edit.
        let s = reduce(s, Action::SetSpeed(4.0));
        let s = reduce(s, Action::EditDraft("typed while loading".into()));
        let s = reduce(s, Action::Boot(Box::new(State::open(None, None))));
        assert!(!s.is_booting() && s.applied.is_some());
        assert_eq!(s.speed, 4.0);
        assert_eq!(&*s.draft, "typed while loading");
        assert!(s.draft_is_dirty());
        // Someone else's link shows its own text (nothing was typed meanwhile).
        let e = &gallery::GALLERY[1];
        let s = reduce(
            Rc::new(State::booting(None)),
            Action::Boot(Box::new(State::open(
                Some(&link::encode_text(e.text)),
                None,
            ))),
        );
        assert_eq!(&*s.draft, e.text);
    }

    #[test]
    fn a_link_opened_while_booting_survives_boot() {
        // The host page opens a link that does not decode while the page boots: its banner and
        // the held URL survive Boot.
        let s = reduce(
            Rc::new(State::booting(None)),
            Action::OpenLink("s=1.%%%".into()),
        );
        assert!(s.is_booting() && s.link_error.is_some());
        let s = reduce(s, Action::Boot(Box::new(State::open(None, None))));
        assert!(!s.is_booting() && s.link_error.is_some() && s.hold_url);
        // A link whose text does not compile: its text stays, autosave held (the user's own
        // saved draft is not overwritten).
        let broken = link::encode_text("scenario \"theirs\"\nservice");
        let s = reduce(Rc::new(State::booting(None)), Action::OpenLink(broken));
        assert!(s.is_booting() && s.hold_autosave);
        let s = reduce(
            s,
            Action::Boot(Box::new(State::open(None, Some("mine".into())))),
        );
        assert!(!s.is_booting() && s.hold_autosave);
        assert_eq!(&*s.draft, "scenario \"theirs\"\nservice");
        // Edits made while someone else's link was loading are the user's and stay.
        let e = &gallery::GALLERY[1];
        let s = reduce(
            Rc::new(State::booting(None)),
            Action::EditDraft("typed".into()),
        );
        let s = reduce(
            s,
            Action::Boot(Box::new(State::open(
                Some(&link::encode_text(e.text)),
                None,
            ))),
        );
        assert_eq!(&*s.draft, "typed");
        assert!(!s.hold_autosave);
    }

    #[test]
    fn a_broken_apply_while_booting_still_gets_a_run_from_boot() {
        let s = reduce(
            Rc::new(State::booting(None)),
            Action::EditDraft("scenario \"x\"\nservice".into()),
        );
        let s = reduce(s, Action::Apply);
        assert!(s.is_booting() && s.applied.is_none() && !s.diagnostics.is_empty());
        let s = reduce(
            s,
            Action::Boot(Box::new(State::open(
                None,
                Some("scenario \"x\"\nservice".into()),
            ))),
        );
        assert!(
            !s.is_booting() && s.applied.is_some(),
            "the default scenario runs"
        );
        assert!(
            !s.diagnostics.is_empty(),
            "the broken draft keeps its diagnostics"
        );
    }

    #[test]
    fn boot_is_ignored_once_something_was_applied() {
        let s = reduce(Rc::new(State::booting(None)), Action::Apply);
        assert!(!s.is_booting() && s.applied.is_some());
        let run_id = s.run_id;
        let s = reduce(s, Action::Boot(Box::new(State::new(None))));
        assert_eq!(s.run_id, run_id, "a late Boot replaced the applied run");
    }

    #[test]
    fn a_saved_draft_is_restored_even_when_it_does_not_compile() {
        let s = State::new(Some("scenario \"x\" seed 1\nservice".to_string()));
        assert_eq!(&*s.draft, "scenario \"x\" seed 1\nservice");
        assert!(!s.diagnostics.is_empty(), "diagnostics shown");
        // The default scenario still runs.
        assert_eq!(
            &*s.applied.as_ref().expect("a run").text,
            gallery::default_example().text
        );
    }

    #[test]
    fn invalid_apply_keeps_the_last_good_run() {
        let s = Rc::new(State::new(None));
        let before = s.applied.clone();
        let run_id = s.run_id;
        let s = reduce(
            s,
            Action::EditDraft("scenario \"x\"\nservice a workers zero\n".into()),
        );
        let s = reduce(s, Action::Apply);
        assert!(!s.diagnostics.is_empty());
        assert_eq!(s.applied, before);
        assert_eq!(s.run_id, run_id);
        let d = &s.diagnostics[0];
        assert!(d.line >= 1 && d.col >= 1);
    }

    #[test]
    fn a_good_apply_starts_a_new_run() {
        let s = Rc::new(State::new(None));
        let text = gallery::GALLERY[1].text.to_string();
        let s = reduce(s, Action::EditDraft(text.clone()));
        assert_eq!(s.example, Some(gallery::GALLERY[1].id));
        let run_id = s.run_id;
        let s = reduce(s, Action::Apply);
        assert_eq!(s.run_id, run_id + 1);
        assert_eq!(&*s.applied.as_ref().expect("applied").text, text.as_str());
        assert_eq!(s.seed, gallery::GALLERY[1].seed);
        assert_eq!(s.clock.run_id, s.run_id);
    }

    #[test]
    fn unchanged_actions_return_the_same_state() {
        let s = Rc::new(State::new(None));
        let same = reduce(s.clone(), Action::SelectTab(Tab::Topology));
        assert!(Rc::ptr_eq(&s, &same));
        let same = reduce(s.clone(), Action::Advanced(s.clock));
        assert!(Rc::ptr_eq(&s, &same));
        let stale = Clock {
            run_id: s.run_id + 7,
            events: 5,
            ..s.clock
        };
        assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::Advanced(stale))));
    }

    #[test]
    fn a_finished_run_pauses_and_cannot_play() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::TogglePlay);
        assert_eq!(s.mode, Mode::Playing);
        let done = Clock {
            stop: Some(StopReason::Finished {
                at: s.clock.duration,
            }),
            now: s.clock.duration,
            ..s.clock
        };
        let s = reduce(s, Action::Advanced(done));
        assert_eq!(s.mode, Mode::Paused);
        let again = reduce(s.clone(), Action::TogglePlay);
        assert!(Rc::ptr_eq(&s, &again));
        let s = reduce(s, Action::Reset);
        assert_eq!(s.clock.stop, None);
        assert_eq!(reduce(s, Action::TogglePlay).mode, Mode::Playing);
    }

    #[test]
    fn a_seek_goes_forward_over_frames_then_pauses_or_plays() {
        let s = Rc::new(State::new(None));
        let at = |s: &State, secs: u64| Clock {
            now: SimTime::from_secs(secs),
            built: true,
            ..s.clock
        };
        let t = SimTime::from_secs(5);
        let s = reduce(s, Action::SeekTo(t));
        assert_eq!(
            s.mode,
            Mode::SeekTo {
                t,
                then_play: false
            }
        );
        assert_eq!(s.mode.busy_progress(&s.clock), Some(0.0));
        // A frame that got part of the way: still seeking.
        let s = reduce(s.clone(), Action::Advanced(at(&s, 2)));
        assert_eq!(
            s.mode,
            Mode::SeekTo {
                t,
                then_play: false
            }
        );
        assert_eq!(s.mode.busy_progress(&s.clock), Some(0.4));
        // There: paused.
        let s = reduce(s.clone(), Action::Advanced(at(&s, 5)));
        assert_eq!(s.mode, Mode::Paused);
        assert_eq!(s.mode.busy_progress(&s.clock), None);
        // Backward: nothing here (it is a replay from zero, in app.rs).
        assert!(Rc::ptr_eq(
            &s,
            &reduce(s.clone(), Action::SeekTo(SimTime::from_secs(1)))
        ));
        // To the present: one frame finishes what is due now, then pauses.
        let s = reduce(s, Action::SeekTo(t));
        assert_eq!(
            s.mode,
            Mode::SeekTo {
                t,
                then_play: false
            }
        );
        let s = reduce(s.clone(), Action::Advanced(at(&s, 5)));
        assert_eq!(s.mode, Mode::Paused);

        // Autoplay asked on the way: it plays once there.
        let t = SimTime::from_secs(9);
        let s = reduce(s, Action::SeekTo(t));
        let s = reduce(s, Action::Play);
        assert_eq!(s.mode, Mode::SeekTo { t, then_play: true });
        let s = reduce(s.clone(), Action::Advanced(at(&s, 9)));
        assert_eq!(s.mode, Mode::Playing);

        // Cancel (Pause, Space) stops a seek where it is; so does the end of the run.
        let s = reduce(s, Action::Pause);
        let s = reduce(s, Action::SeekTo(SimTime::from_secs(20)));
        assert_eq!(reduce(s.clone(), Action::Pause).mode, Mode::Paused);
        // Play (button or Space) on the way: play once there; again: stay paused there.
        let t20 = SimTime::from_secs(20);
        let s = reduce(s, Action::TogglePlay);
        assert_eq!(
            s.mode,
            Mode::SeekTo {
                t: t20,
                then_play: true
            }
        );
        let s = reduce(s, Action::TogglePlay);
        assert_eq!(
            s.mode,
            Mode::SeekTo {
                t: t20,
                then_play: false
            }
        );
        let done = Clock {
            stop: Some(StopReason::Finished {
                at: SimTime::from_secs(12),
            }),
            ..at(&s, 12)
        };
        assert_eq!(reduce(s.clone(), Action::Advanced(done)).mode, Mode::Paused);
        // A new run (Reset, Apply, seed) drops the seek.
        assert_eq!(reduce(s, Action::Reset).mode, Mode::Paused);
    }

    #[test]
    fn a_full_trace_pauses_for_good() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::TogglePlay);
        let full = Clock {
            records: TRACE_LIMIT,
            built: true,
            ..s.clock
        };
        let s = reduce(s, Action::Advanced(full));
        assert_eq!(s.mode, Mode::Paused);
        assert!(!s.can_advance());
        assert!(Rc::ptr_eq(&s, &reduce(s.clone(), Action::TogglePlay)));
    }

    #[test]
    fn a_new_seed_resets_and_survives_edits_that_keep_the_written_seed() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::SetSeed(99));
        assert_eq!(s.seed, 99);
        let edited = format!("{}\n# a comment\n", s.draft);
        let s = reduce(s, Action::EditDraft(edited));
        let s = reduce(s, Action::Apply);
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        assert_eq!(s.seed, 99);
    }

    #[test]
    fn gallery_picks_load_and_run() {
        let s = Rc::new(State::new(None));
        for e in gallery::GALLERY {
            let s = reduce(s.clone(), Action::LoadExample(e.id));
            assert_eq!(&*s.draft, e.text);
            assert_eq!(s.example, Some(e.id));
            assert!(s.diagnostics.is_empty(), "{}: {:?}", e.id, s.diagnostics);
            assert_eq!(s.seed, e.seed);
        }
    }

    #[test]
    fn a_link_opens_its_scenario_and_seed_and_holds_autosave_until_applied() {
        let e = &gallery::GALLERY[2];
        let frag = link::encode_text(e.text);
        let s = Rc::new(State::open(Some(&frag), Some("my own draft".into())));
        assert_eq!(&*s.draft, e.text);
        assert_eq!(&*s.applied.as_ref().expect("run").text, e.text);
        assert_eq!(s.seed, e.seed);
        assert!(s.hold_autosave && !s.hold_url && s.link_error.is_none());
        assert_eq!(s.link_fragment().as_deref(), Some(frag.as_str()));
        let s = reduce(s, Action::Apply);
        assert!(!s.hold_autosave);
    }

    #[test]
    fn a_bad_link_shows_why_and_opens_the_autosave() {
        let saved = gallery::GALLERY[1].text.to_string();
        let s = State::open(Some("s=1.garbage!!"), Some(saved.clone()));
        assert!(s
            .link_error
            .as_deref()
            .is_some_and(|m| m.contains("damaged")));
        assert_eq!(&*s.draft, saved.as_str());
        assert!(s.hold_url && !s.hold_autosave);
        let s = State::open(Some("s=9.abc"), None);
        assert_eq!(&*s.draft, gallery::default_example().text);
        assert!(s.link_error.is_some());
        let s = Rc::new(s);
        let s = reduce(s, Action::DismissLinkError);
        assert!(s.link_error.is_none());
    }

    #[test]
    fn an_invalid_link_keeps_its_text_in_the_editor() {
        let text = "scenario \"x\" seed 1\nservice a workers zero\n";
        let frag = link::encode_text(text);
        let s = State::open(Some(&frag), Some("mine".into()));
        assert_eq!(&*s.draft, text);
        assert!(!s.diagnostics.is_empty());
        assert!(s.link_error.is_some());
        assert!(s.hold_autosave && s.hold_url);
        assert_eq!(
            &*s.applied.as_ref().expect("default run").text,
            gallery::default_example().text
        );
    }

    #[test]
    fn no_link_in_the_fragment_is_an_ordinary_open() {
        let s = State::open(Some(""), None);
        assert!(s.link_error.is_none() && !s.hold_autosave);
        let s = State::open(Some("view=log"), None);
        assert!(s.link_error.is_none());
    }

    #[test]
    fn the_link_carries_a_toolbar_seed() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::SetSeed(4242));
        let frag = s.link_fragment().expect("fragment");
        let o = State::open(Some(&frag), None);
        assert_eq!(o.seed, 4242);
    }

    #[test]
    fn a_host_page_load_opens_the_link_with_its_own_seed() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::SetSeed(7));
        let s = reduce(s, Action::TogglePlay);
        assert_eq!(s.mode, Mode::Playing);
        let e = &gallery::GALLERY[3];
        let s = reduce(s, Action::OpenLink(link::encode_text(e.text)));
        assert_eq!(&*s.applied.as_ref().expect("run").text, e.text);
        assert_eq!(s.seed, e.seed, "the link's seed, not the toolbar's");
        assert_eq!(s.mode, Mode::Paused);
        assert!(s.hold_autosave && s.link_error.is_none());
    }

    #[test]
    fn a_bad_host_page_load_keeps_the_run_and_says_why() {
        let s = Rc::new(State::new(None));
        let (run_id, applied) = (s.run_id, s.applied.clone());
        let s = reduce(s, Action::OpenLink("s=1.%%%".into()));
        assert!(s.link_error.is_some());
        assert_eq!((s.run_id, s.applied.clone()), (run_id, applied));
        let s = reduce(s, Action::OpenLink(String::new()));
        assert!(
            s.link_error.is_some(),
            "an empty fragment is a bad link too"
        );
    }

    #[test]
    fn play_only_starts() {
        let s = Rc::new(State::new(None));
        let s = reduce(s, Action::Play);
        assert_eq!(s.mode, Mode::Playing);
        let again = reduce(s.clone(), Action::Play);
        assert!(Rc::ptr_eq(&s, &again), "playing stays playing");
    }
}
