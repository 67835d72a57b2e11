# The cffi extension (libvionic + the device-server runtime) is built from
# sw/driver/build_ffi.py; everything else is in pyproject.toml. The Makefile
# sets VIONIC_SKIP_EXT for its editable install and builds the extension in
# place itself (`make ext`), so a C change rebuilds only that.
import os

from setuptools import setup

setup(cffi_modules=[] if os.environ.get("VIONIC_SKIP_EXT") else
      ["sw/driver/build_ffi.py:ffibuilder"])
