"""Every detector, in the fixed order the engine runs them. Add new detectors here."""

from __future__ import annotations

from scanner.detectors.agent_tools import AgentToolsDetector
from scanner.detectors.base import Detector
from scanner.detectors.secrets import SecretsDetector
from scanner.detectors.tenant_filter import TenantFilterDetector

DETECTORS: list[type[Detector]] = [
    SecretsDetector,
    TenantFilterDetector,
    AgentToolsDetector,
]
