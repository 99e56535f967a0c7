/**
 * The self-contained HTML report (inline CSS; with the viewer, scripts from report_assets/ only):
 * analysis summary, design matrices, per-contrast maps with peaks, group results
 * with corrections and cluster tables, ROI tables and provenance.
 *
 * Figures are linked by relative path (the PNGs sit in the output folder next to
 * the report), or inlined as base64 when `embedImages` is set and the bytes are given.
 * Every piece of user text goes through `escapeHtml`; paths through `safeHref`.
 */
import type {
  RenderOptions,
  ReportCollinearity,
  ReportContrast,
  ReportContrastMap,
  ReportDesign,
  ReportFigure,
  ReportGroupResult,
  ReportLink,
  ReportModel,
  ReportPeak,
  ReportRoi,
  ReportSingleTrial,
  ReportTable,
  ReportViewerMap,
} from './model.js';

export type * from './model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * A relative path made safe for href/src: each segment percent-encoded (so "a b.png" works and
 * a "javascript:" prefix becomes an inert "javascript%3A"), separators kept, then HTML-escaped.
 */
export function safeHref(path: string): string {
  const encoded = path
    .replace(/\\/g, '/')
    .split('/')
    .map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg)))
    .join('/');
  return escapeHtml(encoded);
}

/** Numbers for tables: 4 significant digits, integers as they are, non-finite as "n/a". */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

const CSS = `
:root { --fg:#1d232b; --muted:#5b6673; --line:#d9dee4; --bg:#ffffff; --panel:#f5f7f9; --accent:#1f6feb; --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 10px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .meta { color: var(--muted); font-size: 13px; }
nav { position: sticky; top: 0; background: var(--bg); padding: 8px 32px; border-bottom: 1px solid var(--line); z-index: 2; }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; font-size: 14px; }
main { padding: 8px 32px 48px; max-width: 1480px; }
section { margin-top: 26px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 17px; margin: 18px 0 6px; }
h4 { font-size: 15px; margin: 12px 0 4px; color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr[data-mm] { cursor: pointer; }
tr[data-mm]:hover td { background: #eef4ff; }
tr.selected td { background: #dbe8ff; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: var(--panel); padding: 1px 4px; border-radius: 3px; }
pre.spec { background: var(--panel); padding: 10px 14px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
figure { margin: 6px 0 10px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption { color: var(--muted); font-size: 13px; }
.cols { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0 8px; }
.cols code { white-space: nowrap; font-size: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; margin: 10px 0; background: var(--bg); }
.card h3 { margin-top: 6px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 12px; align-items: start; }
.grid .card { margin: 0; }
.designs { grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); }
.pair { display: flex; gap: 8px; align-items: flex-start; }
.pair > figure { flex: 1 1 0; min-width: 0; }
.figs { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.figs > figure { flex: 1 1 320px; min-width: 0; }
.methods { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 8px; }
.card h4.title { color: var(--fg); font-size: 16px; }
.scroll { max-height: 320px; overflow-y: auto; border-bottom: 1px solid var(--line); margin-bottom: 8px; }
.scroll table { margin: 0; }
.scroll thead th { position: sticky; top: 0; }
.muted { color: var(--muted); }
.flag { color: var(--warn); font-weight: 600; }
.ok { color: var(--ok); }
.status-cached { color: var(--accent); }
.status-computed { color: var(--ok); }
.status-failed { color: var(--bad); font-weight: 600; }
.status-skipped { color: var(--warn); }
.warnings { border-left: 4px solid var(--warn); background: #fff8e5; padding: 8px 14px; margin: 10px 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 10px 0; }
.fact { background: var(--panel); border-radius: 6px; padding: 8px 12px; }
.fact b { display: block; font-size: 22px; }
.fact span { color: var(--muted); font-size: 13px; }
details { margin: 8px 0; }
details > summary { cursor: pointer; color: var(--accent); }
details.subject { border: 1px solid var(--line); border-radius: 8px; padding: 6px 14px; }
details.subject > summary { font-size: 17px; font-weight: 600; color: var(--fg); padding: 4px 0; }
details.subject > summary .muted { font-weight: 400; font-size: 14px; }
.viewer-slot { margin: 6px 0 10px; }
.viewer-slot > button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid var(--accent); color: var(--accent); background: #fff; border-radius: 4px; cursor: pointer; }
.viewer-slot.open > button { display: none; }
.nv-panel { border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: var(--panel); }
.nv-controls { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; font-size: 13px; margin-bottom: 6px; }
.nv-controls input[type=number] { width: 5em; }
.nv-canvas-wrap { position: relative; width: 100%; height: 440px; background: #000; }
.nv-canvas-wrap canvas { display: block; width: 100%; height: 100%; }
.nv-location { font-size: 13px; font-family: ui-monospace, Menlo, Consolas, monospace; min-height: 1.5em; }
`;

