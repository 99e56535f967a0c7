import type { Plan } from '../engine/index.js';

/** `glmflow plan`: one line per node, cached or run and why. */
export function printPlan(plan: Plan, json: boolean): void {
  const entries = [...plan.entries.values()];
  if (json) {
    for (const e of entries) process.stdout.write(JSON.stringify({ node: e.id, type: e.type, status: e.status, key: e.key, reason: e.reason }) + '\n');
    return;
  }
  const width = Math.max(...entries.map((e) => e.id.length), 4);
  for (const e of entries) {
    const why = e.status === 'run' && e.reason ? `  (${e.reason.detail})` : '';
    process.stdout.write(`${e.status === 'cached' ? 'cached' : 'run   '}  ${e.id.padEnd(width)}  ${e.key.slice(0, 12)}${why}\n`);
  }
  const toRun = entries.filter((e) => e.status === 'run').length;
  process.stdout.write(`${entries.length} nodes: ${entries.length - toRun} cached, ${toRun} to run\n`);
}
