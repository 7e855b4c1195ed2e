//! Every document in `ir-spec/examples/` runs end to end through `tessera run`'s
//! library side and writes one file per output.

use std::path::Path;

use tessera::run::{RunOptions, run_source};
use tessera::source::Source;

#[test]
fn every_example_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ir-spec/examples");
    let mut examples: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 10, "only {} examples", examples.len());
    let mut failures = Vec::new();
    for path in &examples {
        let out = tempfile::tempdir().expect("temp dir");
        let source = Source::load(path.to_str().expect("utf-8")).expect("readable");
        let options = RunOptions {
            out_dir: out.path().to_path_buf(),
            stats_file: None,
            threads: Some(2),
            policy: "dask-order".into(),
            executor: "threads".into(),
            trace_file: None,
            data_root: None,
            progress: false,
            optimize: Default::default(),
            memory_limit: Default::default(),
        };
        match run_source(&source, &options) {
            Ok(report) => {
                for file in &report.written {
                    assert!(file.exists(), "{} missing", file.display());
                }
                assert!(!report.written.is_empty());
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
