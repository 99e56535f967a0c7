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
        }],
      },
      { name: '<script>alert(1)</script>', definition: 'face > 0 && scene < 1', maps: [] },
    ],
    group: [{
      name: 'faceVsScene', definition: 'intercept', nSubjects: 2,
      corrections: [{ method: 'fdr', detail: 'alpha 0.05', threshold: 3.21, nSignificant: 120, file: { label: 'fdr map', href: 'group_level/g_fdr.nii.gz' } }],
      clusters: { columns: ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)'], rows: [[1, 42, -51, -18, 6.5, 1350], ['1a', 40, -48, -20, 5.1, null]] },
    }],
    roi: [{ contrast: 'faceVsScene', subject: '01', rows: [{ label: 'FFA <r>', index: 3, effect: 2, variance: 0.25, nVoxels: 40 }] }],
    provenance: {
      nodes: [
        { id: 'load/sub-01', type: 'load', key: 'k1', status: 'cached' },
        { id: 'fit/sub-01', type: 'fit', key: 'k2', status: 'computed', seconds: 3.25 },
        { id: 'fit/sub-02', type: 'fit', key: 'k3', status: 'computed', seconds: 1.5 },
      ],
      totalSeconds: 5.5,
    },
    warnings: ['sub-02: 3 volumes <scrubbed>'],
  };
}

test('report: sections present in order, summary facts, relative figure links', () => {
  const html = renderReport(model());
  assert.match(html, /^<!DOCTYPE html>/);
  const ids = ['summary', 'designs', 'contrasts', 'group', 'roi', 'provenance'];
  const pos = ids.map((id) => html.indexOf(`<section id="${id}">`));
  pos.forEach((p, i) => assert.ok(p > 0, `section ${ids[i]} present`));
  assert.deepEqual([...pos].sort((a, b) => a - b), pos, 'sections in order');
  for (const id of ids) assert.ok(html.includes(`<a href="#${id}">`), `nav link to ${id}`);
  assert.ok(html.includes('<code>abcdef0123456789abcdef</code>'));
  assert.ok(html.includes('<tr><td>hrf_model</td><td>spm</td></tr>'));
  assert.ok(html.includes('2 subjects, 3 runs'));
  assert.ok(html.includes('<tr><td>sub-01</td><td>1, 2</td></tr>'));
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
  // ROI: SE = sqrt(variance).
  assert.ok(html.includes('<td>FFA &lt;r&gt;</td><td class="num">3</td><td class="num">2</td><td class="num">0.5</td><td class="num">40</td>'));
  // Provenance counts and compute time (3.25 + 1.5).
  assert.ok(html.includes('3 nodes: 2 computed, 1 from cache'));
  assert.ok(html.includes('compute time 4.75 s, wall time 5.5 s'));
  assert.ok(html.includes('<td class="status-cached">cached</td>'));
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
