"""Property tests: settings validation accepts exactly the valid values, and never leaks a secret."""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from producthuntdb.errors import ConfigError
from producthuntdb.settings import TOKEN_PATTERN, load_settings, mask_secrets

MALFORMED = "PRODUCTHUNT_TOKEN is malformed: expected 20-512 characters of letters, digits, '-', '_' or '.'"
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_."
PROFILE = hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith("PRODUCTHUNT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@PROFILE
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10))
def test_budget_share_valid_iff_in_zero_one(value: float) -> None:
    if 0 < value <= 1:
        assert load_settings(budget_share=value).budget_share == value
    else:
        with pytest.raises(ConfigError) as info:
            load_settings(budget_share=value)
        assert len(info.value.problems) == 1
        assert info.value.problems[0].startswith("PRODUCTHUNT_BUDGET_SHARE=")


@PROFILE
@given(st.integers(min_value=-100, max_value=100))
def test_max_retries_range(value: int) -> None:
    if 0 <= value <= 20:
        assert load_settings(max_retries=value).max_retries == value
    else:
        with pytest.raises(ConfigError, match="PRODUCTHUNT_MAX_RETRIES"):
            load_settings(max_retries=value)


@PROFILE
@given(st.text(min_size=1, max_size=600))
def test_token_accepted_iff_well_formed_and_never_in_problems(token: str) -> None:
    settings = load_settings(token=token)
    if not token.strip():
        assert settings.token is None
        return
    problems = settings.token_problems()
    assert (problems == []) == bool(TOKEN_PATTERN.match(token))
    # The message is fixed text: nothing of the token is interpolated into it.
    assert problems in ([], [MALFORMED])
    assert "token=SecretStr('**********')" in repr(settings)


@PROFILE
@given(
    secret=st.text(alphabet=TOKEN_ALPHABET, min_size=6, max_size=64),
    before=st.text(max_size=50),
    after=st.text(max_size=50),
)
def test_mask_removes_every_occurrence(secret: str, before: str, after: str) -> None:
    text = f"{before}{secret}{after}{secret}"
    masked = mask_secrets(text, [secret])
    assert secret not in masked
    assert masked.count("***") >= 2


@PROFILE
@given(
    user=st.one_of(st.none(), st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10)),
    key=st.one_of(st.none(), st.text(alphabet=TOKEN_ALPHABET, min_size=8, max_size=40)),
)
def test_kaggle_credentials_half_set_is_a_problem(user: str | None, key: str | None) -> None:
    settings = load_settings(kaggle_username=user, kaggle_key=key)
    problems = settings.kaggle_problems()
    assert bool(problems) == ((user is None) != (key is None))
    # Fixed texts only: a key value can never be part of the message.
    assert set(problems) <= {
        "Kaggle credentials are half set: PRODUCTHUNT_KAGGLE_KEY is missing",
        "Kaggle credentials are half set: PRODUCTHUNT_KAGGLE_USERNAME is missing",
    }
