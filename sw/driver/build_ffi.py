"""Builds vionic._vionic: libvionic (sw/pmd) and the device-server runtime
(sim/server, sim/model) compiled into one cffi extension module.

Used two ways: by setup.py (`cffi_modules`) when the package is installed,
and by `make ext` (`python sw/driver/build_ffi.py --inplace`) to rebuild the
module next to the sources after a C change. The C is also built on its own
by the Makefile with -Werror; that build is the lint gate.
"""

import platform
import re
import shutil
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_HEADER = ROOT / "sw/pmd/include/vionic.h"
CONSTANT_HEADERS = [ROOT / "include/vionic/regs.h", ROOT / "include/vionic/virtio.h"]
SOURCE_DIRS = ["sw/common", "sw/pmd", "sw/pmd/transport", "sim/server", "sim/wire", "sim/model"]
INCLUDE_DIRS = ["include", "sw/common", "sw/pmd/include", "sw/pmd", "sim/server", "sim/model"]


def _cdef_text() -> str:
    """The public header as cffi's cdef wants it: no preprocessor lines but
    its integer constants (`#define NAME ...`, valued by the compiler), no
    extern "C" block."""
    lines = []
    for line in PUBLIC_HEADER.read_text().splitlines():
        stripped = line.strip()
        const = re.match(r"#define\s+(\w+)\s+\S", stripped)
        if const:
            lines.append(f"#define {const[1]} ...")
            continue
        if stripped.startswith("#") or stripped in ('extern "C" {', "}"):
            continue
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _regs_cdef() -> str:
    """Every integer constant of include/vionic/regs.h and virtio.h, for
    `vionic.regs`. In
    cffi's API mode `#define NAME ...` lets the C compiler work out the value,
    so expressions such as VIONIC_DEVICE_FEATURES come through too. Skipped:
    the include guard, function-like macros and the MAC initializer."""
    names = []
    text = "\n".join(h.read_text() for h in CONSTANT_HEADERS)
    for m in re.finditer(r"^#define\s+(\w+)(\(?)[ \t]*(.*)$", text, re.M):
        name, function_like, value = m.groups()
        if function_like or not value.strip() or value.lstrip().startswith("{"):
            continue
        names.append(f"#define {name} ...")
    return "\n".join(names + [
        "const char *vionic_device_error_text(unsigned code);",
        "const char *vionic_feature_name(unsigned bit);",
        "const char *vionic_impl_name(unsigned impl);",
    ])


# as the Makefile's CFLAGS: no branch across a 32-byte boundary (the JCC
# erratum), so hot loops do not run at the mercy of where they land
X86_FLAGS = ["-Wa,-mbranches-within-32B-boundaries"] if platform.machine() == "x86_64" else []


def _sources(absolute: bool) -> list[str]:
    paths = sorted(p for d in SOURCE_DIRS for p in (ROOT / d).glob("*.c"))
    # setuptools insists on relative paths; cffi's compile() runs in its tmpdir
    return [str(p if absolute else p.relative_to(ROOT)) for p in paths]


def make_builder(absolute: bool = False) -> FFI:
    builder = FFI()
    builder.cdef(_cdef_text())
    builder.cdef(_regs_cdef())
    builder.cdef("int vionic_model_server_main(int argc, char **argv);\n"
                 "int vionic_server_check_wire(const char *spec, char *err, size_t errlen);\n"
                 "struct vionic_wire_bench { uint64_t frames; uint64_t drops; double seconds;"
                 " double mpps; };\n"
                 "int vionic_server_wire_bench(const char *spec, uint32_t size, uint32_t nsrc,"
                 " uint32_t stride, double seconds, struct vionic_wire_bench *res, char *err,"
                 " size_t errlen);")
    builder.set_source(
        "vionic._vionic",
        '#include "vionic.h"\n#include "vionic/regs.h"\n#include "vionic/virtio.h"\n'
        '#include "vionic_server.h"\n#include "vmodel.h"\n',
        sources=_sources(absolute),
        include_dirs=[str(ROOT / d) for d in INCLUDE_DIRS],
        extra_compile_args=["-std=gnu11", "-O2", "-g", "-D_GNU_SOURCE", "-Wno-unused-parameter",
                            *X86_FLAGS],
        libraries=["pthread", "m"],
    )
    return builder


ffibuilder = make_builder()


def main() -> None:
    if "--inplace" not in sys.argv[1:]:
        sys.exit("usage: build_ffi.py --inplace   (setup.py uses the ffibuilder object)")
    tmp = ROOT / "build/ffi"
    tmp.mkdir(parents=True, exist_ok=True)
    built = Path(make_builder(absolute=True).compile(tmpdir=str(tmp), verbose=False))
    dest = ROOT / "sw/driver/vionic" / built.name
    for old in dest.parent.glob("_vionic*.so"):
        old.unlink()
    shutil.copy2(built, dest)
    print(f"built {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
