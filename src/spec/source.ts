/**
 * The parsed YAML document of a spec, with the --set overrides applied to it,
 * and the mapping from a key path to a place a user can find: `file:line:col`
 * (1-based) for what came from the file, `--set ARG` for what came from an
 * override.
 */
import {
  Document,
  LineCounter,
  Pair,
  Scalar,
  YAMLMap,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Node,
} from 'yaml';

export type PathSeg = string | number;

export type Location =
  | { kind: 'file'; line: number; col: number }
  | { kind: 'override'; arg: string; index: number };

/** Options shared by every parse of spec text (file or --set value). */
const PARSE_OPTIONS = { prettyErrors: true, uniqueKeys: true, strict: true, version: '1.2' } as const;

/** Dotted display of a key path, as accepted by --set: `group.inference.0.alpha`. */
export function pathString(path: readonly PathSeg[]): string {
  return path.map(String).join('.');
}

/** A YAML parse error turned into `line:col` plus a one-line message. */
function yamlErrorText(err: { message: string; code?: string; pos?: [number, number] }, text: string): string {
  let msg = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
  if (err.code === 'DUPLICATE_KEY' && err.pos) {
    const key = /^[^:\n]*/.exec(text.slice(err.pos[0]))?.[0].trim();
    if (key) msg = `duplicate key '${key}' (each key may appear once in a mapping)`;
  }
  return msg;
}

export class SpecSource {
  readonly doc: Document;
  readonly lineCounter = new LineCounter();
  /** --set arguments in the order they were applied. */
  readonly overrides: { arg: string; path: PathSeg[] }[] = [];
  /** Node -> index of the override that created or replaced it. */
  private readonly origin = new WeakMap<object, number>();

