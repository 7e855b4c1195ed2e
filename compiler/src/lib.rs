//! The tessera compiler.
