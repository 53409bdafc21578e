"""Every detector, in the fixed order the engine runs them. Add new detectors here."""

from __future__ import annotations

from scanner.detectors.base import Detector
from scanner.detectors.client_env import ClientEnvDetector
from scanner.detectors.js_routes_auth import JsRoutesAuthDetector
from scanner.detectors.launch_checks import MonitoringDetector, TransportSecurityDetector
from scanner.detectors.launch_email import EmailAuthDetector
from scanner.detectors.secrets import SecretsDetector

DETECTORS: list[type[Detector]] = [
    SecretsDetector,
    ClientEnvDetector,
    JsRoutesAuthDetector,
    TransportSecurityDetector,
    MonitoringDetector,
    EmailAuthDetector,
]
