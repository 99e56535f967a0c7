import type { Graph, PlannedNode } from './types.js';

/** Upstream node ids of a node, in input-name order. */
export function depIds(node: PlannedNode): string[] {
  const out: string[] = [];
  for (const v of Object.values(node.deps)) out.push(...(Array.isArray(v) ? v : [v]));
  return out;
}

/**
 * Kahn's topological order; throws on unknown dependencies or cycles
 * (a compiler bug, not a user error).
 */
export function topologicalOrder(graph: Graph): PlannedNode[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  if (byId.size !== graph.nodes.length) throw new Error('graph: duplicate node ids');
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const deps = depIds(n);
    indegree.set(n.id, new Set(deps).size);
    for (const d of new Set(deps)) {
      if (!byId.has(d)) throw new Error(`graph: node ${n.id} depends on unknown node ${d}`);
      (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n.id);
    }
  }
  const ready = graph.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: PlannedNode[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(byId.get(id)!);
    for (const d of dependents.get(id) ?? []) {
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length !== graph.nodes.length) throw new Error('graph: cycle detected');
  return order;
}

/** All transitive dependents of the given ids. */
export function downstreamOf(graph: Graph, ids: Iterable<string>): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const n of graph.nodes) for (const d of depIds(n)) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n.id);
  const seen = new Set<string>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    for (const d of dependents.get(id) ?? []) if (!seen.has(d)) { seen.add(d); stack.push(d); }
  }
  return seen;
}

export function toMermaid(graph: Graph): string {
  const safe = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) lines.push(`  ${safe(n.id)}["${n.id}"]`);
  for (const n of graph.nodes) for (const d of new Set(depIds(n))) lines.push(`  ${safe(d)} --> ${safe(n.id)}`);
  return lines.join('\n') + '\n';
}

export function toDot(graph: Graph): string {
  const lines = ['digraph glmflow {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const n of graph.nodes) lines.push(`  "${n.id}" [label="${n.id}\\n(${n.type})"];`);
  for (const n of graph.nodes) for (const d of new Set(depIds(n))) lines.push(`  "${d}" -> "${n.id}";`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
