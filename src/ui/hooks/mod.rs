//! The page's side effects as named hooks, one file per concern; each owns its listeners, timers
//! or frame loop, which stop when the effect is dropped. `App` calls them in one fixed order,
//! which is also the order their effects run in after a render.

mod boot;
mod host_bridge;
mod keys;
mod page;
mod playback;
mod popover;
mod url;

pub use boot::use_opening;
pub use host_bridge::use_host_bridge;
pub use keys::use_shortcuts;
pub use page::{use_reload_on_hashchange, use_theme};
pub use playback::{step_once, use_frame_loop, use_run_builder, PendingStart};
pub use popover::use_popover;
pub use url::{use_link, use_url_sync};
