//! The `chorus` command, built inside the test package: the same `cli::run` as the real binary.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match chorus_server::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chorus: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
