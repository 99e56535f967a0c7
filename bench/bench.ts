/**
 * `npm run bench`: the first-level performance benchmark (issue "Performance: first level at
 * MNI-2mm scale").
 *
 * 1. Generates the dataset once (bench/dataset.ts, 8 runs, deterministic) into .bench/data and
 *    reuses it while .bench/data/manifest.json names the same DATASET_VERSION.
 * 2. Runs `glmflow run bench/first-level.yaml --no-cache --ui json` in a child process for the
 *    headline workload (2 runs), then for 1, 2, 4 and 8 runs. The child is this file with
 *    `--child`: it runs the CLI's main() and, on exit, reports process.resourceUsage() (CPU time
 *    and peak RSS of the whole process, worker threads included, since they share the process).
 *    Wall time is measured by the parent around the child (Node start-up included).
 * 3. Prints wall, CPU, peak RSS, ratios against nilearn 0.10.4 (64.7 s, 6 369 MiB side by side
 *    on these 2-core machines, shared/design/PERFORMANCE.md), the time of every node (start to done,
 *    as the engine's events say) and, for fit nodes, the stages they report.
 *
 * 4. The group permutation workload (bench/group-permutation.yaml): 20 subjects' effect maps on
 *    the same grid (bench/group-dataset.ts, generated once into .bench/group), one-sample max-t
 *    with 10 000 sign flips, whole pipeline, against nilearn's non_parametric_inference.
 *
 * 5. Single-trial LSS of run 1 (bench/single-trial.yaml: 3 conditions, one node per condition)
 *    with OLS and AR(1), whole pipeline from the .nii.gz, against nilearn's beta-series procedure
 *    (one FirstLevelModel fit per trial; needs only run 1 of the dataset).
 *
 * 6. The dense subject (bench/dense.yaml, issue 10 item 4): 1 subject x 30 sessions x 8 runs on
 *    the MNI 4 mm grid (bench/dense-dataset.ts, generated once into .bench/dense, ~1.4 GB), fixed
 *    effects over 30, 60, 120 and 240 runs, and a cached rerun of the largest (nothing to compute).
 *    Not in the default set (the series takes a long time): `npm run bench -- --only dense`.
 *
 * 7. The very long run (bench/long-run.yaml, issue 10 item 5): one 64x76x64 run of 6 804 volumes,
 *    generated once into .bench/long-run (bench/long-run-dataset.ts), whole pipeline; the fit
 *    spills its data. Not in the default set (the dataset is ~3 GB and the run takes minutes):
 *    `npm run bench -- --only long-run`.
 *
 * Options: --only first-level,group,single-trial,long-run,dense (the workloads to run; default the first three),
 * --dense-runs 1,2,4,8 (runs per session of the dense series), --runs 1,2,4,8 (scaling series; "none" to skip), --repeat N (headline repeats, the
 * best is kept), --jobs N (passed to glmflow), --json FILE (write all figures), --cli PATH
 * (measure another build's dist/bundle/glmflow.js or dist/src/cli/main.js, e.g. an older
 * version, on the same data).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DATASET_VERSION, generateDataset } from './dataset.js';
import { GROUP_DATASET_VERSION, GROUP_SUBJECTS, generateGroupMaps } from './group-dataset.js';
import { DENSE_DATASET_VERSION, DENSE_RUNS_PER_SESSION, DENSE_SESSIONS, generateDenseDataset } from './dense-dataset.js';
import { LONG_BRAIN_VOXELS, LONG_DATASET_VERSION, LONG_DIMS, LONG_VOLUMES, generateLongRun } from './long-run-dataset.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // <outDir>/bench
const REPO = join(HERE, '..', '..');
/**
 * The CLI measured: the module bin/glmflow.js runs in this build (the esbuild bundle when it is
 * up to date, bin/cli-module.js), or another build's main.js with --cli (e.g. an older one).
 */
let CLI_MAIN = fileURLToPath(((await import(pathToFileURL(join(REPO, 'bin', 'cli-module.js')).href)) as { cliModuleUrl: () => string }).cliModuleUrl());
/**
 * The environment `glmflow run` works in (bin/huge-pages.js: glibc's huge-page tunable on Linux,
 * unless GLMFLOW_HUGE_PAGES=0): the measured child gets the same, it does not go through bin/.
 */
