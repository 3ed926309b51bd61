//! Semantic checks on a parsed model: names that do not exist (with "did you mean"), duplicate
//! names, calls to endpoints that do not exist, consumers of missing queues or topics, steps that
//! do not fit their handler, cycles of synchronous calls. Every problem is reported, not just the first.

use super::diagnostic::{did_you_mean, Problem, Span, MAX_DIAGNOSTICS};
use super::model::*;
use super::units::Duration;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Service,
    Queue,
    Topic,
    Client,
    Cache,
}

impl NodeKind {
    fn noun(self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::Queue => "queue",
            NodeKind::Topic => "topic",
            NodeKind::Client => "client",
            NodeKind::Cache => "cache",
        }
    }

    fn article(self) -> &'static str {
        match self {
            NodeKind::Service => "a service",
            NodeKind::Queue => "a queue",
            NodeKind::Topic => "a topic",
            NodeKind::Client => "a client",
            NodeKind::Cache => "a cache",
        }
    }
}

/// A handler's identity within its service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum EndpointKey {
    Rest(HttpMethod, String),
    Rpc(String),
    Consume(String),
    Subscribe { topic: String, subscription: String },
}

impl EndpointKey {
    pub fn of(h: &Handler) -> EndpointKey {
        match &h.trigger {
            Trigger::Rest { method, path, .. } => EndpointKey::Rest(*method, path.clone()),
            Trigger::Rpc { method } => EndpointKey::Rpc(method.name.clone()),
            Trigger::Consume { queue, .. } => EndpointKey::Consume(queue.name.clone()),
            Trigger::Subscribe {
                topic,
                subscription,
                ..
            } => EndpointKey::Subscribe {
                topic: topic.name.clone(),
                subscription: subscription.as_ref().unwrap_or(&h.service).name.clone(),
            },
        }
    }

    pub fn of_target(t: &Target) -> EndpointKey {
        match t {
            Target::Rest { method, path, .. } => EndpointKey::Rest(*method, path.clone()),
            Target::Rpc { method, .. } => EndpointKey::Rpc(method.name.clone()),
        }
    }

    fn describe(&self, service: &str) -> String {
        match self {
            EndpointKey::Rest(m, p) => format!("{service} {m} {p}"),
            EndpointKey::Rpc(m) => format!("{service}.{m}"),
            EndpointKey::Consume(q) => format!("{service} consume {q}"),
            EndpointKey::Subscribe {
                topic,
                subscription,
            } => {
                format!("{service} subscribe {topic} as {subscription}")
            }
        }
    }
}

/// Names declared in a scenario, resolved once.
pub(crate) struct Symbols<'m> {
    pub nodes: BTreeMap<&'m str, (NodeKind, Span)>,
    /// Per service, its handlers' keys and handler indexes (in `Scenario::handlers` order).
    pub endpoints: BTreeMap<&'m str, BTreeMap<EndpointKey, usize>>,
    pub handlers: Vec<&'m Handler>,
    /// Per service, how many replicas it has.
    pub replicas: BTreeMap<&'m str, u32>,
}

impl<'m> Symbols<'m> {
    fn names_of(&self, kind: NodeKind) -> Vec<&'m str> {
        self.nodes
            .iter()
            .filter(|(_, (k, _))| *k == kind)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Resolve `id` as any node (service, queue, topic or client).
    fn expect_node(&self, id: &Ident) -> Result<(), Problem> {
        match self.nodes.get(id.name.as_str()) {
            Some((NodeKind::Cache, _)) => {
                return Err(Problem::new(
                    id.span,
                    format!("`{}` is a cache, not a node of the network", id.name),
                )
                .hint("links and partitions join services, queues, topics or clients"))
            }
            Some(_) => return Ok(()),
            None => {}
        }
        let hint = match did_you_mean(&id.name, self.nodes.keys().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => {
                "links and partitions join declared services, queues, topics or clients".to_string()
            }
        };
        Err(Problem::new(id.span, format!("unknown name `{}`", id.name)).hint(hint))
    }

