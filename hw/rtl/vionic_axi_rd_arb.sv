// vionic_axi_rd_arb: round-robin AR arbiter for N read engines, R routed by RID.
// Engine i owns ARID i; each engine reserves buffer space before its AR, so R
// is always accepted and the R demultiplexing cannot block.
`default_nettype none

module vionic_axi_rd_arb #(
    parameter int N          = 3,    // read engines (ARID 0..N-1)
    parameter int ADDR_WIDTH = 64,   // AXI address width
    parameter int ID_WIDTH   = 4     // AXI ID width (>= clog2(N))
) (
    input  wire logic                    clk,
    input  wire logic                    rst,
    // engine side
    input  wire logic [N*ADDR_WIDTH-1:0] s_axi_araddr,
    input  wire logic [N*8-1:0]          s_axi_arlen,
    input  wire logic [N-1:0]            s_axi_arvalid,
    output      logic [N-1:0]            s_axi_arready,
    output      logic [N-1:0]            s_axi_rvalid,
    // AXI master side
    output      logic [ID_WIDTH-1:0]     m_axi_arid,
    output      logic [ADDR_WIDTH-1:0]   m_axi_araddr,
    output      logic [7:0]              m_axi_arlen,
    output      logic                    m_axi_arvalid,
    input  wire logic                    m_axi_arready,
    input  wire logic [ID_WIDTH-1:0]     m_axi_rid,
    input  wire logic                    m_axi_rvalid
);
    localparam int IW = (N > 1) ? $clog2(N) : 1;
    logic [IW-1:0] last_grant, grant;
    logic          grant_valid;

    always_comb begin
        grant       = last_grant;
        grant_valid = 1'b0;
        for (int k = 1; k <= N; k++) begin
            if (!grant_valid && s_axi_arvalid[(32'(last_grant) + k) % N]) begin
                grant_valid = 1'b1;
                grant       = IW'((32'(last_grant) + k) % N);
            end
        end
    end

    // registered AR output stage
    always_ff @(posedge clk) begin
        if (rst) begin
            m_axi_arvalid <= 1'b0;
            last_grant    <= '0;
        end else begin
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if ((!m_axi_arvalid || m_axi_arready) && grant_valid) begin
                m_axi_arvalid <= 1'b1;
                m_axi_arid    <= ID_WIDTH'(grant);
                m_axi_araddr  <= s_axi_araddr[ADDR_WIDTH*grant +: ADDR_WIDTH];
                m_axi_arlen   <= s_axi_arlen[8*grant +: 8];
                last_grant    <= grant;
            end
        end
    end
    always_comb begin
        s_axi_arready = '0;
        if ((!m_axi_arvalid || m_axi_arready) && grant_valid) s_axi_arready[grant] = 1'b1;
        s_axi_rvalid = '0;
        for (int i = 0; i < N; i++) s_axi_rvalid[i] = m_axi_rvalid && (m_axi_rid == ID_WIDTH'(i));
    end
endmodule

`default_nettype wire
