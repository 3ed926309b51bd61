//! Playground UI state: a plain `State` changed only through the closed `Action` enum (Yew reducer).

use std::rc::Rc;
use yew::Reducible;

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

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub tab: Tab,
    /// Text in the editor, applied or not.
    pub draft: String,
    pub seed: u64,
    pub speed: f64,
}

impl State {
    pub fn new(draft: String) -> Self {
        State {
            tab: Tab::Topology,
            draft,
            seed: 42,
            speed: 1.0,
        }
    }
}

/// Every change to the UI state. Closed: a new kind of change is a new variant, handled everywhere.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SelectTab(Tab),
    EditDraft(String),
    SetSpeed(f64),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Returning the same Rc when nothing changed lets Yew skip the re-render.
        match action {
            Action::SelectTab(tab) if tab != self.tab => Rc::new(State { tab, ..(*self).clone() }),
            Action::SelectTab(_) => self,
            Action::EditDraft(draft) if draft != self.draft => {
                Rc::new(State { draft, ..(*self).clone() })
            }
            Action::EditDraft(_) => self,
            Action::SetSpeed(speed) if speed != self.speed => {
                Rc::new(State { speed, ..(*self).clone() })
            }
            Action::SetSpeed(_) => self,
        }
    }
}
