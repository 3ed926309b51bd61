//! Lowering: a checked scenario model → the engine's `sim::World`. Applies the language's
//! defaults (one worker, unbounded backlog, zero service time, constant arrivals, one consumer
//! slot…), declares dead-letter queues named only by `dlq`, gathers subscriptions from the
//! `subscribe` handlers that share them, and turns `at … burst` lines into client bursts.
//!
//! Lowering never fails on a model that passed the checker; the engine's own validation runs
//! afterwards in [`compile`](super::compile) as a second line of defence.

use super::model::{self as m, ItemKind, Scenario, StepKind, Trigger};
use super::units::{Dist, Duration, Percent};
use crate::sim;
use std::collections::{BTreeMap, BTreeSet};

/// A queue's or topic's confirm settings, defaults where not written.
fn confirms(timeout: Option<Duration>, retries: Option<u32>) -> sim::Confirms {
    let d = sim::Confirms::default();
    sim::Confirms {
        timeout: timeout.map_or(d.timeout, time),
        retries: retries.unwrap_or(d.retries),
    }
}

fn time(d: Duration) -> sim::SimTime {
    sim::SimTime::from_micros(d.as_micros())
}

fn dist(d: Dist) -> sim::Dist {
    match d {
        Dist::Constant(v) => sim::Dist::Constant(time(v)),
        Dist::Uniform(lo, hi) => sim::Dist::Uniform {
            lo: time(lo),
            hi: time(hi),
        },
        Dist::Exp(mean) => sim::Dist::Exponential { mean: time(mean) },
        Dist::Normal(mean, sd) => sim::Dist::Normal {
            mean: time(mean),
            sd: time(sd),
        },
        Dist::LogNormal(mean, sd) => sim::Dist::log_normal_mean_sd(time(mean), time(sd)),
    }
}

fn prob(p: Percent) -> f64 {
    p.fraction()
}

fn http_method(mth: m::HttpMethod) -> sim::HttpMethod {
    match mth {
        m::HttpMethod::Get => sim::HttpMethod::Get,
        m::HttpMethod::Post => sim::HttpMethod::Post,
        m::HttpMethod::Put => sim::HttpMethod::Put,
        m::HttpMethod::Patch => sim::HttpMethod::Patch,
        m::HttpMethod::Delete => sim::HttpMethod::Delete,
    }
}

fn status(s: m::Status) -> sim::Status {
    match s {
        m::Status::Http(code) => sim::Status::Http(code),
        m::Status::Grpc(code) => sim::Status::Grpc(code),
    }
}

fn target(t: &m::Target) -> sim::Target {
    match t {
        m::Target::Rest {
            service,
            method,
            path,
        } => sim::Target::Rest {
            service: service.name.clone(),
            method: http_method(*method),
            path: path.clone(),
        },
        m::Target::Rpc { service, method } => sim::Target::Rpc {
            service: service.name.clone(),
            method: method.name.clone(),
        },
    }
}

fn call(c: &m::Call) -> sim::Call {
    let o = &c.options;
    let mut out = sim::Call::to(target(&c.target));
    out.timeout = o.timeout.map(time);
    out.attempt_timeout = o.attempt_timeout.map(time);
    out.retry_on = o
        .retry_on
        .as_ref()
        .map(|list| list.iter().map(|&s| status(s)).collect());
    out.idempotent = o.idempotent;
    out.idempotency_key = o.idempotency_key;
    if let Some(n) = o.retries {
        let mut r = sim::RetryPolicy::retries(n);
        if let Some(b) = o.backoff {
            r.base = time(b);
        }
        if let Some(f) = o.multiplier {
            r.multiplier = f.as_f64();
        }
        match o.max_backoff {
            Some(mx) => r.max_backoff = time(mx),
            // Without a cap, keep the engine's default cap but never below the first backoff.
            None => r.max_backoff = r.max_backoff.max(r.base),
        }
        if let Some(j) = o.jitter {
            r.jitter = prob(j);
        }
        out.retry = Some(r);
    }
    if let Some(h) = o.hedge {
        out.hedge = Some(sim::HedgePolicy {
            max_attempts: h.attempts,
            delay: time(h.after),
        });
    }
    if let Some(n) = o.pool {
        // HikariCP's default `connectionTimeout` is 30 s.
        let wait = o.pool_wait.map_or(sim::SimTime::from_secs(30), time);
        out.pool = Some(sim::Pool { size: n, wait });
    }
    if let Some(b) = o.retry_budget {
        out.retry_budget = Some(sim::RetryBudget {
            // gRFC A6 gives no default for `maxTokens`; its example uses 10.
            max_tokens: b.max_tokens.unwrap_or(10),
            token_ratio: prob(b.share),
        });
    }
    if let Some(b) = &o.breaker {
        let mut p = sim::BreakerPolicy {
            failure_ratio: prob(b.threshold),
            ..sim::BreakerPolicy::default()
        };
        if let Some(w) = b.window {
            p.window = time(w);
        }
        if let Some(n) = b.min_calls {
            p.min_requests = n;
        }
        if let Some(c) = b.cooldown {
            p.cooldown = time(c);
        }
        if let Some(n) = b.probes {
            p.half_open_probes = n;
        }
        p.slow_call = b.slow.map(time);
        out.breaker = Some(p);
    }
    if o.continue_on_error {
        out.on_error = sim::OnError::Continue;
    }
    out.cache = o.cache.as_ref().map(|c| c.name.clone());
    out
}

