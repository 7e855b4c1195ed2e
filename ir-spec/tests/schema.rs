//! The committed JSON Schema is what the code generates. Regenerate it with
//! `TESSERA_BLESS=1 cargo test -p tessera-ir schema`.

use std::path::Path;

#[test]
fn schema_file_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/tessera-graph-v1.schema.json");
    let generated = tessera_ir::graph_schema_text();
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with `TESSERA_BLESS=1 cargo test -p tessera-ir schema`",
        path.display()
    );
}

#[test]
fn schema_names_every_op() {
    let schema = tessera_ir::graph_schema();
    let names = schema["$defs"]["Node"]["properties"]["op"]["enum"]
        .as_array()
        .unwrap();
    for op in tessera_ir::catalogue::all() {
        assert!(names.iter().any(|n| n == op.name), "{} missing", op.name);
    }
}
