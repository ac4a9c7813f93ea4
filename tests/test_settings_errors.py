"""A bad setting is one line naming the variable, and never prints a secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from callcenter.settings import masked_url, parse_ami_url

SECRET = "TopS3cret"
BAD_URLS = [
    f"ami://amiuser:{SECRET}@pbx.example.com:50x38",
    f"http://amiuser:{SECRET}@pbx.example.com:5038",
    f"amiuser:{SECRET}@pbx.example.com",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_parse_errors_hide_the_secret(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_ami_url(url)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://app:pw@db:5432/cc", "postgresql+psycopg://app:***@db:5432/cc"),
        ("ami://crm:s3@pbx:5038", "ami://crm:***@pbx:5038"),
        ("sqlite:///./var/callcenter.db", "sqlite:///./var/callcenter.db"),
    ],
)
def test_masked_urls(url: str, shown: str) -> None:
    assert masked_url(url) == shown


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", [["serve", "--port", "8765"], ["users", "list"]])
def test_commands_name_a_bad_setting_in_one_line(url: str, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["CALLCENTER_AMI_URL"] = url
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("callcenter: CALLCENTER_AMI_URL is invalid: AMI URL")
    assert result.stderr.count("\n") == 1
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize("trunk", ["PJSIP/trunk", "PJSIP/{nummer}@trunk", "{number}", "P/{0}"])
def test_a_dial_trunk_without_the_number_is_refused_in_one_line(trunk: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["CALLCENTER_DIAL_TRUNK"] = trunk
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "users", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("callcenter: CALLCENTER_DIAL_TRUNK is invalid: the dial trunk")
    assert result.stderr.count("\n") == 1
