//! Switchboard: a playground where virtual microservices talk through simulated REST, RPC stubs,
//! message queues and pub/sub. Three one-way layers: `sim` ← `scenario` ← `ui` (see ARCHITECTURE.md).

pub mod scenario;
pub mod sim;
pub mod ui;
