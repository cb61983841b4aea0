//! The `chorus` binary.

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
