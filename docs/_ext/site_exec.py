"""One job: executed outputs that follow the library, computed once for all languages, stamped.

- The jupyter-cache folder is keyed by a hash of everything executed code imports from this
  checkout (``customgrad/**/*.py``, figure helpers included: pages and gallery scripts import
  nothing else from it) and of the torch version, device and Python version.  A change to any of them gives a new cache folder, so
  every page runs again (myst-nb compares its config, so Sphinx re-reads every page); older
  folders are pruned.  Both languages read the same folder: each notebook runs once per build.
- sphinx-gallery skips a script whose MD5 it has seen; when the key changes, those MD5 records
  are dropped so every script runs again.  Both languages share the generated gallery, so the
  second language re-runs nothing and shows the same outputs.
- myst-nb's ``jupyter_execute`` folder is moved out of the published ``_build/html``.
- Merged streams do not depend on how the kernel happened to chunk its output: myst-nb's
  ``coalesce_streams`` (``nb_merge_streams``) strips each chunk before joining, so a blank line
  printed at a chunk boundary appeared in one build and not the next.  The chunks are joined as
  they came first; myst-nb's own function then only sees one chunk per stream.
- Each executed page gets ``exec_stamp`` in its template context (``_templates/exec-stamp.html``):
  torch version, device, and the date its outputs were computed.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import myst_nb.core.render
import nbformat
from myst_nb.core.utils import coalesce_streams as _myst_nb_coalesce
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

GALLERY_STAMPS = ".exec-stamps.json"
GALLERY_KEY = ".library-key"

# What executed code imports from the checkout, relative to the repository root: the library only
# (a downloaded page or script needs nothing else; tests/test_site_downloads.py checks it).
DEFAULT_INPUTS = ["customgrad/**/*.py"]
DEFAULT_IGNORED: list[str] = []


@lru_cache(maxsize=1)
def runtime() -> dict[str, str]:
    """torch version and the device it computes on (a GPU's name, else ``cpu``)."""
    version = metadata.version("torch")
    device = "cpu"
    if "+cpu" not in version:  # a CUDA/ROCm build: ask torch (costs an import)
        import torch

        if torch.cuda.is_available():
            device = torch.cuda.get_device_name(0)
    return {"torch": version, "device": device, "python": platform.python_version()}


def library_key(root: Path, patterns: list[str], ignored: list[str]) -> str:
    """A short hash of the executed inputs' paths and contents plus the runtime."""
    digest = hashlib.sha256(json.dumps(runtime(), sort_keys=True).encode())
    skip = {f for pattern in ignored for f in root.glob(pattern)}
    files = sorted({f for pattern in patterns for f in root.glob(pattern) if f.is_file()} - skip)
    for f in files:
        if "__pycache__" in f.parts:
            continue
        digest.update(f.relative_to(root).as_posix().encode() + b"\0")
        digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _build_root(app: Sphinx) -> Path:
    # _build next to the sources' parent: the repository for `make html`, a scratch copy for the gate.
    return Path(app.srcdir).parent / "_build"


def on_config_inited(app: Sphinx, config) -> None:
    key = library_key(Path(app.confdir), config.site_exec_inputs, config.site_exec_ignored)
    app.site_library_key = key
    cache_root = _build_root(app) / ".jupyter_cache"
    config.nb_execution_cache_path = str(cache_root / key)
    if cache_root.is_dir():
        for old in cache_root.iterdir():
            if old.name != key:
                shutil.rmtree(old, ignore_errors=True)
                logger.info(f"[site_exec] pruned the execution cache of an older library: {old.name}")

    gallery_dirs = config.sphinx_gallery_conf.get("gallery_dirs", [])
    for gallery in [gallery_dirs] if isinstance(gallery_dirs, str) else gallery_dirs:
        out = Path(app.srcdir) / gallery
        key_file = out / GALLERY_KEY
        if out.is_dir() and (not key_file.is_file() or key_file.read_text() != key):
            for md5 in out.rglob("*.md5"):
                md5.unlink()
            logger.info("[site_exec] library changed: every gallery script runs again")
        out.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)


def _coalesce_streams(outputs):
    """Join each stream's chunks verbatim, then let myst-nb's ``coalesce_streams`` do the rest."""
    joined, streams = [], {}
    for output in outputs or []:
        if output["output_type"] == "stream" and output["name"] in streams:
            streams[output["name"]]["text"] += output["text"]
        else:
            if output["output_type"] == "stream":
                output = nbformat.from_dict(dict(output))
                streams[output["name"]] = output
            joined.append(output)
    return _myst_nb_coalesce(joined)


def on_builder_inited(app: Sphinx) -> None:
    # myst-nb writes jupyter_execute/ beside the output folder, i.e. inside the published
    # _build/html; move it to _build/jupyter_execute (shared by the languages, like the cache).
    if hasattr(app.env, "mystnb_config"):
        folder = _build_root(app) / "jupyter_execute"
        app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=str(folder))


def record_gallery_run(gallery_conf, fname, when) -> None:
    """sphinx-gallery ``reset_modules`` hook: note when each script starts running."""
    if when != "before" or not fname:
        return
    dirs = gallery_conf["gallery_dirs"]
    out = Path(gallery_conf["src_dir"]) / (dirs if isinstance(dirs, str) else dirs[0])
    out.mkdir(parents=True, exist_ok=True)
    path = out / GALLERY_STAMPS
    stamps = json.loads(path.read_text()) if path.is_file() else {}
    stamps[Path(fname).stem] = time.time()
    path.write_text(json.dumps(stamps, indent=1, sort_keys=True))


def _executed_at(app: Sphinx, pagename: str) -> float | None:
    from myst_nb.sphinx_ import NbMetadataCollector

    data = NbMetadataCollector.get_doc_data(app.env).get(pagename, {}).get("exec_data")
    if data and data.get("succeeded"):
        return data["mtime"]
    gallery_dirs = app.config.sphinx_gallery_conf.get("gallery_dirs", [])
    for gallery in [gallery_dirs] if isinstance(gallery_dirs, str) else gallery_dirs:
        if pagename.startswith(gallery + "/"):
            path = Path(app.srcdir) / gallery / GALLERY_STAMPS
            if path.is_file():
                return json.loads(path.read_text()).get(pagename[len(gallery) + 1 :])
    return None


def on_html_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    when = _executed_at(app, pagename)
    if when is None:
        return
    info = runtime()
    context["exec_stamp"] = {
        "torch": info["torch"],
        "device": info["device"],
        "python": info["python"],
        "date": datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d"),
    }


def setup(app: Sphinx):
    app.add_config_value("site_exec_inputs", DEFAULT_INPUTS, "env", list)
    app.add_config_value("site_exec_ignored", DEFAULT_IGNORED, "env", list)
    myst_nb.core.render.coalesce_streams = _coalesce_streams
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited, priority=900)  # after myst-nb's own handler
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
