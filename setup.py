"""Build hook: ship the top-level ``kernels/`` directory inside the wheel as ``mxlite/kernels``.

All metadata lives in pyproject.toml; this file only adds the kernel sources to the built package, so
the CUDA sources stay in one place in the repository and CuPy finds them in an installed mxlite.
"""
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent


class BuildWithKernels(build_py):
    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "mxlite" / "kernels"
        target.mkdir(parents=True, exist_ok=True)
        for src in sorted((ROOT / "kernels").glob("*.cu*")):
            shutil.copy2(src, target / src.name)


setup(cmdclass={"build_py": BuildWithKernels})
