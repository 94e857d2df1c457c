"""Writes of the notifications app, infrastructure only: it knows users and devices, never recovery.

- devices: push tokens (register, unregister, the active devices of users)
- outbox: writing outbox rows for pushes and handing them to Celery after commit
- delivery: sending due rows through FCM and recording each outcome
"""
