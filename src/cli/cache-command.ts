import { Cache } from '../engine/index.js';
import { inspectCacheFolder } from '../engine/cache-folder.js';
import { clearCache, pruneCache } from '../engine/cache-maintenance.js';
import { UserError } from '../errors.js';

const mb = (n: number) => (n / 1e6).toFixed(1) + ' MB';

/**
 * `glmflow cache ls|prune|clear`.
 * prune keeps the entries the latest run of each node produced and removes the rest,
 * plus temporary files of interrupted writes; it spares what running runs use.
 * Every subcommand refuses a folder that is not a cache (exit 2).
 */
export async function cacheCommand(args: string[], root: string): Promise<number> {
  const sub = args[0];
  if (sub === 'ls') {
    const state = await inspectCacheFolder(root);
    if (state.kind === 'not-a-cache') throw new UserError(`${root}: not a glmflow cache folder (${state.reason})`);
    if (state.kind === 'missing') {
      process.stdout.write(`no cache at ${root}\n`);
      return 0;
    }
    const cache = new Cache(root);
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
    const r = await pruneCache(root);
    if (r.missing) {
      process.stdout.write(`no cache at ${root}\n`);
      return 0;
    }
    const spared = r.spared ? `; kept ${r.spared} stale entries that ${r.liveRuns} running run${r.liveRuns === 1 ? '' : 's'} may use` : '';
    process.stdout.write(`removed ${r.removed} stale entries (${mb(r.bytes)})${r.temporaries ? ` and ${r.temporaries} unfinished temporary files` : ''} from ${root}${spared}\n`);
    return 0;
  }
  if (sub === 'clear') {
    process.stdout.write((await clearCache(root)) ? `cleared ${root}\n` : `no cache at ${root}\n`);
    return 0;
  }
  throw new UserError(`command line: cache needs one of ls, prune, clear (got '${sub ?? ''}')`);
}
