/**
 * The simulated head: a voxel grid, an ellipsoid brain with three tissue classes, the
 * baseline image, and the spherical regions that carry the known effects (also the label atlas).
 *
 * Geometry is defined in "brain coordinates" u = (x - centre) / radii (mm, per axis), so the same
 * layout works on every grid; region centres are snapped to the nearest voxel centre. Both grids
 * are symmetric about x = 0, so the left/right scene regions are exact mirror images.
 *
 * Tissues (normalised radius rho = |u|):
 *   CSF "ventricles": a small central ellipsoid; white matter: rho < 0.65 outside it;
 *   grey matter: 0.65 <= rho <= 1.
 */

export type GridName = 'small' | 'mni4';
export const GRID_NAMES: readonly GridName[] = ['small', 'mni4'];

export interface Grid {
  name: GridName;
  dims: [number, number, number];
  /** 4x4 voxel -> mm (RAS, positive steps). */
  affine: number[][];
  voxelSize: number;
}

/**
 * - small: 20 x 24 x 18 voxels of 4 mm centred on (0, 0, 0) mm (a toy head, like the synth fixture).
 * - mni4: the grid of fMRIPrep's MNI152NLin2009cAsym res-2 output (97 x 115 x 97, 2 mm, origin
 *   (-96, -132, -78)) at 4 mm: 49 x 58 x 49 voxels.
 */
export function gridFor(name: GridName): Grid {
  if (name === 'small') {
    return { name, dims: [20, 24, 18], affine: affine4(4, [-38, -46, -34]), voxelSize: 4 };
  }
  return { name, dims: [49, 58, 49], affine: affine4(4, [-96, -132, -78]), voxelSize: 4 };
}

function affine4(step: number, origin: [number, number, number]): number[][] {
  return [
    [step, 0, 0, origin[0]],
    [0, step, 0, origin[1]],
    [0, 0, step, origin[2]],
    [0, 0, 0, 1],
  ];
}

/** Brain ellipsoid per grid (mm). */
function brainEllipsoid(name: GridName): { centre: [number, number, number]; radii: [number, number, number] } {
  // small: one voxel of background on every side; mni4: roughly the MNI cerebrum.
  return name === 'small'
    ? { centre: [0, 0, 0], radii: [34, 42, 30] }
    : { centre: [0, -18, 14], radii: [68, 86, 62] };
}

export const TISSUE = { background: 0, gm: 1, wm: 2, csf: 3 } as const;

/** Ventricles in brain coordinates: centre and radii (fractions of the brain radii). */
const CSF_CENTRE = [0, 0.05, 0.15];
const CSF_RADII = [0.3, 0.35, 0.2];
const WM_RHO = 0.65;

/** Baseline intensity per tissue (arbitrary scanner units; percent signal change is relative to it). */
export const TISSUE_BASELINE = { gm: 1000, wm: 900, csf: 1150, background: 15 } as const;

export interface RegionDef {
  label: number;
  name: string;
  /** Centre in brain coordinates (before snapping). */
  u: [number, number, number];
  radiusMm: number;
  description: string;
}

/**
 * The regions with known effects (labels of atlas/labels.nii.gz). The face region sits in the
 * right ventral posterior brain (a fusiform-like place), the scene regions medially and
 * anterior to it on both sides (parahippocampal-like), the control region in the left dorsal
 * posterior brain.
 */
export const REGION_DEFS: readonly RegionDef[] = [
  { label: 1, name: 'face_region', u: [0.5, -0.45, -0.35], radiusMm: 8, description: 'right fusiform-like: face > scene, growing with age' },
  { label: 2, name: 'scene_left', u: [-0.4, 0.1, -0.55], radiusMm: 8, description: 'left parahippocampal-like: scene > face for everyone' },
  { label: 3, name: 'scene_right', u: [0.4, 0.1, -0.55], radiusMm: 8, description: 'right parahippocampal-like: scene > face for everyone' },
  { label: 4, name: 'control', u: [-0.45, -0.45, 0.42], radiusMm: 8, description: 'responds equally to faces, scenes and objects: no contrast between categories' },
];

export interface Region {
  label: number;
  name: string;
  description: string;
  centreVoxel: [number, number, number];
  centreMm: [number, number, number];
  radiusMm: number;
  /** Flat voxel indices (x + nx*(y + ny*z)) within radiusMm of the centre and inside the brain. */
  voxels: number[];
}

export interface Phantom {
  grid: Grid;
  nVoxels: number;
  brain: { centreMm: [number, number, number]; radiiMm: [number, number, number] };
  /** 1 inside the brain ellipsoid. */
  mask: Uint8Array;
  /** TISSUE code per voxel. */
  tissue: Uint8Array;
  /** Baseline intensity per voxel (tissue value times a smooth bias field inside the brain). */
  baseline: Float64Array;
  regions: Region[];
  /** Region label per voxel (0 = none). */
  labels: Uint8Array;
}

export function voxelToMm(affine: number[][], ijk: readonly number[]): [number, number, number] {
  const out: number[] = [0, 0, 0];
  for (let r = 0; r < 3; r++) out[r] = affine[r][0] * ijk[0] + affine[r][1] * ijk[1] + affine[r][2] * ijk[2] + affine[r][3];
  return out as [number, number, number];
}

