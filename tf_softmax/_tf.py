"""Import TensorFlow once, quietly.

TF_CPP_MIN_LOG_LEVEL=2 hides TF's C++ info and warning lines, unless the user already chose a
level. Some lines escape it: TF 2.16+ prints its oneDNN and CUDA-stub notes before its logger
reads the variable, and the CUDA probe logs an error on machines without a GPU. So at level 2
or above, stderr (file descriptor 2) is pointed at /dev/null while TF is imported and its
devices are listed, and restored right after. Set TF_CPP_MIN_LOG_LEVEL=0 to see everything.
(The level is read, not just its presence: a child process inherits the 2 set here.)

SOFTMAX_PARITY_CPU_DEVICES=K, when set, splits the CPU into K logical devices before TF
initialises its devices (tf.config.set_logical_device_configuration works only before that, and
the device probe below is that moment): tf_softmax.distributed's MirroredStrategy needs them.
softmax_parity.backends.set_distributed sets it before the first import of TF.
In a worker process (SOFTMAX_PARITY_WORKER and TF_CONFIG set by softmax_parity.workers),
MultiWorkerMirroredStrategy is made here, before the probe: TF accepts collective ops only when
they are configured before it starts. Its collectives time out after
SOFTMAX_PARITY_WORKER_TIMEOUT seconds (a worker that hangs ends the run).
"""
import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_silenced(silence: bool):
    if not silence:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # C++ writes to fd 2 directly, so sys.stderr alone would not do
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"].strip() not in ("0", "1")

with _stderr_silenced(_quiet):
    import tensorflow as tf
    if os.environ.get("SOFTMAX_PARITY_CPU_DEVICES", "").strip():
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()]
            * int(os.environ["SOFTMAX_PARITY_CPU_DEVICES"]))
    worker_strategy = None
    if os.environ.get("SOFTMAX_PARITY_WORKER") and os.environ.get("TF_CONFIG"):
        _dx = tf.distribute.experimental
        worker_strategy = tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=_dx.CommunicationOptions(
                implementation=_dx.CommunicationImplementation.RING,
                timeout_seconds=float(os.environ.get("SOFTMAX_PARITY_WORKER_TIMEOUT", "60"))))
    tf.config.list_logical_devices()  # the device probe (and its CUDA notes) happens here

__all__ = ["tf"]
