//! `fuzz [INPUTS] [SEED]`: runs INPUTS generated inputs (100,000 unless told) through every
//! fuzz target and prints, per target, the inputs tried, the time taken and the failures (the
//! first five, with the input). Exits with 1 when any promise was broken or anything panicked.

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let inputs = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(2026);
    let mut broken = 0;
    for outcome in chorus_tests::fuzz::run(inputs, seed) {
        println!(
            "{:<28} {:>9} inputs  {:>8.1} s  {} failures",
            outcome.name,
            outcome.inputs,
            outcome.elapsed.as_secs_f64(),
            outcome.failures.len()
        );
        for (input, why) in &outcome.failures {
            println!("    {why}\n      input: {input:?}");
        }
        broken += outcome.failures.len();
    }
    if broken == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
