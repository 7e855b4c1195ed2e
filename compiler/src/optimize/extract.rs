//! DAG-aware extraction: greedy bottom-up, where the cost of choosing an e-node is
//! the sum over the distinct classes it needs (a shared subterm counts once),
//! never choosing an e-node that needs its own class (no cycles). Ties keep the
//! first candidate in a fixed order, so extraction is deterministic.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use egg::{Id, Language};
use tessera_ir::Meta;

use super::analysis::Graph;
use super::cost::node_cost;
use super::language::{ArrayLang, OpName};

/// Above this many classes in a candidate's set, sharing below it is no longer
/// tracked: costs are summed as a tree (an over-estimate that keeps chains of
/// thousands of ops linear in memory).
const SET_LIMIT: usize = 512;

/// The best e-node of a class and what choosing it costs.
#[derive(Clone)]
struct Best {
    node: usize,
    total: f64,
    /// Sorted (class, own cost) of every class needed, this one included;
    /// `None` past [`SET_LIMIT`].
    set: Option<Rc<Vec<(u32, f64)>>>,
}

/// The own cost of an e-node (its op's work from the classes' metadata).
fn own_cost(egraph: &Graph, class: Id, enode: &ArrayLang) -> f64 {
    let (op, children) = match enode {
        ArrayLang::Op(op, children) if *op != OpName::LIST => (op.spec(), children),
        ArrayLang::Opaque(_, children) => (None, children),
        _ => return 0.0,
    };
    let Some(out) = egraph[class].data.meta.as_ref() else {
        return f64::INFINITY;
    };
    let mut args: Vec<&Meta> = Vec::with_capacity(children.len());
    for &c in children {
        if let Some(m) = egraph[c].data.meta.as_ref() {
            match m {
                Meta::List(items) => args.extend(items.iter()),
                m => args.push(m),
            }
        }
    }
    node_cost(op, out, &args)
}

/// Chooses one e-node per class reachable from `roots` (canonical ids).
/// Returns `None` when some root has no acyclic choice (never for an e-graph
/// loaded from a valid graph: its original e-nodes are one).
pub(super) fn extract(egraph: &Graph, roots: &[Id]) -> Option<HashMap<Id, ArrayLang>> {
    let mut classes: Vec<Id> = egraph.classes().map(|c| c.id).collect();
    classes.sort_unstable();
    // Class ids are dense: a vector maps them to positions.
    let max_id = classes.iter().map(|&c| usize::from(c)).max().unwrap_or(0);
    let mut pos = vec![u32::MAX; max_id + 1];
    for (i, &c) in classes.iter().enumerate() {
        pos[usize::from(c)] = i as u32;
    }
    let at = |id: Id| pos[usize::from(egraph.find(id))];
    // Every e-node once: its class, its distinct child classes, its own cost.
    struct Cand {
        class: u32,
        node: u32,
        kids: Vec<u32>,
        own: f64,
    }
    let mut cands: Vec<Cand> = Vec::new();
    let mut parents: Vec<Vec<u32>> = vec![Vec::new(); classes.len()];
    let mut queue: VecDeque<u32> = VecDeque::new();
    for (ci, &c) in classes.iter().enumerate() {
        for (ni, n) in egraph[c].nodes.iter().enumerate() {
            let own = own_cost(egraph, c, n);
            if !own.is_finite() {
                continue;
            }
            let mut kids: Vec<u32> = n.children().iter().map(|&ch| at(ch)).collect();
            kids.sort_unstable();
            kids.dedup();
            let k = cands.len() as u32;
            if kids.is_empty() {
                queue.push_back(k);
            }
            for &kid in &kids {
                parents[kid as usize].push(k);
            }
            cands.push(Cand {
                class: ci as u32,
                node: ni as u32,
                kids,
                own,
            });
        }
    }
    let mut best: Vec<Option<Best>> = vec![None; classes.len()];
    let mut merged: Vec<(u32, f64)> = Vec::new();
    while let Some(k) = queue.pop_front() {
        let cand = &cands[k as usize];
        let ci = cand.class;
        // The children's choices, merged (each class once).
        let mut ready = true;
        let mut tree_total = cand.own;
        let mut bounded = true;
        merged.clear();
        for &kid in &cand.kids {
            match &best[kid as usize] {
                None => {
                    ready = false;
                    break;
                }
                Some(b) => {
                    tree_total += b.total;
                    match &b.set {
                        Some(set) if bounded => {
                            if merged.is_empty() {
                                merged.extend_from_slice(set);
                            } else {
                                merged = merge(&merged, set);
                            }
                            if merged.len() > SET_LIMIT {
                                bounded = false;
                            }
                        }
                        _ => bounded = false,
                    }
                }
            }
        }
        if !ready {
            continue;
        }
        let (total, set) = if bounded {
            let at = match merged.binary_search_by_key(&ci, |e| e.0) {
                Ok(_) => continue, // needs its own class: a cycle
                Err(at) => at,
            };
            let total = merged.iter().map(|e| e.1).sum::<f64>() + cand.own;
            let mut set = Vec::with_capacity(merged.len() + 1);
            set.extend_from_slice(&merged[..at]);
            set.push((ci, cand.own));
            set.extend_from_slice(&merged[at..]);
            (total, Some(Rc::new(set)))
        } else {
            if cand.kids.contains(&ci) {
                continue;
            }
            (tree_total, None)
        };
        if best[ci as usize].as_ref().is_none_or(|b| total < b.total) {
            best[ci as usize] = Some(Best {
                node: cand.node as usize,
                total,
                set,
            });
            queue.extend(parents[ci as usize].iter().copied());
        }
    }
    // The choice, read from the roots down (explicit stack).
    let mut choice: HashMap<Id, ArrayLang> = HashMap::new();
    let mut stack: Vec<Id> = roots.iter().map(|&r| egraph.find(r)).collect();
    while let Some(c) = stack.pop() {
        if choice.contains_key(&c) {
            continue;
        }
        let b = best[pos[usize::from(c)] as usize].as_ref()?;
        let enode = egraph[c].nodes[b.node].clone();
        stack.extend(enode.children().iter().map(|&ch| egraph.find(ch)));
        choice.insert(c, enode);
    }
    Some(choice)
}

fn merge(a: &[(u32, f64)], b: &[(u32, f64)]) -> Vec<(u32, f64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Whether the choice is acyclic from `roots` (iterative three-colour walk).
pub(super) fn is_acyclic(egraph: &Graph, choice: &HashMap<Id, ArrayLang>, roots: &[Id]) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut mark: HashMap<Id, Mark> = HashMap::new();
    for &r in roots {
        let mut stack: Vec<(Id, bool)> = vec![(egraph.find(r), false)];
        while let Some((c, leaving)) = stack.pop() {
            if leaving {
                mark.insert(c, Mark::Done);
                continue;
            }
            match mark.get(&c) {
                Some(Mark::Done) => continue,
                Some(Mark::Open) => return false,
                None => {}
            }
            mark.insert(c, Mark::Open);
            stack.push((c, true));
            let Some(n) = choice.get(&c) else {
                return false;
            };
            for &ch in n.children() {
                let ch = egraph.find(ch);
                match mark.get(&ch) {
                    Some(Mark::Open) => return false,
                    Some(Mark::Done) => {}
                    None => stack.push((ch, false)),
                }
            }
        }
    }
    true
}
