/**
 * The self-contained HTML report (inline CSS, no scripts, no external resources):
 * analysis summary, design matrices, per-contrast maps with peaks, group results
 * with corrections and cluster tables, ROI tables and provenance.
 *
 * Figures are linked by relative path (the PNGs sit in the output folder next to
 * the report), or inlined as base64 when `embedImages` is set and the bytes are given.
 * Every piece of user text goes through `escapeHtml`; paths through `safeHref`.
 */
import type {
  RenderOptions,
  ReportContrast,
  ReportDesign,
  ReportFigure,
  ReportGroupResult,
  ReportLink,
  ReportModel,
  ReportPeak,
  ReportRoi,
  ReportSingleTrial,
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
header { padding: 24px 32px 12px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .meta { color: var(--muted); font-size: 13px; }
nav { position: sticky; top: 0; background: var(--bg); padding: 8px 32px; border-bottom: 1px solid var(--line); z-index: 1; }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; font-size: 14px; }
main { padding: 8px 32px 48px; max-width: 1200px; }
section { margin-top: 28px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 17px; margin: 22px 0 6px; }
h4 { font-size: 15px; margin: 14px 0 4px; color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: var(--panel); padding: 1px 4px; border-radius: 3px; }
figure { margin: 8px 0 16px; }
.views { display: flex; flex-wrap: wrap; gap: 12px; } .views figure { margin: 0 0 12px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); image-rendering: pixelated; }
figcaption { color: var(--muted); font-size: 13px; }
.cols { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0 12px; }
.cols code { white-space: nowrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 10px 0; }
.muted { color: var(--muted); }
.status-cached { color: var(--accent); }
.status-computed { color: var(--ok); }
.status-failed { color: var(--bad); font-weight: 600; }
.status-skipped { color: var(--warn); }
.warnings { border-left: 4px solid var(--warn); background: #fff8e5; padding: 8px 14px; }
details > summary { cursor: pointer; color: var(--accent); }
`;

function figureHtml(f: ReportFigure | undefined, opts: RenderOptions): string {
  if (!f) return '';
  const src =
    opts.embedImages && f.png
      ? `data:image/png;base64,${Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength).toString('base64')}`
      : safeHref(f.src);
  const caption = f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : '';
  return `<figure><a href="${safeHref(f.src)}"><img src="${src}" alt="${escapeHtml(f.alt)}" loading="lazy"></a>${caption}</figure>`;
}

/** Further views of a map (mosaic, glass brain), side by side where the page is wide enough. */
function viewsHtml(views: ReportFigure[] | undefined, opts: RenderOptions): string {
  return views?.length ? `<div class="views">${views.map((f) => figureHtml(f, opts)).join('')}</div>` : '';
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

function tableHtml(t: { columns: string[]; rows: Cell[][] }): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((row) => {
      const cells = row.map((cell) => {
        if (typeof cell === 'number') return `<td class="num">${fmt(cell)}</td>`;
        if (cell === null) return '<td></td>';
        if (typeof cell === 'object') return `<td>${cell.html}</td>`;
        return `<td>${escapeHtml(cell)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
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

function summarySection(m: ReportModel): string {
  const ds = m.dataset;
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
  const nRuns = m.subjects.reduce((s, x) => s + x.runs.length, 0);
  rows.push(['Subjects / runs', `${m.subjects.length} subject${m.subjects.length === 1 ? '' : 's'}, ${nRuns} run${nRuns === 1 ? '' : 's'}`]);

  const subj = m.subjects.length
    ? `<h3>Subjects and runs</h3>${tableHtml({ columns: ['subject', 'runs'], rows: m.subjects.map((s) => [subjectName(s.label), s.runs.join(', ') || '—']) })}`
    : '';
  const params = m.parameters.length
    ? `<h3>Model parameters</h3>${tableHtml({ columns: ['parameter', 'value'], rows: m.parameters.map((p) => [p.name, p.value]) })}`
    : '';
  const warnings = m.warnings?.length
    ? `<div class="warnings"><b>Warnings</b><ul>${m.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`
    : '';
  const table = `<table><tbody>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
  return `<section id="summary"><h2>Analysis summary</h2>${warnings}${table}${subj}${params}</section>`;
}

function designSection(designs: ReportDesign[], opts: RenderOptions): string {
  if (designs.length === 0) return '';
  const items = designs.map((d) => {
    const title = `${subjectName(d.subject)}, ${escapeHtml(d.run)}`;
    const size = d.nScans !== undefined ? `${d.nScans} scans × ${d.columns.length} regressors` : `${d.columns.length} regressors`;
    const cols = `<div class="cols">${d.columns.map((c, i) => `<code title="column ${i + 1}">${escapeHtml(c)}</code>`).join('')}</div>`;
    const tsv = d.tsv ? `<p class="muted"><a href="${safeHref(d.tsv)}">design matrix (TSV)</a></p>` : '';
    return `<div class="card"><h3>${escapeHtml(title)}</h3><p class="muted">${size}</p>${figureHtml(d.figure, opts)}${cols}${tsv}</div>`;
  });
  return `<section id="designs"><h2>Design matrices</h2>${items.join('\n')}</section>`;
}

function contrastSection(contrasts: ReportContrast[], opts: RenderOptions): string {
  if (contrasts.length === 0) return '';
  const items = contrasts.map((c) => {
    const kind = c.statType ? ` <span class="muted">(${c.statType === 'F' ? 'F test' : 't test'})</span>` : '';
    const maps = c.maps
      .map((m) => `<h4>${escapeHtml(subjectName(m.subject))}</h4>${figureHtml(m.figure, opts)}${viewsHtml(m.views, opts)}${peakHtml(m.peak)}${linksHtml(m.files)}`)
      .join('\n');
    return `<div class="card" id="contrast-${safeHref(c.name)}"><h3>${escapeHtml(c.name)}${kind}</h3><p>Definition: <code>${escapeHtml(c.definition)}</code></p>${maps}</div>`;
  });
  return `<section id="contrasts"><h2>Contrasts</h2>${items.join('\n')}</section>`;
}

function groupSection(groups: ReportGroupResult[] | undefined, opts: RenderOptions): string {
  if (!groups || groups.length === 0) return '';
  const items = groups.map((g) => {
    const def = g.definition ? `<p>Test: <code>${escapeHtml(g.definition)}</code>${g.nSubjects !== undefined ? `, ${g.nSubjects} subjects` : ''}</p>` : g.nSubjects !== undefined ? `<p>${g.nSubjects} subjects</p>` : '';
    const corr = g.corrections?.length
      ? `<h4>Inference</h4>${tableHtml({
          columns: ['method', 'parameters', 'threshold', 'significant', 'map'],
          rows: g.corrections.map((c) => [c.method, c.detail ?? '', c.threshold ?? null, c.nSignificant ?? null, linkCell(c.file)]),
        })}`
      : '';
    const corrFigures = (g.corrections ?? []).filter((c) => c.figures?.length)
      .map((c) => `<h4>${escapeHtml(c.method)}${c.detail ? ` <span class="muted">(${escapeHtml(c.detail)})</span>` : ''}</h4>${c.figures!.map((f) => figureHtml(f, opts)).join('')}`).join('');
    const clusters = g.clusters ? `<h4>Clusters</h4>${g.clusters.rows.length ? tableHtml(g.clusters) : '<p class="muted">No cluster survived.</p>'}` : '';
    return `<div class="card"><h3>${escapeHtml(g.name)}</h3>${def}${figureHtml(g.figure, opts)}${viewsHtml(g.views, opts)}${peakHtml(g.peak)}${corr}${corrFigures}${clusters}${linksHtml(g.files)}</div>`;
  });
  return `<section id="group"><h2>Group results</h2>${items.join('\n')}</section>`;
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
    return `<div class="card"><h3>${escapeHtml(r.contrast)} — ${escapeHtml(subjectName(r.subject))}</h3>${figureHtml(r.figure, opts)}${tableHtml({ columns, rows })}${file}</div>`;
  });
  return `<section id="roi"><h2>Regions of interest</h2>${items.join('\n')}</section>`;
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
  for (const n of p.nodes) counts[n.status]++;
  const computeSeconds = p.nodes.reduce((s, n) => s + (n.status === 'computed' && n.seconds ? n.seconds : 0), 0);
  const facts: string[] = [
    `${p.nodes.length} nodes: ${counts.computed} computed, ${counts.cached} from cache${counts.failed ? `, ${counts.failed} failed` : ''}${counts.skipped ? `, ${counts.skipped} skipped` : ''}`,
    `compute time ${fmt(computeSeconds, 3)} s${p.totalSeconds !== undefined ? `, wall time ${fmt(p.totalSeconds, 3)} s` : ''}`,
  ];
  if (p.cacheDir) facts.push(`cache <code>${escapeHtml(p.cacheDir)}</code>`);
  if (p.command) facts.push(`command <code>${escapeHtml(p.command)}</code>`);
  const rows = p.nodes
    .map(
      (n) =>
        `<tr><td><code>${escapeHtml(n.id)}</code></td><td>${escapeHtml(n.type)}</td><td class="status-${n.status}">${n.status}</td><td class="num">${n.seconds !== undefined ? fmt(n.seconds, 3) : ''}</td><td><code>${escapeHtml(n.key)}</code></td></tr>`,
    )
    .join('\n');
  const table = `<details${p.nodes.length <= 30 ? ' open' : ''}><summary>Nodes and cache keys</summary><table><thead><tr><th>node</th><th>type</th><th>status</th><th>seconds</th><th>key</th></tr></thead><tbody>\n${rows}\n</tbody></table></details>`;
  return `<section id="provenance"><h2>Provenance</h2><ul>${facts.map((f) => `<li>${f}</li>`).join('')}</ul>${table}</section>`;
}

export function renderReport(model: ReportModel, opts: RenderOptions = {}): string {
  const title = model.title ?? `glmflow report: ${model.spec.name}`;
  const sections: Array<[string, string, string]> = [
    ['summary', 'Summary', summarySection(model)],
    ['designs', 'Design matrices', designSection(model.designs, opts)],
    ['contrasts', 'Contrasts', contrastSection(model.contrasts, opts)],
    ['group', 'Group', groupSection(model.group, opts)],
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
</body>
</html>
`;
}