    /// Resolve `id` as a `want`; a problem says what it is instead, or suggests a near name.
    fn expect(&self, id: &Ident, want: NodeKind) -> Result<(), Problem> {
        match self.nodes.get(id.name.as_str()) {
            Some((k, _)) if *k == want => Ok(()),
            Some((k, _)) => {
                let hint = match (want, k) {
                    (NodeKind::Queue, NodeKind::Topic) => Some("to take messages from a topic, use `subscribe`; to send to it, use `publish`".to_string()),
                    (NodeKind::Topic, NodeKind::Queue) => Some("to take messages from a queue, use `consume`; to send to it, use `enqueue`".to_string()),
                    _ => did_you_mean(&id.name, self.names_of(want)).map(|m| format!("did you mean {} `{m}`?", want.noun())),
                };
                Err(Problem::new(
                    id.span,
                    format!("`{}` is {}, not {}", id.name, k.article(), want.article()),
                )
                .maybe_hint(hint))
            }
            None => {
                let candidates = self.names_of(want);
                let hint = match did_you_mean(&id.name, candidates.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None if candidates.is_empty() => {
                        format!("declare it: `{} {}`", want.noun(), id.name)
                    }
                    None => format!(
                        "declare it with `{} {}`, or use one of: {}",
                        want.noun(),
                        id.name,
                        list(&candidates)
                    ),
                };
                Err(
                    Problem::new(id.span, format!("unknown {} `{}`", want.noun(), id.name))
                        .hint(hint),
                )
            }
        }
    }
}

fn list(names: &[&str]) -> String {
    let mut shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    if names.len() > 8 {
        shown.push("…".to_string());
    }
    shown.join(", ")
}

/// Build the symbol table; declaration problems (duplicates, bad DLQs) go to `problems`.
pub(crate) fn symbols<'m>(
    s: &'m Scenario,
    problems: &mut Vec<Problem>,
    line_of: &dyn Fn(Span) -> usize,
) -> Symbols<'m> {
    let mut nodes: BTreeMap<&'m str, (NodeKind, Span)> = BTreeMap::new();
    let mut declare = |id: &'m Ident, kind: NodeKind, problems: &mut Vec<Problem>| {
        if let Some((k, first)) = nodes.get(id.name.as_str()) {
            let msg = if *k == kind {
                format!("duplicate {} `{}`", kind.noun(), id.name)
            } else {
                format!("`{}` is already {}", id.name, k.article())
            };
            problems.push(Problem::new(id.span, msg).hint(format!(
                "first declared on line {}; services, queues, topics and clients share one set of names",
                line_of(*first)
            )));
        } else {
            nodes.insert(id.name.as_str(), (kind, id.span));
        }
    };
    for item in &s.items {
        match &item.kind {
            ItemKind::Service(v) => declare(&v.name, NodeKind::Service, problems),
            ItemKind::Queue(q) => declare(&q.name, NodeKind::Queue, problems),
            ItemKind::Topic(t) => declare(&t.name, NodeKind::Topic, problems),
            ItemKind::Client(c) => declare(&c.name, NodeKind::Client, problems),
            ItemKind::Cache(c) => declare(&c.name, NodeKind::Cache, problems),
            _ => {}
        }
    }
    // Dead-letter queues not declared otherwise are declared by naming them.
    let mut implicit: Vec<&'m Ident> = Vec::new();
    for item in &s.items {
        match &item.kind {
            ItemKind::Queue(q) => {
                if let Some(d) = &q.dlq {
                    if d.name == q.name.name {
                        problems.push(
                            Problem::new(
                                d.span,
                                format!("queue `{}` cannot be its own dead-letter queue", d.name),
                            )
                            .hint("name another queue, e.g. `dlq jobs-dlq`"),
                        );
                    }
                    implicit.push(d);
                }
            }
            ItemKind::Handler(Handler {
                trigger: Trigger::Subscribe { dlq: Some(d), .. },
                ..
            }) => implicit.push(d),
            _ => {}
        }
    }
    for d in implicit {
        match nodes.get(d.name.as_str()) {
            None => {
                nodes.insert(d.name.as_str(), (NodeKind::Queue, d.span));
            }
            Some((NodeKind::Queue, _)) => {}
            Some((k, _)) => problems.push(
                Problem::new(
                    d.span,
                    format!("`{}` is {}, not a queue", d.name, k.article()),
                )
                .hint("a dead-letter queue is a queue; pick an unused name"),
            ),
        }
    }
    let mut endpoints: BTreeMap<&'m str, BTreeMap<EndpointKey, usize>> = BTreeMap::new();
    let mut handlers = Vec::new();
    for item in &s.items {
        if let ItemKind::Handler(h) = &item.kind {
            // The first of duplicate handlers wins; the duplicate is reported by `check`.
            endpoints
                .entry(h.service.name.as_str())
                .or_default()
                .entry(EndpointKey::of(h))
                .or_insert(handlers.len());
            handlers.push(h);
        }
    }
    let replicas = s
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Service(v) => Some((v.name.as_str(), v.replicas.unwrap_or(1))),
            _ => None,
        })
        .collect();
    Symbols {
        nodes,
        endpoints,
        handlers,
        replicas,
    }
}

