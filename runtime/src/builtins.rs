//! The built-in functions of the graph format, with Python's scalar semantics:
//! `identity inc dec add sub mul div floordiv mod neg abs max min sum len list
//! getitem`.
//!
//! Integers stay integers and overflow is an error (Python would grow a big
//! integer; tessera refuses rather than wrap around). `bool` counts as an
//! integer in arithmetic, as in Python. Mixing int and float promotes to float.
//! `div` is true division, `floordiv` and `mod` follow Python's floor rules (the
//! remainder takes the divisor's sign), and dividing by zero is an error of the
//! task. `sum` of floats uses Neumaier's compensated summation, as Python 3.12+
//! does. Arrays are not handled here: the array kernels are.

use std::cmp::Ordering;
use std::sync::Arc;

use ndarray::Axis;

use crate::error::TaskError;
use crate::registry::{Kwargs, Registry};
use crate::value::{Array, Value};
use crate::with_array;

/// Registers every built-in function.
pub(crate) fn register(registry: &mut Registry) {
    type Builtin = fn(&[Value]) -> Result<Value, TaskError>;
    let table: [(&str, &str, &str, Builtin); 17] = [
        (
            "identity",
            "identity(x) -> x",
            "Returns its argument unchanged.",
            identity,
        ),
        ("inc", "inc(x: int | float) -> int | float", "x + 1.", inc),
        ("dec", "dec(x: int | float) -> int | float", "x - 1.", dec),
        (
            "add",
            "add(a, b) -> int | float | str | list | tuple",
            "a + b: numbers, or concatenation of two strings, lists or tuples.",
            |a| binary(a, "add", add),
        ),
        (
            "sub",
            "sub(a: number, b: number) -> number",
            "a - b.",
            |a| binary(a, "sub", sub),
        ),
        (
            "mul",
            "mul(a, b) -> int | float | str | list | tuple",
            "a * b: numbers, or a string, list or tuple repeated an integer number of times.",
            |a| binary(a, "mul", mul),
        ),
        (
            "div",
            "div(a: number, b: number) -> float",
            "a / b: true division (always a float); division by zero is an error.",
            |a| binary(a, "div", div),
        ),
        (
            "floordiv",
            "floordiv(a: number, b: number) -> int | float",
            "a // b: floor division (rounds toward negative infinity).",
            |a| binary(a, "floordiv", floordiv),
        ),
        (
            "mod",
            "mod(a: number, b: number) -> int | float",
            "a % b: the remainder has the sign of the divisor, as in Python.",
            |a| binary(a, "mod", modulo),
        ),
        ("neg", "neg(x: number) -> number", "-x.", |a| {
            unary(a, "neg", neg)
        }),
        ("abs", "abs(x: number) -> number", "|x|.", |a| {
            unary(a, "abs", abs)
        }),
        (
            "max",
            "max(items: list) -> item",
            "The largest item of one list (or of two or more arguments); the first wins ties.",
            |a| extreme(a, "max", Ordering::Greater),
        ),
        (
            "min",
            "min(items: list) -> item",
            "The smallest item of one list (or of two or more arguments); the first wins ties.",
            |a| extreme(a, "min", Ordering::Less),
        ),
        (
            "sum",
            "sum(items: list, start=0) -> number",
            "The sum of a list of numbers (Python's sum: ints stay ints, floats are summed with compensation).",
            sum,
        ),
        (
            "len",
            "len(x: list | tuple | str | array) -> int",
            "Number of items (characters of a string, length of an array's first axis).",
            len,
        ),
        (
            "list",
            "list(x: list | tuple | str | array) -> list",
            "The items of x as a list (an array is split along its first axis).",
            list,
        ),
        (
            "getitem",
            "getitem(x: list | tuple | str, i: int) -> item",
            "x[i]; negative indices count from the end.",
            getitem,
        ),
    ];
    for (name, signature, doc, f) in table {
        registry.register(name, signature, doc, move |args: &[Value], _: &Kwargs| {
            f(args)
        });
    }
}

/// A number, with Python's `bool` read as an `int`.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Bool(b) => Some(Num::Int(i64::from(*b))),
        Value::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

