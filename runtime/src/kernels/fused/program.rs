//! A `fused` node's program compiled for one task: the steps that reach the
//! result (dead steps dropped), each bound to its elementwise kernel, operands
//! resolved to inputs, earlier registers, scalars or constants, and the register
//! each value can be freed after.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value as Json};
use tessera_ir::DType;
use tessera_ir::catalogue::fused::{Operand, parse_program};

use crate::kernels::{KernelError, KernelFn};
use crate::value::Value;

/// Every elementwise and reduction kernel by name, and the block kernels
/// (`chunk.assemble` joins the partials of a block's slabs).
static KERNELS: LazyLock<HashMap<&'static str, KernelFn>> = LazyLock::new(|| {
    let mut all = crate::kernels::elementwise::kernels();
    all.extend(crate::kernels::reduce::kernels());
    all.extend(crate::kernels::chunk::kernels());
    all.into_iter().map(|(name, _, f)| (name, f)).collect()
});

/// The kernel called `name` (elementwise ops, reduction helpers, block kernels).
pub(super) fn kernel(name: &str) -> Result<KernelFn, KernelError> {
    KERNELS
        .get(name)
        .copied()
        .ok_or_else(|| KernelError::new(format!("fused: no kernel {name:?}")))
}

/// Where an instruction reads an operand.
#[derive(Debug, Clone)]
pub(super) enum Src {
    /// Input `i` of the task (an array tile, or a weak scalar).
    Input(usize),
    /// The result of instruction `k`.
    Reg(usize),
    /// A weak scalar, or `None` for a missing `clip` bound.
    Value(Value),
    /// Constant `c` (a strong array of one value).
    Const(usize),
}

/// One compiled step.
#[derive(Debug, Clone)]
pub(super) struct Instr {
    /// The op's name (for messages).
    pub(super) name: &'static str,
    /// Its kernel.
    pub(super) kernel: KernelFn,
    /// Its operands.
    pub(super) args: Vec<Src>,
    /// Its attributes (`dtype` of `astype`).
    pub(super) attrs: Map<String, Json>,
    /// Registers whose last use is this instruction (free them after it).
    pub(super) frees: Vec<usize>,
}

/// A constant operand: its fill value, dtype and (block-local) shape.
#[derive(Debug, Clone)]
pub(super) struct Const {
    /// The fill value as a weak scalar.
    pub(super) fill: Value,
    /// Its dtype.
    pub(super) dtype: DType,
    /// Its shape in this task.
    pub(super) shape: Vec<usize>,
}

/// A compiled program: live instructions in order, the last is the result.
#[derive(Debug, Clone)]
pub(super) struct Program {
    /// The instructions.
    pub(super) instrs: Vec<Instr>,
    /// The constants.
    pub(super) consts: Vec<Const>,
    /// Which inputs the live instructions read.
    pub(super) used_inputs: Vec<usize>,
}

/// Compiles the `program` attribute of a fused task.
pub(super) fn compile(program: &Json) -> Result<Program, KernelError> {
    let steps = parse_program(program).map_err(|e| KernelError::new(format!("fused: {e}")))?;
    // Liveness: a reverse sweep from the last step (steps only read earlier ones).
    let n = steps.len();
    let mut live = vec![false; n];
    live[n - 1] = true;
    for k in (0..n).rev() {
        if live[k] {
            for a in &steps[k].args {
                if let Operand::Step(s) = a {
                    live[*s] = true;
                }
            }
        }
    }
    let mut reg_of = vec![usize::MAX; n];
    let mut instrs: Vec<Instr> = Vec::with_capacity(n);
    let mut consts = Vec::new();
    let mut used_inputs = Vec::new();
    for (k, step) in steps.into_iter().enumerate() {
        if !live[k] {
            continue;
        }
        let mut args = Vec::with_capacity(step.args.len());
        for a in step.args {
            args.push(match a {
                Operand::Input(i) => {
                    if !used_inputs.contains(&i) {
                        used_inputs.push(i);
                    }
                    Src::Input(i)
                }
                Operand::Step(s) => Src::Reg(reg_of[s]),
                Operand::Weak(_, v) => Src::Value(
                    Value::from_json(&v).map_err(|e| KernelError::new(format!("fused: {e}")))?,
                ),
                Operand::Null => Src::Value(Value::None),
                Operand::Const(c) => {
                    consts.push(Const {
                        fill: Value::from_json(&c.fill)
                            .map_err(|e| KernelError::new(format!("fused: {e}")))?,
                        dtype: c.dtype,
                        shape: c.shape,
                    });
                    Src::Const(consts.len() - 1)
                }
            });
        }
        // `x ** 2` with a Python integer 2 is `square(x)`, as NumPy's fast path:
        // the same dtype for every input dtype, the same values (a correctly
        // rounded `pow(x, 2)` is `x * x`), a multiplication instead of `powf`.
        let mut name = step.op.name;
        if name == "power" && matches!(args.get(1), Some(Src::Value(Value::Int(2)))) {
            name = "square";
            args.truncate(1);
        }
        reg_of[k] = instrs.len();
        instrs.push(Instr {
            name,
            kernel: kernel(name)?,
            args,
            attrs: step.attrs,
            frees: Vec::new(),
        });
    }
    // Last uses: free a register after the last instruction reading it.
    let mut last_use: Vec<Option<usize>> = vec![None; instrs.len()];
    for (k, instr) in instrs.iter().enumerate() {
        for a in &instr.args {
            if let Src::Reg(r) = a {
                last_use[*r] = Some(k);
            }
        }
    }
    for (r, last) in last_use.into_iter().enumerate() {
        if let Some(k) = last {
            instrs[k].frees.push(r);
        }
    }
    Ok(Program {
        instrs,
        consts,
        used_inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dead_steps_are_dropped_and_registers_freed_after_last_use() {
        let p = compile(&json!([
            {"op": "exp", "args": ["$0"]},
            {"op": "sin", "args": ["$1"]},
            {"op": "add", "args": ["%0", 1]},
            {"op": "multiply", "args": ["%2", "%0"]}
        ]))
        .unwrap();
        let names: Vec<&str> = p.instrs.iter().map(|i| i.name).collect();
        assert_eq!(names, ["exp", "add", "multiply"]);
        assert_eq!(p.used_inputs, vec![0]);
        assert_eq!(p.instrs[2].frees, vec![0, 1]);
        assert!(compile(&json!([{"op": "nope", "args": []}])).is_err());
        let p = compile(&json!([{"op": "power", "args": ["$0", 2]}])).unwrap();
        assert_eq!(p.instrs[0].name, "square");
        let p = compile(&json!([{"op": "power", "args": ["$0", 2.0]}])).unwrap();
        assert_eq!(p.instrs[0].name, "power");
    }
}