/// All semantic problems of a syntactically valid model.
pub(crate) fn check(s: &Scenario, line_of: &dyn Fn(Span) -> usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    let sym = symbols(s, &mut problems, line_of);
    let mut network_seen: Option<Span> = None;
    let mut links: BTreeMap<(String, String), Span> = BTreeMap::new();
    let mut handler_keys: BTreeMap<(String, EndpointKey), Span> = BTreeMap::new();
    let mut subscriptions: BTreeMap<(String, String), SubscriptionOptions<'_>> = BTreeMap::new();
    for item in &s.items {
        if full(&problems) {
            return problems;
        }
        match &item.kind {
            ItemKind::Network(_) => {
                if let Some(first) = network_seen {
                    problems.push(Problem::new(item.span, "a second `network` line").hint(
                        format!("put every network default on line {}", line_of(first)),
                    ));
                }
                network_seen = Some(item.span);
            }
            ItemKind::Link(l) => {
                let ok_a = push_err(&mut problems, sym.expect_node(&l.a));
                let ok_b = push_err(&mut problems, sym.expect_node(&l.b));
                if ok_a && ok_b {
                    if l.a.name == l.b.name {
                        problems.push(Problem::new(l.b.span, "a link joins two different nodes"));
                    }
                    let key = ordered_pair(&l.a.name, &l.b.name);
                    if let Some(first) = links.get(&key) {
                        problems.push(
                            Problem::new(
                                item.span,
                                format!("a second `link` between `{}` and `{}`", key.0, key.1),
                            )
                            .hint(format!("merge it with line {}", line_of(*first))),
                        );
                    } else {
                        links.insert(key, item.span);
                    }
                }
            }
            ItemKind::Service(_) | ItemKind::Queue(_) | ItemKind::Topic(_) | ItemKind::Cache(_) => {
            }
            ItemKind::Client(c) => {
                check_call(&sym, &c.call, &mut problems);
                if let (Some(f), Some(u)) = (c.from, c.until) {
                    if u <= f {
                        problems.push(Problem::new(
                            item.span,
                            format!("the client stops (`until {u}`) before it starts (`from {f}`)"),
                        ));
                    }
                }
            }
            ItemKind::Handler(h) => {
                // An unknown service is reported, and its steps are still checked.
                if push_err(&mut problems, sym.expect(&h.service, NodeKind::Service)) {
                    let key = EndpointKey::of(h);
                    let k = (h.service.name.clone(), key.clone());
                    if let Some(first) = handler_keys.get(&k) {
                        problems.push(
                            Problem::new(
                                item.span,
                                format!("duplicate handler `{}`", key.describe(&h.service.name)),
                            )
                            .hint(format!("already defined on line {}", line_of(*first))),
                        );
                    } else {
                        handler_keys.insert(k, item.span);
                    }
                }
                check_handler(&sym, h, &mut subscriptions, &mut problems);
            }
            ItemKind::Fault(f) => check_fault(&sym, f, item.span, &mut problems),
        }
    }
    check_cycles(&sym, &mut problems);
    problems
}

fn ordered_pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// Past the cap nothing more would be shown; loops stop, so hostile input stays cheap.
fn full(problems: &[Problem]) -> bool {
    problems.len() > MAX_DIAGNOSTICS
}

fn push_err(problems: &mut Vec<Problem>, r: Result<(), Problem>) -> bool {
    match r {
        Ok(()) => true,
        Err(p) => {
            problems.push(p);
            false
        }
    }
}

/// ack-deadline, capacity, overflow, max-attempts, dlq.
type SubscriptionValues<'m> = (
    Option<Duration>,
    Option<u32>,
    Option<Overflow>,
    Option<u32>,
    Option<&'m str>,
);

/// Options of one subscription, gathered from every handler that shares it.
struct SubscriptionOptions<'m> {
    filter: Option<&'m Attr>,
    values: SubscriptionValues<'m>,
}

