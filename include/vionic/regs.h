/* SPDX-License-Identifier: MIT */
/*
 * vionic BAR0 register map, feature bits and error codes.
 *
 * This header is the single source of the numbers in ../shared/DESIGN.md §2-§3.
 * The software model (sim/model), the PMD (sw/pmd) and the RTL testbenches
 * use it; the RTL (hw/rtl) mirrors it in vionic_regs_pkg-style localparams.
 * Everything is little-endian; the vendor block is 32-bit registers only.
 */
#ifndef VIONIC_REGS_H
#define VIONIC_REGS_H

/* ---- PCI identity ---------------------------------------------------- */
#define VIONIC_PCI_VENDOR_ID        0x1AF4
#define VIONIC_PCI_DEVICE_ID        0x1041   /* 0x1040 + virtio device id 1 (net) */
#define VIONIC_PCI_REVISION         0x01
#define VIONIC_PCI_SUBSYS_ID        0x0001
#define VIONIC_PCI_CLASS            0x020000 /* network controller, ethernet */

/* ---- BAR0 layout ------------------------------------------------------ */
#define VIONIC_BAR0_SIZE            0x10000
#define VIONIC_COMMON_CFG           0x0000
#define VIONIC_COMMON_CFG_SIZE      0x0040
#define VIONIC_ISR                  0x1000
#define VIONIC_DEVICE_CFG           0x2000
#define VIONIC_DEVICE_CFG_SIZE      0x0018
#define VIONIC_NOTIFY               0x3000
#define VIONIC_NOTIFY_SIZE          0x1000
#define VIONIC_NOTIFY_OFF_MULT      4        /* doorbell(q) = VIONIC_NOTIFY + 4*q */
#define VIONIC_VENDOR               0x4000
#define VIONIC_MSIX_TABLE           0x8000   /* MSI-X table (16 B per vector) */
#define VIONIC_MSIX_PBA             0x9000   /* MSI-X pending bit array */

/* virtio_pci_common_cfg (VIRTIO 1.2 §4.1.4.3), offsets inside the region */
#define VIRTIO_PCI_COMMON_DFSELECT      0x00 /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF            0x04 /* le32 device_feature (RO) */
#define VIRTIO_PCI_COMMON_GFSELECT      0x08 /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF            0x0C /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX          0x10 /* le16 config_msix_vector */
#define VIRTIO_PCI_COMMON_NUMQ          0x12 /* le16 num_queues (RO) */
#define VIRTIO_PCI_COMMON_STATUS        0x14 /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15 /* u8 config_generation (RO) */
#define VIRTIO_PCI_COMMON_Q_SELECT      0x16 /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE        0x18 /* le16 queue_size (reads max after select) */
#define VIRTIO_PCI_COMMON_Q_MSIX        0x1A /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE      0x1C /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF        0x1E /* le16 queue_notify_off (RO) = q */
#define VIRTIO_PCI_COMMON_Q_DESCLO      0x20 /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_DESCHI      0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO     0x28 /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_AVAILHI     0x2C
#define VIRTIO_PCI_COMMON_Q_USEDLO      0x30 /* le64 queue_device */
#define VIRTIO_PCI_COMMON_Q_USEDHI      0x34
#define VIRTIO_PCI_COMMON_Q_NDATA       0x38 /* le16 queue_notify_data (RO) = q */
#define VIRTIO_PCI_COMMON_Q_RESET       0x3A /* le16 queue_reset */

#define VIRTIO_MSI_NO_VECTOR            0xFFFF

/* device_status bits (§2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE       0x01
#define VIRTIO_STATUS_DRIVER            0x02
#define VIRTIO_STATUS_DRIVER_OK         0x04
#define VIRTIO_STATUS_FEATURES_OK       0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED            0x80

/* ISR bits (§4.1.4.5), read-to-clear */
#define VIRTIO_ISR_QUEUE                0x01
#define VIRTIO_ISR_CONFIG               0x02

