//! kurir's domain: the words of DESIGN.md as types, and the rules that need no I/O.
//!
//! # Layout
//!
//! - [`id`]: prefixed, time-ordered identifiers (`evt_…`, `ep_…`, `dlv_…`) and the tenant id.
//! - [`tenant`], [`api_key`], [`endpoint`], [`event`], [`delivery`]: one module per concept.
//! - [`source`]: inbound URLs that vendors post to.
//! - [`backfill`]: a tenant's past events sent again to one endpoint, a batch at a time.
//! - [`callout`]: the synchronous loyalty call-outs and the shapes of their answers.
//! - [`catalog`]: the event types compiled from `catalog/`, payload validation and ordering keys.
//! - [`retry`]: the retry schedule and `Retry-After` handling.
//! - [`ssrf`]: which target addresses an endpoint may reach.
//! - [`circuit`]: the per-endpoint circuit breaker.
//! - [`window`]: an endpoint's adaptive concurrency window (how many attempts at once it can take).
//! - [`rate`]: an endpoint's own rate limit (GCRA over a stored arrival time).
//! - [`stats`]: delivery statistics per endpoint and minute (counts, latency histograms, percentiles).
//! - [`operational`]: kurir's own events about a tenant's endpoints (disabled, recovered, failing, dead).
//! - [`time`]: RFC 3339 on the wire, Unix milliseconds inside.
//!
//! # Design
//!
//! Nothing here reads a clock, draws randomness or touches a socket or a file: time and random samples are
//! arguments, so every rule is a plain function that a table-driven test can pin down. The edges (store, engine,
//! API) read clocks and sockets and call in here.

pub mod api_key;
pub mod backfill;
pub mod callout;
pub mod catalog;
pub mod circuit;
pub mod delivery;
pub mod endpoint;
pub mod error;
pub mod event;
pub mod id;
pub mod operational;
pub mod rate;
pub mod retry;
pub mod source;
pub mod ssrf;
pub mod stats;
pub mod tenant;
pub mod time;
pub mod window;

pub use error::CoreError;
