/**
 * Minimal file glob for `group.inputs`: `*` and `?` and `[...]` inside one path
 * segment, `**` for any number of folders. Returns sorted absolute file paths.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

const hasMagic = (s: string) => /[*?[]/.test(s);

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function list(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({
      name: d.name,
      dir: d.isDirectory() || (d.isSymbolicLink() && isDirSafe(join(dir, d.name))),
    }));
  } catch {
    return [];
  }
}

function isDirSafe(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Files matching `pattern` (relative patterns resolve against `cwd`). Hidden files match only explicit dots. */
export function globFiles(pattern: string, cwd: string = process.cwd()): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const parts = abs.split(sep).filter((p, i) => p !== '' || i === 0);
  // Split into the literal root and the segments with wildcards.
  let i = 0;
  const rootParts: string[] = [];
  while (i < parts.length && !hasMagic(parts[i])) rootParts.push(parts[i++]);
  const root = rootParts.join(sep) || sep;
  const rest = parts.slice(i);
  if (rest.length === 0) {
    try {
      return statSync(root).isFile() ? [root] : [];
    } catch {
      return [];
    }
  }
  const found = new Set<string>();
  const walk = (dir: string, k: number) => {
    if (k === rest.length) return;
    const seg = rest[k];
    const last = k === rest.length - 1;
    if (seg === '**') {
      // zero folders
      walk(dir, k + 1);
      for (const e of list(dir)) if (e.dir && !e.name.startsWith('.')) walk(join(dir, e.name), k);
      return;
    }
    if (!hasMagic(seg)) {
      const p = join(dir, seg);
      if (last) {
        try {
          if (statSync(p).isFile()) found.add(p);
        } catch {
          /* missing */
        }
      } else if (isDirSafe(p)) walk(p, k + 1);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of list(dir)) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(e.name)) continue;
      const p = join(dir, e.name);
      if (last) {
        if (!e.dir) found.add(p);
      } else if (e.dir) walk(p, k + 1);
    }
  };
  walk(root, 0);
  return [...found].sort();
}
