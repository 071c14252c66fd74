"""TARGET loading: files, modules, folders, the project default, and the error messages."""

import pickle
import subprocess
import sys

import pytest

from squall.config import TargetError, load_project, load_target
from squall.errors import TopologyError

from tests.config.conftest import COMPONENTS, topology_source


def load(target, tmp_path):
    return load_target(target, load_project(tmp_path), cwd=tmp_path)


def test_file_with_one_topology(tmp_path, write):
    path = write("flow_one.py", topology_source("FlowOne"))
    loaded = load("flow_one.py", tmp_path)
    assert loaded.topology.__name__ == "FlowOne"
    assert loaded.model.name == "FlowOne"
    assert (loaded.module, loaded.file, loaded.project_root) == ("flow_one", path, tmp_path)
    assert loaded.target == "flow_one:FlowOne"
    assert tmp_path in loaded.sys_path
    assert loaded.model.components["numbers"].class_path == "flow_one:Numbers"


def test_file_with_class_name(tmp_path, write):
    write("flow_two.py", topology_source("A") + topology_source("B"))
    assert load("flow_two.py:B", tmp_path).topology.__name__ == "B"


def test_file_with_many_topologies_lists_them(tmp_path, write):
    write("flow_many.py", topology_source("A") + topology_source("B"))
    with pytest.raises(TargetError) as err:
        load("flow_many.py", tmp_path)
    assert str(err.value) == ("several Topology classes found (flow_many.py:A, flow_many.py:B); "
                              "use 'file.py:Name' to pick one")


def test_unknown_class_name(tmp_path, write):
    write("flow_three.py", topology_source("A"))
    with pytest.raises(TargetError) as err:
        load("flow_three.py:Nope", tmp_path)
    assert str(err.value) == ("'flow_three.py:Nope': no class 'Nope' found; "
                              "Topology classes there: flow_three.py:A")


def test_class_name_that_is_not_a_topology(tmp_path, write):
    write("flow_four.py", topology_source("A"))
    with pytest.raises(TargetError) as err:
        load("flow_four.py:Printer", tmp_path)
    assert str(err.value) == ("'flow_four.py:Printer': 'Printer' is not a Topology subclass; "
                              "Topology classes there: flow_four.py:A")


def test_file_without_topology(tmp_path, write):
    write("flow_none.py", COMPONENTS)
    with pytest.raises(TargetError) as err:
        load("flow_none.py", tmp_path)
    assert str(err.value) == ("no Topology subclass found in flow_none.py; define one "
                              "(class MyTopology(Topology): ...) or pass TARGET as 'file.py:Class'")


def test_missing_file(tmp_path):
    with pytest.raises(TargetError) as err:
        load("nope.py", tmp_path)
    assert str(err.value) == (f"topology file 'nope.py' not found (looked in {tmp_path}); "
                              "pass an existing file, e.g. topologies/wordcount.py")


def test_missing_module(tmp_path):
    with pytest.raises(TargetError) as err:
        load("no_such_pkg.flows:X", tmp_path)
    assert str(err.value) == ("no module named 'no_such_pkg.flows'; check TARGET's spelling, "
                              "or run squall from the project folder")


def test_import_error_names_module_and_cause(tmp_path, write):
    write("flow_broken.py", "import not_installed_dependency_xyz\n")
    with pytest.raises(TargetError) as err:
        load("flow_broken.py", tmp_path)
    assert str(err.value) == ("cannot import 'flow_broken' (flow_broken.py): No module named "
                              "'not_installed_dependency_xyz'; install the missing package or fix the import")


def test_syntax_error(tmp_path, write):
    write("flow_syntax.py", "x = (\n")
    with pytest.raises(TargetError) as err:
        load("flow_syntax.py", tmp_path)
    assert str(err.value).startswith("cannot import 'flow_syntax' (flow_syntax.py): SyntaxError: ")
    assert "(flow_syntax.py, line 1)" in str(err.value)


