// vionic_regs: BAR0 register file behind AXI-Lite (include/vionic/regs.h).
// virtio common cfg (feature negotiation, device status, queue config with
// enable-time checks), ISR (read to clear), virtio_net_config, notify
// doorbells (NOTIFICATION_DATA), vendor block (identity, cycle counter,
// error log, per-queue counters; reading a LO half latches the HI half),
// error handling (stop queue, DEVICE_NEEDS_RESET, config interrupt), the
// interrupt request stream, and the device reset sequence (status <- 0:
// clear is held until the DMA engines have drained, then every register
// returns to its reset value and status reads 0).
module vionic_regs #(
    parameter int          NUM_QP     = 1,               // queue pairs
    parameter int          NQ         = 2 * NUM_QP,      // virtqueues (derived, do not override)
    parameter int          MAX_QSIZE  = 1024,            // VIONIC_MAX_QUEUE_SIZE
    parameter logic [47:0] MAC        = 48'h02564E494300, // MAC address, first octet in bits 47:40
    parameter int          MTU        = 1500,            // reported MTU
    parameter int          IMPL       = 3,               // IMPL register value
    parameter int          ADDR_WIDTH = 64               // DMA address width
) (
    input  logic                   clk,
    input  logic                   rst,
    // AXI-Lite slave (BAR0, 64 KiB)
    input  logic [15:0]            s_axil_awaddr,
    input  logic [2:0]             s_axil_awprot,
    input  logic                   s_axil_awvalid,
    output logic                   s_axil_awready,
    input  logic [31:0]            s_axil_wdata,
    input  logic [3:0]             s_axil_wstrb,
    input  logic                   s_axil_wvalid,
    output logic                   s_axil_wready,
    output logic [1:0]             s_axil_bresp,
    output logic                   s_axil_bvalid,
    input  logic                   s_axil_bready,
    input  logic [15:0]            s_axil_araddr,
    input  logic [2:0]             s_axil_arprot,
    input  logic                   s_axil_arvalid,
    output logic                   s_axil_arready,
    output logic [31:0]            s_axil_rdata,
    output logic [1:0]             s_axil_rresp,
    output logic                   s_axil_rvalid,
    input  logic                   s_axil_rready,
    // interrupt requests: MSI-X vector number
    output logic [15:0]            m_axis_irq_tdata,
    output logic                   m_axis_irq_tvalid,
    input  logic                   m_axis_irq_tready,
    // queue configuration to the data path
    output logic                   clear,          // device reset in progress (or rst)
    input  logic                   drain_busy,     // DMA engines still have bursts in flight
    output logic [NQ-1:0]          q_run,
    output logic [NQ*16-1:0]       q_size,
    output logic [NQ*ADDR_WIDTH-1:0] q_desc,
    output logic [NQ*ADDR_WIDTH-1:0] q_avail,
    output logic [NQ*ADDR_WIDTH-1:0] q_used,
    output logic [NQ-1:0]          q_kick,
    // events from the data path
    input  logic [NQ-1:0]          ev_used_irq,
    input  logic [NQ-1:0]          ev_pkt,
    input  logic [NQ*16-1:0]       ev_bytes,
    input  logic [NQ-1:0]          ev_drop,
    input  logic [NQ-1:0]          ev_err,
    input  logic [NQ*4-1:0]        ev_err_code,
    input  logic [NQ*16-1:0]       ev_err_desc,
    input  logic [NQ*ADDR_WIDTH-1:0] ev_err_addr
);
    localparam logic [63:0] DEV_FEATURES = (64'd1 << 32) | (64'd1 << 33) | (64'd1 << 5) |
                                           (64'd1 << 3) | (64'd1 << 16) | (64'd1 << 38);
    localparam int QW = (NQ > 1) ? $clog2(NQ) : 1;

    // ---------------- state ----------------
    logic [31:0] dfselect, gfselect;
    logic [63:0] drv_features;
    logic [15:0] cfg_msix;
    logic [7:0]  status;
    logic [15:0] qsel;
    logic [7:0]  isr;
    logic [NQ-1:0] q_en, q_stop;
    logic [15:0] q_sz   [0:NQ-1];
    logic [15:0] q_msix [0:NQ-1];
    logic [63:0] q_d    [0:NQ-1];
    logic [63:0] q_a    [0:NQ-1];
    logic [63:0] q_u    [0:NQ-1];
    logic [63:0] c_pkt  [0:NQ-1];
    logic [63:0] c_byt  [0:NQ-1];
    logic [31:0] c_drop [0:NQ-1];
    logic [31:0] c_err  [0:NQ-1];
    logic [31:0] l_pkt  [0:NQ-1];
    logic [31:0] l_byt  [0:NQ-1];
    logic [63:0] cycles;
    logic [31:0] l_cyc;
    logic [3:0]  err_code;
    logic [15:0] err_queue, err_desc;
    logic [63:0] err_addr;
    logic        resetting;
    logic        pend_cfg;
    logic [NQ-1:0] pend_q;

    // ---------------- data path outputs ----------------
    assign clear = rst || resetting;
    genvar gq;
    generate
        for (gq = 0; gq < NQ; gq++) begin : g_out
            assign q_run[gq]                             = q_en[gq] && !q_stop[gq] && status[2] && !resetting;
            assign q_size[16*gq +: 16]                   = q_sz[gq];
            assign q_desc[ADDR_WIDTH*gq +: ADDR_WIDTH]   = q_d[gq][ADDR_WIDTH-1:0];
            assign q_avail[ADDR_WIDTH*gq +: ADDR_WIDTH]  = q_a[gq][ADDR_WIDTH-1:0];
            assign q_used[ADDR_WIDTH*gq +: ADDR_WIDTH]   = q_u[gq][ADDR_WIDTH-1:0];
        end
    endgenerate

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

    // ---------------- AXI-Lite handshakes ----------------
    logic        wr_en, rd_en;
    logic [15:0] waddr, raddr;
    logic [31:0] wdata;
    logic [3:0]  wstrb;
    assign wr_en = s_axil_awvalid && s_axil_wvalid && !s_axil_awready && !s_axil_bvalid;  // one write at a time
    assign rd_en = s_axil_arvalid && !s_axil_arready && !s_axil_rvalid;
    assign waddr = {s_axil_awaddr[15:2], 2'b00};
    assign raddr = {s_axil_araddr[15:2], 2'b00};
    assign wdata = s_axil_wdata;
    assign wstrb = s_axil_wstrb;
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;

    logic          qsel_ok;
    logic [QW-1:0] qi;
    assign qsel_ok = (qsel < 16'(NQ));
    assign qi      = qsel_ok ? qsel[QW-1:0] : '0;

    // queue_enable checks
    logic [15:0] en_sz;
    logic        en_cfg_bad, en_align_bad;
    logic [63:0] en_bad_addr;
    always_comb begin
        en_sz        = q_sz[qi];
        en_cfg_bad   = (en_sz == 0) || ((en_sz & (en_sz - 1'b1)) != 0) || (en_sz > 16'(MAX_QSIZE));
        en_align_bad = (q_d[qi][3:0] != 0) || q_a[qi][0] || (q_u[qi][1:0] != 0);
        en_bad_addr  = (q_d[qi][3:0] != 0) ? q_d[qi] : q_a[qi][0] ? q_a[qi] : q_u[qi];
    end

    // feature acceptance
    logic feat_ok;
    assign feat_ok = ((drv_features & ~DEV_FEATURES) == 0) && drv_features[32];

    // ---------------- read mux ----------------
    logic [31:0] rmux;
    logic [15:0] roff;
    logic [QW-1:0] rq;
    logic        rq_ok;
    always_comb begin
        rmux  = 32'd0;
        roff  = raddr - 16'h4100;
        rq    = roff[QW+4:5];
        rq_ok = (raddr >= 16'h4100) && (roff[15:5] < 11'(NQ));
        case (raddr)
            16'h0000: rmux = dfselect;
            16'h0004: rmux = (dfselect == 0) ? DEV_FEATURES[31:0] : (dfselect == 1) ? DEV_FEATURES[63:32] : 32'd0;
            16'h0008: rmux = gfselect;
            16'h000C: rmux = (gfselect == 0) ? drv_features[31:0] : (gfselect == 1) ? drv_features[63:32] : 32'd0;
            16'h0010: rmux = {16'(NQ), cfg_msix};
            16'h0014: rmux = {qsel, 8'd0, status};
            16'h0018: rmux = qsel_ok ? {q_msix[qi], q_sz[qi]} : 32'd0;
            16'h001C: rmux = qsel_ok ? {qsel, 15'd0, q_en[qi]} : 32'd0;
            16'h0020: rmux = qsel_ok ? q_d[qi][31:0] : 32'd0;
            16'h0024: rmux = qsel_ok ? q_d[qi][63:32] : 32'd0;
            16'h0028: rmux = qsel_ok ? q_a[qi][31:0] : 32'd0;
            16'h002C: rmux = qsel_ok ? q_a[qi][63:32] : 32'd0;
            16'h0030: rmux = qsel_ok ? q_u[qi][31:0] : 32'd0;
            16'h0034: rmux = qsel_ok ? q_u[qi][63:32] : 32'd0;
            16'h0038: rmux = qsel_ok ? {16'd0, qsel} : 32'd0;
            16'h1000: rmux = {24'd0, isr};
            16'h2000: rmux = {MAC[23:16], MAC[31:24], MAC[39:32], MAC[47:40]};
            16'h2004: rmux = {16'h0001, MAC[7:0], MAC[15:8]};
            16'h2008: rmux = {16'(MTU), 16'(NUM_QP)};
            16'h200C: rmux = 32'd10000;
            16'h2010: rmux = 32'h0000_0001;
            16'h4000: rmux = 32'h4349_4E56;
            16'h4004: rmux = 32'h0001_0000;
            16'h4008: rmux = 32'(IMPL);
            16'h400C: rmux = 32'(NUM_QP);
            16'h4010: rmux = cycles[31:0];
            16'h4014: rmux = l_cyc;
            16'h4020: rmux = {28'd0, err_code};
            16'h4024: rmux = {16'd0, err_queue};
            16'h4028: rmux = {16'd0, err_desc};
            16'h402C: rmux = err_addr[31:0];
            16'h4030: rmux = err_addr[63:32];
            default: begin
                if (rq_ok) begin
                    case (roff[4:0])
                        5'h00: rmux = c_pkt[rq][31:0];
                        5'h04: rmux = l_pkt[rq];
                        5'h08: rmux = c_byt[rq][31:0];
                        5'h0C: rmux = l_byt[rq];
                        5'h10: rmux = c_drop[rq];
                        5'h14: rmux = c_err[rq];
                        default: rmux = 32'd0;
                    endcase
                end
            end
        endcase
    end

    // ---------------- sequential ----------------
    logic do_reset;      // drain finished: return to initial state
    assign do_reset = resetting && !drain_busy;

    logic          any_err;
    logic [QW-1:0] first_q;
    always_comb begin
        any_err = 1'b0;
        first_q = '0;
        for (int i = NQ - 1; i >= 0; i--) if (ev_err[i]) begin any_err = 1'b1; first_q = QW'(i); end
    end

    logic [15:0] notify_q;
    assign notify_q = {2'b00, waddr[15:2]} - 16'h0C00;

    always_ff @(posedge clk) begin
        cycles <= rst ? 64'd0 : cycles + 64'd1;
        q_kick <= '0;
        if (rst || do_reset) begin
            dfselect <= '0; gfselect <= '0; drv_features <= '0; cfg_msix <= 16'hFFFF;
            status <= '0; qsel <= '0; isr <= '0; q_en <= '0; q_stop <= '0;
            err_code <= '0; err_queue <= '0; err_desc <= '0; err_addr <= '0;
            pend_cfg <= 1'b0; pend_q <= '0; resetting <= 1'b0; l_cyc <= '0;
            for (int i = 0; i < NQ; i++) begin
                q_sz[i] <= 16'(MAX_QSIZE); q_msix[i] <= 16'hFFFF;
                q_d[i] <= '0; q_a[i] <= '0; q_u[i] <= '0;
                c_pkt[i] <= '0; c_byt[i] <= '0; c_drop[i] <= '0; c_err[i] <= '0;
                l_pkt[i] <= '0; l_byt[i] <= '0;
            end
        end else begin
            // ---- counters and events ----
            for (int i = 0; i < NQ; i++) begin
                if (ev_pkt[i]) begin
                    c_pkt[i] <= c_pkt[i] + 64'd1;
                    c_byt[i] <= c_byt[i] + {48'd0, ev_bytes[16*i +: 16]};
                end
                if (ev_drop[i]) c_drop[i] <= c_drop[i] + 32'd1;
                if (ev_err[i] && !resetting) begin
                    c_err[i]  <= c_err[i] + 32'd1;
                    q_stop[i] <= 1'b1;
                end
                if (ev_used_irq[i] && !resetting) begin
                    pend_q[i] <= 1'b1;
                    isr[0]    <= 1'b1;
                end
            end
            if (any_err && !resetting) begin
                status[6] <= 1'b1;
                isr[1]    <= 1'b1;
                pend_cfg  <= 1'b1;
                if (err_code == 0) begin
                    err_code  <= ev_err_code[4*first_q +: 4];
                    err_queue <= 16'(first_q);
                    err_desc  <= ev_err_desc[16*first_q +: 16];
                    err_addr  <= 64'(ev_err_addr[ADDR_WIDTH*first_q +: ADDR_WIDTH]);
                end
            end

            // ---- reads with side effects ----
            if (rd_en) begin
                if (raddr == 16'h1000) isr <= '0;
                if (raddr == 16'h4010) l_cyc <= cycles[63:32];
                if (rq_ok && roff[4:0] == 5'h00) l_pkt[rq] <= c_pkt[rq][63:32];
                if (rq_ok && roff[4:0] == 5'h08) l_byt[rq] <= c_byt[rq][63:32];
            end

            // ---- writes ----
            if (wr_en && !resetting) begin
                case (waddr)
                    16'h0000: dfselect <= merge(dfselect, wdata, wstrb);
                    16'h0008: gfselect <= merge(gfselect, wdata, wstrb);
                    16'h000C: begin
                        if (gfselect == 0) drv_features[31:0]  <= merge(drv_features[31:0], wdata, wstrb);
                        if (gfselect == 1) drv_features[63:32] <= merge(drv_features[63:32], wdata, wstrb);
                    end
                    16'h0010: begin
                        if (wstrb[0]) cfg_msix[7:0]  <= wdata[7:0];
                        if (wstrb[1]) cfg_msix[15:8] <= wdata[15:8];
                    end
                    16'h0014: begin
                        if (wstrb[0]) begin
                            if (wdata[7:0] == 8'd0) begin
                                resetting <= 1'b1;
                            end else begin
                                // FEATURES_OK refused: reads back clear; DRIVER_OK needs
                                // FEATURES_OK (accepted) in the same value, else it is dropped
                                status <= (wdata[7:0] & ~8'h40 &
                                           ((wdata[3] && !feat_ok) ? ~8'h08 : 8'hFF) &
                                           ((wdata[3] && feat_ok) ? 8'hFF : ~8'h04)) |
                                          (status & 8'h40);
                            end
                        end
                        if (wstrb[2]) qsel[7:0]  <= wdata[23:16];
                        if (wstrb[3]) qsel[15:8] <= wdata[31:24];
                    end
                    16'h0018: if (qsel_ok) begin
                        if (wstrb[0]) q_sz[qi][7:0]    <= wdata[7:0];
                        if (wstrb[1]) q_sz[qi][15:8]   <= wdata[15:8];
                        if (wstrb[2]) q_msix[qi][7:0]  <= wdata[23:16];
                        if (wstrb[3]) q_msix[qi][15:8] <= wdata[31:24];
                    end
                    16'h001C: if (qsel_ok && wstrb[0] && wdata[0] && !q_en[qi]) begin
                        if (en_cfg_bad || en_align_bad) begin
                            q_stop[qi] <= 1'b1;
                            c_err[qi]  <= c_err[qi] + 32'd1;
                            status[6]  <= 1'b1;
                            isr[1]     <= 1'b1;
                            pend_cfg   <= 1'b1;
                            if (err_code == 0 && !any_err) begin
                                err_code  <= en_cfg_bad ? 4'd7 : 4'd5;
                                err_queue <= qsel;
                                err_desc  <= en_cfg_bad ? en_sz : 16'd0;   // code 7: the bad size
                                err_addr  <= en_cfg_bad ? 64'd0 : en_bad_addr;
                            end
                        end else begin
                            q_en[qi] <= 1'b1;
                        end
                    end
                    16'h0020: if (qsel_ok) q_d[qi][31:0]  <= merge(q_d[qi][31:0], wdata, wstrb);
                    16'h0024: if (qsel_ok) q_d[qi][63:32] <= merge(q_d[qi][63:32], wdata, wstrb);
                    16'h0028: if (qsel_ok) q_a[qi][31:0]  <= merge(q_a[qi][31:0], wdata, wstrb);
                    16'h002C: if (qsel_ok) q_a[qi][63:32] <= merge(q_a[qi][63:32], wdata, wstrb);
                    16'h0030: if (qsel_ok) q_u[qi][31:0]  <= merge(q_u[qi][31:0], wdata, wstrb);
                    16'h0034: if (qsel_ok) q_u[qi][63:32] <= merge(q_u[qi][63:32], wdata, wstrb);
                    default: begin
                        if (waddr[15:12] == 4'h3 && notify_q < 16'(NQ)) q_kick[notify_q[QW-1:0]] <= 1'b1;
                    end
                endcase
            end

            // ---- interrupt request stream ----
            if (m_axis_irq_tvalid && m_axis_irq_tready) m_axis_irq_tvalid <= 1'b0;
            if (!m_axis_irq_tvalid || m_axis_irq_tready) begin
                if (pend_cfg) begin
                    pend_cfg <= 1'b0;
                    if (cfg_msix != 16'hFFFF) begin
                        m_axis_irq_tvalid <= 1'b1;
                        m_axis_irq_tdata  <= cfg_msix;
                    end
                end else begin
                    if (pend_q != 0) begin
                        pend_q[irq_q] <= 1'b0;
                        if (q_msix[irq_q] != 16'hFFFF) begin
                            m_axis_irq_tvalid <= 1'b1;
                            m_axis_irq_tdata  <= q_msix[irq_q];
                        end
                    end
                end
            end
        end
        if (rst) m_axis_irq_tvalid <= 1'b0;
    end

    logic [QW-1:0] irq_q;
    always_comb begin
        irq_q = '0;
        for (int i = NQ - 1; i >= 0; i--) if (pend_q[i]) irq_q = QW'(i);
    end

    // AXI-Lite response registers
    always_ff @(posedge clk) begin
        if (rst) begin
            s_axil_awready <= 1'b0; s_axil_wready <= 1'b0; s_axil_bvalid <= 1'b0;
            s_axil_arready <= 1'b0; s_axil_rvalid <= 1'b0; s_axil_rdata <= '0;
        end else begin
            // ready pulses one cycle after the request is seen; B/R follow the handshake
            s_axil_awready <= wr_en;
            s_axil_wready  <= wr_en;
            if (s_axil_awready) s_axil_bvalid <= 1'b1;
            else if (s_axil_bready) s_axil_bvalid <= 1'b0;
            s_axil_arready <= rd_en;
            if (rd_en) s_axil_rdata <= rmux;
            if (s_axil_arready) s_axil_rvalid <= 1'b1;
            else if (s_axil_rready) s_axil_rvalid <= 1'b0;
        end
    end

    logic unused_ok;
    assign unused_ok = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0], roff[15:QW+5] , notify_q};
endmodule
