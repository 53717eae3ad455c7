#!/usr/bin/env bash
# The GPU speed and test checks of issue 5 in one run on a lent NVIDIA machine (the `device`
# tool; see ../.library/device/README.md), with PyTorch CUDA's baseline in the same call.
#
# Prepare here (no device time):
#   printf '/.gl/\n/.whl/\n' >> .git/info/exclude
#   bring the Vulkan loader into .gl/ as the device README says (apt-get download libvulkan1 ...)
#   maturin build --release -o .whl      # the abi3 wheel installs on the device's Python 3.12
# Then one call:  run(command="bash bench/device_check.sh", carry=[".gl", ".whl"], timeout_s=560)
# Results land in $OUT: bench_gpu.md (the table BENCHMARKS.md records) and the test logs.
# A dry run here on lavapipe: OUT=/tmp/out FERROTORCH_ALLOW_SOFTWARE_GPU=1 BENCH_FLAGS=--small \
#   bash bench/device_check.sh
set -uo pipefail
REPO=$(pwd)
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/ferrotorch-*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 FERROTORCH_REQUIRE_GPU=1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import ferrotorch as ft; print(ft.cuda.adapter_info())" 2>&1 | tee -a "$OUT/gpu.txt"

# The benchmarks run from a copy of bench/ so that the repository's python/ (which has no
# compiled extension here) is not imported instead of the installed wheel.
cp -r "$REPO/bench" /tmp/bench
(cd /tmp/bench && timeout 300 python3 bench_gpu.py --device gpu ${BENCH_FLAGS:-} 2>&1 | tee "$OUT/bench_gpu.md")

# The GPU test files on the real adapter (CI runs them on lavapipe).
cp -r "$REPO/tests" /tmp/tests
(cd /tmp && timeout 200 python3 -m pytest tests/test_gpu.py tests/test_gpu_registry.py \
    tests/test_gpu_autograd_registry.py -q -x -p no:cacheprovider 2>&1 \
    | tail -30 | tee "$OUT/gpu_tests.txt")
