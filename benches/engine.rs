//! Engine benchmark (plain `main`, `harness = false`): events/s, messages/s and customers/s for an
//! M/M/c workload and a mixed REST + RPC + queue + pub/sub workload, tracing on; then the same
//! M/M/c workload in SimPy (`benches/simpy_mmc.py`, if python3 + simpy are installed) and the
//! speed ratio. Run: `cargo bench --bench engine` (optionally `-- <customers>`). Naming the part
//! (`-- <customers> mmc simpy`, as scripts/test.sh does) makes a SimPy run that measured nothing
//! a failure (exit 1) instead of a skipped line.

#[path = "support/mmc.rs"]
mod mmc;

use mmc::{mmc_world, RHO, SERVERS};
use std::process::Command;
use std::time::Instant;
use switchboard::sim::{
    Call, Client, Dist, Handler, HttpMethod, Network, Queue, Service, Sim, SimTime, Status,
    Subscription, Topic, World,
};

fn mixed_world(secs: u64) -> World {
    let ms = SimTime::from_millis;
    World::new()
        .duration(SimTime::from_secs(secs))
        .event_budget(u64::MAX)
        .network(Network::latency(Dist::uniform_ms(1, 3)))
        .service(
            Service::new("gateway")
                .workers(64)
                .time(Dist::exp_ms(1))
                .rest(
                    HttpMethod::Post,
                    "/checkout",
                    Handler::new()
                        .work()
                        .call(Call::rpc("orders", "CreateOrder").timeout(ms(500)))
                        .reply(Status::Http(201)),
                ),
        )
        .service(
            Service::new("orders")
                .workers(32)
                .time(Dist::exp_ms(2))
                .rpc(
                    "CreateOrder",
                    Handler::new()
                        .work()
                        .publish("order-events", "OrderCreated")
                        .enqueue("payments-q", "Charge"),
                ),
        )
        .service(Service::new("payments").time(Dist::exp_ms(2)).consume(
            "payments-q",
            16,
            Handler::new().work().ack(),
        ))
        .service(Service::new("emails").time(Dist::exp_ms(1)).subscribe(
            "order-events",
            "emails",
            8,
            Handler::new().work(),
        ))
        .service(Service::new("audit").time(Dist::constant_ms(1)).subscribe(
            "order-events",
            "audit",
            8,
            Handler::new().work(),
        ))
        .queue(Queue::new("payments-q").visibility(ms(1_000)))
        .topic(
            Topic::new("order-events")
                .subscription(Subscription::new("emails"))
                .subscription(Subscription::new("audit")),
        )
        .client(
            Client::new(
                "web",
                Call::rest("gateway", HttpMethod::Post, "/checkout"),
                2_000.0,
            )
            .poisson(),
        )
}

struct Run {
    secs: f64,
    events: u64,
    messages: u64,
    records: usize,
    customers: u64,
}

fn run(world: World) -> Run {
    let start = Instant::now();
    let mut sim = Sim::new(world, 7).expect("bench world is valid");
    sim.run_to_end();
    let secs = start.elapsed().as_secs_f64();
    let m = sim.metrics();
    Run {
        secs,
        events: sim.events_processed(),
        messages: m.totals.messages,
        records: sim.trace().len(),
        customers: m.clients.iter().map(|c| c.completed).sum(),
    }
}

fn row(name: &str, r: &Run) {
    println!(
        "{name:<28} {:>8.3} {:>12} {:>14.0} {:>14.0} {:>14.0} {:>10}",
        r.secs,
        r.events,
        r.events as f64 / r.secs,
        r.messages as f64 / r.secs,
        r.customers as f64 / r.secs,
        r.records
    );
}

/// SimPy's customers/s on the same M/M/c workload, or why it could not be measured.
fn simpy(customers: u64) -> Result<f64, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/simpy_mmc.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(customers.to_string())
        .output()
        .map_err(|e| format!("could not start python3: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{script} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    println!("{}", text.trim());
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("customers_per_sec="))
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .ok_or_else(|| {
            format!(
                "no positive customers_per_sec= in its output: {}",
                text.trim()
            )
        })
}

fn main() {
    // Arguments: an optional customer count, and optionally `mmc`, `mixed` or `simpy` to run only
    // those parts (cargo's own `--bench` flag is ignored).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let customers: u64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let picked: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "mmc" | "mixed" | "simpy"))
        .collect();
    let want = |part: &str| picked.is_empty() || picked.contains(&part);
    println!(
        "{:<28} {:>8} {:>12} {:>14} {:>14} {:>14} {:>10}",
        "workload", "secs", "events", "events/s", "messages/s", "customers/s", "records"
    );
    let mmc = run(mmc_world(customers));
    row(&format!("M/M/{SERVERS} rho={RHO}, trace on"), &mmc);
    let windowed = run(mmc_world(customers).trace_limit(100_000));
    row(&format!("M/M/{SERVERS}, trace on, last 100k"), &windowed);
    let quiet = run(mmc_world(customers).tracing(false));
    row(&format!("M/M/{SERVERS} rho={RHO}, trace off"), &quiet);
    if want("mixed") {
        let mixed = run(mixed_world(200));
        row("mixed REST+RPC+queue+pubsub", &mixed);
    }
    if !want("simpy") {
        return;
    }
    let simpy_customers = (customers / 5).max(10_000);
    match simpy(simpy_customers) {
        Ok(py) => {
            for (what, r) in [
                ("trace on, every record kept", &mmc),
                ("trace on, last 100k kept", &windowed),
                ("trace off", &quiet),
            ] {
                let ours = r.customers as f64 / r.secs;
                println!(
                    "M/M/{SERVERS} customers/s, {what:<28}: switchboard {ours:>9.0} vs simpy {py:.0} -> {:.1}x",
                    ours / py
                );
            }
        }
        // Asked for by name (`compare.sh … simpy`, as scripts/test.sh does), a comparison that
        // measured nothing is a failure; in a plain run it is only skipped.
        Err(why) if picked.contains(&"simpy") => {
            eprintln!("simpy comparison failed: {why}\n(needs python3 and `pip install simpy`)");
            std::process::exit(1);
        }
        Err(why) => {
            println!("simpy comparison skipped: {why} (needs python3 and `pip install simpy`)")
        }
    }
}
