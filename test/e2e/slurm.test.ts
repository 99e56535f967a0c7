/**
 * --executor slurm on a real one-node SLURM cluster (CI: .ci/run starts one with
 * scripts/slurm-up.sh). Where no controller answers, every case is skipped with the
 * reason in its skip line (never passed silently).
 *
 * The bundled localizer: a SLURM job cancelled mid-run fails its node (exit 1, node named,
 * state CANCELLED) and no other; the rerun resumes from the cache, submits only what is
 * missing, and every output file is byte-identical to the local executor's; a third run
 * submits nothing. SIGINT cancels the submitted jobs; an impossible --mem is reported
 * with sbatch's reason and the setting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import type { EngineEvent } from '../../src/engine/types.js';

const SPEC = join(projectRoot, 'pipelines', 'localizer.yaml');
/** Poll quickly: the test cluster schedules a job in ~1 s. */
const ENV = { GLMFLOW_SLURM_POLL_MS: '250' };

function slurmUnavailable(): string | undefined {
  try {
    const out = execFileSync('scontrol', ['ping'], { timeout: 15_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /\bUP\b/.test(out) ? undefined : `scontrol ping: ${out.trim()}`;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return err.code === 'ENOENT' ? 'scontrol not found (SLURM is not installed; CI installs it in .ci/run)' : `scontrol ping failed: ${String(err.stderr ?? err.message).trim()}`;
  }
}
const unavailable = slurmUnavailable();
const skip = unavailable ? `SLURM not available: ${unavailable}` : false;
if (unavailable) console.log(`# SKIPPING SLURM end-to-end tests: ${unavailable}`);

/** Every file under `dir`, relative path -> bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** States of jobs by id as the controller reports them (it keeps finished jobs for MinJobAge). */
function jobInfo(id: string): { name: string; state: string } {
  const out = execFileSync('scontrol', ['show', 'job', '-o', id], { timeout: 15_000, encoding: 'utf8' });
  return { name: /JobName=(\S+)/.exec(out)?.[1] ?? '', state: /JobState=(\S+)/.exec(out)?.[1] ?? '' };
}

function activeJobs(ids: string[]): string[] {
  const out = execFileSync('squeue', ['-h', '-o', '%i|%T'], { timeout: 15_000, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => l.split('|')).filter(([id]) => ids.includes(id!)).map(([id, st]) => `${id} ${st}`);
}

/** Runs glmflow with --ui json, calling `onEvent` for each event as it arrives. */
function runLive(args: string[], onEvent: (e: EngineEvent, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'glmflow.js'), ...args, '--ui', 'json'], {
    cwd: projectRoot, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: EngineEvent[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as EngineEvent;
      events.push(e);
      onEvent(e, child);
    }
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; events: EngineEvent[]; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, events, stderr })));
}

const jobsOf = (events: EngineEvent[]) => [...new Set(events.filter((e) => e.event === 'node-state').map((e: any) => e.job as string))];

