"""The core's own HTTP endpoints: health, the API index, job status, OpenAPI and docs."""
