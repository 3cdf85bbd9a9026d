"""Publishing run folders: train/test splits, export to other trainers' formats, `info`, Hub push.

Works on any finished run folder, of any kind, through its manifest and Parquet shards; no
dataset kind imports it.
"""
