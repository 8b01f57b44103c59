"""Model checkpoints (``mx.model``): ``<prefix>-symbol.json`` plus ``<prefix>-%04d.params``.

The same files MXNet 1.9's ``mx.model.save_checkpoint`` writes (python/mxnet/model.py): the symbol's
JSON, and one ``mx.nd.save`` dict whose keys are ``arg:<name>`` and ``aux:<name>``. Either file is
written through a temporary file and a rename, so an interrupted save never leaves half a checkpoint
file behind. The params file is written first and the symbol last: a save killed in between leaves
the new params beside the old symbol. ``load_checkpoint`` checks the pair: params naming arguments
or auxiliary states the symbol lacks, in a params file newer than the symbol (what such a kill
leaves), are an MXNetError; the same names in an older params file (MXNet accepts them: a file of
another model, extra states) only log a warning.
"""
import os
import logging

from . import symbol as sym
from .base import MXNetError
from .context import cpu
from .ndarray import utils as nd_utils

__all__ = ["save_checkpoint", "load_checkpoint", "load_params", "check_pair"]


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Save a model: ``prefix-symbol.json`` and ``prefix-%04d.params`` (arrays copied to the CPU).

    Parameters
    ----------
    prefix : str
        Path prefix of the checkpoint files.
    epoch : int
        Epoch number, written as four digits in the params file name.
    symbol : Symbol or None
        The network; None saves the parameters only.
    arg_params : dict of str to NDArray
        Weights (argument arrays).
    aux_params : dict of str to NDArray
        Auxiliary states (e.g. BatchNorm's moving statistics).
    remove_amp_cast : bool, optional
        Drop amp_cast / amp_multicast nodes from the saved symbol.
    """
    # MXNet copies to the CPU first, so a GPU-trained checkpoint records dev_type 1.
    save_dict = {("arg:%s" % k): v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({("aux:%s" % k): v.as_in_context(cpu()) for k, v in aux_params.items()})
    param_name = "%s-%04d.params" % (prefix, epoch)
    # params first, symbol last (each atomic): see the module docstring
    nd_utils.save(param_name, save_dict)
    if symbol is not None:
        symbol.save("%s-symbol.json" % prefix, remove_amp_cast=remove_amp_cast)
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """Load ``prefix-%04d.params`` and split it into (arg_params, aux_params).

    Parameters
    ----------
    prefix : str
    epoch : int

    Returns
    -------
    arg_params : dict of str to NDArray
    aux_params : dict of str to NDArray
        Keys whose prefix is neither ``arg`` nor ``aux`` are ignored, as in MXNet.

    Raises
    ------
    MXNetError
        The file is missing or corrupt.
    ValueError
        The file holds a list of arrays, or a key without a ``<type>:`` prefix (MXNet fails there
        with an AttributeError / an unpacking ValueError).
    """
    fname = "%s-%04d.params" % (prefix, epoch)
    save_dict = nd_utils.load(fname)
    arg_params = {}
    aux_params = {}
    if not save_dict:
        logging.warning("Params file '%s' is empty", fname)
        return (arg_params, aux_params)
    if not isinstance(save_dict, dict):
        raise ValueError(f"Params file '{fname}' holds a list of {len(save_dict)} unnamed arrays, "
                         f"not the 'arg:<name>' / 'aux:<name>' dict of a checkpoint")
    for k, v in save_dict.items():
        if ":" not in k:
            raise ValueError(f"Params file '{fname}' has the key '{k}', which lacks the 'arg:' or "
                             f"'aux:' prefix of a checkpoint")
        if v is None:
            raise MXNetError(f"Params file '{fname}': '{k}' is an empty (ndim 0) array")
        tp, name = k.split(":", 1)
        if tp == "arg":
            arg_params[name] = v
        if tp == "aux":
            aux_params[name] = v
    return (arg_params, aux_params)


def load_checkpoint(prefix, epoch):
    """Load a checkpoint written by ``save_checkpoint`` (mxlite's or MXNet's).

    Parameters
    ----------
    prefix : str
    epoch : int

    Returns
    -------
    symbol : Symbol
        From ``prefix-symbol.json``.
    arg_params : dict of str to NDArray
    aux_params : dict of str to NDArray
        From ``prefix-%04d.params``.

    Examples
    --------
    >>> sym, arg_params, aux_params = mx.model.load_checkpoint("mlp", 3)
    >>> exe = sym.simple_bind(mx.cpu(), data=(1, 784), grad_req="null")
    >>> exe.copy_params_from(arg_params, aux_params, allow_extra_params=True)
    >>> probs = exe.forward(is_train=False, data=batch)[0]
    """
    symbol = sym.load("%s-symbol.json" % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    check_pair(symbol, arg_params, aux_params, "%s-symbol.json" % prefix,
               "%s-%04d.params" % (prefix, epoch))
    return (symbol, arg_params, aux_params)


def check_pair(symbol, arg_params, aux_params, symbol_file, params_file):
    """Check that a symbol file and a params file are one checkpoint: the params may only name
    arguments and aux states of the symbol. A mismatch with the params file newer than the symbol
    file is what a save killed between the two renames leaves: MXNetError. Otherwise a warning
    (MXNet loads such pairs)."""
    args, aux = set(symbol.list_arguments()), set(symbol.list_auxiliary_states())
    stray = [f"arg:{k}" for k in arg_params if k not in args]
    stray += [f"aux:{k}" for k in aux_params if k not in aux]
    if not stray:
        return
    more = f" and {len(stray) - 5} more" if len(stray) > 5 else ""
    what = (f"{params_file} holds {', '.join(stray[:5])}{more}, which {symbol_file} does not "
            f"have")
    try:
        newer = os.stat(params_file).st_mtime_ns > os.stat(symbol_file).st_mtime_ns
    except OSError:
        newer = False
    if newer:
        raise MXNetError(f"Checkpoint mismatch: {what}, and the params file is newer than the "
                         f"symbol file: they are not one checkpoint (a save_checkpoint "
                         f"interrupted between the two files?)")
    logging.warning("Checkpoint files may not match: %s", what)
