"""Uploaded files kept in the data dir (``LADDNET_DATA_DIR/uploads``): written to a temporary name
and moved into place only when complete and within the size bound."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from domain.diagnostics.uploads import UploadTooLarge


class DataDirFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> str:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} leaves the store")
        return str(target)

    async def save(self, key: str, chunks: AsyncIterator[bytes], limit: int) -> int:
        target = Path(self.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{uuid.uuid4().hex}.part")
        size = 0
        try:
            with partial.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(
                            f"the upload is larger than {limit} bytes", field="body"
                        )
                    await asyncio.to_thread(out.write, chunk)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        return size
