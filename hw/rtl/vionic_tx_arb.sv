// vionic_tx_arb: the transmit queues onto one TX stream, whole frames, round
// robin. A queue is chosen when its metadata is offered (the TX order rule:
// a queue offers a frame's metadata without waiting for its beats to be
// taken); its metadata and then its frame pass, and the next choice comes
// after that frame's last beat and its metadata have both been taken.
`default_nettype none

module vionic_tx_arb #(
    parameter int N          = 2,     // transmit queues
    parameter int DATA_WIDTH = 64,    // stream width in bits
    parameter int MB         = vionic_pkg::META_BITS   // metadata width
) (
    input  wire logic                    clk,
    input  wire logic                    rst,
    input  wire logic [N*DATA_WIDTH-1:0] s_axis_tdata,
    input  wire logic [N*DATA_WIDTH/8-1:0] s_axis_tkeep,
    input  wire logic [N-1:0]            s_axis_tvalid,
    output      logic [N-1:0]            s_axis_tready,
    input  wire logic [N-1:0]            s_axis_tlast,
    input  wire logic [N-1:0]            s_axis_tuser,
    input  wire logic [N-1:0]            s_meta_valid,
    output      logic [N-1:0]            s_meta_ready,
    input  wire logic [N*MB-1:0]         s_meta_data,
    output      logic [DATA_WIDTH-1:0]   m_axis_tdata,
    output      logic [DATA_WIDTH/8-1:0] m_axis_tkeep,
    output      logic                    m_axis_tvalid,
    input  wire logic                    m_axis_tready,
    output      logic                    m_axis_tlast,
    output      logic                    m_axis_tuser,
    output      logic                    m_meta_valid,
    input  wire logic                    m_meta_ready,
    output      logic [MB-1:0]           m_meta_data,
    output      logic                    busy           // a frame chosen and not yet through
);
    localparam int W  = DATA_WIDTH / 8;
    localparam int SW = $clog2(N);

    logic [SW-1:0] sel, pick;
    logic          locked, meta_done, frame_done, pick_valid, meta_fire, last_fire;
    always_comb begin
        pick       = sel;
        pick_valid = 1'b0;
        for (int k = 1; k <= N; k++) begin
            if (!pick_valid && s_meta_valid[(32'(sel) + k) % N]) begin
                pick_valid = 1'b1;
                pick       = SW'((32'(sel) + k) % N);
            end
        end
    end

    assign m_meta_valid  = locked && !meta_done && s_meta_valid[sel];
    assign m_meta_data   = s_meta_data[32'(sel)*MB +: MB];
    assign m_axis_tvalid = locked && !frame_done && s_axis_tvalid[sel];
    assign m_axis_tdata  = s_axis_tdata[32'(sel)*DATA_WIDTH +: DATA_WIDTH];
    assign m_axis_tkeep  = s_axis_tkeep[32'(sel)*W +: W];
    assign m_axis_tlast  = s_axis_tlast[sel];
    assign m_axis_tuser  = s_axis_tuser[sel];
    assign meta_fire     = m_meta_valid && m_meta_ready;
    assign last_fire     = m_axis_tvalid && m_axis_tready && m_axis_tlast;
    always_comb begin
        s_meta_ready = '0;
        s_axis_tready = '0;
        s_meta_ready[sel]  = locked && !meta_done && m_meta_ready;
        s_axis_tready[sel] = locked && !frame_done && m_axis_tready;
    end
    assign busy = locked;

    always_ff @(posedge clk) begin
        if (rst) begin
            sel        <= SW'(N - 1);
            locked     <= 1'b0;
            meta_done  <= 1'b0;
            frame_done <= 1'b0;
        end else if (!locked) begin
            if (pick_valid) begin
                sel    <= pick;
                locked <= 1'b1;
            end
        end else if ((meta_done || meta_fire) && (frame_done || last_fire)) begin
            locked     <= 1'b0;
            meta_done  <= 1'b0;
            frame_done <= 1'b0;
        end else begin
            if (meta_fire) meta_done <= 1'b1;
            if (last_fire) frame_done <= 1'b1;
        end
    end
endmodule

`default_nettype wire
