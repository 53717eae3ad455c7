"""`torch.stft` and `torch.istft` (and the Tensor methods): the short-time Fourier transform and its
inverse, composed from `torch.fft` and framing ops so they run on every device and autograd
follows them.

`stft` frames the (optionally centre-padded) signal with `unfold`, multiplies each frame by the
window (zero-padded to `n_fft` around its centre) and transforms it with `rfft` (real signal
and window) or `fft`. `istft` inverts each frame with `irfft` / `ifft`, multiplies by the
window again and overlap-adds the frames with `fold`, dividing by the overlap-added squared
window (the "NOLA" envelope, which must not vanish anywhere in the kept range).

    >>> import ferrotorch as torch
    >>> x = torch.arange(16.0)
    >>> spec = torch.stft(x, 8, window=torch.hann_window(8), return_complex=True)
    >>> tuple(spec.shape)
    (5, 9)
    >>> (torch.istft(spec, 8, window=torch.hann_window(8), length=16) - x).abs().max().item() < 1e-4
    True
"""
from . import _C, fft as _fft
from ._attach import method_of
from ._runtime_flags import _warn_once
from .nn import functional as _F

__all__ = ["stft", "istft"]


def _bit(flag):
    """A flag as PyTorch's messages print it: 0 / 1, or None when not given."""
    return None if flag is None else int(bool(flag))


def _dims(t):
    return ", ".join(str(size) for size in t.shape)


def _stft_error(input, n_fft, hop_length, win_length, window, normalized, onesided, return_complex,
                align_to_window, detail):
    window_text = "None" if window is None else f"{window.type()}{{[{_dims(window)}]}}"
    return RuntimeError(
        f"stft({input.type()}[{_dims(input)}], n_fft={n_fft}, hop_length={hop_length}, "
        f"win_length={win_length}, window={window_text}, normalized={_bit(normalized)}, "
        f"onesided={_bit(onesided)}, return_complex={_bit(return_complex)}, "
        f"align_to_window={_bit(align_to_window)}) {detail}")


def _padded_window(window, win_length, n_fft, dtype, device):
    """The window (all ones when None) zero-padded on both sides to `n_fft`, centred."""
    if window is None:
        window = _C.ones(win_length, dtype=dtype, device=device)
    left = (n_fft - win_length) // 2
    return _F.pad(window, (left, n_fft - win_length - left)) if win_length < n_fft else window


