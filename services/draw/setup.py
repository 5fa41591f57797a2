"""The one compiled part of the draw service: draw/_fastkeys.c, the target keys of a draw.

Optional: without a C compiler or OpenSSL's headers the build goes on without it and draw.algorithm
hashes in Python, with the same results, several times slower on large pools."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "draw._fastkeys",
            ["src/draw/_fastkeys.c"],
            libraries=["crypto"],  # OpenSSL's libcrypto (Debian: libssl-dev)
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
