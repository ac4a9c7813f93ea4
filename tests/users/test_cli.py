"""`callcenter users`: create, list, token, revoke; bad input exits 2 with one sentence."""

from __future__ import annotations

import pytest

from callcenter.cli import main


def test_create_list_token_revoke(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database", database_url]
    assert main(["users", "create", "agent1", "--role", "agent", "--interface", "PJSIP/1001",
                 "--queue", "support:1", "--skill", "lang:de=2", "--skill", "vip",
                 *db]) == 0  # fmt: skip
    created = capsys.readouterr().out
    assert "created agent agent1" in created
    assert "password: " in created  # a generated password is printed once

    assert main(["users", "list", *db]) == 0
    listing = capsys.readouterr().out
    assert "agent1" in listing and "PJSIP/1001" in listing and "support:1" in listing
    assert "lang:de=2, vip=1" in listing
    assert main(["users", "list", "--json", *db]) == 0
    assert '"lang:de": 2' in capsys.readouterr().out

    assert main(["users", "token", "agent1", *db]) == 0
    assert capsys.readouterr().out.startswith("cc_")
    assert main(["users", "revoke", "agent1", *db]) == 0
    assert "revoked 1 token(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["users", "token", "ghost"], "no user named 'ghost'"),
        (["users", "create", "a1", "--role", "agent", "--queue", "support:x"], "--queue takes"),
        (["users", "create", "a1", "--role", "agent", "--password", "short"], "at least 10"),
        (["users", "create", "a1", "--role", "agent", "--skill", "de=x"], "whole number"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(
    database_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "--database", database_url]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_unknown_role_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["users", "create", "x", "--role", "king"])
    assert exit_info.value.code == 2
