"""Defaults the command line shows in its help, kept here so that building the parser (every
`borderflow --help`) imports neither Apache Beam nor numpy; pipelines.replay and
pipelines.simulate use them as their own defaults."""

# DirectRunner: measured on 2 cores (docs/archive.md): one in-process worker is fastest.
DEFAULT_DIRECT_WORKERS = 1
DEFAULT_DIRECT_MODE = "in_memory"

# The feedback-loop simulation (pipelines.simulate)
DEFAULT_RATE = 0.002  # per scenario: ~3% of declarations fraudulent, so inspection rates of 1-10% matter
DEFAULT_NEW_PATTERN = "SEAL_TAMPERING"
