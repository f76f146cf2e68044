"""``.ci/uv_install.py``: CI's uv is given the places pip installs from, read from ``pip config
list`` as ``pip install`` reads them."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("uv_install", ROOT / ".ci" / "uv_install.py")
uv_install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uv_install)

LISTED = """:env:.find-links='/from/the/environment'
download.index-url='https://not.for.install/simple'
global.extra-index-url='\\nfile:///opt/one/simple\\nfile:///opt/two/simple'
global.find-links='/from/global'
global.index-url='https://global.example/simple'
install.index-url='https://install.example/simple'
install.no-index='false'
global.constraint='/etc/constraints.txt'
"""


def test_each_setting_comes_from_the_section_pip_install_reads_first():
    pip = uv_install.settings(LISTED)
    assert pip["find-links"] == "/from/the/environment"  # the environment over [global]
    assert pip["index-url"] == "https://install.example/simple"  # [install] over [global]
    assert pip["extra-index-url"].split() == ["file:///opt/one/simple", "file:///opt/two/simple"]


def test_uv_is_given_every_index_and_link_one_option_each():
    options = uv_install.uv_options(uv_install.settings(LISTED))
    assert options == ["--index-url", "https://install.example/simple",
                       "--extra-index-url", "file:///opt/one/simple",
                       "--extra-index-url", "file:///opt/two/simple",
                       "--find-links", "/from/the/environment",
                       "--constraint", "/etc/constraints.txt"]
    assert uv_install.uv_options(uv_install.settings("install.no-index='true'\n")) == [
        "--no-index"]
    assert uv_install.uv_options({}) == []
