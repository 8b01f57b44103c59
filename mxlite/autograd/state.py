"""The two autograd switches, recording and training, kept per thread as MXNet keeps them.

``record()``, ``pause()``, ``train_mode()`` and ``predict_mode()`` are scopes over these flags;
``ndarray.register.invoke`` reads them on every op call (training decides ``is_train`` for
Dropout and BatchNorm, recording decides whether the call goes on the tape).
"""
import threading

__all__ = ["STATE", "set_recording", "set_training", "is_recording", "is_training", "record",
           "pause", "train_mode", "predict_mode"]


class _State(threading.local):
    """Per-thread flags; a new thread starts neither recording nor training (MXNet's default)."""

    recording = False
    training = False


STATE = _State()


def set_recording(is_recording):  # pylint: disable=redefined-outer-name
    """Turn recording on or off; return the previous state."""
    prev = STATE.recording
    STATE.recording = bool(is_recording)
    return prev


def set_training(train_mode):  # pylint: disable=redefined-outer-name
    """Turn training mode on or off (``is_train`` of the ops run from now); return the previous
    state."""
    prev = STATE.training
    STATE.training = bool(train_mode)
    return prev


def is_recording():
    """Whether op calls are being recorded for gradient computation."""
    return STATE.recording


def is_training():
    """Whether ops run in training mode (Dropout drops, BatchNorm uses batch statistics)."""
    return STATE.training


class _RecordingStateScope:
    """Sets recording and/or training on entry and restores what was changed on exit; ``None``
    leaves a flag alone."""

    def __init__(self, is_record, train):
        self._enter_is_record = is_record
        self._enter_train_mode = train
        self._prev_is_record = None
        self._prev_train_mode = None

    def __enter__(self):
        if self._enter_is_record is not None:
            self._prev_is_record = set_recording(self._enter_is_record)
        if self._enter_train_mode is not None:
            self._prev_train_mode = set_training(self._enter_train_mode)

    def __exit__(self, ptype, value, trace):
        if self._enter_is_record is not None and self._prev_is_record != self._enter_is_record:
            set_recording(self._prev_is_record)
        if self._enter_train_mode is not None and self._prev_train_mode != self._enter_train_mode:
            set_training(self._prev_train_mode)


def record(train_mode=True):  # pylint: disable=redefined-outer-name
    """A ``with`` scope recording the ops run inside it so that gradients can be computed.

    Parameters
    ----------
    train_mode : bool, default True
        Whether the ops inside run in training mode (Dropout, BatchNorm).
    """
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):  # pylint: disable=redefined-outer-name
    """A ``with`` scope in which nothing is recorded (metric updates, optimizer steps)."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """A ``with`` scope in training mode that leaves recording as it is."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """A ``with`` scope in inference mode that leaves recording as it is."""
    return _RecordingStateScope(None, False)
