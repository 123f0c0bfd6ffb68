"""``RemoteControl``: starting and stopping a session from laddnet (a driver's app, an operator):
the PENDING session a remote start leaves for the station's start to adopt, and the commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from beanie import PydanticObjectId

from domain.charging import recording
from domain.charging.commands import RemoteStart, RemoteStop, StationCommandService
from domain.charging.errors import InvalidIdTag
from domain.charging.id_tokens import ID_TAG_MAX, IdTokens, token_type
from domain.charging.models import ChargingSession
from domain.charging.results import lock_key, station_oid
from domain.charging.sequences import next_remote_start_id
from domain.charging.state import RUNNING, SessionStatus
from domain.charging.store import ChargingStore
from domain.common.clock import as_utc, utcnow
from domain.common.errors import Conflict, ConnectorBusy, InvalidInput, StationOffline
from domain.common.events import EventBus
from domain.network.models import Connector, ConnectorStatus, Station
from domain.network.service import NetworkService

# a connector reporting one of these is in use: a remote start there is refused up front
BUSY_STATUSES = frozenset(
    {
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
    }
)


class RemoteControl:
    def __init__(
        self,
        store: ChargingStore,
        events: EventBus,
        network: NetworkService,
        commands: StationCommandService,
        id_tokens: IdTokens,
        *,
        pending_ttl: timedelta = timedelta(minutes=3),
    ) -> None:
        self.store = store
        self.events = events
        self.network = network
        self.commands = commands
        self.id_tokens = id_tokens
        self.pending_ttl = pending_ttl

    async def remote_start(
        self,
        station: Station,
        connector_id: int,
        id_tag: str,
        driver_id: PydanticObjectId | None = None,
    ) -> ChargingSession:
        """Ask the station to start; returns the PENDING session that its start will adopt."""
        connector = station.connector(connector_id)
        if connector is None:
            raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
        if not station.online:
            raise StationOffline(f"station {station.charge_point_id} is offline")
        if connector.status in BUSY_STATUSES:
            raise ConnectorBusy(f"connector {connector_id} is {connector.status.value}")
        tag = id_tag.strip()
        if not tag or len(tag) > ID_TAG_MAX:
            raise InvalidIdTag(f"an id tag is 1-{ID_TAG_MAX} characters", field="idTag")
        if driver_id is None:
            driver_id = await self.id_tokens.driver_of(tag)
        now = utcnow()
        sid = station_oid(station)
        session = ChargingSession(
            org_id=station.org_id,
            site_id=station.site_id,
            station_id=sid,
            charge_point_id=station.charge_point_id,
            connector_id=connector_id,
            ocpp_version=station.ocpp_version or "1.6",
            id_tag=tag,
            driver_id=driver_id,
            status=SessionStatus.PENDING,
            remote_start_id=await next_remote_start_id(sid),
            connector_lock=lock_key(station.id, connector_id),
            created_at=now,
            updated_at=now,
        )
        if await self.store.insert(session) == "connector_lock":
            holder = await self.store.session_holding(sid, connector_id)
            if holder is not None and _awaits_authorisation(station, holder):
                return await self._authorise_running(station, holder, tag, driver_id, now)
            stale = holder is not None and (
                holder.status is SessionStatus.PENDING
                and (
                    as_utc(holder.created_at) < now - self.pending_ttl
                    or _gave_up(connector, holder)
                )
            )
            if holder is not None and not stale:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
            if holder is not None:
                recording.supersede(holder, now)
                await self.store.save(holder, now)
                self.events.publish(recording.session_event(holder, now))
            if await self.store.insert(session) is not None:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
        assert session.id is not None
        self.events.publish(recording.session_event(session, now))
        result = await self.commands.send(
            station.charge_point_id,
            RemoteStart(
                connector_id=connector_id,
                id_tag=tag,
                remote_start_id=session.remote_start_id,
                id_token_type=token_type(tag),
            ),
        )
        if not result.accepted:
            failed_at = utcnow()
            await self.store.fail_if_pending(
                session.id, f"remote_start_{result.status.value}", failed_at
            )
            failed = await self.store.session(session.id)
            if failed is not None:
                self.events.publish(recording.session_event(failed, utcnow()))
            result.raise_for_status("remote start")
        return await self.store.session(session.id) or session

    async def _authorise_running(
        self,
        station: Station,
        session: ChargingSession,
        tag: str,
        driver_id: PydanticObjectId | None,
        now: datetime,
    ) -> ChargingSession:
        """OCPP 2.0.1 F01 (plug-in first): the transaction started when the cable went in and waits
        for authorisation. RequestStartTransaction with a new remoteStartId authorises it; the
        station's next TransactionEvent carries the idToken and that remoteStartId."""
        assert session.id is not None
        session.remote_start_id = await next_remote_start_id(station_oid(station))
        if session.driver_id is None:
            session.driver_id = driver_id
        await self.store.save(session, now)
        self.events.publish(recording.session_event(session, now))
        result = await self.commands.send(
            station.charge_point_id,
            RemoteStart(
                connector_id=session.connector_id,
                id_tag=tag,
                remote_start_id=session.remote_start_id,
            ),
        )
        result.raise_for_status("remote start")
        return await self.store.session(session.id) or session

    async def start_for_driver(
        self, driver_id: PydanticObjectId, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession:
        """A driver starts charging from the app: a remote start with the driver's app id tag."""
        station = await self.network.station(station_id)
        tag = await self.id_tokens.app_tag(driver_id)
        return await self.remote_start(station, connector_id, tag, driver_id)

    async def remote_stop(self, session: ChargingSession) -> ChargingSession:
        if session.status not in RUNNING or session.transaction_id is None:
            raise Conflict("the session is not running", field="sessionId")
        result = await self.commands.send(
            session.charge_point_id, RemoteStop(transaction_id=session.transaction_id)
        )
        result.raise_for_status("remote stop")
        assert session.id is not None
        return await self.store.session(session.id) or session


# where a station returns to after giving up on a start it accepted (1.6: the EV was not plugged
# in within ConnectionTimeOut, Preparing -> Available; or the connector became unusable)
_GIVEN_UP = frozenset(
    {ConnectorStatus.AVAILABLE, ConnectorStatus.UNAVAILABLE, ConnectorStatus.FAULTED}
)


def _gave_up(connector: Connector, pending: ChargingSession) -> bool:
    """The station reported the connector free (or unusable) after the remote start was asked for
    and never started a transaction: the PENDING session holds the connector for nothing."""
    since = connector.status_since
    return (
        connector.status in _GIVEN_UP
        and since is not None
        and as_utc(since) > as_utc(pending.created_at)
    )


def _awaits_authorisation(station: Station, holder: ChargingSession) -> bool:
    """A 2.0.1 transaction started at plug-in (TxStartPoint EVConnected) with no idToken yet."""
    return (
        (station.ocpp_version or "").startswith("2.0")
        and holder.status in RUNNING
        and holder.id_tag is None
        and holder.transaction_id is not None
    )
