"""softmax-parity plot: the teaching figures as PNG files, from a run record or a fresh run."""
from __future__ import annotations

import os

from numpy_softmax.errors import DataError

from .. import backends, output, plots, runrecord
from . import common


def register(sub) -> None:
    p = sub.add_parser("plot", help="draw the teaching figures (PNG) from a run or a fresh run",
                       description="Write PNG figures: the seed's log-odds curve, softmax "
                                   "against plain normalisation, loss and validation accuracy "
                                   "per epoch (with the seed's loss curve), the columns of W "
                                   "as images, the test confusion matrix and misclassified "
                                   "test images. Without --run, train first as `train` does.")
    p.add_argument("--run", metavar="RUN_DIR", help="a folder written by `train --out` or "
                   "`compare --out` (run.json, params*.npz); its dataset is used")
    p.add_argument("--out", metavar="FIG_DIR", default=os.path.join("runs", "figures"),
                   help="folder for the PNG files (default %(default)s)")
    p.add_argument("--backend", choices=list(backends.BACKENDS), default="numpy",
                   help="who trains when there is no --run (default numpy)")
    common.add_config_args(p)
    common.add_data_args(p)
    p.add_argument("--quiet", action="store_true", help="print only the files written")
    p.set_defaults(func=run)


def _train(args, data):
    config = common.config_from_args(args)
    train_fn = backends.get(args.backend)
    output.say(args, f"no --run given: training the {args.backend} backend for "
                     f"{config.epochs} epochs first")

    def on_epoch(rec, params):
        output.say(args, f"Epoch {rec.epoch}  average loss: {rec.loss:3.5f}   validation "
                         f"accuracy: {rec.val_accuracy:.4f}")

    result = train_fn(data.train.images, data.train.labels, config, X_val=data.validation.images,
                      y_val=data.validation.labels, on_epoch=on_epoch)
    return {args.backend: runrecord.history_dicts(result.history)}, args.backend, result.params


def run(args) -> int:
    record = None
    if args.run:
        if not os.path.isdir(args.run):
            raise DataError(f"--run {args.run}: no such folder; make one with `softmax-parity "
                            "train --out DIR`")
        record = runrecord.read_run(args.run)
        histories = runrecord.record_histories(record)
        name, params = runrecord.run_params(args.run, record)
        args.dataset = (record.get("data") or {}).get("dataset", args.dataset)
    out = output.check_out_dir(args.out)
    data = common.load_data(args, quiet=args.quiet)
    if record is None:
        histories, name, params = _train(args, data)
    if params.W.shape != (data.test.images.shape[1], len(data.class_names)):
        raise DataError(f"W has shape {params.W.shape}; it does not fit {data.name} images")
    names = list(data.class_names)
    for fname, fig in plots.run_figures(histories, params, data.test, names).items():
        path = os.path.join(out, fname)
        plots.save_png(fig, path)
        print(path)
    output.say(args, f"(W, confusion and misclassified from the {name} backend's parameters)")
    return 0
