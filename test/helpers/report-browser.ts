/**
 * Opens a pipeline's report.html from disk in headless Chromium and checks it as a reader
 * would meet it: no console error, exception or failed load; every image decoded; NiiVue
 * draws the chosen map over its underlay (pixels of the canvas area); the threshold control
 * changes the picture; a click on a cluster-table row moves the crosshair to that row's mm
 * coordinates. Screenshots go to $GLMFLOW_SCREENSHOTS when set (to be looked at).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { ChromiumPage, findChromium } from './chromium.js';

interface ViewerState {
  open: boolean; slot?: string; map?: string; volumes?: number; threshold?: number; error?: string;
  crosshairMm?: number[] | null; value?: number | null; canvas?: { x: number; y: number; width: number; height: number };
}

/** Pixels of a PNG: lit (not black background) and coloured (overlay: clearly not grey). */
export function countPixels(png: Buffer): { total: number; lit: number; coloured: number } {
  const img = PNG.sync.read(png);
  let lit = 0;
  let coloured = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
    if (r + g + b > 30) lit++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
  }
  return { total: img.width * img.height, lit, coloured };
}

export interface ReportCheck {
  /** Selector of the viewer slot to open (default: the first). */
  slot?: string;
  /** Screenshot file prefix. */
  name: string;
}

