//! tessera.
