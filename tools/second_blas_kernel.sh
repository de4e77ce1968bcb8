#!/usr/bin/env bash
# Print an OpenBLAS x86-64 kernel other than the one this machine uses, for a
# second notebook validation (.ci/run). Sandybridge (AVX) runs on every
# processor that runs Haswell or SkylakeX kernels; where the machine already
# uses Sandybridge (or older), Prescott (SSE3) runs on every x86-64 processor.
set -euo pipefail
cd "$(dirname "$0")/.."
current=$(.venv/bin/python -c "
import numpy, threadpoolctl
print(next((i.get('architecture', '') for i in threadpoolctl.threadpool_info()
            if i['internal_api'] == 'openblas'), ''))")
case "$current" in
    Sandybridge|Prescott|Katmai|Core2|Penryn|Dunnington|Nehalem|Atom|"") echo Prescott ;;
    *) echo Sandybridge ;;
esac