impl Num {
    fn float(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
    fn value(self) -> Value {
        match self {
            Num::Int(i) => Value::Int(i),
            Num::Float(f) => Value::Float(f),
        }
    }
}

fn arity(args: &[Value], n: usize) -> Result<(), TaskError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(TaskError::Arity {
            expected: n.to_string(),
            got: args.len(),
        })
    }
}

fn operand_error(symbol: &str, a: &Value, b: &Value) -> TaskError {
    TaskError::Type(format!(
        "unsupported operand type(s) for {symbol}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

fn binary(
    args: &[Value],
    _name: &str,
    op: fn(&Value, &Value) -> Result<Value, TaskError>,
) -> Result<Value, TaskError> {
    arity(args, 2)?;
    op(&args[0], &args[1])
}

fn unary(
    args: &[Value],
    name: &'static str,
    op: fn(Num) -> Result<Num, TaskError>,
) -> Result<Value, TaskError> {
    arity(args, 1)?;
    match num(&args[0]) {
        Some(x) => op(x).map(Num::value),
        None => Err(TaskError::Type(format!(
            "bad operand type for {name}: '{}'",
            args[0].type_name()
        ))),
    }
}

/// Applies an arithmetic operator: ints with `int`, anything with a float with
/// `float` (ints converted, as Python does).
fn arith(
    a: &Value,
    b: &Value,
    symbol: &str,
    int: impl Fn(i64, i64) -> Result<i64, TaskError>,
    float: impl Fn(f64, f64) -> Result<f64, TaskError>,
) -> Result<Value, TaskError> {
    match (num(a), num(b)) {
        (Some(Num::Int(x)), Some(Num::Int(y))) => int(x, y).map(Value::Int),
        (Some(x), Some(y)) => float(x.float(), y.float()).map(Value::Float),
        _ => Err(operand_error(symbol, a, b)),
    }
}

fn identity(args: &[Value]) -> Result<Value, TaskError> {
    arity(args, 1)?;
    Ok(args[0].clone())
}

fn inc(args: &[Value]) -> Result<Value, TaskError> {
    arity(args, 1)?;
    // Fast path for the most common task of all.
    if let Value::Int(i) = args[0] {
        return i
            .checked_add(1)
            .map(Value::Int)
            .ok_or(TaskError::Overflow("inc"));
    }
    add(&args[0], &Value::Int(1))
}

fn dec(args: &[Value]) -> Result<Value, TaskError> {
    arity(args, 1)?;
    sub(&args[0], &Value::Int(1))
}

fn concat(a: &[Value], b: &[Value]) -> Arc<[Value]> {
    a.iter().chain(b).cloned().collect()
}

fn add(a: &Value, b: &Value) -> Result<Value, TaskError> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_add(*y)
            .map(Value::Int)
            .ok_or(TaskError::Overflow("add")),
        (Value::Str(x), Value::Str(y)) => Ok(Value::Str(format!("{x}{y}").into())),
        (Value::List(x), Value::List(y)) => Ok(Value::List(concat(x, y))),
        (Value::Tuple(x), Value::Tuple(y)) => Ok(Value::Tuple(concat(x, y))),
        _ => arith(
            a,
            b,
            "+",
            |x, y| x.checked_add(y).ok_or(TaskError::Overflow("add")),
            |x, y| Ok(x + y),
        ),
    }
}

fn sub(a: &Value, b: &Value) -> Result<Value, TaskError> {
    arith(
        a,
        b,
        "-",
        |x, y| x.checked_sub(y).ok_or(TaskError::Overflow("sub")),
        |x, y| Ok(x - y),
    )
}

/// The repetition count `n` of a sequence of `len` items of `item_bytes` each,
/// checked against the bytes a task may allocate before anything is built.
fn repeat_count(len: usize, n: i64, item_bytes: usize) -> Result<usize, TaskError> {
    let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    crate::budget::check_allocation(
        "repetition of a sequence",
        &format_args!("{len} items x {n}"),
        len.checked_mul(n),
        item_bytes,
    )
    .map_err(TaskError::value_error)?;
    Ok(n)
}

fn repeat(items: &[Value], n: i64) -> Result<Arc<[Value]>, TaskError> {
    let n = repeat_count(items.len(), n, std::mem::size_of::<Value>())?;
    Ok(items
        .iter()
        .cycle()
        .take(items.len() * n)
        .cloned()
        .collect())
}

fn mul(a: &Value, b: &Value) -> Result<Value, TaskError> {
    let int_of = |v: &Value| match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    match (a, b) {
        (Value::Str(s), n) | (n, Value::Str(s)) if int_of(n).is_some() => {
            let n = repeat_count(s.len(), int_of(n).unwrap_or(0), 1)?;
            Ok(Value::Str(s.repeat(n).into()))
        }
        (Value::List(items), n) | (n, Value::List(items)) if int_of(n).is_some() => {
            Ok(Value::List(repeat(items, int_of(n).unwrap_or(0))?))
        }
        (Value::Tuple(items), n) | (n, Value::Tuple(items)) if int_of(n).is_some() => {
            Ok(Value::Tuple(repeat(items, int_of(n).unwrap_or(0))?))
        }
        _ => arith(
            a,
            b,
            "*",
            |x, y| x.checked_mul(y).ok_or(TaskError::Overflow("mul")),
            |x, y| Ok(x * y),
        ),
    }
}

fn div(a: &Value, b: &Value) -> Result<Value, TaskError> {
    match (num(a), num(b)) {
        (Some(_), Some(y)) if y.float() == 0.0 => Err(TaskError::ZeroDivision("division by zero")),
        // NumPy's true_divide and Python agree for |ints| < 2^53; beyond, the
        // operands are rounded to float first, as NumPy does.
        (Some(x), Some(y)) => Ok(Value::Float(x.float() / y.float())),
        _ => Err(operand_error("/", a, b)),
    }
}

/// Python's `divmod` of floats (`Objects/floatobject.c`, `_float_div_mod`).
fn float_divmod(vx: f64, wx: f64) -> (f64, f64) {
    let mut m = vx % wx;
    let mut d = (vx - m) / wx;
    if m != 0.0 {
        if (wx < 0.0) != (m < 0.0) {
            m += wx;
            d -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(wx);
    }
    let floordiv = if d != 0.0 {
        let f = d.floor();
        if d - f > 0.5 { f + 1.0 } else { f }
    } else {
        0.0f64.copysign(vx / wx)
    };
    (floordiv, m)
}

fn floordiv(a: &Value, b: &Value) -> Result<Value, TaskError> {
    arith(
        a,
        b,
        "//",
        |x, y| {
            if y == 0 {
                return Err(TaskError::ZeroDivision(
                    "integer division or modulo by zero",
                ));
            }
            let q = x.checked_div(y).ok_or(TaskError::Overflow("floordiv"))?;
            Ok(if x % y != 0 && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            })
        },
        |x, y| {
            if y == 0.0 {
                return Err(TaskError::ZeroDivision("float floor division by zero"));
            }
            Ok(float_divmod(x, y).0)
        },
    )
}

fn modulo(a: &Value, b: &Value) -> Result<Value, TaskError> {
    arith(
        a,
        b,
        "%",
        |x, y| {
            if y == 0 {
                return Err(TaskError::ZeroDivision(
                    "integer division or modulo by zero",
                ));
            }
            // `i64::MIN % -1` overflows in Rust; every `x % -1` is 0.
            let r = if y == -1 { 0 } else { x % y };
            Ok(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        },
        |x, y| {
            if y == 0.0 {
                return Err(TaskError::ZeroDivision("float modulo"));
            }
            Ok(float_divmod(x, y).1)
        },
    )
}

fn neg(x: Num) -> Result<Num, TaskError> {
    match x {
        Num::Int(i) => i
            .checked_neg()
            .map(Num::Int)
            .ok_or(TaskError::Overflow("neg")),
        Num::Float(f) => Ok(Num::Float(-f)),
    }
}

fn abs(x: Num) -> Result<Num, TaskError> {
    match x {
        Num::Int(i) => i
            .checked_abs()
            .map(Num::Int)
            .ok_or(TaskError::Overflow("abs")),
        Num::Float(f) => Ok(Num::Float(f.abs())),
    }
}

/// Exact comparison of an int and a float, as Python does (no rounding of the
/// int); `None` when the float is NaN.
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // In range: -2^63 <= t < 2^63, so the cast is exact.
    Some(i.cmp(&(t as i64)).then_with(|| {
        let frac = f - t;
        if frac > 0.0 {
            Ordering::Less
        } else if frac < 0.0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

/// Python's ordering of two values; `Ok(None)` for unordered (NaN).
fn py_cmp(a: &Value, b: &Value, symbol: &str) -> Result<Option<Ordering>, TaskError> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.cmp(y))),
        _ => match (num(a), num(b)) {
            (Some(Num::Int(x)), Some(Num::Int(y))) => Ok(Some(x.cmp(&y))),
            (Some(Num::Float(x)), Some(Num::Float(y))) => Ok(x.partial_cmp(&y)),
            (Some(Num::Int(x)), Some(Num::Float(y))) => Ok(cmp_int_float(x, y)),
            (Some(Num::Float(x)), Some(Num::Int(y))) => {
                Ok(cmp_int_float(y, x).map(Ordering::reverse))
            }
            _ => Err(TypeErrorCmp(symbol, a, b).into()),
        },
    }
}

struct TypeErrorCmp<'a>(&'a str, &'a Value, &'a Value);

