/**
 * BIDS discovery: finds, per subject / session / run of a task, the BOLD series, its events,
 * its sidecar metadata, and (with fMRIPrep derivatives) the preprocessed BOLD, confounds and
 * brain mask.
 *
 * Layout (BIDS 1.x):
 *   raw:          <bids>/sub-X/[ses-Y/]func/sub-X[_ses-Y]_task-T[_acq-A][_run-R]_bold.nii[.gz]
 *                 ... and _events.tsv beside it
 *   fMRIPrep:     <deriv>/sub-X/[ses-Y/]func/..._space-S[_res-R]_desc-preproc_bold.nii.gz (or another desc-)
 *                 ..._desc-confounds_timeseries.tsv (+ .json; older fMRIPrep: desc-confounds_regressors.tsv)
 *                 ..._space-S_desc-brain_mask.nii.gz
 *
 * Metadata follows the BIDS inheritance principle: JSON files with the same suffix whose entities
 * are a subset of the data file's, found at the dataset top level, the subject level, the session
 * level and beside the file, are merged from least to most specific (more specific keys win).
 * With derivatives, the derivative's own JSON files are merged after the raw ones.
 *
 * Label matching (requested subjects and runs): labels are compared exactly as BIDS labels,
 * except that two purely numeric labels are also equal when they are the same integer, so a
 * requested run "01" selects run-1 and subject "1" selects sub-01; "1a" and "01a" differ.
 * A 'sub-' / 'run-' / 'task-' / 'space-' prefix on a requested label is ignored.
 *
 * Subjects: with subjects 'all', subjects without a BOLD for the task (or, with derivatives,
 * without a derivatives folder) are skipped and returned with the reason; an explicitly
 * requested subject without one is an error.
 *
 * Selection: a BOLD file must have the requested `desc-` (derivatives only; default preproc),
 * `space-` and every entity of `filters` (bids-selection.ts). One file must remain per run
 * (sub, ses, task, run); several are refused, naming the entities that differ, their values
 * and the spec key that chooses. Labels keep their spelling (run-01 stays '01').
 */
import { readdir, stat } from 'node:fs/promises';
import { readJsonObject } from './text.js';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readTsv, type Table } from './tsv.js';
import { compareLabels, sameLabel, subjectLabel } from './bids-labels.js';
import { duplicateMessage, failedCriterion, runKey, type EntityCriterion } from './bids-selection.js';

export interface BidsQuery {
  /** Raw BIDS root. */
  bids: string;
  /** fMRIPrep derivatives root (optional). */
  derivatives?: string;
  task: string;
  /** `space-` entity of the preprocessed BOLD (derivatives only). */
  space?: string;
  /** `desc-` entity of the preprocessed BOLD (derivatives only); default 'preproc'. */
  desc?: string;
  /** Any other entity the BOLD file must have, with this label (echo, acq, rec, dir, part, res, ce, ...). */
  filters?: Record<string, string>;
  subjects: 'all' | string[];
  runs: 'all' | string[];
}

export interface BidsRun {
  subject: string;
  session?: string;
  run?: string;
  task: string;
  /** BOLD series: the preprocessed one when derivatives are given, else the raw one. */
  bold: string;
  /** events.tsv, from the raw tree (or the derivatives when absent from the raw tree). */
  events: string;
  confounds?: string;
  confoundsJson?: string;
  brainMask?: string;
  /** Sidecar metadata merged with BIDS inheritance (raw chain, then derivative chain). */
  sidecar: Record<string, unknown>;
  /** sidecar.RepetitionTime when it is a positive number. */
  repetitionTime?: number;
  /** sidecar.SliceTiming when it is an array of numbers. */
  sliceTiming?: number[];
  /** All entities of the BOLD file name (sub, ses, task, acq, run, space, desc, ...). */
  entities: Record<string, string>;
  /** JSON files merged into `sidecar`, least specific first. */
  sidecarFiles: string[];
  /** Sidecar key -> the JSON file whose value was kept (the most specific one). */
  sidecarSource: Record<string, string>;
}

/** A subject left out of an analysis over 'all' subjects, and why. */
export interface SkippedSubject {
  subject: string;
  reason: string;
}

export interface BidsDiscovery {
  runs: BidsRun[];
  skipped: SkippedSubject[];
}

