"""The HTTP edge every route goes through, one job to a module:

- `routing`: the route decorator and the route table the contract is generated from;
- `calls`: the request as a handler sees it, its body and query parsed by pydantic;
- `callers`: the roles a route names, and the authentication of the caller;
- `replay`: idempotency keys, and the replay of a creating request's first answer;
- `problems`: the one mapping of errors to problem+json;
- `media`: JSON in and out, and whether the caller accepts a binary answer;
- `tracing`: the request id of every answer.

Blueprints import what they need from here.
"""

from chalicelib.api.edge.callers import DOCTOR, INSURER, OPERATOR, PATIENT, PHARMACIST, PRACTICE
from chalicelib.api.edge.calls import Call, Reply
from chalicelib.api.edge.routing import route

__all__ = ["DOCTOR", "INSURER", "OPERATOR", "PATIENT", "PHARMACIST", "PRACTICE", "Call", "Reply", "route"]