/* virtio_net_config (§5.1.4), offsets inside the device cfg region */
#define VIRTIO_NET_CFG_MAC              0x00 /* u8[6] */
#define VIRTIO_NET_CFG_STATUS           0x06 /* le16 */
#define VIRTIO_NET_CFG_MAX_VQ_PAIRS     0x08 /* le16 */
#define VIRTIO_NET_CFG_MTU              0x0A /* le16 */
#define VIRTIO_NET_CFG_SPEED            0x0C /* le32, Mb/s */
#define VIRTIO_NET_CFG_DUPLEX           0x10 /* u8 */
#define VIRTIO_NET_CFG_RSS_KEY_SIZE     0x11 /* u8 */
#define VIRTIO_NET_CFG_RSS_TABLE_LEN    0x12 /* le16 */
#define VIRTIO_NET_CFG_HASH_TYPES       0x14 /* le32 */
#define VIRTIO_NET_S_LINK_UP            0x0001
#define VIRTIO_NET_DUPLEX_FULL          0x01

/* ---- Feature bits (§6 and §5.1.3) ------------------------------------ */
#define VIRTIO_NET_F_CSUM               0
#define VIRTIO_NET_F_GUEST_CSUM         1
#define VIRTIO_NET_F_MTU                3
#define VIRTIO_NET_F_MAC                5
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16
#define VIRTIO_NET_F_CTRL_VQ            17
#define VIRTIO_NET_F_MQ                 22
#define VIRTIO_F_INDIRECT_DESC          28
#define VIRTIO_F_EVENT_IDX              29
#define VIRTIO_F_VERSION_1              32
#define VIRTIO_F_ACCESS_PLATFORM        33
#define VIRTIO_F_RING_PACKED            34
#define VIRTIO_F_IN_ORDER               35
#define VIRTIO_F_NOTIFICATION_DATA      38
#define VIRTIO_F_RING_RESET             40
#define VIRTIO_NET_F_HASH_REPORT        57
#define VIRTIO_NET_F_RSS                60

/* What every vionic device core offers today (DESIGN §3 "Always", and the
 * offloads that the model, the RTL and libvionic all implement). */
#define VIONIC_DEVICE_FEATURES \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) | \
	 (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_MTU) | \
	 (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_F_NOTIFICATION_DATA) | \
	 (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
	 (1ULL << VIRTIO_NET_F_MRG_RXBUF))

/* Control virtqueue (§5.1.6.5): a chain is the command (class, command,
 * data: device-readable) then the ack byte (device-writable). A command the
 * device does not offer, or a malformed one, is answered VIRTIO_NET_ERR; a
 * chain with no writable byte is returned unexecuted (used length 0). */
#define VIRTIO_NET_OK                   0
#define VIRTIO_NET_ERR                  1
#define VIRTIO_NET_CTRL_RX              0
#define VIRTIO_NET_CTRL_MAC             1
#define VIRTIO_NET_CTRL_MQ              4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0      /* data: le16 pairs, 1..max_virtqueue_pairs */
#define VIRTIO_NET_CTRL_MQ_RSS_CONFIG   1      /* data: struct virtio_net_rss_config */
#define VIRTIO_NET_CTRL_MQ_HASH_CONFIG  2      /* data: struct virtio_net_hash_config */

/* RSS (VIRTIO_NET_F_RSS, §5.1.6.5.7), offered with VIONIC_MQ_FEATURES by the
 * model. RSS_CONFIG (le32 hash_types, le16 indirection_table_mask, le16
 * unclassified_queue, le16 indirection_table[mask + 1], le16 max_tx_vq, u8
 * hash_key_length, the key) is taken when its length is exact, mask + 1 is
 * a power of two up to VIONIC_RSS_TABLE_LEN, every queue (0-based receiveq)
 * and max_tx_vq - 1 are below max_virtqueue_pairs, the key is 1..40 bytes and
 * the hash types are supported; then receive steering is RSS until the next
 * VQ_PAIRS_SET (automatic steering again). The hash is Toeplitz over, in
 * packet order, source and destination address and, for TCP or UDP with its
 * type enabled (IPv4: not a fragment), source and destination port; IPv4 or
 * IPv6 alone when only that type applies (IPv6 with an extension header:
 * addresses only); a frame with no type that applies (not IP, after at most
 * one 802.1Q tag, or a header beyond the frame) goes to unclassified_queue,
 * the others to indirection_table[hash & mask]. */
