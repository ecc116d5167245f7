"""softmax_parity.check: property-test a user's own NumPy softmax, cross-entropy and gradients
against numpy_softmax (the library behind `softmax-parity check`)."""
