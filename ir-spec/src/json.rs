//! Strict JSON text parsing: syntax errors with line, column and JSON pointer, and
//! duplicate object keys (which serde_json would silently resolve as "last one
//! wins") reported with the pointer of every duplicate.

use std::collections::VecDeque;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::fault::{Fault, FaultSink, Faults, push_token, quote};

/// Parses JSON text into a value, refusing duplicate object keys anywhere.
///
/// Every duplicate key is reported (up to the fault limit) with its JSON pointer;
/// a syntax error is reported with its line and column and the pointer of the
/// value being read when it occurred. Nesting deeper than 128 levels is refused
/// (serde_json's recursion limit), so no input can overflow the stack.
///
/// Numbers are read as Python's `json` reads them: `-0` is the integer 0 (only
/// `-0.0`, `-0e0` and the like are the float -0.0), integers are kept exactly.
pub fn parse_json(text: &str) -> Result<Value, Faults> {
    let mut ctx = Ctx {
        text,
        path: Vec::new(),
        duplicates: Vec::new(),
        negative_zeros: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = ValueSeed { ctx: &mut ctx }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    let mut sink = FaultSink::default();
    match parsed {
        Ok(value) => {
            for f in ctx.duplicates {
                sink.push(f);
            }
            sink.finish().map(|()| value)
        }
        Err(e) => {
            let pointer = ctx.pointer();
            let node = node_of_path(&ctx.path);
            // Duplicates found before the syntax error are real faults too.
            for f in ctx.duplicates {
                sink.push(f);
            }
            let message = format!(
                "the document is not valid JSON: {} at line {} column {}",
                bare_message(&e),
                e.line(),
                e.column()
            );
            sink.push(Fault {
                node,
                pointer,
                message,
            });
            Err(sink.finish().expect_err("a fault was pushed"))
        }
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// One step of the path to the value being parsed.
#[derive(Debug)]
enum Token {
    Key(String),
    Index(usize),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Key(k) => f.write_str(k),
            Token::Index(i) => write!(f, "{i}"),
        }
    }
}

#[derive(Debug)]
struct Ctx<'t> {
    /// The text being parsed.
    text: &'t str,
    path: Vec<Token>,
    duplicates: Vec<Fault>,
    /// For each number of the text that is a negative zero, in order, whether
    /// it is written `-0` (an integer); found on the first negative zero.
    negative_zeros: Option<VecDeque<bool>>,
}

impl Ctx<'_> {
    /// Whether the next negative zero serde_json reads (it reads `-0` as the
    /// float -0.0) was written as the integer `-0`.
    fn negative_zero_is_integer(&mut self) -> bool {
        let text = self.text;
        self.negative_zeros
            .get_or_insert_with(|| negative_zero_tokens(text))
            .pop_front()
            .unwrap_or(false)
    }

    fn pointer(&self) -> String {
        let mut p = String::new();
        for t in &self.path {
            push_token(&mut p, &t.to_string());
        }
        p
    }
}

