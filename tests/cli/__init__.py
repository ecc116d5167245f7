"""The softmax-parity commands as a user runs them: output, exit status, files."""