export async function checkReportInBrowser(t: TestContext, reportDir: string, check: ReportCheck): Promise<void> {
  await t.test(`${check.name}: report.html in headless Chromium`, async (st) => {
    const chromium = findChromium();
    if (!chromium.path) {
      // loud, never a silent pass
      console.warn(`SKIPPED browser check of ${check.name}: ${chromium.reason}`);
      st.skip(chromium.reason);
      return;
    }
    const shots = process.env.GLMFLOW_SCREENSHOTS;
    const save = (file: string, png: Buffer) => {
      if (!shots) return;
      mkdirSync(shots, { recursive: true });
      writeFileSync(join(shots, `${check.name}-${file}.png`), png);
      st.diagnostic(`screenshot ${join(shots, `${check.name}-${file}.png`)}`);
    };
    const page = await ChromiumPage.launch(chromium.path);
    try {
      await page.goto(pathToFileURL(join(reportDir, 'report.html')).href);
      await page.waitFor('Array.from(document.images).every((i) => i.complete)');
      const images = await page.evaluate<{ n: number; broken: string[] }>(
        `({ n: document.images.length, broken: Array.from(document.images).filter((i) => i.naturalWidth === 0).map((i) => i.getAttribute('src')) })`,
      );
      st.diagnostic(`${images.n} images`);
      assert.ok(images.n > 0, 'the report shows figures');
      assert.deepEqual(images.broken, [], 'every image loads');
      assert.equal(await page.evaluate(`typeof window.niivue === 'object' && typeof window.glmflowViewer === 'object'`), true, 'NiiVue and the viewer script loaded');
      save('top', await page.screenshot());

      const slot = check.slot ?? '.viewer-slot';
      const slotId = await page.evaluate<string | null>(`document.querySelector(${JSON.stringify(slot)})?.id ?? null`);
      assert.ok(slotId, `a viewer slot ${slot}`);
      // open the map's <details> ancestors, then the viewer
      await page.evaluate(`(() => { let e = document.getElementById(${JSON.stringify(slotId)}); while (e) { if (e.tagName === 'DETAILS') e.open = true; e = e.parentElement; } })()`);
      await page.click(`#${slotId} .open-viewer`);
      await page.waitFor('window.glmflowViewer.state().open && window.glmflowViewer.state().volumes === 2', 60_000);
      await page.evaluate('window.glmflowViewer.idle()');
      const settle = () => page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 200))))');
      await settle();
      let state = await page.evaluate<ViewerState>('window.glmflowViewer.state()');
      assert.equal(state.error, '', 'viewer error');
      assert.equal(state.slot, slotId);
      await page.evaluate(`document.getElementById('nv-canvas').scrollIntoView({ block: 'center' })`);
      await settle();
      state = await page.evaluate<ViewerState>('window.glmflowViewer.state()');
      const clip = state.canvas!;
      assert.ok(clip.width > 200 && clip.height > 200, `canvas size ${clip.width}x${clip.height}`);
      const drawn = await page.screenshot(clip);
      save('viewer', drawn);
      const px = countPixels(drawn);
      st.diagnostic(`viewer canvas ${clip.width}x${clip.height}: ${px.lit} lit, ${px.coloured} coloured pixels`);
      assert.ok(px.lit > 0.05 * px.total, `the underlay is drawn (${px.lit} of ${px.total} pixels lit)`);
      assert.ok(px.coloured > 50, `the thresholded map is drawn in colour (${px.coloured} pixels)`);

      // the threshold control: far above the maximum leaves only the colour bar and crosshair in colour
      await page.evaluate(`(() => { const i = document.getElementById('nv-threshold'); i.value = '1000'; i.dispatchEvent(new Event('change')); })()`);
      await settle();
      const high = countPixels(await page.screenshot(clip));
      st.diagnostic(`threshold 1000: ${high.coloured} coloured pixels`);
      assert.ok(high.coloured < px.coloured, 'raising the threshold hides voxels');
      await page.evaluate(`(() => { const i = document.getElementById('nv-threshold'); i.value = '3.1'; i.dispatchEvent(new Event('change')); })()`);

      // a cluster row away from the crosshair: click it, the crosshair follows
      const before = state.crosshairMm!;
      const target = await page.evaluate<{ mm: number[]; peak: number } | null>(`(() => {
        const here = ${JSON.stringify(before)};
        let best = null, far = 0;
        for (const row of document.querySelectorAll('tr[data-slot=${JSON.stringify(slotId)}]')) {
          const mm = row.getAttribute('data-mm').split(',').map(Number);
          const d = Math.hypot(mm[0] - here[0], mm[1] - here[1], mm[2] - here[2]);
          if (d > far) { far = d; best = row; }
        }
        if (!best) return null;
        best.setAttribute('data-test-target', '1');
        let e = best; while (e) { if (e.tagName === 'DETAILS') e.open = true; e = e.parentElement; }
        const col = Array.from(best.closest('table').querySelectorAll('th')).findIndex((th) => th.textContent === 'Peak Stat');
        return { mm: best.getAttribute('data-mm').split(',').map(Number), peak: Number(best.children[col].textContent) };
      })()`);
      assert.ok(target, 'the map has a cluster table with coordinates');
      await page.click('tr[data-test-target]');
      await page.evaluate('window.glmflowViewer.idle()');
      await settle();
      const now = await page.evaluate<ViewerState>('window.glmflowViewer.state()');
      const after = now.crosshairMm!;
      const moved = Math.hypot(after[0] - before[0], after[1] - before[1], after[2] - before[2]);
      const miss = Math.hypot(after[0] - target.mm[0], after[1] - target.mm[1], after[2] - target.mm[2]);
      st.diagnostic(`crosshair ${before.map((v) => v.toFixed(1))} -> ${after.map((v) => v.toFixed(1))} mm (row ${target.mm}, peak ${target.peak}); moved ${moved.toFixed(1)} mm, ${miss.toFixed(2)} mm from the row; map value there ${now.value}`);
      assert.ok(moved > 5, 'the crosshair moved');
      // the crosshair sits at the row's coordinates (to the underlay's voxel), on the map's peak voxel
      assert.ok(miss < 1.5, `crosshair ${after} is ${miss} mm from the row's ${target.mm}`);
      assert.ok(now.value !== null && now.value !== undefined, 'NiiVue reports the map value under the crosshair');
      // the table prints 4 significant digits; the viewer's int16 map is within max|z|/65534
      assert.ok(Math.abs(now.value - target.peak) <= 0.01 * Math.abs(target.peak) + 0.01, `value under the crosshair ${now.value} vs the row's peak ${target.peak}`);
      await page.evaluate(`document.getElementById('nv-canvas').scrollIntoView({ block: 'center' })`);
      await settle();
      save('viewer-after-click', await page.screenshot());
      assert.deepEqual(page.problems, [], 'no console error, exception or failed load');
    } finally {
      await page.close();
    }
  });
}
