//! `chat-load`: the load generator. See `--help`.

use std::process::ExitCode;

use benches::cli::Args;
use clap::Parser;

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.check() {
        eprintln!("chat-load: {e}");
        return ExitCode::from(2);
    }
    match benches::driver::run(&args) {
        Ok(report) => {
            if args.json {
                println!("{}", report.json());
            } else {
                print!("{}", report.table());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chat-load: {e}");
            ExitCode::FAILURE
        }
    }
}
