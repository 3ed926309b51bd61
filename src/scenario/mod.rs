//! Scenario language: parsing, diagnostics, canonical formatting, lowering to a `sim` world, the
//! built-in gallery and the share-link codec. Pure Rust: no web crates, no wall clock.
//!
//! ```text
//! text ──parse──▶ Scenario (model) ──lower──▶ sim::World
//!   ▲                 │    ▲
//!   └────format───────┘    └── JSON (serde), share link (link::encode / link::decode)
//! ```
//! The UI calls [`compile`] on Apply; it gets the model and the world, or every diagnostic.

mod check;
pub mod diagnostic;
mod format;
pub mod gallery;
mod lexer;
pub mod link;
mod lower;
pub mod model;
mod parser;
pub mod units;

pub use diagnostic::{Diagnostic, Span};
pub use format::format;
pub use lower::lower_checked;
pub use model::Scenario;

use crate::sim;
use diagnostic::LineIndex;

/// A scenario ready to run: its model, the engine world it lowers to, and its default seed.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub scenario: Scenario,
    pub world: sim::World,
    /// `world`, validated and compiled for the engine (`sim::Sim::start`), so a run never
    /// compiles it again.
    pub checked: sim::CheckedWorld,
    /// The seed written in the scenario (`seed 42`); the UI and CLI may override it.
    pub seed: u64,
}

/// Text → model → world, the one call the UI makes on Apply. Every problem comes back as a
/// diagnostic with its position in `text`.
pub fn compile(text: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let scenario = parse(text)?;
    let world = lower_checked(&scenario);
    let checked = sim::CheckedWorld::new(&world).map_err(|e| vec![engine_rejected(&e)])?;
    Ok(Compiled {
        seed: scenario.seed,
        scenario,
        world,
        checked,
    })
}

/// Lower a model that did not come from [`parse`] (imported JSON, built in code): it is checked
/// first (diagnostics point into its canonical text, see [`check_model`]).
pub fn lower(scenario: &Scenario) -> Result<sim::World, Vec<Diagnostic>> {
    check_model(scenario)?;
    let world = lower_checked(scenario);
    world.validate().map_err(|e| vec![engine_rejected(&e)])?;
    Ok(world)
}

/// The engine refused a world the checker accepted: a gap in the checker, reported rather than hidden.
fn engine_rejected(e: &sim::WorldError) -> Diagnostic {
    Diagnostic {
        line: 1,
        col: 1,
        end_line: 1,
        end_col: 1,
        text: String::new(),
        message: format!("the engine rejected this scenario: {e}"),
        hint: Some(
            "this is a gap in the scenario checker; please report it with the text".to_string(),
        ),
    }
}

/// Parse and check a scenario text: the model, or every problem found (syntax problems on all
/// lines; when the syntax is clean, every semantic problem).
pub fn parse(text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let index = LineIndex::new(text);
    let (scenario, problems) = parser::parse_text(text);
    if !problems.is_empty() {
        return Err(index.resolve_all(&problems));
    }
    let problems = check::check(&scenario, &|span| index.line_of(span.start));
    if !problems.is_empty() {
        return Err(index.resolve_all(&problems));
    }
    Ok(scenario)
}

/// Check a model that did not come from text (e.g. imported JSON): it is formatted, and the
/// diagnostics point into that formatted text. Also catches values the text cannot express
/// (a name with a space in it): the formatted text then does not read back as the same model.
pub fn check_model(scenario: &Scenario) -> Result<(), Vec<Diagnostic>> {
    let text = format(scenario);
    let parsed = parse(&text)?;
    if parsed != *scenario {
        return Err(vec![Diagnostic {
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
            text: String::new(),
            message: "the model holds values the scenario language cannot write (a name or comment with unusual characters?)".to_string(),
            hint: Some("names use letters, digits, `-` and `_`; comments fit on one line".to_string()),
        }]);
    }
    Ok(())
}

/// The model as pretty JSON, for export.
pub fn to_json(scenario: &Scenario) -> String {
    serde_json::to_string_pretty(scenario).unwrap_or_default()
}

/// A model from JSON (export of [`to_json`]), checked like text.
pub fn from_json(json: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let scenario: Scenario = serde_json::from_str(json).map_err(|e| {
        vec![Diagnostic {
            line: e.line().max(1),
            col: e.column().max(1),
            end_line: e.line().max(1),
            end_col: e.column().max(1),
            text: String::new(),
            message: format!("invalid scenario JSON: {e}"),
            hint: None,
        }]
    })?;
    check_model(&scenario)?;
    Ok(scenario)
}
