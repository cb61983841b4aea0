//! The short fuzz run of CI: 3,000 generated inputs per target with a fixed seed, and as many
//! with a seed that changes every run (printed on failure, to replay with `fuzz 3000 SEED`).

#[test]
fn no_fuzz_target_panics_or_breaks_its_promise() {
    let varying = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs());
    for seed in [2026, varying] {
        for outcome in chorus_tests::fuzz::run(3_000, seed) {
            assert_eq!(outcome.inputs, 3_000);
            assert!(
                outcome.failures.is_empty(),
                "{} with seed {seed}: {:?}",
                outcome.name,
                outcome.failures
            );
        }
    }
}
