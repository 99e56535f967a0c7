/**
 * The SLURM runner's logic against a fake command layer: submission (sbatch options,
 * memory estimate), state polling, the file protocol with the compute side (which the
 * fake runs in-process with the toy nodes when a job "completes"), failure messages per
 * state, retries, cancellation on interrupt, the controller precheck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPipeline, DEFAULT_SLURM, type SlurmSettings } from '../../src/engine/index.js';
import type { EngineEvent, Graph } from '../../src/engine/types.js';
import type { JobState, SlurmCommands } from '../../src/engine/slurm/commands.js';
import { parseStateLines } from '../../src/engine/slurm/commands.js';
import { runNodeFromJobFile } from '../../src/engine/slurm/compute-side.js';
import { describeEnd, phaseOf, suggestMore } from '../../src/engine/slurm/states.js';
import { estimateMemMB, jobName, sbatchArgs } from '../../src/engine/slurm/resources.js';
import { registry } from './toy-nodes.js';

/** States a job goes through, one per poll; 'COMPLETED' and 'FAILED' run the node first. */
type Plan = string[];

class FakeSlurm implements SlurmCommands {
  submitted: { id: string; args: string[]; node: string }[] = [];
  cancelled: string[] = [];
  private jobs = new Map<string, { plan: Plan; polls: number; jobFile: string; ran: boolean }>();
  private next = 100;
  constructor(private readonly planFor: (node: string, attempt: number) => Plan, private readonly down?: string) {}

  async ping() {
    return this.down;
  }
  async submit(args: string[], script: string) {
    const id = String(this.next++);
    const node = args.find((a) => a.startsWith('--job-name='))!.slice('--job-name=glmflow-'.length);
    const attempt = this.submitted.filter((s) => s.node === node).length + 1;
    this.submitted.push({ id, args, node });
    this.jobs.set(id, { plan: this.planFor(node, attempt), polls: 0, jobFile: script.replace(/\.sh$/, '.job.json'), ran: false });
    return id;
  }
  async queue() {
    const out = new Map<string, JobState>();
    for (const [id, j] of this.jobs) {
      if (this.cancelled.includes(id)) {
        out.set(id, { state: 'CANCELLED' });
        continue;
      }
      const state = j.plan[Math.min(j.polls++, j.plan.length - 1)]!;
      if ((state === 'COMPLETED' || state === 'FAILED') && !j.ran) {
        j.ran = true;
        await runNodeFromJobFile(j.jobFile, registry);
      }
      out.set(id, { state });
    }
    return out;
  }
  async finished() {
    return new Map<string, JobState>();
  }
  async cancel(ids: string[]) {
    this.cancelled.push(...ids);
  }
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-slurm-fake-'));
  writeFileSync(join(dir, 'a.txt'), '2');
  writeFileSync(join(dir, 'b.txt'), '5');
  process.env.GLMFLOW_TOY_LOG = join(dir, 'runs.log');
  const graph: Graph = {
    nodes: [
      { id: 'source/a', type: 'source', params: { id: 'source/a' }, deps: {}, files: { value: join(dir, 'a.txt') }, stage: 'load' },
      { id: 'source/b', type: 'source', params: { id: 'source/b' }, deps: {}, files: { value: join(dir, 'b.txt') }, stage: 'load' },
      { id: 'scale/a', type: 'scale', params: { id: 'scale/a', factor: 3 }, deps: { x: 'source/a' }, files: {}, stage: 'fit' },
      { id: 'scale/b', type: 'scale', params: { id: 'scale/b', factor: 10 }, deps: { x: 'source/b' }, files: {}, stage: 'fit' },
      { id: 'sum', type: 'sum', params: { id: 'sum' }, deps: { xs: ['scale/a', 'scale/b'] }, files: {}, stage: 'group' },
    ],
  };
  return { dir, graph };
}

const ok: Plan = ['PENDING', 'RUNNING', 'COMPLETED'];

async function runFake(fake: FakeSlurm, settings: Partial<SlurmSettings> = {}, cacheDir?: string, signal?: AbortSignal) {
  const s = setup();
  const events: EngineEvent[] = [];
  const summary = await runPipeline(s.graph, {
    registry, cacheRoot: cacheDir ?? join(s.dir, 'cache'), useCache: true, jobs: 2, emit: (e) => events.push(e), signal,
    executor: { kind: 'slurm', settings: { ...DEFAULT_SLURM, ...settings }, command: ['node', 'glmflow.js'], commands: fake, pollMs: 5 },
  });
  return { summary, events, dir: s.dir, graph: s.graph };
}

