/**
 * `execution:` in the spec: validated like every key, defaults filled in, and left out
 * of the spec hash (same cache keys and outputs whatever the executor); `--executor`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec } from '../../src/spec/load.js';
import { parseCli } from '../../src/cli/args.js';
import { problemsOf, tempDir, writeFile, yaml } from './helpers.js';

const BASE = yaml(`
  glmflow: 1
  data:
    bids: bids
    task: localizer
  first_level:
    contrasts:
      faceVsScene: face - scene
`);

const EXECUTION = yaml(`
  execution:
    executor: slurm
    slurm:
      partition: normal
      account: mylab
      time: "00:30:00"
      extra_args: ["--constraint=avx2"]
`);

test('execution: defaults filled in, and the spec hash does not depend on it', async () => {
  const dir = tempDir();
  // the same file (its name is the default `name`, its folder resolves the paths), rewritten
  const plain = await loadSpec(writeFile(dir, 'spec.yaml', BASE));
  const slurm = await loadSpec(writeFile(dir, 'spec.yaml', BASE + EXECUTION));
  assert.equal(plain.spec.execution, undefined);
  assert.deepEqual(slurm.spec.execution, {
    executor: 'slurm',
    slurm: { partition: 'normal', account: 'mylab', max_jobs: 100, time: '00:30:00', mem: 'auto', retries: 1, extra_args: ['--constraint=avx2'] },
  });
  assert.equal(slurm.hash, plain.hash);
  const other = await loadSpec(writeFile(dir, 'spec.yaml', BASE), ['execution.slurm.mem=4G']);
  assert.equal(other.spec.execution!.executor, 'local');
  assert.equal(other.spec.execution!.slurm.mem, '4G');
  assert.equal(other.hash, plain.hash);
});

test('execution: mistakes are reported with their line and what was expected', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'bad.yaml', BASE + yaml(`
    execution:
      executor: pbs
      slurm:
        mem: lots
        max_jobs: 0
        time: half an hour
        extra_args: ["constraint=avx2"]
  `));
  const problems = await problemsOf(() => loadSpec(file));
  assert.equal(problems.length, 5, problems.join('\n'));
  const text = problems.join('\n');
  assert.match(text, /bad\.yaml:9:\d+: execution\.executor/);
  assert.match(text, /execution\.slurm\.mem.*auto or a size such as "4G"/);
  assert.match(text, /execution\.slurm\.max_jobs/);
  assert.match(text, /execution\.slurm\.time.*SLURM time/);
  assert.match(text, /execution\.slurm\.extra_args\.0.*sbatch option/);
});

test('--executor local|slurm on the command line', async () => {
  assert.equal(parseCli(['run', 'a.yaml', '--executor', 'slurm'], 2).executor, 'slurm');
  assert.equal(parseCli(['run', 'a.yaml'], 2).executor, undefined);
  assert.equal((await problemsOf(async () => parseCli(['run', 'a.yaml', '--executor', 'pbs'], 2)))[0], "command line: --executor must be local or slurm (got 'pbs')");
});
