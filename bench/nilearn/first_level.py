"""nilearn 0.10.4 side by side with the first-level bench (bench/first-level.yaml): 2 runs x 160
volumes, FirstLevelModel AR(1), SPM HRF, cosine drift (high_pass 0.01), 5 mm smoothing,
signal_scaling 0, the derivatives brain mask, 6 motion confounds, 2 contrasts as z maps.
Whole process measured with /usr/bin/time -v:

  PYTHONPATH=/path/to/nilearn-0.10.4 /usr/bin/time -v /usr/bin/python3 bench/nilearn/first_level.py .bench/data
"""
import resource
import sys
import time

t0 = time.time()
import pandas as pd
from nilearn.glm.first_level import FirstLevelModel

root = sys.argv[1]
func = root + '/derivatives/fmriprep/sub-01/func/sub-01_task-bench_run-%d'
runs = [1, 2]
imgs = [func % r + '_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz' for r in runs]
events = [pd.read_csv(root + '/sub-01/func/sub-01_task-bench_run-%d_events.tsv' % r, sep='\t') for r in runs]
motion = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z']
confounds = [pd.read_csv(func % r + '_desc-confounds_timeseries.tsv', sep='\t')[motion] for r in runs]
mask = func % 1 + '_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz'
model = FirstLevelModel(t_r=2, hrf_model='spm', drift_model='cosine', high_pass=0.01, noise_model='ar1',
                        smoothing_fwhm=5, signal_scaling=0, mask_img=mask, minimize_memory=True)
model.fit(imgs, events=events, confounds=confounds)
model.compute_contrast('face', output_type='z_score')
model.compute_contrast('face - house', output_type='z_score')
ru = resource.getrusage(resource.RUSAGE_SELF)
print('nilearn wall %.2f s cpu %.2f s maxrss %.0f MiB' % (time.time() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024))
