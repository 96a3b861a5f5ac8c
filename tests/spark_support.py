"""Apache Spark for the differential roll-up tests: a Java 17 runtime (Debian's
openjdk-17-jre-headless, installed with apt-get when `java` is missing, as root, as
tests/browser_support.py installs chromium) and one local SparkSession per test session."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

JRE = "openjdk-17-jre-headless"


def ensure_java() -> str:
    """The `java` on PATH, installed with apt-get (update first) when missing; skip if it can't."""
    found = shutil.which("java")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"no java on PATH and Debian's {JRE} cannot be installed (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", JRE]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install {JRE} ({' '.join(command)}): {done.stderr[-400:]}")
    found = shutil.which("java")
    if not found:
        pytest.skip(f"apt-get installed {JRE} but java is not on PATH")
    return found