const RUN_ENV = ((await import(pathToFileURL(join(REPO, 'bin', 'huge-pages.js')).href)) as { hugePagesEnv: (args: string[]) => NodeJS.ProcessEnv | undefined }).hugePagesEnv(['run']) ?? process.env;
const SPEC = join(REPO, 'bench', 'first-level.yaml');
const GROUP_SPEC = join(REPO, 'bench', 'group-permutation.yaml');
const SINGLE_TRIAL_SPEC = join(REPO, 'bench', 'single-trial.yaml');
const DENSE_SPEC = join(REPO, 'bench', 'dense.yaml');
const LONG_RUN_SPEC = join(REPO, 'bench', 'long-run.yaml');
/**
 * nilearn's beta-series procedure on bench run 1 (PERFORMANCE.md): one FirstLevelModel fit per
 * trial, 9.8 s (OLS) / 13.8 s (AR(1)) each with the image in memory, x 49 trials, 2.5 GB peak;
 * the goals: >= 30x faster (<= 16 s OLS, <= 22 s AR(1)) at <= 1 GB peak.
 */
const NILEARN_LSS = { ols: { wall: 49 * 9.8, goal: 16 }, ar1: { wall: 49 * 13.8, goal: 22 }, rssBytes: 2.5e9, rssGoal: 1e9 };
const BENCH_DIR = join(REPO, '.bench');
const DATA_DIR = join(BENCH_DIR, 'data');
const GROUP_DIR = join(BENCH_DIR, 'group');
const DENSE_DIR = join(BENCH_DIR, 'dense');
const LONG_DIR = join(BENCH_DIR, 'long-run');
/**
 * nilearn 0.10.4 on the long run (bench/long-run.yaml's model, FirstLevelModel AR(1),
 * smoothing 5 mm, 8 confounds, 3 contrasts), run once under `ulimit -v` on this 2-core,
 * 23 GB machine (shared): see README "Performance" and the issue 10 report.
 */
const NILEARN_LONG_RUN = {
  note: 'nilearn 0.10.4 (bench/nilearn/long_run.py, ulimit -v 16 GiB): MemoryError after 591 s (58 s CPU), peak RSS 8.44 GB, '
    + 'allocating the smoothed 4D image as float64 (15.8 GiB, shape 64x76x64x6804); it needs > 20 GB before the GLM starts',
  failed: true, wall: 590.8, cpu: 58.2, rssBytes: 8441228 * 1024,
};
const MAX_RUNS = 8;
const RUSAGE_TAG = 'GLMFLOW-BENCH-RUSAGE ';

/**
 * nilearn 0.10.4 non_parametric_inference, 20 subjects × 256k voxels, one-sample max-t, n_jobs=2:
 * 29.6 s per 1 000 sign flips measured side by side (PERFORMANCE.md), so ≈ 296 s for 10 000; 0.56 GB.
 */
const NILEARN_PERMUTATION = { wall: 296, rssBytes: 0.56e9, nPerm: 10000 };

/**
 * nilearn 0.10.4 FirstLevelModel fit + 2 contrasts on the 2-run workload, measured side by side
 * on 2026-12-02 (PERFORMANCE.md: median of 3 paired runs, 64.7 s, 6 369 MiB); issue 10's goal is
 * >= 12x faster at <= 1/10 of its memory.
 */
const NILEARN = { wall: 64.7, rssBytes: 6369 * 2 ** 20, speedGoal: 12, memoryGoal: 10 };

interface NodeTiming { id: string; type: string; seconds: number; stages: [string, number][]; timings?: string }
interface Measurement {
  runs: number;
  wall: number;
  /** Spawn to the first node start (Node start-up, spec compile, plan with input hashing). */
  startup: number;
  /** The last node done to the process exit. */
  shutdown: number;
  cpu: number;
  user: number;
  system: number;
  maxRssBytes: number;
  nodes: NodeTiming[];
  /** Nodes computed and found in the cache; events the run wrote. */
  computed: number;
  cached: number;
  events: number;
}

