"""gunicorn for the status page (`gunicorn --config deploy/gunicorn.conf.py wsgi:app`), behind
nginx (deploy/nginx.conf) on the loopback. Command-line options and GUNICORN_CMD_ARGS override
these settings."""

import multiprocessing

bind = "127.0.0.1:8000"  # the upstream in deploy/nginx.conf
worker_class = "gthread"  # threads wait on the database and SMTP without holding a process
workers = min(2 * multiprocessing.cpu_count() + 1, 8)
threads = 8
timeout = 30
graceful_timeout = 20  # SIGTERM (systemctl stop/restart): requests in flight finish first
keepalive = 5  # nginx keeps connections to the upstream open
# nginx; the app itself believes X-Forwarded-* per STATUSPAGE_TRUSTED_PROXIES
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"  # to the journal
errorlog = "-"