/** Nearest voxel to a mm position (the affines here are diagonal). */
function mmToNearestVoxel(grid: Grid, mm: readonly number[]): [number, number, number] {
  const a = grid.affine;
  return [0, 1, 2].map((r) => {
    const v = Math.round((mm[r] - a[r][3]) / a[r][r]);
    return Math.min(grid.dims[r] - 1, Math.max(0, v));
  }) as [number, number, number];
}

/**
 * Snap a centre to the nearest voxel, mirroring a negative-x centre from its positive twin so
 * that bilateral regions are exact mirror images (Math.round is not symmetric at .5).
 */
function snapCentre(grid: Grid, mm: [number, number, number]): [number, number, number] {
  if (mm[0] >= 0) return mmToNearestVoxel(grid, mm);
  const v = mmToNearestVoxel(grid, [-mm[0], mm[1], mm[2]]);
  return [grid.dims[0] - 1 - v[0], v[1], v[2]];
}

export function makePhantom(gridName: GridName): Phantom {
  const grid = gridFor(gridName);
  const [nx, ny, nz] = grid.dims;
  const n = nx * ny * nz;
  const { centre, radii } = brainEllipsoid(gridName);
  const mask = new Uint8Array(n);
  const tissue = new Uint8Array(n);
  const baseline = new Float64Array(n);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        const mm = voxelToMm(grid.affine, [i, j, k]);
        const u = [0, 1, 2].map((r) => (mm[r] - centre[r]) / radii[r]);
        const rho = Math.hypot(u[0], u[1], u[2]);
        if (rho > 1) {
          baseline[v] = TISSUE_BASELINE.background;
          continue;
        }
        mask[v] = 1;
        const c = [0, 1, 2].map((r) => (u[r] - CSF_CENTRE[r]) / CSF_RADII[r]);
        const inCsf = c[0] * c[0] + c[1] * c[1] + c[2] * c[2] <= 1;
        const t = inCsf ? TISSUE.csf : rho < WM_RHO ? TISSUE.wm : TISSUE.gm;
        tissue[v] = t;
        const base = t === TISSUE.csf ? TISSUE_BASELINE.csf : t === TISSUE.wm ? TISSUE_BASELINE.wm : TISSUE_BASELINE.gm;
        // Smooth receive-coil bias: +-4 % from bottom to top, +-2 % front to back.
        baseline[v] = base * (1 + 0.04 * u[2] - 0.02 * u[1]);
      }
    }
  }

  const labels = new Uint8Array(n);
  const regions: Region[] = REGION_DEFS.map((d) => {
    const sphere = sphereInBrain(grid, mask, centre, radii, d.u, d.radiusMm);
    for (const v of sphere.voxels) {
      if (labels[v]) throw new Error(`simulate: regions ${labels[v]} and ${d.label} overlap`);
      labels[v] = d.label;
    }
    return { label: d.label, name: d.name, description: d.description, radiusMm: d.radiusMm, ...sphere };
  });

  return { grid, nVoxels: n, brain: { centreMm: centre, radiiMm: radii }, mask, tissue, baseline, regions, labels };
}

/**
 * The voxels of the brain within `radiusMm` of a centre given in brain coordinates `u`
 * (snapped to the nearest voxel centre, mirrored for negative x; see snapCentre).
 */
function sphereInBrain(
  grid: Grid, mask: Uint8Array, centre: readonly number[], radii: readonly number[], u: readonly number[], radiusMm: number,
): { centreVoxel: [number, number, number]; centreMm: [number, number, number]; voxels: number[] } {
  const [nx, ny, nz] = grid.dims;
  const target = [0, 1, 2].map((r) => centre[r] + u[r] * radii[r]) as [number, number, number];
  const cv = snapCentre(grid, target);
  const cm = voxelToMm(grid.affine, cv);
  const reach = Math.ceil(radiusMm / grid.voxelSize);
  const voxels: number[] = [];
  for (let k = Math.max(0, cv[2] - reach); k <= Math.min(nz - 1, cv[2] + reach); k++) {
    for (let j = Math.max(0, cv[1] - reach); j <= Math.min(ny - 1, cv[1] + reach); j++) {
      for (let i = Math.max(0, cv[0] - reach); i <= Math.min(nx - 1, cv[0] + reach); i++) {
        const v = i + nx * (j + ny * k);
        const mm = voxelToMm(grid.affine, [i, j, k]);
        const dist = Math.hypot(mm[0] - cm[0], mm[1] - cm[1], mm[2] - cm[2]);
        if (dist <= radiusMm + 1e-9 && mask[v]) voxels.push(v);
      }
    }
  }
  return { centreVoxel: cv, centreMm: cm, voxels };
}

/** A sphere of the phantom's brain placed like the regions (brain coordinates `u`), e.g. a region without effect. */
export function phantomSphere(ph: Phantom, u: readonly number[], radiusMm: number): { centreVoxel: [number, number, number]; centreMm: [number, number, number]; voxels: number[] } {
  return sphereInBrain(ph.grid, ph.mask, ph.brain.centreMm, ph.brain.radiiMm, u, radiusMm);
}

/** (i, j, k) of a flat voxel index. */
export function voxelIjk(dims: readonly number[], v: number): [number, number, number] {
  const i = v % dims[0];
  const j = Math.floor(v / dims[0]) % dims[1];
  const k = Math.floor(v / (dims[0] * dims[1]));
  return [i, j, k];
}