async function child(argv: string[]): Promise<void> {
  const cli = argv[0];
  argv = argv.slice(1);
  const { main } = await import(pathToFileURL(cli).href);
  const code: number = await main(argv);
  const ru = process.resourceUsage();
  process.stderr.write(`${RUSAGE_TAG}${JSON.stringify({ code, user: ru.userCPUTime / 1e6, system: ru.systemCPUTime / 1e6, maxRssKb: ru.maxRSS })}\n`);
  process.exit(code);
}

async function ensureGroupDataset(): Promise<void> {
  const manifest = join(GROUP_DIR, 'manifest.json');
  try {
    if (JSON.parse(readFileSync(manifest, 'utf8')).version === GROUP_DATASET_VERSION) return;
  } catch {
    /* not generated yet */
  }
  console.log(`generating the group benchmark's ${GROUP_SUBJECTS} effect maps (once) in ${GROUP_DIR}`);
  await rm(GROUP_DIR, { recursive: true, force: true });
  await generateGroupMaps(GROUP_DIR);
  await writeFile(manifest, JSON.stringify({ version: GROUP_DATASET_VERSION }));
}

/** The group permutation workload: whole pipeline (read 20 maps, 10 000 sign flips, write the maps). */
async function groupSection(repeat: number, jobs: string | undefined): Promise<Measurement> {
  await ensureGroupDataset();
  console.log(`\ngroup permutation: ${GROUP_SUBJECTS} subjects x 256 354 voxels, one-sample max-t, ${NILEARN_PERMUTATION.nPerm} sign flips (glmflow run --no-cache)`);
  let best: Measurement | undefined;
  for (let i = 0; i < repeat; i++) {
    const m = await measureSpec(GROUP_SPEC, 'group', [], jobs);
    console.log(`  try ${i + 1}: wall ${s(m.wall)}, CPU ${s(m.cpu)}, peak RSS ${gb(m.maxRssBytes)}`);
    if (!best || m.wall < best.wall) best = m;
  }
  const h = best!;
  console.log(row(['what', 'wall', 'CPU (user+sys)', 'peak RSS']));
  console.log(row(['---', '---', '---', '---']));
  console.log(row(['nilearn 0.10.4 (PERFORMANCE.md: 29.6 s per 1 000 flips)', s(NILEARN_PERMUTATION.wall), '', gb(NILEARN_PERMUTATION.rssBytes)]));
  console.log(row(['glmflow', s(h.wall), s(h.cpu), gb(h.maxRssBytes)]));
  console.log(row(['nilearn / glmflow', `${(NILEARN_PERMUTATION.wall / h.wall).toFixed(1)}x faster`, '', `${(NILEARN_PERMUTATION.rssBytes / h.maxRssBytes).toFixed(1)}x less memory`]));
  console.log(`target: wall <= 8 s ${h.wall <= 8 ? 'MET' : 'NOT MET'}`);
  for (const n of [...h.nodes].sort((a, b) => a.id.localeCompare(b.id))) console.log(`  ${n.id.padEnd(44)} ${s(n.seconds).padStart(9)}`);
  return h;
}

