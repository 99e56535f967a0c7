import { Cache } from '../engine/index.js';
import { UserError } from '../errors.js';

const mb = (n: number) => (n / 1e6).toFixed(1) + ' MB';

/**
 * `glmflow cache ls|prune|clear`.
 * prune keeps the entries the latest run of each node produced and removes the rest,
 * plus temporary files of interrupted writes.
 */
export async function cacheCommand(args: string[], root: string): Promise<number> {
  const cache = new Cache(root);
  const sub = args[0];
  if (sub === 'ls') {
    const entries = await cache.list();
    const current = await cache.currentKeys();
    for (const e of entries) {
      process.stdout.write(`${e.key.slice(0, 16)}  ${mb(e.bytes).padStart(10)}  ${current.has(e.key) ? 'current' : 'stale  '}  ${e.type.padEnd(9)} ${e.node}\n`);
    }
    const total = entries.reduce((s, e) => s + e.bytes, 0);
    process.stdout.write(`${entries.length} entries, ${mb(total)} in ${root}\n`);
    return 0;
  }
  if (sub === 'prune') {
    const current = await cache.currentKeys();
    let removed = 0;
    let bytes = 0;
    for (const e of await cache.list()) {
      if (!current.has(e.key)) {
        await cache.remove(e.key);
        removed++;
        bytes += e.bytes;
      }
    }
    const temporaries = await cache.removeTemporaries();
    process.stdout.write(`removed ${removed} stale entries (${mb(bytes)})${temporaries ? ` and ${temporaries} unfinished temporary files` : ''} from ${root}\n`);
    return 0;
  }
  if (sub === 'clear') {
    await cache.clear();
    process.stdout.write(`cleared ${root}\n`);
    return 0;
  }
  throw new UserError(`command line: cache needs one of ls, prune, clear (got '${sub ?? ''}')`);
}
