import type * as NiivueModule from '@niivue/niivue';

/** What NiiVue's UMD bundle (report_assets/niivue.js) defines as the global `niivue`: the package's API. */
type NiivueGlobal = typeof NiivueModule;

/**
 * The report's interactive viewer, run in the browser (written to report_assets/viewer.js by
 * `viewerScript`). One NiiVue instance is shared by every stat map of the page (a page can
 * hold only a few WebGL contexts): "Open viewer" moves its panel into that map's card, loads
 * the map over its underlay and puts the crosshair on the peak; a click on a cluster-table row
 * opens the row's map and moves the crosshair to the row's mm coordinates (mm -> voxel through
 * the map's affine).
 *
 * Opened from file:// there is no fetch of local files, so the volumes come as classic
 * scripts (report_assets/data/ID.js) that call `glmflowViewer.register(ID, base64 NIfTI)`;
 * each is loaded when first needed. State for tests: `glmflowViewer.state()`.
 *
 * This function is serialised with Function.prototype.toString: it must not refer to
 * anything outside its body.
 */
export function viewerClient(win: Window & { niivue?: NiivueGlobal; glmflowViewer?: unknown }): void {
  const doc = win.document;
  const data: Record<string, string> = {};
  const waiting: Record<string, Array<(b64: string) => void>> = {};
  const images: Record<string, Promise<any>> = {};
  // colour maps: positive part, negative part (nilearn's cold_hot is close to warm/winter)
  const COLORMAPS: Record<string, [string, string]> = {
    'warm / winter (cold_hot)': ['warm', 'winter'],
    'red / blue': ['red', 'blue'],
    'hot / cool': ['hot', 'cool'],
    'viridis': ['viridis', 'viridis'],
  };
  interface MapInfo { map: string; underlay: string; label: string; threshold: number; max: number; peak?: number[]; maps?: Array<{ id: string; label: string; threshold: number }> }
  type Viewer = InstanceType<NiivueGlobal['Niivue']>;
  let nv: Viewer | null = null;
  let panel: HTMLElement | null = null;
  let current: { slot: HTMLElement; info: MapInfo; map: string; threshold: number } | null = null;
  let lastError = '';
  /** The map's value under the crosshair, from NiiVue's last location report. */
  let lastValue: number | null = null;
  let busy: Promise<void> = Promise.resolve();

  function register(id: string, b64: string): void {
    data[id] = b64;
    for (const f of waiting[id] ?? []) f(b64);
    delete waiting[id];
  }

  function base64Of(id: string): Promise<string> {
    if (data[id]) return Promise.resolve(data[id]);
    return new Promise((resolve, reject) => {
      const first = !waiting[id];
      (waiting[id] = waiting[id] ?? []).push(resolve);
      if (!first) return;
      const s = doc.createElement('script');
      s.src = `report_assets/data/${encodeURIComponent(id)}.js`;
      s.onerror = () => reject(new Error(`viewer data ${s.src} did not load`));
      doc.head.appendChild(s);
    });
  }

  function image(id: string, opts: Record<string, unknown>): Promise<any> {
    if (!images[id]) {
      images[id] = base64Of(id).then((b64) => win.niivue!.NVImage.loadFromBase64({ base64: b64, name: `${id}.nii.gz`, ...opts }));
    }
    return images[id];
  }

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  }

  function buildPanel(): HTMLElement {
    const p = el('div', { id: 'nv-panel', class: 'nv-panel' });
    const controls = el('div', { class: 'nv-controls' });
    const mapSel = el('select', { id: 'nv-map', title: 'map shown' });
    const thr = el('input', { id: 'nv-threshold', type: 'number', step: '0.1', min: '0', title: 'threshold |z|' });
    const range = el('input', { id: 'nv-threshold-range', type: 'range', step: '0.05', min: '0', max: '10' });
    const cmap = el('select', { id: 'nv-colormap', title: 'colour map' });
    for (const name of Object.keys(COLORMAPS)) cmap.appendChild(el('option', { value: name }, name));
    const view = el('select', { id: 'nv-view', title: 'layout' });
    for (const [v, name] of [['3', 'orthogonal'], ['0', 'axial'], ['1', 'coronal'], ['2', 'sagittal'], ['4', '3-D render']]) view.appendChild(el('option', { value: v }, name));
    const under = el('input', { id: 'nv-underlay', type: 'range', min: '0', max: '1', step: '0.05', value: '1', title: 'underlay opacity' });
    const peak = el('button', { id: 'nv-peak', type: 'button' }, 'go to peak');
    const label = (t: string, c: HTMLElement) => { const l = el('label', {}, t); l.appendChild(c); return l; };
    controls.append(label('map ', mapSel), label('threshold |z| ≥ ', thr), range, label('colours ', cmap), label('view ', view), label('underlay ', under), peak);
    const wrap = el('div', { class: 'nv-canvas-wrap' });
    const canvas = el('canvas', { id: 'nv-canvas' });
    wrap.appendChild(canvas);
    const loc = el('div', { id: 'nv-location', class: 'nv-location' }, ' ');
    p.append(controls, wrap, loc);

    const setThreshold = (t: number) => {
      if (!current || !Number.isFinite(t)) return;
      current.threshold = t;
      thr.value = String(Number(t.toFixed(2)));
      range.value = String(t);
      applyDisplay();
    };
    thr.addEventListener('change', () => setThreshold(parseFloat(thr.value)));
    range.addEventListener('input', () => setThreshold(parseFloat(range.value)));
    cmap.addEventListener('change', applyDisplay);
    view.addEventListener('change', () => nv && nv.setSliceType(parseInt(view.value, 10)));
    under.addEventListener('input', () => nv && nv.volumes.length > 1 && nv.setOpacity(0, parseFloat(under.value)));
    peak.addEventListener('click', () => current?.info.peak && moveTo(current.info.peak));
    mapSel.addEventListener('change', () => {
      if (!current) return;
      const m = (current.info.maps ?? []).find((x) => x.id === mapSel.value);
      if (m) queue(() => show(current!.slot, current!.info, m.id, m.threshold));
    });
    return p;
  }

  function applyDisplay(): void {
    if (!nv || !current || nv.volumes.length < 2) return;
    const ov = nv.volumes[1];
    const [pos, neg] = COLORMAPS[(doc.getElementById('nv-colormap') as HTMLSelectElement).value] ?? COLORMAPS['warm / winter (cold_hot)'];
    const max = Math.max(current.info.max, current.threshold + 1e-3);
    ov.colormap = pos;
    ov.colormapNegative = neg;
    ov.cal_min = current.threshold;
    ov.cal_max = max;
    ov.cal_minNeg = -max;
    ov.cal_maxNeg = -current.threshold;
    nv.updateGLVolume();
  }

  async function ensureViewer(): Promise<Viewer> {
    if (nv) return nv;
    if (!win.niivue) throw new Error('report_assets/niivue.js did not load');
    panel = buildPanel();
    const viewer = new win.niivue.Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: true, isColorbar: true, multiplanarShowRender: 0, crosshairColor: [0.2, 0.9, 0.2, 1], crosshairWidth: 1.5, crosshairWidthUnit: 'mm', textHeight: 0.04 });
    nv = viewer;
    // multiplanarShowRender 0: no 3-D tile in the orthogonal view (ray casting is slow without a GPU; '3-D render' shows it)
    // the canvas must be in the page (with a size) before NiiVue attaches to it
    doc.body.appendChild(panel);
    await viewer.attachToCanvas(doc.getElementById('nv-canvas') as HTMLCanvasElement);
    viewer.setSliceMM(true);
    viewer.onLocationChange = (location: unknown) => {
      const l = location as { mm?: number[]; values?: Array<{ value?: number }>; string?: string } | null;
      const out = doc.getElementById('nv-location');
      if (!out || !l) return;
      const v = l.values && l.values[1] ? l.values[1].value : undefined;
      lastValue = v !== undefined && Number.isFinite(v) ? v : null;
      out.textContent = l.mm
        ? `(${[0, 1, 2].map((i) => l.mm![i].toFixed(1)).join(', ')}) mm` + (v !== undefined && Number.isFinite(v) ? `   ${current ? current.info.label : 'value'} = ${v.toFixed(3)}` : '')
        : l.string ?? '';
    };
    return viewer;
  }

  async function show(slot: HTMLElement, info: MapInfo, mapId: string, threshold: number): Promise<void> {
    const viewer = await ensureViewer();
    const host = slot.querySelector('.viewer-host') ?? slot;
    if (panel!.parentElement !== host) host.appendChild(panel!);
    current = { slot, info, map: mapId, threshold };
    const mapSel = doc.getElementById('nv-map') as HTMLSelectElement;
    mapSel.replaceChildren(...(info.maps ?? [{ id: info.map, label: info.label, threshold: info.threshold }]).map((m) => el('option', { value: m.id }, m.label)));
    mapSel.value = mapId;
    const [ul, ov] = await Promise.all([image(info.underlay, { colormap: 'gray', colorbarVisible: false }), image(mapId, { colormap: 'warm', colormapNegative: 'winter' })]);
    ul.colorbarVisible = false;
    while (viewer.volumes.length) viewer.removeVolume(viewer.volumes[0]);
    viewer.addVolume(ul);
    viewer.addVolume(ov);
    (doc.getElementById('nv-threshold') as HTMLInputElement).value = String(threshold);
    const range = doc.getElementById('nv-threshold-range') as HTMLInputElement;
    range.max = String(Math.max(1, Math.ceil(info.max)));
    range.value = String(threshold);
    applyDisplay();
    viewer.resizeListener();
    if (info.peak) moveTo(info.peak);
    for (const s of Array.from(doc.querySelectorAll('.viewer-slot.open'))) s.classList.remove('open');
    slot.classList.add('open');
  }

  /**
   * Crosshair to mm coordinates. The scene's crosshair is a fraction of the underlay
   * (volume 0, whose grid may differ from the map's): mm -> that fraction through the
   * underlay's affine. The map's voxel there is reported in state() (mm -> voxel through
   * the map's affine).
   */
  function moveTo(mm: number[]): void {
    if (!nv || nv.volumes.length < 2) return;
    nv.scene.crosshairPos = nv.mm2frac([mm[0], mm[1], mm[2]]);
    nv.createOnLocationChange();
    nv.drawScene();
  }

  function queue(job: () => Promise<void>): Promise<void> {
    busy = busy.then(job).catch((e: unknown) => {
      lastError = String(e instanceof Error ? e.message : e);
      console.error(`glmflow viewer: ${lastError}`);
    });
    return busy;
  }

  function infoOf(slot: HTMLElement): MapInfo {
    return JSON.parse(slot.getAttribute('data-viewer') ?? '{}');
  }

  function open(slotId: string, mm?: number[]): Promise<void> {
    const slot = doc.getElementById(slotId);
    if (!slot) return Promise.resolve();
    return queue(async () => {
      const info = infoOf(slot);
      if (!current || current.slot !== slot) await show(slot, info, info.map, info.threshold);
      if (mm) moveTo(mm);
    });
  }

  doc.addEventListener('click', (e) => {
    const t = e.target as HTMLElement;
    const btn = t.closest('.open-viewer');
    if (btn) {
      const slot = btn.closest('.viewer-slot') as HTMLElement | null;
      if (slot) open(slot.id);
      return;
    }
    const row = t.closest('tr[data-mm]') as HTMLElement | null;
    if (row && !t.closest('a')) {
      const mm = (row.getAttribute('data-mm') ?? '').split(',').map(Number);
      for (const r of Array.from(doc.querySelectorAll('tr.selected'))) r.classList.remove('selected');
      row.classList.add('selected');
      open(row.getAttribute('data-slot') ?? '', mm);
    }
  });

  win.glmflowViewer = {
    register,
    open,
    /** What the viewer shows now (for tests and the curious). */
    state() {
      if (!nv || !current) return { open: false, error: lastError };
      const ov = nv.volumes.length > 1 ? nv.volumes[1] : null;
      const frac = nv.scene.crosshairPos;
      const mm = ov ? nv.frac2mm([frac[0], frac[1], frac[2]]) : null;
      const vox = ov && mm ? ov.mm2vox([mm[0], mm[1], mm[2]]) : null;
      return {
        open: true, slot: current.slot.id, map: current.map, volumes: nv.volumes.length, threshold: current.threshold,
        crosshairMm: mm ? [mm[0], mm[1], mm[2]] : null, crosshairVoxel: vox ? [vox[0], vox[1], vox[2]] : null, value: lastValue, error: lastError,
        canvas: (() => { const r = (doc.getElementById('nv-canvas') as HTMLCanvasElement).getBoundingClientRect(); return { x: r.left + win.scrollX, y: r.top + win.scrollY, width: r.width, height: r.height }; })(),
      };
    },
    idle: () => busy,
  };
}

/** The viewer as the text of a classic script (runs from file://, where ES modules do not). */
export function viewerScript(): string {
  return `/* glmflow report viewer (NiiVue) */\n(${viewerClient.toString()})(window);\n`;
}
