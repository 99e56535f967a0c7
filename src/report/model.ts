/**
 * What the HTML report shows, as plain data (no engine or IO types): the report
 * node fills it from upstream artifacts, `renderReport` turns it into HTML.
 * All strings are raw user text; the renderer escapes them.
 */

export interface ReportFigure {
  /** Path of the PNG relative to the report's folder (link target, and the image unless embedded). */
  src: string;
  /** Alternative text. */
  alt: string;
  /** The PNG bytes; with `embedImages` the image is inlined as a base64 data URL. */
  png?: Uint8Array;
  caption?: string;
}

export interface ReportLink {
  label: string;
  /** Path relative to the report's folder. */
  href: string;
}

export interface ReportPeak {
  /** mm coordinates. */
  x: number;
  y: number;
  z: number;
  value: number;
  /** Name of the value, e.g. "z" or "t" (default "value"). */
  stat?: string;
}

/** A generic table (cluster tables, extra listings). Cells are text or numbers; null = empty. */
export interface ReportTable {
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface ReportDesign {
  subject: string;
  run: string;
  columns: string[];
  nScans?: number;
  figure?: ReportFigure;
  /** The design matrix as TSV, relative path. */
  tsv?: string;
  /** Correlation of the design's columns (figure, shown beside the design). */
  correlation?: ReportFigure;
  /** The correlation matrix as TSV, relative path. */
  correlationTsv?: string;
  /** Collinearity flags: column pairs with |r| at or above the limit, and variance inflation factors. */
  collinearity?: ReportCollinearity;
}

export interface ReportCollinearity {
  /** |r| limit of the pairs listed (e.g. 0.9). */
  limit?: number;
  pairs: Array<{ a: string; b: string; r: number }>;
  /** Variance inflation factor per task regressor (null: not finite, e.g. exactly collinear); `flagged` overrides the limit test. */
  vif?: Array<{ column: string; value: number | null; flagged?: boolean }>;
  /** VIF at or above which a regressor is flagged (e.g. 10). */
  vifLimit?: number;
}

/**
 * One stat map in the interactive viewer: `map` and `underlay` name volumes written as
 * report_assets/data/ID.js; `maps` lists alternatives the viewer offers (e.g. corrected maps).
 */
export interface ReportViewerMap {
  map: string;
  underlay: string;
  label: string;
  /** |value| threshold the viewer starts with. */
  threshold: number;
  /** Largest |value| of the map (colour scale end). */
  max: number;
  /** mm coordinates the crosshair starts at (the peak). */
  peak?: number[];
  maps?: Array<{ id: string; label: string; threshold: number }>;
}

export interface ReportContrastMap {
  /** Subject label ("01"), or a label such as "group". */
  subject: string;
  figure?: ReportFigure;
  /** More views of the same map (axial mosaic, glass brain). */
  views?: ReportFigure[];
  peak?: ReportPeak;
  files?: ReportLink[];
  /** The contrast's weights over the design columns (plot_contrast_matrix). */
  matrix?: ReportFigure;
  /** The threshold the figures and the cluster table use, in words (e.g. "|z| > 3.1"). */
  thresholdLabel?: string;
  /** Cluster table (nilearn get_clusters_table columns, then Label when an atlas is known). */
  clusters?: ReportTable;
  viewer?: ReportViewerMap;
}

export interface ReportContrast {
  name: string;
  /** The expression or vector as written in the spec, e.g. "face - scene". */
  definition: string;
  statType?: 't' | 'F';
  maps: ReportContrastMap[];
}

export interface ReportCorrection {
  /** "fdr", "bonferroni", "permutation", "cluster", ... */
  method: string;
  /** Parameters in words, e.g. "alpha 0.05" or "height 3.1, extent 20 voxels". */
  detail?: string;
  /** The statistic threshold that resulted (if any). */
  threshold?: number;
  /** Voxels (or clusters) surviving. */
  nSignificant?: number;
  /** The cluster table of this method's corrected map. */
  clusters?: ReportTable;
  file?: ReportLink;
  /** The corrected map drawn at this method's threshold (orthogonal cuts, mosaic, glass brain). */
  figures?: ReportFigure[];
}

export interface ReportGroupResult {
  name: string;
  definition?: string;
  nSubjects?: number;
  /** The group contrast this test belongs to (the section's grouping). */
  contrast?: string;
  figure?: ReportFigure;
  /** More views of the same map (axial mosaic, glass brain). */
  views?: ReportFigure[];
  peak?: ReportPeak;
  /** The group design matrix. */
  design?: ReportFigure;
  corrections?: ReportCorrection[];
  /** Which correction the cluster table comes from. */
  clustersFrom?: string;
  viewer?: ReportViewerMap;
  clusters?: ReportTable;
  files?: ReportLink[];
}

export interface ReportRoiRow {
  label: string;
  index?: number;
  effect: number;
  variance: number;
  stat?: number;
  nVoxels?: number;
}

export interface ReportRoi {
  contrast: string;
  subject: string;
  figure?: ReportFigure;
  rows: ReportRoiRow[];
  file?: ReportLink;
}

/** One run's beta series: the trial design and a trials x strongest-voxels heat map. */
export interface ReportSingleTrial {
  subject: string;
  run: string;
  method: 'lss' | 'lsa';
  nTrials: number;
  /** Names of the trials without an estimable regressor. */
  inestimable: string[];
  design: ReportFigure;
  heatmap: ReportFigure;
  files: ReportLink[];
}

export interface ReportNode {
  id: string;
  type: string;
  key: string;
  /**
   * What the run did with the node, when the model is built from a run's events. The report
   * node leaves it out: it is itself a cached result, so the status of one run would be false
   * for the next (a rerun takes everything from the cache and keeps the same report).
   */
  status?: 'computed' | 'cached' | 'failed' | 'skipped';
  seconds?: number;
  /** Implementation version of the node type. */
  version?: string;
}

export interface ReportModel {
  /** Page title (default: "glmflow report: <spec name>"). */
  title?: string;
  spec: { name: string; hash: string; path?: string };
  glmflowVersion: string;
  /** ISO time the report was generated. */
  generatedAt?: string;
  dataset: { name?: string; bids?: string; derivatives?: string; task?: string; space?: string };
  subjects: Array<{ label: string; runs: string[] }>;
  /** Model parameters as shown to the user (name -> value in words), in display order. */
  parameters: Array<{ name: string; value: string }>;
  designs: ReportDesign[];
  contrasts: ReportContrast[];
  group?: ReportGroupResult[];
  roi?: ReportRoi[];
  singleTrial?: ReportSingleTrial[];
  provenance: {
    nodes: ReportNode[];
    totalSeconds?: number;
    cacheDir?: string;
    command?: string;
    /** The spec file as written (and --set overrides), shown verbatim. */
    specText?: string;
  };
  /** Interactive viewer: present when report_assets/ (NiiVue and the volumes) was written. */
  viewer?: { script: string; niivue: string };
  warnings?: string[];
}

export interface RenderOptions {
  /** Inline figures that carry their PNG bytes as base64 data URLs (a single portable file). Default false: relative links. */
  embedImages?: boolean;
  /** Subjects up to this number have their section open (default 2). */
  openSubjects?: number;
}
