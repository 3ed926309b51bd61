//! Synchronous protocols: `Protocol` (REST or gRPC-style RPC) and everything that differs
//! between them (record kinds, status families, what a failure replies), plus `Failure`, why a
//! handler step or a call failed, and the status predicates every mechanism shares.

use crate::sim::trace::{Kind, Outcome};
use crate::sim::world::{GrpcCode, Status};

/// The protocol of an endpoint and of the calls to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// HTTP request/response (RFC 9110 status codes).
    Rest,
    /// gRPC-style unary RPC (gRPC status codes, deadlines carried to the server).
    Grpc,
}

impl Protocol {
    /// The record kind of a request hop.
    #[inline]
    pub(crate) fn request_kind(self) -> Kind {
        match self {
            Protocol::Rest => Kind::RestRequest,
            Protocol::Grpc => Kind::RpcRequest,
        }
    }

    /// The record kind of a response hop.
    #[inline]
    pub(crate) fn response_kind(self) -> Kind {
        match self {
            Protocol::Rest => Kind::RestResponse,
            Protocol::Grpc => Kind::RpcResponse,
        }
    }

    /// The status of a handler that ends without replying or failing.
    pub(crate) fn ok(self) -> Status {
        match self {
            Protocol::Rest => Status::Http(200),
            Protocol::Grpc => Status::Grpc(GrpcCode::Ok),
        }
    }

    /// The status of a `fail` step that names none.
    pub(crate) fn internal_error(self) -> Status {
        match self {
            Protocol::Rest => Status::Http(500),
            Protocol::Grpc => Status::Grpc(GrpcCode::Internal),
        }
    }

    /// The status of a request a rate limiter refused: 429 Too Many Requests (RFC 6585 §4;
    /// Envoy's local rate limit filter) or `RESOURCE_EXHAUSTED` (gRPC status codes doc:
    /// "some resource has been exhausted, perhaps a per-user quota").
    pub(crate) fn rate_limited(self) -> Status {
        match self {
            Protocol::Rest => Status::Http(429),
            Protocol::Grpc => Status::Grpc(GrpcCode::ResourceExhausted),
        }
    }

    /// The status of a request shed after waiting too long in the backlog: 503 / UNAVAILABLE,
    /// the answer of a server that did not process it and may later.
    pub(crate) fn shed(self) -> Status {
        match self {
            Protocol::Rest => Status::Http(503),
            Protocol::Grpc => Status::Grpc(GrpcCode::Unavailable),
        }
    }

    /// The statuses a retry policy retries when the call names none. REST follows common HTTP
    /// clients (urllib3's `Retry`, Envoy's `retriable-status-codes` with `gateway-error`): 429,
    /// 502, 503 and 504, the statuses that say the request was not acted on or may succeed
    /// later. gRPC follows gRFC A6: only the codes a policy names are retried, and the guide's
    /// policy names `UNAVAILABLE`, the one code that says the server did not process the call.
    pub(crate) fn default_retry_on(self) -> &'static [Status] {
        const REST: [Status; 4] = [
            Status::Http(429),
            Status::Http(502),
            Status::Http(503),
            Status::Http(504),
        ];
        const GRPC: [Status; 1] = [Status::Grpc(GrpcCode::Unavailable)];
        match self {
            Protocol::Rest => &REST,
            Protocol::Grpc => &GRPC,
        }
    }

    /// Whether the server learns the caller's deadline (gRPC propagation); REST timeouts are
    /// the caller's business.
    pub(crate) fn carries_deadline(self) -> bool {
        self == Protocol::Grpc
    }

    /// `status` in this protocol's family: gRPC codes for RPC, HTTP for REST.
    pub(crate) fn in_family(self, s: Status) -> Status {
        match (s, self) {
            (Status::Grpc(g), Protocol::Grpc) => Status::Grpc(g),
            (Status::Http(c), Protocol::Grpc) => Status::Grpc(GrpcCode::from_http(c)),
            (Status::Http(c), Protocol::Rest) => Status::Http(c),
            (Status::Grpc(g), Protocol::Rest) => Status::Http(g.to_http()),
        }
    }

    /// The status a handler replies with when it fails this way.
    pub(crate) fn reply_status(self, f: Failure) -> Status {
        match (f, self) {
            (Failure::Timeout | Failure::DeadlinePassed, Protocol::Grpc) => {
                Status::Grpc(GrpcCode::DeadlineExceeded)
            }
            (Failure::Timeout | Failure::DeadlinePassed, Protocol::Rest) => Status::Http(504),
            // A failed upstream's status passes through, as a proxy passes an answer on.
            (Failure::Downstream(s), _) => self.in_family(s),
            (Failure::BreakerOpen | Failure::Unreachable, Protocol::Grpc) => {
                Status::Grpc(GrpcCode::Unavailable)
            }
            (Failure::BreakerOpen | Failure::Unreachable, Protocol::Rest) => Status::Http(503),
            // A broken connection is a bad gateway for HTTP (RFC 9110 §15.6.3); gRPC reports it
            // as UNAVAILABLE.
            (Failure::Refused | Failure::Reset, Protocol::Rest) => Status::Http(502),
            (Failure::Refused | Failure::Reset, Protocol::Grpc) => {
                Status::Grpc(GrpcCode::Unavailable)
            }
            // An exhausted pool of the caller's own: the service is unavailable for now.
            (Failure::PoolTimeout, Protocol::Grpc) => Status::Grpc(GrpcCode::Unavailable),
            (Failure::PoolTimeout, Protocol::Rest) => Status::Http(503),
            (Failure::Overloaded, Protocol::Grpc) => Status::Grpc(GrpcCode::ResourceExhausted),
            (Failure::Overloaded, Protocol::Rest) => Status::Http(503),
            (Failure::Own(s), _) => self.in_family(s),
        }
    }
}

