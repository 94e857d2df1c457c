"""Settings for the benchmark (bench/fanout.py): the product's, plus fcm-django when the bench target
installed it into .bench-deps (it is a comparison, never a dependency of the product)."""
import importlib.util
import sys
from pathlib import Path

BENCH_DEPS = Path(__file__).resolve().parent.parent / ".bench-deps"
if BENCH_DEPS.is_dir() and str(BENCH_DEPS) not in sys.path:
    sys.path.append(str(BENCH_DEPS))

from backend.settings import *  # noqa: E402,F401,F403

if importlib.util.find_spec("fcm_django"):
    INSTALLED_APPS = [*INSTALLED_APPS, "fcm_django"]  # noqa: F405
