//! The default function registry: the built-in functions and every kernel.

use std::sync::OnceLock;

use tessera_runtime::Registry;

/// The registry `tessera run` uses: built-ins plus every array kernel, built once.
pub fn default_registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Registry::with_builtins();
        tessera_runtime::kernels::register_all(&mut registry);
        registry
    })
}
