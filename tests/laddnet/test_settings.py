"""Every setting is documented in the README's table, with its real default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from laddnet.settings import Settings, settings_table

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_matches_the_settings() -> None:
    text = README.read_text()
    block = text.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `(LADDNET_[A-Z_]+)` \| `([^`]*)` \|", block, re.MULTILINE)
    }
    expected = {name: default for name, default, _ in settings_table()}
    assert rows == expected


def test_bad_values_are_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADDNET_API_PORT", "eighty")
    with pytest.raises(ValidationError, match="api_port"):
        Settings()


def test_a_generated_jwt_secret_is_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_jwt_secret()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).resolved_jwt_secret() == first
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
