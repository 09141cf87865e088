"""Use cases: each service function takes its ports as arguments and orchestrates them."""