impl From<TypeErrorCmp<'_>> for TaskError {
    fn from(TypeErrorCmp(symbol, a, b): TypeErrorCmp<'_>) -> TaskError {
        TaskError::Type(format!(
            "'{symbol}' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))
    }
}

/// The items of a single list/tuple argument, or the arguments themselves
/// when there are two or more (as Python's `max(a, b)`).
fn items_of<'a>(args: &'a [Value], name: &str) -> Result<&'a [Value], TaskError> {
    match args {
        [Value::List(items)] | [Value::Tuple(items)] => Ok(items),
        [other] => Err(TaskError::Type(format!(
            "{name}: expected a list, got {}",
            other.type_name()
        ))),
        [] => Err(TaskError::Arity {
            expected: "1 or more".into(),
            got: 0,
        }),
        many => Ok(many),
    }
}

fn extreme(args: &[Value], name: &str, wanted: Ordering) -> Result<Value, TaskError> {
    let items = items_of(args, name)?;
    let Some((first, rest)) = items.split_first() else {
        return Err(TaskError::value_error(format!(
            "{name}() arg is an empty sequence"
        )));
    };
    let symbol = if wanted == Ordering::Greater {
        ">"
    } else {
        "<"
    };
    let mut best = first;
    for item in rest {
        // Python replaces the current best only when `item > best` (`<` for min).
        if py_cmp(item, best, symbol)? == Some(wanted) {
            best = item;
        }
    }
    Ok(best.clone())
}