async function ensureLongRun(): Promise<void> {
  const manifest = join(LONG_DIR, 'manifest.json');
  try {
    if (JSON.parse(readFileSync(manifest, 'utf8')).version === LONG_DATASET_VERSION) return;
  } catch {
    /* not generated yet */
  }
  console.log(`generating the long run (${LONG_DIMS.join('x')} x ${LONG_VOLUMES} volumes, int16 .nii.gz, ~3 GB; once) in ${LONG_DIR}`);
  const started = performance.now();
  await rm(LONG_DIR, { recursive: true, force: true });
  await generateLongRun(LONG_DIR, (m) => console.log(m));
  await writeFile(manifest, JSON.stringify({ version: LONG_DATASET_VERSION }));
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The very long run (issue 10 item 5, nilearn #5588): one run of 6 804 volumes, whole pipeline.
 * Its Y (6 804 x 150 000 float32, 4.1 GB) is over the fit's memory budget, so the fit spills it.
 */
async function longRunSection(jobs: string | undefined): Promise<Measurement> {
  await ensureLongRun();
  console.log(`\nlong run: 1 run x ${LONG_VOLUMES} volumes, ${LONG_DIMS.join('x')} (${LONG_BRAIN_VOXELS} mask voxels), TR 0.8, AR(1), 5 mm, 8 confounds, 3 contrasts (glmflow run --no-cache)`);
  const m = await measureSpec(LONG_RUN_SPEC, 'long-run', [], jobs, 1);
  console.log(row(['what', 'wall', 'CPU (user+sys)', 'peak RSS']));
  console.log(row(['---', '---', '---', '---']));
  console.log(row(['glmflow', s(m.wall), s(m.cpu), gb(m.maxRssBytes)]));
  console.log(`target: peak RSS <= 2 GB ${m.maxRssBytes <= 2e9 ? 'MET' : 'NOT MET'}; ${NILEARN_LONG_RUN.note}`);
  printNodes(m);
  return m;
}

/** `runs`: how many runs the workloads need (the single-trial one needs run 1 only). */
async function ensureDataset(runs = MAX_RUNS): Promise<void> {
  const manifest = join(DATA_DIR, 'manifest.json');
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    if (m.version === DATASET_VERSION && m.runs >= runs) return;
  } catch {
    /* not generated yet */
  }
  console.log(`generating the benchmark dataset (${runs} runs, once) in ${DATA_DIR}`);
  const started = performance.now();
  await rm(DATA_DIR, { recursive: true, force: true });
  await mkdir(DATA_DIR, { recursive: true });
  await generateDataset(DATA_DIR, runs, (s) => console.log(s));
  await writeFile(manifest, JSON.stringify({ version: DATASET_VERSION, runs }));
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Node timings from the engine's JSON events: start..done, and the spans between progress messages. */
function nodeTimings(events: any[]): NodeTiming[] {
  interface Acc { type: string; start?: number; end?: number; marks: [string, number][]; timings?: string }
  const byNode = new Map<string, Acc>();
  for (const e of events) {
    if (!e || typeof e.node !== 'string' || e.node === '*') continue;
    const n: Acc = byNode.get(e.node) ?? { type: String(e.type), marks: [] };
    byNode.set(e.node, n);
    if (e.event === 'node-start') n.start = e.time;
    else if (e.event === 'node-done') n.end = e.time;
    else if (e.event === 'node-progress' && typeof e.message === 'string') {
      if (e.message.startsWith('timings: ')) n.timings = e.message.slice(9);
      else n.marks.push([e.message, e.time]);
    }
  }
  const out: NodeTiming[] = [];
  for (const [id, n] of byNode) {
    if (n.start === undefined || n.end === undefined) continue;
    const stages: [string, number][] = [];
    for (let i = 0; i < n.marks.length; i++) {
      const next = i + 1 < n.marks.length ? n.marks[i + 1][1] : n.end;
      stages.push([n.marks[i][0], (next - n.marks[i][1]) / 1000]);
    }
    out.push({ id, type: n.type, seconds: (n.end - n.start) / 1000, stages, timings: n.timings });
  }
  return out;
}

function measure(runs: number, jobs: string | undefined): Promise<Measurement> {
  const list = Array.from({ length: runs }, (_, i) => `"${i + 1}"`).join(',');
  return measureSpec(SPEC, `runs-${runs}`, ['--set', `data.runs=[${list}]`], jobs, runs);
}

/**
 * One `glmflow run SPEC --no-cache` in a child process, output under .bench/out/NAME; with
 * `cache`, `--cache DIR` instead (and the outputs of an earlier run with it are kept, so a
 * rerun finds everything done).
 */
async function measureSpec(spec: string, name: string, extra: string[], jobs: string | undefined, runs = 0, cache?: string): Promise<Measurement> {
  const out = join(BENCH_DIR, 'out', name);
  if (!cache) await rm(out, { recursive: true, force: true });
  const args = [
    fileURLToPath(import.meta.url), '--child', CLI_MAIN, 'run', spec, ...(cache ? ['--cache', cache] : ['--no-cache']), '--ui', 'json', '--out', out,
    ...extra, ...(jobs ? ['--jobs', jobs] : []),
  ];
  const started = performance.now();
  const spawnedAt = Date.now();
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: RUN_ENV });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const code: number = await new Promise((resolve) => proc.on('close', resolve));
  const wall = (performance.now() - started) / 1000;
  const exitedAt = Date.now();
  const tagLine = stderr.split('\n').find((l) => l.startsWith(RUSAGE_TAG));
  if (code !== 0 || !tagLine) {
    throw new Error(`glmflow run ${spec} (${name}) failed with exit code ${code}\n${stderr}\n${stdout.slice(-4000)}`);
  }
  const ru = JSON.parse(tagLine.slice(RUSAGE_TAG.length));
  const events = stdout.split('\n').filter(Boolean).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return null;
    }
  });
  const starts = events.filter((e) => e?.event === 'node-start').map((e) => e.time as number);
  const dones = events.filter((e) => e?.event === 'node-done').map((e) => e.time as number);
  const startup = starts.length ? (Math.min(...starts) - spawnedAt) / 1000 : 0;
  const shutdown = dones.length ? (exitedAt - Math.max(...dones)) / 1000 : 0;
  const counts = { computed: 0, cached: 0 };
  for (const e of events) {
    if (e?.event === 'node-done') counts.computed++;
    else if (e?.event === 'node-cached') counts.cached++;
  }
  return {
    runs, wall, startup, shutdown, cpu: ru.user + ru.system, user: ru.user, system: ru.system, maxRssBytes: ru.maxRssKb * 1024, nodes: nodeTimings(events),
    ...counts, events: events.length,
  };
}

