"""The one compiled part of the registry: registry/_checks.c, the GB 32100 and GB 11643 checks.

Optional: without a C compiler the build goes on without it and registry.codes checks in Python,
with the same answers, a sixth of the batch API's time slower."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("registry._checks", ["src/registry/_checks.c"], extra_compile_args=["-O2"], optional=True),
    ]
)
