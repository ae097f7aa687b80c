"""The plumbing every layer may use: config, clock, ids, errors, observability, sealing, outbound HTTP."""
