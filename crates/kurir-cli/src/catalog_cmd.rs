//! `kurir catalog list|show TYPE`: the event types kurir knows, read from the catalog embedded in the binary, so
//! it works offline and without a server.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{bail, Context as _};
use kurir_core::catalog::{Catalog, EventType};
use serde_json::{json, Value};

use crate::cli::CatalogCommand;

pub fn run(command: CatalogCommand) -> anyhow::Result<()> {
    let catalog = Catalog::builtin().context("the embedded catalog is broken")?;
    match command {
        CatalogCommand::List { platform, json } => list(&catalog, platform.as_deref(), json),
        CatalogCommand::Show { name, json } => show(&catalog, &name, json),
    }
}

fn list(catalog: &Catalog, platform: Option<&str>, as_json: bool) -> anyhow::Result<()> {
    let mut types: Vec<&EventType> =
        catalog.iter().map(AsRef::as_ref).filter(|t| platform.is_none_or(|p| t.platform == p)).collect();
    if types.is_empty() {
        bail!("no event type of platform `{}`; the platforms are dealpos and zort", platform.unwrap_or_default());
    }
    types.sort_by(|a, b| (&a.platform, &a.category, &a.name).cmp(&(&b.platform, &b.category, &b.name)));
    if as_json {
        let rows: Vec<Value> = types.iter().map(|t| summary(t)).collect();
        return print(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
    }
    let width = types.iter().map(|t| t.name.len()).max().unwrap_or(4);
    let mut text = format!("{:<width$}  {:<8}  {:<16}  title\n", "name", "platform", "category");
    for t in types {
        writeln!(text, "{:<width$}  {:<8}  {:<16}  {}", t.name, t.platform, t.category, t.title)?;
    }
    print(&text)
}

fn show(catalog: &Catalog, name: &str, as_json: bool) -> anyhow::Result<()> {
    let Some(event_type) = catalog.get(name) else {
        bail!("no event type `{name}`; `kurir catalog list` shows them all");
    };
    let mut detail = summary(event_type);
    detail["description"] = event_type.description.clone().into();
    detail["schema"] = event_type.schema.clone();
    detail["example"] = event_type.examples.first().map(|e| e.payload.clone()).unwrap_or(Value::Null);
    if as_json {
        return print(&format!("{}\n", serde_json::to_string_pretty(&detail)?));
    }
    let mut text =
        format!("{} ({}, {}): {}\n", event_type.name, event_type.platform, event_type.category, event_type.title);
    writeln!(text, "\n{}", event_type.description)?;
    match &event_type.ordering {
        Some(rule) => writeln!(text, "\nordering key: {}:<the payload's {}>", rule.entity, rule.pointer)?,
        None => writeln!(text, "\nordering key: none (deliveries of this type may overtake each other)")?,
    }
    writeln!(text, "\nschema:\n{}", serde_json::to_string_pretty(&event_type.schema)?)?;
    if let Some(example) = event_type.examples.first() {
        writeln!(text, "\nexample ({}):\n{}", example.name, serde_json::to_string_pretty(&example.payload)?)?;
    }
    print(&text)
}

/// Writes to stdout; a reader that stopped reading (`| head`) is not an error.
fn print(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn summary(t: &EventType) -> Value {
    json!({
        "name": t.name,
        "platform": t.platform,
        "category": t.category,
        "title": t.title,
        "ordering": t.ordering.as_ref().map(|rule| json!({"entity": rule.entity, "pointer": rule.pointer})),
    })
}
