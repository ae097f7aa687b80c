"""Pure rules of DHN: no I/O."""
