//! The default function registry: the built-in functions and every kernel.

use std::sync::OnceLock;

use tessera_ir::InferContext;
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

/// `base` with its `from_npy` reading under `files`' root (a document's folder or
/// `--data-root`) rather than the working directory, when `files` names one.
pub fn with_files(base: &Registry, files: &InferContext) -> Option<Registry> {
    if files.base_dir.is_none() && files.data_root.is_none() {
        return None;
    }
    let mut registry = base.clone();
    tessera_runtime::kernels::npy::register_confined(&mut registry, files.clone());
    Some(registry)
}
