"""Names of the virtio feature bits vionic knows (include/vionic/regs.h)."""

FEATURE_BITS = {
    0: "CSUM", 1: "GUEST_CSUM", 3: "MTU", 5: "MAC", 15: "MRG_RXBUF", 16: "STATUS",
    17: "CTRL_VQ", 22: "MQ", 28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1",
    33: "ACCESS_PLATFORM", 34: "RING_PACKED", 35: "IN_ORDER", 38: "NOTIFICATION_DATA",
    40: "RING_RESET", 57: "HASH_REPORT", 60: "RSS",
}


def feature_names(bits: int) -> list[str]:
    """The names of the bits set in `bits` (unknown ones as BIT<n>)."""
    return [FEATURE_BITS.get(b, f"BIT{b}") for b in range(64) if bits >> b & 1]
