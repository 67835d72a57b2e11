"""Mistakes a user can make raise typed exceptions that say what to do, and
lose nothing."""

import numpy as np
import pytest

import vionic


@pytest.mark.parametrize("uri", ["modle", "", "sim", "tcp:1.2.3.4", "vfio"])
def test_bad_uri(uri):
    with pytest.raises(vionic.BadURI, match="model"):
        vionic.open(uri)


def test_uri_must_be_a_string():
    with pytest.raises(vionic.BadURI):
        vionic.open(42)


def test_bad_wire():
    with pytest.raises(vionic.InvalidArgument, match="loopback"):
        vionic.open("model", wire="ethernet0")


@pytest.mark.parametrize("size", [3, 300, 2048, 70000])
def test_ring_size_not_a_power_of_two_or_too_big(backend, size):
    with pytest.raises(vionic.RingSizeError, match="power of two"):
        vionic.open(backend, rx_ring_size=size)


def test_ring_size_zero_is_the_default(backend):
    with vionic.open(backend) as default, vionic.open(backend, rx_ring_size=0) as zero:
        assert zero.info()["rx_ring_size"] == default.info()["rx_ring_size"]
        assert zero.info()["rx_ring_size"] & (zero.info()["rx_ring_size"] - 1) == 0


def test_ring_size_error_leaves_device_usable(backend):
    with vionic.open(backend, start=False) as dev:
        with pytest.raises(vionic.RingSizeError):
            dev.configure(tx_ring_size=300)
        dev.configure(tx_ring_size=512)
        dev.start()
        dev.send([bytes(64)])
        assert dev.recv(1, timeout=2.0) == [bytes(64)]


def test_frame_too_large_or_small_loses_nothing(nic):
    good = bytes(range(60))
    with pytest.raises(vionic.FrameTooLarge, match="1500|MTU"):
        nic.send([good, bytes(1515)])
    with pytest.raises(vionic.FrameTooSmall, match="14"):
        nic.send([good, bytes(13)])
    with pytest.raises(vionic.FrameTooLarge):
        nic.send([bytes(70000)])
    assert nic.stats()["tx_packets"] == 0                      # nothing half-sent
    assert nic.recv(8, timeout=0.1) == []
    nic.send([good])
    assert nic.recv(1, timeout=2.0) == [good]


def test_queue_out_of_range(nic):
    with pytest.raises(vionic.QueueOutOfRange, match="queue pair"):
        nic.send([bytes(64)], qp=1)
    with pytest.raises(vionic.QueueOutOfRange):
        nic.recv(qp=3)
    with pytest.raises(IndexError):                            # also an IndexError
        nic.recv_batch(qp=1)


def test_send_before_start(backend):
    with vionic.open(backend, start=False) as dev:
        with pytest.raises(vionic.StateError, match="start"):
            dev.send([bytes(64)])


def test_batch_arguments(nic):
    with pytest.raises(vionic.InvalidArgument, match="uint8"):
        nic.send_batch(np.zeros((4, 64), dtype=np.int32), [64] * 4)
    with pytest.raises(vionic.InvalidArgument, match="one entry per row"):
        nic.send_batch(np.zeros((4, 64), dtype=np.uint8), [64] * 3)
    with pytest.raises(vionic.InvalidArgument, match="larger than the row"):
        nic.send_batch(np.zeros((4, 64), dtype=np.uint8), [65] * 4)
    with pytest.raises(vionic.InvalidArgument, match="max_frames"):
        nic.recv(0)
    with pytest.raises(vionic.InvalidArgument, match="writable"):
        nic.recv_batch(4, out=np.zeros((4, 10), dtype=np.uint8))


def test_every_exception_is_a_vionic_error():
    for name in vionic.__all__:
        obj = getattr(vionic, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, vionic.VionicError)
