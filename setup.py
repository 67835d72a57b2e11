# The cffi extension (libvionic + the device-server runtime) is built from
# sw/driver/build_ffi.py; everything else is in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["sw/driver/build_ffi.py:ffibuilder"])
