import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, fmt, renderReport, safeHref, type ReportModel } from '../../src/report/html.js';

function model(): ReportModel {
  return {
    spec: { name: 'face <localizer> & "co"', hash: 'abcdef0123456789abcdef', path: 'pipelines/localizer.yaml' },
    glmflowVersion: '0.1.0',
    generatedAt: '2024-05-01T12:00:00Z',
    dataset: { name: 'studyforrest', bids: '../data/bids', task: 'localizer' },
    subjects: [{ label: '01', runs: ['1', '2'] }, { label: '02', runs: ['1'] }],
    parameters: [
      { name: 'hrf_model', value: 'spm' },
      { name: 'noise_model', value: 'ar1' },
      { name: 'high_pass', value: '0.01 Hz' },
    ],
    designs: [
      {
        subject: '01', run: 'run-1', nScans: 156, columns: ['face', 'scene', 'drift_1', 'constant'],
        figure: { src: 'first_level/sub-01/sub-01_run-1_design.png', alt: 'design sub-01 run-1', png: new Uint8Array([1, 2, 3]) },
        tsv: 'first_level/sub-01/sub-01_run-1_design.tsv',
        correlation: { src: 'first_level/sub-01/sub-01_run-1_design-corr.png', alt: 'correlation sub-01 run-1' },
        collinearity: { limit: 0.9, pairs: [{ a: 'face', b: 'scene', r: 0.93 }], vif: [{ column: 'face', value: 12.5 }, { column: 'scene', value: 2 }, { column: 'house', value: null, flagged: true }], vifLimit: 10 },
      },
    ],
    contrasts: [
      {
        name: 'faceVsScene', definition: 'face - scene', statType: 't',
        maps: [{
          subject: '01',
          figure: { src: 'figures/sub 01 faceVsScene.png', alt: 'z map' },
          peak: { x: 42, y: -51.5, z: -18, value: 7.123456, stat: 'z' },
          files: [{ label: 'z map', href: 'first_level/sub-01/sub-01_contrast-faceVsScene_stat-z.nii.gz' }],
          views: [{ src: 'figures/sub-01_contrast-faceVsScene_glass.png', alt: 'glass brain' }],
          clusters: { columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)', 'Label'], rows: [['1', 42, -51.5, -18, 7.1, 810, 'FFA'], ['2', -30, -40, -12, -5.2, 270, '']] },
          viewer: { map: 'sub-01-faceVsScene-z', underlay: 'underlay-sub-01-mask', label: 'sub-01 faceVsScene z', threshold: 3.1, max: 7.1, peak: [42, -51.5, -18] },
        }],
      },
      { name: '<script>alert(1)</script>', definition: 'face > 0 && scene < 1', maps: [] },
    ],
    group: [{
      name: 'faceVsScene', contrast: 'faceVsScene', definition: 'intercept', nSubjects: 2, clustersFrom: 'fdr',
      corrections: [{
        method: 'fdr', detail: 'alpha 0.05', threshold: 3.21, nSignificant: 120, file: { label: 'fdr map', href: 'group_level/g_fdr.nii.gz' },
        figures: [{ src: 'figures/group_fdr.png', alt: 'fdr map' }],
        clusters: { columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)'], rows: [[1, 44, -50, -16, 5.5, 700]] },
      }],
      clusters: { columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)'], rows: [[1, 42, -51, -18, 6.5, 1350], ['1a', 40, -48, -20, 5.1, null]] },
    }],
    roi: [{ contrast: 'faceVsScene', subject: '01', rows: [{ label: 'FFA <r>', index: 3, effect: 2, variance: 0.25, nVoxels: 40 }] }],
    provenance: {
      nodes: [
        { id: 'load/sub-01', type: 'load', key: 'k1', status: 'cached' },
        { id: 'fit/sub-01', type: 'fit', key: 'k2', status: 'computed', seconds: 3.25 },
        { id: 'fit/sub-02', type: 'fit', key: 'k3', status: 'computed', seconds: 1.5, version: '4' },
      ],
      totalSeconds: 5.5,
      specText: 'name: x\ncontrasts: {a: "<b>"}\n',
    },
    warnings: ['sub-02: 3 volumes <scrubbed>'],
    viewer: { niivue: 'report_assets/niivue.js', script: 'report_assets/viewer.js' },
  };
}

