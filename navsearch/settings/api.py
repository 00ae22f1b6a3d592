"""Settings of the HTTP API: limits of a request, hosts, keys."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


Scope = Literal["read", "admin"]
SCOPES: tuple[str, ...] = ("read", "admin")  # an admin key may do everything a read key may
MIN_KEY_CHARS = 16


class ApiKey(BaseModel):
    """One HTTP API key: a name (shown in logs and errors, never the key), its scope, and
    the key itself or the hex SHA-256 of it (so a config file need not hold the secret)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Who holds the key.")
    scope: Scope = Field(..., description="'read': search and read; 'admin': also upload, delete, ingest, repair.")
    key: SecretStr | None = Field(None, description=f"The key (at least {MIN_KEY_CHARS} characters).")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the key, instead of it.")

    @model_validator(mode="after")
    def _one_secret(self) -> "ApiKey":
        if (self.key is None) == (self.sha256 is None):
            raise ValueError(f"API key {self.name!r}: give exactly one of key and sha256")
        if self.key is not None and len(self.key.get_secret_value()) < MIN_KEY_CHARS:
            raise ValueError(f"API key {self.name!r} is shorter than {MIN_KEY_CHARS} characters")
        return self


class ApiSettings(BaseModel):
    """The service's address and the limits every interface (HTTP, CLI, library) enforces:
    the HTTP schemas are built from these, and the service checks them for the CLI."""

    host: str = Field("127.0.0.1", description="Address the HTTP service binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the HTTP service.")
    max_query_chars: int = Field(4000, ge=1, description="Longest accepted question (/ask), in characters.")
    max_search_chars: int = Field(
        50_000,
        ge=1,
        description=(
            "Longest accepted search query, in characters: a whole claim set or case description is a normal "
            "query here. Its cost is bounded whatever its length: the dense leg embeds at most "
            "retrieval.max_query_windows encoder windows, BM25 searches its retrieval.max_query_terms most "
            "informative terms. `navsearch eval` (a local batch job) applies no length limit."
        ),
    )
    max_k: int = Field(100, ge=1, description="Largest accepted k (results of a search).")
    max_filter_values: int = Field(
        20, ge=1, description="Most values one filter may list (IPC prefixes, jurisdictions)."
    )
    max_context_window: int = Field(
        5000, ge=0, description="Most characters of context shown either side of a cited span."
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body (JSON) in bytes, counted as it arrives; larger: 413.",
    )
    max_upload_bytes: int = Field(
        50 * 1_048_576,
        ge=1024,
        description="Largest file POST /documents accepts, in bytes, counted as it arrives; larger: 413.",
    )
    allowed_hosts: list[str] = Field(
        ["localhost", "127.0.0.1", "[::1]"],
        description=(
            "Host header values the HTTP service answers (port ignored; '*.example.org' for "
            "subdomains, '*' for any); the bind host is added. Others get 400: a DNS-rebinding "
            "page cannot reach a loopback server."
        ),
    )
    keys: list[ApiKey] = Field(
        default_factory=list,
        description="API keys with scopes; none here and no key_file: no authentication (loopback only by default).",
    )
    key_file: Path | None = Field(
        None,
        description="File of more API keys: one 'name scope key' per line ('sha256:<hex>' for a hashed key), or JSON.",
    )
    ingest_roots: list[Path] = Field(
        default_factory=list,
        description="Folders whose files POST /ingest/runs may name, besides corpus_dir.",
    )
