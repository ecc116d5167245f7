"""numpy_softmax is pure NumPy: importing it (and using it) never loads TensorFlow."""
import subprocess
import sys


def test_importing_numpy_softmax_does_not_import_tensorflow():
    code = ("import sys, numpy as np, numpy_softmax as ns; "
            "ns.loss_and_grads(ns.init_params(4, 3), np.ones((2, 4)), [0, 2]); "
            "import numpy_softmax.data, numpy_softmax.loop, numpy_softmax.steppers; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'tf_softmax', 'softmax_parity')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_train_numpy_cli_does_not_import_tensorflow():
    code = ("import sys; from softmax_parity.cli import build_parser; build_parser(); "
            "import softmax_parity.backends as b; b.get('numpy'); "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
