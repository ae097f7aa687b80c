"""The local stack: the whole product on one machine, on moto. Never shipped to AWS."""