/** Entities that select a variant of the same acquisition rather than identify it. */
const VARIANT_ENTITIES = new Set(['space', 'res', 'den', 'cohort', 'desc']);
const DEFAULT_DESC = 'preproc';
/** Canonical entity order of BIDS file names (for building expected paths in messages). */
const ENTITY_ORDER = ['sub', 'ses', 'task', 'acq', 'ce', 'rec', 'dir', 'run', 'echo', 'part', 'space', 'res', 'den', 'desc'];

/**
 * Entities of a BIDS file name: `{sub, ses, task, run, space, desc, ...}` plus `suffix`
 * (e.g. 'bold') and `extension` (e.g. '.nii.gz'). Accepts a bare name or a path.
 */
export function parseEntities(fileName: string): Record<string, string> {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const parts = base.split('_');
  const last = parts.pop() ?? '';
  const out: Record<string, string> = {};
  for (const p of parts) {
    const i = p.indexOf('-');
    if (i > 0) out[p.slice(0, i)] = p.slice(i + 1);
  }
  const dot = last.indexOf('.');
  const suffixPart = dot >= 0 ? last.slice(0, dot) : last;
  const ext = dot >= 0 ? last.slice(dot) : '';
  const j = suffixPart.indexOf('-');
  if (j > 0) {
    // No suffix: the last part is itself an entity (not a valid BIDS data file, but parse it).
    out[suffixPart.slice(0, j)] = suffixPart.slice(j + 1);
  } else {
    out.suffix = suffixPart;
  }
  out.extension = ext;
  return out;
}

export { subjectLabel, sameLabel } from './bids-labels.js';

