"""nilearn 0.10.4 on the long-run bench workload (bench/long-run.yaml): FirstLevelModel AR(1),
5 mm smoothing, signal_scaling 0, cosine drift (high_pass 0.01), SPM HRF, the brain mask,
8 confounds, 3 contrasts. Run once, under a memory limit, with /usr/bin/time -v:

  ( ulimit -v $((16 * 1024 * 1024)); PYTHONPATH=/work/nilearn-0.10.4 /usr/bin/time -v \
      /usr/bin/python3 bench/nilearn/long_run.py .bench/long-run )
"""
import sys
import time
from os.path import join

import pandas as pd
from nilearn.glm.first_level import FirstLevelModel

root = sys.argv[1]
func = join(root, 'derivatives', 'fmriprep', 'sub-01', 'func')
stem = 'sub-01_task-long_run-1'
bold = join(func, f'{stem}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz')
mask = join(func, f'{stem}_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz')
events = pd.read_csv(join(root, 'sub-01', 'func', f'{stem}_events.tsv'), sep='\t')
conf = pd.read_csv(join(func, f'{stem}_desc-confounds_timeseries.tsv'), sep='\t')
conf = conf[['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'csf', 'white_matter']]
t0 = time.time()
model = FirstLevelModel(t_r=0.8, hrf_model='spm', drift_model='cosine', high_pass=0.01, noise_model='ar1',
                        smoothing_fwhm=5, signal_scaling=0, mask_img=mask, minimize_memory=True)
try:
    model.fit(bold, events=events, confounds=conf)
    print(f'fit {time.time() - t0:.1f} s', flush=True)
    for c in ['face', 'face - house', 'scene - house']:
        model.compute_contrast(c, output_type='z_score')
    print(f'fit + 3 contrasts {time.time() - t0:.1f} s', flush=True)
except MemoryError as e:
    print(f'MemoryError after {time.time() - t0:.1f} s: {e}', flush=True)
    sys.exit(3)
