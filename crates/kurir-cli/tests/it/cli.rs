//! The command line's offline commands: `kurir catalog` and `kurir completions`.

use std::process::Command;

use serde_json::Value;

/// Runs `kurir` with `args`; returns whether it succeeded, its stdout and its stderr.
fn kurir(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kurir")).args(args).output().unwrap_or_else(|err| panic!("{err}"));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn the_catalog_is_listed_and_shown_without_a_server() {
    let (ok, table, _) = kurir(&["catalog", "list"]);
    assert!(ok && table.contains("productCreated") && table.contains("ADDPRODUCT"), "{table}");
    let (ok, zort, _) = kurir(&["catalog", "list", "--platform", "zort", "--json"]);
    let rows: Vec<Value> = serde_json::from_str(&zort).unwrap_or_else(|err| panic!("{err}: {zort}"));
    assert!(ok && rows.len() == 29 && rows.iter().all(|r| r["platform"] == "zort"), "{zort}");

    let (ok, shown, _) = kurir(&["catalog", "show", "productCreated", "--json"]);
    let detail: Value = serde_json::from_str(&shown).unwrap_or_else(|err| panic!("{err}: {shown}"));
    assert!(ok && detail["name"] == "productCreated" && detail["schema"].is_object(), "{shown}");
    assert_eq!(detail["ordering"]["entity"], "product", "{shown}");

    let (ok, _, said) = kurir(&["catalog", "show", "productCreatd"]);
    assert!(!ok, "an unknown type is an error");
    assert_eq!(said.trim().lines().count(), 1, "one clear line: {said}");
    assert!(said.contains("productCreatd") && said.contains("kurir catalog list"), "{said}");
}

#[test]
fn completions_are_printed_for_a_shell() {
    let (ok, script, _) = kurir(&["completions", "bash"]);
    assert!(ok && script.contains("kurir") && script.contains("catalog"), "{script}");
    let (ok, _, said) = kurir(&["completions", "tcsh-not-a-shell"]);
    assert!(!ok && said.contains("invalid value"), "{said}");
}
