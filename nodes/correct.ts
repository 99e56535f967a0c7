import { UserError } from '../src/errors.js';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { thresholdStats } from '../src/stats/inference/thresholding.js';
import { clustersTable, type ClusterRow } from '../src/stats/inference/clusters.js';
import { combinePermutationChunks, type PermutationChunk } from '../src/stats/second-level/permutation.js';
import { many, single } from './lib/artifacts.js';
import { scatter } from './lib/maps.js';
import { readNifti } from '../src/io/nifti.js';
import type { GroupMeta } from './group.js';
import { problemFor } from './permute.js';

export interface CorrectParams {
  test: string;
  /** Index of the test in the group artifact. */
  index: number;
  /** File label of the method (fdr, bonferroni, permutation, cluster, fdr2 ...). */
  label: string;
  method: 'fpr' | 'fdr' | 'bonferroni' | 'permutation' | 'cluster' | 'none';
  alpha: number;
  height_control: 'fpr' | 'fdr' | 'bonferroni' | 'none' | null;
  two_sided: boolean;
  cluster_threshold: number;
  stat_threshold: number | null;
  tested: number | null;
  tfce: boolean;
  cluster_forming_p: number | null;
  /** With files.atlas: label index -> name, for the cluster table's Label column. */
  atlas_names: Record<string, string> | null;
}

export interface CorrectMeta {
  test: string;
  label: string;
  method: string;
  /** The z threshold applied (Infinity when nothing can pass, e.g. FDR with no discovery). */
  threshold: number | null;
  alpha: number;
  twoSided: boolean;
  clusterThreshold: number;
  nSignificant: number;
  clusters: ClusterRow[];
  /** Extra permutation maps written as -log10 FWE p. */
  logpMaps: string[];
}

/**
 * correct: one inference method on one group test, as nilearn's threshold_stats_img
 * (fpr, fdr, bonferroni, cluster extent) or non_parametric_inference (max-t FWE, and
 * cluster size / mass and TFCE FWE from the same permutations), plus the cluster table
 * of the surviving map (get_clusters_table).
 */
export const correct: NodeDefinition<CorrectParams> = {
  type: 'correct',
  version: '1',
  description: 'multiple-comparison correction and cluster table of a group test',
  async run(_ctx, p, inputs) {
    const g = single(inputs.nodes, 'group');
    const meta = g.meta as unknown as GroupMeta;
    const indices = g.arrays.indices as Int32Array;
    const nVox = meta.dims[0] * meta.dims[1] * meta.dims[2];
    const z = scatter(g.arrays[`t${p.index}.z_score`] as Float32Array, indices, nVox);
    const maskVolume = scatter(new Float32Array(indices.length).fill(1), indices, nVox);
    const arrays: Record<string, Float32Array> = {};
    let threshold: number | null;
    let corrected: Float32Array;
    const logpMaps: string[] = [];
    if (p.method === 'permutation') {
      const pb = problemFor(g, { tested: p.tested!, two_sided: p.two_sided, cluster_forming_p: p.cluster_forming_p, tfce: p.tfce });
      const chunks = many(inputs.nodes, 'chunks').map((c: Artifact): PermutationChunk => ({
        start: (c.meta as any).start, count: (c.meta as any).count,
        maxT: c.arrays.maxT as Float64Array, maxSize: c.arrays.maxSize as Float64Array | undefined,
        maxMass: c.arrays.maxMass as Float64Array | undefined, maxTfce: c.arrays.maxTfce as Float64Array | undefined,
      }));
      const res = combinePermutationChunks(pb, chunks);
      const cut = -Math.log10(p.alpha);
      corrected = new Float32Array(nVox);
      for (let v = 0; v < indices.length; v++) if (res.logpMaxT[v] > cut) corrected[indices[v]] = z[indices[v]];
      arrays.logp_maxt = scatter(res.logpMaxT, indices, nVox);
      logpMaps.push('maxt');
      if (res.logpMaxSize) { arrays.logp_size = scatter(res.logpMaxSize, indices, nVox); logpMaps.push('size'); }
      if (res.logpMaxMass) { arrays.logp_mass = scatter(res.logpMaxMass, indices, nVox); logpMaps.push('mass'); }
      if (res.logpMaxTfce) { arrays.logp_tfce = scatter(res.logpMaxTfce, indices, nVox); logpMaps.push('tfce'); }
      threshold = null;
    } else {
      const heightControl = p.method === 'none' || p.method === 'cluster' ? (p.height_control === 'none' ? null : p.height_control) : p.method;
      const r = thresholdStats(z, maskVolume, meta.dims, meta.affine, {
        alpha: p.alpha, heightControl: heightControl ?? null, threshold: p.stat_threshold ?? 3.0,
        clusterThreshold: p.cluster_threshold, twoSided: p.two_sided,
      });
      corrected = r.thresholded;
      threshold = r.threshold;
    }
    arrays.corrected = corrected;
    let nSignificant = 0;
    for (let i = 0; i < nVox; i++) if (corrected[i] !== 0) nSignificant++;
    // Cluster table of what survived, as get_clusters_table on the corrected map.
    const tableThreshold = threshold !== null && Number.isFinite(threshold) ? threshold : 1e-6;
    let atlas: { data: Float32Array; names: Record<number, string> } | undefined;
    if (inputs.files.atlas) {
      const img = await readNifti(inputs.files.atlas as string);
      if (img.dims.slice(0, 3).join('x') !== meta.dims.join('x')) throw new UserError(`atlas ${inputs.files.atlas} is not on the group grid ${meta.dims.join('x')}`);
      atlas = { data: img.data, names: Object.fromEntries(Object.entries(p.atlas_names ?? {}).map(([k, v]) => [Number(k), v])) };
    }
    const clusters = nSignificant
      ? clustersTable(corrected, meta.dims, meta.affine, { statThreshold: tableThreshold, clusterThreshold: p.cluster_threshold, twoSided: p.two_sided, atlas })
      : [];
    const out: CorrectMeta = {
      test: p.test, label: p.label, method: p.method, threshold: threshold !== null && !Number.isFinite(threshold) ? null : threshold,
      alpha: p.alpha, twoSided: p.two_sided, clusterThreshold: p.cluster_threshold, nSignificant, clusters, logpMaps,
    };
    return { meta: out as any, arrays };
  },
};
