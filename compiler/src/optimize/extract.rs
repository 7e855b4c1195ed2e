//! DAG-aware extraction: greedy bottom-up, where the cost of choosing an e-node is
//! the sum over the distinct classes it needs (a shared subterm counts once),
//! never choosing an e-node that needs its own class (no cycles). Ties keep the
//! first candidate in a fixed order, so extraction is deterministic.
//!
//! The sets of needed classes are exact up to [`SET_LIMIT`] classes; above it the
//! greedy phase sums costs as a tree, and a second phase charges sharing exactly:
//! over the chosen plan, bottom-up, each class tries its other e-nodes and takes
//! one when the plan's DAG cost (every class once, kept by reference counts)
//! drops. So shared subterms are charged once at every size, in time linear in
//! the plan for chains (a trial stops as soon as it cannot win).

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use egg::{Id, Language};
use tessera_ir::Meta;

use super::analysis::Graph;
use super::cost::node_cost;
use super::language::{ArrayLang, OpName};

/// Above this many classes in a candidate's set, the greedy phase stops
/// tracking sharing below it and sums costs as a tree (keeping chains of
/// thousands of ops linear in memory); the improvement phase then prices
/// sharing exactly.
const SET_LIMIT: usize = 512;

/// An improvement must lower the plan's cost by more than this (cost units are
/// element operations, and every node costs at least 1), so rounding never
/// flips a choice back and forth.
const MIN_GAIN: f64 = 0.5;

/// The best e-node of a class and what choosing it costs.
#[derive(Clone)]
struct Best {
    /// The candidate chosen (index into the candidate list).
    cand: u32,
    total: f64,
    /// Sorted (class, own cost) of every class needed, this one included;
    /// `None` past [`SET_LIMIT`].
    set: Option<Rc<Vec<(u32, f64)>>>,
}

/// An e-node as the extraction sees it: its class, its position in the class,
/// its distinct child classes and its own cost.
struct Cand {
    class: u32,
    node: u32,
    kids: Vec<u32>,
    own: f64,
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
    extract_with(egraph, roots, true)
}

/// [`extract`], with the improvement phase switchable (off: the greedy phase
/// alone, which sums costs as a tree past [`SET_LIMIT`]; for tests).
fn extract_with(egraph: &Graph, roots: &[Id], improve: bool) -> Option<HashMap<Id, ArrayLang>> {
    let mut classes: Vec<Id> = egraph.classes().map(|c| c.id).collect();
    classes.sort_unstable();
    // Class ids are dense: a vector maps them to positions.
    let max_id = classes.iter().map(|&c| usize::from(c)).max().unwrap_or(0);
    let mut pos = vec![u32::MAX; max_id + 1];
    for (i, &c) in classes.iter().enumerate() {
        pos[usize::from(c)] = i as u32;
    }
    let at = |id: Id| pos[usize::from(egraph.find(id))];
    // Every e-node once, grouped by class (class `ci`'s candidates are
    // `first[ci]..first[ci + 1]`).
    let mut cands: Vec<Cand> = Vec::new();
    let mut first: Vec<u32> = Vec::with_capacity(classes.len() + 1);
    let mut parents: Vec<Vec<u32>> = vec![Vec::new(); classes.len()];
    let mut queue: VecDeque<u32> = VecDeque::new();
    for (ci, &c) in classes.iter().enumerate() {
        first.push(cands.len() as u32);
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
    first.push(cands.len() as u32);
    let (best, degraded) = greedy(&cands, &parents, queue, classes.len());
    let root_pos: Vec<u32> = roots.iter().map(|&r| at(r)).collect();
    let mut chosen: Vec<u32> = best
        .iter()
        .map(|b| b.as_ref().map_or(u32::MAX, |b| b.cand))
        .collect();
    if improve && degraded {
        improve_dag(&cands, &first, &mut chosen, &root_pos);
    }
    // The choice, read from the roots down (explicit stack).
    let mut choice: HashMap<Id, ArrayLang> = HashMap::new();
    let mut stack: Vec<u32> = root_pos;
    while let Some(ci) = stack.pop() {
        let c = classes[ci as usize];
        if choice.contains_key(&c) {
            continue;
        }
        let k = *chosen.get(ci as usize)?;
        let cand = cands.get(k as usize)?;
        stack.extend_from_slice(&cand.kids);
        choice.insert(c, egraph[c].nodes[cand.node as usize].clone());
    }
    Some(choice)
}

/// The greedy phase: each class's cheapest candidate, bottom-up from the
/// leaves with a worklist, re-priced when a child's choice improves. Also says
/// whether some set outgrew [`SET_LIMIT`] (costs summed as a tree there).
fn greedy(
    cands: &[Cand],
    parents: &[Vec<u32>],
    mut queue: VecDeque<u32>,
    n_classes: usize,
) -> (Vec<Option<Best>>, bool) {
    let mut best: Vec<Option<Best>> = vec![None; n_classes];
    let mut degraded = false;
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
            degraded = true;
            (tree_total, None)
        };
        if best[ci as usize].as_ref().is_none_or(|b| total < b.total) {
            best[ci as usize] = Some(Best {
                cand: k,
                total,
                set,
            });
            queue.extend(parents[ci as usize].iter().copied());
        }
    }
    (best, degraded)
}

