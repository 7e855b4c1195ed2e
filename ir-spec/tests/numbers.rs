//! Integers in documents are read exactly and `-0` is the integer 0, as Python's
//! `json` reads them (issue: saturation to i64::MAX, i64::MAX refused through an
//! f64 range check, `-0` read as the float -0.0).

use tessera_ir::{DType, InferContext, parse_and_validate};

fn validate(nodes: &str) -> Result<tessera_ir::ValidGraph, String> {
    let text = format!(r#"{{"tessera": 1, "nodes": {{{nodes}}}, "outputs": ["x"]}}"#);
    parse_and_validate(&text, &InferContext::default()).map_err(|f| f.to_string())
}

fn dtype_of(nodes: &str) -> DType {
    let g = validate(nodes).unwrap();
    g.node(g.outputs[0]).meta.as_array().unwrap().dtype
}

#[test]
fn full_of_an_integer_beyond_int64_is_refused_not_saturated() {
    let e = validate(r#""x": {"op": "full", "shape": [2], "fill_value": 18446744073709551615}"#)
        .unwrap_err();
    assert!(
        e.contains("Python integer 18446744073709551615 out of bounds for int64"),
        "{e}"
    );
    let e = validate(
        r#""x": {"op": "full", "shape": [2], "fill_value": 9223372036854775808, "dtype": "int64"}"#,
    )
    .unwrap_err();
    assert!(e.contains("out of bounds for int64"), "{e}");
    // A float dtype takes it.
    assert_eq!(
        dtype_of(
            r#""x": {"op": "full", "shape": [2], "fill_value": 18446744073709551615, "dtype": "float64"}"#
        ),
        DType::Float64
    );
}

#[test]
fn int64_max_fits_int64_exactly() {
    assert_eq!(
        dtype_of(
            r#""x": {"op": "full", "shape": [2], "fill_value": 9223372036854775807, "dtype": "int64"}"#
        ),
        DType::Int64
    );
    assert_eq!(
        dtype_of(r#""x": {"op": "full", "shape": [2], "fill_value": -9223372036854775808}"#),
        DType::Int64
    );
    assert_eq!(
        dtype_of(
            r#""x": {"op": "array", "data": [9223372036854775807, -9223372036854775808], "dtype": "int64"}"#
        ),
        DType::Int64
    );
    let e = validate(r#""x": {"op": "array", "data": [1, 18446744073709551615]}"#).unwrap_err();
    assert!(e.contains("out of bounds for int64"), "{e}");
    let e =
        validate(r#""x": {"op": "array", "data": [2147483648], "dtype": "int32"}"#).unwrap_err();
    assert!(
        e.contains("Python integer 2147483648 out of bounds for int32"),
        "{e}"
    );
}

#[test]
fn minus_zero_is_an_integer_in_shapes_axes_and_fill_values() {
    let g = validate(r#""x": {"op": "zeros", "shape": [-0, 3]}"#).unwrap();
    assert_eq!(g.node(g.outputs[0]).meta.as_array().unwrap().shape, [0, 3]);
    validate(
        r#""a": {"op": "ones", "shape": [2, 3]}, "x": {"op": "sum", "args": ["a"], "axis": -0}"#,
    )
    .unwrap();
    assert_eq!(
        dtype_of(r#""x": {"op": "full", "shape": [2], "fill_value": -0}"#),
        DType::Int64
    );
    // -0.0 stays a float.
    assert_eq!(
        dtype_of(r#""x": {"op": "full", "shape": [2], "fill_value": -0.0}"#),
        DType::Float64
    );
}