fn check_call(sym: &Symbols<'_>, call: &Call, problems: &mut Vec<Problem>) {
    if let Some(c) = &call.options.cache {
        push_err(problems, sym.expect(c, NodeKind::Cache));
    }
    let service = call.target.service();
    if !push_err(problems, sym.expect(service, NodeKind::Service)) {
        return;
    }
    let key = EndpointKey::of_target(&call.target);
    let empty = BTreeMap::new();
    let eps = sym.endpoints.get(service.name.as_str()).unwrap_or(&empty);
    if eps.contains_key(&key) {
        return;
    }
    let (span, what, candidates): (Span, String, Vec<String>) = match &call.target {
        Target::Rpc { method, .. } => (
            method.span,
            format!("service `{}` has no rpc `{}`", service.name, method.name),
            eps.keys()
                .filter_map(|k| match k {
                    EndpointKey::Rpc(m) => Some(m.clone()),
                    _ => None,
                })
                .collect(),
        ),
        Target::Rest { method, path, .. } => (
            service.span,
            format!(
                "service `{}` has no endpoint `{method} {path}`",
                service.name
            ),
            eps.keys()
                .filter_map(|k| match k {
                    EndpointKey::Rest(m, p) => Some(format!("{m} {p}")),
                    _ => None,
                })
                .collect(),
        ),
    };
    let wanted = match &call.target {
        Target::Rpc { method, .. } => method.name.clone(),
        Target::Rest { method, path, .. } => format!("{method} {path}"),
    };
    let hint = if let Some(m) = did_you_mean(&wanted, candidates.iter().map(String::as_str)) {
        format!("did you mean `{m}`?")
    } else if candidates.is_empty() {
        let other = eps.iter().find_map(|(k, _)| match (k, &call.target) {
            (EndpointKey::Rest(m, p), Target::Rpc { .. }) => Some(format!(
                "it serves REST (`{} {m} {p}`); call it as `call {} {m} {p}`",
                service.name, service.name
            )),
            (EndpointKey::Rpc(m), Target::Rest { .. }) => Some(format!(
                "it serves RPC; call it as `call {}.{m}`",
                service.name
            )),
            _ => None,
        });
        other.unwrap_or_else(|| match &call.target {
            Target::Rpc { method, .. } => {
                format!("add a handler: `{} rpc {}:`", service.name, method.name)
            }
            Target::Rest { method, path, .. } => {
                format!("add a handler: `{} {method} {path}:`", service.name)
            }
        })
    } else {
        let shown: Vec<&str> = candidates.iter().map(String::as_str).collect();
        format!("it has {}", list(&shown))
    };
    problems.push(Problem::new(span, what).hint(hint));
}

