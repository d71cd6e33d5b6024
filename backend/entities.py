"""Imports every domain's entity declarations, filling the CRUD registry in a fixed order."""

from backend.api.crud import REGISTRY
from backend.areas import service as _areas  # noqa: F401
from backend.cases import service as _cases  # noqa: F401
from backend.fieldwork import service as _fieldwork  # noqa: F401
from backend.ledgers import service as _ledgers  # noqa: F401

ENTITIES = REGISTRY
