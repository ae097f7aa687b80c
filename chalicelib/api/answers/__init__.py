"""The JSON each route answers, one module per blueprint, as pydantic models.

They describe answers for the contract (`chalicelib.api.contract`) and for the tests that
hold the answers to it; the handlers shape their answers themselves, so nothing here runs on
a request. Every model is built on first use only (cold start).
"""
