#!/usr/bin/env bash
# Print an OpenBLAS x86-64 kernel other than the one this machine uses, for a
# second notebook validation (.ci/run): the next kernel down, which this
# processor can run. On an AVX-512 machine (SkylakeX and newer) that is
# Haswell (AVX2), the kernel of the other common CI processors; on a Haswell or
# Zen machine it is Sandybridge (AVX); on Sandybridge or older it is Prescott
# (SSE3), which runs on every x86-64 processor. Training results, and any
# assert on them, must hold under both.
set -euo pipefail
cd "$(dirname "$0")/.."
current=$(.venv/bin/python -c "
import numpy, threadpoolctl
print(next((i.get('architecture', '') for i in threadpoolctl.threadpool_info()
            if i['internal_api'] == 'openblas'), ''))")
case "$current" in
    SkylakeX|Cooperlake|SapphireRapids) echo Haswell ;;
    Sandybridge|Prescott|Katmai|Core2|Penryn|Dunnington|Nehalem|Atom|"") echo Prescott ;;
    *) echo Sandybridge ;;
esac
