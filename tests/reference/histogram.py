"""NumPy float64 reference for the histogram family: _histogram, from its documented meaning
(NumPy's histogram: bin i holds edge[i] <= x < edge[i+1], the last bin also its right edge)."""
import numpy as np


def histogram(data, bins=None, bin_cnt=None, range=None):  # noqa: A002
    if bin_cnt is not None:
        low, high = range
        edges = np.array([(high * i + (bin_cnt - i) * low) / bin_cnt
                          for i in np.arange(bin_cnt + 1)])
    else:
        edges = np.asarray(bins)
    counts = np.zeros(len(edges) - 1, np.int64)
    for x in data.reshape(-1):
        if edges[0] <= x <= edges[-1]:
            i = int(np.searchsorted(edges, x, side="right")) - 1
            counts[min(i, len(counts) - 1)] += 1
    return [counts, edges]