fn sum(args: &[Value]) -> Result<Value, TaskError> {
    let (items, start) = match args {
        [items] => (items, Value::Int(0)),
        [items, start] => (items, start.clone()),
        _ => {
            return Err(TaskError::Arity {
                expected: "1 or 2".into(),
                got: args.len(),
            });
        }
    };
    if matches!(start, Value::Str(_)) {
        return Err(TaskError::type_error(
            "sum() can't sum strings [use ''.join(seq) instead]",
        ));
    }
    let items: &[Value] = match items {
        Value::List(items) | Value::Tuple(items) => items,
        other => {
            return Err(TaskError::Type(format!(
                "'{}' object is not iterable",
                other.type_name()
            )));
        }
    };
    // CPython's fast paths: an int accumulator while items are ints, then a
    // float one with Neumaier compensation; anything else falls back to `+`.
    enum Acc {
        Int(i64),
        Float(f64, f64),
    }
    let mut acc = match num(&start) {
        Some(Num::Int(i)) => Acc::Int(i),
        Some(Num::Float(f)) => Acc::Float(f, 0.0),
        None => return items.iter().try_fold(start, |acc, item| add(&acc, item)),
    };
    for (i, item) in items.iter().enumerate() {
        acc = match (acc, num(item)) {
            (Acc::Int(a), Some(Num::Int(x))) => {
                Acc::Int(a.checked_add(x).ok_or(TaskError::Overflow("sum"))?)
            }
            (Acc::Int(a), Some(Num::Float(x))) => Acc::Float(a as f64 + x, 0.0),
            (Acc::Float(s, c), Some(Num::Float(x))) => {
                let t = s + x;
                let c = if s.abs() >= x.abs() {
                    c + ((s - t) + x)
                } else {
                    c + ((x - t) + s)
                };
                Acc::Float(t, c)
            }
            (Acc::Float(s, c), Some(Num::Int(x))) => Acc::Float(s + x as f64, c),
            (acc, None) => {
                let so_far = match acc {
                    Acc::Int(a) => Value::Int(a),
                    Acc::Float(s, c) => Value::Float(finish_float(s, c)),
                };
                return items[i..]
                    .iter()
                    .try_fold(so_far, |acc, item| add(&acc, item));
            }
        };
    }
    Ok(match acc {
        Acc::Int(a) => Value::Int(a),
        Acc::Float(s, c) => Value::Float(finish_float(s, c)),
    })
}

