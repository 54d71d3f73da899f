"""The ``--junit`` file: a run as JUnit XML, which GitLab, Jenkins and most CI
systems show as a test report (one ``testcase`` per task)."""

from __future__ import annotations

from hookrunner.atomic import write_atomically
from hookrunner.model import RunReport
from hookrunner.report import status_label

_PROBLEMS = ("failed", "timeout", "modified")


def to_junit(report: RunReport) -> str:
    """``<testsuites>`` with one ``<testsuite name="hookrunner">``: classname the
    stage, time the duration; a ``failure`` (with the output) for a failed,
    timed-out or modifying task, ``skipped`` (with the reason) for a skipped or
    cancelled one."""
    from xml.etree import ElementTree as ET  # only a run with --junit pays for it

    results = report.results
    failures = sum(r.status in _PROBLEMS for r in results)
    skipped = sum(r.status in ("skipped", "cancelled") for r in results)
    suite = ET.Element(
        "testsuite",
        name="hookrunner",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{report.duration:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite, "testcase", name=result.name, classname=result.stage,
            time=f"{result.duration:.3f}",
        )  # fmt: skip
        if result.status in _PROBLEMS:
            message = status_label(result)
            if result.reason:
                message += f": {result.reason}"
            failure = ET.SubElement(case, "failure", message=message, type=result.status)
            lines = [f"modified: {path}" for path in result.modified]
            failure.text = "\n".join([*lines, result.output]).strip("\n")
        elif result.status in ("skipped", "cancelled"):
            ET.SubElement(case, "skipped", message=result.reason or result.status)
        elif result.output:
            ET.SubElement(case, "system-out").text = result.output
    root = ET.Element(
        "testsuites", tests=str(len(results)), failures=str(failures), errors="0",
        skipped=str(skipped), time=f"{report.duration:.3f}",
    )  # fmt: skip
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def write_junit(report: RunReport, path: str) -> None:
    write_atomically(path, to_junit(report))
