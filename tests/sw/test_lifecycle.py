"""Start, stop, reset, close, reconnect, and a server that dies under traffic."""

import threading
import time

import pytest

import vionic
from swutil import mempool_full, recv_exactly
from vionic.server import ServerProcess


def test_close_stops_the_server_and_is_idempotent(backend):
    dev = vionic.open(backend)
    server = dev.server
    dev.close()
    assert not server.alive()
    assert server.proc.returncode == 0                       # exited cleanly on disconnect
    dev.close()
    assert dev.closed
    with pytest.raises(vionic.StateError, match="closed"):
        dev.stats()


def test_stop_returns_every_buffer_and_configure_again(nic):
    nic.send([bytes(64)] * 50)
    nic.stop()
    assert nic.mempool_avail() == nic.info()["nb_mbufs"]
    assert nic.mempool_on_rings() == 0
    with pytest.raises(vionic.StateError, match="start"):
        nic.send([bytes(64)])
    nic.configure(rx_ring_size=128, tx_ring_size=512)
    nic.start()
    assert nic.info()["rx_ring_size"] == 128 and nic.info()["tx_ring_size"] == 512
    nic.send([bytes(range(64))])
    assert recv_exactly(nic, 1) == [bytes(range(64))]
    assert mempool_full(nic)


def test_reset_under_traffic_loses_no_buffer(nic):
    nic.send([bytes(100)] * 200)                               # some in flight
    nic.reset()
    assert nic.stats()["device"]["tx"]["packets"] == 0         # counters back to zero
    assert mempool_full(nic)
    nic.send([bytes(range(80))])
    assert recv_exactly(nic, 1) == [bytes(range(80))]


def test_sim_uri_connects_to_a_running_server():
    with ServerProcess(core="model", wire="loopback", persist=True) as server:
        for _ in range(2):                                     # two clients in turn
            with vionic.open(server.uri) as dev:
                assert dev.server is None
                dev.send([bytes(range(70))])
                assert recv_exactly(dev, 1) == [bytes(range(70))]
        assert server.alive()
        server.proc.terminate()


def test_server_killed_mid_traffic_raises_device_gone(backend):
    """DeviceGone, not a DeviceTimeout after send's 30 s nor a hang: the
    health checks of the data path notice the dead server (every 50 ms)."""
    dev = vionic.open(backend)
    killed = threading.Event()

    def kill_soon():
        time.sleep(0.2)
        killed.set()                      # before: the main thread may raise at once
        dev.server.kill()

    threading.Thread(target=kill_soon, daemon=True).start()
    sent = 0
    with pytest.raises(vionic.DeviceGone):
        while True:
            sent += dev.send([bytes(64)] * 32, timeout=30.0)
            dev.recv(32, timeout=0.01)
    assert sent > 0 and killed.is_set()
    dev.close()


def test_idle_device_notices_a_dead_server_in_blocking_recv(backend):
    """recv would return [] at its timeout: raising proves it noticed first."""
    dev = vionic.open(backend)
    dev.server.kill()
    with pytest.raises(vionic.DeviceGone):
        dev.recv(1, timeout=30.0)
    dev.close()


def test_open_on_a_missing_socket_is_device_gone(tmp_path):
    with pytest.raises(vionic.DeviceGone):
        vionic.open(f"sim:{tmp_path}/nothing.sock")
