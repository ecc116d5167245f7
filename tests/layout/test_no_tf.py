"""numpy_softmax is pure NumPy: importing it (and using it) never loads TensorFlow."""


def test_importing_numpy_softmax_does_not_import_tensorflow(python_process):
    code = ("import sys, numpy as np, numpy_softmax as ns; "
            "ns.loss_and_grads(ns.init_params(4, 3), np.ones((2, 4)), [0, 2]); "
            "import numpy_softmax.data, numpy_softmax.loop, numpy_softmax.steppers; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'tf_softmax', 'softmax_parity')))")
    r = python_process("-c", code)
    assert r.code == 0, r.err
    assert r.out.strip() == "[]"


def test_train_numpy_cli_does_not_import_tensorflow(python_process):
    code = ("import sys; from softmax_parity.cli import build_parser; build_parser(); "
            "import softmax_parity.backends as b; b.get('numpy'); "
            "print('tensorflow' in sys.modules)")
    r = python_process("-c", code)
    assert r.code == 0, r.err
    assert r.out.strip() == "False"
