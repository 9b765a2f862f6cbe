from starlette.middleware.cors import CORSMiddleware as CORSMiddleware

__all__ = ["CORSMiddleware"]