test('report: sections present in order, summary facts, relative figure links', () => {
  const html = renderReport(model());
  assert.match(html, /^<!DOCTYPE html>/);
  const ids = ['summary', 'group', 'first-level', 'roi', 'provenance'];
  const pos = ids.map((id) => html.indexOf(`<section id="${id}">`));
  pos.forEach((p, i) => assert.ok(p > 0, `section ${ids[i]} present`));
  assert.deepEqual([...pos].sort((a, b) => a - b), pos, 'sections in order');
  for (const id of ids) assert.ok(html.includes(`<a href="#${id}">`), `nav link to ${id}`);
  assert.ok(html.includes('<code>abcdef0123456789abcdef</code>'));
  assert.ok(html.includes('<tr><td>hrf_model</td><td>spm</td></tr>'));
  assert.ok(html.includes('2 subjects, 3 runs'));
  assert.ok(html.includes('<tr><td>sub-01</td><td>1, 2</td></tr>'));
  // summary facts: 2 subjects, 3 runs, 2 contrasts, 1 group test, 1 warning + 3 collinearity flags
  assert.ok(html.includes('<div class="fact"><b>3</b><span>runs</span></div>'));
  assert.ok(html.includes('<div class="fact"><b>4</b><span>warnings</span></div>'));
  assert.ok(html.includes('<li>sub-01 run-1: house: variance inflation factor ∞ (≥ 10)</li>'));
  assert.ok(html.includes('<li>sub-01 run-1: face and scene correlate (r = 0.93)</li>'));
  assert.ok(html.includes('<li>sub-01 run-1: face: variance inflation factor 12.5 (≥ 10)</li>'));
  // Figures: relative links, spaces percent-encoded; no embedded data without the option.
  assert.ok(html.includes('<img src="first_level/sub-01/sub-01_run-1_design.png" alt="design sub-01 run-1"'));
  assert.ok(html.includes('src="figures/sub%2001%20faceVsScene.png"'));
  assert.ok(!html.includes('data:image/png'));
  assert.ok(html.includes('<code title="column 3">drift_1</code>'));
  assert.ok(html.includes('156 scans × 4 regressors'));
  assert.ok(html.includes('Peak z = <b>7.123</b> at (42, -51.5, -18) mm'));
  assert.ok(html.includes('<a href="first_level/sub-01/sub-01_contrast-faceVsScene_stat-z.nii.gz">z map</a>'));
  // Group: corrections with the link in the last column, clusters with numbers right-aligned.
  assert.ok(html.includes('<tr><td>fdr</td><td>alpha 0.05</td><td class="num">3.21</td><td class="num">120</td><td><a href="group_level/g_fdr.nii.gz">fdr map</a></td></tr>'));
  assert.ok(html.includes('<tr><td class="num">1</td><td class="num">42</td><td class="num">-51</td><td class="num">-18</td><td class="num">6.5</td><td class="num">1350</td></tr>'));
  assert.ok(html.includes('<h4>Clusters (fdr)</h4>'));
  // per method: its corrected map and cluster table
  assert.match(html, /<div class="card method"><h4 class="title">fdr <span class="muted">120 significant<\/span><\/h4><figure><a href="figures\/group_fdr.png">[\s\S]*<td class="num">44<\/td>/);
  assert.ok(html.includes('<h3>Group contrast <code>faceVsScene</code></h3>'));
  // ROI: SE = sqrt(variance).
  assert.ok(html.includes('<td>FFA &lt;r&gt;</td><td class="num">3</td><td class="num">2</td><td class="num">0.5</td><td class="num">40</td>'));
  // Provenance counts, compute time (3.25 + 1.5), node versions, the spec text escaped.
  assert.ok(html.includes('3 nodes: 2 computed, 1 from cache'));
  assert.ok(html.includes('compute time 4.75 s, wall time 5.5 s'));
  assert.ok(html.includes('<td class="status-cached">cached</td>'));
  assert.ok(html.includes('node versions: fit 4'));
  assert.ok(html.includes('<pre class="spec">name: x\ncontrasts: {a: &quot;&lt;b&gt;&quot;}\n</pre>'));
});

test('report: a provenance without statuses (the report node\'s) claims nothing about computed or cached nodes', () => {
  const m = model();
  m.provenance.nodes = m.provenance.nodes.map(({ status: _s, seconds: _t, ...n }) => n);
  const html = renderReport(m);
  const provenance = html.slice(html.indexOf('<section id="provenance">'));
  assert.ok(provenance.includes('3 nodes, each result identified by its cache key'));
  assert.doesNotMatch(provenance, /computed|from cache|status-|compute time/);
  assert.ok(provenance.includes('<th>key</th>') && provenance.includes('<code>k2</code>'));
});

