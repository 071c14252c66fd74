"""The squall group: help, errors as one line, exit codes, completion (CliRunner)."""

import click
import pytest
from click.testing import CliRunner

from squall import __version__
from squall.cli import main
from squall.config import TargetError


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), prog_name="squall", **kwargs)


def all_commands(group=main, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.startswith(f"squall {__version__} (Python ")


def test_help_documents_exit_codes_and_completion():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Exit codes:" in result.output and "2  usage error" in result.output
    assert 'eval "$(_SQUALL_COMPLETE=bash_source squall)"' in result.output
    for name in ("run", "cluster", "quickstart", "visualize", "completion"):
        assert f"\n  {name} " in result.output


@pytest.mark.parametrize("command", list(all_commands()), ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_bad_target_is_one_line_exit_1(project):
    result = invoke("run", "missing.py")
    assert result.exit_code == 1
    assert result.output == (f"Error: topology file 'missing.py' not found (looked in {project}); "
                             "pass an existing file, e.g. topologies/wordcount.py\n")


def test_import_error_of_user_code_is_one_line(project):
    (project / "broken_flow.py").write_text("import no_such_dependency_abc\n")
    result = invoke("visualize", "broken_flow.py")
    assert result.exit_code == 1
    assert result.output == ("Error: cannot import 'broken_flow' (broken_flow.py): No module named "
                             "'no_such_dependency_abc'; install the missing package or fix the import\n")


def test_debug_lets_the_exception_through(project):
    result = invoke("--debug", "run", "missing.py")
    assert result.exit_code == 1
    assert isinstance(result.exception, TargetError)


def test_option_without_equals_is_a_usage_error(project):
    result = invoke("run", "small_flow.py", "-o", "topology.workers")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '-o' / '--option': -o 'topology.workers': missing '='; "
        "write it as -o key=value")


def test_bad_par_is_a_usage_error(project):
    result = invoke("run", "small_flow.py", "--par", "double=zero")
    assert result.exit_code == 2
    assert "--par 'double=zero': 'zero' is not an integer; write it as --par double=2" in result.output


def test_par_naming_unknown_component(project):
    result = invoke("run", "small_flow.py", "--par", "nope=2")
    assert result.exit_code == 1
    assert result.output == ("Error: parallelism override nope=2: topology 'Small' has no component 'nope'; "
                             "its components are double, numbers\n")


def test_unknown_env(project):
    result = invoke("run", "small_flow.py", "-e", "prod")
    assert result.exit_code == 1
    assert result.output == (f"Error: no environment 'prod': no squall.toml found from {project} up; "
                             "create one with an [env.prod] table\n")


def test_invalid_squall_toml_is_one_line(project):
    (project / "squall.toml").write_text("[env.prod]\nworkers = 0\n")
    result = invoke("run", "small_flow.py")
    assert result.exit_code == 1
    assert result.output == f"Error: {project / 'squall.toml'}: [env.prod] workers must be an integer >= 1, got 0\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell):
    result = invoke("completion", shell)
    assert result.exit_code == 0
    assert "_SQUALL_COMPLETE" in result.output
    assert f"{shell}_complete" in result.output


def test_completion_unknown_shell():
    result = invoke("completion", "tcsh")
    assert result.exit_code == 2


def test_cluster_status_without_cluster_exits_3(tmp_path):
    result = invoke("cluster", "status", "--home", str(tmp_path / "none"))
    assert result.exit_code == 3
    assert result.output == (f"No dev cluster recorded in {(tmp_path / 'none').resolve()}: "
                             "start one with `squall cluster up`.\n")


def test_cluster_down_without_cluster(tmp_path):
    result = invoke("cluster", "down", "--home", str(tmp_path / "none"))
    assert result.exit_code == 0
    assert result.output.endswith(f"No dev cluster was running in {(tmp_path / 'none').resolve()}.\n")


def test_until_idle_is_for_the_embedded_engine(project):
    result = invoke("run", "small_flow.py", "--engine", "storm", "--until-idle")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: --until-idle works on the embedded engine only; use -t with --engine storm")


def test_unwritable_log_dir_names_the_option(project):
    (project / "a_file").write_text("")
    result = invoke("run", "small_flow.py", "-t", "1", "--log-dir", "a_file/logs")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: cannot create the log folder {project / 'a_file' / 'logs'}: Not a directory; "
        "set --log-dir to a writable folder"]


def test_unwritable_log_dir_of_the_env_names_squall_toml(project):
    (project / "a_file").write_text("")
    (project / "squall.toml").write_text('[env.local]\nlog_dir = "a_file/logs"\n')
    result = invoke("run", "small_flow.py", "-t", "1")
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        f"set log_dir of [env.local] in {project / 'squall.toml'} to a writable folder")


def test_cluster_up_help_does_not_promise_a_ui():
    text = " ".join(invoke("cluster", "up", "--help").output.split())
    assert "Start ZooKeeper, Nimbus and a Supervisor on 127.0.0.1" in text
    assert "UI is started too when its jars are available" in text