  /**
   * @param display the spec path as the user wrote it (used in messages)
   * @param text the file's content
   */
  constructor(readonly display: string, readonly text: string) {
    this.doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: this.lineCounter });
  }

  /** YAML syntax errors as `file:line:col: YAML syntax error: ...` lines. */
  syntaxProblems(): string[] {
    // The parser often reports follow-up errors at the same place; the first one is the useful one.
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of this.doc.errors) {
      const lp = e.linePos?.[0] ?? this.lineCounter.linePos(e.pos[0]);
      const at = `${this.display}:${lp.line}:${lp.col}`;
      if (seen.has(at)) continue;
      seen.add(at);
      out.push(`${at}: YAML syntax error: ${yamlErrorText(e, this.text)}`);
    }
    return out;
  }

  /**
   * Apply one `--set a.b.c=value` (value parsed as YAML) to the document.
   * A null value (`KEY=null`, `KEY=~` or `KEY=`) removes the key or list item.
   * Returns problems (empty on success); after a failure the document must not be used.
   */
  applyOverride(arg: string): string[] {
    const eq = arg.indexOf('=');
    const where = `--set ${arg}`;
    if (eq <= 0) return [`${where}: expected KEY=VALUE with a dotted key path, e.g. first_level.noise_model=ols`];
    const keyText = arg.slice(0, eq).trim();
    const valueText = arg.slice(eq + 1);
    const rawSegs = keyText.split('.');
    if (rawSegs.some((s) => s.trim() === '')) return [`${where}: empty part in key path '${keyText}'; expected keys separated by single dots`];
    const valueDoc = parseDocument(valueText, PARSE_OPTIONS);
    if (valueDoc.errors.length > 0) {
      return [`${where}: the value is not valid YAML: ${yamlErrorText(valueDoc.errors[0], valueText)} (quote it, e.g. --set '${keyText}="..."')`];
    }
    const index = this.overrides.length;
    const value: Node = (valueDoc.contents as Node | null) ?? new Scalar(null);
    const mark = (n: object) => this.origin.set(n, index);
    const removes = isScalar(value) && value.value === null;

    // Walk (and create) the containers down to the parent of the last segment.
    if (this.doc.contents === null || (isScalar(this.doc.contents) && this.doc.contents.value === null)) {
      const m = new YAMLMap();
      mark(m);
      this.doc.contents = m as never;
    }
    let cur: unknown = this.deref(this.doc.contents);
    const path: PathSeg[] = [];
    for (let i = 0; i < rawSegs.length; i++) {
      const seg = rawSegs[i].trim();
      const last = i === rawSegs.length - 1;
      if (isMap(cur)) {
        const pair = this.findPair(cur, seg);
        path.push(seg);
        if (last && removes) {
          // KEY=null removes the key, so its default applies (e.g. --set roi=null drops the ROI analysis).
          if (pair) cur.items.splice(cur.items.indexOf(pair), 1);
        } else if (last) {
          if (pair) pair.value = value;
          else {
            const key = new Scalar(seg);
            mark(key);
            cur.items.push(new Pair(key, value));
          }
          mark(value);
        } else if (pair && pair.value !== null && !(isScalar(pair.value) && pair.value.value === null)) {
          cur = this.deref(pair.value as Node);
        } else {
          // Create the missing mapping (a numeric next segment still means a key: lists are
          // created by giving the whole list, e.g. --set 'group.inference=[{method: fdr}]').
          const m = new YAMLMap();
          mark(m);
          if (pair) pair.value = m;
          else {
            const key = new Scalar(seg);
            mark(key);
            cur.items.push(new Pair(key, m));
          }
          cur = m;
        }
      } else if (isSeq(cur)) {
        const n = cur.items.length;
        if (!/^\d+$/.test(seg)) {
          return [`${where}: '${pathString(path)}' is a list; expected an item index 0..${n - 1} instead of '${seg}'`];
        }
        const idx = Number(seg);
        path.push(idx);
        if (last && removes) {
          if (idx < n) cur.items.splice(idx, 1);
        } else if (last) {
          if (idx > n) return [`${where}: '${pathString(path.slice(0, -1))}' has ${n} item(s); expected an index from 0 to ${n} (${n} adds an item)`];
          if (idx === n) cur.items.push(value);
          else cur.items[idx] = value;
          mark(value);
        } else {
          if (idx > n) return [`${where}: '${pathString(path.slice(0, -1))}' has ${n} item(s); expected an index from 0 to ${n} (${n} adds an item)`];
          if (idx === n) {
            // Add an item: a new mapping, filled by the remaining segments.
            const m = new YAMLMap();
            mark(m);
            cur.items.push(m);
            cur = m;
          } else cur = this.deref(cur.items[idx] as Node);
        }
      } else {
        const what = isScalar(cur) ? `the value ${JSON.stringify(cur.value)}` : 'not a mapping';
        return [`${where}: '${pathString(path)}' is ${what}, so it has no key '${seg}'`];
      }
    }
    this.overrides.push({ arg, path });
    return [];
  }

  /**
   * Where the value (or, with at = 'key', the key) at `path` was written.
   * Paths that do not exist resolve to their deepest existing ancestor.
   */
  locate(path: readonly PathSeg[], at: 'key' | 'value' = 'value'): Location {
    let node: unknown = this.deref(this.doc.contents);
    let ov = this.origin.get(node as object);
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.findPair(node, String(seg));
        if (!pair) break;
        const key = pair.key as Node;
        if (this.origin.has(key)) ov = this.origin.get(key);
        if (ov === undefined && key.range) offset = key.range[0];
        if (last && at === 'key') break;
        const value = this.deref(pair.value as Node);
        if (value && this.origin.has(value)) ov = this.origin.get(value);
        // An alias is reported where it is used, not where its anchor is.
        const shown = isAlias(pair.value) ? (pair.value as Node) : value;
        if (last && ov === undefined && shown?.range && !(isScalar(shown) && shown.value === null)) offset = shown.range[0];
        node = value;
      } else if (isSeq(node)) {
        const rawItem = node.items[Number(seg)] as Node | undefined;
        const item = this.deref(rawItem);
        if (!item) break;
        if (this.origin.has(item)) ov = this.origin.get(item);
        const shown = isAlias(rawItem) ? rawItem : item;
        if (ov === undefined && shown.range) offset = shown.range[0];
        node = item;
      } else break;
    }
    if (ov !== undefined) return { kind: 'override', arg: this.overrides[ov]?.arg ?? '?', index: ov };
    const lp = this.lineCounter.linePos(offset);
    return { kind: 'file', line: lp.line, col: lp.col };
  }

  /** `file:line:col` or `--set ARG`. */
  where(loc: Location): string {
    return loc.kind === 'file' ? `${this.display}:${loc.line}:${loc.col}` : `--set ${loc.arg}`;
  }

  /**
   * One problem line: `file:line:col: key.path: message`, or for a value that came from
   * --set: `--set ARG: message` (the key path is repeated only when the problem is deeper
   * than the overridden key). `display` is the key path shown (default: `path`).
   */
  format(path: readonly PathSeg[], message: string, at: 'key' | 'value' = 'value', display: readonly PathSeg[] = path): string {
    const loc = this.locate(path, at);
    let shown = display.length > 0 ? `${pathString(display)}: ` : '';
    if (loc.kind === 'override') {
      const opath = this.overrides[loc.index].path;
      const deeper = path.length > opath.length && opath.every((s, i) => String(s) === String(path[i]));
      if (!deeper) shown = '';
    }
    return `${this.where(loc)}: ${shown}${message}`;
  }

  /**
   * YAML reads unquoted 01 as the number 1. BIDS labels are strings, so a number
   * written where a label list (or label map) is expected is replaced by its source text
   * (01 -> "01", 2 -> "2"): what the user typed is what is matched.
   */
  keepLabelsAsWritten(paths: readonly PathSeg[][]): void {
    const keep = (item: unknown) => {
      if (isScalar(item) && typeof item.value === 'number' && typeof item.source === 'string' && item.source !== '') {
        item.value = item.source;
      }
    };
    for (const p of paths) {
      const node = this.nodeAt(p);
      if (isSeq(node)) node.items.forEach(keep);
      else if (isMap(node)) node.items.forEach((pair) => keep(pair.value)); // a label map: entity -> label
    }
  }

  /** The plain JS value of the document (after overrides). */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  private nodeAt(path: readonly PathSeg[]): unknown {
    let node: unknown = this.deref(this.doc.contents);
    for (const seg of path) {
      if (isMap(node)) node = this.deref(this.findPair(node, String(seg))?.value as Node | undefined);
      else if (isSeq(node)) node = this.deref(node.items[Number(seg)] as Node | undefined);
      else return undefined;
    }
    return node;
  }

  private findPair(map: YAMLMap, key: string): Pair | undefined {
    return map.items.find((p) => {
      const k = p.key;
      const v = isScalar(k) ? k.value : k;
      return v !== null && v !== undefined && String(v) === key;
    }) as Pair | undefined;
  }

  private deref(node: Node | null | undefined): Node | undefined {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? undefined;
    return node ?? undefined;
  }
}
