"""ferrotorch.hub and ferrotorch.utils.model_zoo, offline: the cache directory rules, downloads from file://
URLs (with sha256 prefix checks), checkpoint caching, and hubconf.py entry points from a local directory or
from a repository already in the hub cache."""
import hashlib
import os
import sys

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close

HUBCONF = '''
dependencies = ["math"]


def double(x, factor=2):
    """Multiplies x by factor."""
    return x * factor


def _private():
    return 0


not_callable = 3
'''


@pytest.fixture
def hub_dir(tmp_path):
    """A fresh hub directory, restored afterwards."""
    previous = torch.hub._hub_dir
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub._hub_dir = previous


def write_repo(path, text=HUBCONF):
    path.mkdir(parents=True)
    (path / "hubconf.py").write_text(text)
    return path


# ----------------------------------------------------------------------------- directories
def test_get_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HUB", raising=False)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert torch.hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert torch.hub.get_dir() == str(tmp_path / "th" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("TORCH_HOME")
    assert torch.hub.get_dir() == os.path.expanduser(os.path.join("~", ".cache", "torch", "hub"))
    monkeypatch.setenv("TORCH_HUB", "anything")
    with pytest.warns(UserWarning, match="TORCH_HUB is deprecated, please use env TORCH_HOME instead"):
        torch.hub.get_dir()


def test_set_dir_expands_user(monkeypatch):
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    torch.hub.set_dir("~/somewhere")
    assert torch.hub.get_dir() == os.path.join(os.path.expanduser("~"), "somewhere")


# ----------------------------------------------------------------------------- downloads
def test_download_url_to_file(tmp_path, capsys):
    src = tmp_path / "data.bin"
    payload = bytes(range(256)) * 1000
    src.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    dst = tmp_path / "out.bin"
    torch.hub.download_url_to_file(src.as_uri(), str(dst), hash_prefix=digest[:8], progress=True)
    assert dst.read_bytes() == payload
    assert "100.0%" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match=rf'^invalid hash value \(expected "abc", got "{digest}"\)$'):
        torch.hub.download_url_to_file(src.as_uri(), str(tmp_path / "bad.bin"), hash_prefix="abc", progress=False)
    # nothing is left behind: neither the destination nor the temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "out.bin"]


def test_download_missing_file_raises(tmp_path):
    from urllib.error import URLError
    with pytest.raises(URLError):
        torch.hub.download_url_to_file((tmp_path / "missing.bin").as_uri(), str(tmp_path / "x"), progress=False)


def test_load_state_dict_from_url_caches(hub_dir, tmp_path, capsys):
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    src = tmp_path / "model.pt"
    torch.save({"w": torch.tensor(weights)}, str(src))
    state = torch.hub.load_state_dict_from_url(src.as_uri(), progress=False)
    assert_close(state["w"], weights)
    cached = hub_dir / "checkpoints" / "model.pt"
    assert cached.read_bytes() == src.read_bytes()
    assert f'Downloading: "{src.as_uri()}" to {cached}' in capsys.readouterr().err
    # second call reads the cache: the source may even be gone
    src.unlink()
    assert_close(torch.hub.load_state_dict_from_url(src.as_uri(), progress=False)["w"], weights)
    assert "Downloading" not in capsys.readouterr().err


def test_load_state_dict_options(tmp_path):
    src = tmp_path / "src.pt"
    torch.save({"w": torch.ones(2)}, str(src))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    named = tmp_path / f"weights-{digest[:6]}.pt"
    named.write_bytes(src.read_bytes())
    model_dir = tmp_path / "models"
    state = torch.hub.load_state_dict_from_url(named.as_uri(), model_dir=str(model_dir), check_hash=True,
                                               progress=False, file_name="renamed.pt", weights_only=True)
    assert state["w"].tolist() == [1.0, 1.0]
    assert (model_dir / "renamed.pt").exists()
    # with file_name given, the hash comes from that name: "renamed.pt" carries none
    wrong = tmp_path / "weights-0000.pt"
    wrong.write_bytes(src.read_bytes())
    with pytest.raises(RuntimeError, match=r'^invalid hash value \(expected "0000"'):
        torch.hub.load_state_dict_from_url(wrong.as_uri(), model_dir=str(model_dir), check_hash=True, progress=False)
    assert not (model_dir / "weights-0000.pt").exists()


