from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery"

    def ready(self) -> None:
        from recovery import metrics, signals  # noqa: F401 - signals connects the token-revocation receivers

        metrics.register()
