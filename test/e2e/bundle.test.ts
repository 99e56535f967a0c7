/**
 * The esbuild bundle (scripts/bundle.mjs, dist/bundle/): bin/glmflow.js runs it only while it
 * is not older than tsc's output, and the bundled CLI finds everything it locates relative to
 * its modules (schema, ajv validator, package.json, the node registry) as the unbundled tree
 * does. The pipelines themselves run through bin/glmflow.js in the other end-to-end tests,
 * i.e. on the bundle after `npm run build` / `npm test`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers/paths.js';

type CliModule = { cliModuleUrl: () => string };

test('bin/cli-module.js: the bundle when it is at least as new as dist/src/cli/main.js, else the unbundled CLI', async () => {
  // a copy of the selector in a fake installation, so that the mtimes are the test's own
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-bundle-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
    copyFileSync(join(projectRoot, 'bin', 'cli-module.js'), join(dir, 'bin', 'cli-module.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const { cliModuleUrl } = (await import(pathToFileURL(join(dir, 'bin', 'cli-module.js')).href)) as CliModule;
    const main = join(dir, 'dist', 'src', 'cli', 'main.js');
    const bundle = join(dir, 'dist', 'bundle', 'glmflow.js');
    const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

    writeFileSync(main, '');
    assert.equal(cliModuleUrl(), pathToFileURL(main).href, 'no bundle: tsc output');
    mkdirSync(join(dir, 'dist', 'bundle'));
    writeFileSync(bundle, '');
    at(main, 1_000_000);
    at(bundle, 1_000_010);
    assert.equal(cliModuleUrl(), pathToFileURL(bundle).href, 'bundle built after tsc');
    at(bundle, 1_000_000);
    assert.equal(cliModuleUrl(), pathToFileURL(bundle).href, 'same mtime');
    at(main, 1_000_020);
    assert.equal(cliModuleUrl(), pathToFileURL(main).href, 'tsc ran again after the bundle: stale bundle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundled CLI finds its schema, validator, version and node registry', async (t) => {
  const { cliModuleUrl } = (await import(pathToFileURL(join(projectRoot, 'bin', 'cli-module.js')).href)) as CliModule;
  if (!cliModuleUrl().endsWith('/dist/bundle/glmflow.js')) {
    t.skip('dist/bundle is missing or older than tsc output (npm run build makes it)');
    return;
  }
  const bundled = join(projectRoot, 'dist', 'bundle', 'glmflow.js');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(pathToFileURL(bundled).href)}); process.exitCode = await main(${JSON.stringify(args)});`], { cwd: projectRoot, encoding: 'utf8' });
  const version = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version;
  const v = cli('--version');
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout, `glmflow ${version}\n`);
  const spec = join(projectRoot, 'pipelines', 'localizer.yaml');
  const ok = cli('validate', spec);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid — 1 subject, 1 run/);
  // a schema error is explained from the schema file (found above the module's own file)
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-bundle-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(spec, 'utf8').replace(/^glmflow: 1$/m, 'glmflow: 1\nfirst_levell: {}'));
    const refused = cli('validate', bad);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /first_levell/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // plan imports the node registry (dist/bundle/nodes.js) in the CLI's thread for the keys
  const plan = cli('plan', spec, '--no-cache', '--ui', 'json');
  assert.equal(plan.status, 0, plan.stderr);
  assert.ok(plan.stdout.includes('"fit/sub-01/'), plan.stdout.slice(0, 400));
});