function figureHtml(f: ReportFigure | undefined, opts: RenderOptions): string {
  if (!f) return '';
  const src =
    opts.embedImages && f.png
      ? `data:image/png;base64,${Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength).toString('base64')}`
      : safeHref(f.src);
  const caption = f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : '';
  return `<figure><a href="${safeHref(f.src)}"><img src="${src}" alt="${escapeHtml(f.alt)}"></a>${caption}</figure>`;
}

/** Further views of a map (mosaic, glass brain), side by side where the page is wide enough. */
function viewsHtml(views: ReportFigure[] | undefined, opts: RenderOptions): string {
  return views?.length ? `<div class="figs">${views.map((f) => figureHtml(f, opts)).join('')}</div>` : '';
}

function linksHtml(links: ReportLink[] | undefined): string {
  if (!links || links.length === 0) return '';
  return `<p class="muted">Files: ${links.map((l) => `<a href="${safeHref(l.href)}">${escapeHtml(l.label)}</a>`).join(' · ')}</p>`;
}

function peakHtml(p: ReportPeak | undefined): string {
  if (!p) return '';
  const stat = escapeHtml(p.stat ?? 'value');
  return `<p>Peak ${stat} = <b>${fmt(p.value)}</b> at (${fmt(p.x, 3)}, ${fmt(p.y, 3)}, ${fmt(p.z, 3)}) mm</p>`;
}

/** A table cell: text (escaped), a number (formatted), empty, or HTML this module built itself. */
type Cell = string | number | null | { html: string };

