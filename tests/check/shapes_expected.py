"""What a correct `softmax-parity check` concludes about each file of examples/shapes/.

EXPECTED[file stem][function] (Class.method for methods) = {
    "status": "pass" | "fail" | "unrecognised" | "ambiguous",
    "role": softmax | log_softmax | logsumexp | softmax_jacobian | cross_entropy | grad_logits
            | loss_and_grad_logits | loss_and_grads | sgd_step (absent when unrecognised),
    "contract": only the keys the file settles (layout, labels, inputs, reduction, batch, bias,
                reg: None or c in c * reg * sum(W ** 2)),
    "diagnosis": catalogue id (failures only),
}
A mistake file's contract is the one the file means (settled by its correct functions).
"""

_EF = "examples-first"
_CF = "classes-first"

_CS231N = {"layout": _EF, "labels": "ids", "reduction": "mean", "bias": False, "reg": 1.0}
_CS231N_2015 = {"layout": _CF, "labels": "ids", "reduction": "mean", "bias": False, "reg": 0.5}
_ROWS_SOFTMAX = {"layout": _EF, "batch": "rows"}
_IDS_MEAN = {"layout": _EF, "labels": "ids", "inputs": "logits", "reduction": "mean"}
_CF_ONEHOT = {"layout": _CF, "labels": "onehot", "inputs": "logits", "reduction": "mean"}

_UNRECOGNISED = {"status": "unrecognised"}

EXPECTED = {
    "cs231n_model": {
        "softmax_loss_naive": {"status": "pass", "role": "loss_and_grads", "contract": _CS231N},
        "softmax_loss_vectorized": {"status": "pass", "role": "loss_and_grads",
                                    "contract": _CS231N},
    },
    "cs231n_2015_layout": {
        "softmax_loss_naive": {"status": "pass", "role": "loss_and_grads",
                               "contract": _CS231N_2015},
        "softmax_loss_vectorized": {"status": "pass", "role": "loss_and_grads",
                                    "contract": _CS231N_2015},
    },
    "layers": {
        "softmax_loss": {"status": "pass", "role": "loss_and_grad_logits", "contract": _IDS_MEAN},
        "affine_forward": _UNRECOGNISED,
        "relu_forward": _UNRECOGNISED,
    },
    "d2l_probabilities": {
        "softmax": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "cross_entropy": {"status": "pass", "role": "cross_entropy",
                          "contract": {"layout": _EF, "labels": "ids", "inputs": "probs",
                                       "reduction": "none"}},
    },
    "d2l_probabilities_mean": {
        "softmax": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "cross_entropy": {"status": "pass", "role": "cross_entropy",
                          "contract": {"layout": _EF, "labels": "ids", "inputs": "probs",
                                       "reduction": "mean"}},
    },
    "onehot_labels_first": {
        "softmax": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "cross_entropy": {"status": "pass", "role": "cross_entropy",
                          "contract": {"layout": _EF, "labels": "onehot", "inputs": "probs",
                                       "reduction": "mean"}},
    },
    "classes_first": {
        "softmax": {"status": "pass", "role": "softmax",
                    "contract": {"layout": _CF, "batch": "rows"}},
        "cross_entropy": {"status": "pass", "role": "cross_entropy", "contract": _CF_ONEHOT},
        "grad_logits": {"status": "pass", "role": "grad_logits", "contract": _CF_ONEHOT},
        "model_loss_and_grads": {"status": "pass", "role": "loss_and_grads",
                                 "contract": {"layout": _CF, "labels": "onehot",
                                              "reduction": "mean", "bias": True, "reg": None}},
    },
    "required_axis": {  # the caller names the axis: nothing for the file to settle
        "logsumexp": {"status": "pass", "role": "logsumexp"},
        "softmax": {"status": "pass", "role": "softmax"},
        "log_softmax": {"status": "pass", "role": "log_softmax"},
    },
    "methods": {
        "Softmax.__call__": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "CrossEntropy.forward": {"status": "pass", "role": "cross_entropy",
                                 "contract": _IDS_MEAN},
        "CrossEntropy.backward": {"status": "pass", "role": "grad_logits",
                                  "contract": _IDS_MEAN},
    },
    "single_example": {
        "softmax": {"status": "pass", "role": "softmax", "contract": {"batch": "single"}},
        "softmax_gradient": {"status": "pass", "role": "softmax_jacobian",
                             "contract": {"batch": "single"}},
    },
    "script": {  # importing it fails (FileNotFoundError): its functions are still checked
        "softmax": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "cross_entropy": {"status": "pass", "role": "cross_entropy", "contract": _IDS_MEAN},
        "loss_and_grads": {"status": "pass", "role": "loss_and_grads",
                           "contract": {"layout": _EF, "labels": "ids", "reduction": "mean",
                                        "bias": True, "reg": None}},
    },
    "mistake_cs231n_no_mean": {
        "softmax_loss_naive": {"status": "pass", "role": "loss_and_grads", "contract": _CS231N},
        "softmax_loss_vectorized": {"status": "fail", "role": "loss_and_grads",
                                    "contract": _CS231N, "diagnosis": "sum-not-mean"},
    },
    "mistake_global_max": {
        "softmax": {"status": "fail", "role": "softmax", "contract": _ROWS_SOFTMAX,
                    "diagnosis": "global-max-shift"},
        "cross_entropy": {"status": "pass", "role": "cross_entropy", "contract": _IDS_MEAN},
    },
    "mistake_epsilon_in_log": {
        "softmax": {"status": "pass", "role": "softmax", "contract": _ROWS_SOFTMAX},
        "cross_entropy": {"status": "fail", "role": "cross_entropy", "contract": _IDS_MEAN,
                          "diagnosis": "epsilon-in-log"},
    },
    "mistake_layer_grad_not_divided": {
        "softmax_loss": {"status": "fail", "role": "loss_and_grad_logits",
                         "contract": _IDS_MEAN, "diagnosis": "grad-not-divided-by-n"},
        "affine_forward": _UNRECOGNISED,
        "relu_forward": _UNRECOGNISED,
    },
}
