//! Architecture invariants that a test can hold: the pure crates stay pure, and crates depend one way.

use std::path::Path;

/// The `kurir-*` and other dependencies named in a crate's `[dependencies]` table.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|err| panic!("{}: {err}", manifest.display()));
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                names.push(name.trim().to_owned());
            }
        }
    }
    names
}

#[test]
fn the_pure_crates_depend_on_nothing_that_does_io() {
    let io_crates = ["tokio", "reqwest", "rusqlite", "axum", "hyper", "tokio-postgres", "sqlx"];
    for krate in ["kurir-core", "kurir-wire", "kurir-verify"] {
        let deps = dependencies(krate);
        assert!(!deps.is_empty(), "{krate} has no dependencies listed; is the parser broken?");
        for io in io_crates {
            assert!(!deps.iter().any(|d| d == io), "{krate} must not depend on {io}");
        }
    }
}

#[test]
fn crates_depend_one_way() {
    let allowed: [(&str, &[&str]); 10] = [
        ("kurir-testpg", &[]),
        ("kurir-verify", &[]),
        ("kurir-metrics", &[]),
        ("kurir-core", &[]),
        ("kurir-wire", &["kurir-core", "kurir-verify"]),
        ("kurir-store", &["kurir-core", "kurir-metrics"]),
        ("kurir-engine", &["kurir-core", "kurir-wire", "kurir-store", "kurir-metrics"]),
        ("kurir-api", &["kurir-core", "kurir-wire", "kurir-store", "kurir-engine", "kurir-metrics"]),
        ("kurir-dashboard", &["kurir-core", "kurir-store", "kurir-engine", "kurir-api"]),
        (
            "kurir-cli",
            &[
                "kurir-core",
                "kurir-wire",
                "kurir-verify",
                "kurir-store",
                "kurir-engine",
                "kurir-api",
                "kurir-dashboard",
                "kurir-metrics",
            ],
        ),
    ];
    // A new crate must take its place in this order.
    let crates_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let entries = std::fs::read_dir(&crates_dir).unwrap_or_else(|err| panic!("{}: {err}", crates_dir.display()));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(allowed.iter().any(|(krate, _)| *krate == name), "crates/{name} is missing from the dependency order");
    }
    for (krate, may_use) in allowed {
        for dep in dependencies(krate).iter().filter(|d| d.starts_with("kurir-")) {
            assert!(may_use.contains(&dep.as_str()), "{krate} must not depend on {dep}");
        }
    }
}

/// A route of the API is added with `utoipa_axum`'s `routes!`, which brings its OpenAPI description along; a bare
/// `.route(` would serve it undescribed.
#[test]
fn every_api_route_is_added_with_its_description() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kurir-api/src");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    let mut files = 0;
    for entry in entries.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        files += 1;
        for (number, line) in text.lines().enumerate() {
            for bare in [".route(", ".route_service(", ".nest_service("] {
                assert!(
                    !line.contains(bare),
                    "{}:{}: `{bare}` adds a route without its OpenAPI description; use `.routes(routes!(handler))` \
                     with a #[utoipa::path] on the handler",
                    entry.path().display(),
                    number + 1
                );
            }
        }
    }
    assert!(files > 10, "found only {files} files in {}", dir.display());
}
