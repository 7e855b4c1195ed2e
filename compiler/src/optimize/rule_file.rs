//! Rewrite rules written as text (`--rules FILE` and the built-in pattern
//! rules): one `name: lhs => rhs [if cond(?x, ...) && ...]` per line, `#`
//! comments, patterns in egg's s-expression syntax over the array language.
//! A bad rule is refused with its line number.

use std::collections::HashSet;

use egg::{Id, Pattern, Rewrite, Var};
use tessera_ir::{DType, Meta};

use super::analysis::Graph;
use super::language::ArrayLang;
use super::rules::{Checked, Rule};

/// A named condition on a match: the matched class, then the classes of the
/// condition's variables.
#[derive(Clone, Copy)]
pub struct Condition {
    /// Its name in rule files.
    pub name: &'static str,
    /// Number of variables it takes.
    pub arity: usize,
    /// What it says, for the documentation.
    pub doc: &'static str,
    /// The check.
    pub check: fn(&Graph, Id, &[Id]) -> bool,
}

/// A rule file that cannot be used: the line (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RuleFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn dtype(g: &Graph, c: Id) -> Option<DType> {
    match g[c].data.meta.as_ref()? {
        Meta::Array(a) => Some(a.dtype),
        Meta::Scalar(kind, _) => Some(DType::of_scalar(*kind)),
        _ => None,
    }
}

fn is_scalar_like(g: &Graph, c: Id) -> bool {
    match &g[c].data.meta {
        Some(Meta::Scalar(..)) => true,
        Some(Meta::Array(a)) => a.shape.is_empty(),
        _ => false,
    }
}

/// The named conditions rule files may use.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        name: "is_scalar",
        arity: 1,
        doc: "a weak scalar literal or a 0-d array",
        check: |g, _, a| is_scalar_like(g, a[0]),
    },
    Condition {
        name: "is_zero",
        arity: 1,
        doc: "a known constant equal to +0 (not -0.0)",
        check: |g, _, a| {
            g[a[0]]
                .data
                .constant
                .is_some_and(|v| v == 0.0 && v.is_sign_positive())
        },
    },
    Condition {
        name: "is_neg_zero",
        arity: 1,
        doc: "a known constant equal to -0.0",
        check: |g, _, a| {
            g[a[0]]
                .data
                .constant
                .is_some_and(|v| v == 0.0 && v.is_sign_negative())
        },
    },
    Condition {
        name: "is_one",
        arity: 1,
        doc: "a known constant equal to 1",
        check: |g, _, a| g[a[0]].data.constant == Some(1.0),
    },
    Condition {
        name: "is_const",
        arity: 1,
        doc: "a known uniform constant (scalar literal, zeros, ones, full)",
        check: |g, _, a| g[a[0]].data.constant.is_some(),
    },
    Condition {
        name: "is_float",
        arity: 1,
        doc: "of a floating-point dtype",
        check: |g, _, a| dtype(g, a[0]).is_some_and(DType::is_float),
    },
    Condition {
        name: "is_integer",
        arity: 1,
        doc: "of an integer dtype",
        check: |g, _, a| dtype(g, a[0]).is_some_and(DType::is_integer),
    },
    Condition {
        name: "is_array",
        arity: 1,
        doc: "an array (not a scalar literal)",
        check: |g, _, a| g[a[0]].data.array().is_some(),
    },
    Condition {
        name: "same_shape",
        arity: 2,
        doc: "two arrays of the same shape",
        check: |g, _, a| match (g[a[0]].data.array(), g[a[1]].data.array()) {
            (Some(x), Some(y)) => x.shape == y.shape,
            _ => false,
        },
    },
    Condition {
        name: "keeps_chunks",
        arity: 1,
        doc: "an array chunked exactly as the matched expression",
        check: |g, root, a| match (g[root].data.array(), g[a[0]].data.array()) {
            (Some(x), Some(y)) => x.chunks == y.chunks,
            _ => false,
        },
    },
    Condition {
        name: "ndim_le_2",
        arity: 1,
        doc: "an array of at most 2 dimensions",
        check: |g, _, a| g[a[0]].data.array().is_some_and(|x| x.ndim() <= 2),
    },
    Condition {
        name: "is_identity",
        arity: 1,
        doc: "a permutation leaf that keeps every axis in place",
        check: |g, _, a| matches!(&g[a[0]].nodes[0], ArrayLang::Perm(p) if p.is_identity()),
    },
];