/* HASH_REPORT (VIRTIO_NET_F_HASH_REPORT, §5.1.6.4.3), offered with RSS:
 * the virtio header is VIONIC_NET_HDR_HASH_LEN bytes in both directions
 * (virtio_net_hdr_v1_hash: le32 hash_value at 12, le16 hash_report at 16,
 * 2 reserved bytes; on TX the 8 added bytes are ignored). The hash
 * configuration (types and key) is the last RSS_CONFIG's or HASH_CONFIG's
 * (HASH_CONFIG: le32 hash_types, 8 reserved bytes, u8 hash_key_length, the
 * key; taken when HASH_REPORT was negotiated, its length is exact, the key
 * 1..40 bytes and the types supported; it leaves RSS steering off); reset:
 * types 0. VQ_PAIRS_SET ends RSS steering and keeps the configuration. A
 * received frame gets, by the RSS rule below, its hash and the report type
 * of the hash type that applied (VIRTIO_NET_HASH_REPORT_*), or hash 0 and
 * NONE when no type applies. A key shorter than 40 bytes is read as if
 * zero-padded. */
#define VIONIC_NET_HDR_HASH_LEN         20
#define VIONIC_NET_HDR_HASH_VALUE       12      /* le32 */
#define VIONIC_NET_HDR_HASH_REPORT      16      /* le16 */
#define VIRTIO_NET_HASH_REPORT_NONE     0
#define VIRTIO_NET_HASH_REPORT_IPv4     1
#define VIRTIO_NET_HASH_REPORT_TCPv4    2
#define VIRTIO_NET_HASH_REPORT_UDPv4    3
#define VIRTIO_NET_HASH_REPORT_IPv6     4
#define VIRTIO_NET_HASH_REPORT_TCPv6    5
#define VIRTIO_NET_HASH_REPORT_UDPv6    6
#define VIONIC_RSS_KEY_SIZE             40
#define VIONIC_RSS_TABLE_LEN            128
/* The command bytes (class, command, data) a control queue takes: the
 * largest RSS_CONFIG (8 bytes before the table, the table, max_tx_vq, the
 * key length and key). A longer command is answered VIRTIO_NET_ERR. */
#define VIONIC_CTRL_MAX_CMD \
	(2 + 8 + 2 * VIONIC_RSS_TABLE_LEN + 3 + VIONIC_RSS_KEY_SIZE)
#define VIRTIO_NET_RSS_HASH_TYPE_IPv4   (1u << 0)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPv4  (1u << 1)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPv4  (1u << 2)
#define VIRTIO_NET_RSS_HASH_TYPE_IPv6   (1u << 3)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPv6  (1u << 4)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPv6  (1u << 5)
#define VIONIC_RSS_HASH_TYPES           0x3Fu  /* the six above (no _EX types) */

/* ---- Device defaults shared by every core ----------------------------- */
#define VIONIC_DEFAULT_MTU              1500
#define VIONIC_MIN_MTU                  68
/* Largest MTU the model offers: a frame plus virtio header within the
 * 16-bit lengths of virtio-net's mtu field and of an mbuf (MRG_RXBUF
 * spreads a frame over smaller buffers). */
#define VIONIC_MAX_MTU                  (65535 - 12 - 14)
#define VIONIC_DEFAULT_SPEED            10000   /* Mb/s reported in device cfg */
#define VIONIC_MAX_QUEUE_SIZE           1024    /* queue_size reads this */
/* Queue pairs a device may have (DESIGN §2: receiveq k = 2k, transmitq k =
 * 2k+1, controlq = 2N). A device with N > 1 offers VIONIC_MQ_FEATURES too:
 * the model when started with --queue-pairs N; the RTL built with
 * NUM_QUEUE_PAIRS N (the simulated server: a build per N). The model
 * offers VIONIC_RSS_FEATURES (RSS, HASH_REPORT) with them. */
