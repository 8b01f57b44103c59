"""Independent NumPy float64 references for the ops (never imports mxlite.ops): one module per
family."""