test('fake SLURM: every node is one job; events carry job ids and states; warnings and progress travel back', async () => {
  const fake = new FakeSlurm(() => ok);
  const { summary, events } = await runFake(fake);
  assert.equal(summary.ok, true);
  assert.equal(summary.computed, 5);
  assert.equal(fake.submitted.length, 5);
  assert.ok(fake.submitted.every((s) => s.args.some((a) => a.startsWith('--job-name=glmflow-'))));
  const states = events.filter((e) => e.event === 'node-state' && e.node === 'sum').map((e: any) => e.state);
  assert.deepEqual(states, ['PENDING', 'RUNNING', 'COMPLETED']);
  const done = events.filter((e) => e.event === 'node-done') as any[];
  assert.equal(done.length, 5);
  for (const d of done) {
    assert.equal(d.job, fake.submitted.find((s) => s.node === d.node)!.id);
    assert.equal(d.state, 'COMPLETED');
  }
  // scale/b (factor 10) warns on the compute side; the warning reaches the event stream
  assert.ok(events.some((e) => e.event === 'log' && e.node === 'scale/b' && /large factor 10/.test(e.message)));
  assert.ok(events.some((e) => e.event === 'node-progress' && e.node === 'scale/a' && e.progress === 0.5));
});

test('fake SLURM: results equal the local executor, and a rerun submits nothing', async () => {
  const fake = new FakeSlurm(() => ok);
  const first = await runFake(fake);
  const cache = join(first.dir, 'cache');
  const local: EngineEvent[] = [];
  const localSummary = await runPipeline(first.graph, { registry, cacheRoot: join(first.dir, 'local-cache'), useCache: true, jobs: 2, emit: (e) => local.push(e) });
  assert.equal(localSummary.computed, 5);
  const keys = (ev: EngineEvent[]) => ev.filter((e) => e.event === 'node-done').map((e: any) => `${e.node}=${e.key}`).sort();
  assert.deepEqual(keys(first.events), keys(local));
  const again = new FakeSlurm(() => ok);
  const events: EngineEvent[] = [];
  const summary = await runPipeline(first.graph, {
    registry, cacheRoot: cache, useCache: true, jobs: 2, emit: (e) => events.push(e),
    executor: { kind: 'slurm', settings: DEFAULT_SLURM, command: ['node'], commands: again, pollMs: 5 },
  });
  assert.equal(summary.cached, 5);
  assert.equal(again.submitted.length, 0);
});

