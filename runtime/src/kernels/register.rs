//! Registers every kernel family in a [`Registry`], under the op names of the
//! graph format (so `call` can use any array op on in-memory arrays) and the
//! helper names the chunked lowering emits.

use crate::error::TaskError;
use crate::registry::{Kwargs, Registry};
use crate::value::Value;

use super::KernelFn;

/// Every kernel table, in registration order.
fn tables() -> Vec<Vec<(&'static str, &'static str, KernelFn)>> {
    vec![
        super::elementwise::kernels(),
        super::reduce::kernels(),
        super::scan::kernels(),
        super::layout::kernels(),
        super::linalg::kernels(),
        super::random::kernels(),
        super::npy::kernels(),
        super::overlap::kernels(),
        super::chunk::kernels(),
        super::fused::kernels(),
    ]
}

/// Adds every kernel to `registry`.
///
/// Some names are both a built-in function with Python's semantics on scalars and
/// lists (`add`, `abs`, `max`, `min`, `sum`, `getitem`) and an array op. Such a name
/// dispatches on its arguments: a call with an array argument (or, for `getitem`,
/// an `index` keyword) goes to the array kernel, any other to the built-in.
pub fn register_all(registry: &mut Registry) {
    for table in tables() {
        for (name, signature, kernel) in table {
            let run_kernel = move |args: &[Value], kwargs: &Kwargs| {
                kernel(args, kwargs).map_err(TaskError::from)
            };
            let Some(builtin) = registry.get(name).cloned() else {
                registry.register(name, signature, "array kernel", run_kernel);
                continue;
            };
            let both = format!("{} | {signature}", builtin.signature());
            let doc = format!("{} On arrays: the array op.", builtin.doc());
            registry.register(name, &both, &doc, move |args: &[Value], kwargs: &Kwargs| {
                let on_arrays = args.iter().any(|a| matches!(a, Value::Array(_)))
                    || (name == "getitem" && kwargs.contains_key("index"));
                if on_arrays {
                    run_kernel(args, kwargs)
                } else {
                    builtin.call(args, kwargs)
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn registry() -> Registry {
        let mut r = Registry::with_builtins();
        register_all(&mut r);
        r
    }

    #[test]
    fn shared_names_dispatch_on_arrays() {
        let r = registry();
        let add = r.get("add").unwrap();
        assert_eq!(
            add.call(&[Value::Int(2), Value::Int(3)], &Kwargs::new())
                .unwrap(),
            Value::Int(5)
        );
        let x = Value::Array(ArrayD::from_elem(IxDyn(&[2]), 1.0f64).into());
        let y = add.call(&[x, Value::Int(3)], &Kwargs::new()).unwrap();
        assert_eq!(y.to_json(), serde_json::json!([4.0, 4.0]));
        let list = Value::List(vec![Value::Int(1), Value::Int(5)].into());
        assert_eq!(
            r.get("max").unwrap().call(&[list], &Kwargs::new()).unwrap(),
            Value::Int(5)
        );
    }

    #[test]
    fn every_lowering_helper_is_registered() {
        let r = registry();
        for name in [
            "chunk.assemble",
            "chunk.sum_list",
            "item",
            "from_delayed",
            "sum-partial",
            "sum-combine",
            "sum-finalize",
            "ones",
            "random.normal",
            "getitem",
            "linalg.cholesky",
        ] {
            assert!(r.get(name).is_some(), "{name} is not registered");
        }
    }
}
