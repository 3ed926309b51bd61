//! Engine speed natively and in wasm (node), on the same M/M/c workload as benches/engine.rs
//! (`benches/support/mmc.rs`): a report for benches/wasm_ratio.sh, which runs this file both ways
//! with the same optimized profile and prints the wasm/native ratio. Never fails on timing; it
//! only checks that each run completed its customers. Not part of plain `cargo test`
//! (`test = false` in Cargo.toml). Run by hand:
//!
//! ```sh
//! cargo test --profile bench --test engine_speed -- --nocapture
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --profile bench --target wasm32-unknown-unknown --test engine_speed -- --nocapture
//! ```
//!
//! Each workload variant runs once to warm up, then `RUNS` times; the line printed per variant is
//! `engine_speed target=… workload=… customers=… runs=… best_cps=… median_cps=…` (customers/s).

#[path = "../benches/support/mmc.rs"]
mod mmc;

use switchboard::sim::{Sim, World};

/// Customers per run: large enough to time with a millisecond clock, small enough to keep the
/// wasm trace (3 records of 56 bytes per customer) modest.
const CUSTOMERS: u64 = 200_000;
const RUNS: usize = 7;

#[cfg(not(target_arch = "wasm32"))]
const TARGET: &str = "native";
#[cfg(target_arch = "wasm32")]
const TARGET: &str = "wasm";

/// Seconds on a monotonic clock.
#[cfg(not(target_arch = "wasm32"))]
fn now_secs() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Seconds from the JS host's `performance.now()` (node and browsers have it), else `Date.now()`.
#[cfg(target_arch = "wasm32")]
fn now_secs() -> f64 {
    use wasm_bindgen::{JsCast, JsValue};
    let global = js_sys::global();
    let perf = js_sys::Reflect::get(&global, &JsValue::from_str("performance")).ok();
    let now = perf.as_ref().and_then(|p| {
        let f = js_sys::Reflect::get(p, &JsValue::from_str("now")).ok()?;
        f.dyn_into::<js_sys::Function>()
            .ok()?
            .call0(p)
            .ok()?
            .as_f64()
    });
    now.unwrap_or_else(js_sys::Date::now) / 1000.0
}

macro_rules! report {
    ($($t:tt)*) => {{
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_test::console_log!($($t)*);
        #[cfg(not(target_arch = "wasm32"))]
        println!($($t)*);
    }};
}

/// Runs `world` to its end once; returns (wall seconds, customers completed).
fn timed(world: World) -> (f64, u64) {
    let start = now_secs();
    let mut sim = Sim::new(world, 7).expect("bench world is valid");
    sim.run_to_end();
    let secs = now_secs() - start;
    let customers = sim.metrics().clients.iter().map(|c| c.completed).sum();
    (secs, customers)
}

fn measure(workload: &str, make: impl Fn() -> World) {
    timed(make()); // warm-up: code, allocator and (in wasm) linear memory
    let mut cps: Vec<f64> = (0..RUNS)
        .map(|_| {
            let (secs, customers) = timed(make());
            assert!(customers * 10 >= CUSTOMERS * 9, "{workload}: {customers}");
            customers as f64 / secs.max(1e-9)
        })
        .collect();
    cps.sort_by(f64::total_cmp);
    report!(
        "engine_speed target={TARGET} workload={workload} customers={CUSTOMERS} runs={RUNS} best_cps={:.0} median_cps={:.0}",
        cps[RUNS - 1],
        cps[RUNS / 2]
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn mmc_customers_per_second() {
    measure("trace_on", || mmc::mmc_world(CUSTOMERS));
    measure("trace_last_100k", || {
        mmc::mmc_world(CUSTOMERS).trace_limit(100_000)
    });
    measure("trace_off", || mmc::mmc_world(CUSTOMERS).tracing(false));
}
