//! Content-derived tokens: the `<token>` of Dask-style `name-<token>` keys.
//!
//! A node's token hashes its op, its attributes and the tokens of its arguments,
//! so the same expression always lowers to the same keys, and two equal
//! subexpressions share their tasks. XXH3 (128-bit) over a canonical byte stream;
//! the key shows its first 16 hex digits.

use xxhash_rust::xxh3::Xxh3;

/// Builds a token from the parts of an expression.
#[derive(Default)]
pub(crate) struct Tokenizer {
    hasher: Xxh3,
}

impl Tokenizer {
    /// A fresh tokenizer.
    pub(crate) fn new() -> Tokenizer {
        Tokenizer::default()
    }

    /// Adds a string, length-prefixed so that `("ab", "c")` and `("a", "bc")` differ.
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.hasher.update(&(s.len() as u64).to_le_bytes());
        self.hasher.update(s.as_bytes());
        self
    }

    /// Adds an integer.
    pub(crate) fn int(&mut self, i: u64) -> &mut Self {
        self.hasher.update(&i.to_le_bytes());
        self
    }

    /// Adds a JSON value in its canonical text (object keys keep their order, which
    /// is the document's: equal documents give equal tokens).
    pub(crate) fn json(&mut self, v: &serde_json::Value) -> &mut Self {
        self.str(&v.to_string())
    }

    /// The token: 16 lowercase hex digits.
    pub(crate) fn finish(&self) -> String {
        format!("{:016x}", self.hasher.digest128() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_and_length_prefixed() {
        let a = Tokenizer::new().str("ab").str("c").finish();
        let b = Tokenizer::new().str("a").str("bc").finish();
        let a2 = Tokenizer::new().str("ab").str("c").finish();
        assert_ne!(a, b);
        assert_eq!(a, a2);
        assert_eq!(a.len(), 16);
    }
}
