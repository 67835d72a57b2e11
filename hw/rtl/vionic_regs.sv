// vionic_regs: BAR0 register file behind AXI-Lite (include/vionic/regs.h,
// mirrored in vionic_pkg).
// virtio common cfg (feature negotiation, device status, queue config with
// enable-time checks), ISR (read to clear), virtio_net_config, notify
// doorbells (NOTIFICATION_DATA), vendor block (identity, cycle counter,
// error log, per-queue counters; reading a LO half latches the HI half;
// SUSPEND; per-queue VQ_STATE),
// error handling (stop queue, DEVICE_NEEDS_RESET, config interrupt), the
// interrupt request stream, and the device reset sequence (status <- 0:
// clear is held until the DMA engines have drained, then every register
// returns to its reset value and status reads 0).
// VQ_STATE(q): {used index 31:16, last avail index 15:0}. While the queue is
// disabled it holds what the driver wrote (reset 0) and the data path starts
// from it at enable; while enabled writes are ignored and it reads the live
// position: the used writer's next used index, and the avail index as the
// written start plus the used entries written since (entries complete in order,
// one used element each).
// SUSPEND: bit 0 (REQ) as written; bit 1 (DONE) reads 1 once the data path,
// suspended, has nothing in flight (suspend_quiet).
// MTU: the MTU reported (virtio_net_config.mtu) and enforced by the data
// path (`mtu`); a write takes effect only while device_status is 0 and the
// value is within VIONIC_MIN_MTU..MAX_MTU; only rst returns it to MTU (a device
// reset keeps it). MAX_MTU reads the parameter.
// Offload region: OFFLOAD_CAPS (a bit per stage present) and STAGE_COUNTERS
// 32-bit counters per stage at OFFLOAD + 0x10 * (stage + 1); the rest reads 0.
`default_nettype none

module vionic_regs #(
    parameter int          NUM_QP     = 1,                                // queue pairs
    parameter int          NQ         = (NUM_QP > 1) ? 2 * NUM_QP + 1 : 2, // virtqueues, the control queue last (derived, do not override)
    parameter int          MAX_QSIZE  = vionic_pkg::VIONIC_MAX_QUEUE_SIZE, // queue_size read after select
    parameter logic [47:0] MAC        = vionic_pkg::VIONIC_DEFAULT_MAC,   // MAC address, first octet in bits 47:40
    parameter int          MAX_MTU    = vionic_pkg::VIONIC_DEFAULT_MTU,   // largest MTU register value (MAX_MTU register)
    parameter int          MTU        = vionic_pkg::VIONIC_DEFAULT_MTU,   // MTU register after rst
    parameter int          IMPL       = vionic_pkg::VIONIC_IMPL_BOARD,    // IMPL register value
    parameter int          ADDR_WIDTH = 64,                               // DMA address width
    parameter logic [31:0] STAGE_CAPS = 32'd0,                            // OFFLOAD_CAPS: a bit per offload stage present
    parameter logic [63:0] OFFERED    = vionic_pkg::VIONIC_DEVICE_FEATURES // offered (without the absent stages' features)
) (
    input  wire logic                     clk,
    input  wire logic                     rst,
    // link state from the MAC (synchronous to clk): virtio-net status LINK_UP
    input  wire logic                     link_up,
    // AXI-Lite slave (BAR0, 64 KiB)
    input  wire logic [15:0]              s_axil_awaddr,
    input  wire logic [2:0]               s_axil_awprot,
    input  wire logic                     s_axil_awvalid,
    output      logic                     s_axil_awready,
    input  wire logic [31:0]              s_axil_wdata,
    input  wire logic [3:0]               s_axil_wstrb,
    input  wire logic                     s_axil_wvalid,
    output      logic                     s_axil_wready,
    output      logic [1:0]               s_axil_bresp,
    output      logic                     s_axil_bvalid,
    input  wire logic                     s_axil_bready,
    input  wire logic [15:0]              s_axil_araddr,
    input  wire logic [2:0]               s_axil_arprot,
    input  wire logic                     s_axil_arvalid,
    output      logic                     s_axil_arready,
    output      logic [31:0]              s_axil_rdata,
    output      logic [1:0]               s_axil_rresp,
    output      logic                     s_axil_rvalid,
    input  wire logic                     s_axil_rready,
    // interrupt requests: MSI-X vector number
    output      logic [15:0]              m_axis_irq_tdata,
    output      logic                     m_axis_irq_tvalid,
    input  wire logic                     m_axis_irq_tready,
    // queue configuration to the data path
    output      logic                     clear,             // device reset in progress (or rst)
    input  wire logic                     drain_busy,        // DMA engines still have bursts in flight
    output      logic [NQ-1:0]            q_run,
    output      logic [NQ-1:0]            q_enabled,         // queue_enable (the data path holds its start while 0)
    output      logic [NQ*16-1:0]         q_start_avail,     // VQ_STATE as written: first avail index
    output      logic [NQ*16-1:0]         q_start_used,      // VQ_STATE as written: first used index
    input  wire logic [NQ*16-1:0]         q_used_idx,        // live next used index of each queue
    output      logic                     suspend,           // SUSPEND REQ
    input  wire logic                     suspend_quiet,     // suspended data path: nothing in flight
    output      logic [NQ*16-1:0]         q_size,
    output      logic [NQ*ADDR_WIDTH-1:0] q_desc,
    output      logic [NQ*ADDR_WIDTH-1:0] q_avail,
    output      logic [NQ*ADDR_WIDTH-1:0] q_used,
    output      logic [NQ-1:0]            q_kick,
    output      logic [63:0]              features,          // driver features accepted (FEATURES_OK), else 0
    output      logic [15:0]              mtu,               // MTU register: frames up to mtu + 14 bytes
    // events from the data path (one-cycle pulses)
    input  wire logic [NQ-1:0]            ev_used_irq,
    input  wire logic [NQ-1:0]            ev_pkt,
    input  wire logic [NQ*16-1:0]         ev_bytes,
    input  wire logic [NQ*2-1:0]          ev_drop,           // two sources per queue, each counts one
    input  wire logic [vionic_pkg::STAGES*vionic_pkg::STAGE_COUNTERS-1:0] ev_stage, // stage s counter c: bit s*STAGE_COUNTERS+c
    input  wire logic [NQ-1:0]            ev_err,
    input  wire logic [NQ*4-1:0]          ev_err_code,
    input  wire logic [NQ*16-1:0]         ev_err_desc,
    input  wire logic [NQ*ADDR_WIDTH-1:0] ev_err_addr
);
    localparam int QW          = (NQ > 1) ? $clog2(NQ) : 1;
    localparam int NUM_VECTORS = vionic_pkg::VIONIC_MSIX_VECTORS(NUM_QP);
    localparam int STATS_SHIFT  = $clog2(vionic_pkg::VIONIC_QSTATS_STRIDE);   // counter block of a queue
    localparam int NOTIFY_SHIFT = $clog2(vionic_pkg::VIONIC_NOTIFY_OFF_MULT); // doorbell of a queue
    localparam int VQ_SHIFT     = $clog2(vionic_pkg::VIONIC_VQ_STATE_STRIDE); // VQ_STATE of a queue
    localparam int STAGE_SHIFT  = $clog2(vionic_pkg::VIONIC_REG_STAGE(1) - vionic_pkg::VIONIC_REG_STAGE(0)); // block of a stage

    // word address of a register (every access is 32 bits wide)
    function automatic logic [15:0] word(input logic [15:0] addr);
        word = addr & ~16'd3;
    endfunction

    // BAR0 words, from the offsets of vionic_pkg (= regs.h)
    localparam logic [15:0] A_DFSELECT   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_DFSELECT);
    localparam logic [15:0] A_DF         = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_DF);
    localparam logic [15:0] A_GFSELECT   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_GFSELECT);
    localparam logic [15:0] A_GF         = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_GF);
    localparam logic [15:0] A_MSIX_NUMQ  = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_MSIX);
    localparam logic [15:0] A_STATUS_SEL = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_STATUS);
    localparam logic [15:0] A_QSIZE_MSIX = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_SIZE);
    localparam logic [15:0] A_QENABLE    = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_ENABLE);
    localparam logic [15:0] A_QDESC_LO   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_DESCLO);
    localparam logic [15:0] A_QDESC_HI   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_DESCHI);
    localparam logic [15:0] A_QAVAIL_LO  = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_AVAILLO);
    localparam logic [15:0] A_QAVAIL_HI  = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_AVAILHI);
    localparam logic [15:0] A_QUSED_LO   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_USEDLO);
    localparam logic [15:0] A_QUSED_HI   = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_USEDHI);
    localparam logic [15:0] A_QNDATA     = word(vionic_pkg::VIONIC_COMMON_CFG + vionic_pkg::VIRTIO_PCI_COMMON_Q_NDATA);
    localparam logic [15:0] A_ISR        = word(vionic_pkg::VIONIC_ISR);
    localparam logic [15:0] A_NET_MAC_LO = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_MAC);
    localparam logic [15:0] A_NET_STATUS = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_STATUS);
    localparam logic [15:0] A_NET_MTU    = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_MTU);
    localparam logic [15:0] A_NET_SPEED  = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_SPEED);
    localparam logic [15:0] A_NET_DUPLEX = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_DUPLEX);
    localparam logic [15:0] A_NET_HASH   = word(vionic_pkg::VIONIC_DEVICE_CFG + vionic_pkg::VIRTIO_NET_CFG_HASH_TYPES);
    // RSS offered: rss_max_key_size, rss_max_indirection_table_length, supported_hash_types
    localparam bit          RSS          = OFFERED[vionic_pkg::VIRTIO_NET_F_RSS];
    localparam logic [31:0] RSS_LIMITS   = RSS ? {16'(vionic_pkg::VIONIC_RSS_TABLE_LEN), 8'(vionic_pkg::VIONIC_RSS_KEY_SIZE), 8'd0} : 32'd0;

    localparam logic [7:0] NEEDS_RESET = vionic_pkg::VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    localparam logic [7:0] FEATURES_OK = vionic_pkg::VIRTIO_STATUS_FEATURES_OK;
    localparam logic [7:0] DRIVER_OK   = vionic_pkg::VIRTIO_STATUS_DRIVER_OK;
    localparam logic [15:0] NO_VECTOR  = vionic_pkg::VIRTIO_MSI_NO_VECTOR;

    // ---------------- state ----------------
    logic [31:0]   dev_feature_sel;         // device_feature_select
    logic [31:0]   drv_feature_sel;         // driver_feature_select
    logic [63:0]   drv_features;            // driver_feature, both halves
    logic [15:0]   config_vector;           // config_msix_vector
    logic [7:0]    device_status;
    logic [15:0]   queue_sel;               // queue_select
    logic [7:0]    isr;
    logic          resetting;               // status <- 0 seen, DMA engines draining
    logic [NQ-1:0] queue_enabled;
    logic [NQ-1:0] queue_stopped;           // stopped by an error until reset
    logic [15:0]   queue_size   [0:NQ-1];
    logic [15:0]   queue_vector [0:NQ-1];   // queue_msix_vector
    logic [63:0]   queue_desc   [0:NQ-1];
    logic [63:0]   queue_avail  [0:NQ-1];   // queue_driver
    logic [63:0]   queue_used   [0:NQ-1];   // queue_device
    logic [63:0]   stat_packets [0:NQ-1];
    logic [63:0]   stat_bytes   [0:NQ-1];
    logic [31:0]   stat_drops   [0:NQ-1];
    logic [31:0]   stat_errors  [0:NQ-1];
    logic [31:0]   stat_stage   [0:vionic_pkg::STAGES*vionic_pkg::STAGE_COUNTERS-1];
    logic [31:0]   packets_hi   [0:NQ-1];   // PACKETS_HI latched by reading PACKETS_LO
    logic [31:0]   bytes_hi     [0:NQ-1];   // BYTES_HI latched by reading BYTES_LO
    logic [63:0]   cycles;
    logic [31:0]   cycles_hi;               // CYCLES_HI latched by reading CYCLES_LO
    logic [3:0]    err_code;
    logic [15:0]   err_queue;
    logic [15:0]   err_desc;
    logic [63:0]   err_addr;
    logic          config_irq_pending;
    logic          link_state;              // link_up as the driver sees it
    logic [7:0]    config_generation;       // changes with the device config; kept across device resets
    logic [NQ-1:0] queue_irq_pending;
    logic [15:0]   vq_start_avail [0:NQ-1]; // VQ_STATE as written (avail field)
    logic [15:0]   vq_start_used  [0:NQ-1]; // VQ_STATE as written (used field)
    logic          suspend_req;             // SUSPEND bit 0
    logic          suspend_done;            // SUSPEND bit 1 (with bit 0)

    // ---------------- data path outputs ----------------
    assign clear = rst || resetting;
    // the offload stages act on what was negotiated (fixed from FEATURES_OK to reset)
    assign features = ((device_status & FEATURES_OK) != 0) ? drv_features : 64'd0;
    genvar gq;
    generate
        for (gq = 0; gq < NQ; gq++) begin : g_out
            assign q_run[gq] = queue_enabled[gq] && !queue_stopped[gq] && !resetting &&
                               ((device_status & DRIVER_OK) != 0);
            assign q_size[16*gq +: 16]                  = queue_size[gq];
            assign q_desc[ADDR_WIDTH*gq +: ADDR_WIDTH]  = queue_desc[gq][ADDR_WIDTH-1:0];
            assign q_avail[ADDR_WIDTH*gq +: ADDR_WIDTH] = queue_avail[gq][ADDR_WIDTH-1:0];
            assign q_used[ADDR_WIDTH*gq +: ADDR_WIDTH]  = queue_used[gq][ADDR_WIDTH-1:0];
            assign q_start_avail[16*gq +: 16]           = vq_start_avail[gq];
            assign q_start_used[16*gq +: 16]            = vq_start_used[gq];
        end
    endgenerate
    assign q_enabled = queue_enabled;
    assign suspend   = suspend_req;

    // VQ_STATE of queue q as read: as written while disabled, live while enabled
    function automatic logic [31:0] vq_state(input logic enabled, input logic [15:0] start_avail,
                                             input logic [15:0] start_used, input logic [15:0] used_now);
        if (enabled) vq_state = {used_now, used_now - start_used + start_avail};
        else         vq_state = {start_used, start_avail};
    endfunction

    // byte-enable merge of a 32-bit register
    function automatic [31:0] merge;
        input [31:0] old;
        input [31:0] nw;
        input [3:0]  st;
        begin
            merge = old;
            for (int b = 0; b < 4; b++) if (st[b]) merge[8*b +: 8] = nw[8*b +: 8];
        end
    endfunction

    // an MSI-X vector number as stored: one the device cannot map reads back NO_VECTOR
    function automatic logic [15:0] vector(input logic [15:0] v);
        vector = (v < 16'(NUM_VECTORS)) ? v : NO_VECTOR;
    endfunction

    // ---------------- AXI-Lite handshakes ----------------
    logic        axil_write;
    logic        axil_read;
    logic [15:0] write_addr;
    logic [15:0] read_addr;
    logic [31:0] wdata;
    logic [3:0]  wstrb;
    assign axil_write   = s_axil_awvalid && s_axil_wvalid && !s_axil_awready && !s_axil_bvalid;  // one write at a time
    assign axil_read    = s_axil_arvalid && !s_axil_arready && !s_axil_rvalid;
    assign write_addr   = word(s_axil_awaddr);
    assign read_addr    = word(s_axil_araddr);
    assign wdata        = s_axil_wdata;
    assign wstrb        = s_axil_wstrb;
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;

    logic          queue_sel_valid;
    logic [QW-1:0] sel_q;                   // selected queue (0 when the selection is out of range)
    assign queue_sel_valid = (queue_sel < 16'(NQ));
    assign sel_q           = queue_sel_valid ? queue_sel[QW-1:0] : '0;

    // queue_enable checks: size (VIONIC_ERR_QUEUE_CFG), ring alignment (VIONIC_ERR_ALIGN).
    // The decodes of a register access below are worked out only in the cycle that takes
    // the access (a Verilated model skips them in the others; their users are gated alike).
    logic [15:0] enable_size;
    logic        enable_size_bad;
    logic        desc_misaligned;
    logic        avail_misaligned;
    logic        used_misaligned;
    logic [63:0] misaligned_addr;
    always_comb begin
        {enable_size, enable_size_bad, desc_misaligned, avail_misaligned, used_misaligned, misaligned_addr} = '0;
        if (axil_write) begin
            enable_size     = queue_size[sel_q];
            enable_size_bad = (enable_size == 0) || ((enable_size & (enable_size - 1'b1)) != 0) ||
                               (enable_size > 16'(MAX_QSIZE));
            desc_misaligned  = (queue_desc[sel_q] & 64'(vionic_pkg::VRING_DESC_ALIGN - 1)) != 0;
            avail_misaligned = (queue_avail[sel_q] & 64'(vionic_pkg::VRING_AVAIL_ALIGN - 1)) != 0;
            used_misaligned  = (queue_used[sel_q] & 64'(vionic_pkg::VRING_USED_ALIGN - 1)) != 0;
            misaligned_addr  = desc_misaligned ? queue_desc[sel_q] :
                               avail_misaligned ? queue_avail[sel_q] : queue_used[sel_q];
        end
    end

    // FEATURES_OK is accepted for offered features that include VERSION_1
    logic features_acceptable;
    assign features_acceptable = ((drv_features & ~OFFERED) == 0) &&
                                 drv_features[vionic_pkg::VIRTIO_F_VERSION_1];

    // ---------------- read mux ----------------
    logic [15:0]   stats_offset;            // read address relative to the per-queue counters
    logic [QW-1:0] stats_q;
    logic          stats_hit;               // read address inside the counters of a queue
    logic [15:0]   stats_reg;               // counter register inside a queue's block
    logic [15:0]   vq_offset;               // read address relative to VQ_STATE(0)
    logic [QW-1:0] vq_q;
    logic          vq_hit;                  // read address is VQ_STATE of a queue
    logic [15:0]   stage_offset;            // read address relative to the first stage block
    logic          stage_hit;               // read address is a stage counter
    always_comb begin
        {stage_offset, stage_hit, vq_offset, vq_q, vq_hit, stats_offset, stats_q, stats_reg, stats_hit} = '0;
        if (axil_read) begin
            stage_offset = read_addr - vionic_pkg::VIONIC_REG_STAGE(0);
            stage_hit    = (read_addr >= vionic_pkg::VIONIC_REG_STAGE(0)) &&
                           ((stage_offset >> STAGE_SHIFT) < 16'(vionic_pkg::STAGES)) &&
                           ((stage_offset & ((16'd1 << STAGE_SHIFT) - 16'd1)) < 16'(4 * vionic_pkg::STAGE_COUNTERS)) &&
                           (stage_offset[1:0] == 2'd0);
            vq_offset    = read_addr - vionic_pkg::VIONIC_REG_VQ_STATE_BASE;
            vq_q         = QW'(vq_offset >> VQ_SHIFT);
            vq_hit       = (read_addr >= vionic_pkg::VIONIC_REG_VQ_STATE_BASE) && ((vq_offset >> VQ_SHIFT) < 16'(NQ)) &&
                           ((vq_offset & (vionic_pkg::VIONIC_VQ_STATE_STRIDE - 16'd1)) == 16'd0);
            stats_offset = read_addr - vionic_pkg::VIONIC_REG_QSTATS_BASE;
            stats_q      = QW'(stats_offset >> STATS_SHIFT);
            stats_reg    = stats_offset & (vionic_pkg::VIONIC_QSTATS_STRIDE - 16'd1);
            stats_hit    = (read_addr >= vionic_pkg::VIONIC_REG_QSTATS_BASE) && ((stats_offset >> STATS_SHIFT) < 16'(NQ));
        end
    end
    // the register at addr (read_addr: the *_hit decode above is of it); called where
    // s_axil_rdata is loaded, so a Verilated model evaluates it only for a read rather
    // than every cycle (in hardware it is the same mux)
    function automatic logic [31:0] read_data(input logic [15:0] addr);
        read_data = 32'd0;
        case (addr)
            A_DFSELECT:   read_data = dev_feature_sel;
            A_DF:         read_data = (dev_feature_sel == 0) ? OFFERED[31:0] :
                                      (dev_feature_sel == 1) ? OFFERED[63:32] : 32'd0;
            A_GFSELECT:   read_data = drv_feature_sel;
            A_GF:         read_data = (drv_feature_sel == 0) ? drv_features[31:0] :
                                      (drv_feature_sel == 1) ? drv_features[63:32] : 32'd0;
            A_MSIX_NUMQ:  read_data = {16'(NQ), config_vector};
            A_STATUS_SEL: read_data = {queue_sel, config_generation, device_status};
            A_QSIZE_MSIX: read_data = queue_sel_valid ? {queue_vector[sel_q], queue_size[sel_q]} : 32'd0;
            A_QENABLE:    read_data = queue_sel_valid ? {queue_sel, 15'd0, queue_enabled[sel_q]} : 32'd0;
            A_QDESC_LO:   read_data = queue_sel_valid ? queue_desc[sel_q][31:0] : 32'd0;
            A_QDESC_HI:   read_data = queue_sel_valid ? queue_desc[sel_q][63:32] : 32'd0;
            A_QAVAIL_LO:  read_data = queue_sel_valid ? queue_avail[sel_q][31:0] : 32'd0;
            A_QAVAIL_HI:  read_data = queue_sel_valid ? queue_avail[sel_q][63:32] : 32'd0;
            A_QUSED_LO:   read_data = queue_sel_valid ? queue_used[sel_q][31:0] : 32'd0;
            A_QUSED_HI:   read_data = queue_sel_valid ? queue_used[sel_q][63:32] : 32'd0;
            A_QNDATA:     read_data = queue_sel_valid ? {16'd0, queue_sel} : 32'd0;
            A_ISR:        read_data = {24'd0, isr};
            A_NET_MAC_LO: read_data = {MAC[23:16], MAC[31:24], MAC[39:32], MAC[47:40]};
            A_NET_STATUS: read_data = {link_state ? vionic_pkg::VIRTIO_NET_S_LINK_UP : 16'd0, MAC[7:0], MAC[15:8]};
            A_NET_MTU:    read_data = {mtu, 16'(NUM_QP)};
            A_NET_SPEED:  read_data = 32'(vionic_pkg::VIONIC_DEFAULT_SPEED);
            A_NET_DUPLEX: read_data = RSS_LIMITS | 32'(vionic_pkg::VIRTIO_NET_DUPLEX_FULL);
            A_NET_HASH:   read_data = RSS ? vionic_pkg::VIONIC_RSS_HASH_TYPES : 32'd0;
            vionic_pkg::VIONIC_REG_ID:              read_data = vionic_pkg::VIONIC_ID_MAGIC;
            vionic_pkg::VIONIC_REG_VERSION:         read_data = vionic_pkg::VIONIC_REGMAP_VERSION;
            vionic_pkg::VIONIC_REG_IMPL:            read_data = 32'(IMPL);
            vionic_pkg::VIONIC_REG_MAX_QUEUE_PAIRS: read_data = 32'(NUM_QP);
            vionic_pkg::VIONIC_REG_CYCLES_LO:       read_data = cycles[31:0];
            vionic_pkg::VIONIC_REG_CYCLES_HI:       read_data = cycles_hi;
            vionic_pkg::VIONIC_REG_ERR_CODE:        read_data = 32'(err_code);
            vionic_pkg::VIONIC_REG_ERR_QUEUE:       read_data = {16'd0, err_queue};
            vionic_pkg::VIONIC_REG_ERR_DESC:        read_data = {16'd0, err_desc};
            vionic_pkg::VIONIC_REG_ERR_ADDR_LO:     read_data = err_addr[31:0];
            vionic_pkg::VIONIC_REG_ERR_ADDR_HI:     read_data = err_addr[63:32];
            vionic_pkg::VIONIC_REG_SUSPEND:
                read_data = ((suspend_req && suspend_done) ? 32'(vionic_pkg::VIONIC_SUSPEND_DONE) : 32'd0) |
                            (suspend_req ? 32'(vionic_pkg::VIONIC_SUSPEND_REQ) : 32'd0);
            vionic_pkg::VIONIC_REG_MTU:             read_data = {16'd0, mtu};
            vionic_pkg::VIONIC_REG_MAX_MTU:         read_data = 32'(MAX_MTU);
            vionic_pkg::VIONIC_REG_OFFLOAD_CAPS:    read_data = STAGE_CAPS;
            default: begin
                if (stage_hit) begin
                    read_data = stat_stage[32'(stage_offset >> STAGE_SHIFT) * vionic_pkg::STAGE_COUNTERS +
                                           32'(stage_offset[STAGE_SHIFT-1:2])];
                end else if (stats_hit) begin
                    case (stats_reg)
                        vionic_pkg::VIONIC_QSTAT_PACKETS_LO: read_data = stat_packets[stats_q][31:0];
                        vionic_pkg::VIONIC_QSTAT_PACKETS_HI: read_data = packets_hi[stats_q];
                        vionic_pkg::VIONIC_QSTAT_BYTES_LO:   read_data = stat_bytes[stats_q][31:0];
                        vionic_pkg::VIONIC_QSTAT_BYTES_HI:   read_data = bytes_hi[stats_q];
                        vionic_pkg::VIONIC_QSTAT_DROPS:      read_data = stat_drops[stats_q];
                        vionic_pkg::VIONIC_QSTAT_ERRORS:     read_data = stat_errors[stats_q];
                        default:                             read_data = 32'd0;
                    endcase
                end else if (vq_hit) begin
                    read_data = vq_state(queue_enabled[vq_q], vq_start_avail[vq_q], vq_start_used[vq_q],
                                         q_used_idx[16*vq_q +: 16]);
                end
            end
        endcase
    endfunction

    // ---------------- register writes and error events ----------------
    logic reset_done;      // drain finished: return to the initial state
    assign reset_done = resetting && !drain_busy;

    logic write_live;      // a register write that takes effect (none while resetting)
    assign write_live = axil_write && !resetting;

    // driver writes device_status: the value it reads back
    logic       status_write;
    logic [7:0] status_written;
    always_comb begin
        {status_write, status_written} = '0;
        if (axil_write) begin
            status_write   = write_live && (write_addr == A_STATUS_SEL) && wstrb[0] && (wdata[7:0] != 8'd0);
            status_written = wdata[7:0] & ~NEEDS_RESET;
            // FEATURES_OK refused: reads back clear; DRIVER_OK needs accepted FEATURES_OK
            // in the same value, else it is dropped
            if ((status_written & FEATURES_OK) != 0 && !features_acceptable)
                status_written = status_written & ~FEATURES_OK;
            if ((status_written & FEATURES_OK) == 0)
                status_written = status_written & ~DRIVER_OK;
        end
    end

    // queue_enable of an invalid configuration: an error of the selected queue
    logic enable_write;
    logic enable_fault;
    assign enable_write = write_live && (write_addr == A_QENABLE) && queue_sel_valid && wstrb[0] && wdata[0] &&
                          !queue_enabled[sel_q];
    assign enable_fault = enable_write && (enable_size_bad || desc_misaligned || avail_misaligned || used_misaligned);

    // errors of this cycle: a data-path error of the lowest queue first, then an enable error
    logic          data_fault;
    logic [QW-1:0] data_fault_q;
    logic [NQ-1:0] queue_fault;
    always_comb begin
        data_fault   = 1'b0;
        data_fault_q = '0;
        for (int i = NQ - 1; i >= 0; i--) begin
            if (ev_err[i] && !resetting) begin
                data_fault   = 1'b1;
                data_fault_q = QW'(i);
            end
        end
        for (int i = 0; i < NQ; i++)
            queue_fault[i] = (ev_err[i] && !resetting) || (enable_fault && sel_q == QW'(i));
    end

    // msix vector fields after the write's byte enables
    logic [15:0] config_vector_written;
    logic [15:0] queue_vector_written;
    always_comb begin
        {config_vector_written, queue_vector_written} = '0;
        if (axil_write) begin
            config_vector_written = config_vector;
            if (wstrb[0]) config_vector_written[7:0] = wdata[7:0];
            if (wstrb[1]) config_vector_written[15:8] = wdata[15:8];
            queue_vector_written = queue_vector[sel_q];
            if (wstrb[2]) queue_vector_written[7:0] = wdata[23:16];
            if (wstrb[3]) queue_vector_written[15:8] = wdata[31:24];
        end
    end

    // doorbell(q) = VIONIC_NOTIFY + VIONIC_NOTIFY_OFF_MULT * q
    logic        notify_write;
    logic [15:0] notify_queue;
    assign notify_write = (write_addr & ~(vionic_pkg::VIONIC_NOTIFY_SIZE - 16'd1)) == vionic_pkg::VIONIC_NOTIFY;
    assign notify_queue = (write_addr - vionic_pkg::VIONIC_NOTIFY) >> NOTIFY_SHIFT;

    // VQ_STATE(q) = VIONIC_REG_VQ_STATE_BASE + VIONIC_VQ_STATE_STRIDE * q, written while q is disabled
    logic [15:0]   vq_w_offset;
    logic [QW-1:0] vq_w_q;
    logic          vq_write;
    logic [31:0]   vq_written;
    always_comb begin
        {vq_w_offset, vq_w_q, vq_write, vq_written} = '0;
        if (axil_write) begin
            vq_w_offset = write_addr - vionic_pkg::VIONIC_REG_VQ_STATE_BASE;
            vq_w_q      = QW'(vq_w_offset >> VQ_SHIFT);
            vq_write    = (write_addr >= vionic_pkg::VIONIC_REG_VQ_STATE_BASE) && ((vq_w_offset >> VQ_SHIFT) < 16'(NQ)) &&
                          ((vq_w_offset & (vionic_pkg::VIONIC_VQ_STATE_STRIDE - 16'd1)) == 16'd0) &&
                          !queue_enabled[vq_w_q];
            vq_written  = merge({vq_start_used[vq_w_q], vq_start_avail[vq_w_q]}, wdata, wstrb);
        end
    end

    // device status, feature negotiation, queue configuration and the reset sequence
    always_ff @(posedge clk) begin
        q_kick <= '0;
        if (rst || reset_done) begin
            dev_feature_sel <= '0;
            drv_feature_sel <= '0;
            drv_features    <= '0;
            config_vector   <= NO_VECTOR;
            device_status   <= '0;
            queue_sel       <= '0;
            queue_enabled   <= '0;
            queue_stopped   <= '0;
            resetting       <= 1'b0;
            suspend_req     <= 1'b0;
            for (int i = 0; i < NQ; i++) begin
                vq_start_avail[i] <= '0;
                vq_start_used[i]  <= '0;
                queue_size[i]   <= 16'(MAX_QSIZE);
                queue_vector[i] <= NO_VECTOR;
                queue_desc[i]   <= '0;
                queue_avail[i]  <= '0;
                queue_used[i]   <= '0;
            end
        end else begin
            queue_stopped <= queue_stopped | queue_fault;
            device_status <= (status_write ? status_written : device_status) | (device_status & NEEDS_RESET) |
                             ((data_fault || enable_fault) ? NEEDS_RESET : 8'd0);
            if (enable_write && !enable_fault) queue_enabled[sel_q] <= 1'b1;
            if (write_live) begin
                case (write_addr)
                    A_DFSELECT: dev_feature_sel <= merge(dev_feature_sel, wdata, wstrb);
                    A_GFSELECT: drv_feature_sel <= merge(drv_feature_sel, wdata, wstrb);
                    A_GF: begin
                        // driver_feature is frozen once FEATURES_OK is set
                        if ((device_status & FEATURES_OK) == 0) begin
                            if (drv_feature_sel == 0) drv_features[31:0]  <= merge(drv_features[31:0], wdata, wstrb);
                            if (drv_feature_sel == 1) drv_features[63:32] <= merge(drv_features[63:32], wdata, wstrb);
                        end
                    end
                    A_MSIX_NUMQ: config_vector <= vector(config_vector_written);
                    A_STATUS_SEL: begin
                        if (wstrb[0] && wdata[7:0] == 8'd0) resetting <= 1'b1;
                        if (wstrb[2]) queue_sel[7:0]  <= wdata[23:16];
                        if (wstrb[3]) queue_sel[15:8] <= wdata[31:24];
                    end
                    A_QSIZE_MSIX: if (queue_sel_valid) begin
                        if (wstrb[0]) queue_size[sel_q][7:0]  <= wdata[7:0];
                        if (wstrb[1]) queue_size[sel_q][15:8] <= wdata[15:8];
                        queue_vector[sel_q] <= vector(queue_vector_written);
                    end
                    A_QDESC_LO:  if (queue_sel_valid) queue_desc[sel_q][31:0]   <= merge(queue_desc[sel_q][31:0], wdata, wstrb);
                    A_QDESC_HI:  if (queue_sel_valid) queue_desc[sel_q][63:32]  <= merge(queue_desc[sel_q][63:32], wdata, wstrb);
                    A_QAVAIL_LO: if (queue_sel_valid) queue_avail[sel_q][31:0]  <= merge(queue_avail[sel_q][31:0], wdata, wstrb);
                    A_QAVAIL_HI: if (queue_sel_valid) queue_avail[sel_q][63:32] <= merge(queue_avail[sel_q][63:32], wdata, wstrb);
                    A_QUSED_LO:  if (queue_sel_valid) queue_used[sel_q][31:0]   <= merge(queue_used[sel_q][31:0], wdata, wstrb);
                    A_QUSED_HI:  if (queue_sel_valid) queue_used[sel_q][63:32]  <= merge(queue_used[sel_q][63:32], wdata, wstrb);
                    vionic_pkg::VIONIC_REG_SUSPEND: if (wstrb[0]) suspend_req <= wdata[0];
                    default: begin
                        if (notify_write && notify_queue < 16'(NQ))
                            q_kick[notify_queue[QW-1:0]] <= 1'b1;
                        if (vq_write) begin
                            vq_start_avail[vq_w_q] <= vq_written[15:0];
                            vq_start_used[vq_w_q]  <= vq_written[31:16];
                        end
                    end
                endcase
            end
        end
    end

    // MTU: written while device_status is 0 (a board shell or the device server
    // sets it before a driver starts), in range, else ignored; a device reset keeps it
    logic [31:0] mtu_written;
    always_comb mtu_written = axil_write ? merge({16'd0, mtu}, wdata, wstrb) : 32'd0;
    always_ff @(posedge clk) begin
        if (rst) mtu <= 16'(MTU);
        else if (write_live && write_addr == vionic_pkg::VIONIC_REG_MTU && device_status == 8'd0 &&
                 mtu_written >= 32'(vionic_pkg::VIONIC_MIN_MTU) && mtu_written <= 32'(MAX_MTU))
            mtu <= mtu_written[15:0];
    end

    // error log: the first error since reset (ERR_CODE, ERR_QUEUE, ERR_DESC, ERR_ADDR)
    always_ff @(posedge clk) begin
        if (rst || reset_done) begin
            err_code  <= vionic_pkg::VIONIC_ERR_NONE;
            err_queue <= '0;
            err_desc  <= '0;
            err_addr  <= '0;
        end else if (err_code == vionic_pkg::VIONIC_ERR_NONE) begin
            if (data_fault) begin
                err_code  <= ev_err_code[4*data_fault_q +: 4];
                err_queue <= 16'(data_fault_q);
                err_desc  <= ev_err_desc[16*data_fault_q +: 16];
                err_addr  <= 64'(ev_err_addr[ADDR_WIDTH*data_fault_q +: ADDR_WIDTH]);
            end else if (enable_fault) begin
                err_code  <= enable_size_bad ? vionic_pkg::VIONIC_ERR_QUEUE_CFG : vionic_pkg::VIONIC_ERR_ALIGN;
                err_queue <= queue_sel;
                err_desc  <= enable_size_bad ? enable_size : 16'd0;   // VIONIC_ERR_QUEUE_CFG: the bad size
                err_addr  <= enable_size_bad ? 64'd0 : misaligned_addr;
            end
        end
    end

    // vendor counters and the cycle counter; reading a LO half latches its HI half
    always_ff @(posedge clk) begin
        cycles <= rst ? 64'd0 : cycles + 64'd1;
        if (rst || reset_done) begin
            cycles_hi <= '0;
            for (int i = 0; i < NQ; i++) begin
                stat_packets[i] <= '0;
                stat_bytes[i]   <= '0;
                stat_drops[i]   <= '0;
                stat_errors[i]  <= '0;
                packets_hi[i]   <= '0;
                bytes_hi[i]     <= '0;
            end
            for (int i = 0; i < vionic_pkg::STAGES * vionic_pkg::STAGE_COUNTERS; i++) stat_stage[i] <= '0;
        end else begin
            for (int i = 0; i < vionic_pkg::STAGES * vionic_pkg::STAGE_COUNTERS; i++)
                if (ev_stage[i]) stat_stage[i] <= stat_stage[i] + 32'd1;
            for (int i = 0; i < NQ; i++) begin
                if (ev_pkt[i]) begin
                    stat_packets[i] <= stat_packets[i] + 64'd1;
                    stat_bytes[i]   <= stat_bytes[i] + {48'd0, ev_bytes[16*i +: 16]};
                end
                stat_drops[i] <= stat_drops[i] + 32'(ev_drop[2*i]) + 32'(ev_drop[2*i+1]);
                if (queue_fault[i]) stat_errors[i] <= stat_errors[i] + 32'd1;
            end
            if (axil_read) begin
                if (read_addr == vionic_pkg::VIONIC_REG_CYCLES_LO) cycles_hi <= cycles[63:32];
                if (stats_hit && stats_reg == vionic_pkg::VIONIC_QSTAT_PACKETS_LO)
                    packets_hi[stats_q] <= stat_packets[stats_q][63:32];
                if (stats_hit && stats_reg == vionic_pkg::VIONIC_QSTAT_BYTES_LO)
                    bytes_hi[stats_q] <= stat_bytes[stats_q][63:32];
            end
        end
    end

    // SUSPEND DONE: the request has been seen by the data path, which is quiet;
    // a SUSPEND write starts it over
    always_ff @(posedge clk) begin
        if (rst || reset_done) suspend_done <= 1'b0;
        else suspend_done <= suspend_req && suspend_quiet &&
                             !(write_live && write_addr == vionic_pkg::VIONIC_REG_SUSPEND);
    end

    // link changes: a new config generation and the config interrupt (§5.1.4)
    logic link_change;
    assign link_change = (link_up != link_state);

    always_ff @(posedge clk) begin
        if (rst) begin
            link_state        <= link_up;   // a link already down at reset raises no event
            config_generation <= '0;
        end else if (link_change) begin
            link_state        <= link_up;
            config_generation <= config_generation + 8'd1;
        end
    end

    // interrupts: ISR bits and the MSI-X request stream (the config vector first,
    // then queues by number; nothing is sent for NO_VECTOR)
    logic [NQ-1:0] queue_irq;
    logic          config_irq;
    assign queue_irq  = resetting ? '0 : ev_used_irq;
    assign config_irq = data_fault || enable_fault || (link_change && !resetting);

    logic [QW-1:0] irq_queue;               // lowest queue with a pending interrupt
    always_comb begin
        irq_queue = '0;
        for (int i = NQ - 1; i >= 0; i--) if (queue_irq_pending[i]) irq_queue = QW'(i);
    end

    logic [7:0] isr_set;
    assign isr_set = ((queue_irq != 0) ? vionic_pkg::VIRTIO_ISR_QUEUE : 8'd0) |
                     (config_irq ? vionic_pkg::VIRTIO_ISR_CONFIG : 8'd0);

    logic irq_slot;                         // the stream can take a request this cycle
    assign irq_slot = !m_axis_irq_tvalid || m_axis_irq_tready;

    always_ff @(posedge clk) begin
        if (rst || reset_done) begin
            isr                <= '0;
            config_irq_pending <= 1'b0;
            queue_irq_pending  <= '0;
        end else begin
            // a read clears ISR; an event of the same cycle sets its bit again
            isr               <= ((axil_read && read_addr == A_ISR) ? 8'd0 : isr) | isr_set;
            queue_irq_pending <= queue_irq_pending | queue_irq;
            if (config_irq) config_irq_pending <= 1'b1;
            if (irq_slot) begin
                if (config_irq_pending) config_irq_pending <= config_irq;
                else if (queue_irq_pending != 0) queue_irq_pending[irq_queue] <= queue_irq[irq_queue];
            end
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            m_axis_irq_tvalid <= 1'b0;
            m_axis_irq_tdata  <= '0;
        end else begin
            if (m_axis_irq_tvalid && m_axis_irq_tready) m_axis_irq_tvalid <= 1'b0;
            if (irq_slot && !reset_done) begin
                if (config_irq_pending) begin
                    if (config_vector != NO_VECTOR) begin
                        m_axis_irq_tvalid <= 1'b1;
                        m_axis_irq_tdata  <= config_vector;
                    end
                end else if (queue_irq_pending != 0) begin
                    if (queue_vector[irq_queue] != NO_VECTOR) begin
                        m_axis_irq_tvalid <= 1'b1;
                        m_axis_irq_tdata  <= queue_vector[irq_queue];
                    end
                end
            end
        end
    end

    // AXI-Lite response registers: ready pulses one cycle after the request is
    // seen; B/R follow the handshake
    always_ff @(posedge clk) begin
        if (rst) begin
            s_axil_awready <= 1'b0;
            s_axil_wready  <= 1'b0;
            s_axil_bvalid  <= 1'b0;
            s_axil_arready <= 1'b0;
            s_axil_rvalid  <= 1'b0;
            s_axil_rdata   <= '0;
        end else begin
            s_axil_awready <= axil_write;
            s_axil_wready  <= axil_write;
            if (s_axil_awready) s_axil_bvalid <= 1'b1;
            else if (s_axil_bready) s_axil_bvalid <= 1'b0;
            s_axil_arready <= axil_read;
            if (axil_read) s_axil_rdata <= read_data(read_addr);
            if (s_axil_arready) s_axil_rvalid <= 1'b1;
            else if (s_axil_rready) s_axil_rvalid <= 1'b0;
        end
    end

    logic unused_ok;
    assign unused_ok = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0], notify_queue};
endmodule

`default_nettype wire
