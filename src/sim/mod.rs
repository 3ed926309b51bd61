//! Deterministic simulation engine: simulated time, events, RNG, network, services, REST/RPC/queue/pubsub,
//! faults, resilience, trace and metrics. Pure Rust: no web crates, no wall clock, no unordered iteration.