#define VIONIC_MAX_QUEUE_PAIRS          8
#define VIONIC_MAX_VQS                  (2 * VIONIC_MAX_QUEUE_PAIRS + 1)
#define VIONIC_MQ_FEATURES \
	((1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ))
#define VIONIC_RSS_FEATURES \
	((1ULL << VIRTIO_NET_F_RSS) | (1ULL << VIRTIO_NET_F_HASH_REPORT))   /* with MQ */
#define VIONIC_MIN_FRAME                60      /* wire frame bytes, no FCS */
#define VIONIC_NET_HDR_LEN              12      /* virtio_net_hdr with VERSION_1 */
/* VIRTIO_NET_F_MRG_RXBUF: the virtio header and the frame are one byte
 * stream over the avail chains in ring order, each chain filled before the
 * next; num_buffers (header offset 10) is the number of chains used, each
 * gets a used entry with the bytes written into it, and used.idx is never
 * published between the entries of one frame. A frame that the chains
 * available hold only in more than VIONIC_RX_MAX_BUFFERS chains, or not at
 * all, is dropped (DROPS) and takes no chain. Without MRG_RXBUF a frame
 * takes one chain and num_buffers is 1. */
#define VIONIC_RX_MAX_BUFFERS           64
#define VIONIC_NET_HDR_NUM_BUFFERS      10      /* offset of num_buffers (le16) */
/* Default MAC 02:56:4E:49:43:00 ("VNIC", locally administered). */
#define VIONIC_DEFAULT_MAC              { 0x02, 0x56, 0x4E, 0x49, 0x43, 0x00 }

/* ---- Vendor block (DESIGN §2) ----------------------------------------- */
#define VIONIC_REG_ID                   0x4000
#define VIONIC_ID_MAGIC                 0x43494E56u /* "VNIC" */
#define VIONIC_REG_VERSION              0x4004
#define VIONIC_REGMAP_VERSION           0x00010000u /* 1.0 */
#define VIONIC_REG_IMPL                 0x4008
#define VIONIC_IMPL_MODEL               1
#define VIONIC_IMPL_RTL_SIM             2
#define VIONIC_IMPL_BOARD               3
#define VIONIC_REG_MAX_QUEUE_PAIRS      0x400C
#define VIONIC_REG_CYCLES_LO            0x4010 /* reading LO latches HI */
#define VIONIC_REG_CYCLES_HI            0x4014
#define VIONIC_REG_ERR_CODE             0x4020
#define VIONIC_REG_ERR_QUEUE            0x4024
#define VIONIC_REG_ERR_DESC             0x4028
#define VIONIC_REG_ERR_ADDR_LO          0x402C
#define VIONIC_REG_ERR_ADDR_HI          0x4030
/* vDPA suspend (Linux vdpa_config_ops.suspend): write 1 and the device takes
 * no new avail entry and no new wire frame on any queue (frames from the wire
 * are dropped and counted), finishes what it started and publishes its used
 * entries; SUSPEND then reads 3 (SUSPENDED set), and VQ_STATE holds where
 * each queue stopped. Write 0: the queues go on from there. Reset: 0. */
#define VIONIC_REG_SUSPEND              0x4034
#define VIONIC_SUSPEND_REQ              0x1
#define VIONIC_SUSPEND_DONE             0x2
/* The MTU the device reports (virtio_net_config.mtu) and enforces (frames
 * of 14..MTU+14 bytes). A board shell (the device server in simulation)
 * writes it before a driver starts: writes take effect only while
 * device_status is 0 and the value is within VIONIC_MIN_MTU..MAX_MTU
 * (others are ignored); device reset keeps it. MAX_MTU (read-only) is the
 * largest this build's buffers hold. */
#define VIONIC_REG_MTU                  0x4038
#define VIONIC_REG_MAX_MTU              0x403C