/// No position (a class not in the plan yet).
const NONE: u32 = u32::MAX;

/// The improvement phase over the chosen plan (`chosen[class]` = candidate).
///
/// Reference counts say which classes the plan needs (the roots are pinned),
/// so the plan's DAG cost is the sum of their own costs, and switching class
/// `c` from `k0` to `k` changes it by `own(k) - own(k0)` plus the classes `k`
/// brings in minus those only `k0` needed. Classes are visited once, children
/// first; a switch is taken when it gains more than [`MIN_GAIN`].
///
/// No cycles: `pos` numbers the plan so that every edge goes to an equal or
/// lower number and the class being visited is strictly above everything it
/// could reach; a trial may only point at plan classes strictly below `c` and
/// the new classes it brings in are walked depth-first with an explicit stack
/// that refuses a back edge. A trial stops as soon as what it brings in costs
/// as much as the tree cost of `c`'s current choice (an upper bound of what the
/// switch can free).
///
/// Leaves `chosen` unchanged when the greedy plan has a cycle (the caller's
/// acyclicity check then keeps the input plan).
fn improve_dag(cands: &[Cand], first: &[u32], chosen: &mut [u32], roots: &[u32]) {
    let n = chosen.len();
    // Post-order of the plan from the roots (children first), with a cycle check.
    let mut order: Vec<u32> = Vec::new();
    let mut state = vec![0u8; n]; // 0 unseen, 1 open, 2 done
    for &r in roots {
        if state[r as usize] != 0 {
            continue;
        }
        let mut stack: Vec<(u32, usize)> = vec![(r, 0)];
        state[r as usize] = 1;
        while let Some(&mut (c, ref mut i)) = stack.last_mut() {
            let Some(cand) = cands.get(chosen[c as usize] as usize) else {
                return;
            };
            if let Some(&kid) = cand.kids.get(*i) {
                *i += 1;
                match state[kid as usize] {
                    0 => {
                        state[kid as usize] = 1;
                        stack.push((kid, 0));
                    }
                    1 => return, // a cycle in the greedy plan
                    _ => {}
                }
            } else {
                state[c as usize] = 2;
                order.push(c);
                stack.pop();
            }
        }
    }
    let own = |c: u32, chosen: &[u32]| cands[chosen[c as usize] as usize].own;
    let mut pos = vec![NONE; n];
    let mut refs = vec![0u32; n];
    let mut tree = vec![0f64; n];
    for (p, &c) in order.iter().enumerate() {
        pos[c as usize] = p as u32;
        let cand = &cands[chosen[c as usize] as usize];
        tree[c as usize] = cand.own + cand.kids.iter().map(|&k| tree[k as usize]).sum::<f64>();
        for &kid in &cand.kids {
            refs[kid as usize] += 1;
        }
    }
    for &r in roots {
        refs[r as usize] += 1;
    }
    // Per-trial scratch: reference counts to restore, classes brought in (in
    // post-order), and epoch stamps for "brought in" and "on the walk's stack".
    let mut log: Vec<(u32, u32)> = Vec::new();
    let mut brought: Vec<u32> = Vec::new();
    let mut seen = vec![0u32; n];
    let mut open = vec![0u32; n];
    let mut epoch = 0u32;
    let mut stack: Vec<(u32, usize)> = Vec::new();
    let mut freed: Vec<u32> = Vec::new();
    for &c in &order {
        if refs[c as usize] == 0 {
            continue; // dropped by an earlier switch
        }
        let cand = &cands[chosen[c as usize] as usize];
        tree[c as usize] = cand.own + cand.kids.iter().map(|&k| tree[k as usize]).sum::<f64>();
        for k in first[c as usize]..first[c as usize + 1] {
            let k0 = chosen[c as usize];
            if k == k0 {
                continue;
            }
            let alt = &cands[k as usize];
            let bound = tree[c as usize];
            epoch += 1;
            log.clear();
            brought.clear();
            // Bring in what `alt` needs: increments, walking new classes.
            let mut added = alt.own;
            let mut ok = added < bound;
            // The alternative itself is the walk's first frame.
            stack.clear();
            stack.push((NONE, 0));
            'walk: while ok {
                let Some(&mut (u, ref mut i)) = stack.last_mut() else {
                    break;
                };
                let kids = if u == NONE {
                    &alt.kids
                } else {
                    &cands[chosen[u as usize] as usize].kids
                };
                let Some(&v) = kids.get(*i) else {
                    if u != NONE {
                        open[u as usize] = 0;
                        brought.push(u);
                    }
                    stack.pop();
                    continue;
                };
                *i += 1;
                log.push((v, refs[v as usize]));
                refs[v as usize] += 1;
                if refs[v as usize] > 1 {
                    let fine = if seen[v as usize] == epoch {
                        open[v as usize] != epoch // not a back edge
                    } else {
                        pos[v as usize] != NONE && pos[v as usize] < pos[c as usize]
                    };
                    if !fine {
                        ok = false;
                        break 'walk;
                    }
                    continue;
                }
                // A class the plan did not need: bring it in with its choice.
                if v == c || chosen[v as usize] == NONE {
                    ok = false;
                    break 'walk;
                }
                seen[v as usize] = epoch;
                open[v as usize] = epoch;
                added += own(v, chosen);
                if added >= bound {
                    ok = false;
                    break 'walk;
                }
                stack.push((v, 0));
            }
            let mut gain = f64::NEG_INFINITY;
            if ok {
                // Release what only `k0` needed.
                let mut removed = cands[k0 as usize].own;
                freed.clear();
                freed.extend_from_slice(&cands[k0 as usize].kids);
                while let Some(v) = freed.pop() {
                    log.push((v, refs[v as usize]));
                    refs[v as usize] -= 1;
                    if refs[v as usize] == 0 {
                        removed += own(v, chosen);
                        freed.extend_from_slice(&cands[chosen[v as usize] as usize].kids);
                    }
                }
                gain = removed - added;
            }
            if gain > MIN_GAIN {
                chosen[c as usize] = k;
                let p = pos[c as usize];
                for &v in &brought {
                    pos[v as usize] = p;
                    let cv = &cands[chosen[v as usize] as usize];
                    tree[v as usize] =
                        cv.own + cv.kids.iter().map(|&k| tree[k as usize]).sum::<f64>();
                }
                tree[c as usize] =
                    alt.own + alt.kids.iter().map(|&k| tree[k as usize]).sum::<f64>();
            } else {
                // Undo, newest first (the stamps expire with the epoch).
                while let Some((v, r)) = log.pop() {
                    refs[v as usize] = r;
                }
            }
        }
    }
}