def test_exception_while_importing(tmp_path, write):
    write("flow_raises.py", "raise RuntimeError('boom')\n")
    with pytest.raises(TargetError) as err:
        load("flow_raises.py", tmp_path)
    assert str(err.value) == ("cannot import 'flow_raises' (flow_raises.py): RuntimeError: boom; "
                              "run with --debug for the traceback")


def test_sys_exit_while_importing_is_an_import_error(tmp_path, write):
    write("flow_exits.py", "import sys\nsys.exit(3)\n")
    with pytest.raises(TargetError) as err:
        load("flow_exits.py", tmp_path)
    assert str(err.value) == ("cannot import 'flow_exits' (flow_exits.py): the module called sys.exit(3) while "
                              'being imported; guard that code with `if __name__ == "__main__":`')


def test_invalid_topology_names_the_file(tmp_path, write):
    write("flow_invalid.py", COMPONENTS + "\nclass Bad(Topology):\n    printer = Printer.spec(inputs=[])\n")
    with pytest.raises(TopologyError) as err:
        load("flow_invalid.py", tmp_path)
    assert str(err.value).startswith("flow_invalid.py: Topology Bad: component 'printer' is a bolt without inputs")


def test_sibling_modules_importable_and_classes_pickle(tmp_path, write):
    write("sibling_parts.py", COMPONENTS)
    write("flow_sib.py", """
        from squall import Grouping, Topology
        from sibling_parts import Numbers, Printer

        class Sib(Topology):
            numbers = Numbers.spec()
            printer = Printer.spec(inputs=[numbers])
    """)
    loaded = load("flow_sib.py", tmp_path)
    numbers = loaded.model.components["numbers"]
    assert numbers.class_path == "sibling_parts:Numbers"
    assert pickle.loads(pickle.dumps(numbers.component_class)) is numbers.component_class


def test_file_in_package_gets_dotted_name(tmp_path, write):
    write("mypkg_a/__init__.py", "")
    write("mypkg_a/flows.py", topology_source("Pkg"))
    loaded = load("mypkg_a/flows.py", tmp_path)
    assert loaded.module == "mypkg_a.flows"
    assert loaded.model.components["numbers"].class_path == "mypkg_a.flows:Numbers"


def test_module_target(tmp_path, write):
    write("mypkg_b/__init__.py", "")
    write("mypkg_b/flows.py", topology_source("Mod"))
    loaded = load("mypkg_b.flows:Mod", tmp_path)
    assert loaded.module == "mypkg_b.flows" and loaded.file == tmp_path / "mypkg_b" / "flows.py"
    assert load("mypkg_b.flows", tmp_path).topology is loaded.topology


