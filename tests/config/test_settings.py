"""Settings: every variable read, bad values rejected in one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import ConfigError, Settings, bundled_model_dir, load_settings

VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "BOT_ALLOWED_CHATS",
    "BOT_ADMINS",
    "CHROMA_PATH",
    "CHROMA_HOST",
    "CHROMA_PORT",
    "CHROMA_COLLECTION",
    "EMBEDDING_MODEL",
    "LLM_PROVIDER",
    "LLM_BASE_URL",
    "LLM_MODEL",
    "LLM_API_KEY",
    "DATA_DIR",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "LOG_FORMAT",
    "LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable from the shell, and no .env of the checkout (the cwd is an empty folder)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)


def _error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.bot_allowed_chats == [] and settings.bot_admins == []
    assert settings.chroma_path == Path("data/chroma")
    assert not settings.uses_chroma_server
    assert settings.chroma_collection == "knowledge"
    assert settings.embedding_model_path == str(bundled_model_dir())
    assert settings.llm_provider == "none"
    assert settings.data_dir == Path("data")
    assert settings.webhook_url is None
    assert settings.log_format == "text"


@pytest.mark.parametrize("variable", ["CHROMA_PORT", "WEBHOOK_PORT"])
def test_a_port_that_is_not_a_number_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    env = {variable: "eighty"}
    if variable == "CHROMA_PORT":
        env["CHROMA_HOST"] = "chroma"
    message = _error(monkeypatch, **env)
    assert message.startswith(f"configuration error: {variable}:")
    assert "integer" in message


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_a_port_out_of_range_is_rejected(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    assert "WEBHOOK_PORT" in _error(monkeypatch, WEBHOOK_PORT=port)


def test_an_unknown_llm_provider_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, LLM_PROVIDER="gpt")
    assert message.startswith("configuration error: LLM_PROVIDER:")
    assert "'none'" in message and "'openai'" in message and "'ollama'" in message


def test_llm_provider_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", " Ollama ")
    monkeypatch.setenv("LLM_MODEL", "qwen2.5")
    assert load_settings().llm_provider == "ollama"


def test_an_llm_provider_needs_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "LLM_MODEL must be set" in _error(monkeypatch, LLM_PROVIDER="ollama")


def test_chroma_host_without_port_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, CHROMA_HOST="chroma")
    assert "CHROMA_PORT must be set when CHROMA_HOST is set" in message


def test_chroma_host_and_port_select_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_HOST", "chroma")
    monkeypatch.setenv("CHROMA_PORT", "8000")
    settings = load_settings()
    assert settings.uses_chroma_server
    assert (settings.chroma_host, settings.chroma_port) == ("chroma", 8000)


@pytest.mark.parametrize("variable", VARIABLES)
def test_an_empty_value_means_the_default(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    # An .env.example copied as it is leaves `VAR=`; that must mean "not set", not "".
    monkeypatch.setenv(variable, "")
    assert load_settings().model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]


def test_empty_values_in_the_dot_env_file_mean_the_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("".join(f"{name}=\n" for name in VARIABLES), encoding="utf-8")
    assert load_settings().model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "value",
    ["ab", "knowledge_", "-knowledge", "my collection", "a..b", "知识库"],
)
def test_a_collection_name_chroma_would_refuse_is_rejected(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = _error(monkeypatch, CHROMA_COLLECTION=value)
    assert message.startswith("configuration error: CHROMA_COLLECTION:")


@pytest.mark.parametrize("value", ["knowledge", "kb-v2", "knowledge.e5_small", "abc"])
def test_valid_collection_names_are_accepted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CHROMA_COLLECTION", value)
    assert load_settings().chroma_collection == value


def test_id_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ALLOWED_CHATS", "-1001234567890, 42,,  7 ")
    monkeypatch.setenv("BOT_ADMINS", "99")
    settings = load_settings()
    assert settings.bot_allowed_chats == [-1001234567890, 42, 7]
    assert settings.bot_admins == [99]


def test_a_bad_id_names_the_list_not_its_position(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, BOT_ADMINS="12,alice")
    assert message.startswith("configuration error: BOT_ADMINS:")


def test_webhook_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, WEBHOOK_URL="https://bot.example.com/telegram")
    assert "WEBHOOK_SECRET must be set" in message


def test_secrets_never_appear_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456:AAE-secret-token-value"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", "webhook-secret-value")
    settings = load_settings()
    for text in (repr(settings), str(settings), f"{settings}", str(settings.model_dump())):
        assert token not in text
        assert "sk-very-secret" not in text
        assert "webhook-secret-value" not in text
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == token


def test_a_config_error_never_echoes_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_API_KEY", "sk-very-secret")
    message = _error(monkeypatch, LLM_PROVIDER="nonsense")
    assert "sk-very-secret" not in message


def test_the_dot_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comments and blank lines are fine\n\n"
        "TELEGRAM_BOT_TOKEN=123:from-dotenv\n"
        "CHROMA_HOST=chroma\nCHROMA_PORT=8000\n"
        "BOT_ADMINS=1,2\n"
        "UNRELATED_VARIABLE=ignored\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:from-dotenv"
    assert (settings.chroma_host, settings.chroma_port) == ("chroma", 8000)
    assert settings.bot_admins == [1, 2]


def test_the_environment_wins_over_the_dot_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("CHROMA_COLLECTION=from-dotenv\n", encoding="utf-8")
    monkeypatch.setenv("CHROMA_COLLECTION", "from-env")
    assert load_settings().chroma_collection == "from-env"


def test_a_bad_value_in_the_dot_env_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WEBHOOK_PORT=https\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="WEBHOOK_PORT"):
        load_settings()


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError for frozen models
        settings.chroma_collection = "other"  # type: ignore[misc]
    assert isinstance(settings, Settings)
