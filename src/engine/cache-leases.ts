/**
 * Leases: a run announces itself in `<cache>/leases/<pid>-<hex>.json` for as long as it uses
 * the cache, so `cache prune` and `cache clear` do not pull entries from under it (a prune
 * during a run once failed 14 of its nodes with "entry … is missing").
 *
 * The lease holds the run's start time and, once planned, the keys of every node of its plan
 * (the entries it will read or write). Its heartbeat is renewed every minute; a lease whose
 * heartbeat is older than 10 minutes, or whose process is gone (same host), is stale and
 * ignored (a run killed by SIGKILL cannot remove its lease). Several runs may hold leases at once.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export const HEARTBEAT_MS = 60_000;
export const STALE_MS = 10 * 60_000;

export interface LeaseInfo {
  pid: number;
  host: string;
  /** ms since the epoch */
  started: number;
  heartbeat: number;
  /** Keys of the run's plan; null while it is still planning (then every entry may be needed). */
  keys: string[] | null;
}

export const leasesDir = (root: string) => join(root, 'leases');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function leaseIsLive(l: LeaseInfo, now = Date.now()): boolean {
  if (now - l.heartbeat > STALE_MS) return false;
  if (l.host === hostname() && l.pid !== process.pid && !processAlive(l.pid)) return false;
  return true;
}

/** Live leases of the cache at `root`; stale lease files are removed on the way. */
export async function liveLeases(root: string): Promise<(LeaseInfo & { file: string })[]> {
  let names: string[];
  try {
    names = await fs.readdir(leasesDir(root));
  } catch {
    return [];
  }
  const live: (LeaseInfo & { file: string })[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(leasesDir(root), name);
    let info: LeaseInfo;
    try {
      info = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      continue; // vanished (released) or being replaced: its newer copy is read next time
    }
    if (leaseIsLive(info)) live.push({ ...info, file });
    else await fs.rm(file, { force: true });
  }
  return live;
}

export function describeLease(l: LeaseInfo): string {
  return `pid ${l.pid} on ${l.host}, started ${new Date(l.started).toISOString()}`;
}

/** The lease of one run: take it before planning, give it the plan's keys, release it at the end. */
export class CacheLease {
  private timer: NodeJS.Timeout | undefined;
  private info: LeaseInfo;
  private released = false;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(readonly file: string) {
    const now = Date.now();
    this.info = { pid: process.pid, host: hostname(), started: now, heartbeat: now, keys: null };
  }

  static async acquire(root: string): Promise<CacheLease> {
    const lease = new CacheLease(join(leasesDir(root), `${process.pid}-${randomBytes(6).toString('hex')}.json`));
    await lease.save();
    lease.timer = setInterval(() => {
      lease.info.heartbeat = Date.now();
      lease.save().catch(() => undefined); // a missed heartbeat is retried a minute later
    }, HEARTBEAT_MS);
    lease.timer.unref();
    return lease;
  }

  private save(): Promise<void> {
    if (this.released) return Promise.resolve();
    const write = this.pending.catch(() => undefined).then(() => writeFileAtomic(this.file, [Buffer.from(JSON.stringify(this.info))]));
    this.pending = write;
    return write.then(() => undefined);
  }

  async setKeys(keys: Iterable<string>): Promise<void> {
    this.info.keys = [...keys];
    this.info.heartbeat = Date.now();
    await this.save();
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    await this.pending.catch(() => undefined);
    await fs.rm(this.file, { force: true });
  }
}