def test_a_fresh_interpreter_can_import_the_class_path(tmp_path, write):
    write("flow_fresh.py", topology_source("Fresh"))
    loaded = load("flow_fresh.py", tmp_path)
    module, name = loaded.model.components["numbers"].class_path.split(":")
    code = f"import {module}; print({module}.{name}.__name__)"
    env_path = ":".join(str(p) for p in loaded.sys_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": env_path}, cwd="/")
    assert out.stdout.strip() == "Numbers"


def test_module_name_clash(tmp_path, write):
    write("json.py", topology_source("Clash"))
    with pytest.raises(TargetError) as err:
        load("json.py", tmp_path)
    assert str(err.value).startswith("json.py: its module name 'json' is taken by ")
    assert str(err.value).endswith("; rename the file")


def test_no_target_uses_project_topology_key(tmp_path, write):
    write("squall.toml", 'topology = "flows/flow_key.py:Two"\n')
    write("flows/flow_key.py", topology_source("One") + topology_source("Two"))
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    loaded = load_target(None, load_project(sub), cwd=sub)
    assert loaded.topology.__name__ == "Two"


def test_no_target_and_a_wrong_topology_key_names_squall_toml(tmp_path, write):
    write("squall.toml", 'topology = "topologies/nope.py"\n')
    with pytest.raises(TargetError) as err:
        load(None, tmp_path)
    assert str(err.value) == (f"{tmp_path / 'squall.toml'}: topology = 'topologies/nope.py': topology file "
                              f"'topologies/nope.py' not found (looked in {tmp_path}); pass an existing "
                              "file, e.g. topologies/wordcount.py")


def test_no_target_scans_topologies_folder(tmp_path, write):
    write("squall.toml", "")
    write("topologies/helpers_x.py", "VALUE = 1\n")
    write("topologies/flow_dir.py", topology_source("InDir"))
    loaded = load_target(None, load_project(tmp_path), cwd=tmp_path)
    assert loaded.topology.__name__ == "InDir"
    assert tmp_path / "topologies" in loaded.sys_path


def test_no_target_scans_cwd_and_skips_files_without_topology(tmp_path, write):
    write("setup_like.py", "raise SystemExit('must not be imported')\n")
    write("flow_cwd.py", topology_source("InCwd"))
    assert load(None, tmp_path).topology.__name__ == "InCwd"


def test_no_target_with_many_candidates(tmp_path, write):
    write("flow_m1.py", topology_source("M1"))
    write("flow_m2.py", topology_source("M2"))
    with pytest.raises(TargetError) as err:
        load(None, tmp_path)
    assert str(err.value) == ("several Topology classes found (flow_m1.py:M1, flow_m2.py:M2); "
                              "use 'file.py:Name' to pick one")


def test_no_target_and_nothing_found(tmp_path, write, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("other.py", "x = 1\n")
    with pytest.raises(TargetError) as err:
        load(None, tmp_path)
    assert str(err.value) == ("no topology found: no .py file in the current folder defines a Topology "
                              "subclass; pass TARGET as 'file.py[:Class]' (e.g. topologies/wordcount.py), "
                              "or create a project with `squall quickstart NAME`")


def test_target_naming_a_bolt_in_a_file_without_topology(tmp_path, write, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("mod.py", "from squall import Bolt\n\nclass SplitBolt(Bolt):\n    pass\n")
    with pytest.raises(TargetError) as err:
        load("mod.py:SplitBolt", tmp_path)
    assert str(err.value) == ("'mod.py:SplitBolt': 'SplitBolt' is not a Topology subclass; no Topology "
                              "class is there: define one (class MyTopology(Topology): ...) that wires "
                              "your components and pass 'file.py:MyTopology'")


def test_streamparse_layout_imports_components_from_src(tmp_path, write):
    write("src/sp_bolts/__init__.py", "")
    write("src/sp_bolts/parts.py", COMPONENTS)
    write("topologies/sp_flow.py", """
        from squall import Grouping, Topology
        from sp_bolts.parts import Numbers, Printer

        class Sp(Topology):
            numbers = Numbers.spec()
            printer = Printer.spec(inputs=[numbers])
    """)
    loaded = load(None, tmp_path)
    assert loaded.model.components["numbers"].class_path == "sp_bolts.parts:Numbers"
    assert tmp_path / "src" in loaded.sys_path
    module, name = "sp_bolts.parts", "Numbers"
    env_path = ":".join(str(p) for p in loaded.sys_path)
    out = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.{name}.__name__)"],
                         capture_output=True, text=True, check=True, env={"PYTHONPATH": env_path}, cwd="/")
    assert out.stdout.strip() == "Numbers"


def test_a_src_package_is_not_put_on_the_path(tmp_path, write):
    write("src/__init__.py", "")
    write("src/parts.py", COMPONENTS)
    write("flow_srcpkg.py", topology_source("SrcPkg", "from src.parts import Numbers as _N\n"))
    loaded = load("flow_srcpkg.py", tmp_path)
    assert tmp_path / "src" not in loaded.sys_path
