"""Independent NumPy float64 references for the ops, one module per op family, named as
``mxlite/ops/<family>.py`` and ``tests/opdb/<family>.py``; shared helpers in ``_util``. They never
import mxlite. A family whose references are single NumPy calls keeps them inline in its cases
and has no module here."""
