/** A small scripted run (events as the engine would emit them) shared by the reporter tests. */
import { EventEmitter } from 'node:events';
import type { EngineEvent, PlanEntry } from '../../src/engine/types.js';

function entry(id: string, type: string, stage: string, status: 'cached' | 'run', subject?: string, label?: string): PlanEntry {
  // Optional fields are left out rather than set to undefined (JSON has no undefined).
  return {
    id, type, stage, key: `k-${id}`, status, deps: [],
    ...(subject !== undefined ? { subject } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(status === 'run' ? { reason: { kind: 'new' as const, detail: 'not in cache' } } : {}),
  };
}

export const PLAN: PlanEntry[] = [
  entry('load/sub-01', 'load', 'load', 'cached', '01'),
  entry('load/sub-02', 'load', 'load', 'cached', '02'),
  entry('design/sub-01/run-1', 'design', 'design', 'run', '01', 'run-1'),
  entry('design/sub-02/run-1', 'design', 'design', 'run', '02', 'run-1'),
  entry('fit/sub-01', 'fit', 'fit', 'run', '01'),
  entry('fit/sub-02', 'fit', 'fit', 'run', '02'),
  entry('contrast/sub-01/faceVsScene', 'contrast', 'contrast', 'run', '01', 'faceVsScene'),
  entry('contrast/sub-01/face', 'contrast', 'contrast', 'run', '01', 'face'),
  entry('contrast/sub-02/faceVsScene', 'contrast', 'contrast', 'run', '02', 'faceVsScene'),
  entry('contrast/sub-02/face', 'contrast', 'contrast', 'run', '02', 'face'),
  entry('report', 'report', 'report', 'run'),
];

const t0 = 1_700_000_000_000;

/** The full run: two cached loads, fit/sub-02 fails, its contrasts are skipped. */
export const RUN: EngineEvent[] = [
  { event: 'plan', node: '', type: '', nodes: PLAN, time: t0 },
  { event: 'node-cached', node: 'load/sub-01', type: 'load', key: 'k-load/sub-01', time: t0 + 1 },
  { event: 'node-cached', node: 'load/sub-02', type: 'load', key: 'k-load/sub-02', time: t0 + 2 },
  { event: 'node-start', node: 'design/sub-01/run-1', type: 'design', time: t0 + 3 },
  { event: 'node-done', node: 'design/sub-01/run-1', type: 'design', key: 'k-design/sub-01/run-1', seconds: 0.04, time: t0 + 40 },
  { event: 'node-start', node: 'design/sub-02/run-1', type: 'design', time: t0 + 41 },
  { event: 'node-done', node: 'design/sub-02/run-1', type: 'design', key: 'k-design/sub-02/run-1', seconds: 0.05, time: t0 + 90 },
  { event: 'node-start', node: 'fit/sub-01', type: 'fit', time: t0 + 100 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 0.05, time: t0 + 200 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 0.12, message: 'chunk 2/16', time: t0 + 300 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 0.18, time: t0 + 400 },
  { event: 'node-start', node: 'fit/sub-02', type: 'fit', time: t0 + 500 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 0.2, time: t0 + 2500 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 0.25, time: t0 + 2600 },
  { event: 'node-failed', node: 'fit/sub-02', type: 'fit', error: 'singular design matrix <X>\nrank 3 < 5 columns', time: t0 + 2700 },
  { event: 'node-skipped', node: 'contrast/sub-02/faceVsScene', type: 'contrast', reason: 'depends on failed fit/sub-02', time: t0 + 2701 },
  { event: 'node-skipped', node: 'contrast/sub-02/face', type: 'contrast', reason: 'depends on failed fit/sub-02', time: t0 + 2702 },
  { event: 'log', node: 'fit/sub-01', type: 'fit', level: 'info', message: 'AR(1) with 10 bins', time: t0 + 2800 },
  { event: 'log', node: 'fit/sub-01', type: 'fit', level: 'warn', message: '12 voxels with zero variance', time: t0 + 2900 },
  { event: 'node-progress', node: 'fit/sub-01', type: 'fit', progress: 1, time: t0 + 3200 },
  { event: 'node-done', node: 'fit/sub-01', type: 'fit', key: 'k-fit/sub-01', seconds: 3.2, time: t0 + 3300 },
  { event: 'node-start', node: 'contrast/sub-01/faceVsScene', type: 'contrast', time: t0 + 3301 },
  { event: 'node-done', node: 'contrast/sub-01/faceVsScene', type: 'contrast', key: 'k1', seconds: 0.2, time: t0 + 3500 },
  { event: 'node-start', node: 'contrast/sub-01/face', type: 'contrast', time: t0 + 3501 },
  { event: 'node-done', node: 'contrast/sub-01/face', type: 'contrast', key: 'k2', seconds: 0.2, time: t0 + 3700 },
  { event: 'node-start', node: 'report', type: 'report', time: t0 + 3701 },
  { event: 'node-done', node: 'report', type: 'report', key: 'k3', seconds: 0.8, time: t0 + 4500 },
  { event: 'done', node: '', type: '', ok: false, computed: 6, cached: 2, failed: 1, skipped: 2, seconds: 4.5, outputDir: 'out/glm', time: t0 + 4501 },
];

/** A clock that follows the events' own times (so throttling and elapsed times are deterministic). */
export function replay(events: EngineEvent[], onEvent: (e: EngineEvent) => void, clock: { now: number }): void {
  for (const e of events) {
    clock.now = e.time;
    onEvent(e);
  }
}

/** A writable stand-in for a terminal / pipe that records every write. */
export class FakeStream extends EventEmitter {
  readonly writes: string[] = [];
  constructor(readonly isTTY: boolean, readonly columns = 80, readonly rows = 40) {
    super();
  }
  write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    this.writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (typeof cb === 'function') cb();
    return true;
  }
  text(): string {
    return this.writes.join('');
  }
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?<>=]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
export const stripAnsi = (s: string) => s.replace(ANSI_RE, '');

/** The last frame an Ink app wrote: the last write with visible content, without escape codes. */
export function lastFrame(stream: FakeStream): string {
  for (let i = stream.writes.length - 1; i >= 0; i--) {
    const plain = stripAnsi(stream.writes[i]!);
    if (plain.trim() !== '') return plain;
  }
  return '';
}

/**
 * Wait until Ink has drawn a frame that satisfies `ready` (renders are batched and throttled, and a
 * loaded CI machine can take far longer than one tick), then return it; after `timeoutMs` return the
 * last frame so the caller's assertions report what was on screen.
 */
export async function frameWhen(stream: FakeStream, ready: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame(stream);
    if (ready(frame) || Date.now() >= deadline) return frame;
    await new Promise((res) => setTimeout(res, 25));
  }
}
