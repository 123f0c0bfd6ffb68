"""The root types, composed from the per-area resolvers, and the protections around them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext

from api.deps import ApiLimits
from api.errors import error_masking, log_errors
from api.parsing import OffLoop
from api.resolvers import (
    auth,
    billing,
    charging,
    commands,
    diagnostics,
    events,
    network,
    operators,
    reports,
    security,
    station_commands,
    tariffs,
)
from api.suggestions import NoSuggestions
from api.types.auth import Driver, SignOutPayload, SignUpPayload, TokensPayload
from api.types.billing import (
    AssignTariffPayload,
    MembershipPayload,
    PaymentRecord,
    RefundSessionPayload,
    RevenueReport,
    SetDefaultPaymentMethodPayload,
    SetUpPaymentMethodPayload,
)
from api.types.charging import (
    ChargingSession,
    ChargingSessionConnection,
    ChargingSessionPayload,
    LinkIdTokenPayload,
    SessionProgress,
    StartChargingPayload,
)
from api.types.commands import RequestDiagnosticsPayload, StationCommandPayload
from api.types.diagnostics import (
    AcknowledgeAlertPayload,
    Alert,
    AlertConnection,
    AlertRuleInForce,
    DiagnosticsFile,
    ResolveAlertPayload,
    SetAlertRulePayload,
)
from api.types.events import (
    ConnectorStatusChanged,
    StationConnectivityChanged,
    StationEvent,
    StationTelemetryUpdated,
)
from api.types.network import (
    CreateSitePayload,
    NearbyStationConnection,
    RegisterStationPayload,
    Site,
    Station,
    StationConnection,
)
from api.types.operators import InviteOperatorPayload
from api.types.reports import Bottleneck, PeakHours, UsageReport
from api.types.settlement import UnsettledSession
from api.types.station_commands import (
    CommandPayload,
    GetVariablesPayload,
    RequestStationReportPayload,
    SetChargingProfilePayload,
    SetVariablesPayload,
    UpdateFirmwarePayload,
)
from api.types.tariffs import CreatePlanPayload, CreateTariffPayload, Plan, Tariff


@strawberry.type
class Query:
    me: Driver = strawberry.field(resolver=auth.me, description="The signed-in driver.")
    sites: list[Site] = strawberry.field(resolver=network.sites)
    stations: StationConnection = strawberry.field(resolver=network.stations)
    station: Station | None = strawberry.field(resolver=network.station)
    stations_nearby: NearbyStationConnection = strawberry.field(
        resolver=network.stations_nearby, description="Stations within radiusKm, nearest first."
    )
    alerts: AlertConnection = strawberry.field(resolver=diagnostics.alerts)
    alert_rules: list[AlertRuleInForce] = strawberry.field(resolver=diagnostics.alert_rules)
    diagnostics_files: list[DiagnosticsFile] = strawberry.field(
        resolver=diagnostics.diagnostics_files
    )
    usage_report: UsageReport = strawberry.field(resolver=reports.usage_report)
    peak_hours: PeakHours = strawberry.field(resolver=reports.peak_hours)
    bottlenecks: list[Bottleneck] = strawberry.field(resolver=reports.bottlenecks)
    my_sessions: ChargingSessionConnection = strawberry.field(
        resolver=charging.my_sessions, description="The signed-in driver's sessions, newest first."
    )
    sessions: ChargingSessionConnection = strawberry.field(resolver=charging.sessions)
    session: ChargingSession = strawberry.field(resolver=charging.session)
    plans: list[Plan] = strawberry.field(resolver=tariffs.plans)
    tariffs: list[Tariff] = strawberry.field(resolver=tariffs.tariffs)
    revenue_report: RevenueReport = strawberry.field(resolver=billing.revenue_report)
    payments: list[PaymentRecord] = strawberry.field(resolver=billing.payments)
    payments_csv: str = strawberry.field(resolver=billing.payments_csv)
    unsettled_sessions: list[UnsettledSession] = strawberry.field(
        resolver=billing.unsettled_sessions
    )


@strawberry.type
class Mutation:
    sign_up: SignUpPayload = strawberry.mutation(resolver=auth.sign_up)
    sign_in: TokensPayload = strawberry.mutation(resolver=auth.sign_in)
    refresh_tokens: TokensPayload = strawberry.mutation(resolver=auth.refresh_tokens)
    sign_out: SignOutPayload = strawberry.mutation(resolver=auth.sign_out)
    create_site: CreateSitePayload = strawberry.mutation(resolver=network.create_site)
    register_station: RegisterStationPayload = strawberry.mutation(
        resolver=network.register_station
    )
    reset_station: StationCommandPayload = strawberry.mutation(resolver=commands.reset_station)
    change_availability: StationCommandPayload = strawberry.mutation(
        resolver=commands.change_availability
    )
    request_diagnostics: RequestDiagnosticsPayload = strawberry.mutation(
        resolver=commands.request_diagnostics
    )
    update_firmware: UpdateFirmwarePayload = strawberry.mutation(resolver=commands.update_firmware)
    unlock_connector: CommandPayload = strawberry.mutation(
        resolver=station_commands.unlock_connector
    )
    trigger_message: CommandPayload = strawberry.mutation(resolver=station_commands.trigger_message)
    set_station_security_profile: CommandPayload = strawberry.mutation(
        resolver=security.set_station_security_profile,
        description="Move a station to a higher OCPP security profile (1-3; only upwards): "
        "pending until the station connects with it.",
    )
    rotate_station_password: CommandPayload = strawberry.mutation(
        resolver=security.rotate_station_password,
        description="Give a station a new Basic-auth key; the old one is refused once the "
        "station logs in with the new one.",
    )
    get_variables: GetVariablesPayload = strawberry.mutation(
        resolver=station_commands.get_variables
    )
    set_variables: SetVariablesPayload = strawberry.mutation(
        resolver=station_commands.set_variables
    )
    request_station_report: RequestStationReportPayload = strawberry.mutation(
        resolver=station_commands.request_station_report
    )
    set_charging_profile: SetChargingProfilePayload = strawberry.mutation(
        resolver=station_commands.set_charging_profile
    )
    clear_charging_profile: CommandPayload = strawberry.mutation(
        resolver=station_commands.clear_charging_profile
    )
    invite_operator: InviteOperatorPayload = strawberry.mutation(resolver=operators.invite_operator)
    accept_invitation: TokensPayload = strawberry.mutation(resolver=operators.accept_invitation)
    acknowledge_alert: AcknowledgeAlertPayload = strawberry.mutation(
        resolver=diagnostics.acknowledge_alert
    )
    resolve_alert: ResolveAlertPayload = strawberry.mutation(resolver=diagnostics.resolve_alert)
    set_alert_rule: SetAlertRulePayload = strawberry.mutation(resolver=diagnostics.set_alert_rule)
    link_id_token: LinkIdTokenPayload = strawberry.mutation(resolver=charging.link_id_token)
    start_charging: StartChargingPayload = strawberry.mutation(resolver=charging.start_charging)
    stop_charging: ChargingSessionPayload = strawberry.mutation(resolver=charging.stop_charging)
    remote_start: ChargingSessionPayload = strawberry.mutation(resolver=charging.remote_start)
    remote_stop: ChargingSessionPayload = strawberry.mutation(resolver=charging.remote_stop)
    create_tariff: CreateTariffPayload = strawberry.mutation(resolver=tariffs.create_tariff)
    assign_tariff: AssignTariffPayload = strawberry.mutation(resolver=tariffs.assign_tariff)
    create_plan: CreatePlanPayload = strawberry.mutation(resolver=tariffs.create_plan)
    set_up_payment_method: SetUpPaymentMethodPayload = strawberry.mutation(
        resolver=billing.set_up_payment_method
    )
    set_default_payment_method: SetDefaultPaymentMethodPayload = strawberry.mutation(
        resolver=billing.set_default_payment_method
    )
    subscribe: MembershipPayload = strawberry.mutation(resolver=billing.subscribe)
    cancel_membership: MembershipPayload = strawberry.mutation(resolver=billing.cancel_membership)
    refund_session: RefundSessionPayload = strawberry.mutation(resolver=billing.refund_session)


@strawberry.type
class Subscription:
    station_events: AsyncGenerator[StationEvent, None] = strawberry.subscription(
        resolver=events.station_events
    )
    alert_feed: AsyncGenerator[Alert, None] = strawberry.subscription(
        resolver=diagnostics.alert_feed
    )
    session_progress: AsyncGenerator[SessionProgress, None] = strawberry.subscription(
        resolver=charging.session_progress
    )


class LaddnetSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)


def build_schema(limits: ApiLimits | None = None, *, introspection: bool = False) -> LaddnetSchema:
    limits = limits or ApiLimits()
    # Factories, not instances: each request gets fresh extensions (MaskErrors keeps state).
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        error_masking,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
        extensions.append(NoSuggestions)  # "Did you mean …" would name what introspection hides
    extensions.append(OffLoop)  # last: it parses and validates with what the others set
    types: list[Any] = [ConnectorStatusChanged, StationConnectivityChanged, StationTelemetryUpdated]
    return LaddnetSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        types=types,
    )
