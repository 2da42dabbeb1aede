"""The knowledge in `content/`: exams, FAQ and question banks, loaded and validated."""

from __future__ import annotations

from bot.catalog.loader import Catalog, default_content_dir, load_catalog

__all__ = ["Catalog", "default_content_dir", "load_catalog"]
