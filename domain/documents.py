"""Every beanie document of the domain, for ``init_beanie``. Each context adds its own here."""

from __future__ import annotations

from beanie import Document

from domain.billing import models as billing
from domain.charging import models as charging
from domain.diagnostics.models import (
    Alert,
    AlertRule,
    AlertWebhook,
    DiagnosticsFile,
    FileTransfer,
    StationHealth,
    StationReport,
)
from domain.identity.models import Driver, Operator, Organisation, RefreshToken
from domain.network.models import (
    ConnectivityInterval,
    ReportRequest,
    Site,
    Station,
    StationVariable,
    StatusInterval,
)
from domain.security import models as security
from domain.tariffs.models import Plan, TariffDocument

DOCUMENT_MODELS: list[type[Document]] = [
    Organisation,
    Site,
    Station,
    StatusInterval,
    ConnectivityInterval,
    StationVariable,
    ReportRequest,
    Driver,
    Operator,
    RefreshToken,
    TariffDocument,
    Plan,
    AlertRule,
    Alert,
    StationHealth,
    AlertWebhook,
    FileTransfer,
    StationReport,
    DiagnosticsFile,
    *charging.DOCUMENTS,
    *billing.DOCUMENTS,
    *security.DOCUMENTS,
]
