"""The release workflow (.github/workflows/release.yml) cannot run here; what can be checked
is: it is YAML GitHub can read, it runs on version tags, one job per OS, every file and make
target it names exists, what it uploads is what its steps build, and its tag check works."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def scripts(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def test_runs_on_version_tags_with_one_build_job_per_os(workflow: dict) -> None:
    # YAML 1.1 reads the key `on` as True.
    trigger = workflow.get("on", workflow.get(True))
    assert trigger == {"push": {"tags": ["v*"]}}
    runners = {name: job["runs-on"] for name, job in workflow["jobs"].items()}
    # The .deb needs the glibc of the runner it was built on: build on the oldest Ubuntu we
    # support (22.04, glibc 2.35), so it installs on Debian 12 and Ubuntu 22.04 and later.
    assert runners == {
        "version": "ubuntu-latest",
        "linux": "ubuntu-22.04",
        "windows": "windows-latest",
        "macos": "macos-latest",
    }
    for name in ("linux", "windows", "macos"):
        assert workflow["jobs"][name]["needs"] == "version"
    assert workflow["permissions"] == {"contents": "read"}


def test_every_action_is_pinned_to_a_version(workflow: dict) -> None:
    used = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert used and all(re.fullmatch(r"actions/[\w-]+@v\d+", name) for name in used), used


def test_every_file_the_steps_name_exists(workflow: dict) -> None:
    text = "\n".join(scripts(job) for job in workflow["jobs"].values()).replace("\\", "/")
    named = set(re.findall(r"\b((?:installers|scripts|\.github)/[\w./-]+\.\w+)", text))
    assert {
        "installers/windows/postseal.wxs",
        "installers/windows/bundle-files.wxs",
        "installers/windows/msi_version.py",
        "installers/macos/build-pkg.sh",
    } <= named
    missing = {path for path in named if not (ROOT / path).exists()}
    assert not missing, missing


def test_every_make_target_it_runs_exists(workflow: dict) -> None:
    text = "\n".join(scripts(job) for job in workflow["jobs"].values())
    wanted = set(re.findall(r"\bmake (\w[\w-]*)", text))
    assert wanted == {"bundle", "deb"}
    assert wanted <= make_targets()


@pytest.mark.parametrize(
    ("job", "built"),
    [("linux", None), ("windows", "dist/Postseal-1.2.3-x64.msi"), ("macos", "dist/Postseal-1.2.3.pkg")],
)
def test_each_job_uploads_what_it_built(workflow: dict, job: str, built: str | None) -> None:
    steps = workflow["jobs"][job]["steps"]
    (upload,) = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["if-no-files-found"] == "error"
    text = scripts(workflow["jobs"][job]).replace("\\", "/")
    for variable in ("$version", "$VERSION", '"$VERSION"'):
        text = text.replace(variable, "1.2.3")
    made = set(re.findall(r"dist/[\w.-]+\.(?:msi|pkg)", text))
    if built is None:  # the .deb comes from `make deb`, named by the Makefile
        assert upload["with"]["path"] == "dist/*.deb"
        return
    assert built in made
    assert fnmatch.fnmatch(built, upload["with"]["path"])


def test_the_msi_is_built_from_the_same_source_and_codes_as_make_msi(workflow: dict) -> None:
    text = scripts(workflow["jobs"]["windows"])
    assert "python installers/windows/msi_version.py $env:VERSION" in text
    assert "-arch x64" in text
    for variable in ("Version", "ProductCode", "BundleDir", "InternalDir", "StageDir"):
        assert f'-d "{variable}=' in text
        assert (
            f"$(var.{variable})"
            in (ROOT / "installers" / "windows" / "postseal.wxs").read_text()
            + (ROOT / "installers" / "windows" / "bundle-files.wxs").read_text()
        )


def run_version_check(workflow: dict, tag: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    (step,) = workflow["jobs"]["version"]["steps"][1:]
    output = tmp_path / "github-output"
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GITHUB_REF_NAME": tag, "GITHUB_OUTPUT": str(output)},
        check=False,
    )
    return done, output


def test_the_tag_must_name_the_projects_version(workflow: dict, tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done, output = run_version_check(workflow, f"v{version}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert output.read_text() == f"version={version}\n"
    done, output = run_version_check(workflow, "v9.9.9", tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"release: tag v9.9.9 is not v{version}, the version in pyproject.toml\n"
