"""Training: the SGD loop, the steppers, determinism, the TF backends, compare in lockstep."""
