"""squall visualize and squall quickstart through the CLI."""

import importlib.util

import pytest
from click.testing import CliRunner

from squall.cli import main


def invoke(*args):
    return CliRunner().invoke(main, list(args), prog_name="squall")


def test_visualize_dot_to_stdout(project):
    result = invoke("visualize", "small_flow.py", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.output.startswith('digraph "Small" {')
    assert '"numbers" -> "double"' in result.output


def test_visualize_default_is_mermaid(project):
    result = invoke("visualize")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart LR")


def test_visualize_svg_file_format_from_suffix(project):
    result = invoke("visualize", "small_flow.py", "-o", "graph.svg")
    assert result.exit_code == 0, result.output
    assert (project / "graph.svg").read_text().startswith("<svg")
    assert "Wrote graph.svg (svg, topology 'Small')" in result.output


@pytest.mark.skipif(importlib.util.find_spec("squall.quickstart") is None,
                    reason="squall.quickstart is not there yet")
def test_quickstart_creates_a_project(tmp_path):
    result = invoke("quickstart", "demo", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created project 'demo' in ")
    assert (tmp_path / "demo").is_dir()


@pytest.mark.parametrize("name", ["graph.pdf", "graph"])
def test_visualize_unknown_suffix_is_a_usage_error(project, name):
    result = invoke("visualize", "small_flow.py", "-o", name)
    assert result.exit_code == 2, result.output
    assert f"-o {name}: cannot tell the format from" in result.output and "--format" in result.output
    assert not (project / name).exists()


def test_visualize_format_option_wins_over_the_suffix(project):
    result = invoke("visualize", "small_flow.py", "-o", "graph.txt", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert (project / "graph.txt").read_text().startswith('digraph "Small"')


def test_visualize_creates_the_output_folder(project):
    result = invoke("visualize", "small_flow.py", "-o", "out/graph.svg")
    assert result.exit_code == 0, result.output
    assert (project / "out" / "graph.svg").read_text().startswith("<svg")


def test_visualize_unwritable_output_is_one_line(project):
    (project / "a_file").write_text("")
    result = invoke("visualize", "small_flow.py", "-o", "a_file/graph.svg")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: cannot write a_file/graph.svg: File exists; give -o a writable path"]
