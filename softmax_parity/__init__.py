"""softmax_parity: the application around numpy_softmax and tf_softmax (CLI, compare, bench,
plots). Arrows point one way: softmax_parity -> tf_softmax -> numpy_softmax."""
__version__ = "0.1.0"
