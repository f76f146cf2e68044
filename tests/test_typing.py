"""Every public function and method of scratch, reference and comparisons is annotated."""

import importlib
import inspect
import pkgutil

import pytest

PACKAGES = ["scratch", "reference", "comparisons"]


def public_callables():
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if info.name.endswith(".__main__"):  # running it is the command itself
                continue
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                    continue
                if inspect.isfunction(obj):
                    yield f"{info.name}.{name}", obj
                elif inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        if attr.startswith("_") and attr != "__init__":
                            continue
                        if isinstance(member, property):
                            member = member.fget
                        elif isinstance(member, (classmethod, staticmethod)):
                            member = member.__func__
                        if inspect.isfunction(member):
                            yield f"{info.name}.{name}.{attr}", member


def missing_annotations(func):
    signature = inspect.signature(func)
    missing = [p.name for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


CALLABLES = list(public_callables())


def test_there_is_a_public_api_to_check():
    assert len(CALLABLES) > 150


@pytest.mark.parametrize("name,func", CALLABLES, ids=[name for name, _ in CALLABLES])
def test_public_function_is_annotated(name, func):
    assert missing_annotations(func) == [], f"{name} lacks annotations"
