"""The analysts' workbench: a web application over the assessment store and the cluster's topics
(docs/workbench.md). `borderflow workbench --store DIR` starts it (workbench/command.py)."""
