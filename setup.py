"""The wheel carries the sample agent for `cxops demo` (agents/order-desk, environments/) as
`cxops/sample/`, so an installed cxops runs the demo outside a clone. The sample stays where the
repository's tests and README use it; the build copies it (the sdist holds it: MANIFEST.in)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SAMPLE = ("agents/order-desk", "environments")


class BuildWithSample(build_py):
    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "cxops" / "sample"
        for relative in SAMPLE:
            source = here / relative
            if source.is_dir():
                shutil.copytree(source, target / relative, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithSample})