#define VIONIC_REG_QSTATS_BASE          0x4100 /* per-virtqueue counters ... */
#define VIONIC_QSTATS_STRIDE            0x20   /* ... one block per virtqueue */
#define VIONIC_REG_QSTATS(q)            (VIONIC_REG_QSTATS_BASE + VIONIC_QSTATS_STRIDE * (q))
#define VIONIC_QSTAT_PACKETS_LO         0x00 /* reading LO latches HI */
#define VIONIC_QSTAT_PACKETS_HI         0x04
#define VIONIC_QSTAT_BYTES_LO           0x08 /* Ethernet frame bytes */
#define VIONIC_QSTAT_BYTES_HI           0x0C
#define VIONIC_QSTAT_DROPS              0x10
#define VIONIC_QSTAT_ERRORS             0x14
/* Per-virtqueue ring state, as vDPA's get_vq_state/set_vq_state see it:
 * the next avail entry the device takes (15:0) and the next used index it
 * writes (31:16). Readable always; writable while the queue is disabled, and
 * queue enable starts the queue from what was written (reset: 0). */
#define VIONIC_REG_VQ_STATE_BASE        0x4600
#define VIONIC_VQ_STATE_STRIDE          0x8
#define VIONIC_REG_VQ_STATE(q)          (VIONIC_REG_VQ_STATE_BASE + VIONIC_VQ_STATE_STRIDE * (q))
#define VIONIC_VQ_STATE_AVAIL_SHIFT     0
#define VIONIC_VQ_STATE_USED_SHIFT      16
/* ---- Offload region (DESIGN §6): stages of the TX and RX pipelines ------
 * OFFLOAD_CAPS has a bit per stage the device has; each stage has a block
 * of counters at OFFLOAD + 0x10 * (stage + 1). A stage acts only when its
 * feature was negotiated (TX_CSUM: VIRTIO_NET_F_CSUM, RX_CSUM:
 * VIRTIO_NET_F_GUEST_CSUM); counters are 32-bit, wrap, and clear at reset.
 *
 * TX_CSUM: a frame whose header has VIRTIO_NET_HDR_F_NEEDS_CSUM gets the
 * 16-bit ones' complement sum of its bytes csum_start..end, complemented
 * (0 written as 0xFFFF, as Linux's skb_checksum_help), stored big-endian
 * at csum_start + csum_offset (the driver seeds that field with the
 * pseudo-header sum). csum_start + csum_offset + 2 beyond the frame: the
 * frame is dropped (TX DROPS and CSUM_BAD count it), nothing is sent.
 * RX_CSUM: TCP or UDP directly over IPv4 (not a fragment) or IPv6 (next
 * header TCP/UDP: extension headers are not walked), after at most one
 * 802.1Q tag, whose IP length fits in the frame: the device checks the L4
 * checksum with the pseudo-header and sets VIRTIO_NET_HDR_F_DATA_VALID
 * when it is right (CSUM_GOOD), leaves the frame unmarked when wrong
 * (CSUM_BAD). UDP over IPv4 with checksum 0, and every other frame, pass
 * unmarked and uncounted. RX counters count the frames the driver gets (a
 * frame dropped for want of a buffer counts nowhere here). */
#define VIONIC_REG_OFFLOAD              0x4800
#define VIONIC_REG_OFFLOAD_CAPS         0x4800
#define VIONIC_STAGE_TX_CSUM            0
#define VIONIC_STAGE_RX_CSUM            1
#define VIONIC_STAGE_STRIDE             0x10   /* one counter block per stage, after CAPS */
#define VIONIC_REG_STAGE(stage)         (VIONIC_REG_OFFLOAD + VIONIC_STAGE_STRIDE * ((stage) + 1))
#define VIONIC_STAGE_CSUM_GOOD          0x0 /* TX: checksums inserted; RX: frames marked */
#define VIONIC_STAGE_CSUM_BAD           0x4 /* TX: dropped for csum_start/offset; RX: wrong sums */
#define VIONIC_OFFLOAD_END              0x4A00 /* end of the region */

