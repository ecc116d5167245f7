"""The math: ops, the model and its gradients, input validation, gradcheck."""
