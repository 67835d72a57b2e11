// vionic_pkg: the numbers of the vionic device for the RTL.
//
// Naming rule: a localparam that mirrors a #define of include/vionic/regs.h or
// include/vionic/virtio.h has exactly the C macro's name, so a test pairs them
// by name and compares the values (regs.h stays the source; this is a checked
// copy). Names the RTL adds (ring layout, widths, state enums) carry no
// VIONIC_/VIRTIO_/VRING_ prefix, so they can never be taken for a copy.
//
// Tool subset (Verilator --lint-only -Wall and Yosys read_verilog -sv both):
// - users write vionic_pkg::NAME, no import: Yosys 0.70 rejects `import` inside
//   a module and in a module header, and Verilator warns (IMPORTSTAR) on an
//   import in the compilation-unit scope;
// - Yosys needs this file before its users in one read_verilog (hw/syn/synth.py
//   lists it first); Verilator resolves vionic_pkg:: names in any file order,
//   so the sorted hw/rtl/*.sv lists of the other builds work as they are;
// - functions assign to their name (Yosys does not take `return` here);
// - UNUSEDPARAM is off inside this package: it mirrors the whole register
//   map, of which the RTL uses a part, and a block test elaborates only some
//   users.
`default_nettype none

package vionic_pkg;

    /* verilator lint_off UNUSEDPARAM */

    // ---- BAR0 layout (regs.h) ----
    localparam logic [31:0] VIONIC_BAR0_SIZE           = 32'h0001_0000;
    localparam logic [15:0] VIONIC_COMMON_CFG          = 16'h0000;
    localparam logic [15:0] VIONIC_COMMON_CFG_SIZE     = 16'h0040;
    localparam logic [15:0] VIONIC_ISR                 = 16'h1000;
    localparam logic [15:0] VIONIC_DEVICE_CFG          = 16'h2000;
    localparam logic [15:0] VIONIC_DEVICE_CFG_SIZE     = 16'h0018;
    localparam logic [15:0] VIONIC_NOTIFY              = 16'h3000;
    localparam logic [15:0] VIONIC_NOTIFY_SIZE         = 16'h1000;
    localparam int unsigned VIONIC_NOTIFY_OFF_MULT     = 4;
    localparam logic [15:0] VIONIC_VENDOR              = 16'h4000;
    localparam logic [15:0] VIONIC_MSIX_TABLE          = 16'h8000;
    localparam logic [15:0] VIONIC_MSIX_PBA            = 16'h9000;

    // ---- virtio_pci_common_cfg offsets inside the common cfg region (regs.h) ----
    localparam logic [15:0] VIRTIO_PCI_COMMON_DFSELECT      = 16'h0000;
    localparam logic [15:0] VIRTIO_PCI_COMMON_DF            = 16'h0004;
    localparam logic [15:0] VIRTIO_PCI_COMMON_GFSELECT      = 16'h0008;
    localparam logic [15:0] VIRTIO_PCI_COMMON_GF            = 16'h000C;
    localparam logic [15:0] VIRTIO_PCI_COMMON_MSIX          = 16'h0010;
    localparam logic [15:0] VIRTIO_PCI_COMMON_NUMQ          = 16'h0012;
    localparam logic [15:0] VIRTIO_PCI_COMMON_STATUS        = 16'h0014;
    localparam logic [15:0] VIRTIO_PCI_COMMON_CFGGENERATION = 16'h0015;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_SELECT      = 16'h0016;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_SIZE        = 16'h0018;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_MSIX        = 16'h001A;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_ENABLE      = 16'h001C;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_NOFF        = 16'h001E;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_DESCLO      = 16'h0020;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_DESCHI      = 16'h0024;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_AVAILLO     = 16'h0028;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_AVAILHI     = 16'h002C;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_USEDLO      = 16'h0030;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_USEDHI      = 16'h0034;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_NDATA       = 16'h0038;
    localparam logic [15:0] VIRTIO_PCI_COMMON_Q_RESET       = 16'h003A;

    localparam logic [15:0] VIRTIO_MSI_NO_VECTOR            = 16'hFFFF;

    // ---- device_status bits (regs.h) ----
    localparam logic [7:0]  VIRTIO_STATUS_ACKNOWLEDGE       = 8'h01;
    localparam logic [7:0]  VIRTIO_STATUS_DRIVER            = 8'h02;
    localparam logic [7:0]  VIRTIO_STATUS_DRIVER_OK         = 8'h04;
    localparam logic [7:0]  VIRTIO_STATUS_FEATURES_OK       = 8'h08;
    localparam logic [7:0]  VIRTIO_STATUS_DEVICE_NEEDS_RESET = 8'h40;
    localparam logic [7:0]  VIRTIO_STATUS_FAILED            = 8'h80;

    // ---- ISR bits, read to clear (regs.h) ----
    localparam logic [7:0]  VIRTIO_ISR_QUEUE                = 8'h01;
    localparam logic [7:0]  VIRTIO_ISR_CONFIG               = 8'h02;

    // ---- virtio_net_config offsets inside the device cfg region (regs.h) ----
    localparam logic [15:0] VIRTIO_NET_CFG_MAC              = 16'h0000;
    localparam logic [15:0] VIRTIO_NET_CFG_STATUS           = 16'h0006;
    localparam logic [15:0] VIRTIO_NET_CFG_MAX_VQ_PAIRS     = 16'h0008;
    localparam logic [15:0] VIRTIO_NET_CFG_MTU              = 16'h000A;
    localparam logic [15:0] VIRTIO_NET_CFG_SPEED            = 16'h000C;
    localparam logic [15:0] VIRTIO_NET_CFG_DUPLEX           = 16'h0010;
    localparam logic [15:0] VIRTIO_NET_CFG_RSS_KEY_SIZE     = 16'h0011;
    localparam logic [15:0] VIRTIO_NET_CFG_RSS_TABLE_LEN    = 16'h0012;
    localparam logic [15:0] VIRTIO_NET_CFG_HASH_TYPES       = 16'h0014;
    localparam logic [15:0] VIRTIO_NET_S_LINK_UP            = 16'h0001;
    localparam logic [7:0]  VIRTIO_NET_DUPLEX_FULL          = 8'h01;

    // ---- feature bit numbers (regs.h) ----
    localparam int unsigned VIRTIO_NET_F_CSUM               = 0;
    localparam int unsigned VIRTIO_NET_F_GUEST_CSUM         = 1;
    localparam int unsigned VIRTIO_NET_F_MTU                = 3;
    localparam int unsigned VIRTIO_NET_F_MAC                = 5;
    localparam int unsigned VIRTIO_NET_F_MRG_RXBUF          = 15;
    localparam int unsigned VIRTIO_NET_F_STATUS             = 16;
    localparam int unsigned VIRTIO_NET_F_CTRL_VQ            = 17;
    localparam int unsigned VIRTIO_NET_F_MQ                 = 22;
    localparam int unsigned VIRTIO_F_INDIRECT_DESC          = 28;
    localparam int unsigned VIRTIO_F_EVENT_IDX              = 29;
    localparam int unsigned VIRTIO_F_VERSION_1              = 32;
    localparam int unsigned VIRTIO_F_ACCESS_PLATFORM        = 33;
    localparam int unsigned VIRTIO_F_RING_PACKED            = 34;
    localparam int unsigned VIRTIO_F_IN_ORDER               = 35;
    localparam int unsigned VIRTIO_F_NOTIFICATION_DATA      = 38;
    localparam int unsigned VIRTIO_F_RING_RESET             = 40;
    localparam int unsigned VIRTIO_NET_F_HASH_REPORT        = 57;
    localparam int unsigned VIRTIO_NET_F_RSS                = 60;

    // the features a device of more than one queue pair offers too: MQ | CTRL_VQ
    localparam logic [63:0] VIONIC_MQ_FEATURES = 64'h0000_0000_0042_0000;
    localparam int unsigned VIONIC_MAX_QUEUE_PAIRS = 8;

    // ---- control queue (regs.h) ----
    localparam logic [7:0]  VIRTIO_NET_OK                   = 8'd0;
    localparam logic [7:0]  VIRTIO_NET_ERR                  = 8'd1;
    localparam logic [7:0]  VIRTIO_NET_CTRL_MQ              = 8'd4;
    localparam logic [7:0]  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET = 8'd0;
    localparam logic [7:0]  VIRTIO_NET_CTRL_MQ_RSS_CONFIG   = 8'd1;
    localparam logic [7:0]  VIRTIO_NET_CTRL_MQ_HASH_CONFIG  = 8'd2;
    // ---- RSS and hash report (regs.h) ----
    localparam int unsigned VIONIC_RSS_KEY_SIZE             = 40;
    localparam int unsigned VIONIC_RSS_TABLE_LEN            = 128;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_IPv4   = 32'h01;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_TCPv4  = 32'h02;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_UDPv4  = 32'h04;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_IPv6   = 32'h08;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_TCPv6  = 32'h10;
    localparam logic [31:0] VIRTIO_NET_RSS_HASH_TYPE_UDPv6  = 32'h20;
    localparam logic [31:0] VIONIC_RSS_HASH_TYPES           = 32'h3F;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_NONE     = 3'd0;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_IPv4     = 3'd1;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_TCPv4    = 3'd2;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_UDPv4    = 3'd3;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_IPv6     = 3'd4;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_TCPv6    = 3'd5;
    localparam logic [2:0]  VIRTIO_NET_HASH_REPORT_UDPv6    = 3'd6;
    // the features a device of more than one queue pair offers besides MQ: RSS | HASH_REPORT
    localparam logic [63:0] VIONIC_RSS_FEATURES             = 64'h1200_0000_0000_0000;
    // virtio_net_hdr_v1_hash (HASH_REPORT): le32 hash_value, le16 hash_report, 2 reserved bytes
    localparam int unsigned VIONIC_NET_HDR_HASH_LEN         = 20;
    localparam int unsigned VIONIC_NET_HDR_HASH_VALUE       = 12;
    localparam int unsigned VIONIC_NET_HDR_HASH_REPORT      = 16;

    // VERSION_1 | ACCESS_PLATFORM | MAC | MTU | STATUS | NOTIFICATION_DATA | CSUM | GUEST_CSUM | MRG_RXBUF
    localparam logic [63:0] VIONIC_DEVICE_FEATURES          = 64'h0000_0043_0001_802B;

    // ---- defaults shared by every core (regs.h) ----
    localparam int unsigned VIONIC_DEFAULT_MTU              = 1500;
    localparam int unsigned VIONIC_MIN_MTU                  = 68;
    localparam int unsigned VIONIC_MAX_MTU                  = 65535 - 12 - 14;
    localparam int unsigned VIONIC_DEFAULT_SPEED            = 10000;
    localparam int unsigned VIONIC_MAX_QUEUE_SIZE           = 1024;
    localparam int unsigned VIONIC_MIN_FRAME                = 60;
    localparam int unsigned VIONIC_NET_HDR_LEN              = 12;
    localparam int unsigned VIONIC_RX_MAX_BUFFERS           = 64;
    localparam int unsigned VIONIC_NET_HDR_NUM_BUFFERS      = 10;
    // { 0x02, 0x56, 0x4E, 0x49, 0x43, 0x00 }: first octet in bits 47:40
    localparam logic [47:0] VIONIC_DEFAULT_MAC              = 48'h02_56_4E_49_43_00;

    // ---- vendor block (regs.h) ----
    localparam logic [15:0] VIONIC_REG_ID                   = 16'h4000;
    localparam logic [31:0] VIONIC_ID_MAGIC                 = 32'h4349_4E56;
    localparam logic [15:0] VIONIC_REG_VERSION              = 16'h4004;
    localparam logic [31:0] VIONIC_REGMAP_VERSION           = 32'h0001_0000;
    localparam logic [15:0] VIONIC_REG_IMPL                 = 16'h4008;
    localparam int unsigned VIONIC_IMPL_MODEL               = 1;
    localparam int unsigned VIONIC_IMPL_RTL_SIM             = 2;
    localparam int unsigned VIONIC_IMPL_BOARD               = 3;
    localparam logic [15:0] VIONIC_REG_MAX_QUEUE_PAIRS      = 16'h400C;
    localparam logic [15:0] VIONIC_REG_CYCLES_LO            = 16'h4010;
    localparam logic [15:0] VIONIC_REG_CYCLES_HI            = 16'h4014;
    localparam logic [15:0] VIONIC_REG_ERR_CODE             = 16'h4020;
    localparam logic [15:0] VIONIC_REG_ERR_QUEUE            = 16'h4024;
    localparam logic [15:0] VIONIC_REG_ERR_DESC             = 16'h4028;
    localparam logic [15:0] VIONIC_REG_ERR_ADDR_LO          = 16'h402C;
    localparam logic [15:0] VIONIC_REG_ERR_ADDR_HI          = 16'h4030;
    localparam logic [15:0] VIONIC_REG_SUSPEND              = 16'h4034;
    localparam int unsigned VIONIC_SUSPEND_REQ              = 1;
    localparam int unsigned VIONIC_SUSPEND_DONE             = 2;
    localparam logic [15:0] VIONIC_REG_MTU                  = 16'h4038;
    localparam logic [15:0] VIONIC_REG_MAX_MTU              = 16'h403C;

    localparam logic [15:0] VIONIC_REG_QSTATS_BASE          = 16'h4100;
    localparam logic [15:0] VIONIC_QSTATS_STRIDE            = 16'h0020;
    localparam logic [15:0] VIONIC_QSTAT_PACKETS_LO         = 16'h0000;
    localparam logic [15:0] VIONIC_QSTAT_PACKETS_HI         = 16'h0004;
    localparam logic [15:0] VIONIC_QSTAT_BYTES_LO           = 16'h0008;
    localparam logic [15:0] VIONIC_QSTAT_BYTES_HI           = 16'h000C;
    localparam logic [15:0] VIONIC_QSTAT_DROPS              = 16'h0010;
    localparam logic [15:0] VIONIC_QSTAT_ERRORS             = 16'h0014;
    localparam logic [15:0] VIONIC_REG_VQ_STATE_BASE        = 16'h4600;
    localparam logic [15:0] VIONIC_VQ_STATE_STRIDE          = 16'h0008;
    localparam int unsigned VIONIC_VQ_STATE_AVAIL_SHIFT     = 0;
    localparam int unsigned VIONIC_VQ_STATE_USED_SHIFT      = 16;
    localparam logic [15:0] VIONIC_REG_OFFLOAD              = 16'h4800;
    localparam logic [15:0] VIONIC_REG_OFFLOAD_CAPS         = 16'h4800;
    localparam int unsigned VIONIC_STAGE_TX_CSUM            = 0;
    localparam int unsigned VIONIC_STAGE_RX_CSUM            = 1;
    localparam logic [15:0] VIONIC_STAGE_STRIDE             = 16'h0010;
    localparam logic [15:0] VIONIC_STAGE_CSUM_GOOD          = 16'h0000;
    localparam logic [15:0] VIONIC_STAGE_CSUM_BAD           = 16'h0004;
    localparam logic [15:0] VIONIC_OFFLOAD_END              = 16'h4A00;

    // ---- ERR_CODE values (regs.h), ERR_CODE_WIDTH bits wide in the RTL ----
    localparam logic [3:0]  VIONIC_ERR_NONE                 = 4'd0;
    localparam logic [3:0]  VIONIC_ERR_DMA                  = 4'd1;
    localparam logic [3:0]  VIONIC_ERR_CHAIN                = 4'd2;
    localparam logic [3:0]  VIONIC_ERR_ZERO_LEN             = 4'd3;
    localparam logic [3:0]  VIONIC_ERR_DIRECTION            = 4'd4;
    localparam logic [3:0]  VIONIC_ERR_ALIGN                = 4'd5;
    localparam logic [3:0]  VIONIC_ERR_INDEX                = 4'd6;
    localparam logic [3:0]  VIONIC_ERR_QUEUE_CFG            = 4'd7;

    // ---- split virtqueue flags and ring alignment (virtio.h) ----
    localparam logic [15:0] VRING_DESC_F_NEXT               = 16'h0001;
    localparam logic [15:0] VRING_DESC_F_WRITE              = 16'h0002;
    localparam logic [15:0] VRING_DESC_F_INDIRECT           = 16'h0004;
    localparam logic [15:0] VRING_AVAIL_F_NO_INTERRUPT      = 16'h0001;
    localparam logic [15:0] VRING_USED_F_NO_NOTIFY          = 16'h0001;
    localparam logic [7:0]  VIRTIO_NET_HDR_F_NEEDS_CSUM     = 8'h01;
    localparam logic [7:0]  VIRTIO_NET_HDR_F_DATA_VALID     = 8'h02;
    localparam int unsigned VRING_DESC_ALIGN                = 16;
    localparam int unsigned VRING_AVAIL_ALIGN               = 2;
    localparam int unsigned VRING_USED_ALIGN                = 4;

    // MSI-X vectors a device of `pairs` queue pairs exposes: VIONIC_MSIX_VECTORS(pairs) of regs.h
    function automatic int unsigned VIONIC_MSIX_VECTORS(input int unsigned pairs);
        VIONIC_MSIX_VECTORS = 2 * pairs + 2;
    endfunction

    // counter block of an offload stage: VIONIC_REG_STAGE(stage) of regs.h
    function automatic logic [15:0] VIONIC_REG_STAGE(input int unsigned stage);
        VIONIC_REG_STAGE = VIONIC_REG_OFFLOAD + 16'(16'h10 * (stage + 1));
    endfunction

    // ---- the RTL's own: ring and header layout (VIRTIO 1.2 §2.7, §5.1.6) ----
    localparam int unsigned ERR_CODE_WIDTH      = 4;   // ERR_CODE bits kept by the RTL (codes 0..7)
    localparam int unsigned DESC_SIZE           = 16;  // struct vring_desc: addr 8, len 4, flags 2, next 2
    localparam int unsigned AVAIL_IDX_OFFSET    = 2;   // avail.idx after avail.flags
    localparam int unsigned AVAIL_RING_OFFSET   = 4;   // avail.ring[0]
    localparam int unsigned AVAIL_ENTRY_SIZE    = 2;   // one avail.ring entry (le16 head)
    localparam int unsigned USED_IDX_OFFSET     = 2;   // used.idx after used.flags
    localparam int unsigned USED_RING_OFFSET    = 4;   // used.ring[0]
    localparam int unsigned USED_ELEM_SIZE      = 8;   // struct vring_used_elem: id 4, len 4
    localparam int unsigned ETH_HDR_LEN         = 14;  // largest frame = MTU + ETH_HDR_LEN bytes

    // ---- the RTL's own: state and tag encodings ----
    // What a fetch-engine read is for; the value is the DMA read tag, and the
    // two descriptor kinds share bit 1 (FETCH_DESC_BIT) so a beat's tag says
    // whether it carries descriptors.
    typedef enum logic [1:0] {
        FETCH_AVAIL_HDR  = 2'd0,   // avail.flags and avail.idx
        FETCH_AVAIL_RING = 2'd1,   // a batch of avail.ring entries
        FETCH_DESC_RUN   = 2'd2,   // a run of consecutive head descriptors
        FETCH_DESC_CHAIN = 2'd3    // one chained (NEXT) descriptor
    } fetch_req_t;
    localparam int unsigned FETCH_DESC_BIT = 1;

    // ---- the RTL's own: offload stages (DESIGN §6, hw/rtl/README.md) ----
    localparam int unsigned STAGES         = 2;   // stage numbers VIONIC_STAGE_*: 0 .. STAGES-1
    localparam int unsigned STAGE_COUNTERS = 2;   // 32-bit counters per stage block (+0, +4)

    // Per-frame metadata beside the frame stream of every stage (s_meta_* /
    // m_meta_*). TX: from the driver's virtio_net_hdr; RX: written into the
    // virtio_net_hdr in front of the frame.
    typedef struct packed {
        logic [15:0] qid;          // virtqueue index
        logic [15:0] len;          // frame bytes (TX; RX: 0, the RX queue counts them)
        logic [7:0]  flags;        // virtio_net_hdr.flags (NEEDS_CSUM in, DATA_VALID out)
        logic [15:0] csum_start;   // virtio_net_hdr.csum_start
        logic [15:0] csum_offset;  // virtio_net_hdr.csum_offset
        logic        drop;         // a stage found the frame bad: the end of the pipeline drops it (DROPS)
        logic [31:0] hash;         // RX: the RSS hash (virtio_net_hdr_v1_hash.hash_value), 0 without a type
        logic [2:0]  hash_report;  // RX: VIRTIO_NET_HASH_REPORT_* of the hash type that applied
        // stage counter events of the frame (stage s counter c: bit s*STAGE_COUNTERS+c),
        // counted where the frame leaves: sent or dropped at the TX tail, written by the RX queue
        logic [STAGES*STAGE_COUNTERS-1:0] events;
    } meta_t;
    // its width, field by field (Yosys takes no $bits of a type; lint checks the ports)
    localparam int unsigned META_BITS = 16 + 16 + 8 + 16 + 16 + 1 + 32 + 3 + STAGES * STAGE_COUNTERS;

    // the control queue takes this many command bytes (class, command, data): the largest
    // RSS_CONFIG (table of VIONIC_RSS_TABLE_LEN, key of VIONIC_RSS_KEY_SIZE); more: VIRTIO_NET_ERR
    localparam int unsigned VIONIC_CTRL_MAX_CMD = 2 + 8 + 2 * VIONIC_RSS_TABLE_LEN + 3 + VIONIC_RSS_KEY_SIZE;

    // ---- the Internet checksum over part of a beat (the checksum stages) ----
    // Lanes [lo, hi) of a beat (DATA_WIDTH <= CSUM_BEAT_BITS: a narrower beat is passed
    // zero-extended; hi <= lo sums nothing), paired into big-endian 16-bit words from lane 0
    // (lane 2j the high byte), and their ones' complement sum: congruent to their plain sum
    // modulo 0xFFFF and 0 only when all of them are 0, so the sums of a frame's beats add up
    // and fold once at its end. The beat is summed as little-endian 32-bit words and the
    // result byte-swapped (a ones' complement sum does not depend on byte order, RFC 1071):
    // an add per four lanes. A function, so a stage calls it only in a cycle that takes a
    // beat, and a Verilated model does no work for it in the others.
    localparam int CSUM_BEAT_BITS = 512;
    localparam int CSUM_LANE_BITS = $clog2(CSUM_BEAT_BITS / 8) + 1;
    function automatic logic [15:0] csum_lanes(input logic [CSUM_BEAT_BITS-1:0] data,
                                               input logic [CSUM_LANE_BITS-1:0] lo,
                                               input logic [CSUM_LANE_BITS-1:0] hi);
        logic [CSUM_BEAT_BITS-1:0] lanes;
        logic [35:0]               words;   // 16 words of 32 bits
        logic [17:0]               fold1;
        logic [16:0]               fold2;
        logic [15:0]               fold3;
        // lanes at or above lo and below hi (a shift by the whole width gives 0)
        lanes = data & ({CSUM_BEAT_BITS{1'b1}} << {lo, 3'b000}) & ~({CSUM_BEAT_BITS{1'b1}} << {hi, 3'b000});
        words = '0;
        for (int k = 0; k < CSUM_BEAT_BITS / 32; k++) words = words + 36'(lanes[32*k +: 32]);
        // 2^16 = 1 modulo 0xFFFF: add the 16-bit pieces until no carry is left
        fold1 = 18'(words[15:0]) + 18'(words[31:16]) + 18'(words[35:32]);
        fold2 = 17'(fold1[15:0]) + 17'(fold1[17:16]);
        fold3 = fold2[15:0] + 16'(fold2[16]);
        csum_lanes = {fold3[7:0], fold3[15:8]};
    endfunction

    // ---- a frame's L2/L3 header, as the RX stages read it ----
    // The rules of sw/common/inet_csum.h vcsum_locate, written once for the stages that
    // classify frames (vionic_rx_csum, vionic_flow, vionic_rx_steer): at most one 802.1Q
    // tag, then IPv4 or IPv6, no IPv6 extension header walked. l3_decode says what the
    // first L3_HDR_BYTES bytes hold; whether the frame is long enough for each field, and
    // what a stage accepts, stays the stage's (their rules differ: RSS hashes a fragment's
    // addresses, the checksum needs its whole L4). A function, so a stage calls it only
    // in a cycle that needs it.
    localparam logic [15:0] ETH_P_IPV4   = 16'h0800;
    localparam logic [15:0] ETH_P_IPV6   = 16'h86DD;
    localparam logic [15:0] ETH_P_8021Q  = 16'h8100;
    localparam logic [7:0]  IPPROTO_TCP  = 8'd6;
    localparam logic [7:0]  IPPROTO_UDP  = 8'd17;
    localparam int unsigned L3_HDR_BYTES = 58;   // a tag and an IPv6 fixed header
    typedef struct packed {
        logic        vlan;     // an 802.1Q tag
        logic [4:0]  off;      // the IP header: byte 14, or 18 after a tag
        logic        v4;       // IPv4: its EtherType, version 4, IHL >= 5
        logic        v6;       // IPv6: its EtherType, version 6
        logic [5:0]  ihl;      // IPv4 header bytes
        logic [15:0] tot;      // IPv4 total length
        logic [15:0] plen;     // IPv6 payload length
        logic        frag;     // IPv4 MF set or a fragment offset
        logic [7:0]  proto;    // IPv4 protocol, IPv6 next header
        logic [16:0] l4_off;   // L4: off + IHL, or off + 40
    } l3_hdr_t;
    // The IP header's first IP_HDR_BYTES bytes (b: the frame from byte 14 on): at b's
    // byte 0, or 4 after a tag. Selected between the two, not indexed by the offset: an
    // index reaches every byte its width allows, which synthesis then keeps and a
    // Verilated model shifts the whole header for.
    localparam int unsigned IP_HDR_BYTES = L3_HDR_BYTES - 18;   // up to the IPv6 destination
    function automatic logic [8*IP_HDR_BYTES-1:0] ip_header(input logic [8*(L3_HDR_BYTES-14)-1:0] b,
                                                            input logic vlan);
        ip_header = vlan ? b[8*4 +: 8*IP_HDR_BYTES] : b[0 +: 8*IP_HDR_BYTES];
    endfunction
    // (the MAC addresses in c, and the IP addresses in ip, are the stages' to read)
    /* verilator lint_off UNUSEDSIGNAL */
    function automatic l3_hdr_t l3_decode(input logic [8*L3_HDR_BYTES-1:0] c);
        l3_hdr_t                   h;
        logic [15:0]               etype;
        logic [8*IP_HDR_BYTES-1:0] ip;
    /* verilator lint_on UNUSEDSIGNAL */
        h.vlan   = {c[8*12 +: 8], c[8*13 +: 8]} == ETH_P_8021Q;
        h.off    = h.vlan ? 5'd18 : 5'd14;
        etype    = h.vlan ? {c[8*16 +: 8], c[8*17 +: 8]} : {c[8*12 +: 8], c[8*13 +: 8]};
        ip       = ip_header(c[8*L3_HDR_BYTES-1:8*14], h.vlan);
        h.ihl    = {ip[3:0], 2'b00};
        h.v4     = etype == ETH_P_IPV4 && ip[7:4] == 4'd4 && h.ihl >= 6'd20;
        h.v6     = etype == ETH_P_IPV6 && ip[7:4] == 4'd6;
        h.tot    = {ip[8*2 +: 8], ip[8*3 +: 8]};
        h.plen   = {ip[8*4 +: 8], ip[8*5 +: 8]};
        h.frag   = ({ip[8*6 +: 8], ip[8*7 +: 8]} & 16'h3FFF) != 16'd0;
        h.proto  = h.v6 ? ip[8*6 +: 8] : ip[8*9 +: 8];
        h.l4_off = h.v6 ? 17'(h.off) + 17'd40 : 17'(h.off) + 17'(h.ihl);
        l3_decode = h;
    endfunction

    /* verilator lint_on UNUSEDPARAM */

endpackage

`default_nettype wire
