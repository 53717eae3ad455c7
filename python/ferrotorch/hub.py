"""`torch.hub`: the hub cache directory, downloading checkpoints by URL, and loading models from a repository's
`hubconf.py`.

Downloads go through `urllib` (so `file://` URLs work too) into a temporary file next to the destination,
hashed with sha256 on the way, and are moved into place only when complete (and, with a hash prefix, when
it matches). Checkpoints are cached in `<hub_dir>/checkpoints` and read with `ferrotorch.load`.

Models load from a local directory (`source='local'`) or from a GitHub repository that is already in the
hub cache (`<hub_dir>/<owner>_<repo>_<ref>`, where PyTorch keeps downloaded repositories). Fetching a
repository from GitHub is not implemented: a repository missing from the cache raises RuntimeError.

    >>> import ferrotorch as torch
    >>> torch.hub.get_dir().endswith("hub")
    True
"""
import contextlib
import errno
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
MODULE_HUBCONF = "hubconf.py"
VAR_DEPENDENCY = "dependencies"
READ_DATA_CHUNK = 128 * 1024
# A checkpoint named `name-<hex>.ext` carries the beginning of its sha256 in <hex>.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir = None


def _get_torch_home():
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, default))


def get_dir():
    """The hub cache directory: the one given to `set_dir`, else `$TORCH_HOME/hub`, where TORCH_HOME defaults
    to `$XDG_CACHE_HOME/torch` and XDG_CACHE_HOME to `~/.cache`."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead")
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Sets the hub cache directory (`~` is expanded)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


# ----------------------------------------------------------------------------- downloads
def _report_progress(done, total):
    """A one-line percentage on stderr (PyTorch's output when tqdm is not installed)."""
    if total:
        sys.stderr.write(f"\r{100.0 * done / total:.1f}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Downloads `url` to the file `dst`. With `hash_prefix`, the file's sha256 hex digest must start with it
    (RuntimeError otherwise, and `dst` is not written)."""
    dst = os.path.realpath(os.path.expanduser(dst))
    with urlopen(Request(url, headers={"User-Agent": "torch.hub"})) as response:
        length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        total = int(length) if length else None
        # Download next to dst and move at the end, so an interrupted download never leaves a partial dst.
        for _ in range(tempfile.TMP_MAX):
            tmp_dst = f"{dst}.{uuid.uuid4().hex}.partial"
            try:
                tmp = open(tmp_dst, "xb")
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
        try:
            sha256 = hashlib.sha256()
            done = 0
            while True:
                chunk = response.read(READ_DATA_CHUNK)
                if not chunk:
                    break
                tmp.write(chunk)
                sha256.update(chunk)
                done += len(chunk)
                if progress:
                    _report_progress(done, total)
            tmp.close()
            if hash_prefix is not None:
                digest = sha256.hexdigest()
                if not digest.startswith(hash_prefix):
                    raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
            shutil.move(tmp_dst, dst)
        finally:
            tmp.close()
            if os.path.exists(tmp_dst):
                os.remove(tmp_dst)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=False):
    """Loads the checkpoint at `url`, downloading it into `model_dir` (default `<hub_dir>/checkpoints`)
    unless a file of that name is already there. With `check_hash`, the file name must carry
    (`name-<sha256 prefix>.ext`) the beginning of the file's sha256."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    from .serialization import load as _load  # imported here: serialization imports the package
    return _load(cached_file, map_location=map_location, weights_only=weights_only)


# ----------------------------------------------------------------------------- hubconf entry points
def _parse_repo_info(github):
    """(owner, name, ref) of 'owner/name[:ref]'; without a ref, the cached 'main' or 'master' checkout."""
    if ":" in github:
        repo_info, ref = github.split(":")
    else:
        repo_info, ref = github, None
    repo_owner, repo_name = repo_info.split("/")
    if ref is None:
        # PyTorch asks GitHub whether the default branch is main or master; offline it falls back to the cache.
        ref = next((r for r in ("main", "master")
                    if os.path.exists(os.path.join(get_dir(), f"{repo_owner}_{repo_name}_{r}"))), None)
        if ref is None:
            raise RuntimeError("It looks like there is no internet connection and the repo could not be found in "
                               f"the cache ({get_dir()})")
    return repo_owner, repo_name, ref


def _confirm_trust(repo_owner, repo_name, trust_repo):
    """PyTorch's trust prompt. Only cached repositories load here, and PyTorch counts a repository already in
    the cache as trusted, so only `trust_repo=False` (always ask) asks."""
    if trust_repo is not False:
        return
    response = input(f"The repository {repo_owner}_{repo_name} does not belong to the list of trusted repositories "
                     "and as such cannot be downloaded. Do you trust this repository and wish to add it to the "
                     "trusted list of repositories (y/N)?")
    if response.lower() in ("y", "yes"):
        print("The repository is already trusted.")
    elif response.lower() in ("n", "no", ""):
        raise Exception("Untrusted repository.")
    else:
        raise ValueError(f"Unrecognized response {response}.")


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True):
    """The directory of the cached checkout of 'owner/name[:ref]' (RuntimeError where it is not cached, or
    with force_reload: fetching from GitHub is not implemented)."""
    repo_owner, repo_name, ref = _parse_repo_info(github)
    repo_dir = os.path.join(get_dir(), "_".join([repo_owner, repo_name, ref.replace("/", "_")]))
    if force_reload or not os.path.isdir(repo_dir):
        raise RuntimeError(f"Cannot download {github} from GitHub: ferrotorch.hub only loads repositories from "
                           f"the hub cache ({repo_dir}) or a local directory (source='local')")
    _confirm_trust(repo_owner, repo_name, trust_repo)
    if verbose:
        sys.stderr.write(f"Using cache found in {repo_dir}\n")
    return repo_dir


@contextlib.contextmanager
def _on_sys_path(repo_dir):
    """repo_dir first on sys.path within the block, for the repository's own imports."""
    sys.path.insert(0, repo_dir)
    try:
        yield
    finally:
        sys.path.remove(repo_dir)


def _import_hubconf(repo_dir):
    """`repo_dir/hubconf.py` as a module (with repo_dir on sys.path while it runs, for its own imports)."""
    with _on_sys_path(repo_dir):
        spec = importlib.util.spec_from_file_location("hubconf", os.path.join(repo_dir, MODULE_HUBCONF))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    missing = [pkg for pkg in getattr(module, VAR_DEPENDENCY, None) or () if importlib.util.find_spec(pkg) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _load_entry_from_hubconf(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    entry = getattr(module, model, None)
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):  # noqa: A001
    """The names of the entry points (public callables) of a cached GitHub repository's hubconf.py."""
    module = _import_hubconf(_get_cache_or_reload(github, force_reload, trust_repo, verbose))
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):  # noqa: A001
    """The docstring of entry point `model` of a cached GitHub repository's hubconf.py."""
    module = _import_hubconf(_get_cache_or_reload(github, force_reload, trust_repo, verbose=True))
    return _load_entry_from_hubconf(module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    """Calls entry point `model` of the hubconf.py in `repo_or_dir` (a local directory with
    `source='local'`, else a GitHub 'owner/name[:ref]' in the hub cache) with `*args, **kwargs`."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo, verbose)
    # The entry point runs with the repository on sys.path too, as PyTorch's: entry points often import
    # the repository's own modules only when called.
    with _on_sys_path(repo_or_dir):
        entry = _load_entry_from_hubconf(_import_hubconf(repo_or_dir), model)
        return entry(*args, **kwargs)