fn check_handler<'m>(
    sym: &Symbols<'m>,
    h: &'m Handler,
    subscriptions: &mut BTreeMap<(String, String), SubscriptionOptions<'m>>,
    problems: &mut Vec<Problem>,
) {
    enum Kind {
        Rest,
        Rpc,
        Message,
    }
    let kind = match &h.trigger {
        Trigger::Rest { .. } => Kind::Rest,
        Trigger::Rpc { .. } => Kind::Rpc,
        Trigger::Consume { queue, .. } => {
            push_err(problems, sym.expect(queue, NodeKind::Queue));
            Kind::Message
        }
        Trigger::Subscribe {
            topic,
            subscription,
            filter,
            ack_deadline,
            capacity,
            overflow,
            max_attempts,
            dlq,
            ..
        } => {
            push_err(problems, sym.expect(topic, NodeKind::Topic));
            let sub = subscription.as_ref().unwrap_or(&h.service);
            let key = (topic.name.clone(), sub.name.clone());
            let here = SubscriptionOptions {
                filter: filter.as_ref(),
                values: (
                    *ack_deadline,
                    *capacity,
                    *overflow,
                    *max_attempts,
                    dlq.as_ref().map(|d| d.name.as_str()),
                ),
            };
            match subscriptions.get(&key) {
                None => {
                    subscriptions.insert(key, here);
                }
                Some(first) => {
                    if first.filter != here.filter || first.values != here.values {
                        problems.push(Problem::new(sub.span, format!("handlers sharing subscription `{}` of `{}` set different options", sub.name, topic.name)).hint("give every handler of one subscription the same filter, ack-deadline, capacity, overflow, max-attempts and dlq"));
                    }
                }
            }
            Kind::Message
        }
    };
    for step in &h.steps {
        if full(problems) {
            return;
        }
        match &step.kind {
            StepKind::Work { .. } => {}
            StepKind::Call(c) => check_call(sym, c, problems),
            StepKind::Parallel { calls } => {
                for pc in calls {
                    if full(problems) {
                        return;
                    }
                    check_call(sym, &pc.call, problems);
                }
            }
            StepKind::Publish { topic, .. } => {
                push_err(problems, sym.expect(topic, NodeKind::Topic));
            }
            StepKind::Enqueue { queue, .. } => {
                push_err(problems, sym.expect(queue, NodeKind::Queue));
            }
            StepKind::Reply { status } => match (&kind, status) {
                (Kind::Rest, Status::Http(_)) | (Kind::Rpc, Status::Grpc(_)) => {}
                (Kind::Rest, Status::Grpc(c)) => problems.push(
                    Problem::new(
                        step.span,
                        format!(
                            "a REST endpoint replies with an HTTP status, not `{}`",
                            c.as_str()
                        ),
                    )
                    .hint("e.g. `reply 200`"),
                ),
                (Kind::Rpc, Status::Http(c)) => problems.push(
                    Problem::new(
                        step.span,
                        format!("an RPC method replies with a gRPC code, not `{c}`"),
                    )
                    .hint("e.g. `reply OK`"),
                ),
                (Kind::Message, _) => problems.push(
                    Problem::new(step.span, "a consumer does not reply")
                        .hint("use `ack` (done) or `nack` (redeliver)"),
                ),
            },
            StepKind::Fail { status, .. } => match (&kind, status) {
                (_, None)
                | (Kind::Rest, Some(Status::Http(_)))
                | (Kind::Rpc, Some(Status::Grpc(_))) => {}
                (Kind::Rest, Some(s)) => problems.push(
                    Problem::new(
                        step.span,
                        format!("a REST endpoint fails with an HTTP status, not `{s}`"),
                    )
                    .hint("e.g. `fail 5% 500`"),
                ),
                (Kind::Rpc, Some(s)) => problems.push(
                    Problem::new(
                        step.span,
                        format!("an RPC method fails with a gRPC code, not `{s}`"),
                    )
                    .hint("e.g. `fail 5% UNAVAILABLE`"),
                ),
                (Kind::Message, Some(_)) => problems.push(
                    Problem::new(step.span, "a consumer's failure has no status")
                        .hint("write `fail 5%`; the message is redelivered"),
                ),
            },
            StepKind::RetryAfter { .. } => {
                if matches!(kind, Kind::Message) {
                    problems.push(
                        Problem::new(step.span, "a consumer sends no reply to carry `retry-after`")
                            .hint("`retry-after` is for REST endpoints and RPC methods; a queue's redelivery waits for its visibility timeout"),
                    );
                }
            }
            StepKind::Ack | StepKind::Nack => {
                let word = if matches!(step.kind, StepKind::Ack) {
                    "ack"
                } else {
                    "nack"
                };
                if !matches!(kind, Kind::Message) {
                    problems.push(
                        Problem::new(step.span, format!("`{word}` is for consumers"))
                            .hint("REST endpoints and RPC methods end with `reply`"),
                    );
                }
            }
        }
    }
}

