/**
 * report_assets/ beside report.html: NiiVue's self-contained UMD bundle (niivue.js), the
 * report's viewer script (viewer.js) and one small classic script per volume
 * (data/ID.js, see src/report/viewer-data.ts). Everything is loaded by <script> tags, so the
 * report works opened from disk with no server and no network.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { readNifti } from '../../src/io/nifti.js';
import { downsample, downsampleFactor, encodeStatMap, encodeUnderlay, viewerDataScript, viewerId, type ViewerVolume } from '../../src/report/viewer-data.js';
import { viewerScript } from '../../src/report/viewer-client.js';
import type { WrittenFile } from './outputs.js';

export const ASSETS = 'report_assets';
/** Underlays above this many voxels are block-averaged (the 1 mm MNI template becomes 2 mm). */
const MAX_UNDERLAY_VOXELS = 1_500_000;

/** NiiVue's UMD bundle (a classic script defining the global `niivue`) in the installed package. */
export function niivueBundlePath(): string {
  // the package exports only its ES module; its dist/ folder sits two levels above that entry
  const entry = fileURLToPath(import.meta.resolve('@niivue/niivue'));
  const umd = join(dirname(entry), '..', '..', 'dist', 'niivue.umd.js');
  if (!existsSync(umd)) throw new Error(`NiiVue's UMD bundle is missing (${umd}); reinstall @niivue/niivue`);
  return umd;
}

/** The project's MNI152 T1 template (data/mni152/, shipped with the figures), if present. */
export function mniTemplatePath(): string | undefined {
  for (const rel of ['../../../data/mni152/', '../../data/mni152/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (!existsSync(dir)) continue;
    const t1 = readdirSync(dir).filter((f) => /t1.*\.nii(\.gz)?$/i.test(f)).sort();
    if (t1.length) return join(dir, t1[0]);
  }
  return undefined;
}

/** Collects the volumes of one report and writes them under dir/report_assets/. */
export class ReportAssets {
  private readonly written: WrittenFile[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly dir: string) {}

  private async data(id: string, gz: Uint8Array): Promise<string> {
    const safe = viewerId(id);
    if (this.ids.has(safe)) throw new Error(`viewer volume ${safe} written twice`);
    this.ids.add(safe);
    this.written.push(await writeFileAtomic(join(this.dir, ASSETS, 'data', `${safe}.js`), [Buffer.from(viewerDataScript(safe, gz))]));
    return safe;
  }

  has(id: string): boolean {
    return this.ids.has(viewerId(id));
  }

  /** An underlay (block-averaged when large); `window` fixes the grey scale (e.g. a mask drawn mid-grey). */
  async underlay(id: string, vol: ViewerVolume, window?: [number, number]): Promise<string> {
    if (this.has(id)) return viewerId(id);
    const small = downsample(vol, downsampleFactor(vol.dims, MAX_UNDERLAY_VOXELS));
    return this.data(id, encodeUnderlay(small, window));
  }

  /** The MNI template as underlay, or undefined when the project has none. */
  async mniUnderlay(): Promise<string | undefined> {
    const id = 'underlay-mni152';
    if (this.has(id)) return viewerId(id);
    const path = mniTemplatePath();
    if (!path) return undefined;
    const img = await readNifti(path);
    return this.underlay(id, { dims: img.dims.slice(0, 3), affine: img.affine, data: img.data });
  }

  /** A stat map; returns its id and largest |value|. */
  async statMap(id: string, vol: ViewerVolume): Promise<{ id: string; max: number }> {
    let max = 0;
    for (let i = 0; i < vol.data.length; i++) {
      const a = Math.abs(vol.data[i]);
      if (a > max && Number.isFinite(a)) max = a;
    }
    return { id: await this.data(id, encodeStatMap(vol)), max };
  }

  /**
   * NiiVue and the viewer script; the files written (all of report_assets/). Undefined when
   * the report shows no map (nothing to view, no assets).
   */
  async finish(): Promise<{ files: WrittenFile[]; niivue: string; script: string } | undefined> {
    // volumes of an earlier report in the same folder that this one no longer shows
    const data = join(this.dir, ASSETS, 'data');
    if (existsSync(data)) for (const f of readdirSync(data)) if (f.endsWith('.js') && !this.ids.has(f.slice(0, -3))) rmSync(join(data, f));
    if (this.ids.size === 0) return undefined;
    const niivue = `${ASSETS}/niivue.js`;
    const script = `${ASSETS}/viewer.js`;
    this.written.push(await writeFileAtomic(join(this.dir, niivue), [readFileSync(niivueBundlePath())]));
    this.written.push(await writeFileAtomic(join(this.dir, script), [Buffer.from(viewerScript())]));
    return { files: this.written, niivue, script };
  }
}
