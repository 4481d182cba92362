"""One settings object for the whole project (env prefix MOPS_); tests build their own instance."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOPS_", env_file=".env", extra="ignore")

    project_dir: Path = PROJECT_DIR
    # DuckDB file path (relative paths are under project_dir); the embedded default warehouse.
    warehouse: str = "warehouse/mops.duckdb"
    # PostgreSQL URL (postgresql://user@host:5432/db) for the scale-out warehouse; unset = the DuckDB file.
    warehouse_url: str | None = None
    # Memory dbt's DuckDB may use before it spills to disk (DuckDB's own default; e.g. "8GB" on a shared host).
    duckdb_memory_limit: str = "80%"
    # Folder of platform export files: <landing_dir>/<source>/<table>/<file>.{csv,jsonl,parquet}
    landing_dir: Path = Path("landing")
    # ISO 4217 code every money column is also converted to.
    reporting_currency: str = "USD"
    # GA4 property time zone: event_date in the export is a date in this zone.
    ga4_property_timezone: str = "UTC"
    # Where mops writes run artifacts (reports, demo truth, logs).
    var_dir: Path = Path("var")
    # Conversion lookback for path building, in days.
    attribution_lookback_days: int = Field(default=30, ge=1, le=365)
    # OpenAI-compatible chat-completions endpoint for optional agent notes (e.g. https://api.openai.com/v1).
    llm_base_url: str | None = None
    # Model name sent to that endpoint.
    llm_model: str | None = None
    # Bearer token for the endpoint (MOPS_LLM_API_KEY); never logged.
    llm_api_key: SecretStr | None = None
    # Folder of workflow specs (*.yml) the engine runs and serves.
    workflows_dir: Path = Path("flows/workflows")
    # Production mode: runs refuse specs, agent code and contracts not committed on the protected branch.
    production: bool = False
    # The git ref of the protected (reviewed) branch production runs must come from.
    protected_ref: str = "origin/main"
    # Packages whose sub-packages are agents (each exports AGENT); [] runs only agent_modules' agents.
    agent_packages: list[str] = Field(default_factory=lambda: ["agents"])
    # Extra Python modules exporting AGENT or AGENTS: agents kept outside agents/ (JSON list in env).
    agent_modules: list[str] = Field(default_factory=list)
    # Apprise URLs monitoring alerts go to (JSON list in env): slack://..., msteams://..., mailto://..., json://host/.
    alert_urls: list[str] = Field(default_factory=list)
    # Hours during which one problem (same fingerprint) is alerted once; repeats are recorded as suppressed.
    alert_suppress_hours: float = Field(default=24.0, gt=0)
    # Orchestration overhead share of a run's wall time above which monitoring turns amber and alerts.
    monitor_overhead_threshold: float = Field(default=0.15, gt=0, lt=1)
    # Smallest slow-down (seconds over an agent's median run) the runtime-regression detector alerts on.
    monitor_runtime_min_change_s: float = Field(default=30.0, ge=0)
    # Share of the time from a run's start to a step's deadline past which a finished step is "deadline at risk".
    monitor_deadline_risk_share: float = Field(default=0.8, gt=0, le=1)
    # Days until a day's conversions are complete (platforms count them on the click's day for their conversion
    # window, 7-day click by default on Meta): a younger day's conversions are judged for spikes only.
    monitor_conversion_maturity_days: int = Field(default=7, ge=0, le=90)
    # Who is acting (MOPS_ACTOR): service accounts, CI, the demo; unset = the operating-system user.
    actor: str | None = None
    # Secret key of the PII pseudonyms (email_hash = HMAC-SHA256; MOPS_PII_KEY); unset = the public demo key,
    # which production mode refuses. Changing it changes every pseudonym (not the schema): rebuild and re-run.
    pii_key: SecretStr | None = None
    # dbt's target folder inside dbt_project/ (manifest, run results, compiled SQL): one per concurrent builder
    # of the same checkout (the test suite's parallel workers use target-<worker>).
    dbt_target_folder: str = Field(default="target", pattern=r"^[A-Za-z0-9_.-]+$")
    # Prefix of the PostgreSQL roles `mops warehouse grants` sets up (<prefix>_runtime, _runtime_pii, _analyst, ...).
    warehouse_role_prefix: str = "mops"
    # The governance policy (roles, members, scopes); relative paths are under project_dir.
    policy_file: Path = Path("governance/policy.yml")

    @property
    def policy_path(self) -> Path:
        return self.resolve(self.policy_file)

    @property
    def audit_head_path(self) -> Path:
        """The ledger's head hash, kept outside the warehouse so a rewritten chain is detected."""
        return self.var_path / "audit" / "head.json"

    # Port of the persistent local Prefect server (`mops server start`); its database lives under var/prefect.
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    # Prefect work pool (process type) that `mops deploy` puts every workflow on; workers poll it.
    work_pool: str = "mops"

    @field_validator("reporting_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"reporting_currency must be an ISO 4217 code like USD, got {value!r}")
        return value.upper()

    def resolve(self, path: Path | str) -> Path:
        path = Path(path)
        return path if path.is_absolute() else self.project_dir / path

    @cached_property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse)

    @property
    def landing_path(self) -> Path:
        return self.resolve(self.landing_dir)

    @property
    def var_path(self) -> Path:
        return self.resolve(self.var_dir)

    @property
    def workflows_path(self) -> Path:
        return self.resolve(self.workflows_dir)

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def dbt_target_path(self) -> Path:
        """Where dbt writes its manifest, run results, compiled SQL and partial-parse state."""
        return self.dbt_project_dir / self.dbt_target_folder

    @property
    def contracts_dir(self) -> Path:
        return self.project_dir / "contracts"

    def dbt_vars(self) -> dict[str, object]:
        """The settings dbt needs, passed as --vars so dbt and Python never disagree."""
        return {
            "mops_reporting_currency": self.reporting_currency,
            "mops_ga4_property_timezone": self.ga4_property_timezone,
            "mops_attribution_lookback_days": self.attribution_lookback_days,
        }


def get_settings() -> Settings:
    return Settings()
