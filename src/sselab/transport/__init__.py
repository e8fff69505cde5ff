"""Li transport: MLIP molecular dynamics, diffusion analysis, CI-NEB and BVSE barriers.

Modules (science layer: no pipeline, report, CLI or paper values here):

- :mod:`.md`: checkpointed NVT MD; :mod:`.trajectory`: trajectories and readers;
- :mod:`.analysis`: MSD, D, sigma, Haven ratio with block errors, Arrhenius fits;
- :mod:`.vanhove`, :mod:`.density`: van Hove functions and probability densities;
- :mod:`.study`: a transport study over temperatures (analysis, figures, files);
- :mod:`.antifluorite_sites`: 8c ions, octahedral voids, hop endpoints and named paths,
  shared by :mod:`.neb` (CI-NEB engine and figure) and :mod:`.bvse` (model,
  percolation, paths, writers, figure).

The comparison with the seed paper lives in :mod:`sselab.report.transport`.
"""
