/**
 * Headless Chromium driven over the DevTools protocol (one WebSocket, `ws`): enough to open a
 * page from file://, collect console errors, exceptions and failed loads, evaluate script,
 * click, and take screenshots. WebGL runs on SwiftShader (no GPU on CI machines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/** Chromium's path ($CHROMIUM, or the usual Debian names), or undefined with the reason. */
export function findChromium(): { path?: string; reason?: string } {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((x): x is string => Boolean(x));
  const path = candidates.find((p) => existsSync(p));
  return path ? { path } : { reason: `no Chromium at ${candidates.join(', ')} (install Debian's chromium, as .ci/run does, or set CHROMIUM)` };
}

interface Pending { resolve: (v: any) => void; reject: (e: Error) => void }

export class ChromiumPage {
  private id = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: Array<(method: string, params: any) => void> = [];
  private readonly urls = new Map<string, string>();
  /** Console errors, uncaught exceptions, log errors and failed requests, as text. */
  readonly problems: string[] = [];

  private constructor(private readonly ws: WebSocket, private readonly proc: ChildProcess, private readonly profile: string) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${JSON.stringify(msg.error.data ?? '')})`));
        else p?.resolve(msg.result);
        return;
      }
      this.record(msg.method, msg.params);
      for (const l of this.listeners) l(msg.method, msg.params);
    });
  }

  private record(method: string, params: any): void {
    if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) {
      this.problems.push(`console.${params.type}: ${params.args.map((a: any) => a.value ?? a.description).join(' ')}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails;
      this.problems.push(`exception: ${d.exception?.description ?? d.text} at ${d.url ?? ''}:${d.lineNumber}`);
    } else if (method === 'Log.entryAdded' && params.entry.level === 'error') {
      this.problems.push(`log: ${params.entry.text} ${params.entry.url ?? ''}`);
    } else if (method === 'Network.requestWillBeSent') {
      this.urls.set(params.requestId, params.request.url);
    } else if (method === 'Network.loadingFailed') {
      this.problems.push(`load failed: ${params.errorText} ${this.urls.get(params.requestId) ?? `(request ${params.requestId})`}`);
    }
  }

  static async launch(executable: string, size = { width: 1400, height: 1000 }): Promise<ChromiumPage> {
    const profile = mkdtempSync(join(tmpdir(), 'glmflow-chromium-'));
    const args = [
      '--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, `--window-size=${size.width},${size.height}`,
      // WebGL without a GPU: ANGLE on SwiftShader
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-background-networking', '--hide-scrollbars',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      'about:blank',
    ];
    const proc = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const wsUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Chromium did not start in 30 s: ${err.slice(-2000)}`)), 30_000);
      proc.stderr!.on('data', (d) => {
        err += d;
        const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
        if (m) (clearTimeout(timer), resolve(m[1]));
      });
      proc.on('exit', (code) => (clearTimeout(timer), reject(new Error(`Chromium exited (${code}): ${err.slice(-2000)}`))));
    });
    const port = new URL(wsUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const target = targets.find((t) => t.type === 'page');
    if (!target) throw new Error('Chromium has no page target');
    const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const page = new ChromiumPage(ws, proc, profile);
    for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await page.send(`${domain}.enable`);
    await page.send('Emulation.setDeviceMetricsOverride', { width: size.width, height: size.height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Navigate and wait for the load event. */
  async goto(url: string, timeoutMs = 60_000): Promise<void> {
    const loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${url} did not load in ${timeoutMs} ms`)), timeoutMs);
      this.listeners.push((method) => method === 'Page.loadEventFired' && (clearTimeout(timer), resolve()));
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluate an expression in the page (promises awaited), returning its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Poll until the expression is truthy. */
  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A real mouse click at the centre of the first element matching `selector` (scrolled into view). */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null;
      e.scrollIntoView({ block: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.left + Math.min(r.width / 2, 20), y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`no element ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
    }
  }

  /** PNG of the viewport, or of a region of the page (CSS pixels, document coordinates). */
  async screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
    const r = await this.send('Page.captureScreenshot', { format: 'png', ...(clip ? { clip: { ...clip, scale: 1 } } : {}) });
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    try {
      this.ws.close();
    } finally {
      this.proc.kill('SIGKILL');
      await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
      rmSync(this.profile, { recursive: true, force: true });
    }
  }
}
