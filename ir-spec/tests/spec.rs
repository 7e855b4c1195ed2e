//! `SPEC.md` holds the op catalogue as the code defines it: the section between the
//! `op-table` markers is generated from the catalogue. Regenerate it with
//! `TESSERA_BLESS=1 cargo test -p tessera-ir spec`.

use std::fmt::Write;
use std::path::Path;

use tessera_ir::catalogue::{self, Arity, AttrType, Family};

const BEGIN: &str = "<!-- op-table:begin (generated from the catalogue by tests/spec.rs) -->\n";
const END: &str = "<!-- op-table:end -->\n";

fn type_name(ty: AttrType) -> &'static str {
    match ty {
        AttrType::Int => "integer",
        AttrType::Number => "number",
        AttrType::Bool => "boolean",
        AttrType::Str => "string",
        AttrType::Shape => "shape (list of integers >= 0)",
        AttrType::ReshapeShape => "shape, one entry may be -1",
        AttrType::DType => "dtype name",
        AttrType::Chunks => "chunks",
        AttrType::Axis => "integer, list of integers, or null",
        AttrType::AxisOrNull => "integer or null",
        AttrType::IntList => "list of integers",
        AttrType::Index => "index (list of entries)",
        AttrType::NestedList => "nested lists of numbers or booleans",
        AttrType::Json => "any JSON",
        AttrType::Scalar => "number or boolean",
        AttrType::Object => "object",
    }
}

fn arity(a: Arity) -> String {
    match a {
        Arity::Exact(k) => k.to_string(),
        Arity::Range(lo, hi) => format!("{lo}–{hi}"),
        Arity::AtLeast(k) => format!("{k} or more"),
    }
}

/// Markdown text cannot hold a raw `|` inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn op_table() -> String {
    let mut out = String::from(BEGIN);
    for family in Family::ALL {
        let ops: Vec<_> = catalogue::all()
            .iter()
            .filter(|op| op.family == family)
            .collect();
        if ops.is_empty() {
            continue;
        }
        writeln!(out, "\n### {} ({} ops)\n", family.name(), ops.len()).unwrap();
        out.push_str("| op | signature | args | result |\n|---|---|---|---|\n");
        for op in &ops {
            writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                op.name,
                cell(&op.signature()),
                arity(op.arity),
                cell(op.doc)
            )
            .unwrap();
        }
        let with_attrs: Vec<_> = ops.iter().filter(|op| !op.attrs.is_empty()).collect();
        if !with_attrs.is_empty() {
            out.push_str("\nAttributes:\n\n| op | attribute | type | required / default | meaning |\n|---|---|---|---|---|\n");
            for op in with_attrs {
                for a in op.attrs {
                    let req = match (a.required, a.default) {
                        (true, _) => "required".to_owned(),
                        (false, Some(d)) => format!("`{d}`"),
                        (false, None) => "optional".to_owned(),
                    };
                    writeln!(
                        out,
                        "| `{}` | `{}` | {} | {} | {} |",
                        op.name,
                        a.name,
                        type_name(a.ty),
                        cell(&req),
                        cell(a.doc)
                    )
                    .unwrap();
                }
                if op.open_attrs {
                    writeln!(
                        out,
                        "| `{}` | *(any other)* | any JSON | optional | passed to the block function |",
                        op.name
                    )
                    .unwrap();
                }
            }
        }
    }
    out.push('\n');
    out.push_str(END);
    out
}

#[test]
fn spec_op_table_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("SPEC.md");
    let text = std::fs::read_to_string(&path).expect("SPEC.md exists");
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("SPEC.md has no op-table markers")
    };
    let current = &text[b..e + END.len()];
    let generated = op_table();
    if current == generated {
        return;
    }
    if std::env::var_os("TESSERA_BLESS").is_some() {
        let updated = format!("{}{}{}", &text[..b], generated, &text[e + END.len()..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "the op table of SPEC.md is stale: regenerate it with `TESSERA_BLESS=1 cargo test -p tessera-ir spec`"
    );
}

#[test]
fn spec_mentions_every_op_and_fault_kind() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SPEC.md")).unwrap();
    for op in catalogue::all() {
        assert!(
            text.contains(&format!("`{}`", op.name)),
            "SPEC.md does not mention {}",
            op.name
        );
    }
    for words in [
        "duplicate",
        "cycle",
        "unknown op",
        "unknown attribute",
        "JSON pointer",
        "Versioning",
    ] {
        assert!(text.contains(words), "SPEC.md does not mention {words}");
    }
}
