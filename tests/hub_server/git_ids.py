"""Git object ids: the sha1s the Hub reports for blobs, trees and commits, computed as git does.

Why a file of its own: the client compares these ids with ones it computes itself (preupload answers the git
blob sha1 of a regular file so unchanged files are left out of a commit; tree listings, `paths-info` and the
resolve ETag carry them), so the fake must produce real git ids, not arbitrary tokens. Pure functions of bytes,
with no server state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def git_blob_oid(content: bytes) -> str:
    """The git blob sha1 of `content`: what the Hub reports as a regular file's `oid`/`blobId`/ETag."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    """The git-lfs pointer file git stores for an LFS object (its blob sha1 is the file's `oid` in tree listings)."""
    sha = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(content)}\n".encode()


def git_tree_oids(files: Mapping[str, bytes], blob_oids: Mapping[str, str]) -> dict[str, str]:
    """git tree sha1 of every directory ("" is the root) of a snapshot."""
    children: dict[str, dict[str, tuple[bool, str]]] = {"": {}}
    for path in files:
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth])
            children.setdefault(parent, {})
            is_dir = depth < len(parts) - 1
            children[parent][parts[depth]] = (is_dir, "/".join(parts[: depth + 1]))
    oids: dict[str, str] = {}
    for directory in sorted(children, key=lambda d: d.count("/") + (1 if d else 0), reverse=True):
        entries = []
        for name, (is_dir, full) in children[directory].items():
            oid = oids[full] if is_dir else blob_oids[full]
            entries.append((name + "/" if is_dir else name, b"40000" if is_dir else b"100644", name, oid))
        body = b"".join(
            mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid) for _, mode, name, oid in sorted(entries)
        )
        oids[directory] = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
    return oids


def git_commit_oid(tree: str, parent: str | None, message: str, description: str, identity: str) -> str:
    """git commit sha1 of `tree` on `parent`, with `identity` ("name <email> time +0000") as author and committer."""
    text = f"tree {tree}\n"
    if parent:
        text += f"parent {parent}\n"
    text += f"author {identity}\ncommitter {identity}\n\n{message}\n"
    if description:
        text += f"\n{description}\n"
    raw = text.encode()
    return hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()
