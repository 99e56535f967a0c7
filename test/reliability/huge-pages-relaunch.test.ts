/**
 * bin/huge-pages.js: `glmflow run` on Linux relaunches itself with glibc's huge-page tunable,
 * and a signal still counts once whether it reaches both processes (a terminal's Ctrl+C goes
 * to the whole process group) or the parent alone (kill, a test harness, a batch system).
 * The child here is a stand-in for the CLI that uses the real interrupt handlers
 * (src/cli/interrupt.ts) and takes 300 ms to stop cleanly after the first signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers/paths.js';

const RELAUNCH = pathToFileURL(join(projectRoot, 'bin', 'huge-pages.js')).href;
const INTERRUPT = pathToFileURL(join(projectRoot, 'dist', 'src', 'cli', 'interrupt.js')).href;
type Relaunch = { relaunchWithHugePages(script: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> | undefined };

const CHILD = `
import { installInterruptHandlers } from '${INTERRUPT}';
const out = (s) => process.stdout.write(s + '\\n');
out('env ' + JSON.stringify({ tunables: process.env.GLIBC_TUNABLES, supervised: process.env.GLMFLOW_SIGNALS_VIA_PARENT }));
const handlers = installInterruptHandlers({ write: (s) => out('notice ' + s.trim().split(' ')[1]) });
const keepAlive = setInterval(() => {}, 1000);
// a stand-in that nothing stops (the code under test broken) ends the test instead of hanging it
setTimeout(() => { out('nothing stopped me'); process.exit(99); }, 10_000).unref();
handlers.signal.addEventListener('abort', () => setTimeout(() => {
  out('stopped cleanly');
  process.exitCode = handlers.exitCode();
  handlers.dispose();
  clearInterval(keepAlive);
}, 300));
out('ready');
`;
const PARENT = `
import { relaunchWithHugePages } from '${RELAUNCH}';
relaunchWithHugePages(process.argv[2], ['run', 'spec.yaml'])?.then((code) => { process.exitCode = code; });
`;

interface Outcome { code: number | null; signal: NodeJS.Signals | null; lines: string[] }

/** Starts the parent in a process group of its own; `act` gets its pid once the child is ready. */
function relaunched(act: (pid: number) => void, env: Record<string, string> = {}): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-relaunch-'));
  writeFileSync(join(dir, 'child.mjs'), CHILD);
  writeFileSync(join(dir, 'parent.mjs'), PARENT);
  const childEnv = { ...process.env, ...env };
  delete childEnv.GLIBC_TUNABLES;
  delete childEnv.GLMFLOW_HUGE_PAGES;
  Object.assign(childEnv, env);
  return new Promise((resolve, reject) => {
    const parent = spawn(process.execPath, [join(dir, 'parent.mjs'), join(dir, 'child.mjs')], { env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let acted = false;
    parent.stdout.on('data', (d) => {
      stdout += d;
      if (!acted && stdout.includes('ready\n')) {
        acted = true;
        act(parent.pid!);
      }
    });
    parent.on('error', reject);
    parent.on('close', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, lines: stdout.trim().split('\n') });
    });
  });
}

const notices = (o: Outcome) => o.lines.filter((l) => l.startsWith('notice '));

test('relaunch: only `run`, only on Linux, not when GLIBC_TUNABLES names the tunable or GLMFLOW_HUGE_PAGES=0', async () => {
  const { relaunchWithHugePages } = (await import(RELAUNCH)) as Relaunch;
  assert.equal(relaunchWithHugePages('x.js', ['validate', 'spec.yaml'], {}), undefined);
  assert.equal(relaunchWithHugePages('x.js', ['run', 'spec.yaml'], { GLMFLOW_HUGE_PAGES: '0' }), undefined);
  assert.equal(relaunchWithHugePages('x.js', ['run', 'spec.yaml'], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), undefined);
});

test('relaunch: the child gets the tunable after the user\'s own, and a Ctrl+C that reaches both processes counts once', { skip: process.platform !== 'linux' }, async () => {
  const o = await relaunched((pid) => process.kill(-pid, 'SIGINT'), { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  assert.deepEqual(JSON.parse(o.lines[0].slice(4)), { tunables: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1', supervised: '1' });
  assert.deepEqual(notices(o), ['notice SIGINT']);
  assert.ok(o.lines.includes('stopped cleanly'), o.lines.join('\n'));
  assert.equal(o.code, 130);
});

test('relaunch: a SIGTERM sent to the parent alone reaches the child (exit 143 after a clean stop)', { skip: process.platform !== 'linux' }, async () => {
  const o = await relaunched((pid) => process.kill(pid, 'SIGTERM'));
  assert.deepEqual(JSON.parse(o.lines[0].slice(4)), { tunables: 'glibc.malloc.hugetlb=1', supervised: '1' });
  assert.deepEqual(notices(o), ['notice SIGTERM']);
  assert.ok(o.lines.includes('stopped cleanly'));
  assert.equal(o.code, 143);
});

test('relaunch: a second Ctrl+C quits at once, as without the relaunch', { skip: process.platform !== 'linux' }, async () => {
  const o = await relaunched((pid) => {
    process.kill(-pid, 'SIGINT');
    setTimeout(() => process.kill(-pid, 'SIGINT'), 100);
  });
  assert.deepEqual(notices(o), ['notice SIGINT']);
  assert.ok(!o.lines.includes('stopped cleanly'), 'quit before the clean stop');
  assert.equal(o.code, 130);
});

test('relaunch: the parent killed outright (SIGKILL) stops the child as a SIGTERM would, cleanly', { skip: process.platform !== 'linux' }, async () => {
  const o = await relaunched((pid) => process.kill(pid, 'SIGKILL'));
  // the parent's own status is SIGKILL; the child, still writing to the same pipe, stopped cleanly
  assert.equal(o.signal, 'SIGKILL');
  assert.deepEqual(notices(o), ['notice SIGTERM']);
  assert.ok(o.lines.includes('stopped cleanly'), o.lines.join('\n'));
});
