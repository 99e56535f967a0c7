import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';
import { parseCli, USAGE, type CliOptions } from './args.js';
import { isUserError, UserError } from '../errors.js';
import { planPipeline, runPipeline, runNodeFromJobFile, toDot, toMermaid, DEFAULT_SLURM, type EngineOptions } from '../engine/index.js';
import { WorkerRunner, type NodeRunner } from '../engine/runners.js';
import type { ExecutionSpec } from '../spec/types.js';
import type { CompiledPipeline } from '../spec/compile.js';
import { createReporter } from '../ui/reporter.js';
import { printPlan } from './plan-output.js';
import { printNotices, type NoticeCommand } from './notices.js';
import { glmflowVersion } from '../version.js';
import { installInterruptHandlers } from './interrupt.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { isBundled } from '../bundled.js';

// The spec compiler (~0.45 s of module loading: yaml, ajv, the design code), the path checks,
// `simulate` and `cache` are loaded when a command needs them, so that `run` can start its
// worker threads (which load the node modules, ~0.5 s each) before it loads the compiler.
const specCompiler = () => import('../spec/compile.js');
const pathChecks = () => import('./path-checks.js');

// bundled (scripts/bundle.mjs), this file's URL is still dist/src/cli/main.js's: the bundle's
// registry entry is dist/bundle/nodes.js, which shares its chunks with the CLI and the workers
const REGISTRY_MODULE = new URL(isBundled ? '../../bundle/nodes.js' : '../../nodes/index.js', import.meta.url).href;
/** The installed command, for SLURM jobs: `node bin/glmflow.js` (not npx, which may reinstall per call). */
const BIN = new URL('../../../bin/glmflow.js', import.meta.url).pathname;

/** --executor wins over the spec's execution.executor; SLURM options come from the spec. */
function executorOf(opts: CliOptions, execution: ExecutionSpec | undefined): EngineOptions['executor'] {
  const kind = opts.executor ?? execution?.executor ?? 'local';
  if (kind === 'local') return { kind: 'local' };
  const pollMs = Number(process.env.GLMFLOW_SLURM_POLL_MS) || undefined;
  return { kind: 'slurm', settings: { ...DEFAULT_SLURM, ...execution?.slurm }, command: [process.execPath, BIN], pollMs };
}



function cacheRootOf(opts: CliOptions): string {
  return resolve(opts.cache ?? process.env.GLMFLOW_CACHE ?? join(process.cwd(), 'cache'));
}

/** Who chose the cache folder, for messages. */
const cacheSourceOf = (opts: CliOptions) => (opts.cache ? '--cache' : process.env.GLMFLOW_CACHE ? '$GLMFLOW_CACHE' : 'default ./cache');

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

/**
 * `run` on this machine's worker threads: the pool is started before the spec is compiled, so
 * that the workers' start-up (Node bootstrap and the node modules) overlaps the compilation and
 * the planning instead of following them. Undefined for --in-process and --executor slurm (the
 * spec may still choose SLURM: then the pool is closed unused).
 */
function earlyWorkerPool(opts: CliOptions): NodeRunner | undefined {
  if (opts.inProcess || opts.executor === 'slurm') return undefined;
  const jobs = Math.max(1, opts.jobs);
  return new WorkerRunner(jobs, REGISTRY_MODULE, jobs);
}

function specArg(opts: CliOptions): string {
  const spec = opts.positionals[0];
  if (!spec) throw new UserError(`command line: '${opts.command}' needs a SPEC file\n\n${USAGE}`);
  return spec;
}

async function refuseOutputPlacement(compiled: CompiledPipeline, opts: CliOptions): Promise<void> {
  const { outputPlacementProblems } = await pathChecks();
  const problems = await outputPlacementProblems(compiled, opts.out !== undefined, opts.useCache ? cacheRootOf(opts) : undefined);
  if (problems.length) throw new UserError(problems.length === 1 ? problems[0] : `${problems.length} problems with the output folder`, problems);
}

