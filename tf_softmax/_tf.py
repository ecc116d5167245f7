"""Import TensorFlow once, quietly. TF_CPP_MIN_LOG_LEVEL=2 hides TF's C++ info and warning
lines (oneDNN, CPU feature notes) unless the user already chose a level."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

__all__ = ["tf"]
