"""Every detector, in the fixed order the engine runs them. Add new detectors here."""

from __future__ import annotations

from scanner.detectors.agent_tools import AgentToolsDetector
from scanner.detectors.base import Detector
from scanner.detectors.bundle_maps import SourceMapExposureDetector
from scanner.detectors.ci_logs import CiLogDetector
from scanner.detectors.client_env import ClientEnvDetector
from scanner.detectors.env_files import EnvFilesDetector
from scanner.detectors.launch_checks import MonitoringDetector, TransportSecurityDetector
from scanner.detectors.launch_email import EmailAuthDetector
from scanner.detectors.routes_auth import RoutesAuthDetector
from scanner.detectors.secrets import SecretsDetector
from scanner.detectors.tenant_filter import TenantFilterDetector
from scanner.detectors.tenant_rls import TenantRlsDetector
from scanner.detectors.web_cors import CorsDetector
from scanner.detectors.web_debug import DebugExposureDetector
from scanner.detectors.web_input import InputValidationDetector
from scanner.detectors.web_logging import SensitiveLoggingDetector
from scanner.detectors.web_rate_limits import RateLimitDetector
from scanner.detectors.workflows import WorkflowDetector

DETECTORS: list[type[Detector]] = [
    SecretsDetector,
    ClientEnvDetector,
    EnvFilesDetector,
    TransportSecurityDetector,
    MonitoringDetector,
    EmailAuthDetector,
    RoutesAuthDetector,
    CorsDetector,
    DebugExposureDetector,
    SensitiveLoggingDetector,
    RateLimitDetector,
    InputValidationDetector,
    TenantFilterDetector,
    TenantRlsDetector,
    AgentToolsDetector,
    SourceMapExposureDetector,
    CiLogDetector,
    WorkflowDetector,
]
