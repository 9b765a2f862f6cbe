"""FastAPI's native OpenTelemetry (`fastapi.telemetry`): `FerroAPI(telemetry=TelemetryConfig(...))`
configures it; span and log processors read the request being served with `get_telemetry_data()`."""

from ferroapi.telemetry._api import TelemetryConfig as TelemetryConfig
from ferroapi.telemetry._api import TelemetryData as TelemetryData
from ferroapi.telemetry._api import get_telemetry_data as get_telemetry_data

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data"]
