//! `kurir store copy --from ./kurir-data --to postgres://...`: moves a whole SQLite store into PostgreSQL, with a
//! progress bar and a count check per table at the end.

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use kurir_store::copy;
use kurir_store::secrets::SecretBox;

use crate::cli::CopyArgs;

pub async fn run(args: CopyArgs) -> anyhow::Result<()> {
    crate::serve::init_logging("warn");
    let counts = copy::source_counts(&args.from).with_context(|| format!("cannot read {}", args.from.display()))?;
    let total: u64 = counts.iter().map(|(_, rows)| rows).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>18} [{bar:40}] {pos}/{len} rows")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut done_before: u64 = 0;
    let mut current = "";
    let mut last_in_table = 0;
    let mut on_progress = |progress: copy::Progress| {
        if progress.table != current {
            done_before += last_in_table;
            current = progress.table;
        }
        last_in_table = progress.copied;
        bar.set_message(progress.table);
        bar.set_position(done_before + progress.copied);
    };
    let secrets = secret_key(&args)?;
    let result = copy::sqlite_to_postgres(&args.from, &args.to, &secrets, args.resume, &mut on_progress).await;
    bar.finish_and_clear();
    let checked = result.context("the copy did not finish; run it again with --resume to complete it")?;
    println!("{:<18} {:>10} {:>10}", "table", "sqlite", "postgres");
    for count in &checked {
        println!("{:<18} {:>10} {:>10}", count.table, count.source, count.target);
    }
    println!(
        "\nEvery row is in PostgreSQL. Sealed secrets were copied sealed: start every node with KURIR_SECRET_KEY set \
         to the key this store used (the contents of {}, unless KURIR_SECRET_KEY was set).",
        args.from.join(kurir_store::secrets::KEY_FILE).display()
    );
    Ok(())
}

/// The key the store was sealed with: KURIR_SECRET_KEY, else the data directory's `secret.key` (never made here).
fn secret_key(args: &CopyArgs) -> anyhow::Result<SecretBox> {
    if let Some(key) = &args.secret_key {
        return SecretBox::from_base64(key).context("KURIR_SECRET_KEY must be the base64 of 32 bytes");
    }
    let file = args.from.join(kurir_store::secrets::KEY_FILE);
    anyhow::ensure!(
        file.exists(),
        "{} does not exist: set KURIR_SECRET_KEY to the key this store was sealed with",
        file.display()
    );
    Ok(SecretBox::from_data_dir(&args.from)?)
}
