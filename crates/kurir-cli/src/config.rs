//! `kurir.toml`: `kurir serve`'s settings in a file, beside flags and `KURIR_*` variables.
//!
//! Precedence: a flag beats its environment variable, which beats the file, which beats the default. The file's
//! keys are the flags' names (`listen`, `data_dir` or `data-dir`, `database_url`, `log_format` ...); each one
//! stands in for its `KURIR_*` variable when that is not set, so clap applies the rest of the order. The file is
//! `--config FILE` (or `KURIR_CONFIG`), else `./kurir.toml` when there is one. An unknown key, a nested table or a
//! value that is not a string, number or boolean is refused with the key's name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};

/// The default file, used when it exists.
pub const DEFAULT_FILE: &str = "kurir.toml";

/// The config file `args` name (`--config X` / `--config=X`), or `KURIR_CONFIG`, or `./kurir.toml` if present.
pub fn file_named(args: &[String]) -> Option<PathBuf> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    if let Some(path) = std::env::var_os("KURIR_CONFIG") {
        return Some(PathBuf::from(path));
    }
    Path::new(DEFAULT_FILE).exists().then(|| PathBuf::from(DEFAULT_FILE))
}

/// The environment variables a config file's text stands for: `{"KURIR_LISTEN": "0.0.0.0:8780", ...}`.
/// `settings` maps each key the file may use (the flag's name, `_` or `-`) to its variable.
pub fn variables(
    text: &str,
    file: &Path,
    settings: &BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = text.parse().map_err(|err| anyhow!("{}: not TOML: {err}", file.display()))?;
    let mut variables = BTreeMap::new();
    for (key, value) in table {
        let variable = settings.get(&key.replace('-', "_")).ok_or_else(|| {
            let known: Vec<&str> = settings.keys().map(String::as_str).collect();
            anyhow!("{}: unknown setting `{key}` (known: {})", file.display(), known.join(", "))
        })?;
        let text = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => return Err(anyhow!("{}: `{key}` must be a string, a number or true/false", file.display())),
        };
        variables.insert(variable.clone(), text);
    }
    Ok(variables)
}

/// The settings `kurir serve` takes from a file: each flag that has a `KURIR_*` variable, by its name.
pub fn serve_settings() -> BTreeMap<String, String> {
    use clap::CommandFactory as _;
    let command = crate::cli::Cli::command();
    let Some(serve) = command.find_subcommand("serve") else { return BTreeMap::new() };
    serve
        .get_arguments()
        .filter_map(|arg| {
            let variable = arg.get_env()?.to_str()?.to_owned();
            Some((arg.get_id().as_str().to_owned(), variable))
        })
        .collect()
}

/// Reads the config file `args` name, if any, and sets each of its settings' variables that is not set already.
/// Runs before the command line is parsed and before any thread starts.
pub fn apply(args: &[String]) -> anyhow::Result<()> {
    let Some(file) = file_named(args) else { return Ok(()) };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("cannot read the config file {}", file.display()))?;
    for (variable, value) in variables(&text, &file, &serve_settings())? {
        if std::env::var_os(&variable).is_none() {
            std::env::set_var(variable, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_serve_flag_with_a_variable_is_a_setting() {
        let settings = serve_settings();
        assert_eq!(settings.get("listen").map(String::as_str), Some("KURIR_LISTEN"));
        assert_eq!(settings.get("data_dir").map(String::as_str), Some("KURIR_DATA_DIR"));
        assert_eq!(settings.get("log_format").map(String::as_str), Some("KURIR_LOG_FORMAT"));
    }

    #[test]
    fn a_file_becomes_variables_and_bad_keys_are_named() {
        let file = Path::new("kurir.toml");
        let settings = serve_settings();
        let text =
            "listen = \"0.0.0.0:8780\"\ndata-dir = \"/var/lib/kurir\"\nlease_secs = 10\nallow_private_targets = true\n";
        let variables = variables(text, file, &settings).unwrap_or_default();
        assert_eq!(variables.get("KURIR_LISTEN").map(String::as_str), Some("0.0.0.0:8780"));
        assert_eq!(variables.get("KURIR_DATA_DIR").map(String::as_str), Some("/var/lib/kurir"));
        assert_eq!(variables.get("KURIR_LEASE_SECS").map(String::as_str), Some("10"));
        assert_eq!(variables.get("KURIR_ALLOW_PRIVATE_TARGETS").map(String::as_str), Some("true"));
        let unknown = super::variables("lisen = \"x\"", file, &settings).err().map(|e| e.to_string());
        assert!(unknown.is_some_and(|e| e.contains("unknown setting `lisen`") && e.contains("listen")));
        let nested = super::variables("[listen]\nx = 1", file, &settings).err().map(|e| e.to_string());
        assert!(nested.is_some_and(|e| e.contains("`listen` must be a string")));
        let broken = super::variables("listen = ", file, &settings).err().map(|e| e.to_string());
        assert!(broken.is_some_and(|e| e.starts_with("kurir.toml: not TOML")));
    }

    #[test]
    fn the_example_file_holds_only_known_settings() {
        let example = include_str!("../../../docs/kurir.example.toml");
        let variables = variables(example, Path::new("docs/kurir.example.toml"), &serve_settings());
        let variables = variables.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(variables.get("KURIR_LOG_FORMAT").map(String::as_str), Some("text"));
        assert!(variables.len() >= 8, "{variables:?}");
    }

    #[test]
    fn the_file_is_named_by_flag_or_variable() {
        let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(file_named(&args(&["kurir", "serve", "--config", "a.toml"])), Some(PathBuf::from("a.toml")));
        assert_eq!(file_named(&args(&["kurir", "--config=b.toml", "serve"])), Some(PathBuf::from("b.toml")));
    }
}