test('report: per-subject sections, design grid with correlation and flags, contrast cards', () => {
  const html = renderReport(model());
  // one collapsible section per subject, open when there are few
  const sub1 = html.indexOf('<details class="subject" id="subject-sub-01" open>');
  const sub2 = html.indexOf('<details class="subject" id="subject-sub-02" open>');
  assert.ok(sub1 > 0 && sub2 > sub1, 'sub-01 then sub-02');
  const first = html.slice(sub1, sub2);
  assert.ok(first.includes('<div class="grid designs">'));
  // the correlation figure beside the design, then the flags
  assert.match(first, /<div class="pair"><figure><a href="first_level\/sub-01\/sub-01_run-1_design.png">.*<\/figure><figure><a href="first_level\/sub-01\/sub-01_run-1_design-corr.png">/);
  assert.ok(first.includes('<p class="flag">Correlated regressors (|r| ≥ 0.9): face ~ scene (r = 0.93)</p>'));
  assert.ok(first.includes('<span class="flag">face 12.5</span>, <span>scene 2</span>, <span class="flag">house ∞</span>'));
  assert.ok(first.includes('strongest: faceVsScene z 7.12'));
  assert.ok(first.includes('figures/sub-01_contrast-faceVsScene_glass.png'), 'glass brain in the card');
  assert.ok(!html.slice(sub2).includes('faceVsScene_glass'), 'sub-02 has no maps');
  const closed = renderReport(model(), { openSubjects: 1 });
  assert.ok(closed.includes('<details class="subject" id="subject-sub-01">'), 'closed above the limit');
});

test('report: viewer slots, clickable cluster rows and the scripts', () => {
  const html = renderReport(model());
  const slot = html.match(/<div class="viewer-slot" id="viewer-sub-01-faceVsScene-z" data-viewer="([^"]*)">/);
  assert.ok(slot, 'viewer slot');
  const info = JSON.parse(slot[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
  assert.deepEqual(info, { map: 'sub-01-faceVsScene-z', underlay: 'underlay-sub-01-mask', label: 'sub-01 faceVsScene z', threshold: 3.1, max: 7.1, peak: [42, -51.5, -18] });
  assert.ok(html.includes('<tr data-mm="42,-51.5,-18" data-slot="viewer-sub-01-faceVsScene-z" title="show in the viewer"><td>1</td>'));
  assert.ok(html.includes('<td>FFA</td></tr>'), 'atlas label column');
  assert.ok(html.includes('<script src="report_assets/niivue.js"></script>\n<script src="report_assets/viewer.js"></script>'));
  // no viewer assets: no scripts, no slots, plain rows
  const m = model();
  delete m.viewer;
  const plain = renderReport(m);
  assert.ok(!plain.includes('<script'));
  assert.ok(!plain.includes('class="viewer-slot"'));
  assert.ok(!plain.includes('<tr data-mm'));
});

test('report: every user string is escaped', () => {
  const html = renderReport(model());
  assert.ok(!html.includes('<script>'), 'no raw script tag');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('<title>glmflow report: face &lt;localizer&gt; &amp; &quot;co&quot;</title>'));
  assert.ok(html.includes('<code>face &gt; 0 &amp;&amp; scene &lt; 1</code>'));
  assert.ok(html.includes('<li>sub-02: 3 volumes &lt;scrubbed&gt;</li>'));
  assert.equal(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
  assert.equal(safeHref('javascript:alert(1)'), 'javascript%3Aalert(1)');
  assert.equal(safeHref('../a b/"x".png'), '../a%20b/%22x%22.png');
});

test('report: embedImages inlines figures that carry their bytes', () => {
  const html = renderReport(model(), { embedImages: true });
  assert.ok(html.includes('<img src="data:image/png;base64,AQID"'), 'bytes [1,2,3] -> AQID');
  // A figure without bytes stays a relative link.
  assert.ok(html.includes('<img src="figures/sub%2001%20faceVsScene.png"'));
});

test('report: optional sections are left out when empty', () => {
  const m = model();
  delete m.group;
  m.roi = [];
  const html = renderReport(m);
  assert.ok(!html.includes('<section id="group">'));
  assert.ok(!html.includes('<section id="roi">'));
  assert.ok(!html.includes('href="#group"'));
  assert.equal(fmt(Number.NaN), 'n/a');
  assert.equal(fmt(0.000012345), '1.234e-5');
});
