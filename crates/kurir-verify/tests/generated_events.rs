//! The typed catalog events of `src/events/` are generated from the catalog's JSON Schemas (`catalog/*/*.json`)
//! by this test, which fails when a generated file is not what the catalog gives today. After a catalog change:
//!
//! ```text
//! KURIR_REGENERATE=1 cargo test -p kurir-verify --test generated_events
//! ```
//!
//! The mapping: `string` → `String`, `integer` → `i64`, `number` → `f64`, `boolean` → `bool`, a string-or-number
//! (ZORT sends many numbers as text) → `NumberOrText`, an object with properties → a struct of its own, an array →
//! `Vec`, no type → `serde_json::Value`; a field that is not required, or may be null, is an `Option`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// ZORT's trigger names are one upper-case word; these are the words they are made of.
const ZORT_WORDS: [&str; 13] = [
    "ADD",
    "DELETE",
    "UPDATE",
    "RETURN",
    "PURCHASE",
    "ORDER",
    "PAYMENT",
    "TRACKING",
    "PRODUCT",
    "QUANTITY",
    "CONTACT",
    "TRANSFER",
    "WAREHOUSE",
];

const RUST_KEYWORDS: [&str; 12] =
    ["type", "match", "ref", "self", "struct", "enum", "fn", "mod", "use", "move", "box", "where"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One catalog type: its name, platform, title, schema and examples.
struct EventType {
    name: String,
    platform: String,
    title: String,
    schema: Value,
    examples: Vec<Value>,
}

fn catalog(platform: &str) -> Vec<EventType> {
    let dir = root().join("catalog").join(platform);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let file: Value = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            EventType {
                name: file["name"].as_str().unwrap_or_default().to_owned(),
                platform: platform.to_owned(),
                title: file["title"].as_str().unwrap_or_default().to_owned(),
                schema: file["schema"].clone(),
                examples: file["examples"].as_array().into_iter().flatten().map(|e| e["payload"].clone()).collect(),
            }
        })
        .collect()
}

/// `productCreated` → `ProductCreated`; `ADDRETURNORDER` → `AddReturnOrder`.
fn type_name(event: &EventType) -> String {
    if event.platform != "zort" {
        return pascal(&event.name);
    }
    let mut rest = event.name.as_str();
    let mut name = String::new();
    while !rest.is_empty() {
        let word =
            ZORT_WORDS.iter().filter(|w| rest.starts_with(**w)).max_by_key(|w| w.len()).unwrap_or_else(|| {
                panic!("{}: `{rest}` is not made of known words; add them to ZORT_WORDS", event.name)
            });
        name.push_str(&word[..1]);
        name.push_str(&word[1..].to_ascii_lowercase());
        rest = &rest[word.len()..];
    }
    name
}

/// The words of a JSON field name: `SalesNTax` → sales, n, tax; `ARAmount` → ar, amount; `Invoice_Count`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = vec![String::new()];
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            words.push(String::new());
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_ascii_uppercase()
            && (previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (previous.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase())));
        if starts_word {
            words.push(String::new());
        }
        if let Some(last) = words.last_mut() {
            last.push(c.to_ascii_lowercase());
        }
    }
    words.into_iter().filter(|w| !w.is_empty()).collect()
}

fn pascal(name: &str) -> String {
    words(name).iter().map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect()
}

fn snake(name: &str) -> String {
    let snake = words(name).join("_");
    match snake.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{snake}"),
        None => "_".to_owned(),
        _ if RUST_KEYWORDS.contains(&snake.as_str()) => format!("r#{snake}"),
        _ => snake,
    }
}

/// `Variants` → `Variant`, `Categories` → `Category`: the name of one item of an array.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with('s') && !name.ends_with("ss") {
        name[..name.len() - 1].to_owned()
    } else {
        format!("{name}Item")
    }
}

/// A doc comment's lines, indented.
fn doc(text: &str, indent: &str) -> String {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("{indent}/// {}\n", l.trim())).collect()
}

/// Writes the structs of one platform's file.
#[derive(Default)]
struct Generator {
    structs: Vec<String>,
    taken: HashSet<String>,
    /// The event type whose structs are being made, for their docs.
    owner: String,
}

