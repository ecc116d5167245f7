"""Issue 7: checkpoints, stop and resume, Ctrl-C, the divergence guard."""
