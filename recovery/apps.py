from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery"

    def ready(self) -> None:
        from notifications import signals as push_signals
        from recovery import metrics, signals  # noqa: F401 - signals connects the token-revocation receivers
        from recovery.services import reachability

        metrics.register()
        # Escalations follow their people's devices (recovery.services.reachability).
        push_signals.devices_lost.connect(reachability.on_devices_lost, dispatch_uid="recovery-devices-lost")
        push_signals.device_registered.connect(reachability.on_device_registered,
                                               dispatch_uid="recovery-device-registered")
