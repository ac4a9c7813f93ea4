"""docs/deploy: each systemd unit and compose service runs a real `callcenter` command line,
the files parse, the settings they name exist, and the secrets in them are placeholders."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from callcenter.cli import build_parser
from callcenter.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SETTING = re.compile(r"\bCALLCENTER_[A-Z0-9_]+\b")


def cli_commands() -> set[str]:
    """The commands `callcenter --help` lists."""
    help_text = build_parser().format_help()
    listing = help_text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return {m[1] for m in re.finditer(r"^ {4}(\S+)", listing, re.MULTILINE)}


def check_command_line(argv: list[str]) -> None:
    """`argv` (after `callcenter`) names a command of the CLI and parses as its options."""
    assert argv[0] in cli_commands(), f"`callcenter {argv[0]}` is not a command"
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"`callcenter {shlex.join(argv)}` does not parse") from exc


def unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def test_the_four_units_are_there() -> None:
    names = {path.name for path in UNITS}
    assert names == {
        "callcenter-web.service",
        "callcenter-cti@.service",
        "callcenter-agi.service",
        "callcenter-worker.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_unit_starts_a_real_command(path: Path) -> None:
    argv = shlex.split(unit(path)["Service"]["ExecStart"].replace("%i", "pbx1"))
    assert argv[0].endswith("/bin/callcenter")
    check_command_line(argv[1:])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """systemd reads every key (a misspelt one is a warning), with the command pointed at
    this checkout's entry point."""
    entry = Path(sys.executable).parent / "callcenter"
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(
            "/opt/callcenter/venv/bin/callcenter", str(entry)
        )
        (tmp_path / path.name.replace("@.service", "@pbx1.service")).write_text(text)
    verify = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (verify.returncode, verify.stderr) == (0, "")


def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_names_the_services_and_each_runs_a_real_command() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "agi", "worker"} <= set(services)
    assert [name for name in services if name.startswith("cti-")]
    for name, service in services.items():
        if service.get("image") != "callcenter:latest":
            continue
        assert service["build"] == {"context": "../..", "dockerfile": "docs/deploy/Dockerfile"}
        check = check_command_line if name != "worker" else _worker_command
        check([str(part) for part in service["command"]])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["web"]["command"][:3] == ["serve", "--workers", "4"]


def _worker_command(argv: list[str]) -> None:
    if "worker" in cli_commands():
        check_command_line(argv)
    else:
        assert argv == ["worker"]


def test_compose_waits_for_the_migration_and_takes_secrets_from_env_files() -> None:
    services = compose()["services"]
    for name in ("web", "agi", "worker", *[n for n in services if n.startswith("cti-")]):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
        assert services[name]["environment"]["CALLCENTER_MIGRATE_ON_START"] == "false"
        assert "callcenter.env" in services[name]["env_file"]
    for service in services.values():
        for env_file in service.get("env_file", []):
            example = re.sub(r"^pbx\d+\.env$", "pbx.env", env_file) + ".example"
            assert (DEPLOY / example).is_file(), f"{env_file}: no {example}"
        for name in service.get("environment", {}):
            assert not re.search("SECRET|PASSWORD", name), f"{name} belongs in an env file"


def test_the_image_installs_every_package_of_the_project() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.MULTILINE))
    assert copied == packages
    assert "pip install '.[postgres]'" in dockerfile


def test_the_env_examples_name_real_settings_and_hold_no_secret() -> None:
    known = {f"CALLCENTER_{name.upper()}" for name in Settings.model_fields}
    for path in [*DEPLOY.glob("*.env.example"), DEPLOY / "compose.yaml", *UNITS]:
        assert set(SETTING.findall(path.read_text(encoding="utf-8"))) <= known, path.name
    for path in DEPLOY.glob("*.env.example"):
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            if line.startswith("#") or not re.search("SECRET|PASSWORD|_URL", name):
                continue
            assert value == "" or "CHANGE-ME" in value or "@" not in value, line


def test_nginx_passes_websockets_and_the_client_on() -> None:
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    code = re.sub(r"#[^\n]*", "", conf)
    assert code.count("{") == code.count("}")
    for line in (
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
    ):
        assert line in code
    assert "CALLCENTER_TRUSTED_PROXIES" in conf


def test_the_guide_and_the_readme_point_at_each_other() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in [*UNITS, DEPLOY / "compose.yaml", DEPLOY / "Dockerfile", DEPLOY / "nginx.conf"]:
        assert path.name in guide, path.name
    sizing = guide[guide.index("## Sizing") :]
    assert "bench/scale.py" in sizing and "TODO" not in guide
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Several processes" in readme and "docs/deploy.md" in readme
    assert readme.index("make demo") < readme.index("## Several processes")
