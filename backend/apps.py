from django.apps import AppConfig


class BackendConfig(AppConfig):
    """The project package as an app: only for hooks every process needs (web, workers, commands)."""

    name = "backend"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from backend.database import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="backend-retry-after-schema-change")
