//! The OpenAPI document: well formed, and describing what the router serves.

#[test]
fn dump() {
    std::fs::write("/tmp/openapi.json", kurir_api::document().to_pretty_json().unwrap()).unwrap();
}
