//! Faults of a graph document: what is wrong, in which node, at which JSON pointer.

use std::fmt;

/// The most faults one document reports; the rest are summarized in one line.
pub const FAULT_LIMIT: usize = 100;

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The id of the node the fault is in, when it is in a node.
    pub node: Option<String>,
    /// RFC 6901 JSON pointer of the faulty value in the document (`""` is the root).
    pub pointer: String,
    /// What is wrong, as a plain sentence.
    pub message: String,
}

impl Fault {
    /// A fault outside any node.
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault {
            node: None,
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// A fault in node `node`.
    pub fn in_node(
        node: impl Into<String>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Fault {
        Fault {
            node: Some(node.into()),
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        match &self.node {
            Some(node) => write!(f, "node {} ({pointer}): {}", quote(node), self.message),
            None => write!(f, "{pointer}: {}", self.message),
        }
    }
}

/// Every fault found in a document (at least one), in the order they were found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Faults(pub Vec<Fault>);

impl Faults {
    /// The faults as a slice.
    pub fn as_slice(&self) -> &[Fault] {
        &self.0
    }

    /// Number of faults.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none (a `Faults` returned as an error always has some).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{fault}")?;
        }
        Ok(())
    }
}

/// Collects faults up to [`FAULT_LIMIT`], then counts the rest.
#[derive(Debug, Default)]
pub(crate) struct FaultSink {
    faults: Vec<Fault>,
    dropped: usize,
}

impl FaultSink {
    pub(crate) fn push(&mut self, fault: Fault) {
        if self.faults.len() < FAULT_LIMIT {
            self.faults.push(fault);
        } else {
            self.dropped += 1;
        }
    }

    /// True when no more faults will be kept: work that only finds faults may stop.
    pub(crate) fn is_full(&self) -> bool {
        self.faults.len() >= FAULT_LIMIT
    }

    /// `Ok(())` when nothing was found, otherwise every fault kept plus a summary line.
    pub(crate) fn finish(mut self) -> Result<(), Faults> {
        if self.faults.is_empty() {
            return Ok(());
        }
        if self.dropped > 0 {
            self.faults.push(Fault::at(
                "",
                format!(
                    "at least {} more faults were found and are not shown (at most {FAULT_LIMIT} are listed)",
                    self.dropped
                ),
            ));
        }
        Err(Faults(self.faults))
    }
}

/// Appends one reference token to a JSON pointer, escaped as RFC 6901 says
/// (`~` becomes `~0`, `/` becomes `~1`).
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// A JSON pointer made of the given reference tokens.
pub(crate) fn pointer_of<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut pointer = String::new();
    for t in tokens {
        push_token(&mut pointer, t);
    }
    pointer
}

/// A JSON pointer built lazily: a chain of reference tokens on the stack, turned
/// into text only when a fault is reported (so walking a large document allocates
/// nothing per value).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    token: Token<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The document root (pointer `""`).
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        token: Token::Root,
    };

    /// This path followed by an object key.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            token: Token::Key(key),
        }
    }

    /// This path followed by a list index.
    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            token: Token::Index(index),
        }
    }

    /// The RFC 6901 pointer text.
    pub(crate) fn pointer(&self) -> String {
        let mut tokens = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            tokens.push(p.token);
            at = p.parent;
        }
        let mut out = String::new();
        for t in tokens.iter().rev() {
            match t {
                Token::Root => {}
                Token::Key(k) => push_token(&mut out, k),
                Token::Index(i) => {
                    out.push('/');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }
}

/// A node id or name in double quotes, JSON-escaped (so `"` and control characters
/// stay readable).
pub(crate) fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// The candidate closest to `name` by edit distance, if one is close enough to be
/// a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        // Compare with the whole name and with its last dotted part, so that
        // `cholesky` finds `linalg.cholesky`.
        let short = c.rsplit('.').next().unwrap_or(c);
        let score = strsim::jaro_winkler(name, c).max(strsim::jaro_winkler(name, short));
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `" (did you mean \"x\"?)"` or nothing.
pub(crate) fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(name, candidates) {
        Some(c) => format!("; did you mean {}?", quote(c)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_node_and_pointer() {
        let f = Fault::in_node(
            "c",
            "/nodes/c/index/0",
            "integer index 200 is out of range for axis 0 of length 100",
        );
        assert_eq!(
            f.to_string(),
            r#"node "c" (/nodes/c/index/0): integer index 200 is out of range for axis 0 of length 100"#
        );
        let g = Fault::at("", "the document is not an object");
        assert_eq!(g.to_string(), "/: the document is not an object");
        assert_eq!(
            Faults(vec![f.clone(), g]).to_string().lines().count(),
            2,
            "one fault per line"
        );
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        assert_eq!(pointer_of(["nodes", "a/b~c"]), "/nodes/a~1b~0c");
        assert_eq!(pointer_of([]), "");
    }

    #[test]
    fn lazy_paths_render_pointers() {
        let root = Path::ROOT;
        let nodes = root.key("nodes");
        let node = nodes.key("a/b");
        let arg = node.key("args");
        assert_eq!(arg.index(3).pointer(), "/nodes/a~1b/args/3");
        assert_eq!(Path::ROOT.pointer(), "");
    }

    #[test]
    fn sink_caps_and_summarizes() {
        let mut sink = FaultSink::default();
        for i in 0..FAULT_LIMIT + 5 {
            sink.push(Fault::at(format!("/{i}"), "bad"));
        }
        assert!(sink.is_full());
        let faults = sink.finish().unwrap_err();
        assert_eq!(faults.len(), FAULT_LIMIT + 1);
        assert!(
            faults
                .0
                .last()
                .unwrap()
                .message
                .starts_with("at least 5 more faults")
        );
        assert!(FaultSink::default().finish().is_ok());
    }

    #[test]
    fn suggestions_find_typos_only() {
        assert_eq!(
            closest("cholesky", ["linalg.cholesky", "exp"]),
            Some("linalg.cholesky")
        );
        assert_eq!(closest("chunk", ["chunks", "shape"]), Some("chunks"));
        assert_eq!(closest("zzz", ["chunks", "shape"]), None);
        assert_eq!(suggestion("shap", ["shape"]), "; did you mean \"shape\"?");
    }
}
