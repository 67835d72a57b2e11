// vionic_sim_top: vionic_core as the rtl device core simulates it (rtl_core.cpp).
// The inputs from host memory and the MAC go through a register here, so they
// drive no combinational logic: Verilator then evaluates the design once per
// cycle, at the rising edge, instead of again for each input change (about 20%
// of the instructions per cycle). rtl_core.cpp drives them one cycle ahead, so
// the core sees what it saw without the registers. The AXI-Lite slave and
// link_up pass straight through: a register access or a link change starts
// between two cycles, from outside the clocked loop, and reaches the core at
// the next edge, as before; they drive little logic. rst is registered too
// (hw_reset() gives it an edge more). Same port names as vionic_core.
`default_nettype none

module vionic_sim_top #(
    parameter int DATA_WIDTH    = 512,                           // DMA and MAC stream width
    parameter int MAX_MTU       = vionic_pkg::VIONIC_DEFAULT_MTU, // largest MTU the server may set (--mtu)
    parameter int RX_FIFO_BYTES = 8192,                          // RX frame store: >= 2 * (MAX_MTU + 14), power of two
    parameter int NUM_QUEUE_PAIRS = 1,                           // queue pairs (--queue-pairs of the server)
    // AXI IDs: one per read engine, 3N+2 of them with N > 1; never under the one-pair build's 4
    localparam int ID_WIDTH     = NUM_QUEUE_PAIRS > 4 ? $clog2(3 * NUM_QUEUE_PAIRS + 2) : 4
) (
    input  wire logic                    clk,
    input  wire logic                    rst,
    input  wire logic                    link_up,
    input  wire logic [15:0]             s_axil_awaddr,
    input  wire logic [2:0]              s_axil_awprot,
    input  wire logic                    s_axil_awvalid,
    output      logic                    s_axil_awready,
    input  wire logic [31:0]             s_axil_wdata,
    input  wire logic [3:0]              s_axil_wstrb,
    input  wire logic                    s_axil_wvalid,
    output      logic                    s_axil_wready,
    output      logic [1:0]              s_axil_bresp,
    output      logic                    s_axil_bvalid,
    input  wire logic                    s_axil_bready,
    input  wire logic [15:0]             s_axil_araddr,
    input  wire logic [2:0]              s_axil_arprot,
    input  wire logic                    s_axil_arvalid,
    output      logic                    s_axil_arready,
    output      logic [31:0]             s_axil_rdata,
    output      logic [1:0]              s_axil_rresp,
    output      logic                    s_axil_rvalid,
    input  wire logic                    s_axil_rready,
    output      logic [ID_WIDTH-1:0]     m_axi_awid,
    output      logic [63:0]             m_axi_awaddr,
    output      logic [7:0]              m_axi_awlen,
    output      logic [2:0]              m_axi_awsize,
    output      logic [1:0]              m_axi_awburst,
    output      logic                    m_axi_awlock,
    output      logic [3:0]              m_axi_awcache,
    output      logic [2:0]              m_axi_awprot,
    output      logic                    m_axi_awvalid,
    input  wire logic                    m_axi_awready,
    output      logic [DATA_WIDTH-1:0]   m_axi_wdata,
    output      logic [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output      logic                    m_axi_wlast,
    output      logic                    m_axi_wvalid,
    input  wire logic                    m_axi_wready,
    input  wire logic [ID_WIDTH-1:0]     m_axi_bid,
    input  wire logic [1:0]              m_axi_bresp,
    input  wire logic                    m_axi_bvalid,
    output      logic                    m_axi_bready,
    output      logic [ID_WIDTH-1:0]     m_axi_arid,
    output      logic [63:0]             m_axi_araddr,
    output      logic [7:0]              m_axi_arlen,
    output      logic [2:0]              m_axi_arsize,
    output      logic [1:0]              m_axi_arburst,
    output      logic                    m_axi_arlock,
    output      logic [3:0]              m_axi_arcache,
    output      logic [2:0]              m_axi_arprot,
    output      logic                    m_axi_arvalid,
    input  wire logic                    m_axi_arready,
    input  wire logic [ID_WIDTH-1:0]     m_axi_rid,
    input  wire logic [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire logic [1:0]              m_axi_rresp,
    input  wire logic                    m_axi_rlast,
    input  wire logic                    m_axi_rvalid,
    output      logic                    m_axi_rready,
    output      logic [DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output      logic [DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output      logic                    m_axis_tx_tvalid,
    input  wire logic                    m_axis_tx_tready,
    output      logic                    m_axis_tx_tlast,
    output      logic                    m_axis_tx_tuser,
    input  wire logic [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire logic [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire logic                    s_axis_rx_tvalid,
    output      logic                    s_axis_rx_tready,
    input  wire logic                    s_axis_rx_tlast,
    input  wire logic                    s_axis_rx_tuser,
    output      logic [15:0]             m_axis_irq_tdata,
    output      logic                    m_axis_irq_tvalid,
    input  wire logic                    m_axis_irq_tready
);
    // the host memory and MAC inputs, one cycle later
    logic                    rst_q;
    logic [ID_WIDTH-1:0]     bid_q, rid_q;
    logic                    m_awready_q, m_wready_q, m_bvalid_q, m_arready_q, m_rlast_q, m_rvalid_q;
    logic [1:0]              m_bresp_q, m_rresp_q;
    logic [DATA_WIDTH-1:0]   m_rdata_q, rx_tdata_q;
    logic [DATA_WIDTH/8-1:0] rx_tkeep_q;
    logic                    tx_tready_q, rx_tvalid_q, rx_tlast_q, rx_tuser_q, irq_tready_q;

    always_ff @(posedge clk) begin
        rst_q        <= rst;
        m_awready_q  <= m_axi_awready;
        m_wready_q   <= m_axi_wready;
        bid_q        <= m_axi_bid;
        m_bresp_q    <= m_axi_bresp;
        m_bvalid_q   <= m_axi_bvalid;
        m_arready_q  <= m_axi_arready;
        rid_q        <= m_axi_rid;
        m_rdata_q    <= m_axi_rdata;
        m_rresp_q    <= m_axi_rresp;
        m_rlast_q    <= m_axi_rlast;
        m_rvalid_q   <= m_axi_rvalid;
        tx_tready_q  <= m_axis_tx_tready;
        rx_tdata_q   <= s_axis_rx_tdata;
        rx_tkeep_q   <= s_axis_rx_tkeep;
        rx_tvalid_q  <= s_axis_rx_tvalid;
        rx_tlast_q   <= s_axis_rx_tlast;
        rx_tuser_q   <= s_axis_rx_tuser;
        irq_tready_q <= m_axis_irq_tready;
    end

    vionic_core #(.DATA_WIDTH(DATA_WIDTH), .ID_WIDTH(ID_WIDTH), .NUM_QUEUE_PAIRS(NUM_QUEUE_PAIRS),
                  .MAX_MTU(MAX_MTU), .RX_FIFO_BYTES(RX_FIFO_BYTES),
                  .IMPL(vionic_pkg::VIONIC_IMPL_RTL_SIM)) u_core (
        .clk(clk), .rst(rst_q), .link_up(link_up),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
        .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst), .m_axi_awlock(m_axi_awlock),
        .m_axi_awcache(m_axi_awcache), .m_axi_awprot(m_axi_awprot), .m_axi_awvalid(m_axi_awvalid),
        .m_axi_awready(m_awready_q), .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb),
        .m_axi_wlast(m_axi_wlast), .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_wready_q),
        .m_axi_bid(bid_q), .m_axi_bresp(m_bresp_q), .m_axi_bvalid(m_bvalid_q), .m_axi_bready(m_axi_bready),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(m_axi_arlock),
        .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot), .m_axi_arvalid(m_axi_arvalid),
        .m_axi_arready(m_arready_q), .m_axi_rid(rid_q), .m_axi_rdata(m_rdata_q), .m_axi_rresp(m_rresp_q),
        .m_axi_rlast(m_rlast_q), .m_axi_rvalid(m_rvalid_q), .m_axi_rready(m_axi_rready),
        .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep), .m_axis_tx_tvalid(m_axis_tx_tvalid),
        .m_axis_tx_tready(tx_tready_q), .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
        .s_axis_rx_tdata(rx_tdata_q), .s_axis_rx_tkeep(rx_tkeep_q), .s_axis_rx_tvalid(rx_tvalid_q),
        .s_axis_rx_tready(s_axis_rx_tready), .s_axis_rx_tlast(rx_tlast_q), .s_axis_rx_tuser(rx_tuser_q),
        .m_axis_irq_tdata(m_axis_irq_tdata), .m_axis_irq_tvalid(m_axis_irq_tvalid),
        .m_axis_irq_tready(irq_tready_q));
endmodule

`default_nettype wire