fn handler(steps: &[m::Step]) -> sim::Handler {
    let mut h = sim::Handler::new();
    for s in steps {
        h.steps.push(match &s.kind {
            StepKind::Work { time } => sim::Step::Work {
                time: time.map(dist),
            },
            StepKind::Call(c) => sim::Step::Call(call(c)),
            StepKind::Parallel { calls } => {
                sim::Step::Parallel(calls.iter().map(|pc| call(&pc.call)).collect())
            }
            StepKind::Publish {
                topic,
                message,
                attrs,
            } => sim::Step::Publish {
                topic: topic.name.clone(),
                message: message.name.clone(),
                attributes: attrs
                    .iter()
                    .map(|a| (a.key.name.clone(), a.value.name.clone()))
                    .collect(),
            },
            StepKind::Enqueue { queue, message } => sim::Step::Enqueue {
                queue: queue.name.clone(),
                message: message.name.clone(),
            },
            StepKind::Reply { status: st } => sim::Step::Reply(status(*st)),
            StepKind::Fail {
                probability,
                status: st,
            } => sim::Step::Fail {
                probability: prob(*probability),
                status: st.map(status),
            },
            StepKind::RetryAfter { after } => sim::Step::RetryAfter(time(*after)),
            StepKind::Ack => sim::Step::Ack,
            StepKind::Nack => sim::Step::Nack,
        });
    }
    h
}

fn overflow(o: m::Overflow) -> sim::Overflow {
    match o {
        m::Overflow::Reject => sim::Overflow::Reject,
        m::Overflow::DropOldest => sim::Overflow::DropOldest,
    }
}

fn link_sel(l: &m::LinkSel) -> sim::LinkSelector {
    match l {
        m::LinkSel::Network => sim::LinkSelector::All,
        m::LinkSel::Between(a, b) => sim::LinkSelector::Between(a.name.clone(), b.name.clone()),
    }
}

/// How long a fault without `for` lasts: to the end of any run.
fn lasting(l: Option<Duration>) -> sim::SimTime {
    l.map_or(sim::SimTime::MAX, time)
}

