"""The `synloom` command line: thin wrappers over the library."""
