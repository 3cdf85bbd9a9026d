"""What every dataset kind shares: the run folder, its journal and the one run lifecycle.

A run folder is a local dataset repository and the run's checkpoint at once; `session.RunSession`
owns everything a run does to it (lock, prepare, journal, manifest, progress, Parquet, card), so
a kind supplies only its config, loop, row features and card body.
"""
