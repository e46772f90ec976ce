//! The `logcopilot` binary: parses arguments and hands over to the library.

use clap::Parser;

fn main() {
    let cli = logcopilot::cli::Cli::parse();
    std::process::exit(logcopilot::cli::run(cli));
}