/// Every number token of `text` (outside strings) whose value is a negative
/// zero, in order: true for `-0` itself, false for `-0.0`, `-0e5`, `-1e-400`...
/// serde_json reads numbers in text order, so this lines up with its -0.0s.
fn negative_zero_tokens(text: &str) -> VecDeque<bool> {
    let bytes = text.as_bytes();
    let mut out = VecDeque::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if token.starts_with('-') && token.parse::<f64>().is_ok_and(|v| v == 0.0) {
                    out.push_back(token == "-0");
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The node a path is inside: `/nodes/<id>/...` or `/graph/<key>/...` at the top.
fn node_of_path(path: &[Token]) -> Option<String> {
    match path {
        [Token::Key(top), Token::Key(id), ..] if top == "nodes" || top == "graph" => {
            Some(id.clone())
        }
        _ => None,
    }
}

struct ValueSeed<'a, 't> {
    ctx: &'a mut Ctx<'t>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        if v == 0.0 && v.is_sign_negative() && self.ctx.negative_zero_is_integer() {
            return Ok(Value::Number(0.into()));
        }
        // serde_json never produces a non-finite float from text.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.ctx.path.push(Token::Index(items.len()));
            let Some(item) = seq.next_element_seed(ValueSeed {
                ctx: &mut *self.ctx,
            })?
            else {
                self.ctx.path.pop();
                break;
            };
            self.ctx.path.pop();
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.ctx.path.push(Token::Key(key));
            let value = map.next_value_seed(ValueSeed {
                ctx: &mut *self.ctx,
            })?;
            let Some(Token::Key(key)) = self.ctx.path.pop() else {
                unreachable!("the path is balanced: the key pushed above is on top")
            };
            let key = match object.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                    continue;
                }
                serde_json::map::Entry::Occupied(first) => first.key().clone(),
            };
            let node = node_of_path(&self.ctx.path).or_else(|| {
                matches!(self.ctx.path.as_slice(), [Token::Key(t)] if t == "nodes" || t == "graph")
                    .then(|| key.clone())
            });
            let mut pointer = self.ctx.pointer();
            push_token(&mut pointer, &key);
            let message = match self.ctx.path.as_slice() {
                [Token::Key(t)] if t == "nodes" => {
                    format!("node id {} is defined more than once", quote(&key))
                }
                [Token::Key(t)] if t == "graph" => {
                    format!("key {} is defined more than once", quote(&key))
                }
                _ => format!(
                    "the key {} appears more than once in this object (a duplicate is an error, not \"last one wins\")",
                    quote(&key)
                ),
            };
            self.ctx.duplicates.push(Fault {
                node,
                pointer,
                message,
            });
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_serde_json() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "s", {"b": {}}], "c": 18446744073709551615}"#;
        let ours = parse_json(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        // Key order is kept.
        let keys: Vec<_> = parse_json(r#"{"z":1,"a":2,"m":3}"#)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn duplicate_node_ids_are_reported_with_pointer() {
        let text = r#"{"tessera": 1, "nodes": {"a": {"op": "ones"}, "b": {}, "a": {"op": "zeros"}}, "outputs": []}"#;
        let faults = parse_json(text).unwrap_err();
        assert_eq!(faults.len(), 1);
        let f = &faults.0[0];
        assert_eq!(f.node.as_deref(), Some("a"));
        assert_eq!(f.pointer, "/nodes/a");
        assert_eq!(
            f.to_string(),
            r#"node "a" (/nodes/a): node id "a" is defined more than once"#
        );
    }

    #[test]
    fn every_duplicate_anywhere_is_reported() {
        let text = r#"{"x": 1, "nodes": {"c": {"op": "getitem", "index": [1, {"k/": 1, "k/": 2}], "op": "x"}}, "x": 2}"#;
        let faults = parse_json(text).unwrap_err();
        let pointers: Vec<_> = faults.0.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/nodes/c/index/1/k~1", "/nodes/c/op", "/x"]);
        assert_eq!(faults.0[0].node.as_deref(), Some("c"));
        assert_eq!(faults.0[2].node, None);
    }

    #[test]
    fn syntax_errors_give_line_column_and_pointer() {
        let text = "{\"nodes\": {\n  \"a\": {\"op\": \"ones\",, }\n}}";
        let faults = parse_json(text).unwrap_err();
        let f = &faults.0[0];
        assert_eq!(f.node.as_deref(), Some("a"));
        assert!(f.pointer.starts_with("/nodes/a"), "{f}");
        assert!(f.message.contains("line 2 column"), "{f}");
        let trailing = parse_json("{} x").unwrap_err();
        assert!(
            trailing.0[0].message.contains("trailing characters"),
            "{trailing}"
        );
        assert!(parse_json("").is_err());
    }

    #[test]
    fn minus_zero_is_the_integer_zero_as_python_reads_it() {
        let v = parse_json(
            r#"{"a": -0, "b": [-0.0, "-0", -0, -0e0, -1e-400, -0], "c": -0.5, "-0": -0}"#,
        )
        .unwrap();
        assert_eq!(v["a"], serde_json::json!(0));
        assert!(v["a"].is_i64());
        let b = v["b"].as_array().unwrap();
        assert!(b[0].is_f64() && b[0].as_f64().unwrap().is_sign_negative());
        assert_eq!(b[1], "-0");
        assert!(b[2].is_i64());
        assert!(b[3].is_f64() && b[4].is_f64());
        assert!(b[5].is_i64());
        assert_eq!(v["c"], serde_json::json!(-0.5));
        assert!(v["-0"].is_i64());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = "[".repeat(100_000);
        let faults = parse_json(&text).unwrap_err();
        assert!(faults.0[0].message.contains("recursion limit"), "{faults}");
    }
}
