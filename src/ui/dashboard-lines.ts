/**
 * The Ink dashboard's content as plain styled lines (pure: state + clock + width in,
 * lines out), so layout decisions are testable without a terminal and the Ink
 * component stays a thin renderer.
 *
 * Layout (80 columns):
 *
 *   glmflow ⠹ 23/48 nodes · 8 cached · 3 running · 1 failed              0:12
 *     load       ✔ 2/2 done (2 cached)
 *     fit        ⠹ 1/3 done · 2 running
 *       sub-01   ✔ 1/1 done
 *       sub-02   ⠹ fit/sub-02          ███████░░░░░  58%  0:03
 *       sub-03   ⠹ fit/sub-03          ██░░░░░░░░░░  17%  0:01
 *     contrast   ○ 12 queued
 *       ✖ fit/sub-04: singular design matrix
 *   ✔ Done in 12.3 s: 30 computed, 18 cached, 0 failed, 0 skipped → out/glm
 *
 * Compactness for hundreds of nodes: a stage with nothing running collapses to one
 * count line; inside an active stage each subject gets a line only when the stage has
 * few subjects (otherwise only running nodes and failures are listed); at most a few
 * failures per stage are printed; and the frame is cut to the terminal height.
 */
import { formatClock, formatDuration, formatPercent, progressBar, truncate, firstLine } from './format.js';
import { isFinished, isPendingOnScheduler, type NodeView, type RunState, type StatusCounts } from './run-state.js';

export interface Segment {
  text: string;
  color?: 'green' | 'red' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'gray' | 'white';
  dim?: boolean;
  bold?: boolean;
}
export type Line = Segment[];

export interface LayoutOptions {
  /** Terminal columns (lines are cut to this width). */
  width: number;
  /** Terminal rows: the frame is kept below this height when given. */
  maxRows?: number;
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
export const GLYPH = {
  queued: '○',
  cached: '↺',
  done: '✔',
  failed: '✖',
  skipped: '⊘',
} as const;

const STAGE_COL = 13; // "  " + stage name ("confounds" is the longest) + gap
const SUBJECT_COL = 9;
/** Above this many subjects in an active stage, idle subjects get no line of their own. */
const MAX_SUBJECT_LINES = 8;
const MAX_FAILURES_PER_STAGE = 3;

export function spinnerFrame(nowMs: number): string {
  return SPINNER[Math.floor(nowMs / 80) % SPINNER.length]!;
}

export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}

/** Cut a styled line to `width` visible characters. */
function clip(line: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const seg of line) {
    if (left <= 0) break;
    if (seg.text.length <= left) {
      out.push(seg);
      left -= seg.text.length;
    } else {
      out.push({ ...seg, text: truncate(seg.text, left) });
      left = 0;
    }
  }
  return out;
}

/** "3/6 done" counts cached nodes as done; the cached share is given in brackets. */
function finishedSummary(c: StatusCounts, total: number): Line {
  const ok = c.done + c.cached;
  const segs: Line = [];
  const glyph = c.failed > 0 ? GLYPH.failed : c.skipped > 0 ? GLYPH.skipped : GLYPH.done;
  const color = c.failed > 0 ? 'red' : c.skipped > 0 ? 'yellow' : 'green';
  segs.push({ text: `${glyph} `, color });
  segs.push({ text: `${ok}/${total} done` });
  if (c.failed > 0) segs.push({ text: `, ${c.failed} failed`, color: 'red' });
  if (c.skipped > 0) segs.push({ text: `, ${c.skipped} skipped`, color: 'yellow' });
  if (c.cached > 0) segs.push({ text: ` (${c.cached} cached)`, dim: true });
  return segs;
}

function activeSummary(c: StatusCounts, total: number, spin: string): Line {
  const ok = c.done + c.cached;
  const segs: Line = [];
  if (c.running > 0) segs.push({ text: `${spin} `, color: 'cyan' });
  else segs.push({ text: `${GLYPH.queued} `, color: 'gray' });
  if (ok === 0 && c.running === 0 && c.failed === 0 && c.skipped === 0) {
    segs.push({ text: `${c.queued} queued`, dim: true });
    return segs;
  }
  segs.push({ text: `${ok}/${total} done` });
  if (c.running > 0) segs.push({ text: ` · ${c.running} running`, color: 'cyan' });
  if (c.queued > 0) segs.push({ text: ` · ${c.queued} queued`, dim: true });
  if (c.failed > 0) segs.push({ text: ` · ${c.failed} failed`, color: 'red' });
  if (c.skipped > 0) segs.push({ text: ` · ${c.skipped} skipped`, color: 'yellow' });
  if (c.cached > 0) segs.push({ text: ` (${c.cached} cached)`, dim: true });
  return segs;
}

