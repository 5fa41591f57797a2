"""The `ssj` command line: verify-draw and rfc3797."""

import json

import click
import pytest
from click.testing import CliRunner

from draw.algorithm import Candidate, Inspector, build_record
from ssj_cli.main import cli

RFC_SOURCES = ["--source", "9319", "--source", "2 5 12 8 10", "--source", "9 18 26 34 41 45"]


@pytest.fixture
def record():
    pool = [Candidate(f"E{n}", "s", 1 + n % 3) for n in range(12)]
    inspectors = [Inspector(f"I{n}", (f"E{n}",)) for n in range(4)]
    return build_record("D-1", pool, inspectors, 2, {"s": 4}, "beacon 77", bytes(32), "entropy")


def write(tmp_path, content, name="record.json"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def test_cli_is_a_group_others_can_extend():
    assert isinstance(cli, click.Group)
    assert {"verify-draw", "rfc3797"} <= set(cli.commands)


def test_verify_draw_accepts_a_valid_record(tmp_path, record):
    result = CliRunner().invoke(cli, ["verify-draw", write(tmp_path, json.dumps(record))])
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid\n"


def test_verify_draw_rejects_a_tampered_record(tmp_path, record):
    record["selections"][1]["team"].reverse()
    result = CliRunner().invoke(cli, ["verify-draw", write(tmp_path, json.dumps(record))])
    assert result.exit_code == 1
    assert result.stderr == "invalid: selections differ at position 2\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not valid JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        ('{"a": 1, "a": 2}', 'duplicate key "a" in JSON'),
        ('{"a": NaN}', "NaN is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[]", "record must be a JSON object"),
        ("{}", "missing field: algorithm"),
    ],
)
def test_verify_draw_explains_unusable_files(tmp_path, content, reason):
    result = CliRunner().invoke(cli, ["verify-draw", write(tmp_path, content)])
    assert result.exit_code == 1
    assert result.stderr.startswith("invalid: ") and reason in result.stderr


def test_verify_draw_on_a_missing_file(tmp_path):
    result = CliRunner().invoke(cli, ["verify-draw", str(tmp_path / "absent.json")])
    assert result.exit_code == 1
    assert result.stderr.startswith("invalid: cannot read ")


def test_rfc3797_reproduces_the_rfc_example():
    # RFC 3797 §6: pool of 25, the RFC's three sources; the first ten selected
    result = CliRunner().invoke(cli, ["rfc3797", "--pool-size", "25", "--count", "10", *RFC_SOURCES])
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["17", "7", "2", "16", "25", "23", "8", "24", "19", "13"]


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--pool-size", "5", "--count", "6", "--source", "1"], "--count"),
        (["--pool-size", "0", "--count", "0", "--source", "1"], "--pool-size"),
        (["--pool-size", "5", "--count", "1", "--source", "1 x"], "--source"),
    ],
)
def test_rfc3797_refuses_bad_arguments(args, hint):
    result = CliRunner().invoke(cli, ["rfc3797", *args])
    assert result.exit_code == 2
    assert hint in result.stderr


def test_direct_invocation_without_a_runner(capsys, tmp_path, record):
    """The console script calls `cli` just like this."""
    cli.main(["rfc3797", "--pool-size", "25", "--count", "3", *RFC_SOURCES], standalone_mode=False)
    assert capsys.readouterr().out == "17\n7\n2\n"
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify-draw", write(tmp_path, json.dumps(record))], prog_name="ssj")
    assert exited.value.code == 0
    assert capsys.readouterr().out == "valid\n"
