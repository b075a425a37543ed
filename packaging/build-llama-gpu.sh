#!/usr/bin/env bash
# Rebuild llama-cpp-python in the app's venv with a GPU back-end, then show what the app sees.
#
#   bash packaging/build-llama-gpu.sh cuda     NVIDIA: needs the CUDA toolkit (nvcc) and a driver
#   bash packaging/build-llama-gpu.sh vulkan   AMD / Intel / NVIDIA through Vulkan: installs
#                                              libvulkan-dev, glslc and spirv-headers from Debian
#   bash packaging/build-llama-gpu.sh cpu      back to the portable CPU build
#
# The build takes 10-40 minutes (CUDA kernels are the slowest). Afterwards `writer-app about` says
# "GPU offload: available", the settings dialog enables "GPU 层数", and --gpu-layers works.
# A bundle built from this venv (packaging/build.sh) carries the GPU back-end's libraries; the
# user's machine still needs the NVIDIA driver (CUDA) or a Vulkan driver.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
case "${1:-}" in
  cuda)
    command -v nvcc >/dev/null || { echo "nvcc not found: install the CUDA toolkit (developer.nvidia.com/cuda-downloads) and put it on PATH" >&2; exit 1; }
    args="$base -DGGML_CUDA=on" ;;
  vulkan)
    pkgs=(libvulkan-dev glslc spirv-headers)
    missing=(); for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
      $sudo apt-get install -y -qq "${missing[@]}"
    fi
    header="${VULKAN_SDK:-/usr}/include/vulkan/vulkan_core.h"
    if ! grep -q VK_EXT_layer_settings "$header" 2>/dev/null; then
      echo "the Vulkan headers in $header are too old for llama.cpp's Vulkan back-end (it needs VK_EXT_layer_settings; Debian 12 ships 1.3.239): build on Debian 13 / Ubuntu 24.04, or install the LunarG Vulkan SDK and set VULKAN_SDK" >&2
      exit 1
    fi
    args="$base -DGGML_VULKAN=on" ;;
  cpu) args="$base" ;;
  *) echo "usage: bash packaging/build-llama-gpu.sh cuda|vulkan|cpu" >&2; exit 2 ;;
esac
echo "==> building llama-cpp-python with: $args (this takes a while)" >&2
LLAMA_CMAKE_ARGS="$args" bash "$root/packaging/setup.sh" app about