/** participants.tsv of a BIDS root, or undefined when the dataset has none. */
export async function readParticipants(bidsRoot: string): Promise<Table | undefined> {
  const p = join(bidsRoot, 'participants.tsv');
  if (!(await isFile(p))) return undefined;
  const t = await readTsv(p);
  if (!t.has('participant_id')) {
    throw new UserError(`${p}: no 'participant_id' column (columns: ${t.columns.join(', ')})`);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// File system helpers (with a per-discovery listing cache).

interface Entry {
  path: string;
  name: string;
  ents: Record<string, string>;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

class Lister {
  private cache = new Map<string, Promise<{ files: Entry[]; dirs: string[] }>>();

  /** Files (parsed) and sub-folder names of `dir`; empty when it does not exist. Hidden names skipped. */
  list(dir: string): Promise<{ files: Entry[]; dirs: string[] }> {
    let p = this.cache.get(dir);
    if (!p) {
      p = (async () => {
        let items;
        try {
          items = await readdir(dir, { withFileTypes: true });
        } catch {
          return { files: [], dirs: [] };
        }
        const files: Entry[] = [];
        const dirs: string[] = [];
        for (const it of items) {
          if (it.name.startsWith('.')) continue;
          if (it.isDirectory()) dirs.push(it.name);
          else if (it.isFile() || it.isSymbolicLink()) {
            files.push({ path: join(dir, it.name), name: it.name, ents: parseEntities(it.name) });
          }
        }
        files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        dirs.sort();
        return { files, dirs };
      })();
      this.cache.set(dir, p);
    }
    return p;
  }
}

const isNifti = (e: Entry) => e.ents.extension === '.nii' || e.ents.extension === '.nii.gz';

/** Entities that identify the acquisition (no space/desc/...), without suffix/extension. */
function identity(ents: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ents)) {
    if (k !== 'suffix' && k !== 'extension' && !VARIANT_ENTITIES.has(k)) out[k] = v;
  }
  return out;
}

function sameEntities(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** sub-X_ses-Y_..._<suffix><ext> from entities, in the canonical BIDS order. */
function bidsName(ents: Record<string, string>, suffix: string, ext: string): string {
  const keys = Object.keys(ents).sort((a, b) => {
    const ia = ENTITY_ORDER.indexOf(a);
    const ib = ENTITY_ORDER.indexOf(b);
    return (ia < 0 ? 100 : ia) - (ib < 0 ? 100 : ib) || (a < b ? -1 : 1);
  });
  return keys.map((k) => `${k}-${ents[k]}`).join('_') + `_${suffix}${ext}`;
}

function funcDir(root: string, sub: string, ses?: string): string {
  return ses === undefined ? join(root, `sub-${sub}`, 'func') : join(root, `sub-${sub}`, `ses-${ses}`, 'func');
}

/**
 * Files applying to a data file by the inheritance principle: same suffix and extension,
 * entities a subset of `ents`, at the top level, subject level, session level or in the func
 * folder. Ordered least specific first (by level, then by number of entities).
 */
async function inherited(
  lister: Lister,
  root: string,
  ents: Record<string, string>,
  suffix: string,
  ext: string,
): Promise<string[]> {
  const sub = ents.sub;
  const ses = ents.ses;
  const levels = [root];
  if (sub !== undefined) {
    levels.push(join(root, `sub-${sub}`));
    if (ses !== undefined) levels.push(join(root, `sub-${sub}`, `ses-${ses}`));
    levels.push(funcDir(root, sub, ses));
  }
  const out: string[] = [];
  for (const dir of levels) {
    const { files } = await lister.list(dir);
    const here = files.filter((f) => {
      if (f.ents.suffix !== suffix || f.ents.extension !== ext) return false;
      return Object.entries(f.ents).every(([k, v]) => k === 'suffix' || k === 'extension' || ents[k] === v);
    });
    here.sort((a, b) => Object.keys(a.ents).length - Object.keys(b.ents).length);
    out.push(...here.map((f) => f.path));
  }
  return out;
}


// ---------------------------------------------------------------------------------------------

/** Find the runs of a task. See the module comment for the layout and matching rules. */
export async function discoverRuns(q: BidsQuery): Promise<BidsRun[]> {
  return (await discoverBids(q)).runs;
}

/** The runs of a task and the subjects left out (with subjects: all) with the reason. */
export async function discoverBids(q: BidsQuery): Promise<BidsDiscovery> {
  const task = q.task.startsWith('task-') ? q.task.slice(5) : q.task;
  const space = q.space?.startsWith('space-') ? q.space.slice(6) : q.space;
  if (!(await isDir(q.bids))) throw new UserError(`${q.bids}: BIDS folder not found`);
  if (q.derivatives !== undefined && !(await isDir(q.derivatives))) {
    throw new UserError(`${q.derivatives}: derivatives folder not found`);
  }
  const lister = new Lister();
  const deriv = q.derivatives;
  const desc = deriv ? (q.desc ?? DEFAULT_DESC) : undefined;
  // Criteria a BOLD file must meet, in the order they are reported: desc, space, then the filters.
  const criteria: EntityCriterion[] = [
    ...(desc !== undefined ? [{ entity: 'desc', value: desc }] : []),
    ...(space !== undefined ? [{ entity: 'space', value: space }] : []),
    ...Object.entries(q.filters ?? {}).map(([entity, value]) => ({ entity, value: String(value) })),
  ];

  // Subjects: sub-* folders of the raw tree (and of the derivatives, whose BOLD we use).
  const subjectsFound = new Set<string>();
  const inDeriv = new Set<string>();
  for (const root of deriv ? [q.bids, deriv] : [q.bids]) {
    for (const d of (await lister.list(root)).dirs) {
      if (!d.startsWith('sub-')) continue;
      subjectsFound.add(d.slice(4));
      if (root === deriv) inDeriv.add(d.slice(4));
    }
  }
  const available = [...subjectsFound].sort(compareLabels);
  if (available.length === 0) {
    throw new UserError(`${q.bids}: no subject folders (sub-*) found${deriv ? ` (nor in ${deriv})` : ''}`);
  }
  let subjects: string[];
  if (q.subjects === 'all') {
    subjects = available;
  } else {
    subjects = [];
    const missing: string[] = [];
    for (const s of q.subjects) {
      const want = subjectLabel(String(s));
      const hit = available.find((a) => sameLabel(a, want));
      if (hit === undefined) missing.push(want);
      else if (!subjects.includes(hit)) subjects.push(hit);
    }
    if (missing.length > 0) {
      throw new UserError(
        `${q.bids}: subject(s) ${missing.map((m) => `sub-${m}`).join(', ')} not found (available: ${available.map((a) => `sub-${a}`).join(', ')})`,
      );
    }
  }

  const tasksFound = new Set<string>();
  /** Per criterion entity, the values seen among the task's BOLD files (for messages). */
  const found = new Map<string, Set<string>>();
  const runs: BidsRun[] = [];
  const boldRoot = deriv ?? q.bids;
  const subjectsWithoutTask: string[] = [];
  const skipped: SkippedSubject[] = [];
  const duplicates: string[] = [];
  const duplicateFiles: string[] = [];

  for (const sub of subjects) {
    if (deriv && !inDeriv.has(sub)) {
      subjectsWithoutTask.push(sub);
      skipped.push({ subject: sub, reason: `in the raw dataset but not in the derivatives (${deriv})` });
      continue;
    }
    // Sessions: ses-* folders of the subject in either tree; none -> a session-less layout.
    const sesSet = new Set<string>();
    for (const root of deriv ? [q.bids, deriv] : [q.bids]) {
      for (const d of (await lister.list(join(root, `sub-${sub}`))).dirs) if (d.startsWith('ses-')) sesSet.add(d.slice(4));
    }
    const sessions: (string | undefined)[] = sesSet.size > 0 ? [...sesSet].sort(compareLabels) : [undefined];

    // BOLD candidates of this subject for the task, grouped by run (sub, ses, task, run).
    const groups = new Map<string, Entry[]>();
    const subjectTasks = new Set<string>();
    let forTask = 0;
    const failed = new Set<string>();
    for (const ses of sessions) {
      const { files } = await lister.list(funcDir(boldRoot, sub, ses));
      for (const f of files) {
        if (f.ents.suffix !== 'bold' || !isNifti(f)) continue;
        if (f.ents.task !== undefined) {
          tasksFound.add(f.ents.task);
          subjectTasks.add(f.ents.task);
        }
        if (f.ents.task !== task || f.ents.sub !== sub) continue;
        forTask++;
        const miss = failedCriterion(f.ents, criteria, found);
        if (miss) {
          failed.add(`${miss.entity}-${miss.value}`);
          continue;
        }
        const key = runKey(f.ents);
        const g = groups.get(key) ?? [];
        g.push(f);
        groups.set(key, g);
      }
    }
    if (groups.size === 0) {
      subjectsWithoutTask.push(sub);
      const tasks = [...subjectTasks].sort();
      skipped.push({
        subject: sub,
        reason:
          forTask > 0 ? `no BOLD for task '${task}' with ${[...failed].sort().join(', ')}${deriv ? ` in ${deriv}` : ''}`
          : `no BOLD for task '${task}'${deriv ? ` in ${deriv}` : ''} (tasks: ${tasks.length ? tasks.join(', ') : 'none'})`,
      });
      continue;
    }

    // One BOLD per run: the variants left after the selection need a choice.
    const bolds: Entry[] = [];
    for (const g of groups.values()) {
      if (g.length > 1) {
        duplicates.push(duplicateMessage(g));
        duplicateFiles.push(...g.map((f) => `  ${f.path}`));
        continue;
      }
      bolds.push(g[0]);
    }

    // Run selection.
    let selected = bolds;
    if (q.runs !== 'all') {
      const wanted = q.runs.map((r) => String(r).replace(/^run-/, ''));
      selected = bolds.filter((b) => b.ents.run !== undefined && wanted.some((w) => sameLabel(b.ents.run, w)));
      const all = [...groups.values()].map((g) => g[0]);
      const missing = wanted.filter((w) => !all.some((b) => b.ents.run !== undefined && sameLabel(b.ents.run, w)));
      if (missing.length > 0) {
        const have = [...new Set(all.map((b) => b.ents.run).filter((r): r is string => r !== undefined))].sort(compareLabels);
        throw new UserError(
          `${boldRoot}: run(s) ${missing.join(', ')} not found for sub-${sub} task-${task} ` +
            `(runs available: ${have.length ? have.join(', ') : 'none: the files have no run- entity'})`,
        );
      }
    }

    for (const b of selected) runs.push(await describeRun(lister, q.bids, deriv, task, b));
  }

  if (duplicates.length > 0) {
    throw new UserError(duplicates.length === 1 ? `${boldRoot}: ${duplicates[0]}` : `${boldRoot}: ${duplicates.length} runs have several BOLD files`, [
      ...(duplicates.length === 1 ? [] : duplicates),
      'files:',
      ...duplicateFiles,
    ]);
  }
  if (runs.length === 0) {
    const where = deriv ? `${deriv} (preprocessed: *_desc-${desc}_bold.nii[.gz])` : q.bids;
    if (tasksFound.has(task)) {
      for (const c of criteria) {
        const seen = found.get(c.entity);
        if (seen && ![...seen].some((v) => v !== '(none)' && sameLabel(v, c.value))) {
          const noun = c.entity === 'space' ? `space '${c.value}'` : `${c.entity}-${c.value}`;
          throw new UserError(`${where}: no BOLD for task '${task}' with ${noun} (${c.entity === 'space' ? 'spaces' : `${c.entity} values`} found: ${[...seen].sort().join(', ')})`);
        }
      }
    }
    const tasks = [...tasksFound].sort();
    throw new UserError(`${where}: no BOLD for task '${task}' (tasks found: ${tasks.length ? tasks.join(', ') : 'none'})`);
  }
  if (q.subjects !== 'all' && subjectsWithoutTask.length > 0) {
    const reasons = skipped.filter((s) => subjectsWithoutTask.includes(s.subject)).map((s) => `sub-${s.subject}: ${s.reason}`);
    throw new UserError(
      `${boldRoot}: no BOLD for task '${task}' for requested subject(s) ${subjectsWithoutTask.map((s) => `sub-${s}`).join(', ')}`,
      reasons,
    );
  }

  runs.sort(
    (a, b) =>
      compareLabels(a.subject, b.subject) ||
      compareLabels(a.session, b.session) ||
      compareLabels(a.run, b.run) ||
      (a.bold < b.bold ? -1 : a.bold > b.bold ? 1 : 0),
  );
  return { runs, skipped };
}

/** Events, sidecar, confounds and mask for one BOLD file. */
async function describeRun(
  lister: Lister,
  bids: string,
  deriv: string | undefined,
  task: string,
  bold: Entry,
): Promise<BidsRun> {
  const ents = bold.ents;
  const id = identity(ents);
  const sub = ents.sub;
  const ses = ents.ses;

  // Events: most specific applicable events.tsv of the raw tree, else of the derivatives.
  let events = (await inherited(lister, bids, id, 'events', '.tsv')).pop();
  if (events === undefined && deriv) events = (await inherited(lister, deriv, id, 'events', '.tsv')).pop();
  if (events === undefined) {
    const { echo: _e, part: _p, ...evEnts } = id;
    const expected = join(funcDir(bids, sub, ses), bidsName(evEnts, 'events', '.tsv'));
    throw new UserError(`${expected}: events file not found (needed for ${bold.path})`);
  }

  // Sidecar: raw inheritance chain, then the derivative chain (more specific, wins).
  const sidecarFiles = await inherited(lister, bids, id, 'bold', '.json');
  if (deriv) {
    const dEnts: Record<string, string> = { ...ents };
    delete dEnts.suffix;
    delete dEnts.extension;
    sidecarFiles.push(...(await inherited(lister, deriv, dEnts, 'bold', '.json')));
  }
  const sidecar: Record<string, unknown> = {};
  const sidecarSource: Record<string, string> = {};
  for (const f of sidecarFiles) {
    const j = await readJsonObject(f);
    Object.assign(sidecar, j);
    for (const k of Object.keys(j)) sidecarSource[k] = f;
  }
  const tr = sidecar.RepetitionTime;
  const st = sidecar.SliceTiming;

  const run: BidsRun = {
    subject: sub,
    ...(ses !== undefined ? { session: ses } : {}),
    ...(ents.run !== undefined ? { run: ents.run } : {}),
    task,
    bold: bold.path,
    events,
    sidecar,
    ...(typeof tr === 'number' && tr > 0 ? { repetitionTime: tr } : {}),
    ...(Array.isArray(st) && st.every((x) => typeof x === 'number') ? { sliceTiming: st as number[] } : {}),
    entities: Object.fromEntries(Object.entries(ents).filter(([k]) => k !== 'suffix' && k !== 'extension')),
    sidecarFiles,
    sidecarSource,
  };

  if (deriv) {
    const { files } = await lister.list(funcDir(deriv, sub, ses));
    // Confounds: same acquisition identity, desc-confounds, suffix timeseries (or older 'regressors').
    const conf = (suffix: string) =>
      files.find((f) => f.ents.desc === 'confounds' && f.ents.suffix === suffix && f.ents.extension === '.tsv' && sameEntities(identity(f.ents), id));
    const c = conf('timeseries') ?? conf('regressors');
    if (c) {
      run.confounds = c.path;
      const j = c.path.replace(/\.tsv$/, '.json');
      if (files.some((f) => f.path === j)) run.confoundsJson = j;
    }
    // Brain mask: same identity and the same space/resolution as the BOLD.
    const mask = files.find(
      (f) =>
        f.ents.desc === 'brain' &&
        f.ents.suffix === 'mask' &&
        isNifti(f) &&
        f.ents.space === ents.space &&
        f.ents.res === ents.res &&
        sameEntities(identity(f.ents), id),
    );
    if (mask) run.brainMask = mask.path;
  }
  return run;
}
