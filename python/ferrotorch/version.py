"""`torch.version`: the package version and the toolkits it was built against (no CUDA or ROCm:
ferrotorch's GPU backend is wgpu)."""
__version__ = "0.1.0"
git_version = "unknown"
debug = False
cuda = None
hip = None
rocm = None
xpu = None
