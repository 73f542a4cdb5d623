"""Running a study's trials on a Ray cluster (``study.optimize(..., backend="ray")``).

Nothing here imports Ray at module level: the ``tftune[ray]`` extra is loaded only when used.
"""
