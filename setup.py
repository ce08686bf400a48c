"""setuptools hook for the cffi extension; all metadata lives in pyproject.toml.

Every build compiles in a new temporary directory (not ./build, not the
source tree), so a wheel never reuses objects of an earlier build."""
import atexit
import shutil
import tempfile

from setuptools import setup

BUILD_DIR = tempfile.mkdtemp(prefix="zova-setup-")
atexit.register(shutil.rmtree, BUILD_DIR, ignore_errors=True)

setup(cffi_modules=["build.py:make_ffibuilder"],
      options={"build": {"build_base": BUILD_DIR}, "egg_info": {"egg_base": BUILD_DIR}})
