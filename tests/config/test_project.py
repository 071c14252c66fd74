"""squall.toml / [tool.squall]: discovery, env selection, validation messages."""


import pytest

from squall.config import EnvConfig, apply_settings, find_project_file, load_project, storm_address
from squall.errors import ConfigError, TopologyError
from squall.topology import Grouping, Topology
from squall import Bolt, Spout

FULL = '''
default_env = "prod"
topology = "topologies/wc.py"

[env.prod]
nimbus = "nimbus.example.com:6627"
ui = "http://nimbus.example.com:8080"
python = "/usr/bin/python3"
workers = 4
ackers = 2
serializer = "msgpack"
options = { "topology.message.timeout.secs" = 60, "a" = "env" }
par = { printer = 3 }
log_dir = "logs"
'''


class Numbers(Spout):
    outputs = ["n"]


class Printer(Bolt):
    pass


class Demo(Topology):
    config = {"a": "topo", "b": "topo"}
    numbers = Numbers.spec()
    printer = Printer.spec(inputs={numbers: Grouping.SHUFFLE}, par=2)


def test_no_file_gives_implicit_local_env(tmp_path):
    project = load_project(tmp_path)
    assert project.path is None and project.root == tmp_path.resolve()
    env = project.env()
    assert env == EnvConfig(name="local") and env.uses_dev_cluster


def test_full_file_found_from_a_subfolder(tmp_path):
    (tmp_path / "squall.toml").write_text(FULL)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    project = load_project(sub)
    assert project.path == tmp_path / "squall.toml"
    assert project.root == tmp_path
    assert project.topology == "topologies/wc.py"
    env = project.env()
    assert env.name == "prod"
    assert env.nimbus_address == ("nimbus.example.com", 6627)
    assert (env.ui, env.python, env.workers, env.ackers, env.serializer) == (
        "http://nimbus.example.com:8080", "/usr/bin/python3", 4, 2, "msgpack")
    assert env.par == {"printer": 3}
    assert env.log_dir == tmp_path / "logs"
    assert env.storm_options() == {"topology.workers": 4, "topology.acker.executors": 2,
                                   "topology.message.timeout.secs": 60, "a": "env"}
    assert project.env("local").uses_dev_cluster


def test_pyproject_tool_squall(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.squall.env.stage]\nnimbus = "h:1"\n')
    assert find_project_file(tmp_path) == tmp_path / "pyproject.toml"
    assert load_project(tmp_path).env("stage").nimbus == "h:1"


def test_pyproject_without_tool_squall_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n')
    assert find_project_file(tmp_path) is None or find_project_file(tmp_path).parent != tmp_path