/// Why a handler step (or a whole call) failed; mapped to a status per protocol when replying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An attempt's deadline passed.
    Timeout,
    /// The propagated deadline had passed before the work could start / the call be sent.
    DeadlinePassed,
    /// The callee replied with an error status.
    Downstream(Status),
    /// The breaker refused the call.
    BreakerOpen,
    /// The message could not reach a broker (lost, partitioned).
    Unreachable,
    /// A full queue refused the message.
    Overloaded,
    /// A `fail` step or an error-rate spike.
    Own(Status),
    /// The connection was refused: the request never reached a handler.
    Refused,
    /// The connection broke while the request was being handled: it may have been acted on.
    Reset,
    /// No connection of the call site's pool came free in time: the request was never sent.
    PoolTimeout,
}

impl Failure {
    /// Whether a call that failed this way may be tried again.
    pub(crate) fn retryable(self) -> bool {
        match self {
            Failure::Timeout
            | Failure::BreakerOpen
            | Failure::Unreachable
            | Failure::Overloaded
            | Failure::Refused
            | Failure::Reset => true,
            Failure::Downstream(s) | Failure::Own(s) => is_server_failure(s),
            // The call already waited its pool's whole wait; it ends (HikariCP throws).
            Failure::DeadlinePassed | Failure::PoolTimeout => false,
        }
    }
}

/// Whether a status is a success (2xx/3xx or OK).
pub(crate) fn is_success(s: Status) -> bool {
    match s {
        Status::Http(c) => (200..400).contains(&c),
        Status::Grpc(g) => g == GrpcCode::Ok,
    }
}

/// Whether a status is a server error as outlier detection counts them: an HTTP 5xx, or a gRPC
/// code whose HTTP equivalent is one (Envoy maps `grpc-status` to HTTP for outlier detection,
/// so `RESOURCE_EXHAUSTED`, 429, does not count).
pub(crate) fn is_5xx(s: Status) -> bool {
    match s {
        Status::Http(c) => c >= 500,
        Status::Grpc(g) => g.to_http() >= 500,
    }
}

/// Whether a status is the server's fault (counts against breakers, is retried).
pub(crate) fn is_server_failure(s: Status) -> bool {
    match s {
        Status::Http(c) => c >= 500 || c == 429,
        Status::Grpc(g) => matches!(
            g,
            GrpcCode::DeadlineExceeded
                | GrpcCode::ResourceExhausted
                | GrpcCode::Internal
                | GrpcCode::Unavailable
                | GrpcCode::Unknown
                | GrpcCode::Aborted
                | GrpcCode::DataLoss
        ),
    }
}

/// The trace outcome of a status.
pub(crate) fn status_outcome(s: Status) -> Outcome {
    match s {
        Status::Http(c) => Outcome::Http(c),
        Status::Grpc(g) => Outcome::Grpc(g),
    }
}

/// `n` as a `u16` attempt number, saturating.
pub(crate) fn sat16(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}
