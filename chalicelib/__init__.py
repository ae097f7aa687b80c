"""DHN: the digital health-administration network of Luxembourg (server side)."""
