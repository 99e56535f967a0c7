/**
 * Issue 8 item 21: every runtime dependency declared in package.json is imported by the code
 * that ships (src, nodes, bin, bench, scripts), so none is declared and then left unused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/paths.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

test('every dependency in package.json is imported somewhere in src, nodes, bin, bench or scripts', () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const text = ['src', 'nodes', 'bin', 'bench', 'scripts']
    .flatMap((d) => sources(join(projectRoot, d)))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const unused = Object.keys(pkg.dependencies).filter((dep) => {
    const q = dep.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&');
    // import.meta.resolve: a package whose files ship as they are (NiiVue's bundle in report_assets/)
    return !new RegExp(`(from\\s+|import\\s*\\(\\s*|(require|import\\.meta)(\\.resolve)?\\(\\s*)['"]${q}(/[^'"]*)?['"]`).test(text);
  });
  assert.deepEqual(unused, []);
});
