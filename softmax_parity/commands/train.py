"""softmax-parity train: train the seed's model and report as the seed did."""
from __future__ import annotations

import time

import numpy as np

from numpy_softmax import logits
from numpy_softmax.data import ScaledRows

from .. import backends, distributed, output, resume, runrecord
from . import common


def register(sub) -> None:
    p = sub.add_parser("train", help="train softmax regression on MNIST (the seed's protocol)",
                       description="Train softmax regression by SGD with the seed's protocol "
                                   "and print the seed's per-epoch lines, the total time and "
                                   "the test accuracy over all 10,000 test images.")
    p.add_argument("--backend", choices=list(backends.BACKENDS), default="numpy",
                   help="which implementation trains (default numpy)")
    common.add_config_args(p)
    common.add_data_args(p)
    p.add_argument("--out", metavar="DIR", help="write run.json (config, history, accuracies, "
                   "timings, versions) and params.npz here")
    p.add_argument("--logdir", metavar="DIR", help="write TensorBoard event files to "
                   "DIR/<backend> (tf-graph adds its graph); view with `tensorboard --logdir DIR`")
    p.add_argument("--quiet", action="store_true", help="print only the final summary line")
    resume.add_args(p)
    distributed.add_args(p, "--backend")
    p.set_defaults(func=run)


def run(args) -> int:
    if distributed.apply(args, args.backend):  # first: before anything starts TF
        from .. import workers
        return workers.launch(args)
    config = common.config_from_args(args)
    out = output.check_out_dir(args.out) if args.out else None
    if args.logdir is not None:
        output.check_out_dir(args.logdir, "--logdir")
    train_fn = backends.get(args.backend)
    ckpts = resume.Checkpoints(args, config)  # --checkpoint-dir, --resume
    config = ckpts.config  # a resumed run keeps its checkpoint's config
    data = common.load_data(args, quiet=args.quiet)
    output.say(args, f"{data.name}: {len(data.train)} train, {len(data.validation)} validation, "
                     f"{len(data.test)} test images ({data.source})")
    ckpts.check_data(data)  # a checkpoint resumes only on the data it was trained on
    stop = resume.StopOnCtrlC()  # Ctrl-C: finish the step, save, exit 130
    bar = output.progress(args, "epoch 0", 0)
    run_dir = tb_writer = None
    if args.logdir is not None:
        from .. import tensorboard
        run_dir = tensorboard.run_dir(output.check_out_dir(args.logdir, "--logdir"), args.backend)
        tb_writer = tensorboard.ScalarWriter(run_dir)

    def on_step(epoch, step, n_steps):
        if step == 0 or not bar.total:
            bar.reset(total=n_steps)
            bar.set_description(f"epoch {epoch}")
        bar.update(1)

    def on_epoch(rec, params):
        bar.clear()
        val = f"   validation accuracy: {rec.val_accuracy:.4f}" if rec.val_accuracy is not None \
            else ""
        if tb_writer is not None:
            tb_writer.scalars(rec.epoch, tensorboard.epoch_scalars(rec))
        output.say(args, f"Epoch {rec.epoch}  average loss: {rec.loss:3.5f}{val}"
                         f"   ({rec.seconds:.2f} s)")
        ckpts.epoch_done(rec, params)

    t0 = time.perf_counter()
    try:
        with stop:
            # numpy trains from the uint8 pixels, batch by batch: no float copy of the set
            X = ScaledRows(data.train.pixels, 1 / 255) if args.backend == "numpy" \
                else data.train.images
            result = train_fn(X, data.train.labels, config,
                              X_val=data.validation.images, y_val=data.validation.labels,
                              on_step=on_step, on_epoch=on_epoch, logdir=run_dir,
                              **ckpts.train_kwargs(), **stop.kwargs())
    except KeyboardInterrupt:
        ckpts.aborted()  # a second Ctrl-C, or a backend without should_stop
        raise
    finally:
        bar.close()
        if tb_writer is not None:
            tb_writer.close()
    total = time.perf_counter() - t0
    if getattr(result, "stopped_at", None) is not None:
        return ckpts.stopped(result)
    pred = np.argmax(logits(result.params, data.test.images), axis=1)  # (10000,)
    acc = float(np.mean(pred == data.test.labels))
    errors = int(np.sum(pred != data.test.labels))
    output.say(args, f"Total time: {total:.2f} s")
    output.say(args, "Optimization done!")
    print(f"Test accuracy (all {len(data.test)} test images): {acc:.4f}  "
          f"[{args.backend}, {config.epochs} epochs, final loss "
          f"{result.history[-1].loss if result.history else float('nan'):.5f}]")
    if out:
        rec = runrecord.train_record(backend=args.backend, config=config, data=data,
                                     result=result, test_accuracy=acc, test_errors=errors,
                                     total_seconds=total, created=output.now_iso())
        runrecord.write_run(out, rec, {args.backend: result.params})
        output.say(args, f"run record: {out}/run.json")
    return 0
