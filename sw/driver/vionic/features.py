"""Names of virtio feature bits (the names live in include/vionic/regs.h)."""


def feature_names(bits: int) -> list[str]:
    """The names of the bits set in `bits` (unknown ones as BIT<n>)."""
    from .regs import feature_name

    return [feature_name(b) for b in range(64) if bits >> b & 1]
