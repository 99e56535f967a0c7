import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';
import { parseCli, USAGE, type CliOptions } from './args.js';
import { isUserError, UserError } from '../errors.js';
import { planPipeline, runPipeline, runNodeFromJobFile, toDot, toMermaid, DEFAULT_SLURM, type EngineOptions } from '../engine/index.js';
import type { ExecutionSpec } from '../spec/types.js';
import { compilePipeline } from '../spec/compile.js';
import { createReporter } from '../ui/reporter.js';
import { cacheCommand } from './cache-command.js';
import { printPlan } from './plan-output.js';
import { simulateCommand } from './simulate-command.js';
import { glmflowVersion } from '../version.js';

const REGISTRY_MODULE = new URL('../../nodes/index.js', import.meta.url).href;
/** The installed command, for SLURM jobs: `node bin/glmflow.js` (not npx, which may reinstall per call). */
const BIN = new URL('../../../bin/glmflow.js', import.meta.url).pathname;

/** --executor wins over the spec's execution.executor; SLURM options come from the spec. */
function executorOf(opts: CliOptions, execution: ExecutionSpec | undefined): EngineOptions['executor'] {
  const kind = opts.executor ?? execution?.executor ?? 'local';
  if (kind === 'local') return { kind: 'local' };
  const pollMs = Number(process.env.GLMFLOW_SLURM_POLL_MS) || undefined;
  return { kind: 'slurm', settings: { ...DEFAULT_SLURM, ...execution?.slurm }, command: [process.execPath, BIN], pollMs };
}

/**
 * SIGINT/SIGTERM abort the run: nodes not started are skipped, SLURM jobs are cancelled
 * (scancel). A second signal ends the process at once.
 */
function interruptOnSignals(): { signal: AbortSignal; received: () => NodeJS.Signals | undefined; dispose: () => void } {
  const controller = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
    got = sig;
    process.stderr.write(`glmflow: ${sig} received; stopping (cancelling running jobs)…\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => got,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}


function cacheRootOf(opts: CliOptions): string {
  return resolve(opts.cache ?? process.env.GLMFLOW_CACHE ?? join(process.cwd(), 'cache'));
}

async function engineOptions(opts: CliOptions): Promise<EngineOptions> {
  const { registry } = await import(REGISTRY_MODULE);
  return {
    registry,
    registryModule: opts.inProcess ? undefined : REGISTRY_MODULE,
    cacheRoot: cacheRootOf(opts),
    useCache: opts.useCache,
    jobs: opts.jobs,
  };
}

function specArg(opts: CliOptions): string {
  const spec = opts.positionals[0];
  if (!spec) throw new UserError(`command line: '${opts.command}' needs a SPEC file\n\n${USAGE}`);
  return spec;
}

/** Runs one command; returns the process exit code (0 ok, 1 a node failed, 2 invalid input). */
export async function main(argv: string[]): Promise<number> {
  let opts: CliOptions | undefined;
  try {
    // simulate has options of its own (--subjects, --runs, --seed, ...)
    if (argv[0] === 'simulate') return await simulateCommand(argv.slice(1));
    // hidden: what a SLURM job runs on a compute node (src/engine/slurm/compute-side.ts)
    if (argv[0] === '_run-node' && argv[1]) {
      const { registry } = await import(REGISTRY_MODULE);
      return await runNodeFromJobFile(argv[1], registry);
    }
    opts = parseCli(argv, availableParallelism());
    switch (opts.command) {
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case 'version':
        process.stdout.write(`glmflow ${glmflowVersion()}\n`);
        return 0;
      case 'validate': {
        const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
        process.stdout.write(`${compiled.specFile}: valid — ${compiled.summary}\n`);
        return 0;
      }
      case 'graph': {
        const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
        process.stdout.write(opts.format === 'dot' ? toDot(compiled.graph) : toMermaid(compiled.graph));
        return 0;
      }
      case 'plan': {
        const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
        const plan = await planPipeline(compiled.graph, await engineOptions(opts));
        printPlan(plan, opts.ui === 'json');
        return 0;
      }
      case 'run': {
        const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
        const executor = executorOf(opts, compiled.loaded.spec.execution);
        const reporter = await createReporter(opts.ui, { stdout: process.stdout, stderr: process.stderr, verbose: opts.verbose });
        const interrupt = interruptOnSignals();
        let summary;
        try {
          summary = await runPipeline(compiled.graph, {
            ...(await engineOptions(opts)), executor, emit: (e) => reporter.onEvent(e), outputDir: compiled.outputDir, signal: interrupt.signal,
          });
        } finally {
          interrupt.dispose();
          await reporter.close();
        }
        const sig = interrupt.received();
        if (sig) return sig === 'SIGINT' ? 130 : 143;
        return summary.ok ? 0 : 1;
      }
      case 'cache':
        return await cacheCommand(opts.positionals, cacheRootOf(opts));
      case '':
        throw new UserError(`command line: no command given\n\n${USAGE}`);
      default:
        throw new UserError(`command line: unknown command '${opts.command}'\n\n${USAGE}`);
    }
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`glmflow: ${e.message}\n`);
      for (const p of e.problems) if (p !== e.message) process.stderr.write(`  ${p}\n`);
      return 2;
    }
    process.stderr.write(`glmflow: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
