import { join } from 'node:path';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { renderStatMap } from '../src/plot/stat-map.js';
import { renderReport } from '../src/report/html.js';
import type { ReportContrast, ReportDesign, ReportModel, ReportNode } from '../src/report/model.js';
import { many, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { describeWritten, writtenFilesIntact, type WrittenFile } from './lib/outputs.js';
import { statLabel, unmask } from './lib/maps.js';

export interface ReportParams {
  dir: string;
  name: string;
  specHash: string;
  version: string;
  dataset: { bids?: string; derivatives?: string; task?: string; space?: string };
  parameters: { name: string; value: string }[];
  /** Parallel to the `designs` input. */
  designs: { subject: string; run: string; prefix: string }[];
  /** Parallel to the `masks` input. */
  masks: string[];
  /** Parallel to the `contrasts` input. */
  contrasts: { subject: string; name: string; definition: string }[];
  /** Node ids parallel to the inputs, for provenance. */
  ids: Record<string, string[]>;
}

/** report: report.html and one stat-map figure per subject and contrast. */
export const report: NodeDefinition<ReportParams> = {
  type: 'report',
  version: '1',
  description: 'HTML report with design matrices, stat maps and provenance',
  async run(_ctx, p, inputs) {
    const designs = many(inputs.nodes, 'designs');
    const masks = many(inputs.nodes, 'masks');
    const contrasts = many(inputs.nodes, 'contrasts');
    const maskOf = new Map<string, Artifact>(p.masks.map((s, i) => [s, masks[i]]));
    const written: WrittenFile[] = [];

    const reportDesigns: ReportDesign[] = designs.map((d, i) => {
      const m = d.meta as unknown as DesignMeta;
      const { subject, run, prefix } = p.designs[i];
      const base = `first_level/${subject}/${prefix}_design`;
      return { subject, run, columns: m.columns, nScans: m.nScans, figure: { src: `${base}.png`, alt: `design matrix ${prefix}` }, tsv: `${base}.tsv` };
    });

    const byName = new Map<string, ReportContrast>();
    for (const [i, c] of contrasts.entries()) {
      const { subject, name, definition } = p.contrasts[i];
      const maskArt = maskOf.get(subject)!;
      const mask = maskArt.meta as unknown as MaskMeta;
      const indices = maskArt.arrays.indices as Int32Array;
      const statType = (c.meta as { statType: 't' | 'F' }).statType;
      const z = unmask(c.arrays.z_score as Float32Array, indices, mask);
      const background = unmask(new Float32Array(indices.length).fill(1), indices, mask);
      const fig = renderStatMap(z, background, mask.dims, mask.affine, { threshold: 3.1, title: `${subject} ${name} (z > 3.1)` });
      const src = `figures/${subject}_contrast-${name}_stat-z.png`;
      await writeFileAtomic(join(p.dir, src), [fig.png]);
      written.push(describeWritten(join(p.dir, src)));
      const entry = byName.get(name) ?? { name, definition, statType, maps: [] };
      entry.maps.push({
        subject,
        figure: { src, alt: `${name} z map of ${subject}` },
        peak: fig.peak ? { x: fig.peak.mm[0], y: fig.peak.mm[1], z: fig.peak.mm[2], value: fig.peak.value, stat: 'z' } : undefined,
        files: (['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'] as const).map((o) => ({
          label: statLabel(o, statType),
          href: `first_level/${subject}/${subject}_contrast-${name}_stat-${statLabel(o, statType)}.nii.gz`,
        })),
      });
      byName.set(name, entry);
    }

    const subjects = new Map<string, string[]>();
    for (const d of p.designs) (subjects.get(d.subject) ?? subjects.set(d.subject, []).get(d.subject)!).push(d.run);
    const nodes: ReportNode[] = [];
    for (const [input, ids] of Object.entries(p.ids)) {
      const keys = inputs.keys[input];
      const list = Array.isArray(keys) ? keys : [keys];
      ids.forEach((id, i) => nodes.push({ id, type: id.split('/')[0], key: list[i] ?? '', status: 'computed' }));
    }
    const model: ReportModel = {
      spec: { name: p.name, hash: p.specHash },
      glmflowVersion: p.version,
      dataset: p.dataset,
      subjects: [...subjects].map(([label, runs]) => ({ label, runs })),
      parameters: p.parameters,
      designs: reportDesigns,
      contrasts: [...byName.values()],
      provenance: { nodes },
      warnings: designs.flatMap((d) => (d.meta as unknown as DesignMeta).warnings ?? []),
    };
    const htmlPath = join(p.dir, 'report.html');
    await writeFileAtomic(htmlPath, [Buffer.from(renderReport(model))]);
    written.push(describeWritten(htmlPath));
    return { meta: { files: written } as any, arrays: {} };
  },
  outputsIntact: writtenFilesIntact,
};
