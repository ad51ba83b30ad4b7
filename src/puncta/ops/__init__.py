"""Running Puncta on more than one machine: health and readiness checks, the worker's
heartbeat, request ids and structured logs. Knows nothing of the clinical apps."""