def _pad_signal(signal, left, right, mode):
    """`signal` padded along its last dim; a complex one part by part."""
    if left == 0 and right == 0:
        return signal
    if signal.dtype.is_complex:
        parts = signal.view_as_real()
        return _C.complex(_pad_signal(parts.select(-1, 0), left, right, mode),
                          _pad_signal(parts.select(-1, 1), left, right, mode))
    # F.pad's reflect / replicate / circular modes want a 3-D tensor: PyTorch views the signal as
    # one, with leading ones (so its errors name the same shapes).
    extra = max(3 - signal.dim(), 0)
    padded = _F.pad(signal.reshape((1,) * extra + tuple(signal.shape)), (left, right), mode=mode)
    return padded.reshape(tuple(padded.shape)[extra:])


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The short-time Fourier transform of a 1-D signal (or a batch of them, 2-D): the Fourier
    transform of each `n_fft`-sample frame, `hop_length` (default `n_fft // 4`) apart, multiplied by
    `window` (default: ones of `win_length`, default `n_fft`), shaped `(freq, frames)` per signal.

    `center` pads the signal by `n_fft // 2` on both sides (`pad_mode`) so frame t is centred on
    sample `t * hop_length`; `normalized` scales by `n_fft ** -0.5`; `onesided` (the default for
    real input and window) keeps the `n_fft // 2 + 1` non-negative frequencies. A real input needs
    `return_complex`: True gives a complex tensor, False its `view_as_real` form. Without `center`,
    `align_to_window=True` zero-pads the signal by `(n_fft - win_length) // 2` on both sides so
    the frames start where the (shorter) window does.
    """
    real_input = not input.dtype.is_complex and (window is None or not window.dtype.is_complex)
    if return_complex is None:
        if real_input:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and "
                               "will further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if align_to_window is not None and center:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if window is None:
        _warn_once("stft_window", "A window was not provided. A rectangular window will be applied,which is known to "
                   "cause spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                   "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                   "explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    signal = _pad_signal(input, n_fft // 2, n_fft // 2, pad_mode) if center else input

    def fail(detail):
        return _stft_error(signal, n_fft, hop_length, win_length, window, normalized, onesided, return_complex,
                           align_to_window, detail)

    if signal.dim() not in (1, 2):
        raise fail(": expected a 1D or 2D tensor")
    if not (signal.dtype.is_floating_point or signal.dtype.is_complex):
        raise NotImplementedError(str(fail(": expected a tensor of floating point or complex values")))
    length = signal.shape[-1]
    if not 0 < n_fft <= length:
        raise fail(f": expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise fail(f": expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise fail(f": expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        raise fail(f": expected a 1D window tensor of size equal to win_length={win_length}, "
                   f"but got window with size {list(window.shape)}")
    if onesided is None:
        onesided = real_input
    elif onesided and not real_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if align_to_window:
        # Frames line up with the window rather than with the n_fft-long padded window.
        side = (n_fft - win_length) // 2
        signal = _pad_signal(signal, side, side, "constant")

    full_window = _padded_window(window, win_length, n_fft, _fft._part_dtype(signal), signal.device)
    frames = signal.unfold(-1, n_fft, hop_length) * full_window  # ([batch,] frames, n_fft)
    norm = "ortho" if normalized else "backward"
    spectrum = (_fft.rfft if onesided else _fft.fft)(frames, norm=norm).transpose(-1, -2)
    return spectrum if return_complex else spectrum.view_as_real()


def _istft_prefix(input, n_fft, hop_length, win_length, window, center, normalized, onesided, length,
                  return_complex):
    device = "CPU" if input.device.type == "cpu" else "CUDA"
    window_text = "None" if window is None else f"{window.type()}{{[{_dims(window)}]}}"
    return (f"istft({device}{_fft._dtype_name(input.dtype)}Type[{_dims(input)}], n_fft={n_fft}, "
            f"hop_length={hop_length}, win_length={win_length}, window={window_text}, center={_bit(center)}, "
            f"normalized={_bit(normalized)}, onesided={_bit(onesided)}, length={length}, "
            f"return_complex={_bit(return_complex)})")


def _overlap_add(frames, hop_length, total):
    """Sums `frames` (batch, frames, n_fft) placed `hop_length` apart into (batch, total)."""
    if frames.dtype.is_complex:
        parts = frames.view_as_real()
        return _C.complex(_overlap_add(parts.select(-1, 0), hop_length, total),
                          _overlap_add(parts.select(-1, 1), hop_length, total))
    n_fft = frames.shape[-1]
    summed = _F.fold(frames.transpose(1, 2), (1, total), (1, n_fft), stride=(1, hop_length))
    return summed.reshape(frames.shape[0], total)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of `stft`: each frame's inverse Fourier transform, multiplied by the window and
    overlap-added, divided by the overlap-added squared window. The input is complex,
    `(freq, frames)` or `(batch, freq, frames)`; the arguments mean what they mean for `stft`,
    and `length` trims or zero-pads the output signal.

    Raises a RuntimeError when the squared window overlap-adds to (nearly) zero somewhere in
    the output: the signal cannot be recovered there.
    """
    if not input.dtype.is_complex:
        raise TypeError("istft requires a complex-valued input tensor matching the output from stft with "
                        "return_complex=True.")
    if window is None:
        _warn_once("istft_window", "A window was not provided. A rectangular window will be applied.Please provide "
                   "the same window used by stft to make the inversion lossless.To suppress this warning and use a "
                   "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length

    given_onesided = onesided  # the messages show the argument as given

    def prefix():
        return _istft_prefix(input, n_fft, hop_length, win_length, window, center, normalized, given_onesided,
                             length, return_complex)

    if input.dim() not in (2, 3):
        if input.dim() < 2:
            # PyTorch reads the frequency size as dim -3 of the real view.
            _fft._wrap_fft_dim(-3, input.dim() + 1)
        raise RuntimeError(f"{prefix()} : expected a tensor with 3 or 4 dimensions, but got {input.dim() + 1}")
    freq = input.shape[-2]
    if onesided is None:
        onesided = freq != n_fft
    if onesided and freq != n_fft // 2 + 1:
        raise RuntimeError(f"{prefix()} : expected the frequency dimension (3rd to the last) of the input tensor "
                           f"to match n_fft / 2 + 1 when onesided=True, but got {freq}")
    if not onesided and freq != n_fft:
        raise RuntimeError(f"{prefix()} : expected the frequency dimension (3rd to the last) of the input tensor "
                           f"to match n_fft when onesided=False, but got {freq}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{prefix()} : expected 0 < win_length <= n_fft")
    if not 0 < hop_length <= win_length:
        raise RuntimeError(f"{prefix()} : expected 0 < hop_length <= win_length")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"{prefix()} : Invalid window shape. window has to be 1D and length of `win_length`")
    if return_complex and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    unbatched = input.dim() == 2
    spectra = (input.unsqueeze(0) if unbatched else input).transpose(-1, -2)  # (batch, frames, freq)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = _fft.ifft(spectra, n_fft, norm=norm)
    else:
        frames = _fft.irfft(spectra.narrow(-1, 0, n_fft // 2 + 1), n_fft, norm=norm)
    full_window = _padded_window(window, win_length, n_fft, _fft._part_dtype(frames), frames.device)
    count = frames.shape[1]
    total = n_fft + hop_length * (count - 1)
    signal = _overlap_add(frames * full_window, hop_length, total)
    envelope = _overlap_add((full_window * full_window).expand(1, count, n_fft), hop_length, total)

    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    end = min(end, total)
    signal, envelope = signal[:, start:end], envelope[:, start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError(f"{prefix()} window overlap add min: 1")
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        signal = _pad_signal(signal, 0, length - signal.shape[-1], "constant")
    return signal.squeeze(0) if unbatched else signal


for _name, _function in (("stft", stft), ("istft", istft)):
    if not hasattr(_C.Tensor, _name):
        method_of(_function, _name)
