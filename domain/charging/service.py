"""``ChargingService``: the charging context as the edges see it (the OCPP handlers call
``ctx.charging.*``, the GraphQL resolvers ``deps.charging.*``). A thin facade: it builds the
collaborators around one ``ChargingStore`` and hands out their methods; the use cases are in them.

- ``IdTokens`` (id_tokens.py): cards and app tokens, and their status for stations;
- ``TransactionRecorder`` (recorder.py): 1.6 Start/Stop/MeterValues, StatusNotification,
  connector temperatures; ``TransactionEventRecorder`` (transaction_events.py): 2.0.1
  TransactionEvent; both open sessions through ``SessionOpener`` (opening.py) and keep samples
  through ``SampleRecorder`` (sample_recording.py);
- ``RemoteControl`` (remote.py): remote start and stop;
- ``SessionQueries`` (queries.py): sessions and telemetry for people.
"""

from __future__ import annotations

from datetime import timedelta

from domain.charging.commands import StationCommandService
from domain.charging.id_tokens import IdTokens, is_app_tag
from domain.charging.opening import SessionOpener
from domain.charging.queries import SessionQueries
from domain.charging.recorder import TransactionRecorder
from domain.charging.remote import RemoteControl
from domain.charging.results import StartResult, StopResult, TransactionEventResult
from domain.charging.sample_recording import SampleRecorder
from domain.charging.store import ChargingStore
from domain.charging.transaction_events import TransactionEventRecorder
from domain.common.events import EventBus
from domain.network.service import NetworkService

__all__ = [
    "ChargingService",
    "StartResult",
    "StopResult",
    "TransactionEventResult",
    "is_app_tag",
]


class ChargingService:
    def __init__(
        self,
        events: EventBus,
        network: NetworkService,
        commands: StationCommandService,
        *,
        store: ChargingStore | None = None,
        pending_ttl: timedelta = timedelta(minutes=3),
    ) -> None:
        self.events = events
        self.network = network
        self.commands = commands
        self.store = store or ChargingStore()
        self.id_tokens = IdTokens()
        self.opener = SessionOpener(self.store, events, self.id_tokens)
        self.samples = SampleRecorder(self.store, events)
        self.transactions = TransactionRecorder(
            self.store, events, network, self.id_tokens, self.opener, self.samples
        )
        self.transaction_events = TransactionEventRecorder(
            self.store, self.id_tokens, self.opener, self.samples, self.transactions
        )
        self.remote = RemoteControl(
            self.store, events, network, commands, self.id_tokens, pending_ttl=pending_ttl
        )
        self.sessions = SessionQueries(self.store)

        # what the edges call
        self.link_id_token = self.id_tokens.link
        self.id_tokens_for_driver = self.id_tokens.for_driver
        self.linked_id_tokens = self.id_tokens.linked
        self.app_id_tag = self.id_tokens.app_tag
        self.authorize = self.id_tokens.status
        self.id_tag_info = self.id_tokens.info
        self.start_transaction = self.transactions.start_transaction
        self.meter_values = self.transactions.meter_values
        self.stop_transaction = self.transactions.stop_transaction
        self.connector_status = self.transactions.connector_status
        self.connector_temperatures = self.transactions.connector_temperatures
        self.transaction_event = self.transaction_events.transaction_event
        self.remote_start = self.remote.remote_start
        self.start_for_driver = self.remote.start_for_driver
        self.remote_stop = self.remote.remote_stop
        self.get_session = self.sessions.get_session
        self.session_for_org = self.sessions.session_for_org
        self.session_for_driver = self.sessions.session_for_driver
        self.sessions_for_driver = self.sessions.sessions_for_driver
        self.active_session_for_driver = self.sessions.active_session_for_driver
        self.sessions_for_org = self.sessions.sessions_for_org
        self.telemetry = self.sessions.telemetry

    @property
    def pending_ttl(self) -> timedelta:
        return self.remote.pending_ttl

    @pending_ttl.setter
    def pending_ttl(self, ttl: timedelta) -> None:
        self.remote.pending_ttl = ttl

    async def close(self) -> None:
        """Store what the store still buffers (on shutdown)."""
        await self.store.close()