test('fake SLURM: OUT_OF_MEMORY fails only the node and its dependents, naming mem and the setting to raise', async () => {
  const fake = new FakeSlurm((node) => (node === 'scale/b' ? ['PENDING', 'RUNNING', 'OUT_OF_MEMORY'] : ok));
  const { summary, events } = await runFake(fake, { mem: '2G' });
  assert.equal(summary.ok, false);
  assert.equal(summary.failed, 1);
  assert.equal(summary.skipped, 1);
  const failed = events.find((e) => e.event === 'node-failed') as any;
  assert.equal(failed.node, 'scale/b');
  assert.equal(failed.state, 'OUT_OF_MEMORY');
  assert.match(failed.error, /node scale\/b: SLURM job \d+ was killed for exceeding its memory request \(--mem=2G/);
  assert.match(failed.error, /execution\.slurm\.mem=4G/);
  assert.ok(events.some((e) => e.event === 'node-done' && e.node === 'scale/a'));
});

test('fake SLURM: a node error computed on the cluster keeps its message; TIMEOUT names execution.slurm.time', async () => {
  const fake = new FakeSlurm((node) => (node === 'scale/a' ? ['RUNNING', 'TIMEOUT'] : ok));
  const { events } = await runFake(fake, { time: '00:30:00' });
  const failed = events.find((e) => e.event === 'node-failed') as any;
  assert.equal(failed.state, 'TIMEOUT');
  assert.match(failed.error, /time limit \(--time=00:30:00.*execution\.slurm\.time=\\?"?01:00:00/);
});

test('fake SLURM: NODE_FAIL is retried (retries: 1), then fails when retries are used up', async () => {
  const flaky = new FakeSlurm((node, attempt) => (node === 'sum' && attempt === 1 ? ['RUNNING', 'NODE_FAIL'] : ok));
  const r1 = await runFake(flaky);
  assert.equal(r1.summary.ok, true);
  assert.equal(flaky.submitted.filter((s) => s.node === 'sum').length, 2);
  assert.ok(r1.events.some((e) => e.event === 'log' && e.node === 'sum' && /NODE_FAIL.*attempt 2 of 2/.test(e.message)));

  const broken = new FakeSlurm((node) => (node === 'sum' ? ['RUNNING', 'PREEMPTED'] : ok));
  const r2 = await runFake(broken, { retries: 0 });
  assert.equal(r2.summary.failed, 1);
  assert.equal(broken.submitted.filter((s) => s.node === 'sum').length, 1);
  assert.match((r2.events.find((e) => e.event === 'node-failed') as any).error, /preempted/);
});

test('fake SLURM: an interrupt scancels the submitted jobs and skips what was not started', async () => {
  const fake = new FakeSlurm(() => ['PENDING']);
  const controller = new AbortController();
  const s = setup();
  const events: EngineEvent[] = [];
  const run = runPipeline(s.graph, {
    registry, cacheRoot: join(s.dir, 'cache'), useCache: true, jobs: 2, signal: controller.signal, emit: (e) => events.push(e),
    executor: { kind: 'slurm', settings: DEFAULT_SLURM, command: ['node'], commands: fake, pollMs: 5 },
  });
  while (fake.submitted.length < 2) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const summary = await run;
  assert.deepEqual(fake.cancelled.sort(), fake.submitted.map((j) => j.id).sort());
  assert.equal(summary.failed, 2);
  assert.equal(summary.computed, 0);
  assert.ok(events.filter((e) => e.event === 'node-failed').every((e: any) => /interrupted; SLURM job \d+ cancelled/.test(e.error)));
});

test('fake SLURM: an unreachable controller is a user error before anything is submitted; so is --no-cache', async () => {
  const fake = new FakeSlurm(() => ok, 'Slurmctld(primary) at ctl is DOWN');
  const s = setup();
  const opts = {
    registry, cacheRoot: join(s.dir, 'cache'), useCache: true, jobs: 1, emit: () => undefined,
    executor: { kind: 'slurm' as const, settings: DEFAULT_SLURM, command: ['node'], commands: fake },
  };
  await assert.rejects(runPipeline(s.graph, opts), (e: Error) => e.name === 'UserError' && /controller does not answer.*DOWN.*nothing was submitted/.test(e.message));
  await assert.rejects(runPipeline(s.graph, { ...opts, useCache: false }), (e: Error) => e.name === 'UserError' && /--no-cache/.test(e.message));
  assert.equal(fake.submitted.length, 0);
});

test('sbatch options: spec settings, user extra args last, memory estimate from input sizes', () => {
  const args = sbatchArgs(
    { ...DEFAULT_SLURM, partition: 'normal', account: 'mylab', qos: 'short', time: '00:30:00', extra_args: ['--constraint=avx2'] },
    { nodeId: 'fit/sub-01', mem: '1536M', log: '/c/x.log', cwd: '/w' },
  );
  for (const a of ['--job-name=glmflow-fit/sub-01', '--mem=1536M', '--time=00:30:00', '--partition=normal', '--account=mylab', '--qos=short', '--output=/c/x.log', '--chdir=/w', '--cpus-per-task=1']) {
    assert.ok(args.includes(a), a);
  }
  assert.equal(args.at(-1), '--constraint=avx2');
  assert.ok(!sbatchArgs(DEFAULT_SLURM, { nodeId: 'a', mem: '1G', log: 'l', cwd: '/' }).some((a) => /--(time|partition|account|qos)=/.test(a)));
  assert.equal(jobName('fit/sub 01;rm'), 'glmflow-fit/sub_01_rm');
  assert.equal(estimateMemMB('save', 0), 512);
  // 200 MB of inputs: 512 + 3x for most nodes, 5x for fit, rounded up to 256 MB
  assert.equal(estimateMemMB('contrast', 200 * 1024 * 1024), 1280);
  assert.equal(estimateMemMB('fit', 200 * 1024 * 1024), 1536);
});

test('SLURM states: phases, messages, parsing', () => {
  assert.equal(phaseOf('PENDING'), 'pending');
  assert.equal(phaseOf('COMPLETING'), 'running');
  assert.equal(phaseOf('COMPLETED'), 'completed');
  assert.equal(phaseOf('CANCELLED by 1000'), 'failed');
  for (const s of ['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']) assert.equal(phaseOf(s), 'retry');
  for (const s of ['FAILED', 'OUT_OF_MEMORY', 'TIMEOUT', 'DEADLINE']) assert.equal(phaseOf(s), 'failed');
  const ctx = { node: 'fit/sub-01', job: '7', mem: '1536M', log: '/x.log' };
  assert.match(describeEnd('CANCELLED by 0', ctx), /fit\/sub-01: SLURM job 7 was cancelled/);
  assert.match(describeEnd('TIMEOUT', ctx), /partition's default time.*execution\.slurm\.time/);
  assert.equal(suggestMore('1536M'), '3G');
  assert.equal(suggestMore('4G'), '8G');
  assert.equal(suggestMore('300'), '600M');
  const m = parseStateLines('12|RUNNING|None\n13|PENDING|Resources\n13.batch|COMPLETED|0:0\n\n');
  assert.deepEqual([...m.keys()], ['12', '13']);
  assert.equal(m.get('13')!.state, 'PENDING');
});
