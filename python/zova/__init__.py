"""Zova: records, objects and vectors in one local ``.zova`` file.

SQLite is the relational core; objects are content-addressed (SHA-256,
FastCDC-v1 chunks, deduplicated) and vectors live in named collections with
exact search. The C core is binary-compatible with upstream Zova 0.17.0.
"""
from __future__ import annotations

from .cancel import *  # noqa: F401,F403
from .cancel import __all__ as _cancel_all
from .database import *  # noqa: F401,F403
from .database import __all__ as _database_all
from .enums import *  # noqa: F401,F403
from .enums import __all__ as _enums_all
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .objects import *  # noqa: F401,F403
from .objects import __all__ as _objects_all
from .operations import *  # noqa: F401,F403
from .operations import __all__ as _operations_all
from .records import *  # noqa: F401,F403
from .records import __all__ as _records_all
from .statement import *  # noqa: F401,F403
from .statement import __all__ as _statement_all
from .vectors import *  # noqa: F401,F403
from .vector_index import *  # noqa: F401,F403
from .vector_index import __all__ as _vector_index_all
from .vectors import __all__ as _vectors_all

__version__ = "0.17.0"

__all__ = ["__version__", *_cancel_all, *_database_all, *_enums_all, *_errors_all, *_objects_all,
           *_operations_all, *_records_all, *_statement_all, *_vectors_all,
           *_vector_index_all]