function tableHtml(t: { columns: string[]; rows: Cell[][] }, rowAttrs?: (i: number) => string): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((row, i) => {
      const cells = row.map((cell) => {
        if (typeof cell === 'number') return `<td class="num">${fmt(cell)}</td>`;
        if (cell === null) return '<td></td>';
        if (typeof cell === 'object') return `<td>${cell.html}</td>`;
        return `<td>${escapeHtml(cell)}</td>`;
      });
      return `<tr${rowAttrs ? rowAttrs(i) : ''}>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function linkCell(l: ReportLink | undefined): Cell {
  return l ? { html: `<a href="${safeHref(l.href)}">${escapeHtml(l.label)}</a>` } : null;
}

function subjectName(s: string): string {
  return s.startsWith('sub-') || s === 'group' ? s : `sub-${s}`;
}

/** The id of a map's viewer slot (an HTML id; cluster rows point at it). */
function slotId(v: ReportViewerMap): string {
  return `viewer-${v.map.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Where the shared viewer opens for one map: a button, and the host the panel moves into. */
function viewerSlotHtml(v: ReportViewerMap | undefined, m: ReportModel): string {
  if (!v || !m.viewer) return '';
  return `<div class="viewer-slot" id="${slotId(v)}" data-viewer="${escapeHtml(JSON.stringify(v))}"><button type="button" class="open-viewer">Interactive viewer</button><div class="viewer-host"></div></div>`;
}

/** A cluster table whose rows (with X, Y, Z columns) move the viewer's crosshair when a viewer is there. */
function clusterTableHtml(t: ReportTable, v: ReportViewerMap | undefined, m: ReportModel): string {
  if (t.rows.length === 0) return '<p class="muted">No cluster above the threshold.</p>';
  const [ix, iy, iz] = ['X', 'Y', 'Z'].map((c) => t.columns.indexOf(c));
  const attrs =
    v && m.viewer && ix >= 0 && iy >= 0 && iz >= 0
      ? (i: number) => {
          const r = t.rows[i];
          const mm = [r[ix], r[iy], r[iz]];
          return mm.every((x) => typeof x === 'number') ? ` data-mm="${mm.map((x) => Number((x as number).toFixed(2))).join(',')}" data-slot="${slotId(v)}" title="show in the viewer"` : '';
        }
      : undefined;
  return tableHtml(t, attrs);
}

interface Flag { where: string; text: string }

function vifFlagged(v: { value: number | null; flagged?: boolean }, limit: number | undefined): boolean {
  return v.flagged ?? (limit !== undefined && v.value !== null && v.value >= limit);
}

/** A VIF in words: null means not finite (exact collinearity, or a regressor without variance). */
function vifText(v: number | null): string {
  return v === null ? '∞' : fmt(v, 3);
}

/** Collinearity flags of every run, for the summary's warnings. */
function collinearityFlags(designs: ReportDesign[]): Flag[] {
  const out: Flag[] = [];
  for (const d of designs) {
    const c = d.collinearity;
    if (!c) continue;
    const where = `${subjectName(d.subject)} ${d.run}`;
    for (const p of c.pairs) out.push({ where, text: `${p.a} and ${p.b} correlate (r = ${fmt(p.r, 3)})` });
    for (const v of c.vif ?? []) {
      if (!vifFlagged(v, c.vifLimit)) continue;
      out.push({ where, text: `${v.column}: variance inflation factor ${vifText(v.value)}${c.vifLimit !== undefined ? ` (≥ ${fmt(c.vifLimit)})` : ''}` });
    }
  }
  return out;
}

function summarySection(m: ReportModel): string {
  const ds = m.dataset;
  const nRuns = m.subjects.reduce((s, x) => s + x.runs.length, 0);
  const facts: Array<[string | number, string]> = [
    [m.subjects.length, m.subjects.length === 1 ? 'subject' : 'subjects'],
    [nRuns, nRuns === 1 ? 'run' : 'runs'],
    [m.contrasts.length, m.contrasts.length === 1 ? 'contrast' : 'contrasts'],
  ];
  if (m.group?.length) facts.push([m.group.length, m.group.length === 1 ? 'group test' : 'group tests']);
  if (m.roi?.length) facts.push([m.roi.length, 'ROI tables']);
  const flags = collinearityFlags(m.designs);
  const nWarn = (m.warnings?.length ?? 0) + flags.length;
  facts.push([nWarn, nWarn === 1 ? 'warning' : 'warnings']);
  const factHtml = `<div class="facts">${facts.map(([n, l]) => `<div class="fact"><b>${escapeHtml(n)}</b><span>${escapeHtml(l)}</span></div>`).join('')}</div>`;

  const rows: Array<[string, string]> = [
    ['Analysis', `<b>${escapeHtml(m.spec.name)}</b>`],
    ['Spec hash', `<code>${escapeHtml(m.spec.hash)}</code>`],
  ];
  if (m.spec.path) rows.push(['Spec file', `<code>${escapeHtml(m.spec.path)}</code>`]);
  rows.push(['glmflow version', escapeHtml(m.glmflowVersion)]);
  if (m.generatedAt) rows.push(['Generated', escapeHtml(m.generatedAt)]);
  if (ds.name) rows.push(['Dataset', escapeHtml(ds.name)]);
  if (ds.bids) rows.push(['BIDS root', `<code>${escapeHtml(ds.bids)}</code>`]);
  if (ds.derivatives) rows.push(['Derivatives', `<code>${escapeHtml(ds.derivatives)}</code>`]);
  if (ds.task) rows.push(['Task', escapeHtml(ds.task)]);
  if (ds.space) rows.push(['Space', escapeHtml(ds.space)]);
  rows.push(['Subjects / runs', `${m.subjects.length} subject${m.subjects.length === 1 ? '' : 's'}, ${nRuns} run${nRuns === 1 ? '' : 's'}`]);
  if (m.contrasts.length) rows.push(['Contrasts', m.contrasts.map((c) => `<code>${escapeHtml(c.name)}</code> = <code>${escapeHtml(c.definition)}</code>`).join('<br>')]);

  const subj = m.subjects.length
    ? `<h3>Subjects and runs</h3>${tableHtml({ columns: ['subject', 'runs'], rows: m.subjects.map((s) => [subjectName(s.label), s.runs.join(', ') || '—']) })}`
    : '';
  const params = m.parameters.length
    ? `<h3>Model parameters</h3>${tableHtml({ columns: ['parameter', 'value'], rows: m.parameters.map((p) => [p.name, p.value]) })}`
    : '';
  const items = [...(m.warnings ?? []).map((w) => escapeHtml(w)), ...flags.map((f) => `${escapeHtml(f.where)}: ${escapeHtml(f.text)}`)];
  const warnings = items.length ? `<div class="warnings"><b>Warnings</b><ul>${items.map((w) => `<li>${w}</li>`).join('')}</ul></div>` : '';
  const table = `<table><tbody>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
  return `<section id="summary"><h2>Analysis summary</h2>${factHtml}${warnings}<div class="grid"><div>${table}</div><div>${subj}${params}</div></div></section>`;
}

function collinearityHtml(c: ReportCollinearity | undefined): string {
  if (!c) return '';
  const lim = c.limit !== undefined ? ` (|r| ≥ ${fmt(c.limit)})` : '';
  const pairs = c.pairs.length
    ? `<p class="flag">Correlated regressors${lim}: ${c.pairs.map((p) => `${escapeHtml(p.a)} ~ ${escapeHtml(p.b)} (r = ${fmt(p.r, 3)})`).join('; ')}</p>`
    : `<p class="ok">No pair of regressors correlates${lim || ' strongly'}.</p>`;
  const vif = c.vif?.length
    ? `<p class="muted">VIF: ${c.vif.map((v) => {
        const bad = vifFlagged(v, c.vifLimit);
        return `<span${bad ? ' class="flag"' : ''}>${escapeHtml(v.column)} ${vifText(v.value)}</span>`;
      }).join(', ')}</p>`
    : '';
  return pairs + vif;
}

function designCard(d: ReportDesign, opts: RenderOptions): string {
  const size = d.nScans !== undefined ? `${d.nScans} scans × ${d.columns.length} regressors` : `${d.columns.length} regressors`;
  const cols = `<details><summary>${d.columns.length} columns</summary><div class="cols">${d.columns.map((c, i) => `<code title="column ${i + 1}">${escapeHtml(c)}</code>`).join('')}</div></details>`;
  const links = [...(d.tsv ? [{ label: 'design (TSV)', href: d.tsv }] : []), ...(d.correlationTsv ? [{ label: 'correlation (TSV)', href: d.correlationTsv }] : [])];
  const figs = d.correlation ? `<div class="pair">${figureHtml(d.figure, opts)}${figureHtml(d.correlation, opts)}</div>` : figureHtml(d.figure, opts);
  return `<div class="card design"><h4>${escapeHtml(d.run)} <span class="muted">— ${size}</span></h4>${figs}${collinearityHtml(d.collinearity)}${cols}${linksHtml(links)}</div>`;
}

function contrastCard(c: ReportContrast, map: ReportContrastMap, m: ReportModel, opts: RenderOptions): string {
  const kind = c.statType ? ` <span class="muted">(${c.statType === 'F' ? 'F test' : 't test'})</span>` : '';
  const thr = map.thresholdLabel ? ` <span class="muted">· ${escapeHtml(map.thresholdLabel)}</span>` : '';
  const clusters = map.clusters ? `<details open><summary>Clusters (${map.clusters.rows.length} peaks)</summary><div class="scroll">${clusterTableHtml(map.clusters, map.viewer, m)}</div></details>` : '';
  return `<div class="card contrast" id="contrast-${safeHref(c.name)}-${safeHref(map.subject)}"><h4 class="title">${escapeHtml(c.name)}${kind}${thr}</h4><p>Definition: <code>${escapeHtml(c.definition)}</code></p>` +
    `${figureHtml(map.matrix, opts)}${figureHtml(map.figure, opts)}${viewsHtml(map.views, opts)}${peakHtml(map.peak)}${viewerSlotHtml(map.viewer, m)}${clusters}${linksHtml(map.files)}</div>`;
}

/** First level: one collapsible section per subject with its designs (grid) and contrast cards. */
function firstLevelSection(m: ReportModel, opts: RenderOptions): string {
  const labels = [...new Set([...m.subjects.map((s) => s.label), ...m.designs.map((d) => d.subject), ...m.contrasts.flatMap((c) => c.maps.map((x) => x.subject))])];
  if (labels.length === 0 || (m.designs.length === 0 && m.contrasts.length === 0)) return '';
  const same = (a: string, b: string) => subjectName(a) === subjectName(b);
  const openLimit = opts.openSubjects ?? 2;
  const parts = labels.map((label) => {
    const designs = m.designs.filter((d) => same(d.subject, label));
    const cards = m.contrasts.flatMap((c) => c.maps.filter((x) => same(x.subject, label)).map((x) => contrastCard(c, x, m, opts)));
    const flags = collinearityFlags(designs).length;
    const runs = m.subjects.find((s) => same(s.label, label))?.runs.length ?? designs.length;
    const peaks = m.contrasts.flatMap((c) => c.maps.filter((x) => same(x.subject, label) && x.peak).map((x) => ({ c: c.name, p: x.peak! })));
    const best = peaks.sort((a, b) => Math.abs(b.p.value) - Math.abs(a.p.value))[0];
    const note = [
      `${runs} run${runs === 1 ? '' : 's'}`,
      `${cards.length} map${cards.length === 1 ? '' : 's'}`,
      ...(best ? [`strongest: ${escapeHtml(best.c)} ${escapeHtml(best.p.stat ?? '')} ${fmt(best.p.value, 3)}`] : []),
      ...(flags ? [`<span class="flag">${flags} collinearity flag${flags === 1 ? '' : 's'}</span>`] : []),
    ].join(' · ');
    const designHtml = designs.length ? `<h3>Design matrices</h3><div class="grid designs">${designs.map((d) => designCard(d, opts)).join('\n')}</div>` : '';
    const contrastHtml = cards.length ? `<h3>Contrasts</h3><div class="grid">${cards.join('\n')}</div>` : '';
    return `<details class="subject" id="subject-${safeHref(subjectName(label))}"${labels.length <= openLimit ? ' open' : ''}><summary>${escapeHtml(subjectName(label))} <span class="muted">${note}</span></summary>${designHtml}${contrastHtml}</details>`;
  });
  return `<section id="first-level"><h2>First level</h2>${parts.join('\n')}</section>`;
}

function groupCard(g: ReportGroupResult, m: ReportModel, opts: RenderOptions): string {
  const def = g.definition ? `<p>Test: <code>${escapeHtml(g.definition)}</code>${g.nSubjects !== undefined ? `, ${g.nSubjects} subjects` : ''}</p>` : g.nSubjects !== undefined ? `<p>${g.nSubjects} subjects</p>` : '';
  const corr = g.corrections?.length
    ? `<h4>Inference</h4>${tableHtml({
        columns: ['method', 'parameters', 'threshold', 'significant', 'map'],
        rows: g.corrections.map((c) => [c.method, c.detail ?? '', c.threshold ?? null, c.nSignificant ?? null, linkCell(c.file)]),
      })}`
    : '';
  // per method: its corrected map and cluster table side by side (the main table is shown below)
  const perMethod = (g.corrections ?? []).filter((c) => c.figures?.length || c.clusters);
  const methods = perMethod.length
    ? `<details><summary>Per inference method: corrected maps and cluster tables</summary><div class="methods">${perMethod
        .map((c) => {
          const n = c.nSignificant !== undefined ? ` <span class="muted">${c.nSignificant} significant</span>` : '';
          const table = c.clusters ? `<div class="scroll">${clusterTableHtml(c.clusters, g.viewer, m)}</div>` : '';
          return `<div class="card method"><h4 class="title">${escapeHtml(c.method)}${n}</h4>${(c.figures ?? []).map((f) => figureHtml(f, opts)).join('')}${table}</div>`;
        })
        .join('')}</div></details>`
    : '';
  const clusters = g.clusters ? `<h4>Clusters${g.clustersFrom ? ` (${escapeHtml(g.clustersFrom)})` : ''}</h4><div class="scroll">${clusterTableHtml(g.clusters, g.viewer, m)}</div>` : '';
  return `<div class="card group" id="group-${safeHref(g.name)}"><h3>${escapeHtml(g.name)}</h3>${def}${figureHtml(g.design, opts)}${figureHtml(g.figure, opts)}${viewsHtml(g.views, opts)}${peakHtml(g.peak)}` +
    `${viewerSlotHtml(g.viewer, m)}${corr}${clusters}${methods}${linksHtml(g.files)}</div>`;
}

/** Group level: per group contrast, one card per test with every inference method. */
function groupSection(m: ReportModel, opts: RenderOptions): string {
  const groups = m.group;
  if (!groups || groups.length === 0) return '';
  const byContrast = new Map<string, ReportGroupResult[]>();
  for (const g of groups) {
    const k = g.contrast ?? '';
    (byContrast.get(k) ?? byContrast.set(k, []).get(k)!).push(g);
  }
  const parts = [...byContrast].map(([contrast, tests]) => {
    const head = contrast ? `<h3>Group contrast <code>${escapeHtml(contrast)}</code></h3>` : '';
    return `${head}${tests.map((g) => groupCard(g, m, opts)).join('\n')}`;
  });
  return `<section id="group"><h2>Group level</h2>${parts.join('\n')}</section>`;
}

function roiSection(rois: ReportRoi[] | undefined, opts: RenderOptions): string {
  if (!rois || rois.length === 0) return '';
  const items = rois.map((r) => {
    const hasStat = r.rows.some((x) => x.stat !== undefined);
    const hasN = r.rows.some((x) => x.nVoxels !== undefined);
    const columns = ['ROI', 'index', 'effect', 'SE', ...(hasStat ? ['stat'] : []), ...(hasN ? ['voxels'] : [])];
    const rows = r.rows.map((x) => [
      x.label,
      x.index ?? null,
      x.effect,
      Number.isFinite(x.variance) && x.variance >= 0 ? Math.sqrt(x.variance) : null,
      ...(hasStat ? [x.stat ?? null] : []),
      ...(hasN ? [x.nVoxels ?? null] : []),
    ]);
    const file = r.file ? linksHtml([r.file]) : '';
    return `<div class="card"><h4>${escapeHtml(r.contrast)} — ${escapeHtml(subjectName(r.subject))}</h4>${figureHtml(r.figure, opts)}<details><summary>table</summary>${tableHtml({ columns, rows })}</details>${file}</div>`;
  });
  return `<section id="roi"><h2>Regions of interest</h2><div class="grid">${items.join('\n')}</div></section>`;
}

function singleTrialSection(items: ReportSingleTrial[] | undefined, opts: RenderOptions): string {
  if (!items || items.length === 0) return '';
  const cards = items.map((s) => {
    const bad = s.inestimable.length ? `<p class="muted">not estimable (volume 0, marked in the table): ${s.inestimable.map(escapeHtml).join(', ')}</p>` : '';
    return `<div class="card"><h3>${escapeHtml(subjectName(s.subject))}, ${escapeHtml(s.run)} — ${s.method.toUpperCase()}, ${s.nTrials} trials</h3>${bad}` +
      `${figureHtml(s.design, opts)}${figureHtml(s.heatmap, opts)}${linksHtml(s.files)}</div>`;
  });
  return `<section id="single-trial"><h2>Single-trial estimates</h2>${cards.join('\n')}</section>`;
}

function provenanceSection(m: ReportModel): string {
  const p = m.provenance;
  const counts = { computed: 0, cached: 0, failed: 0, skipped: 0 };
  for (const n of p.nodes) if (n.status) counts[n.status]++;
  // statuses only when the model comes from a run's events (see ReportNode.status)
  const hasStatus = p.nodes.some((n) => n.status !== undefined);
  const computeSeconds = p.nodes.reduce((s, n) => s + (n.status === 'computed' && n.seconds ? n.seconds : 0), 0);
  const facts: string[] = [
    `spec <b>${escapeHtml(m.spec.name)}</b>${m.spec.path ? ` (<code>${escapeHtml(m.spec.path)}</code>)` : ''}, hash <code>${escapeHtml(m.spec.hash)}</code>`,
    `glmflow ${escapeHtml(m.glmflowVersion)}`,
    hasStatus
      ? `${p.nodes.length} nodes: ${counts.computed} computed, ${counts.cached} from cache${counts.failed ? `, ${counts.failed} failed` : ''}${counts.skipped ? `, ${counts.skipped} skipped` : ''}`
      : `${p.nodes.length} nodes, each result identified by its cache key (below)`,
    ...(hasStatus ? [`compute time ${fmt(computeSeconds, 3)} s${p.totalSeconds !== undefined ? `, wall time ${fmt(p.totalSeconds, 3)} s` : ''}`] : []),
  ];
  if (p.cacheDir) facts.push(`cache <code>${escapeHtml(p.cacheDir)}</code>`);
  if (p.command) facts.push(`command <code>${escapeHtml(p.command)}</code>`);
  const versions = new Map<string, string>();
  for (const n of p.nodes) if (n.version !== undefined) versions.set(n.type, n.version);
  if (versions.size) facts.push(`node versions: ${[...versions].sort().map(([t, v]) => `${escapeHtml(t)} ${escapeHtml(v)}`).join(', ')}`);
  const hasVersion = versions.size > 0;
  const rows = p.nodes
    .map(
      (n) =>
        `<tr><td><code>${escapeHtml(n.id)}</code></td><td>${escapeHtml(n.type)}</td>${hasVersion ? `<td>${escapeHtml(n.version ?? '')}</td>` : ''}${hasStatus ? `<td class="status-${n.status ?? ''}">${n.status ?? ''}</td><td class="num">${n.seconds !== undefined ? fmt(n.seconds, 3) : ''}</td>` : ''}<td><code>${escapeHtml(n.key)}</code></td></tr>`,
    )
    .join('\n');
  const table = `<details${p.nodes.length <= 30 ? ' open' : ''}><summary>Nodes and cache keys (${p.nodes.length})</summary><table><thead><tr><th>node</th><th>type</th>${hasVersion ? '<th>version</th>' : ''}${hasStatus ? '<th>status</th><th>seconds</th>' : ''}<th>key</th></tr></thead><tbody>\n${rows}\n</tbody></table></details>`;
  const spec = p.specText !== undefined ? `<details><summary>Spec as run</summary><pre class="spec">${escapeHtml(p.specText)}</pre></details>` : '';
  return `<section id="provenance"><h2>Provenance</h2><ul>${facts.map((f) => `<li>${f}</li>`).join('')}</ul>${spec}${table}</section>`;
}

export function renderReport(model: ReportModel, opts: RenderOptions = {}): string {
  const title = model.title ?? `glmflow report: ${model.spec.name}`;
  const sections: Array<[string, string, string]> = [
    ['summary', 'Summary', summarySection(model)],
    ['group', 'Group', groupSection(model, opts)],
    ['first-level', 'First level', firstLevelSection(model, opts)],
    ['roi', 'ROIs', roiSection(model.roi, opts)],
    ['single-trial', 'Single trials', singleTrialSection(model.singleTrial, opts)],
    ['provenance', 'Provenance', provenanceSection(model)],
  ];
  const present = sections.filter(([, , html]) => html !== '');
  const nav = present.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('');
  const meta = [
    `spec hash <code>${escapeHtml(model.spec.hash.slice(0, 12))}</code>`,
    `glmflow ${escapeHtml(model.glmflowVersion)}`,
    ...(model.generatedAt ? [escapeHtml(model.generatedAt)] : []),
  ].join(' · ');
  // classic scripts (ES modules are refused from file://), loaded at the end of the body
  const scripts = model.viewer ? `<script src="${safeHref(model.viewer.niivue)}"></script>\n<script src="${safeHref(model.viewer.script)}"></script>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="glmflow ${escapeHtml(model.glmflowVersion)}">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><div class="meta">${meta}</div></header>
<nav>${nav}</nav>
<main>
${present.map(([, , html]) => html).join('\n')}
</main>
${scripts}</body>
</html>
`;
}