/* Error codes in ERR_CODE */
#define VIONIC_ERR_NONE                 0
#define VIONIC_ERR_DMA                  1 /* outside the DMA map, or DMA error response */
#define VIONIC_ERR_CHAIN                2 /* chain longer than the queue, or a loop */
#define VIONIC_ERR_ZERO_LEN             3
#define VIONIC_ERR_DIRECTION            4 /* write-only on TX, read-only on RX */
#define VIONIC_ERR_ALIGN                5 /* misaligned ring address */
#define VIONIC_ERR_INDEX                6 /* descriptor or ring index out of range */
#define VIONIC_ERR_QUEUE_CFG            7 /* invalid queue configuration at enable */

/* ---- Names and texts (the only copy; libvionic and Python use these) ---- */
/* What ERR_CODE `code` means, e.g. for a log line or an exception message. */
static inline const char *vionic_device_error_text(unsigned code)
{
	switch (code) {
	case VIONIC_ERR_NONE:      return "none";
	case VIONIC_ERR_DMA:       return "DMA outside the DMA map or DMA error response";
	case VIONIC_ERR_CHAIN:     return "descriptor chain longer than the queue, or a loop";
	case VIONIC_ERR_ZERO_LEN:  return "zero-length descriptor";
	case VIONIC_ERR_DIRECTION: return "wrong descriptor direction";
	case VIONIC_ERR_ALIGN:     return "misaligned ring address";
	case VIONIC_ERR_INDEX:     return "descriptor or ring index out of range";
	case VIONIC_ERR_QUEUE_CFG: return "invalid queue configuration at enable";
	default:                   return "unknown device error";
	}
}

/* Name of feature bit `bit` as the virtio spec writes it without its
 * VIRTIO_(NET_)F_ prefix, or NULL for a bit vionic does not know. */
static inline const char *vionic_feature_name(unsigned bit)
{
	switch (bit) {
	case VIRTIO_NET_F_CSUM:          return "CSUM";
	case VIRTIO_NET_F_GUEST_CSUM:    return "GUEST_CSUM";
	case VIRTIO_NET_F_MTU:           return "MTU";
	case VIRTIO_NET_F_MAC:           return "MAC";
	case VIRTIO_NET_F_MRG_RXBUF:     return "MRG_RXBUF";
	case VIRTIO_NET_F_STATUS:        return "STATUS";
	case VIRTIO_NET_F_CTRL_VQ:       return "CTRL_VQ";
	case VIRTIO_NET_F_MQ:            return "MQ";
	case VIRTIO_F_INDIRECT_DESC:     return "INDIRECT_DESC";
	case VIRTIO_F_EVENT_IDX:         return "EVENT_IDX";
	case VIRTIO_F_VERSION_1:         return "VERSION_1";
	case VIRTIO_F_ACCESS_PLATFORM:   return "ACCESS_PLATFORM";
	case VIRTIO_F_RING_PACKED:       return "RING_PACKED";
	case VIRTIO_F_IN_ORDER:          return "IN_ORDER";
	case VIRTIO_F_NOTIFICATION_DATA: return "NOTIFICATION_DATA";
	case VIRTIO_F_RING_RESET:        return "RING_RESET";
	case VIRTIO_NET_F_HASH_REPORT:   return "HASH_REPORT";
	case VIRTIO_NET_F_RSS:           return "RSS";
	default:                         return (const char *)0;
	}
}

/* Which device core VIONIC_REG_IMPL names. */
static inline const char *vionic_impl_name(unsigned impl)
{
	switch (impl) {
	case VIONIC_IMPL_MODEL:   return "model";
	case VIONIC_IMPL_RTL_SIM: return "rtl-sim";
	case VIONIC_IMPL_BOARD:   return "board";
	default:                  return "unknown";
	}
}

/* ---- MSI-X vectors the device exposes --------------------------------- */
/* Vector numbers are whatever the driver writes to config_msix_vector and
 * queue_msix_vector; a device offers 2*MAX_QUEUE_PAIRS + 2 vectors. */
#define VIONIC_MSIX_VECTORS(pairs)      (2 * (pairs) + 2)

#endif /* VIONIC_REGS_H */
