"""The deployment files: docker-compose.yml, Dockerfile, .dockerignore and .env.example."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DESIGN_VARIABLES = (
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
)
SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "LLM_API_KEY", "WEBHOOK_SECRET")


@pytest.fixture(scope="module")
def compose() -> dict:
    """The parsed compose file."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and line[0] != "#"]


def _requirement(name: str) -> str:
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(f"{name.lower()}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} not pinned in requirements.lock")


def test_compose_has_the_three_services(compose: dict) -> None:
    assert set(compose["services"]) == {"chroma", "ingest", "bot"}


def test_chroma_is_the_official_image_pinned_to_our_client_version(compose: dict) -> None:
    chroma = compose["services"]["chroma"]
    image, _, tag = chroma["image"].partition(":")
    assert image == "chromadb/chroma"
    assert tag == _requirement("chromadb")
    assert tag.startswith("1.5.")


def test_chroma_keeps_its_data_in_a_named_volume(compose: dict) -> None:
    volumes = compose["services"]["chroma"]["volumes"]
    assert "chroma-data:/data" in volumes
    assert "chroma-data" in compose["volumes"]


def test_chroma_healthcheck_asks_for_the_heartbeat(compose: dict) -> None:
    check = compose["services"]["chroma"]["healthcheck"]
    command = " ".join(check["test"])
    assert check["test"][0] == "CMD"
    assert "/api/v2/heartbeat" in command
    # The official image has no curl/wget/python, so the probe must be bash alone.
    assert check["test"][1] == "bash" and "/dev/tcp/" in command
    assert not re.search(r"\b(curl|wget|python)\b", command)
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in check


def test_ingest_is_a_one_shot_after_chroma_is_healthy(compose: dict) -> None:
    ingest = compose["services"]["ingest"]
    assert ingest["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert ingest.get("restart", "no") == "no"
    command = " ".join(ingest["command"])
    assert "python -m ingest" in command
    assert "knowledge/corpus documents" in command
    assert "./documents:/app/documents:ro" in ingest["volumes"]
    assert ingest["environment"]["CHROMA_HOST"] == "chroma"


def test_bot_starts_after_chroma_is_healthy_and_ingest_completed(compose: dict) -> None:
    bot = compose["services"]["bot"]
    assert bot["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert bot["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert bot["environment"]["CHROMA_HOST"] == "chroma"
    assert bot["environment"]["CHROMA_PORT"] == "8000"
    assert bot["restart"] == "unless-stopped"


def test_app_services_read_dot_env_in_a_form_compose_v1_accepts(compose: dict) -> None:
    # Debian's docker-compose 1.29 (what CI validates with) knows neither `name:` nor the long
    # env_file form.
    assert "name" not in compose
    for name in ("ingest", "bot"):
        assert compose["services"][name]["env_file"] == [".env"]


def test_app_services_share_the_data_volume(compose: dict) -> None:
    # The ingest manifest and its lock live in DATA_DIR: the bot's uploads must see them.
    for name in ("ingest", "bot"):
        assert "app-data:/app/data" in compose["services"][name]["volumes"]
        assert compose["services"][name]["environment"]["DATA_DIR"] == "/app/data"
    assert "app-data" in compose["volumes"]


def test_published_ports_are_loopback_only(compose: dict) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to the world"


def test_no_secret_is_written_in_the_compose_file(compose: dict) -> None:
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: use a mapping for environment"
        for variable in SECRET_VARIABLES:
            assert variable not in environment, f"{name} sets {variable} inline; use .env"
    text = COMPOSE.read_text(encoding="utf-8")
    assert not re.search(r"\d{5,}:[A-Za-z0-9_-]{30,}", text)  # a Telegram token
    assert not re.search(r"\bsk-[A-Za-z0-9]{10,}", text)  # an API key


def test_compose_validates_with_debians_docker_compose_when_available(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("no docker-compose binary (apt-get install docker-compose)")
    # A copy beside the example's values: the services read .env, which a clone has not.
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = subprocess.run(
        [binary, "-f", str(tmp_path / "docker-compose.yml"), "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_validates_with_docker_compose_when_available(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_uses_slim_python_and_cpu_torch(dockerfile: list[str]) -> None:
    assert dockerfile[0] == "FROM python:3.11-slim"
    install = next(line for line in dockerfile if "-r requirements.lock" in line)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in install
    assert "torch.version.cuda" in install  # the build fails if a CUDA torch slipped in


def test_dockerfile_builds_the_model_and_runs_offline(dockerfile: list[str]) -> None:
    assert "RUN python -m store.model_build" in dockerfile
    env = " ".join(line for line in dockerfile if line.startswith("ENV "))
    assert "HF_HUB_OFFLINE=1" in env
    assert "ANONYMIZED_TELEMETRY=False" in env


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck(dockerfile: list[str]) -> None:
    users = [line for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    healthcheck = [line for line in dockerfile if line.startswith("HEALTHCHECK ")]
    assert len(healthcheck) == 1
    assert "/healthz" in healthcheck[0] and "/api/v2/heartbeat" in healthcheck[0]
    assert dockerfile[-1] == 'CMD ["python", "-m", "bot"]'


def test_dockerignore_keeps_secrets_and_state_out_of_the_image() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".env", ".venv", "data", ".git"):
        assert entry in ignored


def test_env_example_lists_every_variable_of_the_design() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assigned = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))
    for variable in DESIGN_VARIABLES:
        assert variable in assigned, f".env.example lacks {variable}"
    for variable in SECRET_VARIABLES:
        assert assigned[variable] == "", f".env.example must not carry a value for {variable}"


def test_env_example_is_a_valid_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.settings import load_settings

    for variable in (*DESIGN_VARIABLES, "LOG_FORMAT", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.chroma_collection == "knowledge"
    assert not settings.uses_chroma_server
