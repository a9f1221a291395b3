"""Device selection: cpu stays cpu, auto falls back with a log line, gpu fails loudly."""

from __future__ import annotations

import logging

import pytest

from models import device
from models.device import GPUUnavailableError, resolve_device


def test_cpu_never_probes(monkeypatch):
    monkeypatch.setattr(device, "gpu_available", lambda: pytest.fail("probed"))
    assert resolve_device("cpu") == "cpu"


def test_auto_falls_back_to_cpu_with_a_log_line(monkeypatch, caplog):
    monkeypatch.setattr(device, "gpu_available", lambda: (False, "No OpenCL device found"))
    with caplog.at_level(logging.INFO, logger="models.device"):
        assert resolve_device("auto") == "cpu"
    assert "No OpenCL device found" in caplog.text and "CPU" in caplog.text


def test_auto_uses_a_usable_gpu(monkeypatch):
    monkeypatch.setattr(device, "gpu_available", lambda: (True, "ok"))
    assert resolve_device("auto") == "gpu"


def test_gpu_without_support_raises(monkeypatch):
    monkeypatch.setattr(device, "gpu_available", lambda: (False, "No OpenCL device found"))
    with pytest.raises(GPUUnavailableError, match="device='gpu' was requested"):
        resolve_device("gpu")


def test_real_probe_answers_and_auto_resolves():
    usable, reason = device.gpu_available()
    assert isinstance(usable, bool) and reason
    assert resolve_device("auto") == ("gpu" if usable else "cpu")


def test_unknown_device():
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")
