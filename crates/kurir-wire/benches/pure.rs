//! Criterion benchmarks of the pure pieces every delivery goes through: encoding an event in each dialect
//! (which signs it), signing and verifying a Standard Webhooks signature, and validating a payload against its
//! catalog schema. They guard against regressions on the hot path; `cargo bench -p kurir-wire` runs them, and
//! BENCHMARKS.md keeps the figures. The end-to-end figures come from `kurir bench`.

use criterion::{criterion_group, criterion_main, Criterion};
use kurir_core::catalog::Catalog;
use kurir_core::endpoint::Dialect;
use kurir_core::event::Event;
use kurir_wire::signature::{self, SignedHeaders};
use kurir_wire::test_support::{endpoint, SECRET};
use kurir_wire::WebhookSecret;

const NOW_MS: i64 = 1_732_350_000_123;

/// A product payload of about 256 bytes, the size `kurir bench` publishes by default.
fn payload() -> String {
    r#"{"ID":"p-1","Code":"SKU-00000001","Name":"Product 1","Price":20.0,"Cost":10.0,"Unit":"Piece",
        "Weight":500,"Barcode":"8850000000000","Category":"bench","Description":"xxxxxxxxxxxxxxxxxxxxxxxxxx"}"#
        .into()
}

/// The known-answer tests' `productCreated` event, with the bench's payload.
fn event() -> Event {
    Event { payload: payload(), ..kurir_wire::test_support::event() }
}

fn encoding(c: &mut Criterion) {
    let event = event();
    for dialect in [Dialect::Standard, Dialect::Dealpos] {
        let endpoint = endpoint(dialect);
        c.bench_function(&format!("encode and sign, {} dialect", dialect.as_str()), |b| {
            b.iter(|| kurir_wire::encode(&event, &endpoint, None, NOW_MS))
        });
    }
}

fn signing(c: &mut Criterion) {
    let secret = WebhookSecret::parse(SECRET).unwrap_or_else(|err| panic!("the test secret: {err}"));
    let body = payload().into_bytes();
    c.bench_function("sign a 256-byte body", |b| b.iter(|| signature::sign(&secret, "msg_1", NOW_MS / 1000, &body)));
    let signed = signature::sign(&secret, "msg_1", NOW_MS / 1000, &body);
    let headers = SignedHeaders { id: Some("msg_1"), timestamp: Some("1732350000"), signature: Some(&signed) };
    c.bench_function("verify a 256-byte body", |b| {
        b.iter(|| signature::verify([&secret], headers, &body, NOW_MS / 1000))
    });
}

fn validation(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap_or_else(|err| panic!("the built-in catalog: {err}"));
    let event_type = catalog.get("productCreated").unwrap_or_else(|| panic!("productCreated is in the catalog"));
    let value: serde_json::Value =
        serde_json::from_str(&payload()).unwrap_or_else(|err| panic!("the bench payload: {err}"));
    // The accepting path, which walks the whole schema: a payload that failed would stop at its first error.
    if let Err(err) = event_type.validate(&value) {
        panic!("the bench payload must be a valid productCreated: {err}");
    }
    c.bench_function("validate a productCreated payload", |b| b.iter(|| event_type.validate(&value)));
}

criterion_group!(benches, encoding, signing, validation);
criterion_main!(benches);
