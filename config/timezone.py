"""The site's one time zone, for Django (settings.TIME_ZONE) and for gunicorn's own log lines.

Django sets the process's TZ to TIME_ZONE when it loads its settings, in the workers; the
gunicorn master never loads them and logged in the machine's zone, so one log mixed +0000
and +0800 (issue 14.12). gunicorn.conf.py sets the same zone before anything is logged.
"""

import os
import time

TIME_ZONE = "Asia/Shanghai"


def use_site_time_zone() -> None:
    os.environ["TZ"] = TIME_ZONE
    time.tzset()
