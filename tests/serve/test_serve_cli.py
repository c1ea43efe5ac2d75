"""`riveg serve`'s plumbing: a bad config is one line before uvicorn starts, and the
settings reach the worker processes through the environment unchanged."""
from __future__ import annotations

from typer.testing import CliRunner

from riveg_agent.cli import app
from riveg_agent.serve.runner import ServeSettings


def test_bad_config_is_one_line_and_exit_2():
    r = CliRunner().invoke(app, ["serve", "--config", "no-such-config", "--port", "1"])
    assert r.exit_code == 2
    out = r.output.strip()
    assert out.startswith("error:") and "no-such-config" in out and "\n" not in out and "Traceback" not in out


def test_settings_round_trip_through_the_environment(monkeypatch):
    settings = ServeSettings(config="fast", threads=2, queue=0, max_sessions=3, max_request_bytes=1234,
                             warmup=False)
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    assert ServeSettings.from_env() == settings
    for key in settings.to_env():
        monkeypatch.delenv(key)
    assert ServeSettings.from_env() == ServeSettings()
