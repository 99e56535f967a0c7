/**
 * The layering rules of the code base (README "Layout"), checked on the TypeScript sources:
 * statistics never import IO, the engine or anything above them; the engine never imports
 * statistics or a UI; IO never imports statistics; reporters (src/ui) see only the engine's
 * events and types; and no module imports itself through a cycle (static imports, type-only
 * ones included: a cycle of types still ties two modules' meanings together).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/layout -> the repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The src-relative files a module imports (relative specifiers only; `.js` mapped to `.ts`). */
function importsOf(file: string): { target: string; dynamic: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { target: string; dynamic: boolean }[] = [];
  const add = (spec: string, dynamic: boolean) => {
    if (!spec.startsWith('.')) return;
    const ts = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (existsSync(ts)) out.push({ target: relative(src, ts), dynamic });
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*'([^']+)'/gm)) add(m[1], false);
  for (const m of text.matchAll(/^\s*import\s*'([^']+)'/gm)) add(m[1], false);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) add(m[1], true);
  return out;
}

const files = sources(src).map((f) => relative(src, f));
const graph = new Map(files.map((f) => [f, importsOf(join(src, f))]));
const layer = (f: string) => f.split('/')[0];

/** Layer -> layers it must not import. */
const FORBIDDEN: Record<string, string[]> = {
  stats: ['io', 'engine', 'ui', 'spec', 'pipeline', 'plot', 'report', 'cli', 'sim'],
  engine: ['stats', 'ui', 'spec', 'pipeline', 'plot', 'report', 'cli', 'sim'],
  io: ['stats', 'engine', 'ui', 'spec', 'pipeline', 'plot', 'report', 'cli', 'sim'],
  ui: ['stats', 'io', 'spec', 'pipeline', 'plot', 'report', 'sim'],
};

test('layering: stats, engine, io and ui import only what the layout allows', () => {
  assert.ok(files.length > 100, `${files.length} source files found under ${src}`);
  const broken: string[] = [];
  for (const [f, imports] of graph) {
    const banned = FORBIDDEN[layer(f)] ?? [];
    for (const { target } of imports) if (banned.includes(layer(target))) broken.push(`src/${f} imports src/${target}`);
  }
  assert.deepEqual(broken, []);
});

test('layering: no import cycle among the sources (static imports)', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((x) => `src/${x}`).join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const { target, dynamic } of graph.get(f) ?? []) if (!dynamic) visit(target, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('layering: the checker sees imports (a known edge of each kind)', () => {
  // guards against a checker that passes because it parses nothing
  assert.ok(graph.get('engine/executor.ts')!.some((i) => i.target === 'engine/cache.ts' && !i.dynamic));
  assert.ok(graph.get('cli/main.ts')!.some((i) => i.target === 'spec/compile.ts' && i.dynamic));
  assert.ok(graph.get('pipeline/events-file.ts')!.some((i) => layer(i.target) === 'stats'));
});