impl Generator {
    /// The Rust type of a schema, making the structs it needs; `hint` names them.
    fn rust_type(&mut self, schema: &Value, hint: &str) -> String {
        let types: Vec<&str> = match &schema["type"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        let mut kinds: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        kinds.sort_unstable();
        let base = match kinds.as_slice() {
            ["string"] => "String".to_owned(),
            ["integer"] => "i64".to_owned(),
            ["number"] => "f64".to_owned(),
            ["boolean"] => "bool".to_owned(),
            ["number", "string"] => "NumberOrText".to_owned(),
            ["array"] => {
                let item = match schema.get("items") {
                    Some(items) => self.rust_type(items, &singular(hint)),
                    None => "Value".to_owned(),
                };
                format!("Vec<{item}>")
            }
            ["object"] if schema["properties"].as_object().is_some_and(|p| !p.is_empty()) => {
                self.object(schema, hint, None)
            }
            ["object"] => "serde_json::Map<String, Value>".to_owned(),
            _ => return "Value".to_owned(),
        };
        if nullable {
            format!("Option<{base}>")
        } else {
            base
        }
    }

    /// A struct for an object schema; its name.
    fn object(&mut self, schema: &Value, hint: &str, about: Option<String>) -> String {
        let mut name = hint.to_owned();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{hint}{n}");
            n += 1;
        }
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut fields = String::new();
        let mut used = HashSet::new();
        for (json_name, property) in schema["properties"].as_object().into_iter().flatten() {
            let field_hint = format!("{hint}{}", pascal(json_name));
            let mut rust = self.rust_type(property, &field_hint);
            if !required.contains(&json_name.as_str()) && !rust.starts_with("Option<") {
                rust = format!("Option<{rust}>");
            }
            let mut ident = snake(json_name);
            while !used.insert(ident.clone()) {
                ident.push('_');
            }
            fields.push_str(&doc(property["description"].as_str().unwrap_or_default(), "    "));
            if ident.trim_start_matches("r#") != json_name {
                let _ = writeln!(fields, "    #[serde(rename = {json_name:?})]");
            }
            let _ = writeln!(fields, "    pub {ident}: {rust},");
        }
        let about = about.unwrap_or_else(|| format!("A part of [`{}`].", self.owner));
        let mut out = doc(&about, "");
        out.push_str("#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]\n");
        let _ = write!(out, "pub struct {name} {{\n{fields}}}\n");
        self.structs.push(out);
        name
    }
}

/// Who defines a platform's types, in words.
fn vendor(platform: &str) -> &'static str {
    match platform {
        "zort" => "ZORT",
        "dealpos" => "DealPOS",
        _ => "kurir",
    }
}

/// One platform's file.
fn platform_file(platform: &str, events: &[EventType]) -> String {
    let mut generator = Generator::default();
    let mut top = Vec::new();
    for event in events {
        let name = type_name(event);
        generator.owner.clone_from(&name);
        let about = format!("`{}`: {}.", event.name, event.title);
        if event.schema["type"] == "array" {
            let item = generator.rust_type(&event.schema["items"], &format!("{name}Item"));
            top.push(format!("{}pub type {name} = Vec<{item}>;\n", doc(&about, "")));
        } else {
            generator.object(&event.schema, &name, Some(about));
        }
    }
    let vendor = vendor(platform);
    let body: String = top.iter().chain(&generator.structs).map(|item| format!("\n{item}")).collect();
    let mut out = format!(
        "//! {vendor}'s event types as Rust types, one per catalog type.\n//!\n//! Generated from `catalog/{platform}/*.json` \
         by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.\n\nuse serde::{{Deserialize, Serialize}};\n"
    );
    // Only what the types use, so the file compiles without warnings.
    if body.contains("Value") {
        out.push_str("use serde_json::Value;\n");
    }
    if body.contains("NumberOrText") {
        out.push_str("\nuse super::NumberOrText;\n");
    }
    out.push_str(&body);
    out
}

