import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';
import { parseCli, USAGE, type CliOptions } from './args.js';
import { isUserError, UserError } from '../errors.js';
import { planPipeline, runPipeline, toDot, toMermaid, type EngineOptions } from '../engine/index.js';
import { compilePipeline } from '../spec/compile.js';
import { createReporter } from '../ui/reporter.js';
import { cacheCommand } from './cache-command.js';
import { printPlan } from './plan-output.js';
import { printNotices } from './notices.js';
import { simulateCommand } from './simulate-command.js';
import { glmflowVersion } from '../version.js';

const REGISTRY_MODULE = new URL('../../nodes/index.js', import.meta.url).href;


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
        printNotices(compiled, 'validate');
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
        printNotices(compiled, 'plan');
        const plan = await planPipeline(compiled.graph, await engineOptions(opts));
        printPlan(plan, opts.ui === 'json');
        return 0;
      }
      case 'run': {
        const compiled = await compilePipeline(specArg(opts), { overrides: opts.set, out: opts.out });
        printNotices(compiled, 'run');
        const reporter = await createReporter(opts.ui, { stdout: process.stdout, stderr: process.stderr, verbose: opts.verbose });
        let summary;
        try {
          summary = await runPipeline(compiled.graph, { ...(await engineOptions(opts)), emit: (e) => reporter.onEvent(e), outputDir: compiled.outputDir });
        } finally {
          await reporter.close();
        }
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
