"""torch.cuda.Stream / Event on wgpu's single in-order queue: ordering holds, timing events measure."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu


@requires_gpu
def test_streams_keep_program_order_and_events_time_the_work():
    s = torch.cuda.Stream()
    assert torch.cuda.current_stream() == torch.cuda.default_stream()
    a = torch.arange(1 << 16, dtype=torch.float32, device="cuda")
    with torch.cuda.stream(s):
        b = a * 2
    torch.cuda.current_stream().wait_stream(s)
    np.testing.assert_array_equal(b.cpu().numpy(), np.arange(1 << 16, dtype=np.float32) * 2)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(5):
        b = b * 1.5 + 1.0
    end.record()
    end.synchronize()
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms > 0.0
    assert end.query() and s.query()
    e = s.record_event()
    e.wait()
    e.synchronize()


def test_event_errors_match_pytorch():
    plain = torch.cuda.Event()
    timed = torch.cuda.Event(enable_timing=True)
    with pytest.raises(RuntimeError, match="Both events must be created with argument 'enable_timing=True'."):
        plain.elapsed_time(timed)
    with pytest.raises(RuntimeError, match="Both events must be recorded before calculating elapsed time."):
        timed.elapsed_time(torch.cuda.Event(enable_timing=True))
    assert repr(timed) == "<torch.cuda.Event uninitialized>"
