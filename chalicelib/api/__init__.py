"""The HTTP API: one blueprint per audience or resource, all mounted under /v1."""
