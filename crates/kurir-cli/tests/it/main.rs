//! kurir's integration tests: the real `kurir` binary on a real SQLite file in a temp dir (or, with
//! `KURIR_IT_BACKEND=postgres`, every kurir on a real PostgreSQL), and real HTTP receivers
//! on 127.0.0.1. One test binary, a module per area.

/// Architecture invariants: pure crates stay pure, crates depend one way.
mod architecture;
/// DealPOS's synchronous loyalty call-outs, relayed to a provider.
mod callouts;
/// The command line's offline commands (catalog, completions).
mod cli;
/// The dashboard in a real headless Chromium.
mod dashboard;
/// DealPOS's delivery features: Test Webhook and the webhook-log modes.
mod dealpos;
/// Delivery: signatures, retries, dead letters, Retry-After, ordering, isolation of slow endpoints, 410.
mod delivery;
/// Dialects: every catalog example in standard, dealpos and zort form, decoded back by a receiver.
mod dialects;
/// Durability: a restart or a `kill -9` loses no accepted event.
mod durability;
/// The command line against a running kurir: listen, publish, endpoints, deliveries, events tail, replay.
mod listen;
/// `/metrics`: Prometheus figures that move.
mod metrics;
/// Three nodes on one PostgreSQL database; one killed, one restarted; nothing lost, order kept.
mod multinode;
/// The OpenAPI document: valid, complete, and the routes it describes are the routes served.
mod openapi;
/// Operational events: failing, dead, disabled and recovered, told to the endpoints that ask.
mod operational;
/// PostgreSQL: the binary on a real PostgreSQL; bad database URLs; the shared secret key.
mod postgres;
/// Publishing: validation errors, batches, idempotency, loop suppression.
mod publish;
/// Inbound sources: DealPOS, ZORT and Standard Webhooks senders posting to kurir.
mod sources;
/// `kurir store copy`: a SQLite store moved into PostgreSQL.
mod store_copy;
/// Authentication and tenant isolation.
mod tenancy;
/// The kurir process, test receivers and an API client.
mod util;
/// kurir-verify on the requests kurir really sends.
mod verify;
/// ZORT-compatible management: UpdateWebhook and GetWebhook.
mod zort;
