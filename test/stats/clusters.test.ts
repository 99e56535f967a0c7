import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { clustersTable, clusterLocalMaxima, clustersTableToTsv } from '../../src/stats/inference/clusters.js';

interface Case {
  name: string;
  input: string;
  params: { stat_threshold: number; cluster_threshold: number; two_sided: boolean; min_distance: number };
  clusters_table?: string;
}

const manifest = JSON.parse(readFileSync(fixture('thresholding', 'manifest.json'), 'utf8')) as { cases: Case[] };

function readTable(path: string): string[][] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  return lines.map((l) => l.split('\t'));
}

for (const c of manifest.cases.filter((x) => x.clusters_table)) {
  test(`get_clusters_table ${c.name} matches nilearn row for row`, async (t) => {
    const img = await readNifti(fixture(c.input));
    const rows = clustersTable(img.data, img.dims.slice(0, 3), img.affine, {
      statThreshold: c.params.stat_threshold,
      clusterThreshold: c.params.cluster_threshold,
      twoSided: c.params.two_sided,
      minDistance: c.params.min_distance,
    });
    const [header, ...ref] = readTable(fixture(c.clusters_table!));
    assert.deepEqual(header, ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)']);
    t.diagnostic(`${c.name}: ${rows.length} rows (nilearn ${ref.length})`);
    assert.equal(rows.length, ref.length);
    rows.forEach((r, i) => {
      const e = ref[i];
      assert.equal(r.clusterId, e[0]);
      assert.equal(r.x, Number(e[1]));
      assert.equal(r.y, Number(e[2]));
      assert.equal(r.z, Number(e[3]));
      assert.ok(Math.abs(r.peakStat - Number(e[4])) <= 1e-5, `${c.name} row ${i}: peak ${r.peakStat} vs ${e[4]}`);
      assert.equal(String(r.clusterSizeMm3), e[5] ?? '');
    });
  });
}

// Expected values below were produced by a direct numpy/scipy transcription of nilearn's
// get_clusters_table on the same arrays (voxel volume from the zooms: 8 mm3). The arrays avoid
// equal-valued maxima, whose order numpy's unstable argsort leaves platform-dependent.
const affine2 = [
  [2, 0, 0, 0],
  [0, 2, 0, 0],
  [0, 0, 2, 0],
  [0, 0, 0, 1],
];
const identity = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/** A ridge along x (y = z = 1) of tents max_p(peak_p - slope*|x - x_p|), plus a negative blob. */
function ridge(): { data: Float32Array; dims: number[] } {
  const dims = [50, 3, 3];
  const data = new Float32Array(50 * 9);
  const at = (x: number) => x + 50 * (1 + 3 * 1);
  const peaks = [
    [2, 9],
    [12, 8],
    [22, 7],
    [32, 6.5],
    [38, 6],
  ];
  for (let x = 0; x < 40; x++) data[at(x)] = Math.max(...peaks.map(([xp, p]) => p - 0.25 * Math.abs(x - xp)));
  data[at(45)] = -5;
  data[at(46)] = -4;
  return { data, dims };
}

test('cluster table: peak + at most 3 sub-peaks, negative clusters numbered from 1 again', () => {
  const { data, dims } = ridge();
  const rows = clustersTable(data, dims, affine2, { statThreshold: 3, twoSided: true, minDistance: 8 });
  assert.deepEqual(
    rows.map((r) => [r.clusterId, r.x, r.y, r.z, r.peakStat, r.clusterSizeMm3]),
    [
      ['1', 4, 2, 2, 9, 320],
      ['1a', 24, 2, 2, 8, ''],
      ['1b', 44, 2, 2, 7, ''],
      ['1c', 64, 2, 2, 6.5, ''],
      ['1', 90, 2, 2, -5, 16],
    ],
  );
  const tsv = clustersTableToTsv(rows);
  assert.ok(tsv.startsWith('Cluster ID\tX\tY\tZ\tPeak Stat\tCluster Size (mm3)\n1\t4\t2\t2\t9\t320\n'));
  // one-sided: the negative blob is gone
  const one = clustersTable(data, dims, affine2, { statThreshold: 3, twoSided: false });
  assert.equal(one.filter((r) => r.peakStat < 0).length, 0);
});

test('cluster table: min_distance pares sub-peaks (distance must exceed it)', () => {
  const { data, dims } = ridge();
  const rows = clustersTable(data, dims, affine2, { statThreshold: 3, twoSided: true, minDistance: 20 });
  assert.deepEqual(
    rows.map((r) => [r.clusterId, r.x, r.peakStat]),
    [
      ['1', 4, 9],
      ['1a', 44, 7],
      ['1b', 76, 6],
      ['1', 90, -5],
    ],
  );
});

test('cluster table: cluster extent and atlas labels', () => {
  const { data, dims } = ridge();
  // the 2-voxel negative blob is removed by cluster_threshold 3
  const rows = clustersTable(data, dims, affine2, { statThreshold: 3, clusterThreshold: 3, twoSided: true });
  assert.equal(rows.filter((r) => r.peakStat < 0).length, 0);
  const atlas = new Int16Array(data.length);
  for (let v = 0; v < atlas.length; v++) atlas[v] = v % 50 < 20 ? 1 : 2;
  const lab = clustersTable(data, dims, affine2, {
    statThreshold: 3,
    atlas: { data: atlas, names: { 1: 'left', 2: 'right' } },
  });
  assert.deepEqual(
    lab.map((r) => r.label),
    ['left', 'left', 'right', 'right'],
  );
});

test('plateau peaks use the centre of mass (round half to even); a binary cluster gives one peak', () => {
  const dims = [8, 1, 1];
  // binary cluster of 4 voxels at x = 1..4: centre of mass 2.5 -> rounds to 2
  assert.deepEqual(clusterLocalMaxima([1, 2, 3, 4], [1, 1, 1, 1], dims, identity, 8), [{ i: 2, j: 0, k: 0, value: 1 }]);
  // plateau of two equal maxima at x = 2, 3 in a non-constant cluster: COM 2.5 -> 2
  assert.deepEqual(clusterLocalMaxima([1, 2, 3, 4], [1, 5, 5, 1], dims, identity, 0), [{ i: 2, j: 0, k: 0, value: 5 }]);
  // x = 3, 4 plateau: COM 3.5 -> 4
  assert.deepEqual(clusterLocalMaxima([2, 3, 4, 5], [1, 5, 5, 1], dims, identity, 0), [{ i: 4, j: 0, k: 0, value: 5 }]);
});

test('nilearn _pare_subpeaks quirk: a later kept peak re-admits one an earlier peak dropped', () => {
  // maxima (identity affine, mm = voxel): x = 0 (10), 14 (9), 5 (8). x = 0 drops x = 5
  // (5 mm <= 8), then the kept x = 14 overwrites that decision (9 mm > 8): 5 is reported.
  const dims = [40, 3, 3];
  const vox: number[] = [];
  const vals: number[] = [];
  for (let x = 0; x <= 20; x++) {
    vox.push(x + 40 * (1 + 3 * 1));
    vals.push(Math.max(10 - Math.abs(x), 9 - Math.abs(x - 14), 8 - Math.abs(x - 5)));
  }
  const peaks = clusterLocalMaxima(vox, vals, dims, identity, 8);
  assert.deepEqual(
    peaks.map((p) => [p.i, p.value]),
    [
      [0, 10],
      [14, 9],
      [5, 8],
    ],
  );
});