function groupSummary(c: StatusCounts, total: number, spin: string): Line {
  return isFinished(c) ? finishedSummary(c, total) : activeSummary(c, total, spin);
}

/** PlanEntry.subject may be "01" or "sub-01": show "sub-01" either way. */
function subjectLabel(subject: string): string {
  if (!subject) return '';
  return subject.startsWith('sub-') ? subject : `sub-${subject}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s.padEnd(n);
}

/** One line for a running node: label, progress bar (when it reports progress), elapsed. */
function runningLine(n: NodeView, prefix: string, nowMs: number, width: number, spin: string): Line {
  const elapsed = n.startedAt !== undefined ? formatClock((nowMs - n.startedAt) / 1000) : '';
  const label = n.label ?? n.id;
  const hasProgress = n.progress !== undefined;
  // prefix + glyph(2) + label + " " + bar + " " + pct(4) + "  " + elapsed
  const barWidth = width >= 70 ? 12 : width >= 56 ? 8 : 0;
  const right = (hasProgress && barWidth > 0 ? barWidth + 1 + 4 + 1 : 0) + (elapsed ? 2 + elapsed.length : 0);
  const room = Math.max(8, width - prefix.length - 2 - right - 1);
  let labelText = truncate(label, room);
  const msgRoom = room - labelText.length - 2;
  const pending = isPendingOnScheduler(n);
  const segs: Line = [{ text: prefix }, pending ? { text: `${GLYPH.queued} `, color: 'magenta' } : { text: `${spin} `, color: 'cyan' }];
  // SLURM: the job id and state ("job 123 PENDING") where a message would go
  const note = n.job !== undefined && (pending || !n.message) ? `job ${n.job} ${n.jobState ?? ''}`.trim() : n.message;
  if (note && !hasProgress && msgRoom > 6) labelText += `  ${truncate(note, msgRoom)}`;
  segs.push({ text: labelText.padEnd(room) + ' ' });
  if (hasProgress && barWidth > 0) {
    segs.push({ text: progressBar(n.progress!, barWidth), color: 'cyan' });
    segs.push({ text: ' ' + formatPercent(n.progress!).padStart(4) });
    segs.push({ text: ' ' });
  }
  if (elapsed) segs.push({ text: '  ' + elapsed, dim: true });
  return segs;
}

function failureLines(nodes: NodeView[], indent: string): Line[] {
  const failed = nodes.filter((n) => n.status === 'failed');
  const lines: Line[] = failed.slice(0, MAX_FAILURES_PER_STAGE).map((n) => [
    { text: indent },
    { text: `${GLYPH.failed} ${n.id}: `, color: 'red', bold: true },
    { text: firstLine(n.error ?? 'failed'), color: 'red' },
  ]);
  if (failed.length > MAX_FAILURES_PER_STAGE) {
    lines.push([{ text: indent }, { text: `… ${failed.length - MAX_FAILURES_PER_STAGE} more failed`, color: 'red' }]);
  }
  return lines;
}

function headerLine(state: RunState, nowMs: number, spin: string, width: number): Line {
  const c = state.counts();
  const total = state.nodes.size;
  const ok = c.done + c.cached;
  const segs: Line = [{ text: 'glmflow ', bold: true }];
  if (state.summary) {
    segs.push(state.summary.ok ? { text: `${GLYPH.done} `, color: 'green' } : { text: `${GLYPH.failed} `, color: 'red' });
  } else {
    segs.push({ text: `${spin} `, color: 'cyan' });
  }
  segs.push({ text: `${ok}/${total} nodes` });
  segs.push({ text: ` · ${c.cached} cached`, color: 'blue' });
  // on SLURM, submitted nodes wait in the cluster's queue before they run
  const pending = state.pendingOnScheduler();
  if (c.running - pending > 0) segs.push({ text: ` · ${c.running - pending} running`, color: 'cyan' });
  if (pending > 0) segs.push({ text: ` · ${pending} queued on SLURM`, color: 'magenta' });
  if (c.failed > 0) segs.push({ text: ` · ${c.failed} failed`, color: 'red' });
  if (c.skipped > 0) segs.push({ text: ` · ${c.skipped} skipped`, color: 'yellow' });
  const clock = formatClock(state.elapsed(nowMs));
  const used = lineText(segs).length;
  const gap = width - used - clock.length;
  if (gap >= 2) segs.push({ text: ' '.repeat(gap) }, { text: clock, dim: true });
  else segs.push({ text: '  ' + clock, dim: true });
  return segs;
}

function summaryLine(state: RunState): Line | undefined {
  const s = state.summary;
  if (!s) return undefined;
  if (s.interrupted) {
    const by = s.interrupted.signal ? ` by ${s.interrupted.signal}` : '';
    return [
      { text: `${GLYPH.failed} Interrupted${by} after ${formatDuration(s.seconds)}`, color: 'yellow', bold: true },
      { text: `: ${s.computed + s.cached} finished and cached, ${s.interrupted.nodes} interrupted, ${s.interrupted.notStarted} not started — run again to compute the rest` },
    ];
  }
  const head = s.ok ? `${GLYPH.done} Done in ${formatDuration(s.seconds)}` : `${GLYPH.failed} Failed after ${formatDuration(s.seconds)}`;
  const segs: Line = [
    { text: head, color: s.ok ? 'green' : 'red', bold: true },
    { text: `: ${s.computed} computed, ${s.cached} cached, ${s.failed} failed, ${s.skipped} skipped` },
  ];
  return segs;
}

function outputLine(state: RunState): Line | undefined {
  const dir = state.summary?.outputDir;
  return dir ? [{ text: '  output: ', dim: true }, { text: dir }] : undefined;
}

/** Build the frame. `detail` false drops per-subject idle lines (used when the frame is too tall). */
function build(state: RunState, nowMs: number, width: number, detail: boolean): Line[] {
  const spin = spinnerFrame(nowMs);
  const lines: Line[] = [headerLine(state, nowMs, spin, width)];
  if (!state.hasPlan && state.nodes.size === 0) {
    lines.push([{ text: `  ${spin} planning…`, dim: true }]);
  }
  for (const st of state.stages()) {
    const head: Line = [{ text: pad(`  ${st.stage}`, STAGE_COL) }, ...groupSummary(st.counts, st.nodes.length, spin)];
    lines.push(head);
    const started = st.counts.queued < st.nodes.length;
    if (started && !isFinished(st.counts)) {
      const expandSubjects = detail && st.subjects.filter((g) => g.subject !== '').length <= MAX_SUBJECT_LINES;
      for (const g of st.subjects) {
        const running = g.nodes.filter((n) => n.status === 'running');
        const subjPrefix = `    ${pad(subjectLabel(g.subject), SUBJECT_COL)}`;
        const blank = ' '.repeat(subjPrefix.length);
        if (running.length > 0) {
          running.forEach((n, i) => lines.push(runningLine(n, i === 0 ? subjPrefix : blank, nowMs, width, spin)));
        } else if (expandSubjects && g.subject !== '') {
          lines.push([{ text: subjPrefix }, ...groupSummary(g.counts, g.nodes.length, spin)]);
        }
      }
    }
    lines.push(...failureLines(st.nodes, '    '));
  }
  const tail = summaryLine(state);
  if (tail) lines.push(tail);
  const out = outputLine(state);
  if (out) lines.push(out);
  return lines;
}

export function dashboardLines(state: RunState, nowMs: number, opts: LayoutOptions): Line[] {
  const width = Math.max(20, opts.width);
  let lines = build(state, nowMs, width, true);
  if (opts.maxRows !== undefined && lines.length > opts.maxRows) lines = build(state, nowMs, width, false);
  if (opts.maxRows !== undefined && lines.length > opts.maxRows && opts.maxRows >= 3) {
    // Keep the header and the summary; cut the middle.
    const keepTail = (state.summary ? 1 : 0) + (state.summary?.outputDir ? 1 : 0);
    const budget = opts.maxRows - 1 - keepTail - 1;
    const hidden = lines.length - 1 - keepTail - budget;
    lines = [
      lines[0]!,
      ...lines.slice(1, 1 + budget),
      [{ text: `  … ${hidden} more line${hidden === 1 ? '' : 's'}`, dim: true }],
      ...lines.slice(lines.length - keepTail),
    ];
  }
  return lines.map((l) => clip(l, width));
}
