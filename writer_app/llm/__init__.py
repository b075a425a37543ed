"""The LLM layer: one engine interface, a worker process that owns the model, and model files."""
