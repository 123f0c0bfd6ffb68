// The contract's operations (clients/*.graphql), as the console sends them: verbatim, checked
// equal to the contract by tests/api/test_console.py. Below them, the console's own documents
// for what the contract does not name (also validated against schema.graphql by that test).

export const CONTRACT = {
  // auth.graphql
  SignIn: `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) {
    tokens {
      accessToken
      refreshToken
      expiresAt
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // auth.graphql
  RefreshTokens: `mutation RefreshTokens($refreshToken: String!) {
  refreshTokens(refreshToken: $refreshToken) {
    tokens {
      accessToken
      refreshToken
      expiresAt
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  Stations: `query Stations($filter: StationFilter, $first: Int, $after: String) {
  stations(filter: $filter, first: $first, after: $after) {
    totalCount
    edges {
      node {
        id
        chargePointId
        name
        online
        lastSeenAt
        ocppVersion
        vendor
        model
        firmwareVersion
        site {
          id
          name
        }
        connectors {
          connectorId
          status
          errorCode
        }
        health {
          status
          temperatureC
          voltageV
          currentA
          powerKw
          efficiencyPercent
          sampledAt
        }
        openAlerts {
          id
          kind
          severity
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}`,
  // operator.graphql
  StationTelemetry: `query StationTelemetry($stationId: ID!, $range: DateRangeInput!) {
  station(id: $stationId) {
    id
    telemetry(range: $range) {
      at
      connectorId
      temperatureC
      voltageV
      currentA
      powerKw
      energyKwh
      socPercent
    }
    statusHistory(range: $range) {
      connectorId
      status
      errorCode
      from
      to
    }
  }
}`,
  // operator.graphql
  StationEvents: `subscription StationEvents($siteId: ID) {
  stationEvents(siteId: $siteId) {
    __typename
    ... on ConnectorStatusChanged {
      stationId
      connectorId
      status
      errorCode
      at
    }
    ... on StationConnectivityChanged {
      stationId
      online
      at
    }
    ... on StationTelemetryUpdated {
      stationId
      connectorId
      temperatureC
      voltageV
      currentA
      powerKw
      at
    }
  }
}`,
  // operator.graphql
  AlertFeed: `subscription AlertFeed($siteId: ID) {
  alertFeed(siteId: $siteId) {
    id
    kind
    severity
    state
    message
    stationId
    connectorId
    raisedAt
    resolvedAt
  }
}`,
  // operator.graphql
  Alerts: `query Alerts($state: AlertState, $first: Int, $after: String) {
  alerts(state: $state, first: $first, after: $after) {
    edges {
      node {
        id
        kind
        severity
        state
        message
        stationId
        connectorId
        raisedAt
        acknowledgedAt
        resolvedAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}`,
  // operator.graphql
  AcknowledgeAlert: `mutation AcknowledgeAlert($id: ID!) {
  acknowledgeAlert(id: $id) {
    alert {
      id
      state
      acknowledgedAt
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  SetAlertRule: `mutation SetAlertRule($input: AlertRuleInput!) {
  setAlertRule(input: $input) {
    rule {
      id
      kind
      threshold
      durationSeconds
      severity
      enabled
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  RemoteStart: `mutation RemoteStart($input: RemoteStartInput!) {
  remoteStart(input: $input) {
    session {
      id
      status
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  RemoteStop: `mutation RemoteStop($sessionId: ID!) {
  remoteStop(sessionId: $sessionId) {
    session {
      id
      status
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  ResetStation: `mutation ResetStation($stationId: ID!, $hard: Boolean) {
  resetStation(stationId: $stationId, hard: $hard) {
    accepted
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  ChangeAvailability: `mutation ChangeAvailability($stationId: ID!, $connectorId: Int, $available: Boolean!) {
  changeAvailability(
    stationId: $stationId
    connectorId: $connectorId
    available: $available
  ) {
    accepted
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  RequestDiagnostics: `mutation RequestDiagnostics($stationId: ID!) {
  requestDiagnostics(stationId: $stationId) {
    request {
      id
      status
      fileName
      requestedAt
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  UpdateFirmware: `mutation UpdateFirmware($stationId: ID!, $location: String!, $retrieveAt: DateTime) {
  updateFirmware(
    stationId: $stationId
    location: $location
    retrieveAt: $retrieveAt
  ) {
    accepted
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  UsageReport: `query UsageReport($range: DateRangeInput!, $groupBy: UsageGroupBy!, $siteId: ID) {
  usageReport(range: $range, groupBy: $groupBy, siteId: $siteId) {
    rows {
      key
      label
      sessions
      energyKwh
      chargingHours
      occupiedHours
      utilizationPercent
      uptimePercent
      revenue {
        amount
        currency
      }
    }
    totals {
      sessions
      energyKwh
      utilizationPercent
      uptimePercent
      revenue {
        amount
        currency
      }
    }
  }
}`,
  // operator.graphql
  PeakHours: `query PeakHours($range: DateRangeInput!, $siteId: ID, $stationId: ID) {
  peakHours(range: $range, siteId: $siteId, stationId: $stationId) {
    timezone
    cells {
      weekday
      hour
      occupancyPercent
      sessionsStarted
      energyKwh
    }
  }
}`,
  // operator.graphql
  Bottlenecks: `query Bottlenecks($range: DateRangeInput!) {
  bottlenecks(range: $range) {
    site {
      id
      name
    }
    station {
      id
      name
    }
    peakOccupancyPercent
    hoursAtCapacity
    recommendation
  }
}`,
  // operator.graphql
  RevenueReport: `query RevenueReport($range: DateRangeInput!, $groupBy: RevenueGroupBy!) {
  revenueReport(range: $range, groupBy: $groupBy) {
    rows {
      key
      label
      sessions
      energyRevenue {
        amount
        currency
      }
      timeRevenue {
        amount
        currency
      }
      idleRevenue {
        amount
        currency
      }
      sessionFees {
        amount
        currency
      }
      membershipRevenue {
        amount
        currency
      }
      refunds {
        amount
        currency
      }
      vat {
        amount
        currency
      }
      net {
        amount
        currency
      }
      gross {
        amount
        currency
      }
    }
    totals {
      gross {
        amount
        currency
      }
      net {
        amount
        currency
      }
      vat {
        amount
        currency
      }
    }
  }
}`,
  // operator.graphql
  RefundSession: `mutation RefundSession($sessionId: ID!, $amount: Decimal, $reason: String) {
  refundSession(sessionId: $sessionId, amount: $amount, reason: $reason) {
    refund {
      id
      status
      amount {
        amount
        currency
      }
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  CreateTariff: `mutation CreateTariff($input: TariffInput!) {
  createTariff(input: $input) {
    tariff {
      id
      name
      currency
      summary
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  AssignTariff: `mutation AssignTariff($stationId: ID!, $tariffId: ID!) {
  assignTariff(stationId: $stationId, tariffId: $tariffId) {
    station {
      id
      tariff {
        id
        name
      }
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // operator.graphql
  CreatePlan: `mutation CreatePlan($input: PlanInput!) {
  createPlan(input: $input) {
    plan {
      id
      name
      monthlyFee {
        amount
        currency
      }
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // driver.graphql
  SessionProgress: `subscription SessionProgress($sessionId: ID!) {
  sessionProgress(sessionId: $sessionId) {
    id
    status
    energyKwh
    powerKw
    durationSeconds
    idleSeconds
    cost {
      amount
      currency
    }
    updatedAt
  }
}`,
  // driver.graphql
  Plans: `query Plans {
  plans {
    id
    name
    description
    monthlyFee {
      amount
      currency
    }
    energyDiscountPercent
    includedKwh
  }
}`,
  // stations.graphql
  UnlockConnector: `mutation UnlockConnector($stationId: ID!, $connectorId: Int!) {
  unlockConnector(stationId: $stationId, connectorId: $connectorId) {
    status
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  TriggerMessage: `mutation TriggerMessage($input: TriggerMessageInput!) {
  triggerMessage(input: $input) {
    status
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  StationVariables: `query StationVariables($stationId: ID!, $component: String, $first: Int, $after: String) {
  station(id: $stationId) {
    id
    variables(component: $component, first: $first, after: $after) {
      totalCount
      edges {
        node {
          component
          instance
          evseId
          connectorId
          variable
          value
          mutability
          reportedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}`,
  // stations.graphql
  GetVariables: `mutation GetVariables($stationId: ID!, $variables: [VariableRefInput!]!) {
  getVariables(stationId: $stationId, variables: $variables) {
    results {
      component
      variable
      value
      status
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  SetVariables: `mutation SetVariables($stationId: ID!, $variables: [VariableValueInput!]!) {
  setVariables(stationId: $stationId, variables: $variables) {
    results {
      component
      variable
      status
      rebootRequired
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  RequestStationReport: `mutation RequestStationReport($stationId: ID!, $report: StationReportKind!) {
  requestStationReport(stationId: $stationId, report: $report) {
    status
    requestId
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  SetChargingProfile: `mutation SetChargingProfile($stationId: ID!, $input: ChargingProfileInput!) {
  setChargingProfile(stationId: $stationId, input: $input) {
    status
    profile {
      id
    }
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  ClearChargingProfile: `mutation ClearChargingProfile($stationId: ID!, $profileId: Int, $connectorId: Int, $purpose: ChargingProfilePurpose) {
  clearChargingProfile(
    stationId: $stationId
    profileId: $profileId
    connectorId: $connectorId
    purpose: $purpose
  ) {
    status
    errors {
      code
      field
      message
    }
  }
}`,
  // stations.graphql
  InviteOperator: `mutation InviteOperator($input: InviteOperatorInput!) {
  inviteOperator(input: $input) {
    operator {
      id
      email
      role
    }
    invitationToken
    errors {
      code
      field
      message
    }
  }
}`,
};

const ERRORS = "errors { code field message }";
const MONEY = "{ amount currency }";

export const CONSOLE = {
  ConsoleSites: `query ConsoleSites { sites { id name address timezone } }`,
  ConsoleStation: `query ConsoleStation($id: ID!) {
  station(id: $id) {
    id chargePointId name online lastSeenAt connectedAt ocppVersion vendor model serialNumber
    firmwareVersion bootedAt
    site { id name timezone }
    connectors { connectorId standard maxPowerKw status errorCode statusSince }
    health {
      status temperatureC voltageV currentA powerKw efficiencyPercent sampledAt
      connectors { connectorId status temperatureC voltageV currentA powerKw sampledAt }
    }
    openAlerts { id kind severity state message connectorId raisedAt acknowledgedAt }
    tariff { id name summary }
  }
}`,
  ConsoleSessions: `query ConsoleSessions($stationId: ID, $active: Boolean, $first: Int, $after: String) {
  sessions(stationId: $stationId, active: $active, first: $first, after: $after) {
    totalCount
    edges { node {
      id status connectorId transactionId idTag startedAt endedAt createdAt energyKwh powerKw
      durationSeconds stopReason station { id name } cost ${MONEY} payment { status }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  ConsoleSession: `query ConsoleSession($id: ID!) {
  session(id: $id) {
    id status connectorId transactionId idTag createdAt startedAt endedAt energyKwh powerKw
    maxPowerKw durationSeconds idleSeconds stopReason
    station { id name site { id name timezone } tariff { id name summary } }
    cost ${MONEY}
    payment { status amountAuthorized ${MONEY} amountCaptured ${MONEY} amountRefunded ${MONEY} }
    receipt {
      number subtotal ${MONEY} vat ${MONEY} total ${MONEY}
      lines { kind description quantity unit unitPrice ${MONEY} amount ${MONEY} }
    }
  }
}`,
  ConsoleMeterCurve: `query ConsoleMeterCurve($stationId: ID!, $range: DateRangeInput!) {
  station(id: $stationId) {
    id
    telemetry(range: $range) { at connectorId powerKw energyKwh socPercent }
  }
}`,
  ResolveAlert: `mutation ResolveAlert($id: ID!) {
  resolveAlert(id: $id) { alert { id state resolvedAt } ${ERRORS} }
}`,
  AlertRules: `query AlertRules($siteId: ID) {
  alertRules(siteId: $siteId) { kind threshold durationSeconds severity enabled setFor }
}`,
  ConsoleTariffs: `query ConsoleTariffs { tariffs { id name currency summary vatPercent preAuthorizationAmount ${MONEY} } }`,
  ConsoleStationTariffs: `query ConsoleStationTariffs($after: String) {
  stations(first: 100, after: $after) {
    edges { node { id name site { id name } tariff { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  PaymentsCsv: `query PaymentsCsv($range: DateRangeInput!) { paymentsCsv(range: $range) }`,
};

/** Every document by operation name: the contract's where it has one, else the console's. */
export const OPS = { ...CONSOLE, ...CONTRACT };