def test_unknown_env(tmp_path):
    (tmp_path / "squall.toml").write_text(FULL)
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path).env("qa")
    assert str(err.value) == (f"{tmp_path / 'squall.toml'}: no environment 'qa' (known: local, prod); "
                              "add an [env.qa] table")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[env.prod]\nnimbs = "h:1"\n',
         "[env.prod] unknown key 'nimbs' (known keys: nimbus, ui, python, workers, ackers, serializer, "
         "options, par, log_dir, kafka, python_version, platforms, vendor)"),
        ('[env.prod]\npython_version = "3"\n',
         "[env.prod] python_version = '3' must be the workers' Python as \"3.MINOR\", e.g. python_version = \"3.12\""),
        ('[env.prod]\nplatforms = ["manylinux_2_28_x86_64", "win_amd64"]\n',
         "[env.prod] platforms: 'win_amd64' is not a Linux wheel platform tag; use tags such as "
         "\"manylinux_2_28_x86_64\", \"manylinux2014_aarch64\" or \"musllinux_1_2_x86_64\""),
        ('[env.prod]\nvendor = "yes"\n', "[env.prod] vendor must be true or false, got 'yes'"),
        ('colour = 1\n', "unknown key 'colour' (known keys: default_env, topology, env, keep_runs)"),
        ('keep_runs = -1\n', "keep_runs must be an integer >= 0, got -1"),
        ('[env.prod]\nnimbus = "h"\n',
         "[env.prod] nimbus = 'h' must be \"host:port\", e.g. \"nimbus.example.com:6627\""),
        ('[env.prod]\nnimbus = []\n',
         "[env.prod] nimbus must be \"host:port\" or a list of them (Storm's nimbus.seeds), "
         "e.g. [\"nimbus-a:6627\", \"nimbus-b:6627\"], got []"),
        ('[env.prod]\nnimbus = ["a:1", "b"]\n',
         "[env.prod] nimbus = 'b' must be \"host:port\", e.g. \"nimbus.example.com:6627\""),
        ('[env.prod]\nworkers = 0\n', "[env.prod] workers must be an integer >= 1, got 0"),
        ('[env.prod]\nackers = "2"\n', "[env.prod] ackers must be an integer >= 0, got '2'"),
        ('[env.prod]\nserializer = "pickle"\n',
         "[env.prod] serializer = 'pickle' must be one of 'json', 'msgpack'"),
        ('[env.prod]\npar = { count = 0 }\n', "[env.prod] par.count must be an integer >= 1, got 0"),
        ('[env.prod]\nui = "host:8080"\n', "[env.prod] ui = 'host:8080' must be a URL, e.g. \"http://host:8080\""),
        ('[env.prod]\noptions = 3\n',
         "[env.prod] options must be a table, e.g. options = { \"a.b\" = 1 }, got 3"),
        ('default_env = "prod"\n',
         "default_env = 'prod' is not defined (known: local); add an [env.prod] table"),
        ('topology = 5\n', "topology must be a non-empty string, got 5"),
    ],
)
def test_validation_messages_name_file_env_and_key(tmp_path, text, message):
    (tmp_path / "squall.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path)
    assert str(err.value) == f"{tmp_path / 'squall.toml'}: {message}"


def test_invalid_toml(tmp_path):
    (tmp_path / "squall.toml").write_text("[env.prod\n")
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'squall.toml'}: not valid TOML (")


def test_apply_settings_precedence():
    env = EnvConfig("prod", workers=3, options={"a": "env", "b": "env", "c": "env"}, par={"printer": 3})
    model = apply_settings(Demo.model, env, options={"a": "cli"}, par={"numbers": 2},
                           defaults={"d": "def", "c": "def"})
    assert dict(model.config) == {"a": "cli", "b": "topo", "c": "env", "d": "def", "topology.workers": 3}
    assert model.components["printer"].par == 3
    assert model.components["numbers"].par == 2
    cli_wins = apply_settings(Demo.model, env, par={"printer": 5})
    assert cli_wins.components["printer"].par == 5
    assert Demo.model.components["printer"].par == 2  # the class's model is untouched


def test_apply_settings_env_par_names_unknown_component(tmp_path):
    env = EnvConfig("prod", par={"nope": 2}, source=tmp_path / "squall.toml")
    with pytest.raises(ConfigError) as err:
        apply_settings(Demo.model, env)
    assert str(err.value) == (f"{tmp_path / 'squall.toml'}: [env.prod] par.nope: topology 'Demo' has no "
                              "component 'nope'; its components are numbers, printer")


def test_apply_settings_cli_par_names_unknown_component():
    with pytest.raises(TopologyError) as err:
        apply_settings(Demo.model, par={"nope": 2})
    assert str(err.value) == ("parallelism override nope=2: topology 'Demo' has no component 'nope'; "
                              "its components are numbers, printer")


def test_storm_address_from_env():
    address = storm_address(EnvConfig("prod", nimbus="h:6627", ui="http://h:8080"))
    assert (address.nimbus_host, address.nimbus_port, address.ui) == ("h", 6627, "http://h:8080")


def test_storm_address_needs_nimbus(tmp_path):
    with pytest.raises(ConfigError) as err:
        storm_address(EnvConfig("prod", source=tmp_path / "squall.toml"))
    assert str(err.value) == f"{tmp_path / 'squall.toml'}: [env.prod] has no nimbus; add nimbus = \"host:6627\""


def test_storm_address_local_without_dev_cluster(tmp_path):
    with pytest.raises(ConfigError) as err:
        storm_address(EnvConfig("local"), cluster_home=tmp_path / "cluster")
    assert str(err.value) == (f"no local dev cluster recorded in {(tmp_path / 'cluster').resolve()}: start one "
                              "with `squall cluster up` or set nimbus in an [env.local] table")


def test_nimbus_seeds_list(tmp_path):
    from squall.config import storm_env

    (tmp_path / "squall.toml").write_text('[env.ha]\nnimbus = ["nimbus-a:6627", "nimbus-b:6628"]\n')
    env = load_project(tmp_path).env("ha")
    assert env.nimbus == "nimbus-a:6627" and env.nimbus_address == ("nimbus-a", 6627)
    assert env.nimbus_addresses == [("nimbus-a", 6627), ("nimbus-b", 6628)]
    target = storm_env(env)
    assert target.seeds == (("nimbus-a", 6627), ("nimbus-b", 6628))
    one = EnvConfig("one", nimbus="h:1")
    assert one.nimbus_addresses == [("h", 1)] and storm_env(one).seeds == (("h", 1),)


def test_worker_environment_keys_reach_the_storm_env(tmp_path):
    from squall.config import storm_env

    (tmp_path / "squall.toml").write_text(
        '[env.prod]\nnimbus = "h:6627"\npython_version = "3.12"\nvendor = true\n'
        'platforms = ["manylinux_2_28_x86_64", "musllinux_1_2_aarch64"]\n')
    env = load_project(tmp_path).env("prod")
    assert (env.python_version, env.platforms, env.vendor) == (
        "3.12", ("manylinux_2_28_x86_64", "musllinux_1_2_aarch64"), True)
    target = storm_env(env)
    assert target.python_version == "3.12" and target.vendors is True
    assert target.platform == ("manylinux_2_28_x86_64", "musllinux_1_2_aarch64")


def test_keep_runs_defaults_to_20(tmp_path):
    assert load_project(tmp_path).keep_runs == 20
    (tmp_path / "squall.toml").write_text("keep_runs = 3\n")
    assert load_project(tmp_path).keep_runs == 3
