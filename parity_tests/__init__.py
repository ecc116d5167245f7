"""NumPy vs TensorFlow parity properties and gradient-verification tests (hypothesis)."""
