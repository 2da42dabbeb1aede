"""Running studybot as a service: start-up problems, health and readiness, the doctor, export and import.

Nothing here imports a platform library; where a check needs a platform, the adapters hand it in.
"""

from __future__ import annotations