def test_model_zoo_load_url_is_hub_function():
    assert torch.utils.model_zoo.load_url is torch.hub.load_state_dict_from_url


# ----------------------------------------------------------------------------- hubconf entry points
def test_load_local(tmp_path):
    repo = write_repo(tmp_path / "repo")
    assert torch.hub.load(str(repo), "double", 4, source="local") == 8
    assert torch.hub.load(str(repo), "double", 4, source="LOCAL", factor=3) == 12
    with pytest.raises(RuntimeError, match=r"^Cannot find callable nope in hubconf$"):
        torch.hub.load(str(repo), "nope", source="local")
    with pytest.raises(RuntimeError, match=r"^Cannot find callable not_callable in hubconf$"):
        torch.hub.load(str(repo), "not_callable", source="local")
    with pytest.raises(ValueError, match=r"^Invalid input: model should be a string of function name$"):
        torch.hub.load(str(repo), 3, source="local")
    with pytest.raises(ValueError, match=r'^Unknown source: "xx"\. Allowed values: "github" \| "local"\.$'):
        torch.hub.load(str(repo), "double", source="xx")


def test_entry_point_imports_the_repositorys_modules_when_called(tmp_path):
    repo = write_repo(tmp_path / "repo_lazy", "def build():\n    from lazy_helper_mod import VALUE\n    return VALUE\n")
    (repo / "lazy_helper_mod.py").write_text("VALUE = 41\n")
    try:
        assert torch.hub.load(str(repo), "build", source="local") == 41
    finally:
        sys.modules.pop("lazy_helper_mod", None)
    assert str(repo) not in sys.path


def test_load_local_missing_dependency(tmp_path):
    repo = write_repo(tmp_path / "repo", 'dependencies = ["math", "no_such_pkg_xyz"]\n\ndef f():\n    return 1\n')
    with pytest.raises(RuntimeError, match=r"^Missing dependencies: no_such_pkg_xyz$"):
        torch.hub.load(str(repo), "f", source="local")


def test_github_source_uses_the_hub_cache(hub_dir, capsys):
    write_repo(hub_dir / "owner_repo_main")
    assert torch.hub.load("owner/repo", "double", 5) == 10
    assert "Using cache found in" in capsys.readouterr().err
    assert torch.hub.load("owner/repo:main", "double", 5, verbose=False) == 10
    assert torch.hub.list("owner/repo", verbose=False) == ["double"]
    assert torch.hub.help("owner/repo", "double") == "Multiplies x by factor."


def test_github_source_offline_errors(hub_dir):
    with pytest.raises(RuntimeError, match=r"^It looks like there is no internet connection and the repo could not "
                                           r"be found in the cache \("):
        torch.hub.list("owner/absent")
    with pytest.raises(RuntimeError, match=r"Cannot download owner/absent:v1 from GitHub"):
        torch.hub.load("owner/absent:v1", "double")
    write_repo(hub_dir / "owner_repo_main")
    with pytest.raises(RuntimeError, match=r"Cannot download owner/repo from GitHub"):
        torch.hub.load("owner/repo", "double", 1, force_reload=True)


def test_trust_repo_false_asks(hub_dir, monkeypatch):
    write_repo(hub_dir / "owner_repo_main")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(Exception, match=r"^Untrusted repository\.$"):
        torch.hub.load("owner/repo", "double", 1, trust_repo=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "maybe")
    with pytest.raises(ValueError, match=r"^Unrecognized response maybe\.$"):
        torch.hub.load("owner/repo", "double", 1, trust_repo=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert torch.hub.load("owner/repo", "double", 1, trust_repo=False, verbose=False) == 2


def test_docstring_examples():
    import doctest
    from ferrotorch.utils import model_zoo
    assert doctest.testmod(torch.hub).failed == 0
    assert doctest.testmod(model_zoo).failed == 0