fn check_fault(sym: &Symbols<'_>, f: &Fault, span: Span, problems: &mut Vec<Problem>) {
    match &f.action {
        FaultAction::Partition { a, b, .. } => {
            let mut left = BTreeSet::new();
            for id in a {
                if full(problems) {
                    return;
                }
                push_err(problems, sym.expect_node(id));
                left.insert(id.name.as_str());
            }
            for id in b {
                if full(problems) {
                    return;
                }
                push_err(problems, sym.expect_node(id));
                if left.contains(id.name.as_str()) {
                    problems.push(Problem::new(
                        id.span,
                        format!("`{}` is on both sides of the partition", id.name),
                    ));
                }
            }
        }
        FaultAction::Crash { service, .. }
        | FaultAction::Vanish { service, .. }
        | FaultAction::Errors { service, .. } => match service.name.split_once('#') {
            // One replica, `orders replica 2`.
            Some((name, k)) => {
                let base = Ident {
                    name: name.to_string(),
                    span: service.span,
                };
                if push_err(problems, sym.expect(&base, NodeKind::Service)) {
                    let have = sym.replicas.get(name).copied().unwrap_or(1);
                    if have < 2 || k.parse::<u32>().is_ok_and(|k| k > have) {
                        problems.push(
                            Problem::new(service.span, format!("`{name}` has no replica {k}"))
                                .hint(if have > 1 {
                                    format!("its replicas are numbered 1 to {have}")
                                } else {
                                    format!(
                                        "`{name}` is not replicated: add `replicas 3` to its line"
                                    )
                                }),
                        );
                    }
                }
            }
            None => {
                push_err(problems, sym.expect(service, NodeKind::Service));
            }
        },
        FaultAction::Slow { link, .. } | FaultAction::Loss { link, .. } => {
            if let LinkSel::Between(a, b) = link {
                push_err(problems, sym.expect_node(a));
                push_err(problems, sym.expect_node(b));
                if a.name == b.name {
                    problems.push(Problem::new(span, "a link joins two different nodes"));
                }
            }
        }
        FaultAction::Burst { client, .. } => {
            push_err(problems, sym.expect(client, NodeKind::Client));
        }
        FaultAction::Flush { cache } => {
            push_err(problems, sym.expect(cache, NodeKind::Cache));
        }
    }
}

/// Most endpoints a cycle message names; a longer cycle shows its ends around a count.
const CYCLE_SHOWN: usize = 8;

/// `a → b → … (n more) … → y → a`: a cycle of thousands of handlers stays a one-line message.
fn cycle_path(cycle: &[usize], describe: &dyn Fn(usize) -> String) -> String {
    if cycle.len() <= CYCLE_SHOWN {
        return cycle
            .iter()
            .map(|&v| describe(v))
            .collect::<Vec<_>>()
            .join(" → ");
    }
    let half = CYCLE_SHOWN / 2;
    let head: Vec<String> = cycle[..half].iter().map(|&v| describe(v)).collect();
    let tail: Vec<String> = cycle[cycle.len() - half..]
        .iter()
        .map(|&v| describe(v))
        .collect();
    format!(
        "{} → … ({} more) … → {}",
        head.join(" → "),
        cycle.len() - 2 * half,
        tail.join(" → ")
    )
}

/// Synchronous calls (REST and RPC, including parallel ones) must not form a cycle: a request
/// would end up waiting for itself. Iterative depth-first search, so deep chains cannot overflow
/// the stack.
fn check_cycles(sym: &Symbols<'_>, problems: &mut Vec<Problem>) {
    let n = sym.handlers.len();
    // Edges: handler → (called handler, span of the call's target).
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); n];
    for (i, h) in sym.handlers.iter().enumerate() {
        let mut add = |call: &Call| {
            let key = EndpointKey::of_target(&call.target);
            if let Some(eps) = sym.endpoints.get(call.target.service().name.as_str()) {
                if let Some(j) = eps.get(&key) {
                    let span = match &call.target {
                        Target::Rpc { service, method } => service.span.to(method.span),
                        Target::Rest { service, .. } => service.span,
                    };
                    edges[i].push((*j, span));
                }
            }
        };
        for step in &h.steps {
            match &step.kind {
                StepKind::Call(c) => add(c),
                StepKind::Parallel { calls } => calls.iter().for_each(|pc| add(&pc.call)),
                _ => {}
            }
        }
    }
    let describe = |i: usize| -> String {
        sym.handlers.get(i).map_or(String::new(), |h| {
            EndpointKey::of(h).describe(&h.service.name)
        })
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    let mut color = vec![Color::White; n];
    for root in 0..n {
        if color[root] != Color::White || full(problems) {
            continue;
        }
        // Stack of (node, next edge index).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = Color::Gray;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(to, span)) = edges[node].get(*next) {
                *next += 1;
                match color[to] {
                    Color::White => {
                        color[to] = Color::Gray;
                        stack.push((to, 0));
                    }
                    Color::Gray => {
                        let start = stack.iter().position(|(v, _)| *v == to).unwrap_or(0);
                        let cycle: Vec<usize> =
                            stack[start..].iter().map(|(v, _)| *v).chain([to]).collect();
                        problems.push(
                            Problem::new(span, format!("cycle of synchronous calls: {}", cycle_path(&cycle, &describe)))
                                .hint("a request would wait for itself; break the cycle with a queue (`enqueue`) or a topic (`publish`)"),
                        );
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
            }
        }
    }
}
