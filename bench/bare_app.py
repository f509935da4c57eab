"""The bare Flask-Admin ModelView of the cases table as a WSGI app, for gunicorn in bench/load.py:
``BENCH_DATABASE_URL=… gunicorn 'bench.bare_app:app'``."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.panel import bare  # noqa: E402

app = bare(os.environ["BENCH_DATABASE_URL"])
