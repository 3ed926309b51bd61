//! Playground UI state: a plain `State` changed only through the closed `Action` enum (Yew reducer).
//!
//! The reducer is pure: it compiles scenario text (a pure function of the text) but never touches
//! the running `Sim`, timers, storage or the DOM. The `Sim` lives outside (see `run.rs`); the
//! frame loop advances it and reports back with the small `Action::Advanced(Clock)`.

use std::rc::Rc;
use yew::Reducible;

use crate::scenario::link::{self, LinkError};
use crate::scenario::{self, gallery, Compiled, Diagnostic};
use crate::sim::{NodeId, RecordId, SimTime};

mod fields;
#[cfg(test)]
mod tests;

pub use fields::{Clock, LogFilter, Mode, OutcomeFilter, Tab, SPEEDS, TRACE_LIMIT};

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
    /// Replicated services the topology draws replica by replica (the others are one stacked
    /// node each). UI state only, never in the scenario text.
    pub expanded: Rc<std::collections::BTreeSet<String>>,
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
    /// Filter the log to every replica of the replicated service `NodeId` (its first replica)
    /// is one of (a click on its stacked node).
    FilterReplicas(NodeId),
    /// Draw a replicated service replica by replica, or as one stacked node again.
    ToggleReplicas(String),
    /// Close the bad-link banner.
    DismissLinkError,
    /// The rest of the app has arrived: take this opening state (see `Phase`), keeping
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
            expanded: Rc::default(),
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
        self.filter.replicas = false;
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
            Action::FilterNode(node) => {
                next.filter.node = node;
                next.filter.replicas = false;
            }
            Action::FilterReplicas(node) => {
                next.filter.node = Some(node);
                next.filter.replicas = true;
            }
            Action::ToggleReplicas(name) => {
                let mut set = (*self.expanded).clone();
                if !set.remove(&name) {
                    set.insert(name);
                }
                next.expanded = Rc::new(set);
            }
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
