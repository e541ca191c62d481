#!/usr/bin/env bash
# Prove benchit on a real NVIDIA GPU, in one call, from the repository root:
#
#     bash benchmarks/gpu_proof.sh            # ~2-4 minutes; prints every tree, then a summary
#     BENCHIT_GPU_PROOF_INSTALL=1 bash benchmarks/gpu_proof.sh   # first: pip install -e '.[cuda]'
#
# It runs hello_world and a mid-size model (4-layer transformer encoder) on PyTorch CUDA
# (device.runtime=torch, CUDA events), ONNX Runtime's CUDA provider (device.runtime=ort) and its
# TensorRT provider (device.runtime=trt), the x86 CPU for comparison, and the GPU-marked tests.
# A runtime that cannot run here ends in benchit's one-line error (never a CPU number labelled as
# GPU); the script carries on and says so in the summary. The cache is a temporary folder.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
WORK=$(mktemp -d -t benchit-gpu-proof-XXXXXX)
export BENCHIT_CACHE_DIR="$WORK/cache"
SUMMARY=()

section() { printf '\n==================== %s\n' "$*"; }

if [ "${BENCHIT_GPU_PROOF_INSTALL:-0}" = 1 ]; then
  section "pip install -e '.[cuda]'"
  $PY -m pip install -q -e '.[cuda]' || SUMMARY+=("install of the cuda extra failed (exit $?)")
fi

section "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "nvidia-smi: not available"
$PY - <<'EOF'
import importlib.metadata as md, platform
print("python", platform.python_version())
for name in ("benchit", "torch", "onnxruntime-gpu", "onnxruntime", "nvidia-cudnn-cu13", "nvidia-cuda-runtime"):
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        pass
try:
    import torch
    print("torch.cuda.is_available():", torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except Exception as error:  # noqa: BLE001
    print("torch:", error)
import onnxruntime as ort
print("onnxruntime available providers:", ort.get_available_providers())
EOF

$PY - "$WORK/encoder.py" <<'EOF'
import sys
sys.path.insert(0, "benchmarks")
import fidelity
open(sys.argv[1], "w").write(fidelity.MID_SCRIPT)
EOF

run() {  # run LABEL ARGS...: one benchit run, its tree on screen, its outcome in the summary
  local label=$1; shift
  section "$label: benchit $*"
  $PY -m benchit "$@"
  local code=$?
  SUMMARY+=("$(printf '%-34s exit %s' "$label" "$code")")
}

for runtime in torch ort trt; do
  run "hello_world nvidia/$runtime" input=hello_world device=nvidia device.runtime=$runtime
  run "encoder nvidia/$runtime" input.script="$WORK/encoder.py" device=nvidia device.runtime=$runtime
done
run "hello_world x86/ort" input=hello_world device=x86
run "encoder x86/ort" input.script="$WORK/encoder.py" device=x86
run "sweep x86,nvidia" -m input=hello_world device=x86,nvidia

section "recorded results (device, runtime, provider, median, timer)"
$PY - "$BENCHIT_CACHE_DIR" <<'EOF'
import pathlib, sys, yaml
for stats in sorted(pathlib.Path(sys.argv[1]).glob("*/*_stats.yaml")):
    for key, e in (yaml.safe_load(stats.read_text()).get("benchmarks") or {}).items():
        print(f"{stats.parent.name:32} {key:14} {e['device_name']:28} {e['provider']:28} "
              f"median {e['median_ms']:.4f} ms  mean {e['mean_ms']:.4f} ms  cv {e['cv']:.2f}  {e['timer']}")
EOF

section "GPU tests"
$PY -m pytest -q -p no:cacheprovider -m gpu tests/test_devices.py -rs
SUMMARY+=("$(printf '%-34s exit %s' "pytest -m gpu" "$?")")

section "summary"
printf '%s\n' "${SUMMARY[@]}"
rm -rf "$WORK"
