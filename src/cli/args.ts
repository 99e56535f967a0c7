import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';

export type UiKind = 'auto' | 'ink' | 'plain' | 'json';

export interface CliOptions {
  command: string;
  positionals: string[];
  out?: string;
  cache?: string;
  useCache: boolean;
  jobs: number;
  set: string[];
  ui: UiKind;
  format: 'mermaid' | 'dot';
  verbose: boolean;
  inProcess: boolean;
  /** --executor; undefined = the spec's execution.executor, else local. */
  executor?: 'local' | 'slurm';
}

export const USAGE = `Usage: glmflow <command> [options]

Commands:
  run SPEC                 validate, plan and execute the pipeline; write outputs
  validate SPEC            schema + semantic checks only (exit 0 or 2)
  plan SPEC                print every node with cached / run and why
  graph SPEC [--format mermaid|dot]   print the DAG
  cache ls|prune|clear     inspect or trim the content-addressed cache
  simulate DIR             write a deterministic multi-subject BIDS dataset (glmflow simulate --help)

Options:
  --out DIR                output root (overrides the spec's output)
  --cache DIR              cache root (default $GLMFLOW_CACHE, else ./cache)
  --no-cache               compute everything, read and write no cache entry
  --jobs N                 nodes run at once (default: number of cores)
  --executor local|slurm   where nodes run: worker threads here, or one SLURM job per node
                           (default: the spec's execution.executor, else local)
  --set KEY=VALUE          override one spec value by dotted path (repeatable; VALUE is YAML)
  --ui auto|ink|plain|json dashboard on a TTY, line log otherwise, or JSON events
  --format mermaid|dot     graph output format (default mermaid)
  --verbose                show stack traces of internal errors
  -h, --help               this help
  --version                print the version
`;

export function parseCli(argv: string[], cores: number): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        cache: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        jobs: { type: 'string', short: 'j' },
        set: { type: 'string', multiple: true, default: [] },
        ui: { type: 'string', default: 'auto' },
        format: { type: 'string', default: 'mermaid' },
        verbose: { type: 'boolean', default: false },
        'in-process': { type: 'boolean', default: false },
        executor: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UserError(`command line: ${(e as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  const [command = v.help ? 'help' : v.version ? 'version' : '', ...positionals] = parsed.positionals;
  const ui = v.ui as string;
  if (!['auto', 'ink', 'plain', 'json'].includes(ui)) throw new UserError(`command line: --ui must be one of auto, ink, plain, json (got '${ui}')`);
  const format = v.format as string;
  if (!['mermaid', 'dot'].includes(format)) throw new UserError(`command line: --format must be mermaid or dot (got '${format}')`);
  let jobs = cores;
  if (v.jobs !== undefined) {
    jobs = Number(v.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`command line: --jobs must be a positive integer (got '${v.jobs}')`);
  }
  const executor = v.executor as string | undefined;
  if (executor !== undefined && !['local', 'slurm'].includes(executor)) throw new UserError(`command line: --executor must be local or slurm (got '${executor}')`);
  for (const s of v.set as string[]) {
    if (!/^[^=]+=/.test(s)) throw new UserError(`command line: --set expects KEY=VALUE (got '${s}')`);
  }
  return {
    command: v.help ? 'help' : command,
    positionals,
    out: v.out as string | undefined,
    cache: v.cache as string | undefined,
    useCache: !v['no-cache'],
    jobs,
    set: v.set as string[],
    ui: ui as UiKind,
    format: format as 'mermaid' | 'dot',
    verbose: Boolean(v.verbose),
    inProcess: Boolean(v['in-process']),
    executor: executor as 'local' | 'slurm' | undefined,
  };
}
