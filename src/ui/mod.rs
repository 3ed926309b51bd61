//! Yew user interface: the only layer that touches the DOM, timers, the URL and storage.
//! Components read slices of state; every change goes through `state::Action`. The running
//! `Sim` lives outside the reducer in `run::RunHandle`; views read slices of its trace. The run
//! and the dispatcher reach components through `context`, not props.

mod app;
mod chart;
mod context;
pub mod crash;
mod detail;
mod dom;
mod drafts;
mod editor;
pub mod embed;
pub mod fmt;
mod history;
mod history_panel;
mod hooks;
mod host;
mod log;
mod metrics;
pub mod run;
mod share;
pub mod state;
mod storage;
mod storage_note;
mod timeline;
mod toolbar;
mod topology;
pub mod topology_layout;
mod views;

pub use app::App;
