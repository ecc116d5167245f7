"""softmax-parity bench: the contenders, the sections, the optional peers."""
