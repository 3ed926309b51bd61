//! Yew user interface: the only layer that touches the DOM, timers, the URL and storage.
//! Components read slices of state; every change goes through `state::Action`.

mod app;
mod editor;
pub mod state;
mod toolbar;
mod views;

pub use app::App;
