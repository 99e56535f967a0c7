/**
 * `node dist/bench/read-phase.js [--runs 1,2] [--repeat 3] [--other DIR]`: the first-level fit's
 * "reading + smoothing BOLD" phase alone (readMaskedRun of nodes/lib/masked-bold.ts: inflate,
 * gather, decode, smooth with FWHM 5 mm and mask, as the fit node does) on the bench dataset
 * (.bench/data, `npm run bench` generates it; each run with its own brain mask), each run in a
 * child process of its own, the runs in parallel as in the bench's 2-run workload. Prints, per
 * run, the child's CPU time (user + sys, zlib's thread pool included), its wall time and the
 * stages readMaskedRun reports.
 * --other DIR: alternate every repeat with the build in DIR (another checkout, its dist/ built),
 * for A/B figures on a shared machine, where only back-to-back comparisons mean anything.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const FUNC = join(ROOT, '.bench', 'data', 'derivatives', 'fmriprep', 'sub-01', 'func');
const file = (run: string, what: string) => join(FUNC, `sub-01_task-bench_run-${run}_space-MNI152NLin2009cAsym_${what}.nii.gz`);

/** Child: read one run with the build at `root`, print one JSON line. */
async function child(root: string, run: string): Promise<void> {
  const load = (p: string) => import(pathToFileURL(join(root, 'dist', p)).href);
  const { readNifti, readNiftiHeader } = await load('src/io/nifti.js');
  const { readMaskedRun } = await load('nodes/lib/masked-bold.js');
  const mask = await readNifti(file(run, 'desc-brain_mask'));
  const indices: number[] = [];
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0) indices.push(i);
  const bold = file(run, 'desc-preproc_bold');
  const header = await readNiftiHeader(bold);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await readMaskedRun(bold, { dims: mask.dims.slice(0, 3), affine: mask.affine }, Int32Array.from(indices), { nScans: header.dims[3] }, 5);
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, timings: r.timings }));
}

function runChild(root: string, run: string): Promise<{ wall: number; cpu: number; timings: Record<string, number> }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', root, run], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? done(JSON.parse(out.trim().split('\n').pop()!)) : fail(new Error(`child exited with ${code}`))));
  });
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return child(argv[1], argv[2]);
  const opt = (name: string, def: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : def;
  };
  const runs = opt('--runs', '1,2').split(',');
  const repeat = Number(opt('--repeat', '3'));
  const other = argv.includes('--other') ? resolve(opt('--other', '')) : undefined;
  if (!existsSync(file(runs[0], 'desc-preproc_bold'))) throw new Error(`no bench dataset in ${FUNC}: run \`npm run bench\` once`);
  const builds = other ? [ROOT, other] : [ROOT];
  for (let k = 0; k < repeat; k++) {
    for (const root of builds) {
      const res = await Promise.all(runs.map((run) => runChild(root, run)));
      res.forEach((r, i) => {
        const stages = Object.entries(r.timings).map(([s, v]) => `${s} ${v.toFixed(2)} s`).join(', ');
        console.log(`${root} run ${runs[i]}: cpu ${r.cpu.toFixed(2)} s, wall ${r.wall.toFixed(2)} s (${stages})`);
      });
    }
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