/// The enum of every type and the dispatch from a type's name.
fn all_file(events: &[EventType]) -> String {
    let mut variants = String::new();
    let mut parse = String::new();
    let mut names = String::new();
    let mut seen = HashSet::new();
    for event in events {
        let name = type_name(event);
        assert!(seen.insert(name.clone()), "two event types are both `{name}`");
        let vendor = vendor(&event.platform);
        let _ = write!(
            variants,
            "    /// {vendor} `{}`: {}.\n    {name}({}::{name}),\n",
            event.name, event.title, event.platform
        );
        let _ = writeln!(parse, "            {:?} => Self::{name}(Deserialize::deserialize(payload)?),", event.name);
        let _ = writeln!(names, "            Self::{name}(_) => {:?},", event.name);
    }
    format!(
        "//! Every catalog event type in one enum, chosen by the type's name.\n//!\n//! Generated from `catalog/*/*.json` \
         by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.\n\n\
         use serde::Deserialize;\nuse serde_json::Value;\n\nuse super::{{dealpos, kurir, zort}};\n\n\
         /// One event of any catalog type, typed; [`CatalogEvent::Custom`] for a type the catalog does not have (a \
         tenant's own).\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum CatalogEvent {{\n{variants}    \
         /// A type the catalog does not have: its name and payload as they came.\n    Custom {{ event_type: String, \
         payload: Value }},\n}}\n\nimpl CatalogEvent {{\n    /// The payload of an event of type `event_type`, typed. A \
         catalog type whose payload does not fit is an error.\n    pub fn parse(event_type: &str, payload: &Value) -> \
         Result<Self, serde_json::Error> {{\n        Ok(match event_type {{\n{parse}            _ => Self::Custom {{ \
         event_type: event_type.to_owned(), payload: payload.clone() }},\n        }})\n    }}\n\n    /// The catalog's \
         name of the event's type.\n    pub fn event_type(&self) -> &str {{\n        match self {{\n{names}            \
         Self::Custom {{ event_type, .. }} => event_type,\n        }}\n    }}\n}}\n"
    )
}

#[test]
fn the_generated_events_are_what_the_catalog_gives() {
    let dealpos = catalog("dealpos");
    let zort = catalog("zort");
    let kurir = catalog("kurir");
    assert!(dealpos.len() > 20 && zort.len() > 20, "the catalog was not found under {}", root().display());
    let mut everything: Vec<EventType> = Vec::new();
    let files: BTreeMap<&str, String> = [
        ("dealpos.rs", platform_file("dealpos", &dealpos)),
        ("zort.rs", platform_file("zort", &zort)),
        ("kurir.rs", platform_file("kurir", &kurir)),
        ("all.rs", {
            everything.extend(dealpos);
            everything.extend(zort);
            everything.extend(kurir);
            all_file(&everything)
        }),
    ]
    .into();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/events");
    let regenerate = std::env::var_os("KURIR_REGENERATE").is_some();
    for (file, generated) in files {
        let path = dir.join(file);
        let formatted = rustfmt(&generated);
        if regenerate {
            std::fs::write(&path, &formatted).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            continue;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == formatted,
            "{} is not what the catalog gives; run KURIR_REGENERATE=1 cargo test -p kurir-verify --test generated_events",
            path.display()
        );
    }
}

/// The generated text as rustfmt writes it, so the comparison does not depend on line breaks.
fn rustfmt(text: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--config-path"])
        .arg(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("rustfmt: {err}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).unwrap_or_else(|err| panic!("rustfmt: {err}"));
    }
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("rustfmt: {err}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_catalog_example_reads_as_its_type() {
    use kurir_verify::CatalogEvent;
    let mut read = 0;
    for event in catalog("dealpos").into_iter().chain(catalog("zort")).chain(catalog("kurir")) {
        for example in &event.examples {
            let typed = CatalogEvent::parse(&event.name, example)
                .unwrap_or_else(|err| panic!("{}'s example does not read as its type: {err}\n{example}", event.name));
            assert!(!matches!(typed, CatalogEvent::Custom { .. }), "{} is not a typed event", event.name);
            assert_eq!(typed.event_type(), event.name);
            read += 1;
        }
    }
    assert!(read >= 56, "only {read} examples read");
}

#[test]
fn a_payload_that_breaks_its_type_is_an_error_and_an_unknown_type_is_custom() {
    use kurir_verify::CatalogEvent;
    let shift = catalog("dealpos").into_iter().find(|e| e.name == "closeShift").map(|e| e.examples[0].clone());
    let mut shift = shift.unwrap_or_else(|| panic!("no closeShift example"));
    assert!(CatalogEvent::parse("closeShift", &shift).is_ok());
    // DealPOS's doc marks the shift's ID required.
    shift.as_object_mut().map(|o| o.remove("ID"));
    let err = CatalogEvent::parse("closeShift", &shift).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("ID"), "{err}");
    let custom = CatalogEvent::parse("loyalty.points_added", &serde_json::json!({"points": 5}));
    assert!(matches!(custom, Ok(CatalogEvent::Custom { ref event_type, .. }) if event_type == "loyalty.points_added"));
}