async function runWithReporter(opts: CliOptions, compiled: CompiledPipeline, signal: AbortSignal, pool: NodeRunner | undefined) {
  const executor = executorOf(opts, compiled.loaded.spec.execution);
  const runner = executor?.kind === 'local' ? pool : undefined;
  if (pool && !runner) await pool.close();
  const reporter = await createReporter(opts.ui, { stdout: process.stdout, stderr: process.stderr, verbose: opts.verbose });
  try {
    return await runPipeline(compiled.graph, { ...(await engineOptions(opts)), executor, runner, emit: (e) => reporter.onEvent(e), outputDir: compiled.outputDir, signal });
  } finally {
    await reporter.close();
  }
}

/** Compiles the spec given on the command line and prints its notices (skipped subjects, warnings) to stderr. */
async function compileSpec(opts: CliOptions, command: NoticeCommand) {
  const { compilePipeline } = await specCompiler();
  const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
  printNotices(compiled, command);
  return compiled;
}

/** Runs one command; returns the process exit code (0 ok, 1 a node failed, 2 invalid input, 130/143 interrupted by SIGINT/SIGTERM). */
export async function main(argv: string[]): Promise<number> {
  let opts: CliOptions | undefined;
  exitQuietlyOnBrokenPipe();
  try {
    // simulate has options of its own (--subjects, --runs, --seed, ...)
    if (argv[0] === 'simulate') return await (await import('./simulate-command.js')).simulateCommand(argv.slice(1));
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
        const compiled = await compileSpec(opts, 'validate');
        await refuseOutputPlacement(compiled, opts);
        process.stdout.write(`${compiled.specFile}: valid — ${compiled.summary}\n`);
        return 0;
      }
      case 'graph': {
        const compiled = await compileSpec(opts, 'graph');
        process.stdout.write(opts.format === 'dot' ? toDot(compiled.graph) : toMermaid(compiled.graph));
        return 0;
      }
      case 'plan': {
        const compiled = await compileSpec(opts, 'plan');
        await refuseOutputPlacement(compiled, opts);
        if (opts.useCache) await (await pathChecks()).checkCachePath(cacheRootOf(opts), cacheSourceOf(opts));
        const plan = await planPipeline(compiled.graph, await engineOptions(opts));
        printPlan(plan, opts.ui === 'json');
        return 0;
      }
      case 'run': {
        // From here on SIGINT/SIGTERM end the run with a summary (an interrupt while checking
        // the spec lets the checks finish, then nothing is computed).
        const interrupts = installInterruptHandlers();
        let summary;
        const pool = earlyWorkerPool(opts);
        try {
          const compiled = await compileSpec(opts, 'run');
          await (await pathChecks()).checkRunPaths(compiled, { fromCli: opts.out !== undefined, cacheRoot: opts.useCache ? cacheRootOf(opts) : undefined, cacheSource: cacheSourceOf(opts) });
          summary = await runWithReporter(opts, compiled, interrupts.signal, pool);
        } catch (e) {
          // a spec or path problem: the pool started for nothing (runPipeline closes it otherwise)
          await pool?.close();
          throw e;
        } finally {
          interrupts.dispose();
        }
        if (summary.interrupted) return interrupts.exitCode() ?? 130;
        return summary.ok ? 0 : 1;
      }
      case 'cache':
        return await (await import('./cache-command.js')).cacheCommand(opts.positionals, cacheRootOf(opts));
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
    // Stack traces are for bug reports: only with --verbose.
    const detail = opts?.verbose ? ((e as Error)?.stack ?? String(e)) : `${(e as Error)?.message ?? String(e)}\n(this is a bug in glmflow; run again with --verbose for the stack trace)`;
    process.stderr.write(`glmflow: internal error: ${detail}\n`);
    return 1;
  }
}
