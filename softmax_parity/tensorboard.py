"""TensorBoard event files, the same for every backend.

Layout: one run folder per backend under the --logdir, so TensorBoard lists the runs side by
side and overlays their curves under the same tags:
    LOGDIR/numpy/        events.out.tfevents.*   scalars
    LOGDIR/tf-graph/     events.out.tfevents.*   scalars (+ divergence in compare), and the graph
    LOGDIR/tf-function/  events.out.tfevents.*   scalars (+ divergence in compare)
Every scalar's step is the epoch (0-based, as the printed "Epoch 0" lines).

The scalars are written with tensorboard's own record format code (tensorboard's RecordWriter
and Event/Summary protos), not with tf.summary: `train --backend numpy --logdir` must not
import TensorFlow. Values are TensorBoard's classic simple_value, a float32. The tf-graph
backend writes its graph itself (tf.compat.v1.summary.FileWriter, as the seed did) into its run
folder. Event files are streams TensorBoard reads while they grow, so they are appended and
flushed after each epoch rather than written atomically.

A run folder holds one run: opening a backend's writer removes the event files an earlier run
left in that folder (as --out replaces run.json), else TensorBoard would draw the old and new
points of each step as one zig-zag line. Nothing else in the folder is touched.
"""
from __future__ import annotations

import itertools
import os
import socket
import time

# tag names, one place: every backend writes these
LOSS = "train/loss"                      # mean of the epoch's minibatch losses
VAL_ACCURACY = "validation/accuracy"     # accuracy on the 5,000 validation images
EPOCH_SECONDS = "time/epoch_seconds"     # wall time of the epoch's SGD steps
DIV_LOSS_REL = "divergence/loss_rel"     # |L_numpy - L_tf| / |L_numpy|, compare only
DIV_W_ABS = "divergence/W_max_abs"       # max |W_numpy - W_tf|, compare only
DIV_W_REL = "divergence/W_max_rel"       # max |W_numpy - W_tf| / max |W_numpy|, compare only

_uid = itertools.count()


def run_dir(logdir, backend: str) -> str:
    """The run folder of one backend: LOGDIR/<backend>."""
    return os.path.join(logdir, backend)


class ScalarWriter:
    """Appends scalar events to a new event file in `folder` (created if needed; with fresh,
    the folder's older event files are removed first)."""

    def __init__(self, folder, *, fresh: bool = True):
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
        self._event_pb2, self._summary_pb2 = event_pb2, summary_pb2
        os.makedirs(folder, exist_ok=True)
        if fresh:
            for old in os.listdir(folder):
                if old.startswith("events.out.tfevents."):
                    os.remove(os.path.join(folder, old))
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_uid)}")
        self.path = os.path.join(folder, name)
        self._file = open(self.path, "wb")
        self._records = RecordWriter(self._file)
        self._write(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))

    def _write(self, event) -> None:
        self._records.write(event.SerializeToString())

    def scalars(self, step: int, values: dict) -> None:
        """One event holding tag -> value for this step (None values are skipped); flushed."""
        summary = self._summary_pb2.Summary(value=[
            self._summary_pb2.Summary.Value(tag=tag, simple_value=float(v))
            for tag, v in values.items() if v is not None])
        self._write(self._event_pb2.Event(wall_time=time.time(), step=int(step),
                                          summary=summary))
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def epoch_scalars(rec) -> dict:
    """The tags every backend writes for one numpy_softmax.EpochRecord."""
    return {LOSS: rec.loss, VAL_ACCURACY: rec.val_accuracy, EPOCH_SECONDS: rec.seconds}


def divergence_scalars(div) -> dict:
    """The compare-only tags for one softmax_parity.compare.Divergence."""
    return {DIV_LOSS_REL: div.loss_rel, DIV_W_ABS: div.W_max_abs, DIV_W_REL: div.W_max_rel}
