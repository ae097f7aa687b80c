"""The use cases: plain values and a clock in, plain records out."""
