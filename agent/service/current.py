"""What the agent is configured as now. The tray's settings change the relay and the
organization while it runs (Agent.reconfigure); every part reads the configuration and the
set-up's problems here, so a change reaches all of them at once."""

from __future__ import annotations

from dataclasses import dataclass

from agent import readiness
from agent.config import Config


@dataclass
class Current:
    config: Config
    problems: tuple[readiness.Problem, ...]

    @classmethod
    def of(cls, config: Config) -> Current:
        return cls(config, readiness.problems(config))

    def replace(self, config: Config) -> None:
        self.config, self.problems = config, readiness.problems(config)