test('SLURM: a cancelled job fails only its node; the rerun resumes and every output is byte-identical to local; a third run submits nothing', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-slurm-e2e-'));
  const local = await glmflow(['run', SPEC, '--out', join(dir, 'local'), '--cache', join(dir, 'local-cache'), '--ui', 'json']);
  assert.equal(local.code, 0, local.stderr);

  // 1. a run in which the fit's job is cancelled once it runs (as an administrator or scancel would)
  const out = join(dir, 'slurm');
  const cache = join(dir, 'slurm-cache');
  const args = ['run', SPEC, '--out', out, '--cache', cache, '--executor', 'slurm'];
  let cancelled: string | undefined;
  const started = performance.now();
  const first = await runLive(args, (e) => {
    if (e.event === 'node-state' && e.node.startsWith('fit/') && e.state === 'RUNNING' && !cancelled) {
      cancelled = e.job;
      execFileSync('scancel', [e.job], { timeout: 15_000 });
    }
  });
  t.diagnostic(`cancelled run: ${((performance.now() - started) / 1000).toFixed(1)} s, exit ${first.code}`);
  assert.ok(cancelled, 'the fit job was seen RUNNING');
  assert.equal(first.code, 1, first.stderr);
  const failed = first.events.filter((e) => e.event === 'node-failed') as any[];
  assert.equal(failed.length, 1);
  assert.match(failed[0].node, /^fit\//);
  assert.equal(failed[0].job, cancelled);
  assert.equal(failed[0].state, 'CANCELLED');
  assert.match(failed[0].error, new RegExp(`node fit/\\S+: SLURM job ${cancelled} was cancelled`));
  const firstDone = first.events.filter((e) => e.event === 'node-done') as any[];
  assert.ok(firstDone.length >= 3, 'nodes that do not depend on the fit finished');
  // every node computed ran as its own SLURM job named after it
  for (const d of firstDone) {
    assert.match(d.job, /^\d+$/);
    assert.equal(d.state, 'COMPLETED');
    const info = jobInfo(d.job);
    assert.equal(info.name, `glmflow-${d.node}`);
    assert.equal(info.state, 'COMPLETED');
  }
  assert.equal(jobInfo(cancelled!).state, 'CANCELLED');

  // 2. the rerun submits only what is missing and completes
  const t2 = performance.now();
  const second = await runLive(args, () => undefined);
  t.diagnostic(`rerun: ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  assert.equal(second.code, 0, second.stderr);
  const done2 = second.events.find((e) => e.event === 'done') as any;
  assert.equal(done2.cached, firstDone.length);
  const total = ((second.events.find((e) => e.event === 'plan') as any).nodes as unknown[]).length;
  assert.equal(done2.computed, total - firstDone.length);
  assert.equal(jobsOf(second.events).length, done2.computed);

  const a = tree(join(dir, 'local'));
  const b = tree(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs from the local executor's`);
  t.diagnostic(`${a.size} output files byte-identical to the local executor's`);

  // 3. nothing left to do: nothing submitted
  const third = await glmflow([...args, '--ui', 'json'], { env: ENV });
  assert.equal(third.code, 0, third.stderr);
  assert.equal((third.events.find((e) => e.event === 'done') as any).cached, total);
  assert.equal(jobsOf(third.events).length, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('SLURM: SIGINT cancels every submitted job and ends the run', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-slurm-int-'));
  let sent = false;
  const r = await runLive(['run', SPEC, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'), '--executor', 'slurm'], (e, child) => {
    // interrupt once the first wave (load, mask, dataset) is submitted
    if (e.event === 'node-state' && !sent) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 300);
    }
  });
  assert.equal(r.signal, null);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT received/);
  const ids = jobsOf(r.events);
  assert.ok(ids.length >= 2, `jobs submitted: ${ids.join(', ')}`);
  // scancel is asynchronous in the controller: the jobs leave the queue within seconds
  let left = activeJobs(ids);
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    left = activeJobs(ids);
  }
  assert.deepEqual(left, [], 'no job of the interrupted run is left in the queue');
  assert.ok(r.events.some((e) => e.event === 'interrupted'), 'the final event of an interrupted run');
  rmSync(dir, { recursive: true, force: true });
});

test('SLURM: a request the cluster cannot satisfy fails the nodes with sbatch\'s reason and the setting', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-slurm-mem-'));
  const r = await glmflow(['run', SPEC, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'), '--executor', 'slurm', '--set', 'execution.slurm.mem=64T', '--ui', 'json'], { env: ENV });
  assert.equal(r.code, 1, r.stderr);
  const failed = r.events.filter((e) => e.event === 'node-failed') as any[];
  assert.ok(failed.length >= 2);
  for (const f of failed) assert.match(f.error, /sbatch refused the job \(--mem=64T\): .*(memory|Memory|configuration)/s);
  assert.equal(jobsOf(r.events).length, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('SLURM: --executor slurm without a reachable controller is exit 2 before anything runs', async () => {
  // runs everywhere: without SLURM installed the tools are missing; with it, a
  // configuration naming a controller on a closed port stands for an unreachable one
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-slurm-down-'));
  const env: Record<string, string> = {};
  if (existsSync('/etc/slurm/slurm.conf')) {
    env.SLURM_CONF = join(dir, 'slurm.conf');
    writeFileSync(env.SLURM_CONF, readFileSync('/etc/slurm/slurm.conf', 'utf8').replace(/^SlurmctldHost=.*$/m, 'SlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=1'));
  }
  const r = await glmflow(['run', SPEC, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'), '--executor', 'slurm'], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--executor slurm: the SLURM controller does not answer \(scontrol ping: .*(DOWN|not found|failed|refused).*\); nothing was submitted/);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  rmSync(dir, { recursive: true, force: true });
});