/// Adds the compensation unless it would turn an infinite sum into NaN.
fn finish_float(s: f64, c: f64) -> f64 {
    if c != 0.0 && c.is_finite() { s + c } else { s }
}

fn len(args: &[Value]) -> Result<Value, TaskError> {
    arity(args, 1)?;
    let n = match &args[0] {
        Value::List(items) | Value::Tuple(items) => items.len(),
        Value::Str(s) => s.chars().count(),
        Value::Array(a) => match a.shape().first() {
            Some(&n) => n,
            None => return Err(TaskError::type_error("len() of unsized object")),
        },
        other => {
            return Err(TaskError::Type(format!(
                "object of type '{}' has no len()",
                other.type_name()
            )));
        }
    };
    Ok(Value::Int(
        i64::try_from(n).map_err(|_| TaskError::Overflow("len"))?,
    ))
}

/// The items of an array along its first axis: scalars for a 1-d array,
/// zero-copy sub-arrays otherwise.
fn array_items(a: &Array) -> Result<Vec<Value>, TaskError> {
    if a.ndim() == 0 {
        return Err(TaskError::type_error("iteration over a 0-d array"));
    }
    let one_d = a.ndim() == 1;
    Ok(match a {
        Array::F64(x) if one_d => x.iter().map(|v| Value::Float(*v)).collect(),
        Array::F32(x) if one_d => x.iter().map(|v| Value::Float(f64::from(*v))).collect(),
        Array::I64(x) if one_d => x.iter().map(|v| Value::Int(*v)).collect(),
        Array::I32(x) if one_d => x.iter().map(|v| Value::Int(i64::from(*v))).collect(),
        Array::Bool(x) if one_d => x.iter().map(|v| Value::Bool(*v)).collect(),
        _ => with_array!(a, x => (0..x.shape()[0])
            .map(|i| Value::Array(x.clone().index_axis_move(Axis(0), i).into()))
            .collect()),
    })
}

fn list(args: &[Value]) -> Result<Value, TaskError> {
    let items: Arc<[Value]> = match args {
        [] => Arc::from(Vec::new()),
        [Value::List(items)] => items.clone(),
        [Value::Tuple(items)] => items.clone(),
        [Value::Str(s)] => s
            .chars()
            .map(|c| Value::Str(c.to_string().into()))
            .collect(),
        [Value::Array(a)] => array_items(a)?.into(),
        [other] => {
            return Err(TaskError::Type(format!(
                "'{}' object is not iterable",
                other.type_name()
            )));
        }
        _ => {
            return Err(TaskError::Arity {
                expected: "0 or 1".into(),
                got: args.len(),
            });
        }
    };
    Ok(Value::List(items))
}

