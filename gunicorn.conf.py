"""gunicorn's settings, from the same ``KESU_*`` variables the app reads (declared in kesu/config.py):
``gunicorn -c gunicorn.conf.py app:app``. Every setting can still be given on the command line."""
from kesu.config import defaults, env_overrides

_settings = {**defaults(), **env_overrides()}

bind = [address.strip() for address in _settings["BIND"].split(",") if address.strip()]
workers = _settings["WORKERS"]
threads = _settings["THREADS"]
timeout = _settings["TIMEOUT"]
accesslog = "-" if _settings["ACCESS_LOG"] else None
#: The request id (kesu/serving.py) ends each access-log line, as in the app's own log lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" [%({x-request-id}o)s]'
#: Workers load the app after forking: each opens its own database connections.
preload_app = False