/// Parses rule text into rewrites (every line checked; the first fault is
/// reported).
pub(super) fn parse_rules(text: &str) -> Result<Vec<Rule>, RuleFileError> {
    let mut rules = Vec::new();
    let mut names = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fail = |message: String| RuleFileError {
            line: i + 1,
            message,
        };
        let rule = parse_line(line).map_err(fail)?;
        if !names.insert(rule.name) {
            return Err(fail(format!(
                "a rule named {:?} is already defined",
                rule.name.as_str()
            )));
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// The deepest nesting of parentheses a rule may have. egg's pattern parser
/// recurses once per level, so a deeper pattern is refused before it is
/// parsed (real rules nest a few levels).
pub(super) const MAX_PATTERN_DEPTH: usize = 64;

/// Refuses a line whose parentheses nest deeper than [`MAX_PATTERN_DEPTH`]
/// (one scan, no recursion).
fn check_depth(line: &str) -> Result<(), String> {
    let mut depth = 0usize;
    for (column, c) in line.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => continue,
        }
        if depth > MAX_PATTERN_DEPTH {
            return Err(format!(
                "a pattern nests deeper than {MAX_PATTERN_DEPTH} levels (at column {})",
                column + 1
            ));
        }
    }
    Ok(())
}

fn parse_line(line: &str) -> Result<Rule, String> {
    check_depth(line)?;
    let (name, rest) = line.split_once(':').ok_or("expected `name: lhs => rhs`")?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.*+".contains(c))
    {
        return Err(format!(
            "{name:?} is not a rule name (letters, digits, _ - .)"
        ));
    }
    let (lhs, rhs) = rest
        .split_once("=>")
        .ok_or("expected `=>` between the two patterns")?;
    let (rhs, cond) = match rhs.split_once(" if ") {
        Some((r, c)) => (r, Some(c)),
        None => (rhs, None),
    };
    let lhs: Pattern<ArrayLang> = lhs
        .trim()
        .parse()
        .map_err(|e| format!("left-hand side: {e}"))?;
    let rhs: Pattern<ArrayLang> = rhs
        .trim()
        .parse()
        .map_err(|e| format!("right-hand side: {e}"))?;
    if lhs.ast.as_ref().len() == 1 && matches!(lhs.ast.as_ref()[0], egg::ENodeOrVar::Var(_)) {
        return Err("the left-hand side must not be a bare variable".into());
    }
    let bound: HashSet<Var> = lhs.vars().into_iter().collect();
    for v in rhs.vars() {
        if !bound.contains(&v) {
            return Err(format!(
                "the right-hand side uses {v}, which the left-hand side does not bind"
            ));
        }
    }
    let mut conditions = Vec::new();
    if let Some(cond) = cond {
        for part in cond.split("&&") {
            let part = part.trim();
            let (cname, args) = part
                .strip_suffix(')')
                .and_then(|p| p.split_once('('))
                .ok_or_else(|| format!("condition {part:?}: expected name(?var, ...)"))?;
            let c = CONDITIONS
                .iter()
                .find(|c| c.name == cname.trim())
                .ok_or_else(|| {
                    let known: Vec<&str> = CONDITIONS.iter().map(|c| c.name).collect();
                    format!(
                        "unknown condition {:?}; known: {}",
                        cname.trim(),
                        known.join(", ")
                    )
                })?;
            let vars: Vec<Var> = args
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    let v: Var = a.parse().map_err(|_| format!("{a:?} is not a variable"))?;
                    if bound.contains(&v) {
                        Ok(v)
                    } else {
                        Err(format!(
                            "condition {}: {a} is not bound by the left-hand side",
                            c.name
                        ))
                    }
                })
                .collect::<Result<_, String>>()?;
            if vars.len() != c.arity {
                return Err(format!(
                    "condition {} takes {} variable(s), found {}",
                    c.name,
                    c.arity,
                    vars.len()
                ));
            }
            conditions.push((*c, vars));
        }
    }
    Rewrite::new(name, lhs, Checked { rhs, conditions }).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_with_conditions_and_comments() {
        let rules = parse_rules(
            "# identities\n\nneg2: (negative (negative ?x)) => ?x\n\
             mul1: (multiply ?x ?c) => ?x if is_one(?c) && is_array(?x)  # comment\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].name.as_str(), "mul1");
    }

    #[test]
    fn refuses_bad_rules_with_their_line() {
        let cases = [
            (
                "ok: (exp ?x) => ?x\nbad (exp ?x) => ?x",
                2,
                "expected `name:",
            ),
            ("r: (exp ?x) ?x", 1, "expected `=>`"),
            ("r: (nosuchop ?x) => ?x", 1, "left-hand side"),
            ("r: (exp ?x) => ?y", 1, "does not bind"),
            ("r: (exp ?x) => ?x if nope(?x)", 1, "unknown condition"),
            ("r: (exp ?x) => ?x if is_one(?x, ?x)", 1, "takes 1 variable"),
            ("r: (exp ?x) => ?x\nr: (log ?x) => ?x", 2, "already defined"),
            ("r: ?x => (exp ?x)", 1, "bare variable"),
            (
                &format!(
                    "ok: (exp ?x) => ?x\nr: {}?x{} => ?x",
                    "(exp ".repeat(65),
                    ")".repeat(65)
                ),
                2,
                "deeper than 64 levels",
            ),
        ];
        for (text, line, message) in cases {
            let e = parse_rules(text)
                .err()
                .unwrap_or_else(|| panic!("{text} parsed"));
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
    }
}