const s = (x: number) => `${x.toFixed(2)} s`;
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

function printNodes(m: Measurement): void {
  console.log(`\nstart-up (spawn to the first node start): ${s(m.startup)}; exit after the last node: ${s(m.shutdown)}`);
  console.log(`nodes of the ${m.runs}-run workload (start to done, in the worker pool):`);
  const order = ['load', 'confounds', 'design', 'mask', 'fit', 'single-trial', 'contrast', 'save'];
  const nodes = [...m.nodes].sort((a, b) => (order.indexOf(a.type) - order.indexOf(b.type)) || a.id.localeCompare(b.id));
  for (const n of nodes) {
    console.log(`  ${n.id.padEnd(44)} ${s(n.seconds).padStart(9)}`);
    if (n.type === 'fit' || n.type === 'single-trial') {
      for (const [label, sec] of n.stages) console.log(`      ${label.padEnd(40)} ${s(sec).padStart(9)}`);
      if (n.timings) console.log(`      stages: ${n.timings}`);
    }
  }
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The first-level workload: the headline (2 runs, best of `repeat`) and the scaling series. */
async function firstLevelSection(series: number[], repeat: number, jobs: string | undefined) {
  await ensureDataset();
  console.log(`\nheadline: 2 runs x 160 volumes, 97x115x97, AR(1), 5 mm smoothing, 2 z maps (glmflow run --no-cache)`);
  let best: Measurement | undefined;
  for (let i = 0; i < repeat; i++) {
    const m = await measure(2, jobs);
    console.log(`  try ${i + 1}: wall ${s(m.wall)}, CPU ${s(m.cpu)}, peak RSS ${gb(m.maxRssBytes)}`);
    if (!best || m.wall < best.wall) best = m;
  }
  const h = best!;
  console.log(row(['what', 'wall', 'CPU (user+sys)', 'peak RSS']));
  console.log(row(['---', '---', '---', '---']));
  console.log(row(['nilearn 0.10.4 (PERFORMANCE.md, side by side 2026-12-02)', s(NILEARN.wall), '', gb(NILEARN.rssBytes)]));
  console.log(row(['glmflow', s(h.wall), s(h.cpu), gb(h.maxRssBytes)]));
  console.log(row(['nilearn / glmflow', `${(NILEARN.wall / h.wall).toFixed(1)}x faster`, '', `${(NILEARN.rssBytes / h.maxRssBytes).toFixed(1)}x less memory`]));
  const wallGoal = NILEARN.wall / NILEARN.speedGoal;
  const rssGoal = NILEARN.rssBytes / NILEARN.memoryGoal;
  console.log(`targets: wall <= ${s(wallGoal)} (${NILEARN.speedGoal}x) ${h.wall <= wallGoal ? 'MET' : 'NOT MET'}; ` +
    `peak RSS <= ${gb(rssGoal)} (1/${NILEARN.memoryGoal}) ${h.maxRssBytes <= rssGoal ? 'MET' : 'NOT MET'}`);
  printNodes(h);

  const scaling: Measurement[] = [];
  if (series.length) {
    console.log('\nscaling with the number of runs (same model, runs 1..N of the dataset):');
    console.log(row(['runs', 'wall', 'CPU', 'peak RSS', 'wall / run']));
    console.log(row(['---', '---', '---', '---', '---']));
    for (const n of series) {
      const m = await measure(n, jobs);
      scaling.push(m);
      console.log(row([String(n), s(m.wall), s(m.cpu), gb(m.maxRssBytes), s(m.wall / n)]));
    }
  }
  return { nilearn: NILEARN, headline: h, scaling };
}

/** The single-trial workload: LSS of bench run 1 with OLS and with AR(1). */
async function singleTrialSection(jobs: string | undefined) {
  await ensureDataset(1);
  console.log('\nsingle-trial LSS beta series, run 1 (all trials, 3 conditions: one node per condition), 5 mm smoothing, 6 confounds (glmflow run --no-cache):');
  console.log(row(['noise model', 'wall', 'CPU', 'peak RSS', 'nilearn (49 fits)', 'speed-up', 'goal']));
  console.log(row(['---', '---', '---', '---', '---', '---', '---']));
  const out: Record<string, Measurement> = {};
  for (const nm of ['ols', 'ar1'] as const) {
    const m = await measureSpec(SINGLE_TRIAL_SPEC, `single-trial-${nm}`, ['--set', `first_level.noise_model=${nm}`], jobs, 1);
    out[nm] = m;
    const ref = NILEARN_LSS[nm];
    const met = m.wall <= ref.goal && m.maxRssBytes <= NILEARN_LSS.rssGoal;
    console.log(row([nm, s(m.wall), s(m.cpu), gb(m.maxRssBytes), `${s(ref.wall)}, ${gb(NILEARN_LSS.rssBytes)}`, `${(ref.wall / m.wall).toFixed(0)}x`,
      `<= ${s(ref.goal)}, <= ${gb(NILEARN_LSS.rssGoal)} ${met ? 'MET' : 'NOT MET'}`]));
  }
  for (const nm of ['ols', 'ar1']) {
    console.log(`\n${nm}:`);
    printNodes(out[nm]);
  }
  return { nilearn: NILEARN_LSS, glmflow: out };
}

async function ensureDenseDataset(): Promise<void> {
  const manifest = join(DENSE_DIR, 'manifest.json');
  try {
    if (JSON.parse(readFileSync(manifest, 'utf8')).version === DENSE_DATASET_VERSION) return;
  } catch {
    /* not generated yet */
  }
  console.log(`generating the dense benchmark's ${DENSE_SESSIONS} x ${DENSE_RUNS_PER_SESSION} runs (once) in ${DENSE_DIR}`);
  await rm(DENSE_DIR, { recursive: true, force: true });
  await generateDenseDataset(DENSE_DIR, (line) => console.log(line));
  await writeFile(manifest, JSON.stringify({ version: DENSE_DATASET_VERSION }));
}

/**
 * The dense subject (issue "Dense-sampling studies", item 4): fixed effects over 30, 60, 120 and
 * 240 runs (1, 2, 4, 8 runs of each of the 30 sessions), each from scratch; the 240-run one into
 * a fresh cache, then the same command again, which finds every node cached (plan + finish).
 * Goals: peak RSS <= 1.5 GB and flat in the number of runs, time linear, cached rerun <= 30 s.
 */
async function denseSection(perSession: number[], jobs: string | undefined) {
  await ensureDenseDataset();
  console.log(`\ndense subject: 1 subject x ${DENSE_SESSIONS} sessions x (runs per session), 49x58x49 (4 mm), 150 volumes, AR(1), 6 mm smoothing, 2 contrasts by fixed effects over all runs`);
  console.log(row(['runs', 'nodes', 'wall', 'CPU', 'peak RSS', 'wall / run', 'start-up (plan)', 'events']));
  console.log(row(['---', '---', '---', '---', '---', '---', '---', '---']));
  const cache = join(BENCH_DIR, 'dense-cache');
  const series: Measurement[] = [];
  let rerun: Measurement | undefined;
  for (const k of perSession) {
    const runs = k * DENSE_SESSIONS;
    const list = Array.from({ length: k }, (_, i) => `"${i + 1}"`).join(',');
    const last = k === Math.max(...perSession);
    // the largest one goes into a fresh cache, so that it can be run again with nothing to compute
    if (last) await rm(cache, { recursive: true, force: true });
    const m = await measureSpec(DENSE_SPEC, `dense-${runs}`, ['--set', `data.runs=[${list}]`], jobs, runs, last ? cache : undefined);
    series.push(m);
    console.log(row([String(runs), String(m.computed + m.cached), s(m.wall), s(m.cpu), gb(m.maxRssBytes), s(m.wall / runs), s(m.startup), String(m.events)]));
    if (last) {
      rerun = await measureSpec(DENSE_SPEC, `dense-${runs}`, ['--set', `data.runs=[${list}]`], jobs, runs, cache);
      console.log(row([`${runs}, cached rerun (${rerun.cached} cached, ${rerun.computed} computed)`, String(rerun.computed + rerun.cached), s(rerun.wall), s(rerun.cpu), gb(rerun.maxRssBytes), '', '', String(rerun.events)]));
    }
  }
  const peak = Math.max(...series.map((m) => m.maxRssBytes));
  console.log(`goals: peak RSS <= 1.50 GB ${peak <= 1.5e9 ? 'MET' : 'NOT MET'} (${gb(peak)})` +
    (rerun ? `; cached rerun <= 30 s ${rerun.wall <= 30 ? 'MET' : 'NOT MET'} (${s(rerun.wall)})` : ''));
  const biggest = series[series.length - 1];
  if (biggest) {
    const byType = new Map<string, { n: number; seconds: number }>();
    for (const n of biggest.nodes) {
      const t = byType.get(n.type) ?? { n: 0, seconds: 0 };
      t.n++;
      t.seconds += n.seconds;
      byType.set(n.type, t);
    }
    console.log(`node time by type, ${biggest.runs} runs (start to done, summed over nodes):`);
    for (const [type, t] of [...byType].sort((a, b) => b[1].seconds - a[1].seconds)) console.log(`  ${type.padEnd(12)} ${String(t.n).padStart(5)} nodes ${s(t.seconds).padStart(10)}`);
  }
  const strip = (m: Measurement) => ({ ...m, nodes: undefined });
  return { series: series.map(strip), cachedRerun: rerun && strip(rerun) };
}

async function parent(argv: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runsOpt = opt('--runs') ?? '1,2,4,8';
  const series = runsOpt === 'none' ? [] : runsOpt.split(',').map(Number).filter((n) => n >= 1 && n <= MAX_RUNS);
  const repeat = Math.max(1, Number(opt('--repeat') ?? 1));
  const jobs = opt('--jobs');
  const cli = opt('--cli');
  if (cli) CLI_MAIN = cli.startsWith('/') ? cli : join(process.cwd(), cli);
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (npm run build)`);
  const only = (opt('--only') ?? 'first-level,group,single-trial').split(',');
  const densePerSession = (opt('--dense-runs') ?? '1,2,4,8').split(',').map(Number).filter((n) => n >= 1 && n <= DENSE_RUNS_PER_SESSION);
  const load = loadavg()[0];
  console.log(`\nmachine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, 1-min load average ${load.toFixed(2)}` +
    (load > 0.5 ? ' (other processes are busy: expect slower figures)' : ''));
  const results: Record<string, unknown> = {};
  if (only.includes('first-level')) results.firstLevel = await firstLevelSection(series, repeat, jobs);
  if (only.includes('group')) results.groupPermutation = { nilearn: NILEARN_PERMUTATION, glmflow: await groupSection(repeat, jobs) };
  if (only.includes('single-trial')) results.singleTrial = await singleTrialSection(jobs);
  if (only.includes('dense')) results.dense = await denseSection(densePerSession, jobs);
  if (only.includes('long-run')) results.longRun = { nilearn: NILEARN_LONG_RUN, glmflow: await longRunSection(jobs) };
  const jsonOut = opt('--json') ?? join(BENCH_DIR, 'results.json');
  await writeFile(jsonOut, JSON.stringify(results, null, 1));
  console.log(`\nall figures: ${jsonOut}`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv.slice(1));
} else {
  await parent(argv);
}
