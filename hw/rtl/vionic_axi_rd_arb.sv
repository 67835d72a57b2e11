// vionic_axi_rd_arb: round-robin AR arbiter for N read engines, R routed by RID.
// Engine i owns ARID i; each engine reserves buffer space before its AR, so R
// is always accepted and the R demultiplexing cannot block.
module vionic_axi_rd_arb #(
    parameter int N          = 3,    // read engines (ARID 0..N-1)
    parameter int ADDR_WIDTH = 64,   // AXI address width
    parameter int ID_WIDTH   = 4     // AXI ID width (>= clog2(N))
) (
    input  logic                    clk,
    input  logic                    rst,
    // engine side
    input  logic [N*ADDR_WIDTH-1:0] e_araddr,
    input  logic [N*8-1:0]          e_arlen,
    input  logic [N-1:0]            e_arvalid,
    output logic [N-1:0]            e_arready,
    output logic [N-1:0]            e_rvalid,
    // AXI master side
    output logic [ID_WIDTH-1:0]     m_axi_arid,
    output logic [ADDR_WIDTH-1:0]   m_axi_araddr,
    output logic [7:0]              m_axi_arlen,
    output logic                    m_axi_arvalid,
    input  logic                    m_axi_arready,
    input  logic [ID_WIDTH-1:0]     m_axi_rid,
    input  logic                    m_axi_rvalid
);
    localparam int IW = (N > 1) ? $clog2(N) : 1;
    logic [IW-1:0] last, pick;
    logic          found;

    always_comb begin
        pick  = last;
        found = 1'b0;
        for (int k = 1; k <= N; k++) begin
            if (!found && e_arvalid[(32'(last) + k) % N]) begin
                found = 1'b1;
                pick  = IW'((32'(last) + k) % N);
            end
        end
    end

    // registered AR output stage
    always_ff @(posedge clk) begin
        if (rst) begin
            m_axi_arvalid <= 1'b0;
            last          <= '0;
        end else begin
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if ((!m_axi_arvalid || m_axi_arready) && found) begin
                m_axi_arvalid <= 1'b1;
                m_axi_arid    <= ID_WIDTH'(pick);
                m_axi_araddr  <= e_araddr[ADDR_WIDTH*pick +: ADDR_WIDTH];
                m_axi_arlen   <= e_arlen[8*pick +: 8];
                last          <= pick;
            end
        end
    end
    always_comb begin
        e_arready = '0;
        if ((!m_axi_arvalid || m_axi_arready) && found) e_arready[pick] = 1'b1;
        e_rvalid = '0;
        for (int i = 0; i < N; i++) e_rvalid[i] = m_axi_rvalid && (m_axi_rid == ID_WIDTH'(i));
    end
endmodule
