"""One typed settings object, read from the environment and an optional .env file."""

from config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
