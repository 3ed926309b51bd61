//! Switchboard: a playground where virtual microservices talk through simulated REST, RPC stubs,
//! message queues and pub/sub. One-way layers: `sim` ← `scenario`, `export` ← `ui` (see ARCHITECTURE.md).

pub mod export;
pub mod scenario;
pub mod sim;
#[cfg(feature = "ui")]
pub mod ui;