/// The world a checked scenario describes. Call it on models from [`super::parse`] (or checked
/// with [`super::check_model`]); names the checker would reject are lowered as they are, and
/// the engine's validation then reports them.
pub fn lower_checked(s: &Scenario) -> sim::World {
    let mut w = sim::World::new().duration(time(s.duration));
    if let Some(b) = s.budget {
        w.run.event_budget = b;
    }
    let mut services: BTreeMap<&str, usize> = BTreeMap::new();
    let mut queues: BTreeSet<&str> = BTreeSet::new();
    let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut clients: BTreeMap<&str, usize> = BTreeMap::new();
    // Pass 1: declarations, in the order written.
    for item in &s.items {
        match &item.kind {
            ItemKind::Network(n) => {
                if let Some(l) = n.latency {
                    w.network.latency = dist(l);
                }
                if let Some(l) = n.loss {
                    w.network.loss = prob(l);
                }
            }
            ItemKind::Link(l) => {
                w.network.links.push(sim::Link {
                    a: l.a.name.clone(),
                    b: l.b.name.clone(),
                    latency: l.latency.map(dist),
                    loss: l.loss.map(prob),
                });
            }
            ItemKind::Service(v) => {
                let mut svc = sim::Service::new(v.name.name.clone());
                if let Some(n) = v.workers {
                    svc.workers = n;
                }
                if let Some(n) = v.backlog {
                    svc.backlog = n;
                }
                if let Some(t) = v.time {
                    svc.service_time = dist(t);
                }
                if v.lifo {
                    svc.lifo_above = Some(0);
                }
                if let Some(n) = v.lifo_above {
                    svc.lifo_above = Some(n);
                }
                svc.shed_after = v.shed_after.map(time);
                if let Some(r) = v.rate_limit {
                    // Without `burst`, the bucket holds one second of the rate (at least one
                    // token), as Envoy's usual `max_tokens` = `tokens_per_fill` per second.
                    let burst = v
                        .burst
                        .unwrap_or_else(|| r.milli_per_min.div_ceil(60_000).max(1) as u32);
                    svc.rate_limit = Some(sim::RateLimit {
                        per_second: r.per_sec_f64(),
                        burst,
                        per_caller: v.per_caller,
                    });
                }
                if v.contention.is_some() || v.coherence.is_some() {
                    svc.slowdown = Some(sim::Slowdown {
                        contention: v.contention.map_or(0.0, prob),
                        coherence: v.coherence.map_or(0.0, prob),
                    });
                }
                if let Some(n) = v.replicas {
                    svc.replicas = n;
                }
                if let Some(b) = v.lb {
                    svc.balancer = match b {
                        m::Balancer::RoundRobin => sim::Balancer::RoundRobin,
                        m::Balancer::Random => sim::Balancer::Random,
                        m::Balancer::LeastRequests => sim::Balancer::LeastRequests,
                        m::Balancer::P2c => sim::Balancer::PowerOfTwo,
                    };
                }
                // Any ejection option turns outlier detection on, the others at Envoy's
                // defaults.
                if v.eject_after.is_some() || v.eject_for.is_some() || v.max_ejected.is_some() {
                    let d = sim::OutlierPolicy::default();
                    svc.outlier = Some(sim::OutlierPolicy {
                        consecutive: v.eject_after.unwrap_or(d.consecutive),
                        base: v.eject_for.map_or(d.base, time),
                        max_percent: v.max_ejected.map_or(d.max_percent, prob),
                    });
                }
                services.insert(v.name.as_str(), w.services.len());
                w.services.push(svc);
            }
            ItemKind::Queue(q) => {
                let mut out = sim::Queue::new(q.name.name.clone());
                if let Some(c) = q.capacity {
                    out.capacity = c;
                }
                if let Some(o) = q.overflow {
                    out.overflow = overflow(o);
                }
                if let Some(v) = q.visibility {
                    out.visibility = time(v);
                }
                out.max_attempts = q.max_attempts;
                out.dlq = q.dlq.as_ref().map(|d| d.name.clone());
                out.confirms = confirms(q.confirm_timeout, q.confirm_retries);
                queues.insert(q.name.as_str());
                w.queues.push(out);
            }
            ItemKind::Topic(t) => {
                topics.insert(t.name.as_str(), w.topics.len());
                let mut out = sim::Topic::new(t.name.name.clone());
                out.confirms = confirms(t.confirm_timeout, t.confirm_retries);
                w.topics.push(out);
            }
            ItemKind::Client(c) => {
                let name = c.name.name.clone();
                let mut out = match (c.users, c.think) {
                    (Some(n), Some(think)) => {
                        sim::Client::users(name, call(&c.call), n, dist(think))
                    }
                    _ => {
                        let rate = c.rate.map_or(0.0, |r| r.per_sec_f64());
                        sim::Client::new(name, call(&c.call), rate)
                    }
                };
                if let Some(r) = c.ramp {
                    out = out.ramp(r.to.per_sec_f64(), time(r.over));
                }
                if c.arrival == m::Arrival::Poisson {
                    out.arrival = sim::Arrival::Poisson;
                }
                if let Some(f) = c.from {
                    out.start = time(f);
                }
                out.stop = c.until.map(time);
                clients.insert(c.name.as_str(), w.clients.len());
                w.clients.push(out);
            }
            ItemKind::Cache(c) => {
                let mut out = sim::Cache::new(c.name.name.clone());
                if let Some(n) = c.capacity {
                    out.capacity = n;
                }
                out.ttl = c.ttl.map(time);
                let n = c.keys.unwrap_or(10_000);
                out.keys = match c.zipf {
                    Some(z) => sim::Keys::Zipf { n, s: z.as_f64() },
                    None => sim::Keys::Uniform { n },
                };
                out.coalesce = c.coalesce;
                w.caches.push(out);
            }
            ItemKind::Handler(_) | ItemKind::Fault(_) => {}
        }
    }
    // Dead-letter queues named only by `dlq`.
    let mut implicit: Vec<String> = Vec::new();
    let mut implicit_seen: BTreeSet<&str> = BTreeSet::new();
    for item in &s.items {
        let dlq = match &item.kind {
            ItemKind::Queue(q) => q.dlq.as_ref(),
            ItemKind::Handler(m::Handler {
                trigger: Trigger::Subscribe { dlq, .. },
                ..
            }) => dlq.as_ref(),
            _ => None,
        };
        if let Some(d) = dlq {
            if !queues.contains(d.as_str()) && implicit_seen.insert(d.as_str()) {
                implicit.push(d.name.clone());
            }
        }
    }
    for name in implicit {
        w.queues.push(sim::Queue::new(name));
    }
    // Pass 2: handlers, subscriptions, faults.
    let mut subscriptions: BTreeSet<(String, String)> = BTreeSet::new();
    for item in &s.items {
        match &item.kind {
            ItemKind::Handler(h) => {
                let Some(&si) = services.get(h.service.as_str()) else {
                    continue;
                };
                let body = handler(&h.steps);
                let Some(svc) = w.services.get_mut(si) else {
                    continue;
                };
                match &h.trigger {
                    Trigger::Rest {
                        method,
                        path,
                        dedupe,
                    } => {
                        svc.endpoints.push(sim::Endpoint {
                            route: sim::Route::Rest {
                                method: http_method(*method),
                                path: path.clone(),
                            },
                            handler: body,
                            dedupe: *dedupe,
                        });
                    }
                    Trigger::Rpc { method } => {
                        svc.endpoints.push(sim::Endpoint {
                            route: sim::Route::Rpc {
                                method: method.name.clone(),
                            },
                            handler: body,
                            dedupe: false,
                        });
                    }
                    Trigger::Consume {
                        queue,
                        concurrency,
                        max_extension,
                    } => {
                        svc.consumers.push(sim::Consumer {
                            source: sim::Source::Queue(queue.name.clone()),
                            concurrency: concurrency.unwrap_or(1),
                            handler: body,
                            max_extension: max_extension.map(time),
                        });
                    }
                    Trigger::Subscribe {
                        topic,
                        subscription,
                        filter,
                        ack_deadline,
                        capacity,
                        overflow: ov,
                        max_attempts,
                        dlq,
                        concurrency,
                        max_extension,
                    } => {
                        let sub_name = subscription.as_ref().unwrap_or(&h.service).name.clone();
                        svc.consumers.push(sim::Consumer {
                            source: sim::Source::Subscription {
                                topic: topic.name.clone(),
                                subscription: sub_name.clone(),
                            },
                            concurrency: concurrency.unwrap_or(1),
                            handler: body,
                            max_extension: max_extension.map(time),
                        });
                        let Some(t) = topics
                            .get(topic.as_str())
                            .and_then(|&ti| w.topics.get_mut(ti))
                        else {
                            continue;
                        };
                        if !subscriptions.insert((topic.name.clone(), sub_name.clone())) {
                            continue; // shared by an earlier handler (the checker made the options agree)
                        }
                        let mut sub = sim::Subscription::new(sub_name);
                        sub.filter = filter.as_ref().map(|a| sim::AttributeFilter {
                            key: a.key.name.clone(),
                            value: a.value.name.clone(),
                        });
                        if let Some(d) = ack_deadline {
                            sub.ack_deadline = time(*d);
                        }
                        if let Some(c) = capacity {
                            sub.capacity = *c;
                        }
                        if let Some(o) = ov {
                            sub.overflow = overflow(*o);
                        }
                        sub.max_attempts = *max_attempts;
                        sub.dlq = dlq.as_ref().map(|d| d.name.clone());
                        t.subscriptions.push(sub);
                    }
                }
            }
            ItemKind::Fault(f) => {
                let at = time(f.at);
                let fault = match &f.action {
                    m::FaultAction::Partition { a, b, lasting: l } => sim::Fault {
                        at,
                        duration: lasting(*l),
                        kind: sim::FaultKind::Partition {
                            a: a.iter().map(|i| i.name.clone()).collect(),
                            b: b.iter().map(|i| i.name.clone()).collect(),
                        },
                    },
                    m::FaultAction::Crash {
                        service,
                        lasting: l,
                    } => sim::Fault::crash(service.name.clone(), at, lasting(*l)),
                    m::FaultAction::Vanish {
                        service,
                        lasting: l,
                    } => sim::Fault::vanish(service.name.clone(), at, lasting(*l)),
                    m::FaultAction::Slow {
                        link,
                        extra,
                        lasting: l,
                    } => sim::Fault::latency_spike(link_sel(link), time(*extra), at, lasting(*l)),
                    m::FaultAction::Loss {
                        link,
                        probability,
                        lasting: l,
                    } => sim::Fault::loss(link_sel(link), prob(*probability), at, lasting(*l)),
                    m::FaultAction::Errors {
                        service,
                        probability,
                        lasting: l,
                    } => sim::Fault::error_spike(
                        service.name.clone(),
                        prob(*probability),
                        at,
                        lasting(*l),
                    ),
                    m::FaultAction::Flush { cache } => sim::Fault::flush(cache.name.clone(), at),
                    m::FaultAction::Burst { client, count } => {
                        if let Some(c) = clients
                            .get(client.as_str())
                            .and_then(|&ci| w.clients.get_mut(ci))
                        {
                            c.bursts.push(sim::Burst { at, count: *count });
                        }
                        continue;
                    }
                };
                w.faults.push(fault);
            }
            _ => {}
        }
    }
    w
}
