//! The `kurir` binary: parse the command line, then hand over to the library code of each command.
//!
//! Exit codes: 0 success, 1 a runtime failure (the cause is printed), 2 bad usage (clap prints why).

mod bench;
mod catalog_cmd;
mod cli;
mod client;
mod config;
mod listen;
mod manage;
mod node;
mod publish;
mod serve;
mod store_copy;

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: glibc's `malloc`/`free` (and `malloc_consolidate`) were a fifth of the
/// server's samples, and the same runs deliver 20-25 % more a second with mimalloc (BENCHMARKS.md, session 12).
/// It needs only the C compiler that SQLite's build needs already.
#[cfg(not(feature = "jemalloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// jemalloc instead, with `--features jemalloc`: as fast, with about half the resident memory, but its build
/// needs `make` (BENCHMARKS.md, sessions 6 and 12).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;

fn main() -> ExitCode {
    // The config file's settings become the KURIR_* variables not already set, before clap reads them.
    let args: Vec<String> = std::env::args().collect();
    if let Err(err) = config::apply(&args) {
        eprintln!("kurir: {err:#}");
        return ExitCode::FAILURE;
    }
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("kurir: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Serve(args) => serve::run(args).await,
            cli::Command::Bench(args) => bench::run(args).await,
            cli::Command::Migrate(args) => serve::migrate(args).await,
            cli::Command::Listen(args) => listen::run(args).await,
            cli::Command::Publish(args) => publish::run(args).await,
            cli::Command::Endpoints(args) => manage::endpoints(args).await,
            cli::Command::Deliveries(args) => manage::deliveries(args).await,
            cli::Command::Events(args) => manage::events(args).await,
            cli::Command::Replay(args) => manage::replay(args).await,
            cli::Command::Catalog(command) => catalog_cmd::run(command),
            cli::Command::Completions { shell } => {
                use clap::CommandFactory as _;
                clap_complete::generate(shell, &mut cli::Cli::command(), "kurir", &mut std::io::stdout());
                Ok(())
            }
            cli::Command::Store(cli::StoreCommand::Copy(args)) => store_copy::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kurir: {err:#}");
            ExitCode::FAILURE
        }
    }
}
