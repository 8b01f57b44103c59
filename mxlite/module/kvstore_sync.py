"""How a Module moves gradients and weights through a kvstore (MXNet 1.9's model.py helpers).

With one device and a non-distributed store name, no kvstore is used: the updater runs on the
device. With several devices, gradients are summed on the store; by default the optimizer also runs
there (``update_on_kvstore``) and the new weights are pulled back to every device, unless the
largest parameter has more than 16M elements (or ``MXNET_UPDATE_ON_KVSTORE=0``), in which case the
summed gradients come back and each device runs its own updater.
"""
import os

import numpy as np

from .. import kvstore as kvs

__all__ = ["create_kvstore", "initialize_kvstore", "update_params", "update_params_on_kvstore"]


def create_kvstore(kvstore, num_device, arg_params):
    """(kvstore or None, update_on_kvstore) for a Module on ``num_device`` devices."""
    update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, kvs.KVStore):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None
        else:
            kv = kvs.create(kvstore)
            if kvstore == "local":
                max_size = max(int(np.prod(p.shape)) for p in arg_params.values())
                if max_size > 1024 * 1024 * 16:
                    update_on_kvstore = False
    else:
        raise TypeError("kvstore must be KVStore, str or None")
    if kv is None:
        update_on_kvstore = False
    else:
        update_on_kvstore &= kv.is_capable(kvs.KVStore.OPTIMIZER)
    return kv, update_on_kvstore


def initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Put the initial weights on the store (and on every device when it updates them)."""
    for idx, on_devs in enumerate(param_arrays):
        name = param_names[idx]
        if not update_on_kvstore:
            kvstore.init(name, arg_params[name])
        else:
            kvstore.broadcast(name, arg_params[name], out=on_devs)


def update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push each gradient list, let the store update, pull the weights to every device."""
    if getattr(kvstore, "_defers_reduction", False):
        # a distributed store reduces in the background: every push first, then the pulls
        live = [i for i, g in enumerate(grad_arrays) if g[0] is not None]
        for i in live:
            kvstore.push(param_names[i], grad_arrays[i], priority=-i)
        for i in live:
            kvstore.pull(param_names[i], out=param_arrays[i], priority=-i)
        return
    for index, (arg_list, grad_list) in enumerate(zip(param_arrays, grad_arrays)):
        if grad_list[0] is None:
            continue
        kvstore.pushpull(param_names[index], grad_list, out=arg_list, priority=-index)


def update_params(param_arrays, grad_arrays, updater, num_device, kvstore=None,
                  param_names=None):
    """Sum the gradients on the store (if any), then run ``updater`` on each device with the
    indices ``param_index * num_device + device``."""
    updates = [[] for _ in range(num_device)]
    defer = getattr(kvstore, "_defers_reduction", False)
    if defer:
        # a distributed store reduces in the background: every push first, then the pulls
        for index, grad_list in enumerate(grad_arrays):
            if grad_list[0] is not None:
                kvstore.push(param_names[index], grad_list, priority=-index)
    for index, (arg_list, grad_list) in enumerate(zip(param_arrays, grad_arrays)):
        if grad_list[0] is None:
            continue
        if defer:
            kvstore.pull(param_names[index], out=grad_list, priority=-index)
        elif kvstore:
            kvstore.pushpull(param_names[index], grad_list, priority=-index)
        for k, (w, g) in enumerate(zip(arg_list, grad_list)):
            updates[k].append((index * num_device + k, g, w))
    for dev_updates in updates:
        if dev_updates:
            idx, grads, weights = zip(*dev_updates)
            updater(list(idx), list(grads), list(weights))
