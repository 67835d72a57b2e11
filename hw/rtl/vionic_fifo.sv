// vionic_fifo: synchronous first-word-fall-through FIFO.
// Memory with registered read (BRAM/LUTRAM inferable) plus one output register.
`default_nettype none

module vionic_fifo #(
    parameter int WIDTH = 8,   // bits per entry
    parameter int DEPTH = 16   // entries in the memory (power of two, >= 2)
) (
    input  wire logic                     clk,
    input  wire logic                     rst,     // synchronous, active high; empties the FIFO
    input  wire logic                     s_valid,
    output      logic                     s_ready,
    input  wire logic [WIDTH-1:0]         s_data,
    output      logic                     m_valid,
    input  wire logic                     m_ready,
    output      logic [WIDTH-1:0]         m_data,
    output      logic [$clog2(DEPTH)+1:0] count    // entries held, including the output register
);
    localparam int AW = $clog2(DEPTH);
    logic [WIDTH-1:0] mem [0:DEPTH-1];
    logic [AW:0] wr_ptr, rd_ptr;
    logic [AW:0] mem_count;
    logic push, pop_mem, out_load;

    assign mem_count = wr_ptr - rd_ptr;
    assign s_ready   = (mem_count != DEPTH[AW:0]);
    assign push      = s_valid && s_ready;
    assign out_load  = !m_valid || m_ready;
    assign pop_mem   = out_load && (mem_count != 0);
    assign count     = {1'b0, mem_count} + {{(AW+1){1'b0}}, m_valid};

    always_ff @(posedge clk) begin
        if (push) mem[wr_ptr[AW-1:0]] <= s_data;
        if (pop_mem) m_data <= mem[rd_ptr[AW-1:0]];
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            wr_ptr  <= '0;
            rd_ptr  <= '0;
            m_valid <= 1'b0;
        end else begin
            if (push) wr_ptr <= wr_ptr + 1'b1;
            if (pop_mem) rd_ptr <= rd_ptr + 1'b1;
            if (out_load) m_valid <= (mem_count != 0);
        end
    end
endmodule

`default_nettype wire
