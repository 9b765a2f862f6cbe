"""The framework logger. Named "fastapi" so logging configured for a FastAPI app keeps working."""

import logging

logger = logging.getLogger("fastapi")