/// The DAG cost of a choice: each class reachable from `roots` once.
#[cfg(test)]
fn dag_cost(egraph: &Graph, choice: &HashMap<Id, ArrayLang>, roots: &[Id]) -> f64 {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<Id> = roots.iter().map(|&r| egraph.find(r)).collect();
    let mut total = 0.0;
    while let Some(c) = stack.pop() {
        if !seen.insert(c) {
            continue;
        }
        let n = &choice[&c];
        total += own_cost(egraph, c, n);
        stack.extend(n.children().iter().map(|&ch| egraph.find(ch)));
    }
    total
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

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;
    use crate::optimize::convert::to_egraph;
    use tessera_ir::{InferContext, parse_and_validate};

    /// A graph of over 512 classes: `s`, a chain of 600 `exp` over a 10 x 10
    /// array (an output, so it is computed anyway), and `u = s + 1`, whose class
    /// is declared equal to `t`, a separate chain of 300 `sin`. Priced as a
    /// tree, `s + 1` costs all of `s` again and loses to `t`; priced as a DAG it
    /// costs one addition.
    fn shared_graph() -> (Graph, Vec<Id>) {
        let mut nodes = String::from(
            r#""x": {"op": "ones", "shape": [10, 10]}, "s0": {"op": "exp", "args": ["x"]}"#,
        );
        for i in 1..600 {
            write!(
                nodes,
                r#", "s{i}": {{"op": "exp", "args": ["s{}"]}}"#,
                i - 1
            )
            .unwrap();
        }
        nodes.push_str(r#", "t0": {"op": "sin", "args": ["x"]}"#);
        for i in 1..300 {
            write!(
                nodes,
                r#", "t{i}": {{"op": "sin", "args": ["t{}"]}}"#,
                i - 1
            )
            .unwrap();
        }
        nodes.push_str(r#", "u": {"op": "add", "args": ["s599", 1]}"#);
        let doc = format!(r#"{{"tessera": 1, "nodes": {{{nodes}}}, "outputs": ["s599", "u"]}}"#);
        let graph = parse_and_validate(&doc, &InferContext::default()).expect("valid");
        let loaded = to_egraph(&graph).expect("loads");
        let class = |id: &str| {
            let k = graph.nodes.iter().position(|n| n.id == id).expect("node");
            loaded.classes[k]
        };
        let mut egraph = loaded.egraph;
        egraph.union(class("u"), class("t299"));
        egraph.rebuild();
        let roots = [class("s599"), class("u")]
            .iter()
            .map(|&c| egraph.find(c))
            .collect();
        (egraph, roots)
    }

    fn chosen_op(egraph: &Graph, choice: &HashMap<Id, ArrayLang>, class: Id) -> String {
        match &choice[&egraph.find(class)] {
            ArrayLang::Op(op, _) => op.spec().map_or("list", |s| s.name).to_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn shared_subterms_are_charged_once_past_the_set_limit() {
        let (egraph, roots) = shared_graph();
        assert!(egraph.number_of_classes() > SET_LIMIT);
        let tree = extract_with(&egraph, &roots, false).expect("greedy plan");
        let dag = extract(&egraph, &roots).expect("plan");
        assert!(is_acyclic(&egraph, &dag, &roots));
        // The greedy phase alone duplicates work: it computes the `sin` chain.
        assert_eq!(chosen_op(&egraph, &tree, roots[1]), "sin");
        assert_eq!(chosen_op(&egraph, &dag, roots[1]), "add");
        let (tree_cost, dag_cost) = (
            dag_cost(&egraph, &tree, &roots),
            dag_cost(&egraph, &dag, &roots),
        );
        // 300 `sin` of 100 elements (about 1,000 each) against one addition.
        assert!(
            tree_cost - dag_cost > 250_000.0,
            "{tree_cost} vs {dag_cost}"
        );
        // Every class of the chosen plan is one the DAG plan needs: `s` and `u`.
        assert_eq!(dag.len(), 600 + 1 + 2 + 1);
    }

    #[test]
    fn extraction_is_deterministic() {
        let sorted = |c: HashMap<Id, ArrayLang>| {
            let mut v: Vec<(Id, ArrayLang)> = c.into_iter().collect();
            v.sort_by_key(|e| e.0);
            v
        };
        let (g1, r1) = shared_graph();
        let (g2, r2) = shared_graph();
        let a = sorted(extract(&g1, &r1).expect("plan"));
        assert_eq!(a, sorted(extract(&g1, &r1).expect("plan")));
        assert_eq!(a, sorted(extract(&g2, &r2).expect("plan")));
    }
}
