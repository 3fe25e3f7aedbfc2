"""Framework-independent core of the Python reference servers (fastapi, flask).

The Python twin of @servebench/core: configuration, contract validation and errors, the
Hugging Face tokenizer, the onnxruntime backend, the bounded inference queue, metrics and the
process launcher. The server workspaces only wire routes to `Service`.
"""