fn getitem(args: &[Value]) -> Result<Value, TaskError> {
    arity(args, 2)?;
    let index = match &args[1] {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        other => {
            return Err(TaskError::Type(format!(
                "{} indices must be integers, not {}",
                args[0].type_name(),
                other.type_name()
            )));
        }
    };
    let resolve = |len: usize, what: &str| -> Result<usize, TaskError> {
        let len_i = i64::try_from(len).unwrap_or(i64::MAX);
        let i = if index < 0 { index + len_i } else { index };
        if (0..len_i).contains(&i) {
            Ok(i as usize)
        } else {
            Err(TaskError::Index(format!("{what} index out of range")))
        }
    };
    match &args[0] {
        Value::List(items) => Ok(items[resolve(items.len(), "list")?].clone()),
        Value::Tuple(items) => Ok(items[resolve(items.len(), "tuple")?].clone()),
        Value::Str(s) => {
            let i = resolve(s.chars().count(), "string")?;
            Ok(Value::Str(
                s.chars()
                    .nth(i)
                    .map(String::from)
                    .unwrap_or_default()
                    .into(),
            ))
        }
        other => Err(TaskError::Type(format!(
            "'{}' object is not subscriptable",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Result<Value, TaskError> {
        Registry::with_builtins()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .call(args, &Kwargs::new())
    }
    fn ok(name: &str, args: &[Value]) -> Value {
        call(name, args).unwrap_or_else(|e| panic!("{name}{args:?}: {e}"))
    }
    fn err(name: &str, args: &[Value]) -> String {
        call(name, args).expect_err(name).to_string()
    }
    fn i(x: i64) -> Value {
        Value::Int(x)
    }
    fn f(x: f64) -> Value {
        Value::Float(x)
    }
    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn l(items: &[Value]) -> Value {
        Value::List(items.to_vec().into())
    }
    fn same_float(v: Value, want: f64) {
        let Value::Float(got) = v else {
            panic!("expected a float, got {v:?}")
        };
        assert_eq!(got.to_bits(), want.to_bits(), "got {got:?}, want {want:?}");
    }

    // Expected values below are what CPython prints for the same expression.

    #[test]
    fn ints_stay_ints_and_overflow_is_an_error() {
        assert_eq!(ok("inc", &[i(41)]), i(42));
        assert_eq!(ok("dec", &[i(0)]), i(-1));
        assert_eq!(ok("add", &[i(2), i(3)]), i(5));
        assert_eq!(ok("sub", &[i(2), i(3)]), i(-1));
        assert_eq!(ok("mul", &[i(-4), i(3)]), i(-12));
        assert_eq!(ok("add", &[Value::Bool(true), Value::Bool(true)]), i(2)); // True+True
        assert_eq!(ok("neg", &[Value::Bool(true)]), i(-1)); // -True
        assert_eq!(err("inc", &[i(i64::MAX)]), "integer overflow in inc");
        assert_eq!(err("mul", &[i(i64::MAX), i(2)]), "integer overflow in mul");
        assert_eq!(err("neg", &[i(i64::MIN)]), "integer overflow in neg");
        assert_eq!(err("abs", &[i(i64::MIN)]), "integer overflow in abs");
        assert_eq!(
            err("floordiv", &[i(i64::MIN), i(-1)]),
            "integer overflow in floordiv"
        );
        assert_eq!(ok("abs", &[i(-3)]), i(3));
        assert_eq!(ok("abs", &[f(-2.5)]), f(2.5));
    }

    #[test]
    fn mixing_int_and_float_promotes() {
        assert_eq!(ok("add", &[i(1), f(0.5)]), f(1.5));
        assert_eq!(ok("mul", &[f(0.5), i(3)]), f(1.5));
        assert_eq!(ok("inc", &[f(0.5)]), f(1.5));
        same_float(ok("div", &[i(1), i(3)]), 1.0 / 3.0); // 0.3333333333333333
        assert_eq!(ok("div", &[i(6), i(3)]), f(2.0)); // true division
    }

    #[test]
    fn floor_division_and_modulo_follow_python_signs() {
        for (a, b, q, r) in [
            (7, 2, 3, 1),
            (-7, 2, -4, 1),
            (7, -2, -4, -1),
            (-7, -2, 3, -1),
            (7, 3, 2, 1),
            (-7, 3, -3, 2),
            (7, -3, -3, -2),
            (-7, -3, 2, -1),
            (-7, -1, 7, 0),
            (i64::MIN, -1, 0, 0),
        ] {
            if a != i64::MIN {
                assert_eq!(ok("floordiv", &[i(a), i(b)]), i(q), "{a} // {b}");
            }
            assert_eq!(ok("mod", &[i(a), i(b)]), i(r), "{a} % {b}");
        }
        // Floats, with CPython's results.
        same_float(ok("floordiv", &[f(7.5), i(2)]), 3.0);
        same_float(ok("floordiv", &[f(-7.5), i(2)]), -4.0);
        same_float(ok("mod", &[f(7.5), i(-2)]), -0.5);
        same_float(ok("mod", &[f(-7.5), i(2)]), 0.5);
        same_float(ok("mod", &[f(-0.0), i(5)]), 0.0);
        same_float(ok("mod", &[f(0.0), i(-5)]), -0.0);
        same_float(ok("floordiv", &[i(1), f(0.3)]), 3.0);
        same_float(ok("mod", &[i(1), f(0.3)]), 0.10000000000000003);
        same_float(ok("floordiv", &[f(-1e-300), f(1e300)]), -1.0);
        same_float(ok("floordiv", &[i(7), f(2.0)]), 3.0);
        same_float(ok("floordiv", &[f(5.0), f(-0.5)]), -10.0);
    }

    #[test]
    fn division_by_zero_is_an_error() {
        assert_eq!(err("div", &[i(1), i(0)]), "division by zero");
        assert_eq!(err("div", &[f(1.0), f(0.0)]), "division by zero");
        assert_eq!(
            err("floordiv", &[i(1), i(0)]),
            "integer division or modulo by zero"
        );
        assert_eq!(
            err("mod", &[i(1), i(0)]),
            "integer division or modulo by zero"
        );
        assert_eq!(
            err("floordiv", &[f(1.0), i(0)]),
            "float floor division by zero"
        );
        assert_eq!(err("mod", &[f(1.0), f(0.0)]), "float modulo");
    }

    #[test]
    fn add_and_mul_work_on_sequences_as_python() {
        assert_eq!(ok("add", &[s("ab"), s("c")]), s("abc"));
        assert_eq!(ok("add", &[l(&[i(1)]), l(&[i(2)])]), l(&[i(1), i(2)]));
        let t = |x: &[Value]| Value::Tuple(x.to_vec().into());
        assert_eq!(ok("add", &[t(&[i(1)]), t(&[s("x")])]), t(&[i(1), s("x")]));
        assert_eq!(ok("mul", &[s("ab"), i(2)]), s("abab"));
        assert_eq!(ok("mul", &[i(2), l(&[i(1)])]), l(&[i(1), i(1)]));
        assert_eq!(ok("mul", &[l(&[i(1)]), i(-3)]), l(&[]));
        assert_eq!(
            err("add", &[i(1), s("x")]),
            "unsupported operand type(s) for +: 'int' and 'str'"
        );
        assert_eq!(
            err("add", &[l(&[]), t(&[])]),
            "unsupported operand type(s) for +: 'list' and 'tuple'"
        );
        assert!(err("mul", &[s("ab"), i(i64::MAX)]).contains("one task may use"));
        assert_eq!(
            err("sub", &[s("a"), s("b")]),
            "unsupported operand type(s) for -: 'str' and 'str'"
        );
    }

    #[test]
    fn sum_max_min_take_one_list() {
        assert_eq!(ok("sum", &[l(&[i(1), i(2), i(3)])]), i(6));
        assert_eq!(ok("sum", &[l(&[])]), i(0));
        assert_eq!(ok("sum", &[l(&[i(1), f(2.5), i(3)])]), f(6.5));
        // Python 3.12+ sums floats with Neumaier compensation.
        same_float(ok("sum", &[l(&[f(1e100), f(1.0), f(-1e100)])]), 1.0);
        same_float(ok("sum", &[l(&vec![f(0.1); 10])]), 1.0);
        assert_eq!(ok("sum", &[l(&[i(1)]), f(0.5)]), f(1.5));
        assert_eq!(
            ok("sum", &[l(&[l(&[i(1)]), l(&[i(2)])]), l(&[])]),
            l(&[i(1), i(2)])
        );
        assert_eq!(
            err("sum", &[l(&[i(i64::MAX), i(1)])]),
            "integer overflow in sum"
        );
        assert_eq!(
            err("sum", &[l(&[i(1), s("x")])]),
            "unsupported operand type(s) for +: 'int' and 'str'"
        );
        assert_eq!(ok("max", &[l(&[i(1), i(5), i(3)])]), i(5));
        assert_eq!(ok("max", &[l(&[i(1), f(1.0)])]), i(1)); // first wins ties
        assert_eq!(ok("max", &[l(&[f(1.0), i(1)])]), f(1.0));
        assert_eq!(ok("min", &[l(&[i(3), f(2.5), i(2)])]), i(2));
        assert_eq!(ok("max", &[i(4), i(9)]), i(9)); // max(4, 9)
        assert_eq!(ok("min", &[l(&[s("b"), s("a")])]), s("a"));
        // 2**63-1 > 9.3e18 is False in Python: compared exactly.
        assert_eq!(ok("max", &[l(&[i(i64::MAX), f(9.3e18)])]), f(9.3e18));
        // 2**63 (the float nearest 2**63-1) is larger than 2**63-1.
        let two_63 = 9_223_372_036_854_775_808.0;
        assert_eq!(ok("max", &[l(&[i(i64::MAX), f(two_63)])]), f(two_63));
        assert_eq!(err("max", &[l(&[])]), "max() arg is an empty sequence");
        assert_eq!(
            err("min", &[l(&[i(1), s("a")])]),
            "'<' not supported between instances of 'str' and 'int'"
        );
        assert_eq!(err("max", &[i(1)]), "max: expected a list, got int");
    }

    #[test]
    fn len_list_getitem() {
        assert_eq!(ok("len", &[l(&[i(1), i(2)])]), i(2));
        assert_eq!(ok("len", &[s("héllo")]), i(5));
        assert_eq!(err("len", &[i(1)]), "object of type 'int' has no len()");
        let t = Value::Tuple(vec![i(1), i(2)].into());
        assert_eq!(ok("list", std::slice::from_ref(&t)), l(&[i(1), i(2)]));
        assert_eq!(ok("list", &[s("ab")]), l(&[s("a"), s("b")]));
        assert_eq!(ok("list", &[]), l(&[]));
        assert_eq!(err("list", &[i(3)]), "'int' object is not iterable");
        let lst = l(&[i(10), i(20), i(30)]);
        assert_eq!(ok("getitem", &[lst.clone(), i(0)]), i(10));
        assert_eq!(ok("getitem", &[lst.clone(), i(-1)]), i(30));
        assert_eq!(ok("getitem", &[t, i(-2)]), i(1));
        assert_eq!(ok("getitem", &[s("héllo"), i(1)]), s("é"));
        assert_eq!(
            err("getitem", &[lst.clone(), i(3)]),
            "list index out of range"
        );
        assert_eq!(
            err("getitem", &[lst.clone(), i(-4)]),
            "list index out of range"
        );
        assert_eq!(
            err("getitem", &[lst, s("a")]),
            "list indices must be integers, not str"
        );
        assert_eq!(
            err("getitem", &[i(1), i(0)]),
            "'int' object is not subscriptable"
        );
        assert_eq!(ok("identity", &[s("x")]), s("x"));
        assert_eq!(err("identity", &[]), "expected 1 argument(s), got 0");
    }

    #[test]
    fn arrays_split_along_the_first_axis() {
        use ndarray::{ArrayD, IxDyn};
        let a = Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1i64, 2, 3, 4]).unwrap(),
        ));
        assert_eq!(ok("len", std::slice::from_ref(&a)), i(2));
        let Value::List(rows) = ok("list", &[a]) else {
            panic!("not a list")
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].to_json(), serde_json::json!([3, 4]));
        let v = Value::Array(Array::from(ArrayD::from_elem(IxDyn(&[2]), 1.5f64)));
        assert_eq!(ok("list", &[v]), l(&[f(1.5), f(1.5)]));
        let zero_d = Value::Array(Array::from(ArrayD::from_elem(IxDyn(&[]), 1.5f64)));
        assert_eq!(err("len", &[zero_d]), "len() of unsized object");
    }
}
